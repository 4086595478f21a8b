"""Album analysis: which genres does an ensemble hear in each track of a folder, and where?

The seed question was "is Cowboy Carter a country album?". :func:`analyse_album` answers it for
any folder of audio files: every file (sorted by path) is read once; an ensemble of saved models
(soft voting, optional weights; the study uses at least three models of different families)
scores (a) the middle ``middle_seconds`` of the track, each model with its own preprocessing,
and (b) a timeline of ``window_seconds`` windows every ``hop_seconds`` over the whole track.
Files that cannot be read are skipped and listed; the others are always analysed (a truncated or
damaged one as far as it decodes, with a note saying so).

Every call writes a fresh folder, ``<outputs>/album/<YYYYmmdd-HHMMSS>-<album folder name>/``
(``outputs`` is :func:`genrekit.paths.outputs_dir`, or ``out_dir``), so runs never overwrite each
other. ``<genres>`` below stands for one column per genre of the ensemble, in label order.

Output folder
-------------
``tracks.csv``
    One row per analysed track: ``track`` (1-based position in the sorted file list), ``file``
    (path relative to the album folder), ``title`` (the file's title tag, else the file name
    without suffix), ``duration_s``, ``genre`` (the ensemble's most probable genre for the middle
    of the track), ``probability`` (its probability), ``timeline_genre`` (the genre that wins the
    most timeline windows), ``timeline_share`` (the share of windows it wins), ``note`` (what is
    wrong with a file analysed only as far as it decodes, e.g. "truncated: decodes 14.5 s of the
    29.0 s its header declares"; empty otherwise), then ``<genres>``: the ensemble's
    probabilities for the middle of the track.
``probabilities.csv``
    One row per track and model: ``track``, ``file``, ``title``, ``model`` (e.g. ``logreg
    (features)``), ``run`` (run folder name), ``family``, ``weight`` (its normalised weight in the
    vote), ``genre`` (its most probable genre), then ``<genres>``: its probabilities for the middle
    of the track (0 for genres the model does not know).
``logits.csv``
    Same keys as probabilities.csv (without ``weight`` and ``genre``) plus ``kind``: ``logit`` for
    networks (the mean over the model's input chunks of its pre-softmax outputs), or
    ``log-probability`` for models without logits (feature models): then ``<genres>`` hold
    ``log(probability)``, floored at log(1e-12), and are empty for genres the model does not know.
``timeline.csv``
    One row per track and window: ``track``, ``file``, ``title``, ``window`` (from 0), ``start_s``,
    ``end_s`` (seconds from the start of the track), ``genre`` (the ensemble's most probable genre
    in the window; empty if no model could score it), then ``<genres>``: the ensemble's
    probabilities for the window.
``problems.csv``
    One row per file that was skipped: ``file``, ``reason``.
``album.png``
    Per-track stacked genre bars (middle of each track) and the timeline as a heat map (tracks of
    a single window have no timeline; with none longer than one window, the figure is the bars).
``summary.txt``, ``README.md``
    The plain-language summary (ending in a note when a model was trained on genrekit's synthetic
    set: see :func:`genrekit.inference.synthetic_note`); the README also lists the models,
    weights and settings and describes these files.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from genrekit import paths
from genrekit.album_plots import plot_album
from genrekit.data.audio import AUDIO_EXTENSIONS, audio_info, collect_audio_warnings, is_audio_file, quiet_decoder
from genrekit.errors import AudioError, ConfigError, DatasetError, GenrekitError
from genrekit.inference import MIN_NEW_FRACTION, Ensemble, load_predictor, synthetic_note
from genrekit.runs import unique_dir

TRACKS_FILE = "tracks.csv"
PROBABILITIES_FILE = "probabilities.csv"
LOGITS_FILE = "logits.csv"
TIMELINE_FILE = "timeline.csv"
PROBLEMS_FILE = "problems.csv"
FIGURE_FILE = "album.png"
SUMMARY_FILE = "summary.txt"
README_FILE = "README.md"

#: The key columns of each CSV; one column per genre follows them (except in problems.csv).
TRACK_KEYS = ["track", "file", "title", "duration_s", "genre", "probability", "timeline_genre", "timeline_share", "note"]
PROBABILITY_KEYS = ["track", "file", "title", "model", "run", "family", "weight", "genre"]
LOGIT_KEYS = ["track", "file", "title", "model", "run", "family", "kind"]
TIMELINE_KEYS = ["track", "file", "title", "window", "start_s", "end_s", "genre"]
PROBLEM_COLUMNS = ["file", "reason"]


def track_columns(labels: Sequence[str]) -> list[str]:
    """Columns of ``tracks.csv`` for an ensemble with these labels."""
    return TRACK_KEYS + list(labels)


def probability_columns(labels: Sequence[str]) -> list[str]:
    """Columns of ``probabilities.csv``."""
    return PROBABILITY_KEYS + list(labels)


def logit_columns(labels: Sequence[str]) -> list[str]:
    """Columns of ``logits.csv``."""
    return LOGIT_KEYS + list(labels)


def timeline_columns(labels: Sequence[str]) -> list[str]:
    """Columns of ``timeline.csv``."""
    return TIMELINE_KEYS + list(labels)


@dataclass
class AlbumReport:
    """Everything :func:`analyse_album` computed and wrote.

    Attributes
    ----------
    folder : Path
        The album folder analysed.
    out_dir : Path
        The fresh output folder.
    labels : list of str
        The ensemble's genres (the ``<genres>`` columns).
    tracks, probabilities, logits, timeline, problems : pd.DataFrame
        The contents of the CSV files of the same names (see the module docstring).
    summary : str
        The plain-language summary (also in ``summary.txt``).
    figure : Path
        ``album.png``.
    files : dict of str -> Path
        Every file written, by name.
    seconds : float
        Wall time of the analysis.
    """

    folder: Path
    out_dir: Path
    labels: list[str]
    tracks: pd.DataFrame
    probabilities: pd.DataFrame
    logits: pd.DataFrame
    timeline: pd.DataFrame
    problems: pd.DataFrame
    summary: str
    figure: Path
    files: dict
    seconds: float


def list_audio_files(folder: str | Path, *, recursive: bool = False) -> list[Path]:
    """Audio files of a folder (by suffix, see :data:`genrekit.data.audio.AUDIO_EXTENSIONS`), sorted by path.

    Raises
    ------
    DatasetError
        If ``folder`` is not a folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder")
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted((p for p in found if p.is_file() and is_audio_file(p)), key=lambda p: p.relative_to(folder).as_posix().lower())


