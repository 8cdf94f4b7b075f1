"""Everything a command needs, assembled once: plugins, schemas, importers, exporters, store."""

from __future__ import annotations

import getpass
import os
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from layerkit.config import ProjectConfig, load_config, resolve_db
from layerkit.errors import PluginError, UsageError, quoted
from layerkit.plugin.manager import (
    blamed_on,
    collect,
    fix_or_disable,
    get_plugin_manager,
    notify_hook,
    set_aside,
)
from layerkit.plugin.types import (
    ExportContext,
    Exporter,
    ExportError,
    ExportReport,
    Importer,
    Preannotator,
)
from layerkit.schema import SchemaRegistry

#: what SQLite keeps beside a database file while it is open (WAL mode) or in a transaction
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")

if TYPE_CHECKING:
    # imported where used: the store (SQLAlchemy, SQLModel, Alembic) costs about half a second
    # of start-up that commands reading files only, like `layerkit tag`, do not need
    from layerkit.store import Store


@dataclass
class Project:
    db: str
    config: ProjectConfig
    pm: pluggy.PluginManager
    schemas: SchemaRegistry
    importers: dict[str, Importer]
    exporters: dict[str, Exporter]
    preannotators: dict[str, Preannotator]
    #: which plugin registered each importer, exporter and pre-annotator, by (kind, name): a
    #: failure inside one is reported under its plugin's name
    owners: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def load(cls, db: str | None = None, plugin_paths: Sequence[str | Path] = ()) -> Project:
        db = resolve_db(db)
        config = load_config(db)
        pm = get_plugin_manager(plugin_paths)
        registered = collect(pm, "register_layers")
        schemas = SchemaRegistry.from_paths(
            [*(path for _, path in registered), *config.schemas],
            owners={Path(path): plugin for plugin, path in registered},
        )
        owners: dict[tuple[str, str], str] = {}
        return cls(
            db=db,
            config=config,
            pm=pm,
            schemas=schemas,
            importers=_by_name(collect(pm, "register_importers"), "importer", owners),
            exporters=_by_name(collect(pm, "register_exporters"), "exporter", owners),
            preannotators=_by_name(collect(pm, "register_preannotators"), "pre-annotator", owners),
            owners=owners,
        )

    def open_store(self, *, create: bool = False) -> Store:
        from layerkit.store import Store

        store = Store.open(self.db, layer_order=self.schemas.order, create=create)
        store.listeners.append(self._annotation_saved)
        return store

    def export(
        self, name: str, store: Store, out: Path, options: Mapping[str, Any] | None = None
    ) -> ExportReport:
        """Run exporter ``name`` on ``store`` into ``out`` as ``layerkit export`` does: it gets a
        :class:`StoreReader` and an :class:`ExportContext`; a failure names its plugin (exit 2)
        and removes an output that did not exist before."""
        exporter = self.exporters.get(name)
        if exporter is None:
            raise UsageError(
                f"no exporter named {name!r}.",
                hint=f"Available: {', '.join(sorted(self.exporters))}.",
            )
        self._refuse_store_as_output(out)
        context = ExportContext(
            options=dict(options or {}), schemas=self.schemas, plugin_manager=self.pm
        )
        from layerkit.plugin.reader import StoreReader

        owner = self.owners.get(("exporter", name), "?")
        try:
            with blamed_on(owner, f"exporter {name!r}", output=out, passing=(OSError,)):
                report = exporter.export(StoreReader(store), out, context)
                if not isinstance(report, ExportReport):  # (the summary read it: a traceback)
                    raise TypeError(
                        f"export() returned {quoted(repr(report))}, where an ExportReport "
                        "belongs (see docs/plugins.md)"
                    )
                return report
        except OSError as exc:  # the file system's refusal (no space, no folder), not a bug
            where = f" ({exc.filename})" if exc.filename else ""
            raise ExportError(
                f"cannot write {out}: {exc.strerror or exc}{where}.",
                hint="The output's folder must exist and be writable, with space left on its "
                "disk; nothing was written.",
            ) from exc

    def _refuse_store_as_output(self, out: Path) -> None:
        """An export's ``-o`` must not be the store's own database (it was replaced by the
        export, and every annotation with it) nor a folder that holds it (a folder output
        replaces the folder)."""
        if "://" in self.db and not self.db.startswith("sqlite:///"):
            return  # a server's database
        database = Path(self.db.removeprefix("sqlite:///")).expanduser().resolve()
        target = Path(os.path.realpath(out))
        files = {database, *(database.with_name(database.name + s) for s in SQLITE_SIDE_FILES)}
        if target in files:
            raise UsageError(
                f"-o {out} is the store's own database; an export would replace it.",
                hint="Give the export a path of its own, e.g. -o export.jsonl.",
            )
        if database.is_relative_to(target):
            raise UsageError(
                f"-o {out} holds the store's database ({database.name}); an export to a folder "
                "replaces the whole folder.",
                hint="Give the export a folder of its own, e.g. -o export/.",
            )

    def _annotation_saved(self, annotation: dict[str, object], action: str) -> None:
        try:
            notify_hook(self.pm, "annotation_saved", annotation=annotation, action=action)
        except PluginError as exc:
            exc.hint = f"The edit was saved. {exc.hint}"
            raise

    def importer_for(self, path: Path, name: str | None = None) -> Importer:
        return Importers(self.importers, self.owners).importer_for(path, name)

    @property
    def extensions(self) -> set[str]:
        return {ext for imp in self.importers.values() for ext in imp.extensions}


