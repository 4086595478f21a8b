"""Train/validation/test splits that do not leak.

A genre classifier tested on clips of artists it was trained on, or on other chunks of clips it was
trained on, scores far higher than it deserves: GTZAN's repeated artists and near-duplicate clips
inflate accuracy by 10-20 points (Sturm 2013; Kereliuk, Sturm & Larsen 2015). So splits are made per
track (never per chunk), per artist when artists are known, and may be read from published lists.
:func:`leaky_chunk_split` exists only to measure how much the leaky protocol inflates scores.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from genrekit.data.index import SPLITS, TrackIndex
from genrekit.errors import ConfigError, DatasetError

#: The split kind of the leaky comparison protocol (random chunk split).
LEAKY_SPLIT = "leaky-chunks"

#: Split kinds :func:`assign_splits` knows, with a one-line description.
SPLIT_KINDS: dict[str, str] = {
    "auto": "official if the dataset has one (FMA), else artist-grouped if artists are known, else random",
    "random": "random per track, stratified by genre (leaks artists if the dataset repeats them)",
    "artist": "stratified by genre, and no artist appears on two sides (a random split, recorded as 'random', "
              "when no artist is known)",
    "filtered": "GTZAN fault-filtered split of Kereliuk, Sturm & Larsen (2015): faulty clips removed, artists disjoint",
    "official": "the dataset's own split (FMA's set/split column)",
    "leaky-chunks": "LEAKY, for comparison only: chunks of one track land on different sides",
}

class SplitWarning(UserWarning):
    """A split other than the one asked for was made (and is recorded as what it is)."""


#: File names of the fault-filtered GTZAN split lists, per side.
FILTERED_FILES = {"train": "train_filtered.txt", "valid": "valid_filtered.txt", "test": "test_filtered.txt"}

# The local search compares every pair of groups on two sides, with restarts; past this many groups
# (FMA with its thousands of artists) the greedy pass alone is used, and does well on many small groups.
_SEARCH_MAX_GROUPS = 1000
_SEARCH_MAX_ROUNDS = 500
_RESTARTS = 8

_FILTERED_SOURCE = (
    "the lists train_filtered.txt, valid_filtered.txt and test_filtered.txt are in the gtzan/ folder of "
    "github.com/coreyker/dnn-mgr (Kereliuk, Sturm & Larsen, 'Deep learning and music adversaries', "
    "IEEE TMM 2015); point data.split_dir at the folder holding them (--set data.split_dir=DIR with genrekit "
    "run, train or experiment; --split-dir DIR with genrekit data info)"
)


def assign_splits(
    index: TrackIndex,
    *,
    kind: str = "auto",
    seed: int = 0,
    valid_fraction: float = 0.15,
    test_fraction: float = 0.15,
    split_dir: str | Path | None = None,
) -> TrackIndex:
    """Fill the ``split`` column of a track index.

    Parameters
    ----------
    index : TrackIndex
        Tracks to split; not modified.
    kind : str
        One of :data:`SPLIT_KINDS`. ``'leaky-chunks'`` fills a random track-level split (so
        track-level code still works) and marks the index so chunk-level code re-splits chunks
        with :func:`leaky_chunk_split`.
    seed : int
        Same seed, same index -> same split.
    valid_fraction, test_fraction : float
        Target shares of tracks for validation and test ('random', 'artist'); each genre is
        split in these proportions as closely as the artist groups allow.
    split_dir : str or Path or None
        Folder with the ``*_filtered.txt`` lists (``'filtered'`` only).

    Returns
    -------
    TrackIndex
        A new index with ``split`` in {'train', 'valid', 'test'} for every track and
        ``split_kind`` set to the kind actually made: 'auto' resolved, and 'artist' becomes
        'random' (with a warning and a note) when no track has a known artist, since every track
        is then its own group. 'filtered' and 'official' drop tracks they do not place, and say
        how many in ``notes``.

    Raises
    ------
    ConfigError
        For an unknown kind, bad fractions, 'official' without a split column, or 'filtered'
        without its lists.
    DatasetError
        If 'filtered' places none of the tracks (not GTZAN).
    """
    if kind not in SPLIT_KINDS:
        raise ConfigError(f"unknown split kind {kind!r}; choose one of: {', '.join(SPLIT_KINDS)}")
    _check_fractions(valid_fraction, test_fraction)
    tracks = index.tracks.copy()
    notes = list(index.notes)
    if len(tracks) == 0:
        raise DatasetError(f"{index.name}: no tracks to split")

    if kind == "auto":
        kind = _auto_kind(tracks)
        notes.append(f"split kind 'auto' chose '{kind}'")
    elif kind == "artist" and not _known_artists(tracks).any():
        # every track would be its own group: that is a random split, and results must say so
        message = (f"{index.name}: artist split asked for, but no track has a known artist; made a random split "
                   "per track instead (recorded as 'random')")
        warnings.warn(message, SplitWarning, stacklevel=2)
        notes.append(message)
        kind = "random"
    rng = np.random.default_rng(seed)
    fractions = (1.0 - valid_fraction - test_fraction, valid_fraction, test_fraction)

    if kind == "official":
        if tracks["split"].isna().all():
            raise ConfigError(f"{index.name} has no official split; use 'artist' or 'random'")
        bad = ~tracks["split"].isin(SPLITS)
        if bad.any():
            notes.append(f"{int(bad.sum()):,} tracks without an official split dropped")
            tracks = tracks[~bad]
    elif kind in ("random", "leaky-chunks"):
        tracks["split"] = _stratified_random(tracks["genre"].to_numpy(), fractions, rng)
        if kind == "leaky-chunks":
            notes.append("leaky-chunks: the track-level split is random; chunk-level pipelines re-split chunks with "
                         "leaky_chunk_split, which leaks (for comparison only)")
    elif kind == "artist":
        groups = _artist_groups(tracks)
        genres = tracks["genre"].to_numpy()
        split = _grouped_stratified(genres, groups, fractions, rng)
        tracks["split"] = _train_every_genre(genres, groups, split, notes)
        known = int(_known_artists(tracks).sum())
        notes.append(f"artist split: {known:,} of {len(tracks):,} tracks have a known artist; "
                     "each track of unknown artist is its own group")
    elif kind == "filtered":
        tracks = _filtered(tracks, split_dir, notes, name=index.name)

    tracks = tracks.reset_index(drop=True)
    return TrackIndex(index.name, tracks, list(index.problems), kind, notes)


def _check_fractions(valid_fraction: float, test_fraction: float) -> None:
    if not (0 <= valid_fraction < 1 and 0 <= test_fraction < 1 and valid_fraction + test_fraction < 1):
        raise ConfigError(
            f"valid_fraction ({valid_fraction}) and test_fraction ({test_fraction}) must be in [0, 1) "
            "and leave a non-empty training share"
        )


def _auto_kind(tracks: pd.DataFrame) -> str:
    if tracks["split"].notna().any():
        return "official"
    # "most": with few artists known, the unknown-artist singletons dominate and the split is
    # effectively random anyway, but labelled as if it were artist-safe
    if _known_artists(tracks).mean() >= 0.5:
        return "artist"
    return "random"


def _artist_names(tracks: pd.DataFrame) -> list[str]:
    """The normalised artist name of every track; '' when unknown (missing, blank)."""
    # a plain list, not Series.map: pandas 3 infers a string dtype and turns the None back into NaN
    artists = tracks["artist"].astype(object)
    return [" ".join(str(artist).casefold().split()) if pd.notna(artist) else "" for artist in artists]


def _known_artists(tracks: pd.DataFrame) -> np.ndarray:
    """True for tracks whose artist is known (not missing, not blank)."""
    return np.array([bool(name) for name in _artist_names(tracks)], dtype=bool)


def _artist_groups(tracks: pd.DataFrame) -> np.ndarray:
    """One group id per track: the normalised artist name, or the track's own id when unknown."""
    names = _artist_names(tracks)
    groups = [f"artist:{name}" if name else f"track:{track_id}" for name, track_id in zip(names, tracks["track_id"])]
    return np.array(groups, dtype=object)