def read_title(path: str | Path) -> str | None:
    """The title tag of an audio file (ID3, Vorbis comment, MP4 or RIFF INFO), or None.

    Never raises: a file whose tags cannot be parsed has no title.
    """
    path = Path(path)
    try:
        import mutagen

        tagged = mutagen.File(str(path), easy=True)
        if tagged is not None and tagged.tags is not None:
            value = tagged.tags.get("title") if hasattr(tagged.tags, "get") else None
            if not value and "TIT2" in tagged.tags:  # ID3 chunks of WAV/AIFF files are not 'easy'
                value = tagged.tags["TIT2"].text
            if value:
                text = str(value[0] if isinstance(value, (list, tuple)) else value).strip()
                if text:
                    return text
    except Exception:  # noqa: BLE001 - mutagen raises many types on odd files; a title is optional
        pass
    try:
        import soundfile as sf

        with quiet_decoder(path), sf.SoundFile(str(path)) as f:  # RIFF INFO (WAV), which mutagen does not read
            text = (f.title or "").strip()
        return text or None
    except Exception:  # noqa: BLE001
        return None


def analyse_album(
    folder: str | Path,
    predictors_or_runs,
    *,
    weights: Sequence[float] | None = None,
    out_dir: str | Path | None = None,
    window_seconds: float = 30.0,
    hop_seconds: float = 15.0,
    middle_seconds: float = 30.0,
    recursive: bool = False,
    genre: str | None = None,
    progress: bool = True,
) -> AlbumReport:
    """Analyse every audio file of a folder with an ensemble and write the report folder.

    Parameters
    ----------
    folder : str or Path
        The album folder.
    predictors_or_runs : Ensemble, or sequence of Predictor / run folder
        The models; several become a soft-voting :class:`~genrekit.inference.Ensemble`.
    weights : sequence of float, optional
        One weight per model (normalised); equal if None. Not allowed with an Ensemble.
    out_dir : str or Path, optional
        Parent of the fresh output folder (default ``genrekit.paths.outputs_dir() / "album"``).
    window_seconds, hop_seconds : float
        Timeline window and hop in seconds.
    middle_seconds : float
        Length (s) of the middle part that gives each track's genre.
    recursive : bool
        Also analyse files in sub-folders.
    genre : str, optional
        The genre the summary asks about ("k of n tracks are classified country"); default the
        most frequent predicted genre.
    progress : bool
        Show a progress bar over tracks.

    Returns
    -------
    AlbumReport

    Raises
    ------
    DatasetError
        If ``folder`` is not a folder or holds no audio files.
    ConfigError
        Bad weights, or a ``genre`` none of the models knows.
    """
    from tqdm.auto import tqdm

    started = time.perf_counter()
    folder = Path(folder)
    files = list_audio_files(folder, recursive=recursive)
    if not files:
        raise DatasetError(f"{folder}: no audio files (looked for {', '.join(_suffixes())})")
    if isinstance(predictors_or_runs, Ensemble):
        if weights is not None:
            raise ConfigError("pass weights to the Ensemble itself, not with an Ensemble")
        ensemble = predictors_or_runs
    else:
        loaded = load_predictor(predictors_or_runs, weights=weights)
        ensemble = loaded if isinstance(loaded, Ensemble) else Ensemble([loaded])
    labels = list(ensemble.labels)
    if genre is not None and genre not in labels:
        raise ConfigError(f"genre {genre!r} is not one of the models' genres: {', '.join(labels)}")
    target = _fresh_folder(Path(out_dir) if out_dir is not None else paths.outputs_dir() / "album", folder.name)

    track_rows, prob_rows, logit_rows, timeline_rows, problems = [], [], [], [], []
    bar = tqdm(files, desc="analysing album", unit="track", disable=not progress)
    # a truncated track's note goes in tracks.csv and the summary, not on stderr
    with collect_audio_warnings() as found:
        for number, path in enumerate(bar, start=1):
            name = path.relative_to(folder).as_posix()
            bar.set_postfix_str(name[-30:], refresh=False)
            seen = len(found)
            try:
                prediction = ensemble.predict_file(path, timeline=True, middle_seconds=middle_seconds,
                                                   window_seconds=window_seconds, hop_seconds=hop_seconds)
                duration = audio_info(path).duration
            except AudioError as exc:
                problems.append({"file": name, "reason": "; ".join([exc.reason, *(w.reason for w in found[seen:])])})
                continue
            except GenrekitError as exc:
                problems.append({"file": name, "reason": str(exc)})
                continue
            except Exception as exc:  # noqa: BLE001 - one odd file must not lose the rest of the album
                problems.append({"file": name, "reason": f"analysis failed: {type(exc).__name__}: {exc}"})
                continue
            rows = _track_rows({"track": number, "file": name, "title": read_title(path) or path.stem},
                               prediction, duration, ensemble)
            for table, row in zip((track_rows, prob_rows, logit_rows, timeline_rows), rows):
                table.extend(row)

    tracks = pd.DataFrame(track_rows, columns=track_columns(labels))
    probabilities = pd.DataFrame(prob_rows, columns=probability_columns(labels))
    logits = pd.DataFrame(logit_rows, columns=logit_columns(labels))
    timeline = pd.DataFrame(timeline_rows, columns=timeline_columns(labels))
    problem_table = pd.DataFrame(problems, columns=PROBLEM_COLUMNS)
    summary = summarise(tracks, problem_table, genre=genre)
    note = synthetic_note(ensemble)
    if note:  # the summary is what gets read: say there that the verdicts come from generated music
        summary += f"\n\nNote: {note}."

    written = {}
    for filename, table in ((TRACKS_FILE, tracks), (PROBABILITIES_FILE, probabilities), (LOGITS_FILE, logits),
                            (TIMELINE_FILE, timeline), (PROBLEMS_FILE, problem_table)):
        table.to_csv(target / filename, index=False, float_format="%.6g")
        written[filename] = target / filename
    focus = genre or (tracks["genre"].value_counts().index[0] if len(tracks) else None)
    figure = plot_album(tracks, timeline, labels, path=target / FIGURE_FILE, focus=focus,
                        title=f"{folder.name}: {ensemble.name}")
    written[FIGURE_FILE] = figure
    (target / SUMMARY_FILE).write_text(summary + "\n")
    written[SUMMARY_FILE] = target / SUMMARY_FILE
    seconds = time.perf_counter() - started
    settings = {"window_seconds": window_seconds, "hop_seconds": hop_seconds, "middle_seconds": middle_seconds,
                "recursive": recursive, "seconds": seconds}
    (target / README_FILE).write_text(_readme(folder, ensemble, settings, summary, len(files), problem_table))
    written[README_FILE] = target / README_FILE
    return AlbumReport(folder, target, labels, tracks, probabilities, logits, timeline, problem_table, summary,
                       figure, written, seconds)


