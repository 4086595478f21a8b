"""Two runs scored on the same tracks, compared track by track (``genrekit compare A B``).

Two scores whose intervals overlap may still differ: on the same test tracks, what counts is
where the two models disagree. :func:`compare_runs` pairs the tracks both runs scored (the
``units``, ``truth`` and ``predicted`` every run's ``metrics.json`` keeps) and gives

- the four counts: both right, only A right, only B right, both wrong;
- McNemar's test: under "A and B are equally accurate" each track only one of them gets right
  is A's with probability 1/2. With independent tracks that is the exact two-sided binomial test
  of "only A" among the discordant tracks. Tracks of one artist (and chunks of one track) are not
  independent: where the run knows its tracks' artists (or scores chunks), the test is
  McNemar's for clustered data (Durkalski, Palesch, Lipsitz & Rust, "Analysis of clustered
  matched-pair data", Statistics in Medicine 22, 2003), whose variance comes from the
  per-artist differences;
- the differences in accuracy and macro F1 (A minus B) with paired bootstrap intervals: the same
  resampled tracks (whole artists, where known) score both runs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import binomtest, chi2

from genrekit.errors import GenrekitError, RunError
from genrekit.evaluate import SCORED_SPLITS, is_leaky, split_label
from genrekit.intervals import (
    BOOTSTRAP_RESAMPLES,
    INTERVAL_LEVEL,
    confusion_by_group,
    group_weights,
    macro_f1_of_confusion,
    resampled_macro_f1,
    unit_groups,
)
from genrekit.rescore import rescore_run
from genrekit.runs import read_run


@dataclass
class Comparison:
    """Two runs on the tracks both scored; ``a`` and ``b`` are their folder names.

    Attributes
    ----------
    n : int
        Tracks (or chunks: ``unit``) both runs scored.
    both_right, only_a, only_b, both_wrong : int
        How the ``n`` split.
    p_value : float
        McNemar's test, two-sided (1.0 when the runs never disagree): exact for independent units,
        for clustered data over ``groups`` otherwise.
    groups : int or None
        The artists (``group_kind``; or tracks, for chunks) the test is over; None when units are
        taken as independent.
    resampled : str
        What the bootstrap draws: ``'12 artists'``, or the units themselves (``'tracks'``).
    accuracy_a, accuracy_b, macro_f1_a, macro_f1_b : float
        The scores on the shared tracks.
    accuracy_diff, macro_f1_diff : tuple of float
        Paired bootstrap interval of A minus B at ``level``.
    notes : list of str
        What the reader must know (tracks only one run scored, a leaky split, different splits).
    p_holm : float or None
        ``p_value`` adjusted by Holm's method over the comparisons made together with this one
        (:func:`compare_with_best`); None for a single planned comparison.
    """

    a: str
    b: str
    split: str
    split_kind: str
    unit: str
    n: int
    both_right: int
    only_a: int
    only_b: int
    both_wrong: int
    p_value: float
    accuracy_a: float
    accuracy_b: float
    macro_f1_a: float
    macro_f1_b: float
    accuracy_diff: tuple[float, float]
    macro_f1_diff: tuple[float, float]
    level: float = INTERVAL_LEVEL
    groups: int | None = None
    group_kind: str | None = None
    resampled: str = ""
    notes: list[str] = field(default_factory=list)
    p_holm: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def to_text(self) -> str:
        """The comparison as a few lines of plain text."""
        unit = f"{self.unit}s"
        verdict = (f"A and B differ (p = {self.p_value:.3g} < {1 - self.level:.2g})" if self.p_value < 1 - self.level
                   else f"no evidence that A and B differ (p = {self.p_value:.3g})")
        test = (f"McNemar's test for clustered data over {self.groups} {self.group_kind}s" if self.groups is not None
                else "McNemar's exact test")
        lines = [
            f"A: {self.a}",
            f"B: {self.b}",
            f"{self.split} split ({self.split_kind}), the {self.n} {unit} both scored",
            "",
            f"{'':<10} {'A':>7} {'B':>7}   A - B ({self.level:.0%} paired bootstrap over {self.resampled})",
            f"{'accuracy':<10} {self.accuracy_a:7.3f} {self.accuracy_b:7.3f}   "
            f"{self.accuracy_a - self.accuracy_b:+.3f} {_bracket(self.accuracy_diff)}",
            f"{'macro F1':<10} {self.macro_f1_a:7.3f} {self.macro_f1_b:7.3f}   "
            f"{self.macro_f1_a - self.macro_f1_b:+.3f} {_bracket(self.macro_f1_diff)}",
            "",
            f"both right {self.both_right}, only A right {self.only_a}, only B right {self.only_b}, "
            f"both wrong {self.both_wrong}",
            f"{test}: {verdict}",
        ]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def compare_runs(run_a: str | Path, run_b: str | Path, *, split: str = "test", level: float = INTERVAL_LEVEL,
                 resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0, progress: bool = False) -> Comparison:
    """Compare two runs on the tracks of ``split`` that both scored.

    A run whose ``metrics.json`` keeps no per-track predictions (written before genrekit kept
    them) is re-scored first (:func:`genrekit.rescore.rescore_run`; ``progress`` shows its bars).

    Raises
    ------
    RunError
        If the runs scored different units (tracks vs chunks) or share no track, or their genres
        differ.
    genrekit.errors.GenrekitError
        If a run must be re-scored and cannot be (its data or features are gone).
    """
    if split not in SCORED_SPLITS:
        raise RunError(f"split must be one of {', '.join(SCORED_SPLITS)}, got {split!r}")
    a, b = (_scored(run, split, progress=progress) for run in (run_a, run_b))
    if a["unit"] != b["unit"]:
        raise RunError(f"{a['name']} is scored per {a['unit']} and {b['name']} per {b['unit']}: nothing to pair")
    labels = list(a["labels"])
    if sorted(labels) != sorted(b["labels"]):
        raise RunError(f"{a['name']} and {b['name']} know different genres ({', '.join(labels)} vs "
                       f"{', '.join(b['labels'])})")
    shared = sorted(set(a["predicted"]) & set(b["predicted"]))
    if not shared:
        raise RunError(f"{a['name']} and {b['name']} scored no {a['unit']} in common on their {split} splits "
                       f"(different data or splits)")
    truth = np.array([labels.index(a["truth"][u]) for u in shared])
    if any(b["truth"][u] != a["truth"][u] for u in shared):
        raise RunError(f"{a['name']} and {b['name']} disagree on the genre of some {a['unit']}s: different data")
    pred_a = np.array([labels.index(a["predicted"][u]) for u in shared])
    pred_b = np.array([labels.index(b["predicted"][u]) for u in shared])
    right_a, right_b = pred_a == truth, pred_b == truth
    only_a, only_b = int((right_a & ~right_b).sum()), int((~right_a & right_b).sum())
    groups, group_kind = unit_groups(a["path"], {"units": shared})
    codes = pd.factorize(pd.Series(groups, dtype=str))[0] if groups is not None else np.arange(len(shared))
    if groups is not None:
        p_value = _clustered_mcnemar(codes, right_a, right_b)
    else:
        p_value = binomtest(only_a, only_a + only_b).pvalue if only_a + only_b else 1.0
    resampled = f"{int(codes.max()) + 1} {group_kind}s" if groups is not None else f"{a['unit']}s"
    averaged = a["averaged"]
    diffs = _paired_bootstrap(codes, truth, pred_a, pred_b, len(labels), averaged, resamples=resamples, seed=seed)
    tail = (1 - level) / 2
    accuracy_diff, f1_diff = (tuple(float(x) for x in np.quantile(d, [tail, 1 - tail])) for d in diffs)
    return Comparison(
        a=a["name"], b=b["name"], split=split, split_kind=split_label(a["split_kind"]), unit=a["unit"],
        n=len(shared), both_right=int((right_a & right_b).sum()), only_a=only_a, only_b=only_b,
        both_wrong=int((~right_a & ~right_b).sum()), p_value=float(p_value),
        accuracy_a=float(right_a.mean()), accuracy_b=float(right_b.mean()),
        macro_f1_a=float(macro_f1_of_confusion(_confusion(truth, pred_a, len(labels)), averaged)),
        macro_f1_b=float(macro_f1_of_confusion(_confusion(truth, pred_b, len(labels)), averaged)),
        accuracy_diff=accuracy_diff, macro_f1_diff=f1_diff, level=level,
        groups=int(codes.max()) + 1 if groups is not None else None, group_kind=group_kind, resampled=resampled,
        notes=_notes(a, b, len(shared), split),
    )


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment of ``m`` p-values (Holm 1979), in their own order.

    The i-th smallest (from 1) is multiplied by ``m - i + 1``, kept at least as large as the one
    before it, and capped at 1: rejecting where the adjusted value is below alpha keeps the chance
    of any false rejection among the ``m`` at most alpha.
    """
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(sorted(range(m), key=lambda k: p_values[k])):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def pick_best(table: pd.DataFrame) -> pd.Series | None:
    """The track-level run a results table would carry forward: the highest **validation** macro F1.

    The test split stays for reporting: a winner chosen on test would be tested on the scores that
    chose it. Leaky runs and runs without a validation score (zero-shot, ensembles, cross-dataset)
    are not candidates; ties go to the earlier run. None when no run qualifies.
    """
    if not len(table):
        return None
    candidates = table[~table["leaky"] & table["valid_macro_f1"].notna()]
    if not len(candidates):
        return None
    return candidates.sort_values(["valid_macro_f1", "created"], ascending=[False, True], kind="stable").iloc[0]


