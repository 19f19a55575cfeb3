"""One database for the list and the send ledger, in one of two engines: SQLite (embedded, the default) or PostgreSQL.

    db = open_database("postgresql://list@db.example.org/programme")      # or a path to a SQLite file
    with db.transaction() as tx:
        rows = tx.rows("SELECT address FROM subscribers WHERE status = ?", ("subscribed",))

SQL is written once, with `?` placeholders, in the dialect both engines share (ON CONFLICT, RETURNING). A
transaction takes its connection from a pool (PostgreSQL, psycopg_pool) or opens and closes one (SQLite: cheap,
and nothing is left open per thread). SQLite runs in rollback-journal mode (`journal_mode=DELETE`): every committed
transaction is in the database file itself, so the file alone is the whole state (never a `-wal` file beside it).

Whatever goes wrong with the database (it is missing, empty, damaged, read-only, unreachable, or has no schema)
is a `DatabaseError`, a one-line ConfigError naming the database, never a traceback.
"""

from __future__ import annotations

import os
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from backpub import ConfigError

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT = 30.0
"""Seconds a SQLite transaction waits for another process's write to finish."""


class DatabaseError(ConfigError):
    """The subscriber database cannot be used as it is; the message says what to do."""


class ReadOnlyError(DatabaseError):
    """The database (or its folder) cannot be written."""


class Transaction(ABC):
    """One transaction's statements; the engines turn `?` into their own placeholders."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""

    @abstractmethod
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run a query (or a statement with RETURNING); every row."""

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        """The first row, or None."""
        found = self.rows(sql, params)
        return found[0] if found else None

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        row = self.one(sql, params)
        return row[0] if row else None


class Database(ABC):
    """A database holding a mailing list (see `backpub_mailinglist.schema`)."""

    dialect: str
    label: str
    """How messages name it: a file path, or the server and database name (never a password)."""

    @abstractmethod
    @contextmanager
    def transaction(self, *, durable: bool = True, write: bool = True) -> Iterator[Transaction]:
        """One transaction, committed when the block ends without an exception. With `durable=False` the commit
        may be lost in a power cut (never in a crash of this process): for records whose loss is safe. A
        `write=False` transaction only reads (it works on a read-only file)."""

    def statement(self, sql: str, params: Sequence[Any] = (), *, durable: bool = True) -> list[tuple]:
        """One statement in a transaction of its own; its rows (RETURNING) or none."""
        with self.transaction(durable=durable) as tx:
            return tx.rows(sql, params)

    @abstractmethod
    def exists(self) -> bool:
        """Whether the database has a mailing list's tables yet."""

    @abstractmethod
    def session_lock(self, name: str) -> SessionLock:
        """A lock held until released or until this process dies, whichever comes first (one send at a time)."""

    def close(self) -> None:  # noqa: B027 - SQLite keeps no connection open between transactions
        """Give back every connection."""


class SessionLock(ABC):
    @abstractmethod
    def acquire(self) -> bool:
        """True when taken, False when another process holds it."""

    @abstractmethod
    def release(self) -> None: ...


def open_database(where: str | Path, *, create: bool, pool_size: int = 4) -> Database:
    """The database `where` names: a postgresql:// URL, or a SQLite file path (or sqlite:///path).

    With `create`, a SQLite file that does not exist yet is made (its folder too); without it, a missing file is
    an error: a command that mails people must never start from an empty list by mistake."""
    text = str(where)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(text, pool_size=pool_size)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite://")
    elif "://" in text:
        raise ConfigError(f"--database {text!r}: use a postgresql:// URL or the path of a SQLite file")
    return SqliteDatabase(Path(text), create=create)


# -- SQLite -----------------------------------------------------------------------------------------------------


class _SqliteTransaction(Transaction):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.db.execute(sql, tuple(params)).rowcount

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.db.execute(sql, tuple(params)).fetchall()


