"""Import: files → importer plugin → drafts → checks → the store, hidden until all is written.

Each document is read, decoded, segmented and checked before any of it is written, and what is
written stays invisible until the whole command has succeeded (``store/imports.py``): a bad file
anywhere (or a crash) leaves the store as it was, and annotators saving meanwhile never wait
for more than one short write step. Quality flags and segmentation are computed
here, for every importer alike, so plugin importers only have to read their format.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from layerkit import draft_checks
from layerkit.drafts import DocumentDraft, ImportOptions, ParagraphDraft
from layerkit.errors import InputError, LayerkitError, PluginError, UsageError
from layerkit.nlp.segment import LONG_PARAGRAPH, Segmentation, segment_many
from layerkit.plugin.manager import blamed_on, fix_or_disable
from layerkit.plugin.types import Importer, companions_of
from layerkit.project import Project
from layerkit.quality import find_flags
from layerkit.store import NewDocument, NewParagraph, Store
from layerkit.store.imports import importing

SKIPPED_IN_FOLDERS = ("readme", "license", "licence", "changelog")


@dataclass
class FileReport:
    path: Path
    importer: str
    documents_added: int = 0
    documents_skipped: int = 0
    # Of those skipped: the same content was being written by another import still running,
    # or by this one already (a file given twice, two files alike).
    documents_importing_elsewhere: int = 0
    documents_repeated: int = 0
    paragraphs: int = 0
    annotations: int = 0
    duplicates: int = 0
    encodings: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    flags: Counter[str] = field(default_factory=Counter)


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    skipped_files: list[Path] = field(default_factory=list)

    def total(self, attribute: str) -> int:
        return sum(getattr(f, attribute) for f in self.files)


ProgressCallback = Callable[[int], None]


def collect_files(paths: Sequence[Path], project: Project) -> tuple[list[Path], list[Path]]:
    """Files to import, and files skipped in folders. Folders are walked recursively in sorted
    order, taking files an importer reads and skipping hidden files and README/LICENSE files;
    a file named explicitly is always taken (and must have an importer)."""
    files: list[Path] = []
    skipped: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InputError("no such file or folder.", path=path, hint="Check the path.")
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                rel = child.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if child.suffix.lower() not in project.extensions or child.stem.lower().startswith(
                    SKIPPED_IN_FOLDERS
                ):
                    skipped.append(child)
                    continue
                files.append(child)
        elif not path.is_file():
            # a pipe waited for a writer for good, /dev/zero filled the memory: read only
            # regular files (a folder's walk takes no others either)
            raise InputError(
                "not a regular file (a pipe, a device or a socket): nothing is imported from it.",
                path=path,
                hint="Save what it holds to a file and import that.",
            )
        else:
            files.append(path)
    return files, skipped


def companion_files(importers: dict[Path, Importer]) -> dict[Path, Path]:
    """The files to import that another one's importer reads along with it (its
    ``companions``: brat's ``doc.txt`` beside ``doc.ann``), each with that file: imported on
    their own too, their text was in the store twice, once without its annotations. Named
    alike means the same folder and stem; suffixes are matched in any case."""
    by_name = {(p.parent, p.stem, p.suffix.lower()): p for p in importers}
    read_along: dict[Path, Path] = {}
    owners: set[Path] = set()
    for path, importer in importers.items():
        if path in read_along:
            continue  # (read along with another: it is not read on its own)
        for suffix in companions_of(importer):
            companion = by_name.get((path.parent, path.stem, suffix.lower()))
            if companion in (None, path) or companion in owners or companion in read_along:
                continue
            assert companion is not None
            read_along[companion] = path
            owners.add(path)
    return read_along


def _companion_named_alone(path: Path, project: Project, imported: set[Path]) -> list[str]:
    """A note for a file imported on its own that another importer reads as the companion of
    a file beside it, not in this import (``layerkit import doc.txt`` with ``doc.ann`` beside
    it: imported as text, its annotations left out in silence)."""
    notes = []
    for importer in project.importers.values():
        if path.suffix.lower() not in {c.lower() for c in companions_of(importer)}:
            continue
        for extension in importer.extensions:
            owner = path.with_suffix(extension)
            if owner != path and owner not in imported and owner.is_file():
                notes.append(
                    f"{owner.name} beside it is read with it by the importer "
                    f"{importer.name!r}: import {owner.name} (or the folder) for what it holds"
                )
    return notes


#: what an importer raises on a file it cannot read: reported as the file's problem, not the
#: plugin's
UNREADABLE: tuple[type[Exception], ...] = (
    OSError,
    ValueError,
    KeyError,
    TypeError,
    RecursionError,  # JSON nested thousands deep: the input's fault, not the importer's
)


def _blamed_drafts(
    read: Callable[[Path, ImportOptions], Iterable[DocumentDraft]],
    path: Path,
    options: ImportOptions,
    owner: str,
    name: str,
) -> Iterator[DocumentDraft]:
    """The importer's drafts; a failure of its own code (other than unreadable input, which
    the caller reports as such) names its plugin."""
    what = f"importer {name!r} on {path}"
    with blamed_on(owner, what, passing=UNREADABLE):
        drafts = iter(read(path, options))
    while True:
        with blamed_on(owner, what, passing=UNREADABLE):
            draft = next(drafts, _END)
        if draft is _END:
            return
        # (None too: taken for the end, it lost the file's later documents without a word)
        problem = draft_checks.draft_shape_problem(draft)
        if problem is not None:
            raise PluginError(
                f"plugin {owner!r} failed in {what}: it gave {problem}.",
                hint=fix_or_disable(owner)
                + " (an importer yields DocumentDraft objects: see docs/plugins.md); "
                "nothing was imported.",
            )
        assert isinstance(draft, DocumentDraft)
        yield draft


_END = object()  # the end of an importer's drafts (None is a mistake to report, not the end)


def import_paths(
    project: Project,
    store: Store,
    paths: Sequence[Path],
    *,
    options: ImportOptions | None = None,
    importer_name: str | None = None,
    annotator: str = "import",
    on_file: Callable[[Path], None] | None = None,
    on_paragraphs: ProgressCallback | None = None,
) -> ImportReport:
    options = options or ImportOptions()
    files, skipped = collect_files(paths, project)
    if not files:
        raise UsageError(
            "nothing to import: no file with a known extension was found.",
            hint=f"layerkit imports {', '.join(sorted(project.extensions))}.",
        )
    importers = {path: project.importer_for(path, importer_name) for path in files}
    read_along = companion_files(importers)
    files = [path for path in files if path not in read_along]
    along: dict[Path, list[Path]] = {}  # a file → the companions read with it
    for companion, owner_file in read_along.items():
        along.setdefault(owner_file, []).append(companion)
    imported = set(importers)
    report = ImportReport(skipped_files=skipped)
    added_names: dict[str, str] = {}  # text's sha256 → the document of this import stored with it
    with importing(store, annotator=annotator) as session:
        for path in files:
            if on_file:
                on_file(path)
            importer = importers[path]
            file_report = FileReport(path=path, importer=importer.name)
            report.files.append(file_report)
            file_report.notes.extend(
                f"{companion.name} read with it by the importer {importer.name!r}"
                for companion in along.get(path, ())
            )
            file_report.notes.extend(_companion_named_alone(path, project, imported))
            owner = project.owners.get(("importer", importer.name), "?")
            try:
                drafts: Iterable[DocumentDraft] = _blamed_drafts(
                    importer.read, path, options, owner, importer.name
                )
                for draft in drafts:
                    # Read, decoded, segmented and checked before anything is written.
                    document = prepare_document(project, draft, path, file_report)
                    before = session.result.duplicates
                    added = session.add_document(document)
                    if added.document_id is None:
                        file_report.documents_skipped += 1
                        carried = sum(len(p.annotations) for p in document.paragraphs)
                        first = added_names.get(document.sha256)
                        if carried and added.skipped == "repeated" and first is not None:
                            # two documents of one text in this import (two CoNLL-U documents
                            # of one sentence): the second's annotations went unsaid
                            same = (
                                ""
                                if first == document.name
                                else f" has the same text as {first!r}, which"
                            )
                            file_report.notes.append(
                                f"{document.name!r}{same} is already in this import; its "
                                f"{carried} annotation(s) were not imported (a text is stored "
                                "once; the first document with it is kept as it was read)."
                            )
                        elif carried and added.skipped not in ("importing", "repeated"):
                            # the stored document is kept as it is: say what was not taken
                            file_report.notes.append(
                                f"{document.name!r} is already in the store; its "
                                f"{carried} annotation(s) were not imported (an import adds "
                                "documents, it does not merge annotations into stored ones)."
                            )
                        if added.skipped == "importing":
                            file_report.documents_importing_elsewhere += 1
                        elif added.skipped == "repeated":
                            file_report.documents_repeated += 1
                        continue
                    added_names.setdefault(document.sha256, document.name)
                    file_report.documents_added += 1
                    file_report.paragraphs += len(document.paragraphs)
                    file_report.annotations += sum(len(p.annotations) for p in document.paragraphs)
                    file_report.duplicates += session.result.duplicates - before
                    for par in document.paragraphs:
                        for flag in par.flags:
                            file_report.flags[flag["code"]] += 1
                    if on_paragraphs:
                        on_paragraphs(len(document.paragraphs))
            except LayerkitError:
                raise
            except UNREADABLE as exc:
                raise InputError(
                    f"{type(exc).__name__}: {exc}",
                    path=path,
                    hint="The file could not be read; nothing was imported.",
                ) from exc
    return report


def prepare_document(
    project: Project, draft: DocumentDraft, path: Path, report: FileReport
) -> NewDocument:
    """Check a draft against the schemas and fill what the importer left out."""
    if not draft.paragraphs:
        raise InputError("no paragraphs found.", path=path, hint="Is the file empty?")
    if draft.encoding:
        report.encodings.add(draft.encoding)
    for note in draft.notes:
        if note not in report.notes:
            report.notes.append(note)
    for warning in draft.warnings:
        if warning not in report.warnings:
            report.warnings.append(warning)
    texts: list[str] = []
    for par in draft.paragraphs:
        texts.append(draft_checks.checked_text(par, path))
        if len(texts[-1]) > LONG_PARAGRAPH:
            report.warnings.append(
                f"{_where(par.line)}a paragraph of {len(texts[-1]):,} characters, far longer "
                "than anyone annotates, was imported whole, as the file gives it; split it in "
                "the file if you can"
            )
    missing = [
        i for i, par in enumerate(draft.paragraphs) if par.tokens is None or par.sentences is None
    ]
    segmentations = dict(zip(missing, segment_many(texts[i] for i in missing), strict=True))
    paragraphs = []
    for i, (par, text) in enumerate(zip(draft.paragraphs, texts, strict=True)):
        with _said_where(par, i, draft, path):
            paragraphs.append(_checked_paragraph(project, par, text, segmentations.get(i), path))
    meta = dict(draft.meta)
    if draft.encoding:
        meta.setdefault("encoding", draft.encoding)
    if draft.notes:
        meta.setdefault("import_notes", list(draft.notes))
    if draft.warnings:
        meta.setdefault("import_warnings", list(draft.warnings))
    name, source = readable_name(draft.name), readable_name(draft.source)
    note = f"the file name is not UTF-8; read as {name!r} (the document's name in the store)"
    if name != draft.name and note not in report.notes:
        report.notes.append(note)
    return NewDocument(
        name=name, source=source, format=draft.format, meta=meta, paragraphs=paragraphs
    )


#: code pages a file name that is not UTF-8 is tried in: Windows' and DOS's (zip archives made on
#: Windows store names in one of them)
NAME_CODE_PAGES = ("cp1251", "cp866")


def readable_name(name: str) -> str:
    """A file name (or a path) as text the store can keep. Python gives the bytes of a name
    that is not UTF-8 as lone surrogates, which no database takes (the whole import failed on
    one such file): read in a Russian code page where that gives letters, else with the bytes
    written as escapes (``\\xff``)."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        pass
    raw = name.encode("utf-8", "surrogateescape")
    for code_page in NAME_CODE_PAGES:
        try:
            decoded = raw.decode(code_page)
        except UnicodeDecodeError:
            continue
        foreign = [c for c in decoded if not c.isascii()]
        if foreign and all("\u0400" <= c <= "\u04ff" for c in foreign):
            return decoded
    return raw.decode("utf-8", "backslashreplace")


