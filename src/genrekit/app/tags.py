"""musicnn's top tags of an upload, for the panel beside the genres.

One extractor (:class:`Tagger`: the MSD model's genres and moods, the MTT model's instruments and
voice) is loaded at start-up and tags the middle :data:`TAG_SECONDS` of each upload.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from genrekit.app.sources import FETCH_COMMAND
from genrekit.app.uploads import clock
from genrekit.config import FeatureConfig
from genrekit.data.audio import prepare_array
from genrekit.errors import AudioError, ConfigError
from genrekit.pretrained.weights import WeightsError, have_weights, missing_weights_message

#: musicnn tags shown per model, and the seconds of each upload (its middle) they describe.
TAG_COUNT = 5
TAG_SECONDS = 30.0
#: The tag panel's column headings: what each musicnn model's 50 tags are mostly about.
TAG_COLUMNS = {"MSD_musicnn": "genre & mood (MSD)", "MTT_musicnn": "instruments & voice (MTT)"}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TagPanel:
    """What the tag panel shows for one upload: musicnn's top tags, or why there are none.

    Attributes
    ----------
    tags : dict of str to list of (str, float)
        Per musicnn model (keys of :data:`TAG_COLUMNS`), its most probable tags with their
        probabilities (independent sigmoid outputs: they do not sum to 1).
    seconds : float
        Seconds of audio tagged (0 when none).
    middle : bool
        True if only the middle of a longer upload was tagged.
    note : str or None
        Why there are no tags (e.g. the audio is shorter than one 3 s musicnn patch).
    """

    tags: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    seconds: float = 0.0
    middle: bool = False
    note: str | None = None

    def markdown(self) -> str:
        """A heading and a small table, one column per model; or the heading and the note."""
        if self.note is not None or not self.tags:
            return f"**musicnn tags**: {self.note or 'none'}"
        span = f"the middle {clock(self.seconds)}" if self.middle else clock(self.seconds)
        models = list(self.tags)
        rows = [f"| {' | '.join(TAG_COLUMNS.get(m, m) for m in models)} |", "|" + " :-- |" * len(models)]
        for i in range(max(len(v) for v in self.tags.values())):
            cells = [f"{column[i][0]} {column[i][1]:.0%}" if i < len(column) else "" for column in self.tags.values()]
            rows.append(f"| {' | '.join(cells)} |")
        return f"**musicnn tags** (of {span})\n\n" + "\n".join(rows)


class Tagger:
    """musicnn's top tags of an upload's middle, for the panel beside the genres.

    Holds one :class:`~genrekit.pretrained.musicnn.MusicnnExtractor` (both models, one shared
    spectrogram) for the life of the process: load it once at start-up and let
    :func:`~genrekit.app.serving.warm_up` run it, so no request loads weights or pays for first-call
    set-up.

    Parameters
    ----------
    extractor : MusicnnExtractor
    top : int
        Tags shown per model.
    seconds : float
        Only the middle this-many seconds of an upload are tagged, so a long track costs no more
        than one GTZAN clip.
    """

    def __init__(self, extractor, *, top: int = TAG_COUNT, seconds: float = TAG_SECONDS):
        if top < 1 or not seconds > 0:
            raise ConfigError(f"a tagger needs top >= 1 and seconds > 0, got {top} and {seconds}")
        self.extractor = extractor
        self.top = int(top)
        self.seconds = float(seconds)

    @classmethod
    def load(cls, *, fetch: bool = True, device: str = "auto", **kwargs) -> Tagger:
        """Both musicnn models from the weights cache (fetched through pip first if ``fetch``).

        Raises
        ------
        genrekit.pretrained.weights.WeightsError
            If the weights are missing and cannot be fetched.
        """
        # imports torch only when needed
        from genrekit.pretrained import musicnn_features

        if not fetch and not have_weights():
            raise WeightsError(missing_weights_message())
        # the process-wide extractor of the 'musicnn' feature kind: the zero-shot model's features
        # and the tags share one copy of the weights
        return cls(musicnn_features.extractor(FeatureConfig(kind="musicnn", device=device)), **kwargs)

    def tag(self, y: np.ndarray, sr: int) -> TagPanel:
        """musicnn's top tags of the middle :attr:`seconds` of a signal.

        Parameters
        ----------
        y : np.ndarray [shape=(n,), float]
            Mono audio (an :class:`~genrekit.app.uploads.Upload`'s samples).
        sr : int
            Its rate in Hz; resampled to musicnn's 16 kHz here.

        Returns
        -------
        TagPanel
            With a note instead of tags when the middle is shorter than one musicnn patch
            (:data:`~genrekit.pretrained.musicnn.MIN_SECONDS`, 2.98 s).
        """
        # imports torch only when needed
        from genrekit.pretrained.musicnn import SAMPLE_RATE
        from genrekit.pretrained.tagging import tag_signal

        want = int(round(self.seconds * sr))
        start = max(0, (len(y) - want) // 2)
        middle = y[start : start + want]
        try:
            # a quiet middle of an audible track is still music to tag
            y16 = prepare_array(middle, sr, sr=SAMPLE_RATE, allow_silent=True)
            result = tag_signal(self.extractor, y16)
        except AudioError as exc:
            return TagPanel(seconds=len(middle) / sr, note=f"none for this audio: {exc.reason}")
        tags = {model: result.top(model, self.top) for model in result.probabilities}
        return TagPanel(tags=tags, seconds=len(middle) / sr, middle=len(middle) < len(y))


def load_tagger(*, fetch: bool = True) -> tuple[Tagger | None, str | None]:
    """:meth:`Tagger.load`, or ``(None, note)`` saying what to run when musicnn's weights cannot be had.

    The failure is also logged in one line, so the app serves its genres without tags rather than
    not at all.
    """
    try:
        return Tagger.load(fetch=fetch), None
    except WeightsError as exc:
        log.warning("no musicnn tags: the weights could not be fetched; run '%s' (%s)", FETCH_COMMAND, exc)
        return None, f"unavailable: musicnn's weights are missing; run `{FETCH_COMMAND}` and restart the app"