@dataclass
class Importers:
    """The importers the plugins register, by name: all that reading a file takes. Loaded
    alone (:meth:`load`) without the schemas, exporters and store of a whole
    :class:`Project`, for commands that read files and never open a store (`layerkit tag`)."""

    importers: dict[str, Importer]
    #: ("importer", name) → the plugin that registered it
    owners: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def load(cls, plugin_paths: Sequence[str | Path] = ()) -> Importers:
        pm = get_plugin_manager(plugin_paths)
        owners: dict[tuple[str, str], str] = {}
        return cls(_by_name(collect(pm, "register_importers"), "importer", owners), owners)

    def importer_for(self, path: Path, name: str | None = None) -> Importer:
        """Importer ``name``, or the one that reads ``path``'s extension."""
        if name is not None:
            if name not in self.importers:
                raise UsageError(
                    f"no importer named {name!r}.",
                    hint=f"Available: {', '.join(sorted(self.importers))}.",
                )
            return self.importers[name]
        suffix = path.suffix.lower()
        readers = [imp for imp in self.importers.values() if suffix in imp.extensions]
        if len(readers) > 1:
            # the first found took the file, and another plugin's importer of it was never run
            names = ", ".join(sorted(repr(imp.name) for imp in readers))
            # (--format reads every file of the import: a folder of brat pairs and plain texts
            # then failed on the texts, as the plugin author's audit found following this hint)
            plugins = sorted({self.owners.get(("importer", imp.name), "") for imp in readers})
            leave_out = " or ".join(set_aside(p) for p in plugins if p)
            raise UsageError(
                f"{path}: several importers read {suffix} files: {names}.",
                hint=f"Choose one with --format (e.g. --format {readers[-1].name}; it then "
                "reads every file of the import)"
                + (f", or leave a plugin out: {leave_out}." if leave_out else "."),
                title="Which importer?",
            )
        if readers:
            return readers[0]
        known = sorted(ext for imp in self.importers.values() for ext in imp.extensions)
        raise UsageError(
            f"{path}: no importer reads {suffix or 'files without an extension'}.",
            hint=f"layerkit imports {', '.join(known)}; use --format to force one.",
            title="Unknown file type",
        )


#: the attributes of each kind of plugin object that layerkit reads (docs/plugins.md)
_REQUIRED = {
    "importer": ("extensions", "read"),
    "exporter": ("export",),
    "pre-annotator": ("version", "layer", "annotate"),
}


def _by_name(
    items: list[tuple[str, Any]], what: str, owners: dict[tuple[str, str], str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for plugin, item in items:
        name = getattr(item, "name", None)
        if not isinstance(name, str):
            article = "an" if what[0] in "aeiou" else "a"
            raise PluginError(f"plugin {plugin!r} registered {article} {what} without a name.")
        # what layerkit reads of it before its code runs (a pre-annotator without a layer
        # gave an AttributeError traceback from any ``preannotate``, even of another layer)
        missing = [a for a in _REQUIRED[what] if not hasattr(item, a)]
        if missing:
            raise PluginError(
                f"plugin {plugin!r} registered the {what} {name!r} without {', '.join(missing)}.",
                hint=f"{fix_or_disable(plugin)} (docs/plugins.md lists what a {what} has).",
            )
        if what == "importer":
            _check_extensions(plugin, name, item.extensions)
            if getattr(item, "companions", None) is not None:
                _check_extensions(plugin, name, item.companions, "companions")
        if name in out:
            # pluggy calls the plugin registered last first: name both, blame neither
            raise PluginError(
                f"plugins {owners[(what, name)]!r} and {plugin!r} both register an {what} "
                f"named {name!r}.",
                hint=f"Rename one of them, or uninstall one of the plugins; to leave one out "
                f"of a command: {set_aside(owners[(what, name)])}, or {set_aside(plugin)}.",
            )
        out[name] = item
        owners[(what, name)] = plugin
    return out


def _check_extensions(
    plugin: str, name: str, extensions: Any, attribute: str = "extensions"
) -> None:
    """An importer's ``extensions`` (or ``companions``) as files are matched against them: a
    tuple or list of suffixes with their dot (``"ann"`` matched no file, in silence, and a
    string ``".ann"`` was read letter by letter)."""
    wrong = (
        [extensions]
        if isinstance(extensions, str) or not isinstance(extensions, (tuple, list, set, frozenset))
        else [e for e in extensions if not (isinstance(e, str) and len(e) > 1 and e[0] == ".")]
    )
    if wrong:
        raise PluginError(
            f"plugin {plugin!r} registered the importer {name!r} with {attribute} "
            f"{extensions!r}: {wrong[0]!r} is no file suffix.",
            hint=f"{fix_or_disable(plugin)}; {attribute} are suffixes with their dot, in a "
            "tuple: ('.ann',).",
        )


def annotator_name(name: str) -> str:
    """An annotator's name as the store keeps it: NFC, its spaces collapsed. «Андрей» typed
    with a combining breve (NFD, as some keyboards and macOS file names give it) and with a
    precomposed «й» were two annotators, as were «Мария  Ивановна» and «Мария Ивановна»."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def default_annotator(project: Project | None = None) -> str:
    """$LAYERKIT_ANNOTATOR, else the project's ``annotator`` setting, else the login name."""
    configured = project.config.annotator if project is not None else None
    env = os.environ.get("LAYERKIT_ANNOTATOR") or configured or os.environ.get("USER")
    if env:
        return annotator_name(env)
    try:
        return annotator_name(getpass.getuser())
    except (KeyError, OSError):
        return "annotator"
