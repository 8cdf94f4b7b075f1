"""One error family for everything a user can get wrong.

Every error carries a short ``title``, a ``message`` that says what happened (naming the file,
line or key involved) and a ``hint`` that says what to do about it. The CLI prints the three on
stderr and exits with code 2; the TUI shows them in a modal. Nothing else should reach a user as
a traceback.
"""

from __future__ import annotations


class LayerkitError(Exception):
    """Base class of every error meant for a user rather than a developer."""

    title = "layerkit error"
    exit_code = 2

    def __init__(self, message: str, *, hint: str = "", title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        # pickled whole (title, hint, path, line...): an error raised in a worker process is
        # re-raised in the parent as the user would have seen it there
        return (_restore_error, (type(self), self.args, self.__dict__))

    def render(self) -> str:
        """The error as plain text, for stderr and logs."""
        text = f"Error: {self.title}\n{self.message}"
        if self.hint:
            text += f"\nHint: {self.hint}"
        return text


def _restore_error(
    cls: type[LayerkitError], args: tuple[object, ...], state: dict[str, object]
) -> LayerkitError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class InputError(LayerkitError):
    """A file the user gave us cannot be read as what it claims to be."""

    title = "Cannot read input"

    def __init__(
        self,
        message: str,
        *,
        path: object | None = None,
        line: int | None = None,
        hint: str = "",
        title: str | None = None,
    ) -> None:
        where = ""
        if path is not None:
            where = str(path)
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message, hint=hint, title=title)
        self.path = path
        self.line = line


class SchemaError(LayerkitError):
    """A layer schema file is malformed or inconsistent."""

    title = "Invalid layer schema"


class StoreError(LayerkitError):
    """The store cannot do what was asked (missing row, bad state, newer database...)."""

    title = "Store error"


class ConflictError(StoreError):
    """Someone else changed the same data since we last read it; nothing was overwritten."""

    title = "Edit conflict"


class DatabaseUnreachable(StoreError):
    """The database server cannot be reached (stopped, restarted, the network between): what
    was saved before is kept, and nothing can be read or written until it answers again."""

    title = "Database unreachable"


class DatabaseBusy(StoreError):
    """Another process or server session held what a change needed for longer than the busy
    timeout: nothing was saved, and the same change may simply be made again."""

    title = "Database busy"


class PluginError(LayerkitError):
    """A plugin failed to load or raised inside a hook."""

    title = "Plugin error"


class UsageError(LayerkitError):
    """The command was called in a way that cannot work."""

    title = "Invalid usage"


def quoted(text: str, limit: int = 40) -> str:
    """``text`` as an error message quotes it: its whitespace runs made one space (a line
    break would split the message), in «» and cut to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return f"«{text}»" if len(text) <= limit else f"«{text[: limit - 1]}…»"
