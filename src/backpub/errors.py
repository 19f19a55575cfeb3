"""One error hierarchy: every error knows where it came from; only the CLI turns them into exit codes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

Severity = Literal["error", "warning"]
T = TypeVar("T")

_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """Text with line breaks, control and bidi-override characters written as escapes, so a file name or a value
    quoted in a message can never forge a line (or reorder one) in backpub's output."""
    return _INVISIBLE.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem in the content: a file, a line and column (1-based), and a message."""

    path: str
    line: int = 1
    col: int = 1
    severity: Severity = "error"
    message: str = field(default="", compare=False)
    entity: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{visible(self.path)}:{self.line}:{self.col}: {self.severity}: {visible(self.message)}"

    def as_dict(self) -> dict[str, object]:
        """The problem as JSON-ready data."""
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "message": self.message,
            "entity": self.entity,
        }


class BackpubError(Exception):
    """Base of every error backpub reports to a user without a traceback."""

    exit_code = 1


class ConfigError(BackpubError):
    """The command line or project set-up is wrong (a missing folder, an unknown format)."""


class ContentError(BackpubError):
    """The content has problems; carries all of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = sum(1 for problem in problems if problem.severity == "error")
        super().__init__(f"the content has {errors} error{'' if errors == 1 else 's'}")


class PluginError(BackpubError):
    """A plugin failed to load, register or run; names the plugin."""

    def __init__(self, plugin: str, message: str) -> None:
        self.plugin = plugin
        super().__init__(f"plugin {plugin!r}: {message}")


class RenderError(BackpubError):
    """A format could not render a job; names the format, the output and, when known, the content file."""

    def __init__(
        self,
        message: str,
        *,
        format_name: str | None = None,
        output: str | None = None,
        path: str | Path | None = None,
        line: int | None = None,
        entity: str | None = None,
    ) -> None:
        self.message = message
        self.format_name = format_name
        self.output = output
        self.path = str(path) if path is not None else None
        self.line = line
        self.entity = entity
        super().__init__(message)

    def located(self, *, format_name: str, output: str) -> RenderError:
        """This error with the format and output filled in where the renderer left them out."""
        return RenderError(
            self.message,
            format_name=self.format_name or format_name,
            output=self.output or output,
            path=self.path,
            line=self.line,
            entity=self.entity,
        )

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line or 1}: "
        what = f"[{self.format_name}] " if self.format_name else ""
        job = f" (while rendering {self.output})" if self.output else ""
        entity = f" in {self.entity!r}" if self.entity and self.entity not in self.message else ""
        return f"{where}{what}{self.message}{entity}{job}"


class BuildLockedError(BackpubError):
    """Another build holds the project's lock."""


def in_plugin(plugin: str, step: str, call: Callable[[], T]) -> T:
    """Run one step of a plugin (a hook, a format's check or render), turning anything it raises that is not a
    backpub error, `sys.exit()` included, into a PluginError naming the plugin and the step."""
    try:
        return call()
    except BackpubError:
        raise
    except SystemExit as exc:  # sys.exit() in a plugin is a failure of that plugin, not the end of backpub
        raise PluginError(plugin, f"{step} called exit({exc.code!r})") from None
    except Exception as exc:
        raise PluginError(plugin, f"{step} raised {type(exc).__name__}: {exc}") from exc