def _track_rows(key: dict, prediction, duration: float, ensemble: Ensemble) -> tuple[list, list, list, list]:
    """One analysed track's rows of tracks.csv (one), probabilities.csv and logits.csv (one per
    model) and timeline.csv (one per window); ``key`` holds ``track``, ``file`` and ``title``."""
    labels = list(ensemble.labels)
    windows = prediction.windows
    window_proba = windows[labels].to_numpy(dtype=np.float64)
    scored = ~np.isnan(window_proba).any(axis=1)
    winners = [labels[i] for i in window_proba[scored].argmax(axis=1)]
    timeline_genre, share = _majority(winners, window_proba[scored], labels)
    if prediction.notes:  # what decodes is shorter than the header says
        duration = float(windows["end_s"].max())
    track = {**key, "duration_s": round(duration, 3), "genre": prediction.genre,
             "probability": float(prediction.probabilities.max()), "timeline_genre": timeline_genre,
             "timeline_share": share, "note": "; ".join(prediction.notes),
             **dict(zip(labels, prediction.probabilities))}
    prob_rows, logit_rows = [], []
    for member, member_prediction, weight in zip(ensemble.members, prediction.members, ensemble.weights):
        ident = {**key, "model": member.name, "run": member.run, "family": member.family}
        proba = dict.fromkeys(labels, 0.0) | dict(zip(member_prediction.labels, member_prediction.probabilities))
        prob_rows.append({**ident, "weight": float(weight), "genre": member_prediction.genre, **proba})
        scores = dict(zip(member_prediction.labels, member_prediction.log_scores))
        logit_rows.append({**ident, "kind": member_prediction.score_kind, **{g: scores.get(g, np.nan) for g in labels}})
    timeline_rows = [{**key, "window": i, "start_s": row.start_s, "end_s": row.end_s,
                      "genre": labels[int(np.argmax(window_proba[i]))] if scored[i] else "",
                      **dict(zip(labels, window_proba[i]))}
                     for i, row in enumerate(windows.itertuples(index=False))]
    return [track], prob_rows, logit_rows, timeline_rows


