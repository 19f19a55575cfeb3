"""The plugin host: finds plugins through the `backpub` entry-point group and a project's local folder.

Built-in formats are registered exactly like third-party ones: through entry points in pyproject.toml.
The host is built on demand by `make_host()`, never at import time.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from backpub import hookspecs
from backpub.errors import PluginError, in_plugin

if TYPE_CHECKING:
    from collections.abc import Mapping

    import click

    from backpub.content.publication import Publication
    from backpub.errors import Problem
    from backpub.formats import BuildContext, Format
    from backpub.model.kinds import Kinds

ENTRY_POINT_GROUP = "backpub"
LOCAL_PLUGINS_DIR = "local_plugins"
DISABLE_ENV = "BACKPUB_DISABLE_PLUGINS"
TRACE_ENV = "BACKPUB_TRACE_PLUGINS"


@dataclass
class PluginInfo:
    """What `backpub plugins` shows about one plugin."""

    name: str
    source: str
    version: str | None = None
    formats: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "version": self.version, "formats": self.formats}


class PluginHost:
    """A typed facade over the pluggy manager: one method per hook, each failure attributed to its plugin."""

    def __init__(self, manager: pluggy.PluginManager, infos: list[PluginInfo]) -> None:
        self.manager = manager
        self.infos = infos
        self._formats: dict[str, type[Format]] | None = None
        self._kinds: Kinds | None = None

    def _calls(self, hook_name: str, **kwargs: Any):
        """Call each implementation of a hook on its own, so an exception names its plugin."""
        caller = getattr(self.manager.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            wanted = {name: kwargs[name] for name in impl.argnames}
            call = lambda impl=impl, wanted=wanted: impl.function(**wanted)  # noqa: E731 - one step, named below
            yield impl.plugin_name, in_plugin(impl.plugin_name, f"hook {hook_name}", call)

    def formats(self) -> dict[str, type[Format]]:
        """Every registered format class by name; a missing or duplicate name is an error naming both plugins."""
        if self._formats is None:
            self._formats = self._collect_formats()
        return self._formats

    def _collect_formats(self) -> dict[str, type[Format]]:
        from backpub.formats import SERVICE_FOLDER, Format  # pydantic: not needed until formats are asked for

        found: dict[str, tuple[str, type[Format]]] = {}
        for plugin, result in self._calls("register_formats"):
            for cls in _as_list(result):
                if not (isinstance(cls, type) and issubclass(cls, Format)):
                    raise PluginError(plugin, f"register_formats returned {cls!r}, not a Format subclass")
                if not cls.name:
                    raise PluginError(plugin, f"format class {cls.__qualname__} has no name")
                if cls.name == SERVICE_FOLDER:
                    raise PluginError(
                        plugin, f"format name {cls.name!r} is reserved for the subscription service's files"
                    )
                if cls.name in found:
                    other = found[cls.name][0]
                    raise PluginError(plugin, f"format {cls.name!r} is already registered by plugin {other!r}")
                found[cls.name] = (plugin, cls)
                self._info(plugin).formats.append(cls.name)
        return {name: cls for name, (_, cls) in found.items()}

    def kinds(self) -> Kinds:
        """The kinds of entity: the built-in ones, then each plugin's (`register_kinds`), in registration order; a
        kind or folder taken twice is an error naming the plugin."""
        if self._kinds is None:
            from backpub.model.kinds import BUILT_IN, KindError

            kinds = BUILT_IN
            for plugin, result in self._calls("register_kinds"):
                try:
                    kinds = kinds.plus(_as_list(result))
                except KindError as exc:
                    raise PluginError(plugin, f"register_kinds: {exc}") from None
            self._kinds = kinds
        return self._kinds

    def links(self, publication: Publication, instances: Mapping[str, Format]) -> dict[str, str]:
        """What every installed format publishes where on the website (`Format.links`), merged.

        Two formats claiming one key is an error naming both."""
        merged: dict[str, tuple[str, str]] = {}
        for name, instance in sorted(instances.items()):
            for key, target in in_plugin(name, "links", functools.partial(instance.links, publication)).items():
                if key in merged and merged[key][1] != target:
                    raise PluginError(name, f"links {key!r} to {target!r}, but format {merged[key][0]!r} already does")
                merged[key] = (name, target)
        return {key: target for key, (_, target) in merged.items()}

    def register_commands(self, cli: click.Group) -> None:
        """Let plugins add CLI commands."""
        for _ in self._calls("register_commands", cli=cli):
            pass

    def check_publication(self, publication: Publication, context: BuildContext) -> list[Problem]:
        """Extra problems plugins find in the content."""
        problems: list[Problem] = []
        for _, result in self._calls("check_publication", publication=publication, context=context):
            problems.extend(result or [])
        return problems

    def _info(self, plugin: str) -> PluginInfo:
        for info in self.infos:
            if info.name == plugin:
                return info
        info = PluginInfo(plugin, "registered")
        self.infos.append(info)
        return info

    def describe(self) -> list[dict[str, Any]]:
        """The plugins, their formats and versions, for `backpub plugins`."""
        self.formats()
        return [info.as_dict() for info in self.infos]


def _as_list(result: Any) -> list[Any]:
    if result is None:
        return []
    return list(result) if isinstance(result, (list, tuple)) else [result]


def make_host(
    *,
    project_dir: Path | None = None,
    entrypoints: bool = True,
    plugins: tuple[tuple[str, object], ...] = (),
) -> PluginHost:
    """Build a plugin host: specs, entry-point plugins, the project's local plugins, then `plugins` given here."""
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    infos: list[PluginInfo] = []
    for name in _disabled():
        manager.set_blocked(name)
    if entrypoints:
        _load_entry_points(manager, infos)
    if project_dir is not None:
        _load_local_plugins(manager, infos, Path(project_dir) / LOCAL_PLUGINS_DIR)
    for name, plugin in plugins:
        _register(manager, infos, plugin, name, "test")
    _check_pending(manager)
    if os.environ.get(TRACE_ENV):
        manager.trace.root.setwriter(lambda text: sys.stderr.write(text))
        manager.enable_tracing()
    return PluginHost(manager, infos)


