"""genrekit's Gradio app: upload or record a track, see its genres and musicnn's tags.

UI only: choosing and loading the model, the run picker, checking uploads, tagging and shaping the
results live in :mod:`genrekit.app`, where they are unit-tested.

    python space/app.py                          # http://127.0.0.1:7860, the model in $GENREKIT_APP_RUNS,
                                                 # else the runs in space.json (a Space bundle), else the
                                                 # zero-shot musicnn model (no training; weights fetched once)
                                                 # with a list of the runs under the runs folder to switch to
    python space/app.py --train-default          # train the small synthetic model, then serve it
    python space/app.py --run models/runs/A --run models/runs/B   # a soft-voting ensemble
    GENREKIT_APP_RUNS=hf:ORG/NAME python space/app.py              # a run folder pushed to the hub
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

try:
    import genrekit  # noqa: F401
except ImportError:  # run from a checkout that was not pip-installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import gradio as gr

from genrekit import app as core
from genrekit import paths
from genrekit.errors import GenrekitError

APP_DIR = Path(__file__).resolve().parent  # a Space bundle keeps its space.json (the runs it serves) here
EXAMPLES_DIR = APP_DIR / "examples"

# The queue. Classifying is CPU-bound (decoding, resampling, features or a network forward pass),
# so running more requests at once than there are cores only makes every one of them slower:
# two at a time keeps a 2-core box (a free Space, the CI machine) busy without thrashing, and each
# running request holds at most MAX_MINUTES of decoded audio (~50 MB). Past 64 waiting requests a
# new user is told the queue is full at once instead of waiting minutes.
CONCURRENCY_LIMIT = 2
QUEUE_SIZE = 64

DESCRIPTION = (
    "Upload a track (or record one) and see its genres: the three most likely with their "
    "probabilities, every genre as a bar chart, and, for tracks longer than one model window, how the "
    "genre changes over time. Beside them, musicnn's top tags of the track's middle (genres and moods "
    "from the Million Song Dataset model, instruments and voice from the MagnaTagATune one). "
)
PICKER_INFO = "The default model, or a run from the runs folder (loaded when first chosen)."

log = logging.getLogger("genrekit.app")


def note_markdown(model: core.AppModel) -> gr.Markdown:
    """The synthetic-set note of ``model`` (hidden when it has none)."""
    note = model.synthetic_note
    return gr.Markdown(f"*{note}*" if note else "", visible=note is not None, elem_id="synthetic-note")


def build_demo(model: core.AppModel | None, *, limits: core.UploadLimits, problem: str | None = None,
               picker: core.ModelPicker | None = None) -> gr.Blocks:
    """The app's page; with ``model=None`` it only shows ``problem`` (how to get a model).

    With a ``picker`` (whose start model is ``model``) a dropdown offers its runs; each browser
    session keeps its own choice (``serving``, the picker's key of the model answering it).
    """
    with gr.Blocks(title="genrekit: music genres", analytics_enabled=False) as demo:
        gr.Markdown("# genrekit: which genre is this track?")
        if model is None:
            gr.Markdown(problem or core.no_model_message(), elem_id="no-model")
            return demo
        gr.Markdown(DESCRIPTION + limits.describe())
        serving = gr.State(picker.start_key if picker is not None else None)
        if picker is not None:
            choice = gr.Dropdown(choices=picker.choices, value=picker.start_key, label="Model", info=PICKER_INFO,
                                 visible=len(picker.choices) > 1, elem_id="run-picker")
        card = gr.Markdown(model.markdown(), elem_id="model-card")
        note = note_markdown(model)

        with gr.Row():
            with gr.Column(scale=1):
                # the browser's own player: Gradio's waveform player shows a wrong length just under
                # whole minutes (119.9 s reads "1:00"); the browser's reads "1:59", like every player
                audio = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Track", elem_id="track",
                                 waveform_options=gr.WaveformOptions(show_recording_waveform=False))
                button = gr.Button("Classify", variant="primary")
                status = gr.Markdown(elem_id="status")
            with gr.Column(scale=2):
                with gr.Row():
                    label = gr.Label(num_top_classes=3, label="Top genres", elem_id="top-genres", scale=1)
                    tags = gr.Markdown(elem_id="tags", scale=1, min_width=240)
                # one colour per genre, fixed by the model's label order, in both plots and every answer
                bars = gr.BarPlot(x="genre", y="probability", color="genre", color_map=model.colours,
                                  colors_in_legend=[], sort="-y", y_lim=[0, 1], label="All genres",
                                  elem_id="genre-bars")
        timeline = gr.LinePlot(x="time_s", y="probability", color="genre", color_map=model.colours, y_lim=[0, 1],
                               x_title="time (s)", label="Genre over time", visible=False, elem_id="timeline")
        outputs = [label, bars, timeline, status, tags]

        def classify(path, key=None):
            answering = picker.model(key) if picker is not None else model
            try:
                result = core.classify_upload(answering, path, limits=limits)
            except Exception as exc:  # the app keeps serving whatever one file does
                if not isinstance(exc, GenrekitError):
                    log.exception("classifying %s failed", path)
                message = core.user_message(exc)
                gr.Warning(message)
                return None, None, gr.LinePlot(value=None, visible=False), f"**{message}**", ""
            for note_text in result.notes:
                gr.Warning(note_text)
            shown = result.timeline is not None
            return (result.scores, result.bars, gr.LinePlot(value=result.timeline, visible=shown),
                    result.status_markdown(), result.tags_markdown())

        gr.on([audio.upload, audio.stop_recording, button.click], classify, inputs=[audio, serving], outputs=outputs,
              api_name="classify")
        examples = sorted(EXAMPLES_DIR.glob("*.mp3"))
        if examples:
            # the session's model is a second input that no example sets
            gr.Examples([[str(p), None] for p in examples], inputs=[audio, serving], outputs=outputs, fn=classify,
                        run_on_click=True, cache_examples=False, example_labels=[p.stem for p in examples],
                        label="Example clips (synthetic, 10 s)")

        if picker is not None:
            def choose_model(key, current):
                selection = picker.select(key, current=current)
                if selection.error is not None:
                    gr.Warning(selection.error)
                    kept = [gr.skip()] * 5  # card, note, label, bars, timeline
                    return selection.key, gr.Dropdown(value=selection.key), *kept, f"**{selection.error}**", gr.skip()
                chosen = selection.model
                # the old answer came from another model, and the plots take this model's colours
                return (selection.key, gr.skip(), chosen.markdown(), note_markdown(chosen), None,
                        gr.BarPlot(value=None, color_map=chosen.colours),
                        gr.LinePlot(value=None, visible=False, color_map=chosen.colours),
                        f"Now serving **{picker.label(selection.key)}**.", "")

            choice.input(choose_model, inputs=[choice, serving],
                         outputs=[serving, choice, card, note, label, bars, timeline, status, tags],
                         api_name="choose_model")
            # runs trained since start-up appear on the next page load
            demo.load(lambda: gr.Dropdown(choices=picker.refresh(), visible=len(picker.choices) > 1), outputs=choice,
                      api_visibility="undocumented")
    return demo


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="genrekit's Gradio app: upload a track, see its genres and musicnn's tags.",
        epilog=f"With no --run, no ${core.ENV_RUNS} and no {core.SPACE_FILE} beside the app, it serves the "
               "zero-shot musicnn model: no training, musicnn's tags (CNNs trained on real music) mapped to GTZAN's "
               f"ten genres. Its weights are fetched once with pip ('{core.FETCH_COMMAND}' does it by hand; "
               "offline the app says so and serves a --train-default model if one was trained). It then also offers "
               "the runs under the runs folder (--runs-dir) in a list, each loaded when first chosen.")
    parser.add_argument("--run", action="append", default=None, metavar="FOLDER",
                        help=f"run folder to serve (repeat, or separate by commas, for an ensemble; "
                             f"'hf:ORG/NAME' for a hub model); default ${core.ENV_RUNS}, else the runs of "
                             f"{core.SPACE_FILE} beside the app, else the zero-shot musicnn model")
    parser.add_argument("--runs-dir", metavar="DIR", default=None,
                        help=f"runs folder whose runs the app offers when no run is configured (default: "
                             f"{paths.runs_dir()}; env GENREKIT_RUNS)")
    # Spaces set GRADIO_SERVER_NAME=0.0.0.0; locally the app stays on the loopback interface.
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), help="address to listen on (default: %(default)s; env GRADIO_SERVER_NAME; 0.0.0.0 for every "
                             "interface)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
                        help="port to listen on (default: %(default)s; env GRADIO_SERVER_PORT)")
    parser.add_argument("--train-default", action="store_true",
                        help=f"train the small synthetic default model (under {core.default_model_root()}) and "
                             "serve it (unless --run, the environment or a bundle names a run)")
    parser.add_argument("--train-if-missing", action="store_true",
                        default=os.environ.get("GENREKIT_APP_TRAIN_IF_MISSING", "") not in ("", "0"),
                        help="train the synthetic default model only if no run is configured and the zero-shot "
                             "model is unavailable (musicnn's weights cannot be fetched) "
                             "(env GENREKIT_APP_TRAIN_IF_MISSING=1; for a Space)")
    parser.add_argument("--no-tags", action="store_true",
                        help="do not show musicnn's tags beside the genres (nor fetch its weights for them)")
    parser.add_argument("--no-serve", action="store_true", help="exit after training instead of serving")
    parser.add_argument("--clips-per-genre", type=int, default=core.DEFAULT_CLIPS_PER_GENRE,
                        help="default model: synthetic clips per genre")
    parser.add_argument("--seconds", type=float, default=core.DEFAULT_SECONDS,
                        help="default model: seconds per synthetic clip")
    parser.add_argument("--data", default="synthetic", help="default model: dataset source (default: synthetic)")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY_LIMIT,
                        help="requests classified at once (default: 2, for two cores)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    runs = ",".join(args.run) if args.run else None
    # the picker goes with the default model: a configured run (or bundle) is what the app serves
    picking = not core.is_configured(runs, app_dir=APP_DIR)
    if args.train_default or (args.train_if_missing and not core.can_serve(runs, app_dir=APP_DIR)):
        run_dir = core.train_default_model(clips_per_genre=args.clips_per_genre, seconds=args.seconds,
                                           data=args.data, progress=not args.quiet)
        print(f"default model trained: {run_dir}", flush=True)
        if not core.is_configured(runs, app_dir=APP_DIR):
            runs = str(run_dir)  # serve what was just trained, not the zero-shot default
    if args.no_serve:
        return 0
    limits = core.UploadLimits.from_env()
    threads = core.share_cores(args.concurrency)
    try:
        model, problem = core.load_app_model(runs, app_dir=APP_DIR, tags=not args.no_tags), None
    except core.NoModelError as exc:
        model, problem = None, str(exc)
        print(exc.summary, file=sys.stderr, flush=True)
    except GenrekitError as exc:
        print(f"cannot load the model: {exc}", file=sys.stderr)
        return 2
    if model is not None:
        print("serving " + "; ".join(f"{c.name} ({c.model}, {c.source})" for c in model.cards), flush=True)
        print(f"warmed up in {core.warm_up(model):.1f} s ({threads} torch thread(s) per request)", flush=True)
    picker = core.ModelPicker(model, root=args.runs_dir) if model is not None and picking else None
    if picker is not None:
        print(f"offering {len(picker.runs)} run(s) under {picker.root}", flush=True)
    demo = build_demo(model, limits=limits, problem=problem, picker=picker)
    demo.queue(default_concurrency_limit=args.concurrency, max_size=QUEUE_SIZE)
    demo.launch(server_name=args.host, server_port=args.port, max_file_size=limits.max_bytes,
                allowed_paths=[str(EXAMPLES_DIR)], show_error=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
