"""A reasoned mapping from musicnn's tag probabilities to genres, for zero-shot classification.

Neither musicnn model was trained on genre labels as GTZAN or FMA define them: ``MSD_musicnn``
predicts Last.fm tags (genres, eras, moods, voice), ``MTT_musicnn`` MagnaTagATune's (mostly
instruments and voice, a few genres). A genre's score is a hand-set linear function of the 100
tag probabilities (averaged over the 3 s patches of a clip)::

    score(g) = sum_t  w(g, t) * p(t)        (w > 0: evidence for g, w < 0: against g)
    P(g)     = softmax(score / temperature)  over the genres of the dataset

so the zero-shot model is a multinomial logistic regression whose weights come from musical
knowledge instead of training. The weights below were set from what the tags mean, checked on
the real recordings in ``../shared/real_audio`` and on the synthetic set, and never fitted to
labelled real music (there is none here). The reasoning, genre by genre:

* **classical**: MTT's ``classical`` tag is reliable (0.5-0.7 on orchestral recordings), backed by
  orchestral instruments (strings, violin, cello, harpsichord, harp, choir, opera). MSD has no
  classical tag, and its ``jazz`` tag absorbs acoustic instrumental music (0.35 on a Brahms
  string orchestra), so MTT's classical counts *against* jazz, and beats/drums count against
  classical.
* **jazz** and **blues**: MSD's tags of those names; a trumpet or piano solo reads as jazz.
* **country**: MSD and MTT ``country``; GTZAN has no folk class and its country clips include
  folk and acoustic songs, so MSD ``folk``/``acoustic`` and MTT ``guitar`` add to it.
* **disco**: no disco tag exists; disco is dance music of the 70s/80s with funk and soul roots,
  so ``dance``, ``70s``, ``80s``, ``funk``, ``soul`` and ``party`` are its evidence.
* **hiphop**: MSD ``Hip-Hop`` (and ``rnb``); MTT ``beats``.
* **metal**: MSD ``metal``, ``heavy metal``, ``hard rock``; MTT ``metal``, ``loud``.
* **pop**: MSD ``pop``, ``catchy``, ``indie pop``, ``00s``; MTT ``pop``. GTZAN's pop is produced
  mainstream pop, so folk and acoustic tags count against it (and for country).
* **reggae**: no tag names it, in either model. Reggae reads in Last.fm tags as a mix of
  ``soul``, ``funk``, ``chillout``/``chill``, ``70s`` and some ``Hip-Hop`` without ``dance``
  or rock tags, which is the evidence used: expect reggae to be the weakest genre zero-shot.
* **rock**: MSD's rock family (rock, classic/alternative/indie/hard/progressive rock, punk) and
  MTT ``rock``; electronic and classical tags count against it.
* FMA's top genres add **electronic** (MSD electronic/electronica/electro/House, MTT techno,
  electronic, synth), **experimental** (MSD experimental, MTT weird), **folk**, **instrumental**
  (MSD instrumental, MTT no vocals), **international** (MTT indian, sitar: the only world-music
  tags), **easy listening**, **old-time / historic** (MSD oldies, 60s), **soul-rnb** and
  **spoken** (MTT voice tags without instruments).

Genre names are matched after lower-casing and dropping everything but letters and digits
(``Hip-Hop`` -> ``hiphop``, ``Old-Time / Historic`` -> ``oldtimehistoric``); a few synonyms are
accepted (``rap``, ``r&b``, ``electronica``, ...).
"""

from __future__ import annotations

import re

import numpy as np

from genrekit.errors import ConfigError

#: Bumped whenever a weight below changes: the default zero-shot run folder is named after it, so
#: a changed mapping never reuses a run made with the old one.
MAPPING_VERSION = 1

#: Softmax temperature: score differences of 0.2-0.5 (typical between a clear and a runner-up
#: genre) become odds of about 7:1 to 150:1.
TEMPERATURE = 0.1

# (model, tag, weight); models: "MSD" or "MTT" (MSD_musicnn / MTT_musicnn)
_AGAINST_ELECTRONIC = [("MTT", "techno", -0.3), ("MSD", "electronic", -0.2)]
_AGAINST_CLASSICAL = [("MTT", "classical", -0.5)]

