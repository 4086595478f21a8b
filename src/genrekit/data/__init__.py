"""Audio loading, dataset indexes and leak-free splits."""

from genrekit.data.audio import AUDIO_EXTENSIONS, DEFAULT_SR, audio_info, chunk_signal, load_audio, write_audio
from genrekit.data.index import INDEX_COLUMNS, Problem, TrackIndex

__all__ = [
    "AUDIO_EXTENSIONS",
    "DEFAULT_SR",
    "INDEX_COLUMNS",
    "Problem",
    "TrackIndex",
    "audio_info",
    "chunk_signal",
    "load_audio",
    "write_audio",
]
