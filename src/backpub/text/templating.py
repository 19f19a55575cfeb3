"""One cache of compiled Jinja templates for the whole process, shared by every format's environments.

Each format makes its own Jinja environment for each build (a preview, a service or a test run makes many), and
Jinja compiles every template again for each new environment. Compiling is most of a small build's template
time; keeping the compiled code in memory, keyed by the template's file, its source's checksum and the options
that change what Jinja generates, makes it once per process.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

_shared: jinja2.BytecodeCache | None = None
_lock = threading.Lock()


def template_bytecode() -> jinja2.BytecodeCache:
    """The process's cache of compiled templates: pass it as `jinja2.Environment(bytecode_cache=...)`."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = _in_memory_cache()
        return _shared


def _in_memory_cache() -> jinja2.BytecodeCache:
    from jinja2.bccache import Bucket, BytecodeCache

    class InMemory(BytecodeCache):
        def __init__(self) -> None:
            self.codes: dict[str, bytes] = {}

        def get_bucket(self, environment: jinja2.Environment, name: str, filename: str | None, source: str) -> Bucket:
            # The same file compiles differently under other options (autoescape, whitespace control, finalize):
            # they are part of the key. Jinja itself checks the source's checksum when it loads the code.
            key = f"{self.get_cache_key(name, filename)}:{_options(environment)}"
            bucket = Bucket(environment, key, self.get_source_checksum(source))
            self.load_bytecode(bucket)
            return bucket

        def load_bytecode(self, bucket: Bucket) -> None:
            code = self.codes.get(bucket.key)
            if code is not None:
                bucket.bytecode_from_string(code)

        def dump_bytecode(self, bucket: Bucket) -> None:
            self.codes[bucket.key] = bucket.bytecode_to_string()

    return InMemory()


def _options(environment: Any) -> int:
    """What, besides the source, decides the code Jinja generates for a template."""
    return hash(
        (
            environment.autoescape,
            environment.finalize,
            environment.trim_blocks,
            environment.lstrip_blocks,
            environment.keep_trailing_newline,
            environment.newline_sequence,
            environment.block_start_string,
            environment.block_end_string,
            environment.variable_start_string,
            environment.variable_end_string,
            environment.comment_start_string,
            environment.comment_end_string,
            environment.line_statement_prefix,
            environment.line_comment_prefix,
            tuple(sorted(environment.extensions)),
            environment.optimized,
            environment.is_async,
        )
    )