EVIDENCE: dict[str, list[tuple[str, str, float]]] = {
    "blues": [("MSD", "blues", 1.0), ("MSD", "guitar", 0.2), ("MSD", "oldies", 0.1), ("MSD", "soul", 0.1),
              *_AGAINST_ELECTRONIC, ("MTT", "classical", -0.3)],
    "classical": [("MTT", "classical", 1.0), ("MTT", "strings", 0.4), ("MTT", "violin", 0.4), ("MTT", "cello", 0.4),
                  ("MTT", "harpsichord", 0.5), ("MTT", "opera", 0.5), ("MTT", "choral", 0.4), ("MTT", "choir", 0.3),
                  ("MTT", "classic", 0.3), ("MTT", "harp", 0.3), ("MTT", "flute", 0.2),
                  ("MTT", "drums", -0.5), ("MTT", "beat", -0.5), ("MTT", "techno", -0.5), ("MTT", "rock", -0.3),
                  ("MSD", "rock", -0.3)],
    "country": [("MSD", "country", 1.0), ("MTT", "country", 1.0), ("MSD", "folk", 1.0), ("MSD", "acoustic", 0.5),
                ("MTT", "guitar", 0.15), *_AGAINST_ELECTRONIC, *_AGAINST_CLASSICAL],
    "disco": [("MSD", "dance", 0.6), ("MSD", "70s", 0.6), ("MSD", "80s", 0.4), ("MSD", "funk", 0.6),
              ("MSD", "soul", 0.3), ("MSD", "party", 0.4), ("MSD", "House", 0.3), ("MTT", "dance", 0.5),
              *_AGAINST_CLASSICAL, ("MSD", "metal", -0.3)],
    "hiphop": [("MSD", "Hip-Hop", 1.2), ("MSD", "rnb", 0.3), ("MTT", "beats", 0.3), *_AGAINST_CLASSICAL,
               ("MSD", "metal", -0.3)],
    "jazz": [("MSD", "jazz", 1.0), ("MSD", "easy listening", 0.15), ("MTT", "solo", 0.1),
             ("MTT", "classical", -0.8), ("MTT", "strings", -0.3), ("MSD", "electronic", -0.3), ("MSD", "rock", -0.2)],
    "metal": [("MSD", "metal", 1.0), ("MSD", "heavy metal", 1.0), ("MSD", "hard rock", 0.5), ("MTT", "metal", 1.0),
              ("MTT", "loud", 0.2), *_AGAINST_CLASSICAL, ("MTT", "soft", -0.3), ("MTT", "quiet", -0.3)],
    "pop": [("MSD", "pop", 1.0), ("MSD", "catchy", 0.3), ("MSD", "indie pop", 0.3), ("MSD", "00s", 0.2),
            ("MSD", "happy", 0.2), ("MTT", "pop", 0.5),
            ("MSD", "folk", -0.2), ("MSD", "acoustic", -0.2), *_AGAINST_CLASSICAL, ("MSD", "metal", -0.3)],
    "reggae": [("MSD", "soul", 0.3), ("MSD", "funk", 0.3), ("MSD", "Hip-Hop", 0.3), ("MSD", "chillout", 0.3),
               ("MSD", "chill", 0.3), ("MSD", "70s", 0.3), ("MSD", "male vocalists", 0.2),
               ("MSD", "dance", -0.3), ("MSD", "rock", -0.3), *_AGAINST_CLASSICAL],
    "rock": [("MSD", "rock", 0.7), ("MSD", "classic rock", 0.6), ("MSD", "alternative rock", 0.5),
             ("MSD", "indie rock", 0.4), ("MSD", "alternative", 0.3), ("MSD", "punk", 0.6), ("MSD", "hard rock", 0.3),
             ("MSD", "Progressive rock", 0.5), ("MSD", "indie", 0.2), ("MTT", "rock", 1.0),
             *_AGAINST_CLASSICAL, ("MTT", "techno", -0.3), ("MSD", "Hip-Hop", -0.3)],
    # FMA's top genres beyond GTZAN's
    "electronic": [("MSD", "electronic", 1.0), ("MSD", "electronica", 0.6), ("MSD", "electro", 0.6),
                   ("MSD", "House", 0.6), ("MSD", "dance", 0.3), ("MTT", "techno", 0.8), ("MTT", "electronic", 0.8),
                   ("MTT", "synth", 0.4), ("MTT", "beat", 0.2), ("MTT", "guitar", -0.2), *_AGAINST_CLASSICAL],
    "experimental": [("MSD", "experimental", 1.0), ("MTT", "weird", 0.8), ("MSD", "ambient", 0.3),
                     ("MTT", "ambient", 0.2), ("MSD", "pop", -0.3), ("MSD", "catchy", -0.3)],
    "folk": [("MSD", "folk", 1.0), ("MSD", "acoustic", 0.6), ("MTT", "guitar", 0.2), ("MSD", "country", 0.2),
             *_AGAINST_ELECTRONIC, ("MTT", "drums", -0.3)],
    "instrumental": [("MSD", "instrumental", 1.0), ("MTT", "no vocals", 0.4), ("MTT", "no vocal", 0.4),
                     ("MTT", "no voice", 0.4), ("MSD", "ambient", 0.2), ("MTT", "vocal", -0.3), ("MTT", "vocals", -0.3),
                     ("MTT", "singing", -0.3), ("MSD", "female vocalists", -0.3), ("MSD", "male vocalists", -0.3)],
    "international": [("MTT", "indian", 1.0), ("MTT", "sitar", 1.0)],
    "easylistening": [("MSD", "easy listening", 1.0), ("MSD", "Mellow", 0.4), ("MSD", "chillout", 0.2),
                      ("MSD", "oldies", 0.2), ("MSD", "beautiful", 0.2), ("MTT", "soft", 0.2),
                      ("MSD", "rock", -0.3), ("MSD", "metal", -0.3)],
    "oldtimehistoric": [("MSD", "oldies", 0.8), ("MSD", "60s", 0.5), ("MSD", "electronic", -0.3),
                        ("MTT", "techno", -0.3)],
    "soulrnb": [("MSD", "soul", 1.0), ("MSD", "rnb", 1.0), ("MSD", "funk", 0.4), ("MSD", "sexy", 0.3),
                *_AGAINST_CLASSICAL],
    "spoken": [("MTT", "voice", 0.5), ("MTT", "man", 0.3), ("MTT", "woman", 0.3), ("MTT", "male voice", 0.3),
               ("MTT", "female voice", 0.3), ("MTT", "drums", -0.3), ("MTT", "guitar", -0.3), ("MTT", "beat", -0.3),
               ("MTT", "piano", -0.3)],
}

