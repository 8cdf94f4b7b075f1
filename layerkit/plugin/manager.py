"""Building the plugin manager: built-ins and third-party plugins alike come from the
``layerkit`` entry-point group; ``--plugin path.py`` adds a plugin under development.

Every call returns a fresh manager (tests build their own; there is no global one). A plugin
that fails to import, or implements a hook that does not exist, is reported by name.

Hooks are called through pluggy (``pm.hook.NAME(...)``), so its call order, ``tryfirst`` and
``trylast`` and hook wrappers all apply. So that a failure still names the plugin that raised,
each implementation is wrapped as it is registered (:func:`_blame_implementations`): an
exception from it becomes a :class:`PluginError` naming the plugin, and while it runs
:data:`_CALLING` says whose it is (how ``register`` callbacks learn who registered a thing).
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from layerkit.errors import LayerkitError, PluginError
from layerkit.plugin import specs as hookspecs

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
    loaded: dict[str, importlib.metadata.EntryPoint] = {}
    disabled = disabled_plugins()
    for ep in sorted(
        importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name
    ):
        if ep.name in disabled:
            continue  # not even imported: a plugin that breaks on import can be set aside
        first = loaded.get(ep.name)
        if first is not None:
            if first.value == ep.value:
                continue  # one package seen twice on the path (an old copy beside a new one)
            # Two packages, one name: the second was skipped without a word (its layers,
            # exporters and tasks gone, the table showing the first's module).
            raise PluginError(
                f"two installed packages register the layerkit plugin {ep.name!r}: "
                f"{_provider(first)} and {_provider(ep)}.",
                hint="Uninstall one of them, or give one's entry point another name "
                "([project.entry-points.layerkit] in its pyproject.toml).",
            )
        loaded[ep.name] = ep
        try:
            module = ep.load()
        except Exception as exc:
            raise PluginError(
                f"plugin {ep.name!r} ({ep.value}) failed to load: {type(exc).__name__}: {exc}",
                hint=f"Reinstall or uninstall the package that provides {ep.value!r}, or "
                f"set it aside: {DISABLE_VARIABLE}={ep.name}.",
            ) from exc
        _register(pm, module, ep.name)
    for path in plugin_paths:
        if _loaded_already(pm, Path(path)):
            continue  # the same file twice, or an installed plugin's own file
        module = _load_module_from_path(Path(path))
        _register(pm, module, f"file:{Path(path).name}")
    return pm


#: installed plugins not to load, by name (comma-separated): how "disable the plugin" is done
DISABLE_VARIABLE = "LAYERKIT_DISABLE_PLUGINS"


def disabled_plugins() -> set[str]:
    """The installed plugins :data:`DISABLE_VARIABLE` names."""
    return {n.strip() for n in os.environ.get(DISABLE_VARIABLE, "").split(",") if n.strip()}


def fix_or_disable(plugin: str) -> str:
    """How a user gets past a failing plugin: a ``--plugin`` file is left out of the command;
    an installed one is set aside by :data:`DISABLE_VARIABLE` (or fixed)."""
    if plugin.startswith("file:"):
        return f"Fix the plugin {plugin!r}, or {set_aside(plugin)}"
    return f"Fix the plugin {plugin!r}, or disable it: {set_aside(plugin)}"


def set_aside(plugin: str) -> str:
    """How one command runs without ``plugin``."""
    if plugin.startswith("file:"):
        return f"run without --plugin {plugin[5:]}"
    return f"{DISABLE_VARIABLE}={plugin}"


def _provider(ep: importlib.metadata.EntryPoint) -> str:
    """``module (distribution version)`` of an entry point, for a message."""
    dist = ep.dist
    return f"{ep.value} ({dist.name} {dist.version})" if dist is not None else ep.value


def _loaded_already(pm: pluggy.PluginManager, path: Path) -> bool:
    """Whether ``path`` is the file of a plugin ``pm`` holds: given twice with ``--plugin``,
    or an installed plugin's module given again (pluggy refused the name with a traceback,
    or its layers clashed with themselves)."""
    wanted = path.resolve()
    for plugin in pm.get_plugins():
        file = getattr(plugin, "__file__", None)
        if file is not None and Path(file).resolve() == wanted:
            return True
    return False


def calling_plugin() -> str | None:
    """The plugin whose hook implementation is running now (None outside one): how a thing a
    hook registers is told by its plugin."""
    return _CALLING.get()


def _register(pm: pluggy.PluginManager, module: ModuleType, name: str) -> None:
    try:
        pm.register(module, name=name)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        pm.unregister(name=name)
        found = re.search(
            r"for hook '([^']+)'.*Argument\(s\) (\{.*\}) are declared", str(exc), re.S
        )
        hook = getattr(pm.hook, found.group(1), None) if found else None
        if found and hook is not None and hook.spec is not None:
            # a known hook with an argument its specification lacks (it was told as a hook
            # layerkit does not have, and the author looked for a typo in the name)
            raise PluginError(
                f"plugin {name!r}: its {hook.name} takes {found.group(2)}, which the hook does "
                "not give.",
                hint=f"{hook.name} gives {', '.join(hook.spec.argnames)}: take any of them, "
                "by these names.",
            ) from exc
        raise PluginError(
            f"plugin {name!r} implements a hook layerkit does not have: {exc}",
            hint="Check the hook name against layerkit/plugin/specs.py (docs/plugins.md lists them).",
        ) from exc
    _blame_implementations(pm, module, name)
    _PLUGIN_MODULES[module.__name__] = name


#: each registered plugin's module (a package: its submodules too), by name: whose code a
#: failure went through (:func:`_deepest_plugin`)
_PLUGIN_MODULES: dict[str, str] = {}


def _deepest_plugin(exc: BaseException, blamed: str) -> str:
    """The plugin whose code ``exc`` was raised deepest in: a hook wrapper that fails inside
    an exporter's run is the wrapper's plugin's fault, not the exporter's (wrappers are not
    wrapped to blame themselves: pluggy drives them as generators). ``blamed`` where no
    plugin's frame is on the traceback."""
    found = blamed
    trace = exc.__traceback__
    while trace is not None:
        module = trace.tb_frame.f_globals.get("__name__", "")
        owner = _PLUGIN_MODULES.get(module) or _PLUGIN_MODULES.get(module.split(".", 1)[0])
        if owner is not None:
            found = owner
        trace = trace.tb_next
    return found


