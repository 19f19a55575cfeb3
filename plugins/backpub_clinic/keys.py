"""Clinic keys: each clinic signs in to the service with a key of its own, and only the key's hash is kept.

`backpub clinic key CLINIC` makes a key from 32 random bytes, prints it once and writes its SHA-256 (never the key)
to `.backpub/state/clinic-keys.json`, replacing the clinic's previous key (which stops working at once: the
service reads the file again whenever it changes). A key is looked up by its hash, compared in constant time.
A 256-bit random key needs no slow password hash: there is nothing to guess.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from backpub import ConfigError, atomic_write

KEYS_FILE = "clinic-keys.json"
"""The file in the project's state folder (`.backpub/state/`) that holds each clinic's key hash."""
KEY_BYTES = 32
FORMAT_VERSION = 1


def digest(key: str) -> str:
    """The hash a key is kept and looked up by."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass
class KeyRing:
    """The clinics' key hashes in a state folder, read again when the file changes."""

    state_dir: Path
    _loaded: tuple[tuple[int, int] | None, dict[str, str]] = field(default_factory=lambda: (None, {}))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def path(self) -> Path:
        return self.state_dir / KEYS_FILE

    def issue(self, clinic_id: str) -> str:
        """A new key for a clinic: its hash replaces the clinic's previous one; the key itself is returned once."""
        key = secrets.token_urlsafe(KEY_BYTES)
        entries = self._read_file()
        entries[clinic_id] = {"sha256": digest(key), "created": datetime.now(UTC).isoformat(timespec="seconds")}
        data = {"version": FORMAT_VERSION, "clinics": dict(sorted(entries.items()))}
        atomic_write(self.path, (json.dumps(data, indent=2) + "\n").encode())
        os.chmod(self.path, 0o600)
        return key

    def clinic_for(self, key: str) -> str | None:
        """The clinic a key belongs to, or None for no clinic's key."""
        wanted = digest(key)
        found = None
        for clinic_id, kept in self.hashes().items():
            if hmac.compare_digest(kept, wanted):  # every entry is compared: the time says nothing
                found = clinic_id
        return found

    def hashes(self) -> dict[str, str]:
        """Each clinic's key hash, as the file has them now (a file that cannot be read keeps the last good ones)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if self._loaded[0] != stamp:
                try:
                    entries = self._read_file()
                except ConfigError:
                    return self._loaded[1]
                self._loaded = (stamp, {clinic: entry["sha256"] for clinic, entry in entries.items()})
            return self._loaded[1]

    def check(self) -> None:
        """ConfigError when the file is there but cannot be read (a service refuses to start on it)."""
        self._read_file()

    def _read_file(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{self.path}: cannot read the clinic keys ({exc}); make new ones") from None
        clinics = data.get("clinics") if isinstance(data, dict) else None
        if not isinstance(clinics, dict) or not all(
            isinstance(entry, dict) and isinstance(entry.get("sha256"), str) for entry in clinics.values()
        ):
            raise ConfigError(f"{self.path}: not a clinic keys file; make new keys with `backpub clinic key`")
        return {str(clinic): dict(entry) for clinic, entry in clinics.items()}