def _majority(winners: list[str], proba: np.ndarray, labels: list[str]) -> tuple[str, float]:
    """The genre winning most windows (ties: the higher mean probability) and its share of windows."""
    if not winners:
        return "", 0.0
    counts = pd.Series(winners).value_counts()
    best = counts[counts == counts.max()].index.tolist()
    if len(best) > 1:
        mean = proba.mean(axis=0)
        best.sort(key=lambda g: -mean[labels.index(g)])
    return best[0], round(float(counts[best[0]]) / len(winners), 4)


def summarise(tracks: pd.DataFrame, problems: pd.DataFrame | None = None, *, genre: str | None = None) -> str:
    """A plain summary of an album analysis.

    E.g. ``"2 of 16 tracks are classified country: AMEN, SMOKE HOUR II; most others pop (9) and
    hiphop (4)."``, then how many tracks have country leading at least one timeline window, the
    tracks analysed only as far as they decode, and the files that were skipped.

    Parameters
    ----------
    tracks : pd.DataFrame
        ``tracks.csv`` (columns ``title``, ``genre``, ``timeline_genre`` are used).
    problems : pd.DataFrame, optional
        ``problems.csv``.
    genre : str, optional
        The genre asked about; default the most frequent one.
    """
    n = len(tracks)
    lines = []
    if n == 0:
        lines.append("No track could be analysed.")
    else:
        counts = tracks["genre"].value_counts()
        focus = genre or counts.index[0]
        hits = tracks[tracks["genre"] == focus]
        noun = "track is" if len(hits) == 1 and n == 1 else "tracks are"
        head = f"{len(hits)} of {n} {noun} classified {focus}"
        if len(hits) == n:
            lines.append(f"All {n} tracks are classified {focus}: {_titles(hits)}.")
        else:
            others = counts.drop(focus, errors="ignore")
            rest = " and ".join(f"{g} ({c})" for g, c in others.head(2).items())
            more = f", then {', '.join(others.index[2:])}" if len(others) > 2 else ""
            listed = f": {_titles(hits)}" if len(hits) else ""
            lead = "most others" if len(hits) else "most are"
            lines.append(f"{head}{listed}; {lead} {rest}{more}.")
        timeline = tracks.get("timeline_genre")
        if timeline is not None:
            agree = int((tracks["timeline_genre"] == tracks["genre"]).sum())
            lines.append(f"On the timeline, {int((timeline == focus).sum())} of {n} tracks are mostly {focus}; "
                         f"the timeline majority agrees with the middle of the track for {agree} of {n}.")
    notes = tracks.get("note")
    if notes is not None and (notes.fillna("") != "").any():
        noted = tracks[notes.fillna("") != ""]
        listed = "; ".join(f"{r.file} ({r.note})" for r in noted.itertuples(index=False))
        lines.append(f"{len(noted)} track{'s were' if len(noted) != 1 else ' was'} analysed only as far as "
                     f"{'they decode' if len(noted) != 1 else 'it decodes'}: {listed}.")
    if problems is not None and len(problems):
        skipped = "; ".join(f"{r.file} ({r.reason})" for r in problems.itertuples(index=False))
        lines.append(f"{len(problems)} file{'s' if len(problems) != 1 else ''} could not be analysed: {skipped}.")
    return "\n".join(lines)


