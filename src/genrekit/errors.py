"""The project's own error types: every bad input ends in one of these, never a library traceback."""

from __future__ import annotations

from pathlib import Path


class GenrekitError(Exception):
    """Base class for errors genrekit raises on bad input or configuration."""


class AudioError(GenrekitError):
    """An audio file that cannot be used: unreadable, empty, silent or too short.

    The message always names the file and the reason, so batch jobs can report it verbatim.
    """

    def __init__(self, path: str | Path | None, reason: str):
        self.path = None if path is None else str(path)
        self.reason = reason
        where = self.path if self.path is not None else "<array>"
        super().__init__(f"{where}: {reason}")


class AudioWarning(UserWarning):
    """An audio file that is used only in part: truncated, or damaged part-way through.

    Like :class:`AudioError`, it names the file and the reason, e.g. ``"truncated: decodes 14.5 s
    of the 29.0 s its ID3 tag (TLEN) declares"``; the part that decodes is used.
    """

    def __init__(self, path: str | Path | None, reason: str):
        self.path = None if path is None else str(path)
        self.reason = reason
        where = self.path if self.path is not None else "<array>"
        super().__init__(f"{where}: {reason}")


class DatasetError(GenrekitError):
    """A dataset folder or metadata file that does not have the expected layout."""


class ConfigError(GenrekitError):
    """An invalid configuration value or an unknown name (model, dataset, split kind)."""


class RunError(GenrekitError):
    """A run folder that is missing files or was written by an incompatible version."""
