"""train.class_weight='balanced': every genre weighs the same in the loss on unbalanced data.

The data imitate FMA-medium's imbalance on two overlapping classes: 30 times more examples of the
majority class. Unweighted models then rarely predict the minority; weighted ones recover it at a
small cost to the majority, raising the macro F1 on a balanced test set.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from genrekit.config import TrainConfig
from genrekit.errors import ConfigError
from genrekit.evaluate import balanced_class_weights
from genrekit.models.classic import fit_classic
from genrekit.prepare import SplitData
from genrekit.trainer import ChunkSet, fit, predict_proba

LABELS = ["rock", "easy-listening"]


def unbalanced(n_major: int, n_minor: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(n_major, int), np.ones(n_minor, int)]
    X = rng.normal(size=(len(y), 4)) + np.outer(y, [1.3, 0.0, 0.0, 0.0])
    return X, y


def split(X, y, prefix):
    return SplitData(X, y, np.array([f"{prefix}{i}" for i in range(len(y))]))


def minority_recall(proba: np.ndarray, y: np.ndarray) -> float:
    return float((proba.argmax(axis=1)[y == 1] == 1).mean())


def test_balanced_weights_make_classes_weigh_the_same():
    weights = balanced_class_weights(np.array([0] * 90 + [1] * 10), 3)
    assert weights == pytest.approx([100 / (2 * 90), 100 / (2 * 10), 0.0])
    # each present class's total weight is n / k
    assert 90 * weights[0] == pytest.approx(10 * weights[1]) == pytest.approx(50.0)
    with pytest.raises(ConfigError, match="train.class_weight"):
        balanced_class_weights([0, 1], 2, kind="inverse")


# trees gain less than a linear model from 20 minority examples (0.0 -> 0.28-0.47 over seeds)
@pytest.mark.parametrize("model, gain", [("logreg", 0.4), ("xgboost", 0.25)])
def test_classic_models_recover_the_minority_class(model, gain):
    train, valid, test = unbalanced(600, 20, 0), unbalanced(300, 10, 1), unbalanced(200, 200, 2)
    recalls = {}
    for weighting in (None, "balanced"):
        result = fit_classic(
            model, train=split(*train, "a"), valid=split(*valid, "b"), labels=LABELS, feature_columns=list("abcd"),
            search=False, progress=False, class_weight=weighting,
        )
        recalls[weighting] = minority_recall(result.predictor.predict_proba(test[0]), test[1])
    assert recalls[None] < 0.25
    assert recalls["balanced"] > recalls[None] + gain


def test_knn_says_it_cannot_weight_classes():
    train, valid = unbalanced(60, 6, 0), unbalanced(30, 3, 1)
    with pytest.raises(ConfigError, match="knn cannot weight classes"):
        fit_classic("knn", train=split(*train, "a"), valid=split(*valid, "b"), labels=LABELS, feature_columns=list("abcd"),
                    search=False, progress=False, class_weight="balanced")


@pytest.mark.usefixtures("one_torch_thread")
def test_torch_loop_recovers_the_minority_class(tmp_path):
    (X, y), (Xv, yv), (Xt, yt) = unbalanced(900, 30, 0), unbalanced(300, 10, 1), unbalanced(200, 200, 2)
    data = {name: ChunkSet(torch.tensor(a, dtype=torch.float32), torch.tensor(b), [f"{name}{i}" for i in range(len(b))])
            for name, a, b in (("t", X, y), ("v", Xv, yv))}
    recalls = {}
    for weighting in (None, "balanced"):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
        config = TrainConfig(epochs=6, batch_size=64, lr=1e-2, patience=10, device="cpu", class_weight=weighting)
        fit(model, data["t"], data["v"], config=config, labels=LABELS, checkpoint_dir=tmp_path / str(weighting), progress=False)
        recalls[weighting] = minority_recall(predict_proba(model, torch.tensor(Xt, dtype=torch.float32)), yt)
    assert recalls[None] < 0.25
    assert recalls["balanced"] > recalls[None] + 0.4