def compare_with_best(table: pd.DataFrame) -> list[tuple[str, str, Comparison]]:
    """The best track-level run of a results table, chosen on validation (:func:`pick_best`), against
    every other track-level run on the same dataset and split kind, on test.

    Parameters
    ----------
    table : pd.DataFrame
        Rows of :func:`genrekit.results.collect_results`.

    Returns
    -------
    list of (str, str, Comparison)
        ``(best's name, other's name, comparison)`` per pair, names as ``model (input)``, each
        comparison's ``p_holm`` adjusted over all of them; empty when there is nothing to pair.
        Runs that cannot be paired (no track in common) are left out.
    """
    best = pick_best(table)
    if best is None:
        return []
    fair = table[~table["leaky"]]
    same = fair[(fair["dataset"] == best["dataset"]) & (fair["split_kind"] == best["split_kind"])
                & (fair["path"] != best["path"])]
    pairs = []
    for _, other in same.iterrows():
        try:
            comparison = compare_runs(best["path"], other["path"])
        except GenrekitError:  # no track in common, or an old run that cannot be re-scored here
            continue
        pairs.append((f"{best['model']} ({best['input']})", f"{other['model']} ({other['input']})", comparison))
    for (_, _, comparison), adjusted in zip(pairs, holm([c.p_value for _, _, c in pairs])):
        comparison.p_holm = adjusted
    return pairs


