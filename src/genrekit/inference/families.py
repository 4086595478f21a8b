"""One predictor per kind of model input: feature rows (the classic family, zero-shot models
included) and waveform chunks through a network (the torch and hf families)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import softmax

from genrekit.errors import AudioError, RunError
from genrekit.features import kinds
from genrekit.inference.predictor import Predictor

# A feature model trained on clips scores a longer span as clips of the training length once the
# span is this much longer; just above it (a 31 s file for a 30 s model) it stays one clip.
_TILE_FACTOR = 1.25


class FeaturePredictor(Predictor):
    """A feature-based model (the ``classic`` family) with its run's feature settings and window.

    Parameters
    ----------
    model : object
        Has ``labels``, ``feature_columns`` and ``predict_proba(X) -> (n, n_classes)``
        (:class:`genrekit.models.classic.FittedClassic`).
    record : genrekit.runs.RunRecord
        Its run folder's record: ``config.data`` (sample rate, clip, chunk and hop seconds) and
        ``config.features``.
    """

    def __init__(self, model, record):
        data = record.config.data
        self.estimator = model
        self.labels = list(model.labels)
        self.model = record.info.model
        kind = record.config.features.kind
        self.name = f"{record.info.model} ({record.info.input if kind == kinds.HANDCRAFTED else kind})"
        self.family = record.info.family
        self.run_dir = Path(record.path)
        self.sample_rate = kinds.sample_rate(record.config.features, data)
        self.clip_seconds = data.clip_seconds
        self.chunk_seconds = data.chunk_seconds
        self.hop_seconds = data.hop_seconds
        self.features = record.config.features
        self.window_seconds = self.chunk_seconds or self.clip_seconds

    def feature_rows(self, y: np.ndarray) -> np.ndarray:
        """Feature matrix of one segment, cut as the run cut its clips.

        Parameters
        ----------
        y : np.ndarray [shape=(n,)]
            Mono audio at :attr:`sample_rate`.

        Returns
        -------
        np.ndarray [shape=(n_rows, n_features)]
            Columns in the model's ``feature_columns`` order. One row per chunk for runs trained
            on chunks (one row for the whole segment if it is shorter than a chunk); else one row,
            or one per clip of ``clip_seconds`` when the segment is clearly longer than the clips
            the model was trained on.
        """
        kinds.warm_up(self.features)
        sr = self.sample_rate
        seconds = len(y) / sr
        if self.chunk_seconds:
            if seconds >= self.chunk_seconds:
                chunk, hop = self.chunk_seconds, self.hop_seconds
            else:
                chunk, hop = None, None
        elif self.clip_seconds and seconds > _TILE_FACTOR * self.clip_seconds:
            chunk, hop = self.clip_seconds, None
        else:
            chunk, hop = None, None
        frame = kinds.extract_chunked(y, sr=sr, cfg=self.features, chunk_seconds=chunk, hop_seconds=hop)
        missing = [c for c in self.estimator.feature_columns if c not in frame.columns]
        if missing:
            raise RunError(f"{self.run_dir}: the run's feature settings do not yield the model's columns {missing[:5]}")
        return frame[self.estimator.feature_columns].to_numpy(dtype=np.float64)

    def _segment_scores(self, segments):
        proba = np.full((len(segments), len(self.labels)), np.nan)
        errors: list[str | None] = []
        for i, segment in enumerate(segments):
            try:
                rows = self.feature_rows(segment)
            except AudioError as exc:
                errors.append(exc.reason)
                continue
            proba[i] = self.estimator.predict_proba(rows).mean(axis=0)
            errors.append(None)
        return proba, None, errors


class NetworkPredictor(Predictor):
    """A network that takes waveform chunks (the ``torch`` and ``hf`` families).

    Parameters
    ----------
    network : genrekit.checkpoint.LoadedNetwork
        What the family loader returned: ``model`` (an ``nn.Module`` mapping a ``(batch, samples)``
        waveform at ``sample_rate`` to logits, front-end inside), ``labels``, ``sample_rate``,
        ``chunk_seconds``, ``clip_seconds`` and ``chunks(waveform, sr)`` (the training chunking,
        with the training hop).
    record : genrekit.runs.RunRecord
    batch_size : int, optional
        Chunks per forward pass (default: the network's own).
    """

    def __init__(self, network, record, *, batch_size: int | None = None):
        self.network = network
        self.labels = list(network.labels)
        self.model = record.info.model
        self.name = f"{record.info.model} ({record.info.input})"
        self.family = record.info.family
        self.run_dir = Path(record.path)
        self.sample_rate = int(network.sample_rate)
        self.window_seconds = float(network.chunk_seconds)
        self.clip_seconds = network.clip_seconds
        self.batch_size = int(batch_size or network.batch_size)

    def predict_tracks(self, tracks: pd.DataFrame, *, desc: str = "scoring", progress: bool = True
                       ) -> tuple[pd.DataFrame, list[np.ndarray], list[dict]]:
        """:meth:`Predictor.predict_tracks` through the network's loader: each track decoded once into the
        store by several processes (as in training), batches of chunks across tracks, memory at a batch.

        A track the store path cannot cut into one chunk goes through :meth:`predict_track` (an hf
        network scores a short clip as one short window), so both paths give every track the same answer.
        """
        # imports torch (and scikit-learn, through evaluate) only when needed
        from genrekit.data.store import decode_workers
        from genrekit.evaluate import aggregate_by_track
        from genrekit.network_runs import load_chunks
        from genrekit.trainer import loader_workers, predict_proba

        network = self.network
        rows = tracks.reset_index(drop=True)
        unique = "track_id" in rows and rows["track_id"].astype(str).is_unique
        ids = rows["track_id"].astype(str) if unique else pd.Series([f"row{i}" for i in range(len(rows))])
        frame = pd.DataFrame({"track_id": ids, "path": rows["path"].astype(str), "genre": self.labels[0]})
        data, _, skipped = load_chunks(frame, labels=self.labels, sr=self.sample_rate, clip_seconds=self.clip_seconds,
                                       chunk_seconds=network.chunk_seconds, hop_seconds=network.hop_seconds,
                                       progress=progress, desc=desc, workers=decode_workers(None))
        chunk_proba = predict_proba(network.model, data, batch_size=self.batch_size, device=network.device,
                                    num_workers=loader_workers(None, network.device))
        row_of_id = {t: i for i, t in enumerate(frame["track_id"])}
        found = {row_of_id[str(t)]: p for t, p in zip(*aggregate_by_track(data.track_ids, chunk_proba))}
        problems: dict[int, dict] = {}
        row_of = {p: i for i, p in enumerate(frame["path"])}
        for problem in skipped:
            row = row_of[problem.path]
            try:  # e.g. shorter than one chunk: the per-track path decides as it does for one file
                found[row] = self.predict_track(problem.path)
            except AudioError as exc:
                problems[row] = {"path": problem.path, "reason": exc.reason}
        keep = sorted(found)
        return rows.iloc[keep].reset_index(drop=True), [found[i] for i in keep], [problems[i] for i in sorted(problems)]

    def _segment_scores(self, segments):
        import torch  # only networks need it: a classic model predicts without importing torch

        # imports torch only when needed
        from genrekit.trainer import predict_logits

        network = self.network
        n = len(segments)
        proba = np.full((n, len(self.labels)), np.nan)
        logits = np.full((n, len(self.labels)), np.nan)
        errors: list[str | None] = []
        for i, segment in enumerate(segments):
            try:
                chunks = network.chunks(segment, self.sample_rate)
            except AudioError as exc:
                errors.append(exc.reason)
                continue
            inputs = torch.from_numpy(np.ascontiguousarray(chunks, dtype=np.float32))
            z = predict_logits(network.model, inputs, batch_size=self.batch_size, device=network.device)
            logits[i] = z.mean(axis=0)
            proba[i] = softmax(z, axis=-1).mean(axis=0)
            errors.append(None)
        return proba, logits, errors


