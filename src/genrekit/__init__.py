"""genrekit: music genre classification without leaky evaluation."""

__version__ = "0.1.0"