class SqliteDatabase(Database):
    """A SQLite file, by default `.backpub/state/subscribers.sqlite` beside the content folder."""

    dialect = "sqlite"

    def __init__(self, path: Path, *, create: bool) -> None:
        self.path = Path(path)
        self.label = str(self.path)
        self._check_file(create)
        with self.transaction(write=False) as tx:
            found = tx.value("PRAGMA quick_check")  # reads every page: a damaged file fails here, once per process
        if found != "ok":
            raise DatabaseError(
                f"the subscriber database {self.label!r} is damaged ({found}): restore it from a backup"
            )

    def _check_file(self, create: bool) -> None:
        """Refuse a file that is missing (unless creating), empty, or not SQLite, before SQLite touches it."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            if not create:
                raise DatabaseError(
                    f"there is no subscriber database at {self.label!r}: fill one with `backpub newsletter import` "
                    "or `backpub newsletter serve`, or pass --database"
                ) from None
            self._create_folder()
            return
        except OSError as exc:
            raise DatabaseError(f"cannot read the subscriber database {self.label!r}: {exc.strerror}") from None
        if size == 0:
            raise DatabaseError(
                f"the subscriber database {self.label!r} is empty (0 bytes), so it holds no list and no record of "
                "what was sent: restore it from a backup (or move it away to start a new list)"
            )
        with open(self.path, "rb") as handle:
            if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                raise DatabaseError(
                    f"{self.label!r} is not a SQLite database (damaged or another file): restore it from a backup"
                )

    def _create_folder(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ReadOnlyError(f"cannot create the folder of {self.label!r}: {exc.strerror}") from None
        if not os.access(self.path.parent, os.W_OK):
            raise ReadOnlyError(f"cannot create {self.label!r}: its folder is read-only")

    def _connect(self, write: bool) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        if write:
            # An older backpub kept this file in WAL mode: switching back moves the -wal file's pages into it.
            db.execute("PRAGMA journal_mode=DELETE")
        return db

    @contextmanager
    def transaction(self, *, durable: bool = True, write: bool = True) -> Iterator[Transaction]:
        db = None
        try:
            db = self._connect(write)
            db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield _SqliteTransaction(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        finally:
            if db is not None:
                db.close()

    def _error(self, exc: sqlite3.Error) -> DatabaseError:
        text = str(exc)
        unwritable = not os.access(self.path.parent, os.W_OK) or not os.access(self.path, os.W_OK)
        if "readonly" in text or ("unable to open" in text and unwritable):
            return ReadOnlyError(
                f"cannot write the subscriber database {self.label!r}: it (or its folder) is read-only"
            )
        if isinstance(exc, sqlite3.DatabaseError) and ("malformed" in text or "not a database" in text):
            return DatabaseError(
                f"the subscriber database {self.label!r} is damaged ({text}): restore it from a backup"
            )
        if "locked" in text or "busy" in text:
            return DatabaseError(f"the subscriber database {self.label!r} stayed locked by another process ({text})")
        return DatabaseError(f"the subscriber database {self.label!r} failed: {text}")

    def exists(self) -> bool:
        with self.transaction(write=False) as tx:
            return tx.one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'subscribers'") is not None

    def session_lock(self, name: str) -> SessionLock:
        safe = re.sub(r"[^A-Za-z0-9.-]+", "-", name)
        return _FileLock(self.path.with_name(f"{self.path.name}.{safe}.lock"))


class _FileLock(SessionLock):
    """An fcntl lock on a file beside the database: the kernel releases it when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[str] | None = None

    def acquire(self) -> bool:
        import fcntl

        try:
            self.handle = handle = open(self.path, "a+")  # noqa: SIM115 - held until release()
        except OSError as exc:
            raise ReadOnlyError(
                f"the subscriber database's folder {str(self.path.parent)!r} is read-only: cannot create the send "
                f"lock {self.path.name!r} there ({exc.strerror})"
            ) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            self.handle = None
            return False
        return True

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


# -- PostgreSQL ---------------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\?")


class _PostgresTransaction(Transaction):
    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.cursor.execute(_postgres_sql(sql), tuple(params))
        return self.cursor.rowcount

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        self.cursor.execute(_postgres_sql(sql), tuple(params))
        return self.cursor.fetchall() if self.cursor.description else []


_converted: dict[str, str] = {}


def _postgres_sql(sql: str) -> str:
    """`?` placeholders as psycopg's `%s` (the shared SQL never contains a literal `?` or `%`)."""
    found = _converted.get(sql)
    if found is None:
        found = _converted[sql] = _PLACEHOLDER.sub("%s", sql)
    return found


