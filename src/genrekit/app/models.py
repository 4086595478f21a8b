"""The model the app serves: its predictor, a card per member saying where it comes from and how
well it scored, and musicnn's tagger beside it.

:func:`load_app_model` loads what :func:`~genrekit.app.sources.model_sources` (or, with nothing
configured, :func:`~genrekit.app.sources.default_sources`) names, once, at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from genrekit.app.results import genre_colour_map
from genrekit.app.sources import ENV_RUNS, NotConfiguredError, default_sources, model_sources
from genrekit.app.tags import Tagger, load_tagger
from genrekit.data.audio import DEFAULT_SR
from genrekit.errors import RunError
from genrekit.inference import HUB_PREFIX, hub_folder, load_predictor, synthetic_note
from genrekit.intervals import INTERVAL_LEVEL, format_interval, score_intervals, unit_groups
from genrekit.pretrained.weights import have_weights
from genrekit.runs import read_run

#: What the app's synthetic-set note recommends instead (:func:`genrekit.inference.synthetic_note`).
SYNTHETIC_ADVICE = ("for real music serve the zero-shot musicnn model (the app's default, with no --run) or a run "
                    "trained on GTZAN or FMA (`--run FOLDER`, or choose it in the list of runs when the app offers one)")


@dataclass(frozen=True)
class ModelCard:
    """What the app says about one model: where it comes from and how well it scored.

    Attributes
    ----------
    source : str
        The run folder or ``hf:`` id it was loaded from.
    name, family, model : str
        Experiment name, model family ('classic', 'torch', 'hf') and registered model name.
    dataset, split_kind : str
        What it was trained on and how that was split (from ``run.json`` / ``metrics.json``).
    test_accuracy, test_macro_f1 : float or None
        Test scores per track, from ``metrics.json``.
    accuracy_interval : tuple of float or None
        The 95 % interval of the test accuracy (:func:`genrekit.intervals.score_intervals`, over
        artists where the run knows them).
    n_test : int or None
        Number of test tracks behind those scores.
    leaky : bool
        True if the split put parts of one track on both sides (its scores are inflated).
    zero_shot : bool
        True for an untrained model (``run.json``'s ``extra.zero_shot``, e.g. musicnn's tags mapped
        to genres): it has no training set, and test scores only if it was scored on a dataset.
    """

    source: str
    name: str
    family: str
    model: str
    dataset: str = "unknown"
    split_kind: str = "unknown"
    test_accuracy: float | None = None
    test_macro_f1: float | None = None
    n_test: int | None = None
    leaky: bool = False
    zero_shot: bool = False
    accuracy_interval: tuple[float, float] | None = None

    @classmethod
    def from_run(cls, run_dir: str | Path, *, interval: bool = True) -> ModelCard:
        """Read ``run.json`` and ``metrics.json`` of a run folder (raises :class:`RunError`);
        ``interval=False`` skips the accuracy's interval (a bootstrap: the run picker labels many runs)."""
        record = read_run(run_dir)
        test = record.metrics.get("test") or {}
        kind = record.metrics.get("split_kind") or record.info.split_kind or "unknown"
        accuracy_interval = None
        if interval and test.get("confusion"):
            groups, _ = unit_groups(record.path, test)
            accuracy_interval = score_intervals(test, groups=groups)["accuracy"]
        return cls(
            source=str(run_dir),
            name=record.info.name or record.config.name,
            family=record.info.family,
            model=record.info.model,
            dataset=record.info.dataset or "unknown",
            split_kind=kind,
            test_accuracy=_float_or_none(test.get("accuracy")),
            test_macro_f1=_float_or_none(test.get("macro_f1")),
            n_test=test.get("n") if test.get("n") is not None else record.info.n_test,
            leaky=bool(record.metrics.get("leaky")) or str(kind).startswith("leaky"),
            zero_shot=bool((record.info.extra or {}).get("zero_shot")),
            accuracy_interval=accuracy_interval,
        )

    def markdown(self) -> str:
        """One Markdown line: the run and model, what it was trained on, the test set (size and split)
        and its scores (or that it is zero-shot)."""
        leak = " (**LEAKY split: inflated score**)" if self.leaky else ""
        size = f"{self.n_test} tracks" if self.n_test else "size not recorded"
        if self.test_accuracy is None:
            score = "no test score recorded"
        else:
            f1 = f", macro F1 {self.test_macro_f1:.3f}" if self.test_macro_f1 is not None else ""
            within = (f" ({INTERVAL_LEVEL:.0%} interval {format_interval(self.accuracy_interval, digits=2)})"
                      if self.accuracy_interval is not None else "")
            score = f"test accuracy **{self.test_accuracy:.3f}**{within}{f1}"
        tested = f"test set: {size}, *{self.split_kind}* split{leak}; {score}"
        run = Path(self.source).name if not self.source.startswith(HUB_PREFIX) else self.source
        head = f"**{self.name}** — model `{self.model}` ({self.family} family), run `{run}`"
        if self.zero_shot:
            scored = (f"scored on *{self.dataset}*, {tested}" if self.test_accuracy is not None
                      else "not scored on any dataset, so no test accuracy")
            return (f"{head}, **zero-shot**: no training; the tags of musicnn (CNNs trained on real music, "
                    f"Pons & Serra 2019) are mapped to genres by a fixed rule; {scored}")
        return f"{head}, trained on *{self.dataset}*; {tested}"