def _titles(rows: pd.DataFrame) -> str:
    return ", ".join(str(t) for t in rows["title"])


def _suffixes() -> list[str]:
    return list(AUDIO_EXTENSIONS)


def _fresh_folder(root: Path, name: str) -> Path:
    """A new ``<root>/<YYYYmmdd-HHMMSS>-<name>`` folder, never one that exists."""
    slug = re.sub(r"[^A-Za-z0-9.+-]+", "-", name).strip("-")[:60] or "album"
    return unique_dir(root, f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}")


def _readme(folder: Path, ensemble, settings: dict, summary: str, n_files: int, problems: pd.DataFrame) -> str:
    lines = [
        f"# Album analysis: {folder.name}",
        "",
        f"Folder `{folder}`, {n_files} audio files, analysed {time.strftime('%Y-%m-%d %H:%M:%S')} "
        f"in {settings['seconds']:.1f} s.",
        "",
        "## Summary",
        "",
        summary,
        "",
        "## Models (soft voting: weighted mean of probabilities)",
        "",
        "| model | family | run | weight | sample rate (Hz) | model window (s) |",
        "|---|---|---|---:|---:|---:|",
    ]
    for member, weight in zip(ensemble.members, ensemble.weights):
        window = "-" if member.window_seconds is None else f"{member.window_seconds:g}"
        lines.append(f"| {member.name} | {member.family} | {member.run or '-'} | {weight:.3f} | {member.sample_rate} | {window} |")
    families = {m.family for m in ensemble.members}
    if len(ensemble.members) < 3 or len(families) < 2:
        lines += ["", f"Note: the album study calls for at least three models of different families; this ensemble "
                      f"has {len(ensemble.members)} model(s) of {len(families)} famil{'y' if len(families) == 1 else 'ies'}."]
    lines += [
        "",
        "## Settings",
        "",
        f"- genre of a track: the middle {settings['middle_seconds']:g} s (whole track if shorter), each model "
        "with the preprocessing its run recorded",
        f"- timeline: {settings['window_seconds']:g} s windows every {settings['hop_seconds']:g} s; the last window "
        f"ends at the end of the track (the last full window stretches there when an extra window would add less "
        f"than {MIN_NEW_FRACTION:.0%} of a window); a track at most that much longer than a window is one window, "
        "drawn without a timeline in the figure",
        f"- sub-folders: {'included' if settings['recursive'] else 'not included'}",
        f"- skipped files: {len(problems)} (see problems.csv)",
        "",
        "## Files",
        "",
        _output_doc(),
    ]
    return "\n".join(lines).rstrip() + "\n"


def _output_doc() -> str:
    """The 'Output folder' section of this module's docstring as a Markdown list (the CSV column reference)."""
    text = __doc__ or ""
    marker = "Output folder\n-------------\n"
    if marker not in text:
        return ""
    items: list[str] = []
    for line in text.split(marker, 1)[1].strip().splitlines():
        if line and not line.startswith(" "):
            items.append(f"- {line.strip()}:")
        elif line.strip() and items:
            items[-1] += " " + line.strip()
    return "\n".join(items)