#: the plugin whose hook implementation is running (None outside one)
_CALLING: ContextVar[str | None] = ContextVar("layerkit_plugin_calling", default=None)


def _blame_implementations(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    """Wrap each of ``plugin``'s hook implementations (not its hook wrappers, which pluggy
    drives as generators) so that its failure names it and :data:`_CALLING` is set meanwhile."""
    for caller in pm.get_hookcallers(plugin) or []:
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin and not (impl.wrapper or impl.hookwrapper):
                # HookImpl.function is Final to pluggy's typing, but a plain slot: replacing it
                # is how a call through pm.hook reaches the wrapper
                impl.function = _blamed(impl.function, name, caller.name)  # type: ignore[misc]


#: the hooks that hand things over through their argument (``register(item)``,
#: ``cli.add_command``) and return nothing: what an implementation returns is lost
_GIVE_THROUGH_ARGUMENT = {
    "register_importers": "register(importer)",
    "register_exporters": "register(exporter)",
    "register_preannotators": "register(preannotator)",
    "register_layers": "register(path_of_the_schema)",
    "register_curriculum_tasks": "register(task)",
    "register_commands": "cli.add_command(command)",
}


#: the hooks that are told of what was done (their results unused)
_TOLD_AFTERWARDS = {"annotation_saved"}


def _blamed(function: Callable[..., Any], plugin: str, hook_name: str) -> Callable[..., Any]:
    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        token = _CALLING.set(plugin)
        try:
            # (a hook told of a change made is not the change: that one was written)
            with blamed_on(plugin, hook_name, writes=hook_name not in _TOLD_AFTERWARDS):
                result = function(*args, **kwargs)
        finally:
            _CALLING.reset(token)
        if result is not None and hook_name in _GIVE_THROUGH_ARGUMENT:
            # a list returned, as other plugin systems take them, was dropped in silence
            raise PluginError(
                f"plugin {plugin!r}: {hook_name} returned a {type(result).__name__}, which "
                "layerkit does not read.",
                hint=f"Call {_GIVE_THROUGH_ARGUMENT[hook_name]} for each instead of returning "
                "(docs/plugins.md).",
            )
        return result

    return call


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
    writes: bool = True,
) -> Iterator[None]:
    """Run a plugin's code (``what``: "exporter 'brat'"): an exception other than a
    ``LayerkitError`` becomes a ``PluginError`` naming the plugin (the CLI prints it and exits
    2). ``output``: a path the code writes that did not exist before is removed on failure, so
    a failed export leaves nothing half-written. ``passing``: exceptions the caller reports
    itself (an importer's unreadable input). ``writes``: False where layerkit cannot say that
    nothing was written (a plugin's own command)."""
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
        from layerkit.store.engine import database_refusal  # (sqlalchemy: only when needed)

        refused = database_refusal(exc)  # the database's fault (a server stopped), not theirs
        if refused is not None:
            raise refused from exc
        culprit = _deepest_plugin(exc, plugin)
        where = what if culprit == plugin else f"{what} (run by plugin {plugin!r})"
        raise PluginError(
            f"plugin {culprit!r} failed in {where}: {type(exc).__name__}: {exc}",
            hint=fix_or_disable(culprit) + ("; nothing was written." if writes else "."),
        ) from exc


