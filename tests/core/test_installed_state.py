"""The cache survives `pip install -e .`: reinstalling backpub rewrites its own install records (and so the package
folder's time), never its code; only another package installed, upgraded or removed invalidates the cache."""

from __future__ import annotations

import os
import sys
from importlib.metadata import distribution
from pathlib import Path

import pytest

from backpub.files.cache import installed_state, own_install_records


def _install_backpub(folder: Path, *, version: str = "0.1.0") -> None:
    """What an editable install writes into a package folder (hatchling's .pth; a dist-info whose RECORD lists it)."""
    info = folder / f"backpub-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (folder / "_editable_impl_backpub.pth").write_text("/work/checkout/src\n")
    (info / "METADATA").write_text(f"Name: backpub\nVersion: {version}\n")
    (info / "RECORD").write_text(
        f"_editable_impl_backpub.pth,sha256=x,19\nbackpub-{version}.dist-info/METADATA,,\n../../../bin/backpub,,\n"
    )


@pytest.fixture
def site_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "lib" / "python3.11" / "site-packages"
    (folder / "requests").mkdir(parents=True)
    (folder / "requests-2.32.0.dist-info").mkdir()
    _install_backpub(folder)
    monkeypatch.setattr(sys, "path", [str(tmp_path / "src"), str(folder)])
    return folder


def test_reinstalling_backpub_in_place_keeps_the_installed_state(site_packages: Path) -> None:
    before = installed_state()
    later = os.stat(site_packages).st_mtime_ns + 10**9
    _install_backpub(site_packages)  # written again, as `pip install -e .` does: the records and the folder are newer
    for path in [site_packages / "_editable_impl_backpub.pth", *site_packages.glob("backpub-*"), site_packages]:
        os.utime(path, ns=(later, later))
    assert installed_state() == before


def test_any_other_package_installed_upgraded_or_removed_changes_it(site_packages: Path) -> None:
    before = installed_state()
    (site_packages / "newpackage").mkdir()
    added = installed_state()
    assert added != before
    (site_packages / "requests-2.32.0.dist-info").rename(site_packages / "requests-2.33.0.dist-info")
    assert installed_state() != added
    (site_packages / "newpackage").rmdir()
    assert len(installed_state()) == len(before)


def test_this_installation_of_backpub_is_left_out_of_the_installed_state() -> None:
    folder = Path(str(distribution("backpub").locate_file("")))
    own = own_install_records(folder)
    assert any(name.endswith(".dist-info") for name in own), own
    assert not {Path(name).name for name, _ in installed_state() if Path(name).parent == folder} & own