def format_against_best(pairs: list[tuple[str, str, Comparison]]) -> str:
    """Lines for :func:`compare_with_best`'s pairs ('' when there are none)."""
    if not pairs:
        return ""
    best, _, first = pairs[0]
    lines = [f"The best run on validation macro F1, {best}, against the others on the same {first.n} test "
             f"{first.unit}s (A - B, {first.level:.0%} paired bootstrap; McNemar's test, p raw and Holm-adjusted "
             f"over {f'these {len(pairs)} comparisons' if len(pairs) > 1 else 'this one comparison'}; "
             "'genrekit compare A B' for more):"]
    for _, other, c in pairs:
        lines.append(f"  vs {other}: accuracy {c.accuracy_a - c.accuracy_b:+.3f} {_bracket(c.accuracy_diff)}, "
                     f"macro F1 {c.macro_f1_a - c.macro_f1_b:+.3f} {_bracket(c.macro_f1_diff)}, "
                     f"only one right {c.only_a}:{c.only_b}, p = {c.p_value:.3g} (Holm {c.p_holm:.3g})")
    return "\n".join(lines) + "\n"


def _scored(run: str | Path, split: str, *, progress: bool) -> dict:
    """One run's per-unit truth and predictions on ``split``, as genre names by unit id."""
    record = read_run(run)
    scores = record.metrics.get(split)
    rescored = not isinstance(scores, dict) or "units" not in scores
    if rescored:  # written before metrics.json kept each track's prediction
        scores = rescore_run(record.path, split=split, progress=progress)
    labels = list(scores["labels"])
    return {
        "rescored": rescored,
        "name": record.path.name,
        "path": record.path,
        "unit": record.metrics.get("unit") or record.info.unit or "track",
        "split_kind": record.metrics.get("split_kind") or record.info.split_kind,
        "labels": labels,
        "averaged": [labels.index(label) for label in scores.get("macro_f1_labels", labels)],
        "truth": {u: labels[t] for u, t in zip(scores["units"], scores["truth"])},
        "predicted": {u: labels[p] for u, p in zip(scores["units"], scores["predicted"])},
    }