def _float_or_none(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


@dataclass
class AppModel:
    """The loaded predictor (one model, or a soft-voting ensemble) with a card per member.

    Attributes
    ----------
    predictor : genrekit.inference.Predictor
    cards : list of ModelCard
    tagger : Tagger or None
        musicnn's tags for the panel beside the genres; None when tags are off or unavailable.
    tag_note : str or None
        Why there is no tagger when tags were asked for (shown in the panel instead).
    """

    predictor: Any
    cards: list[ModelCard]
    tagger: Tagger | None = None
    tag_note: str | None = None

    @property
    def labels(self) -> list[str]:
        return list(self.predictor.labels)

    @property
    def sample_rate(self) -> int:
        return int(getattr(self.predictor, "sample_rate", None) or DEFAULT_SR)

    @property
    def window_seconds(self) -> float | None:
        value = getattr(self.predictor, "window_seconds", None)
        return None if value is None else float(value)

    @property
    def colours(self) -> dict[str, str]:
        """A fixed colour per genre for the bar chart and the timeline (:func:`genre_colour_map`)."""
        return genre_colour_map(self.labels)

    @property
    def synthetic_note(self) -> str | None:
        """One sentence saying the model (or an ensemble member) was trained on the synthetic set only,
        or None: the project's one rule for this (:func:`genrekit.inference.synthetic_note`), with
        advice in the app's terms (:data:`SYNTHETIC_ADVICE`)."""
        note = synthetic_note(self.predictor, advice=SYNTHETIC_ADVICE)
        return None if note is None else f"{note[:1].upper()}{note[1:]}."

    def markdown(self) -> str:
        """Which model answers, as Markdown."""
        if len(self.cards) == 1:
            return f"Model: {self.cards[0].markdown()}"
        lines = [f"Model: a soft-voting ensemble of {len(self.cards)} runs"]
        lines += [f"- {card.markdown()}" for card in self.cards]
        return "\n".join(lines)


def load_app_model(
    runs: str | Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    app_dir: str | Path | None = None,
    tags: bool = False,
) -> AppModel:
    """Load the model(s) the app serves, once, at start-up.

    Parameters
    ----------
    runs, environ, app_dir
        As :func:`model_sources`; with nothing configured, :func:`default_sources` answers (the
        zero-shot musicnn model, fetching its weights if needed).
    tags : bool
        Also load musicnn for the tag panel (:meth:`Tagger.load`, fetching the weights if needed);
        if that fails the model still loads, with :attr:`AppModel.tag_note` saying why.

    Raises
    ------
    NoModelError
        Nothing configured, and neither the zero-shot model nor a trained default model available.
    RunError, ConfigError
        A configured run folder is missing or incomplete, or a hub model cannot be fetched.
    """
    defaulted = False
    try:
        sources = model_sources(runs, environ=environ, app_dir=app_dir)
    except NotConfiguredError:
        sources, defaulted = default_sources(), True
    predictors, cards = [], []
    for source in sources:
        predictor, card = _load_source(source)
        predictors.append(predictor)
        cards.append(card)
    predictor = load_predictor(predictors)  # one model, or a soft-voting ensemble of several
    model = AppModel(predictor=predictor, cards=cards)
    if tags:
        # a default that fell back to a trained run has just failed to fetch: do not wait on pip twice
        model.tagger, model.tag_note = load_tagger(fetch=not (defaulted and not have_weights()))
    return model


def _load_source(source: str):
    """The predictor and model card of one configured source: a run folder, or ``hf:ORG/NAME``
    (a genrekit run folder pushed to the Hugging Face hub, downloaded once into its cache)."""
    if source.startswith(HUB_PREFIX):
        folder = hub_folder(source[len(HUB_PREFIX):])
        try:
            return load_predictor(folder), replace(ModelCard.from_run(folder), source=source)
        except RunError as exc:
            raise RunError(f"{source}: not a genrekit run folder pushed to the hub ({exc})") from None
    folder = Path(source).expanduser()
    if not folder.is_dir():
        raise RunError(f"{folder}: not a run folder (does not exist); check --run / {ENV_RUNS}")
    return load_predictor(folder), ModelCard.from_run(folder)
