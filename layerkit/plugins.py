"""Building the plugin manager: built-ins and third-party plugins alike come from the
``layerkit`` entry-point group; ``--plugin path.py`` adds a plugin under development.

Every call returns a fresh manager (tests build their own; there is no global one). A plugin
that fails to import, or implements a hook that does not exist, is reported by name.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from layerkit import hookspecs
from layerkit.errors import LayerkitError, PluginError

ENTRY_POINT_GROUP = "layerkit"


@dataclass(frozen=True)
class PluginInfo:
    name: str
    module: str
    version: str | None
    hooks: tuple[str, ...]
    builtin: bool


def get_plugin_manager(plugin_paths: Sequence[str | Path] = ()) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("layerkit")
    pm.add_hookspecs(hookspecs)
    for ep in sorted(
        importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name
    ):
        if pm.get_plugin(ep.name) is not None:
            continue
        try:
            module = ep.load()
        except Exception as exc:
            raise PluginError(
                f"plugin {ep.name!r} ({ep.value}) failed to load: {type(exc).__name__}: {exc}",
                hint=f"Reinstall or uninstall the package that provides {ep.value!r}.",
            ) from exc
        _register(pm, module, ep.name)
    for path in plugin_paths:
        module = _load_module_from_path(Path(path))
        _register(pm, module, f"file:{Path(path).name}")
    return pm


def _register(pm: pluggy.PluginManager, module: ModuleType, name: str) -> None:
    try:
        pm.register(module, name=name)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        pm.unregister(name=name)
        raise PluginError(
            f"plugin {name!r} implements a hook layerkit does not have: {exc}",
            hint="Check the hook name against layerkit/hookspecs.py (the plugin guide lists them).",
        ) from exc


#: plugin files run once per process: ``layerkit --plugin x.py`` builds a plugin manager for the
#: commands a plugin adds and another for the command itself, and a plugin's module-level code
#: (a print, a model loaded, a counter) must not run twice. Keyed by the file's path and
#: modification time, so an edited file is loaded anew.
_LOADED: dict[tuple[str, int, int], ModuleType] = {}


def _load_module_from_path(path: Path) -> ModuleType:
    if not path.is_file():
        raise PluginError(f"plugin file {path} does not exist.", hint="Check the --plugin path.")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key in _LOADED:
        return _LOADED[key]
    _LOADED[key] = module = _exec_module_file(path)
    return module


def _exec_module_file(path: Path) -> ModuleType:
    module_name = f"layerkit_local_plugin_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"{path} is not a Python module.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise PluginError(
            f"plugin file {path} failed to load: {type(exc).__name__}: {exc}",
            hint="Run it with python to see the full traceback.",
        ) from exc
    return module


@contextmanager
def blamed_on(
    plugin: str,
    what: str,
    *,
    output: Path | None = None,
    passing: tuple[type[Exception], ...] = (),
) -> Iterator[None]:
    """Run a plugin's code (``what``: "exporter 'brat'"): an exception other than a
    ``LayerkitError`` becomes a ``PluginError`` naming the plugin (the CLI prints it and exits
    2). ``output``: a path the code writes that did not exist before is removed on failure, so
    a failed export leaves nothing half-written. ``passing``: exceptions the caller reports
    itself (an importer's unreadable input)."""
    existed = output is not None and (output.exists() or output.is_symlink())
    try:
        yield
    except BaseException as exc:
        if output is not None and not existed and (output.exists() or output.is_symlink()):
            if output.is_dir() and not output.is_symlink():
                shutil.rmtree(output, ignore_errors=True)
            else:
                output.unlink(missing_ok=True)
        if isinstance(exc, (LayerkitError, *passing)) or not isinstance(exc, Exception):
            raise
        raise PluginError(
            f"plugin {plugin!r} failed in {what}: {type(exc).__name__}: {exc}",
            hint=f"Disable or fix the plugin {plugin!r}; nothing was written.",
        ) from exc


def call_hook(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> list[Any]:
    """Call a hook implementation by implementation, so a failure names its plugin."""
    results = []
    hook = getattr(pm.hook, hook_name)
    for impl in reversed(hook.get_hookimpls()):
        result = _call_impl(impl, hook_name, kwargs)
        if result is not None:
            results.append(result)
    return results


def _call_impl(impl: Any, hook_name: str, args: Mapping[str, Any]) -> Any:
    """One hook implementation with the arguments it asks for; any failure but a
    LayerkitError becomes a PluginError that names the plugin."""
    with blamed_on(impl.plugin_name, hook_name):
        return impl.function(**{k: args[k] for k in impl.argnames})


def chain_hook(
    pm: pluggy.PluginManager,
    hook_name: str,
    value_name: str,
    value: Any,
    check: Callable[[Any], str | None] | None = None,
    **kwargs: Any,
) -> tuple[Any, str | None]:
    """Pass ``value`` through every implementation in call order, each getting the last result.

    Returns the final value and ``None``, or ``(None, plugin name)`` when an implementation
    returned ``None`` (for ``curriculum_record``: dropped the record), which ends the chain.
    Unlike pluggy's own calling, where ``None`` means "no answer", this lets several plugins
    compose their changes to one value, and tells who dropped it. ``check`` says what is wrong
    with a returned value (or None); a plugin whose value fails it is named in the error.
    """
    hook = getattr(pm.hook, hook_name)
    for impl in reversed(hook.get_hookimpls()):
        value = _call_impl(impl, hook_name, {value_name: value, **kwargs})
        if value is None:
            return None, impl.plugin_name
        problem = check(value) if check is not None else None
        if problem:
            raise PluginError(
                f"plugin {impl.plugin_name!r} returned an invalid value from {hook_name}: "
                f"{problem}.",
                hint=f"See the documentation of {hook_name} in docs/plugins.md.",
            )
    return value, None


def has_implementations(pm: pluggy.PluginManager, hook_name: str) -> bool:
    return bool(getattr(pm.hook, hook_name).get_hookimpls())


def collect(pm: pluggy.PluginManager, hook_name: str) -> list[tuple[str, Any]]:
    """Run a ``register_*`` hook and return ``(plugin name, registered thing)`` pairs."""
    items: list[tuple[str, Any]] = []
    hook = getattr(pm.hook, hook_name)
    for impl in reversed(hook.get_hookimpls()):
        register = _collector(items, impl.plugin_name)
        with blamed_on(impl.plugin_name, hook_name):
            impl.function(register)
    return items


def _collector(items: list[tuple[str, Any]], plugin_name: str) -> Callable[[Any], None]:
    def register(item: Any) -> None:
        items.append((plugin_name, item))

    return register


def describe_plugins(pm: pluggy.PluginManager) -> list[PluginInfo]:
    # Which distribution provides each entry-point plugin (plugins from --plugin files have none).
    dists: dict[str, tuple[str | None, str | None]] = {
        ep.name: (ep.dist.name, ep.dist.version) if ep.dist else (None, None)
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    }
    infos = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: item[0]):
        hooks = tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or []))
        dist_name, version = dists.get(name, (None, None))
        infos.append(
            PluginInfo(
                name=name,
                module=getattr(plugin, "__name__", repr(plugin)),
                version=version,
                hooks=hooks,
                builtin=dist_name == "layerkit",
            )
        )
    return infos
