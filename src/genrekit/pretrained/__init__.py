"""Networks pretrained on real music, one module per backbone.

* :mod:`~genrekit.pretrained.weights`: weights that ship inside PyPI wheels (musicnn), fetched
  with pip, checked and converted once to safetensors; a reader for TensorFlow checkpoints.
* :mod:`~genrekit.pretrained.musicnn`: ``MSD_musicnn`` and ``MTT_musicnn`` (Pons & Serra 2019)
  in PyTorch, with their log-mel front-end: tag probabilities and embeddings per 3 s patch.
* :mod:`~genrekit.pretrained.tagging`: musicnn's top tags of a file, whole or along a timeline.

Nothing here imports TensorFlow or the ``musicnn`` package.
"""
