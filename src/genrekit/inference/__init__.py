"""One inference API for every saved run: audio in, genre probabilities out.

:func:`load_predictor` opens any run folder (classic, torch, hf, or a saved ensemble), or several
as an :class:`Ensemble`, through the family loader the registry names for it, and wraps what it
returns in a :class:`Predictor`, one class per kind of model input:

======================  ======================================================================
what the run holds      how audio becomes a prediction (all settings read from the run)
======================  ======================================================================
a feature model         :class:`FeaturePredictor`: the audio is resampled to the run's sample
(``classic``, and the   rate; features are extracted with the run's ``[features]`` table, per
zero-shot models)       chunk of ``data.chunk_seconds`` every ``data.hop_seconds`` when the run
                        was trained on chunks, else per clip of ``data.clip_seconds``; the
                        prediction is the mean of the rows' probabilities (as evaluation scores
                        a track)
a network               :class:`NetworkPredictor`: the family's loaded network cuts the audio
(``torch``, ``hf``)     into its inputs as in training (``chunk_seconds`` every
                        ``hop_seconds``); its front-end turns them into spectrograms or
                        extractor inputs; the prediction is the mean of the chunks' softmax
======================  ======================================================================

so the caller never chooses a sample rate, a feature setting or a chunk length. Any format
:func:`genrekit.data.audio.load_audio` reads, of any length, mono or multichannel, at any sample
rate is accepted; it is mixed to mono and resampled for each model.

:class:`Ensemble` has the same interface and soft-votes: its probabilities are the weighted mean
of its members' probabilities (labels aligned by name).

Logits
    :attr:`Prediction.logits` is the mean over the model's input chunks of the network's
    pre-softmax outputs, for networks. Feature models (and ensembles) have no logits: the field is
    None and :attr:`Prediction.log_scores` gives log-probabilities instead. Note that for a
    network the probabilities are the mean of the chunks' softmax (the evaluation rule), so they
    are not ``softmax(logits)`` unless the audio is one chunk.

Timelines
    ``timeline=True`` adds :attr:`Prediction.windows`: windows of ``window_seconds`` (default
    30 s) every ``hop_seconds`` (default half a window) over the signal, each predicted as the
    run predicts one clip (a feature model trained on 6 s clips scores a 30 s window as five 6 s
    clips). The last window is aligned to the end of the signal so the whole signal is covered,
    unless it would add less than :data:`MIN_NEW_FRACTION` of a window of audio no other window
    holds: the last full window then stretches to the end instead, so a signal shorter than a
    window, or at most 10 % longer, is one window. A window the model cannot score (digital
    silence, for a network) gets NaN probabilities.

Modules: :mod:`~genrekit.inference.prediction` (the result and the timeline windows),
:mod:`~genrekit.inference.predictor` (the base: files, arrays, middles, timelines),
:mod:`~genrekit.inference.families` (:class:`FeaturePredictor`, :class:`NetworkPredictor`),
:mod:`~genrekit.inference.ensemble` (:class:`Ensemble`), :mod:`~genrekit.inference.loading`
(:func:`load_predictor`, :func:`synthetic_note`).
"""

from genrekit.inference.ensemble import Ensemble
from genrekit.inference.families import FeaturePredictor, NetworkPredictor
from genrekit.inference.loading import (
    HUB_PREFIX,
    REAL_MUSIC_ADVICE,
    SYNTHETIC_DATASET,
    hub_folder,
    load_predictor,
    synthetic_members,
    synthetic_note,
    wrap_loaded,
)
from genrekit.inference.prediction import (
    DEFAULT_MIDDLE_SECONDS,
    DEFAULT_WINDOW_SECONDS,
    MIN_NEW_FRACTION,
    Prediction,
    timeline_spans,
    window_frame,
)
from genrekit.inference.predictor import Predictor

__all__ = [
    "DEFAULT_MIDDLE_SECONDS",
    "DEFAULT_WINDOW_SECONDS",
    "HUB_PREFIX",
    "MIN_NEW_FRACTION",
    "REAL_MUSIC_ADVICE",
    "SYNTHETIC_DATASET",
    "Ensemble",
    "FeaturePredictor",
    "NetworkPredictor",
    "Prediction",
    "Predictor",
    "hub_folder",
    "load_predictor",
    "synthetic_members",
    "synthetic_note",
    "timeline_spans",
    "window_frame",
    "wrap_loaded",
]