class PostgresDatabase(Database):
    """A PostgreSQL database reached with psycopg 3 through a small connection pool."""

    dialect = "postgresql"

    def __init__(self, url: str, *, pool_size: int = 4) -> None:
        try:
            import psycopg
            from psycopg.conninfo import conninfo_to_dict
            from psycopg_pool import ConnectionPool
        except ImportError:
            raise ConfigError("a postgresql:// database needs psycopg: pip install 'backpub[postgresql]'") from None
        self._psycopg = psycopg
        try:
            info = conninfo_to_dict(url)
        except psycopg.ProgrammingError as exc:
            raise DatabaseError(f"--database is not a PostgreSQL URL: {_first_line(exc)}") from None
        # Name the server and the database, never the password.
        self.label = f"postgresql://{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"
        self._url = url
        try:  # one connection first: an unreachable server is one clear error at once, not a pool's retries
            psycopg.connect(url, connect_timeout=10).close()
        except psycopg.Error as exc:
            raise DatabaseError(f"cannot reach the database {self.label}: {_first_line(exc)}") from None
        self.pool = ConnectionPool(
            url, min_size=1, max_size=max(1, pool_size), kwargs={"autocommit": True}, open=False, name="backpub"
        )
        try:
            self.pool.open(wait=True, timeout=10)
        except Exception as exc:  # psycopg_pool.PoolTimeout names the last connection error
            self.pool.close()
            raise DatabaseError(f"cannot reach the database {self.label}: {_first_line(exc)}") from None

    @contextmanager
    def transaction(self, *, durable: bool = True, write: bool = True) -> Iterator[Transaction]:
        with self._errors(), self.pool.connection(timeout=BUSY_TIMEOUT) as connection, connection.transaction():
            cursor = connection.cursor()
            if not durable:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            yield _PostgresTransaction(cursor)

    def statement(self, sql: str, params: Sequence[Any] = (), *, durable: bool = True) -> list[tuple]:
        """One statement, committed by itself (autocommit): one round trip to the server. Always durable: a
        PostgreSQL commit is one WAL flush, shared by the commits that arrive together."""
        with self._errors(), self.pool.connection(timeout=BUSY_TIMEOUT) as connection:
            cursor = connection.execute(_postgres_sql(sql), tuple(params))
            return cursor.fetchall() if cursor.description else []

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """psycopg's and the pool's errors as one-line DatabaseErrors."""
        psycopg = self._psycopg
        try:
            yield
        except psycopg.errors.ReadOnlySqlTransaction as exc:
            raise ReadOnlyError(f"cannot write the database {self.label}: {_first_line(exc)}") from None
        except psycopg.errors.InsufficientPrivilege as exc:
            raise ReadOnlyError(f"not allowed to write the database {self.label}: {_first_line(exc)}") from None
        except (psycopg.Error, OSError) as exc:
            raise DatabaseError(f"the database {self.label} failed: {_first_line(exc)}") from None
        except Exception as exc:
            if type(exc).__module__.startswith("psycopg_pool"):
                raise DatabaseError(f"the database {self.label} failed: {_first_line(exc)}") from None
            raise

    def exists(self) -> bool:
        with self.transaction(write=False) as tx:
            return tx.value("SELECT to_regclass('subscribers') IS NOT NULL") is True

    def session_lock(self, name: str) -> SessionLock:
        return _AdvisoryLock(self, name)

    def close(self) -> None:
        self.pool.close()


class _AdvisoryLock(SessionLock):
    """A PostgreSQL session advisory lock on its own connection: the server releases it when the connection ends,
    so a killed process never leaves it behind."""

    def __init__(self, database: PostgresDatabase, name: str) -> None:
        self.database = database
        self.name = name
        self.connection: Any = None  # a psycopg.Connection while the lock is held

    def acquire(self) -> bool:
        psycopg = self.database._psycopg
        try:
            self.connection = psycopg.connect(self.database._url, autocommit=True)
            taken = self.connection.execute(
                "SELECT pg_try_advisory_lock(hashtext('backpub'), hashtext(current_schema() || ' ' || %s))",
                (self.name,),
            ).fetchone()[0]
        except psycopg.Error as exc:
            raise DatabaseError(f"cannot reach the database {self.database.label}: {_first_line(exc)}") from None
        if not taken:
            self.release()
        return bool(taken)

    def release(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
