"""Line numbers of keys in programme.yaml and in entity front matter, so feed errors point at the right line."""

from __future__ import annotations

from pathlib import Path

import yaml


def key_line(path: Path, keys: tuple[str, ...]) -> int:
    """The 1-based line of a nested key (e.g. ('audio', 'url')) in a YAML file or Markdown front matter; 1 if unknown."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return 1
    offset = 0
    if path.suffix == ".md":
        text, offset = _front_matter(text)
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return 1
    line = 0
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return line + offset + 1 if line else 1
        match = next(((k, v) for k, v in node.value if getattr(k, "value", None) == key), None)
        if match is None:
            break
        line, node = match[0].start_mark.line, match[1]
    return line + offset + 1


def _front_matter(text: str) -> tuple[str, int]:
    """The YAML between the opening and closing `---` lines, and how many lines precede it."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return "", 0
    end = next((index for index in range(1, len(lines)) if lines[index].strip() == "---"), len(lines))
    return "\n".join(lines[1:end]), 1


def text_line(path: Path, needle: str) -> int:
    """The 1-based line of the first occurrence of `needle` in a file; 1 if absent."""
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if needle in line:
                return number
    except OSError:
        pass
    return 1
