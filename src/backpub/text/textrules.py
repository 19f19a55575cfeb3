"""Characters no format can carry: text fields refuse them in `validate`, with the file, line and field.

Feeds and EPUB are XML (no C0 control characters), e-mail headers take no line breaks, and U+2028, U+2029 and
U+0085 are line breaks to some readers and not to others. A single-line field (a title) refuses every line
break; a multi-line one (a summary, Markdown) keeps tab and newline only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, Field

_CONTROLS = "\x00-\x08\x0b-\x1f\x7f"
_SEPARATORS = "\x85\u2028\u2029"
_MULTI_LINE_FORBIDDEN = re.compile(f"[{_CONTROLS}{_SEPARATORS}\r]")
_SINGLE_LINE_FORBIDDEN = re.compile(f"[{_CONTROLS}{_SEPARATORS}\r\n]")


def _describe(char: str) -> str:
    names = {"\n": "a line break", "\r": "a carriage return", "\x85": "a next-line character (U+0085)"}
    names |= {"\u2028": "a line separator (U+2028)", "\u2029": "a paragraph separator (U+2029)"}
    return names.get(char, f"a control character (U+{ord(char):04X})")


def _refuse(pattern: re.Pattern[str], where: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        found = pattern.search(value)
        if found:
            raise ValueError(f"contains {_describe(found.group())} at character {found.start() + 1}, which {where}")
        return value

    return check


multi_line = _refuse(_MULTI_LINE_FORBIDDEN, "no format can carry; remove it")
single_line = _refuse(_SINGLE_LINE_FORBIDDEN, "this one-line field cannot hold; remove it")

TextBlock = Annotated[str, Field(min_length=1), AfterValidator(multi_line)]
"""Plain text that may run over lines (tab and newline allowed)."""
Line = Annotated[str, Field(min_length=1), AfterValidator(single_line)]
"""Plain text on one line (titles, names, headers)."""
