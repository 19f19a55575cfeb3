"""Protocols within a phase come after their prerequisites and after what progresses to them, else by id."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from backpub.content.publication import _prerequisite_order


def protocol(pid: str, prerequisites=(), progressions=()):
    return SimpleNamespace(id=pid, prerequisites=list(prerequisites), progressions=list(progressions))


@pytest.mark.parametrize(
    ("protocols", "expected"),
    [
        ([protocol("c"), protocol("a"), protocol("b")], ["a", "b", "c"]),
        ([protocol("a", prerequisites=["c"]), protocol("b"), protocol("c")], ["b", "c", "a"]),
        ([protocol("a"), protocol("z", progressions=["a"])], ["z", "a"]),
        # a prerequisite in another phase (or unknown) does not hold a protocol back
        ([protocol("b", prerequisites=["elsewhere"]), protocol("a", prerequisites=["b"])], ["b", "a"]),
        # once 'd' is placed, 'a' (ready) comes before 'c' (also ready): smallest id first at every step
        ([protocol("a", ["d"]), protocol("c"), protocol("d"), protocol("e", ["c"])], ["c", "d", "a", "e"]),
        # a loop (refused by validation) still gives every protocol once, in id order
        ([protocol("b", ["a"]), protocol("a", ["b"])], ["a", "b"]),
    ],
)
def test_prerequisite_order(protocols, expected):
    assert [p.id for p in _prerequisite_order(protocols)] == expected