def _notes(a: dict, b: dict, n: int, split: str) -> list[str]:
    notes = [f"{run['name']} was re-scored: its metrics.json keeps no per-{run['unit']} predictions"
             for run in (a, b) if run["rescored"]]
    if a["split_kind"] != b["split_kind"]:
        notes.append(f"the runs were split differently ({a['split_kind']} vs {b['split_kind']}); only the "
                     f"{a['unit']}s both put in their {split} split are compared")
    for run in (a, b):
        if len(run["predicted"]) != n:
            notes.append(f"{run['name']} scored {len(run['predicted'])} {run['unit']}s; {len(run['predicted']) - n} "
                         f"of them are not in the other run's {split} split")
    if is_leaky(a["split_kind"]) or is_leaky(b["split_kind"]):
        notes.append("LEAKY: chunks of one track are on both sides of the split; the chunks compared are not "
                     "independent and the test overstates the evidence")
    return notes


def _bracket(interval) -> str:
    """``[-0.033, +0.400]``: an interval of a difference, signs shown."""
    return f"[{interval[0]:+.3f}, {interval[1]:+.3f}]"


def _confusion(truth: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(truth * k + predicted, minlength=k * k).reshape(k, k)


def _clustered_mcnemar(codes: np.ndarray, right_a: np.ndarray, right_b: np.ndarray) -> float:
    """Two-sided p-value of Durkalski et al.'s McNemar statistic for clustered matched pairs:
    ``(sum_k d_k)^2 / sum_k d_k^2`` with ``d_k`` = (only A right) - (only B right) in cluster ``k``,
    referred to chi-square with one degree of freedom."""
    difference = np.bincount(codes, weights=right_a.astype(float) - right_b.astype(float))
    spread = float(np.sum(difference**2))
    return float(chi2.sf(float(difference.sum()) ** 2 / spread, df=1)) if spread > 0 else 1.0


def _paired_bootstrap(codes, truth, pred_a, pred_b, k: int, averaged: list[int], *, resamples: int,
                      seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy and macro-F1 differences (A - B) over ``resamples`` draws of whole groups (``codes``:
    the group of each unit), the same draw scoring both runs; macro F1 over the genres a draw holds."""
    per_a, per_b = confusion_by_group(codes, truth, pred_a, k), confusion_by_group(codes, truth, pred_b, k)
    n_groups = len(per_a)
    observed = per_a.sum(axis=0).reshape(k, k)  # rows (the truth) are the same for both runs
    accuracy, f1 = [], []
    for weights in group_weights(n_groups, resamples=resamples, rng=np.random.default_rng(seed)):
        conf_a, conf_b = (weights @ per_a).reshape(-1, k, k), (weights @ per_b).reshape(-1, k, k)
        total = conf_a.sum(axis=(1, 2))
        accuracy.append((np.trace(conf_a, axis1=1, axis2=2) - np.trace(conf_b, axis1=1, axis2=2)) / total)
        f1.append(resampled_macro_f1(conf_a, observed, averaged) - resampled_macro_f1(conf_b, observed, averaged))
    return np.concatenate(accuracy), np.concatenate(f1)