def _disabled() -> list[str]:
    return [name.strip() for name in os.environ.get(DISABLE_ENV, "").split(",") if name.strip()]


def _load_entry_points(manager: pluggy.PluginManager, infos: list[PluginInfo]) -> None:
    for entry_point, dist_name, dist_version in _installed(tuple(sys.path), entry_points):
        if manager.is_blocked(entry_point.name):
            continue
        try:
            plugin = entry_point.load()
        except Exception as exc:
            raise PluginError(
                entry_point.name, f"failed to load ({entry_point.value}): {type(exc).__name__}: {exc}"
            ) from exc
        source = f"entry point {entry_point.value}" + (f" from {dist_name}" if dist_name else "")
        _register(manager, infos, plugin, entry_point.name, source, dist_version)


@functools.lru_cache(maxsize=8)
def _installed(path: tuple[str, ...], find: Callable[..., Any]) -> tuple[tuple[Any, str | None, str | None], ...]:
    """The group's entry points, by name, with their distribution's name and version: looked up once per search
    path (`path`, the cache's key with `find`), as scanning every installed distribution's metadata takes tens of
    milliseconds and a process (a preview, a service, a test run) makes many hosts."""
    found = []
    for entry_point in sorted(find(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        dist = entry_point.dist
        found.append((entry_point, dist.name if dist else None, dist.version if dist else None))
    return tuple(found)


def _load_local_plugins(manager: pluggy.PluginManager, infos: list[PluginInfo], folder: Path) -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.py")):
        name = f"local:{path.stem}"
        if manager.is_blocked(name) or manager.is_blocked(path.stem):
            continue
        try:
            spec = importlib.util.spec_from_file_location(f"backpub_local_plugins.{path.stem}", path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module  # so its classes can be located (and pickled) like any module's
            spec.loader.exec_module(module)
        except Exception as exc:
            raise PluginError(name, f"failed to load {path}: {type(exc).__name__}: {exc}") from exc
        _register(manager, infos, module, name, f"local file {path}")


def _register(
    manager: pluggy.PluginManager,
    infos: list[PluginInfo],
    plugin: object,
    name: str,
    source: str,
    version: str | None = None,
) -> None:
    try:
        manager.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginError(name, f"cannot be registered: {exc}") from exc
    infos.append(PluginInfo(name, source, version or getattr(plugin, "__version__", None)))


def _check_pending(manager: pluggy.PluginManager) -> None:
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        plugin = manager.get_name(exc.plugin) or repr(exc.plugin)
        raise PluginError(plugin, f"implements an unknown hook: {exc}") from exc