def _side_counts(n: int, fractions: tuple[float, float, float]) -> np.ndarray:
    """Split ``n`` items into (train, valid, test) counts by largest remainder.

    Each side with a positive fraction gets at least one item when there are at least as many
    items as such sides (3 tracks of a genre: one on each side).
    """
    share = np.asarray(fractions) * n
    counts = np.floor(share).astype(int)
    for i in np.argsort(-(share - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    wanted = np.asarray(fractions) > 0
    if n >= wanted.sum():
        for i in np.flatnonzero(wanted & (counts == 0)):
            counts[i] += 1
            counts[int(np.argmax(counts))] -= 1
    return counts


def _stratified_random(genres: np.ndarray, fractions: tuple[float, float, float], rng: np.random.Generator) -> np.ndarray:
    """Random (train/valid/test) labels, each genre split in ``fractions``."""
    out = np.empty(len(genres), dtype=object)
    for genre in sorted(set(genres.tolist())):
        rows = np.flatnonzero(genres == genre)
        rows = rows[rng.permutation(len(rows))]
        counts = _side_counts(len(rows), fractions)
        out[rows] = np.repeat(np.array(SPLITS, dtype=object), counts)
    return out


def _grouped_stratified(
    genres: np.ndarray, groups: np.ndarray, fractions: tuple[float, float, float], rng: np.random.Generator
) -> np.ndarray:
    """Assign whole groups to sides so that each genre's tracks are split close to ``fractions``.

    The cost is the squared gap between per-(side, genre) counts and targets, each genre scaled
    by its size so small genres count as much as large ones. Greedy: groups largest first (ties
    in random order), each to the side where it adds least cost; then a local search moves
    single groups or swaps pairs while that lowers the cost. A few large artists per genre (as
    in GTZAN) trap this in local optima, so it restarts from random orders and keeps the best.
    Finally any empty side takes the smallest group from the side with the most groups.
    """
    genre_names, genre_ids = np.unique(genres.astype(str), return_inverse=True)
    group_names, group_ids = np.unique(groups.astype(str), return_inverse=True)
    n_groups = len(group_names)
    vectors = np.zeros((n_groups, len(genre_names)))
    np.add.at(vectors, (group_ids, genre_ids), 1.0)
    genre_totals = vectors.sum(axis=0)
    targets = np.outer(fractions, genre_totals)
    weights = 1.0 / np.maximum(genre_totals, 1.0)
    active = np.asarray(fractions) > 0
    sizes = vectors.sum(axis=1)

    search = n_groups <= _SEARCH_MAX_GROUPS
    best_cost, side_of = np.inf, None
    for attempt in range(_RESTARTS if search else 1):
        order = rng.permutation(n_groups)
        if attempt == 0:
            order = order[np.argsort(-sizes[order], kind="stable")]
        candidate = _greedy(order, vectors, targets, weights, active)
        if search:
            candidate = _improve(candidate, vectors, targets, weights, active)
        cost = _cost(candidate, vectors, targets, weights)
        if cost < best_cost - 1e-12:
            best_cost, side_of = cost, candidate

    for side in np.flatnonzero(active):
        if (side_of == side).any():
            continue
        donors = [k for k in np.flatnonzero(active) if (side_of == k).sum() > 1]
        if not donors:
            break
        donor = max(donors, key=lambda k: (side_of == k).sum())
        candidates = np.flatnonzero(side_of == donor)
        side_of[candidates[np.argmin(sizes[candidates])]] = side
    return np.array(SPLITS, dtype=object)[side_of[group_ids]]


def _train_every_genre(genres: np.ndarray, groups: np.ndarray, split: np.ndarray, notes: list[str]) -> np.ndarray:
    """Give every genre at least one training group, and say where a genre has too few groups.

    With one or two artists in a genre (small synthetic sets, tiny folders) the balanced
    assignment can leave the genre with no training track at all: no model could then ever
    predict it. The genre's smallest group on another side moves to train instead.
    """
    split = split.copy()
    genre_text = genres.astype(str)
    for genre in sorted(set(genre_text.tolist())):
        rows = genre_text == genre
        n_groups = len(set(groups[rows].tolist()))
        if n_groups < len(SPLITS):
            notes.append(f"artist split: {genre} has {n_groups} artist group(s), too few to appear in train, valid and test")
        if (split[rows] == "train").any():
            continue
        sizes = pd.Series(groups[rows]).value_counts(sort=False).sort_values(kind="stable")
        for candidate in sizes.index:  # smallest first; never empty the side it leaves
            moved = groups == candidate
            side = split[moved][0]
            if (split[~moved] == side).any():
                split[moved] = "train"
                notes.append(f"artist split: {genre} had no training tracks; moved {candidate} ({int(moved.sum())} tracks) to train")
                break
        else:
            notes.append(f"artist split: {genre} has no training tracks: each of its artists alone holds a whole split")
    return split


def _greedy(order: np.ndarray, vectors: np.ndarray, targets: np.ndarray, weights: np.ndarray, active: np.ndarray) -> np.ndarray:
    counts = np.zeros_like(targets)
    side_targets = np.maximum(targets.sum(axis=1), 1e-9)
    side_of = np.empty(len(vectors), dtype=int)
    for g in order:
        v = vectors[g]
        gain = (((counts + v - targets) ** 2 - (counts - targets) ** 2) * weights).sum(axis=1)
        gain[~active] = np.inf
        # on a tie (common with one-track groups) take the side furthest below its overall share,
        # else valid would always win over test
        fill = counts.sum(axis=1) / side_targets
        side = int(np.lexsort((fill, np.round(gain, 9)))[0])
        side_of[g] = side
        counts[side] += v
    return side_of


def _cost(side_of: np.ndarray, vectors: np.ndarray, targets: np.ndarray, weights: np.ndarray) -> float:
    counts = np.stack([vectors[side_of == k].sum(axis=0) for k in range(len(targets))])
    return float((((counts - targets) ** 2) * weights).sum())


def _improve(
    side_of: np.ndarray, vectors: np.ndarray, targets: np.ndarray, weights: np.ndarray, active: np.ndarray
) -> np.ndarray:
    """Best-improvement local search over single moves and pairwise swaps of groups between sides.

    Cost is sum over sides and genres of weight * (count - target)**2. For moving a group with
    genre vector v from side s to t, and for swapping groups a (on s) and b (on t) with
    d = v_b - v_a, the cost changes are closed-form, so each round is a few array operations.
    """
    side_of = side_of.copy()
    sides = np.flatnonzero(active)
    for _ in range(_SEARCH_MAX_ROUNDS):
        counts = np.stack([vectors[side_of == k].sum(axis=0) for k in range(len(targets))])
        gap = counts - targets
        best, action = -1e-9, None
        for s in sides:
            members_s = np.flatnonzero(side_of == s)
            if len(members_s) == 0:
                continue
            vs = vectors[members_s]
            for t in sides:
                if t == s:
                    continue
                # move a group s -> t (never empty a side)
                if len(members_s) > 1:
                    delta = (weights * (2 * vs * (gap[t] - gap[s]) + 2 * vs**2)).sum(axis=1)
                    i = int(np.argmin(delta))
                    if delta[i] < best:
                        best, action = delta[i], ("move", members_s[i], t)
                # swap a (on s) with b (on t); each unordered pair of sides once
                if t > s:
                    members_t = np.flatnonzero(side_of == t)
                    if len(members_t) == 0:
                        continue
                    d = vectors[members_t][None, :, :] - vs[:, None, :]
                    delta = (weights * (2 * d * (gap[s] - gap[t]) + 2 * d**2)).sum(axis=2)
                    i, j = np.unravel_index(int(np.argmin(delta)), delta.shape)
                    if delta[i, j] < best:
                        best, action = delta[i, j], ("swap", members_s[i], members_t[j])
        if action is None:
            break
        if action[0] == "move":
            side_of[action[1]] = action[2]
        else:
            a, b = action[1], action[2]
            side_of[a], side_of[b] = side_of[b], side_of[a]
    return side_of


def _filtered(tracks: pd.DataFrame, split_dir: str | Path | None, notes: list[str], *, name: str) -> pd.DataFrame:
    if split_dir is None:
        raise ConfigError(f"the 'filtered' split needs split_dir: {_FILTERED_SOURCE}")
    split_dir = Path(split_dir).expanduser()
    lists = {}
    for side, filename in FILTERED_FILES.items():
        path = split_dir / filename
        if not path.is_file():
            raise ConfigError(f"{path}: not found; {_FILTERED_SOURCE}")
        lists[side] = [_stem(line) for line in path.read_text().splitlines() if line.strip()]
    side_of: dict[str, str] = {}
    for side, ids in lists.items():
        for tid in ids:
            if side_of.setdefault(tid, side) != side:
                raise DatasetError(f"{split_dir}: {tid} is listed in both {side_of[tid]} and {side} lists")
    tracks["split"] = tracks["track_id"].map(side_of)
    placed = tracks["split"].notna()
    if not placed.any():
        raise DatasetError(
            f"{name}: none of its tracks is listed in {split_dir}/*_filtered.txt (the 'filtered' split is for GTZAN)"
        )
    notes.append(
        f"filtered split: {int(placed.sum()):,} tracks placed, {int((~placed).sum()):,} not in the lists dropped "
        f"(repetitions, distortions, mislabellings); {len(side_of) - int(placed.sum()):,} listed clips not in this copy"
    )
    return tracks[placed]


def _stem(line: str) -> str:
    """'blues/blues.00029.wav' -> 'blues.00029'."""
    return Path(line.strip().replace("\\", "/")).stem


def leaky_chunk_split(
    frame: pd.DataFrame, *, seed: int = 0, valid_fraction: float = 0.15, test_fraction: float = 0.15
) -> pd.Series:
    """Assign splits per CHUNK at random, stratified by genre: the common leaky protocol.

    Chunks of one track end up on both sides, so a model is tested on other seconds of songs it
    trained on. Use only to measure how much this inflates scores, never for reported results.

    Parameters
    ----------
    frame : pd.DataFrame
        One row per chunk, with a ``genre`` column.

    Returns
    -------
    pd.Series
        'train'/'valid'/'test' per row, aligned with ``frame.index``, named ``split``.
    """
    _check_fractions(valid_fraction, test_fraction)
    if "genre" not in frame.columns:
        raise DatasetError("leaky_chunk_split needs a 'genre' column")
    fractions = (1.0 - valid_fraction - test_fraction, valid_fraction, test_fraction)
    labels = _stratified_random(frame["genre"].astype(str).to_numpy(), fractions, np.random.default_rng(seed))
    return pd.Series(labels, index=frame.index, name="split", dtype=object)


def check_no_leak(frame: pd.DataFrame, *, group_col: str = "track_id", split_col: str = "split") -> None:
    """Raise if any group (track, artist, ...) appears in more than one split.

    Parameters
    ----------
    frame : pd.DataFrame
        Rows with ``group_col`` and ``split_col``; rows with a missing group or split are ignored.

    Raises
    ------
    DatasetError
        (a :class:`~genrekit.errors.GenrekitError`) naming the first offending groups and their splits.
    """
    for column in (group_col, split_col):
        if column not in frame.columns:
            raise DatasetError(f"check_no_leak: no column {column!r} (have {list(frame.columns)})")
    rows = frame[[group_col, split_col]].dropna()
    n_sides = rows.groupby(group_col, sort=True)[split_col].nunique()
    leaking = n_sides.index[n_sides > 1]
    if len(leaking):
        shown = rows[rows[group_col].isin(leaking[:5])].groupby(group_col, sort=True)[split_col].agg(
            lambda s: "/".join(sorted(set(map(str, s))))
        )
        listed = "; ".join(f"{group} in {sides}" for group, sides in shown.items())
        raise DatasetError(f"split leaks: {len(leaking):,} {group_col} values appear in more than one split ({listed})")


def split_summary(index: TrackIndex) -> pd.DataFrame:
    """Track counts per genre (rows, sorted) and split (columns train, valid, test; 'none' if unsplit)."""
    split = index.tracks["split"].astype(object).where(index.tracks["split"].notna(), "none")
    table = pd.crosstab(index.tracks["genre"].astype(str), split)
    columns = [c for c in (*SPLITS, "none") if c in table.columns]
    table = table.reindex(columns=columns, fill_value=0).sort_index()
    table.index.name, table.columns.name = "genre", "split"
    return table