def _checked_paragraph(
    project: Project, par: ParagraphDraft, text: str, auto: Segmentation | None, path: Path
) -> NewParagraph:
    """One paragraph of a draft checked, with its segmentation (``auto``: the segmenter's,
    where the draft gives none) and everything it carries."""
    if par.sentences is not None:
        sentences = draft_checks.checked_spans(par.sentences, text, "sentences", path, par.line)
    else:
        assert auto is not None
        sentences = [list(s) for s in auto.sentences]
    if par.tokens is not None:
        tokens = draft_checks.checked_spans(par.tokens, text, "tokens", path, par.line)
    else:
        assert auto is not None
        tokens = [list(t) for t in auto.tokens]
    draft_checks.check_segmentation(text, sentences, tokens, path, par.line)
    flags = draft_checks.checked_flags(par.flags, text, path, par.line)
    known = {f.get("code") for f in flags}
    flags.extend(f.to_json() for f in find_flags(text) if f.code not in known)
    return NewParagraph(
        text=text,
        sentences=sentences,
        tokens=tokens,
        flags=flags,
        meta=dict(par.meta),
        annotations=draft_checks.checked_annotations(project, par, text, path, tokens),
        status=draft_checks.checked_status(project, par, path),
        assignments=draft_checks.checked_assignments(project, par, path),
    )


#: the hint of a paragraph's refusal whose check gives none of its own
PARAGRAPH_HINT = (
    "Fix this paragraph in the file (docs/formats.md says what each field may hold); "
    "nothing was imported."
)


@contextmanager
def _said_where(
    par: ParagraphDraft, index: int, draft: DocumentDraft, path: Path
) -> Iterator[None]:
    """An error in a paragraph that gives no line (an importer's draft without ``line``) says
    which paragraph of which document: «annotation #3 (semantic.role): ...» named neither, and
    the plugin author's audit could not find the offending line in a file of many."""
    try:
        yield
    except InputError as exc:
        if not exc.hint:  # (title, message and hint, always)
            exc.hint = PARAGRAPH_HINT
        if par.line is not None or exc.line is not None:
            raise
        prefix = f"{path}: "
        where = f"paragraph {index + 1} of document {draft.name!r}: "
        if exc.message.startswith(prefix):
            exc.message = prefix + where + exc.message[len(prefix) :]
        else:
            exc.message = where + exc.message
        raise


def _where(line: int | None) -> str:
    return "" if line is None else f"line {line}: "
