"""One exception class per failure kind, each with the exit code `main()` ends with."""

from __future__ import annotations


class BirdhouseError(Exception):
    """A failure the user can act on: printed as one message, no traceback."""

    exit_code = 1


class CatalogError(BirdhouseError):
    """The catalog (or a command line naming it) is wrong: a path and what is wrong with it."""

    exit_code = 2


class SelectionError(BirdhouseError):
    """The selection matched no image, or named one the catalog does not have."""

    exit_code = 3


class HostError(BirdhouseError):
    """The Docker engine, the registry or a host tool is missing or unreachable."""

    exit_code = 4


class BuildError(BirdhouseError):
    """An image did not build, or reported another version than the catalog's."""

    exit_code = 5

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(message)
        self.log = log


class SmokeTestError(BirdhouseError):
    """An image failed its smoke tests: it is not tagged for publishing and not pushed."""

    exit_code = 6


class PublishError(BirdhouseError):
    """A push failed, or the registry holds another digest than the one pushed."""

    exit_code = 7


class TransientError(PublishError):
    """A failure worth retrying: a 5xx, a 429 (retry_after: what it asked to wait), a timeout, a
    reset connection."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