SYNONYMS = {"hiphop": "hiphop", "rap": "hiphop", "rnb": "soulrnb", "soul": "soulrnb", "randb": "soulrnb",
            "electronica": "electronic", "electro": "electronic", "edm": "electronic", "world": "international",
            "oldtime": "oldtimehistoric", "historic": "oldtimehistoric", "speech": "spoken", "orchestral": "classical"}

_MODELS = {"MSD": "MSD_musicnn", "MTT": "MTT_musicnn"}


def normalise(genre: str) -> str:
    """``'Hip-Hop'`` -> ``'hiphop'``; synonyms to the names of :data:`EVIDENCE`."""
    key = re.sub(r"[^a-z0-9]+", "", genre.lower().replace("&", "and"))
    return SYNONYMS.get(key, key)


def supported(genre: str) -> bool:
    return normalise(genre) in EVIDENCE


def weight_matrix(genres: list[str], feature_columns: list[str]) -> np.ndarray:
    """The weights ``w(g, t)`` laid out for a feature table: (n_features, n_genres).

    Parameters
    ----------
    genres : list of str
        The dataset's genre names (any spelling :func:`normalise` maps to a known genre).
    feature_columns : list of str
        The columns of the ``musicnn`` feature kind with the ``taggram`` embedding
        (:func:`genrekit.pretrained.musicnn_features.tag_column` names).

    Raises
    ------
    ConfigError
        If a genre has no mapping, or a tag the mapping needs is not a column.
    """
    # imports torch only when needed
    from genrekit.pretrained.musicnn_features import tag_column

    unknown = [g for g in genres if not supported(g)]
    if unknown:
        raise ConfigError(f"the musicnn zero-shot model has no tag mapping for genre(s) {', '.join(unknown)}; "
                          f"it knows {', '.join(sorted(EVIDENCE))} (matched ignoring case and punctuation)")
    index = {c: i for i, c in enumerate(feature_columns)}
    W = np.zeros((len(feature_columns), len(genres)))
    for j, genre in enumerate(genres):
        for model, tag, weight in EVIDENCE[normalise(genre)]:
            column = tag_column(_MODELS[model], tag)
            if column not in index:
                raise ConfigError(f"the zero-shot mapping needs feature column {column!r} (features.kind = 'musicnn', "
                                  "features.embedding = 'taggram')")
            W[index[column], j] += weight
    return W