def call_hook(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> list[Any]:
    """``pm.hook.<hook_name>(**kwargs)``: the implementations' results that are not None, in
    call order; a failure names its plugin."""
    return list(getattr(pm.hook, hook_name)(**kwargs))


def notify_hook(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> None:
    """Tell every implementation of a hook that is told of what was done (its results unused),
    each even when one before it failed: one plugin's bug kept the others from hearing of a
    change. The first failure is raised once all have run, naming every plugin that failed."""
    failed: list[tuple[str, PluginError]] = []
    for plugin_name, step in _chain_steps(pm, hook_name):
        try:
            step(**kwargs)
        except PluginError as exc:
            failed.append((plugin_name, exc))
    if failed:
        first = failed[0][1]
        others = [name for name, _ in failed[1:]]
        also = f" (plugins {', '.join(map(repr, others))} failed in it too)" if others else ""
        raise PluginError(first.message + also, hint=first.hint) from first


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
    pluggy gives every implementation the same arguments, so a chain calls them one by one, in
    pluggy's call order, each through a hook caller that also holds the hook's wrappers
    (``pm.subset_hook_caller``): hook wrappers wrap each step. ``check`` says what is wrong
    with a returned value (or None); a plugin whose value fails it is named in the error.
    """
    for plugin_name, step in _chain_steps(pm, hook_name):
        results = step(**{value_name: value, **kwargs})
        value = results[0] if results else None
        if value is None:
            return None, plugin_name
        problem = check(value) if check is not None else None
        if problem:
            raise PluginError(
                f"plugin {plugin_name!r} returned an invalid value from {hook_name}: {problem}.",
                hint=f"See the documentation of {hook_name} in docs/plugins.md.",
            )
    return value, None


def _chain_steps(pm: pluggy.PluginManager, hook_name: str) -> list[tuple[str, Any]]:
    """``(plugin, hook caller)`` per step of a chain, in call order: each caller holds one
    plugin's implementation and the hook's wrappers. Kept on the manager (it lives as long as
    they are valid) while the implementations stay the same: a chain runs once per record."""
    impls = tuple(getattr(pm.hook, hook_name).get_hookimpls())
    chains = pm.__dict__.setdefault("_layerkit_chains", {})
    cached = chains.get(hook_name)
    if cached is not None and cached[0] == impls:
        return cached[1]
    wrapping = {i.plugin_name for i in impls if i.wrapper or i.hookwrapper}
    everyone = {i.plugin_name for i in impls}
    steps = []
    for impl in reversed(impls):
        if impl.plugin_name in wrapping:
            continue
        others = [pm.get_plugin(n) for n in everyone - wrapping - {impl.plugin_name}]
        steps.append((impl.plugin_name, pm.subset_hook_caller(hook_name, remove_plugins=others)))
    chains[hook_name] = (impls, steps)
    return steps


def has_implementations(pm: pluggy.PluginManager, hook_name: str) -> bool:
    return bool(getattr(pm.hook, hook_name).get_hookimpls())


def collect(pm: pluggy.PluginManager, hook_name: str) -> list[tuple[str, Any]]:
    """Run a ``register_*`` hook (``pm.hook.<hook_name>(register=...)``) and return
    ``(plugin name, registered thing)`` pairs, in call order."""
    items: list[tuple[str, Any]] = []

    def register(item: Any) -> None:
        items.append((_CALLING.get() or "?", item))

    getattr(pm.hook, hook_name)(register=register)
    return items


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
