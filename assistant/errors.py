"""Errors a user should see. The CLI turns them into click exceptions; nothing else catches them silently."""


class AssistantError(Exception):
    """Base class: the message says what went wrong and what to do next."""


class IndexMissing(AssistantError):
    """The index folder has no index yet."""


class IndexMismatch(AssistantError):
    """The index was built with other settings (embedding model, chunking version); ``detail`` names them."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.detail = detail


class LoadError(AssistantError):
    """A source file could not be read; the message names the reason (the caller names the file)."""


class ConfigError(AssistantError):
    """A setting has a value that cannot work."""
