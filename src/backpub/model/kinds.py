"""The registry of entity kinds: the built-in ones and those plugins add, each declared once on its class.

Everything that depends on which kinds there are reads a `Kinds`: the content folders validation loads, the
kinds `backpub new` and `backpub schema` offer, what a reference may point to, the publication's lookups and the
formats' per-kind pages. A session's registry (`Session.kinds`, `Publication.kinds`) holds the built-in kinds
then every kind a plugin registers with the `register_kinds` hook.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from backpub.model.base import ID_PATTERN, RefTo
from backpub.model.entities import ENTITY_TYPES, Entity

RESERVED_FOLDERS = frozenset({"assets"})
"""Folders of the content folder that hold no entities."""
DECLARED = ("kind", "folder", "label", "plural", "scaffold")
"""What every kind's class declares itself (see `Entity`): a kind made by subclassing another declares its own."""


class KindError(ValueError):
    """A kind's class is not a usable kind: it declares too little, or clashes with another kind."""


class Kinds:
    """The entity kinds in force, in the order a reader meets them (the built-in kinds first)."""

    def __init__(self, classes: Iterable[type[Entity]]) -> None:
        self._classes = tuple(classes)
        self.by_kind: dict[str, type[Entity]] = {}
        """Each kind's class by its name, e.g. 'concept'."""
        self.by_folder: dict[str, type[Entity]] = {}
        """Each kind's class by its content folder, e.g. 'concepts'."""
        for cls in self._classes:
            _check_declared(cls)
            for table, key, what in ((self.by_kind, cls.kind, "kind"), (self.by_folder, cls.folder, "folder")):
                if key in table:
                    raise KindError(f"{cls.__qualname__}: {what} {key!r} is already {table[key].__qualname__}'s")
                table[key] = cls

    def __iter__(self) -> Iterator[type[Entity]]:
        return iter(self._classes)

    def __len__(self) -> int:
        return len(self._classes)

    def __contains__(self, kind: object) -> bool:
        return kind in self.by_kind or kind in self._classes

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Kinds) and self._classes == other._classes

    def __hash__(self) -> int:
        return hash(self._classes)

    def __repr__(self) -> str:
        return f"Kinds({', '.join(self.names)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Kinds, (self._classes,))

    @property
    def names(self) -> list[str]:
        """Every kind's name, in order."""
        return list(self.by_kind)

    @property
    def library(self) -> tuple[type[Entity], ...]:
        """The kinds a reader studies (`Entity.library`), in order: a page each on a site, a card in a handout."""
        return tuple(cls for cls in self._classes if cls.library)

    def allowed(self, marker: RefTo) -> list[str]:
        """The names of the kinds a reference field accepts."""
        return [cls.kind for cls in self._classes if marker.accepts(cls)]

    def plus(self, classes: Iterable[type[Entity]]) -> Kinds:
        """These kinds and more after them."""
        return Kinds([*self._classes, *classes])


def _check_declared(cls: Any) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Entity)):
        raise KindError(f"{cls!r} is not an Entity subclass")
    missing = [name for name in DECLARED if name not in vars(cls)]  # its own, not another kind's
    if missing:
        raise KindError(f"{cls.__qualname__} does not declare its {', '.join(missing)}")
    if not re.fullmatch(ID_PATTERN, cls.kind) or not re.fullmatch(ID_PATTERN, cls.folder):
        raise KindError(f"{cls.__qualname__}: kind and folder must be kebab-case names, e.g. 'myth' and 'myths'")
    if cls.folder in RESERVED_FOLDERS:
        raise KindError(f"{cls.__qualname__}: the folder {cls.folder!r} is reserved")


BUILT_IN = Kinds(ENTITY_TYPES)
"""The kinds backpub ships."""
