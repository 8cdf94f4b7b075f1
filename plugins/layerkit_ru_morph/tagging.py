"""``layerkit tag``: fill LEMMA, UPOS and FEATS of a CoNLL-U file, or tag a plain text file.

CoNLL-U input is streamed sentence block by sentence block and written back with its
tokenization untouched: ID, FORM, multiword-token, empty-node and comment lines are copied as
they are; LEMMA, UPOS and FEATS are filled; other columns are kept. Other inputs (``.txt``,
``.md``) are read by the importer plugins, segmented, tagged and written as new CoNLL-U.
Output goes to a temporary file that replaces OUTPUT only at the end: an error (reported with
its line number) leaves no partial output behind.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from layerkit.atomic import atomic_output
from layerkit.conllu_format import (
    WORD_IDS_HINT,
    WordIds,
    check_columns,
    checked_block,
    comment_key,
    is_comment,
    read_lines,
    resolve_encoding,
    sentence_parts,
    space_misc,
)
from layerkit.drafts import ImportOptions
from layerkit.errors import InputError
from layerkit.gc_pause import paused_gc
from layerkit.nlp.neural.processes import ForkedJob, fork_is_safe
from layerkit.nlp.segment import Segmentation, Span, segment_many, sentence_tokens
from layerkit.nlp.types import MorphTagger, TokenAnalysis
from layerkit_ru_morph.tree_rules import follow_the_tree

if TYPE_CHECKING:  # tagging CoNLL-U needs no project (its schemas: 0.1 s of imports)
    from layerkit.project import Importers, Project

#: sentences read, tagged and written together: one tagging call. Big, because a call that
#: is split over the tagger's worker processes (when one process reads and writes the whole
#: file: text input, or a file ``tag_conllu`` does not cut into parts) is a point where the
#: processes wait for each other; 100k words of CoNLL-U is some tens of MB in memory (peak
#: RSS of `layerkit tag` on the four UD files: 330 MB, against 314 MB with half). Measured on
#: those files (55.6k words, 4,049 sentences), median of 4 runs: 1,024 sentences and 20k
#: words, 16 s (ru-morph 1.1); 4,096 and 50k, 6.37 s; 8,192 and 100k, 6.19 s (one call
#: instead of two, ru-morph 1.2).
BATCH_SENTENCES = 8192
#: ... or fewer sentences when they have this many words together
BATCH_WORDS = 100_000
#: a file tagged on several processes is cut into parts of about this size (sentence blocks
#: whole), one per process at a time: a round's output (a part's text per process) is what
#: stays in memory. The four UD files (5.3 MB) make two parts, one per core here.
PART_BYTES = 8 << 20
#: bytes of CoNLL-U per word, to estimate a file's words from its size (UD Russian files have
#: 95-100, with their comments and filled columns; a blanked file about 50)
BYTES_PER_WORD = 60
#: a CoNLL-U sentence with more words than this is tagged and written while it is read, part
#: by part, so that memory does not grow with it (no real sentence comes near: UD Russian's
#: longest has 205 words; a whole file written as one sentence does)
STREAM_WORDS = 2_000
#: words of context on each side of such a part
STREAM_CONTEXT = 50
_LINE_BREAKS = re.compile(r"[\n\r\t\v\f\u2028\u2029]")


@dataclass
class TagReport:
    sentences: int = 0
    tokens: int = 0
    #: problems with the input that were dealt with (a paragraph too long, split), for stderr
    warnings: list[str] = field(default_factory=list)


Progress = Callable[[int], None]
Line = str | list[str]


class _Block:
    """The lines of the sentence block being read: comments and other lines as text, word
    lines as their columns (LEMMA, UPOS and FEATS get filled in place)."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.first: tuple[int, str] = (0, "")  # its first line, for messages
        self.only_comments = True
        self.words: list[list[str]] = []
        self.word_lines: list[int] = []  # index in ``lines`` of each word
        self.streamed = False  # part of it is written already
        self.left: list[str] = []  # the forms of the last words written, as context
        self.written_words = 0
        #: ``# text`` and the line it is on, and the surface forms (multiword tokens' own
        #: forms, not their words'), whitespace left out: the text must spell the forms
        self.text: tuple[int, str] | None = None
        self.surface: list[str] = []
        self.covered = 0  # the last word ID inside a multiword token read so far
        self.ids = WordIds()  # (the IDs' order, checked as layerkit import checks it)

    def read(self, number: int, line: Line, src: Path) -> None:
        """Note what checking ``# text`` against the forms needs of a line of the block, and
        check its ID follows the ones before (``layerkit import`` refuses IDs 1, 3, 2 or a
        word ID given twice; the tagged file kept them, and the UD validator refused it)."""
        if isinstance(line, str):
            if comment_key(line) == "text" and "=" in line:
                self.text = (number, line.split("=", 1)[1].strip())
            return
        ident, form = line[0], line[1]
        self._check_id(ident, number, src)
        if "-" in ident:
            self.covered = int(ident.split("-", 1)[1])
            self.surface.append("".join(form.split()))
        elif "." not in ident and int(ident) > self.covered:
            self.surface.append("".join(form.split()))

    def _check_id(self, ident: str, number: int, src: Path) -> None:
        problem = self.ids.check(ident)
        if problem is not None:
            raise InputError(
                problem, path=src, line=number, hint=WORD_IDS_HINT + " Nothing was written."
            )

    def check_end(self, src: Path) -> None:
        """Refuse a sentence whose last range runs past its last word (``layerkit import``
        refuses it too)."""
        problem = self.ids.end()
        if problem is not None:
            raise InputError(
                problem, path=src, line=self.first[0], hint=WORD_IDS_HINT + " Nothing was written."
            )

    def check_text(self, src: Path) -> None:
        """Refuse a sentence whose ``# text`` does not spell its forms (``layerkit import``
        refuses it too): the tagged file would keep a text that is not its words'."""
        if self.text is None:
            return
        number, text = self.text
        spelled = "".join(self.surface)
        if "".join(unicodedata.normalize("NFC", text).split()) != unicodedata.normalize(
            "NFC", spelled
        ):
            raise InputError(
                f"'# text' does not match the tokens: the text is {text[:60]!r}, the forms "
                f"spell {spelled[:60]!r}.",
                path=src,
                line=number,
                hint="The forms of a sentence, in order, must spell its '# text' (only the "
                "spacing may differ). Fix the FORM column or the '# text' comment; nothing was "
                "written.",
            )


def tag_conllu(
    src: Path,
    dst: Path,
    tagger: MorphTagger,
    *,
    on_sentences: Progress | None = None,
    processes: int | None = None,
    part_bytes: int = PART_BYTES,
    encoding: str | None = None,
) -> TagReport:
    """Fill LEMMA, UPOS and FEATS of every word of ``src`` into ``dst``, streaming: memory
    does not grow with the file, nor with a sentence (see :data:`STREAM_WORDS`).

    A file big enough to be worth it is cut into parts at sentence boundaries, and each part
    is read, tagged and written by one process, this one or a worker forked from it (with the
    loaded tagger): the whole run is then parallel, not only the tagging. ``processes``: how
    many (default: as many as the tagger would use for the file; 1: this process alone).
    The output is the same either way (tested). ``encoding``: the input's (``--encoding``;
    default: UTF-8, or the Cyrillic code page detected in a file that is not UTF-8); the output
    is UTF-8."""
    codec = resolve_encoding(src, encoding)
    if processes is None:
        processes = _processes_for_file(src, tagger)
    # reading and writing make no reference cycles either (see layerkit.gc_pause)
    with paused_gc(), atomic_output(dst) as out:
        if processes < 2 or not fork_is_safe():
            report = _tag_lines(read_lines(src, codec), src, out, tagger, on_sentences)
        else:
            report = _tag_in_parts(src, codec, out, tagger, processes, part_bytes, on_sentences)
    if codec != "utf-8" and encoding is None:
        report.warnings.append(f"read as {codec} (detected); the output is UTF-8")
    return report


def _processes_for_file(src: Path, tagger: MorphTagger) -> int:
    """The processes ``tagger`` would tag the words of ``src`` with (a tagger that cannot say
    tags in one), the words estimated from the file's size."""
    processes_for = getattr(tagger, "processes_for", None)
    if processes_for is None:
        return 1
    return int(processes_for(src.stat().st_size // BYTES_PER_WORD))


def _tag_in_parts(
    src: Path,
    encoding: str,
    out: TextIO,
    tagger: MorphTagger,
    processes: int,
    part_bytes: int,
    on_sentences: Progress | None,
) -> TagReport:
    """``tag_conllu`` over parts of ``src``, ``processes`` at a time: the first of each round
    here, the others in forked workers; written in file order. Memory holds at most one
    round's output. An error is the one the first failing part raised, as reading the file
    in order would have."""
    parts = sentence_parts(src, processes, part_bytes)
    if len(parts) < 2:  # one sentence block, or none: nothing to share out
        return _tag_lines(read_lines(src, encoding), src, out, tagger, on_sentences)
    report = TagReport()

    def tag_part(index: int) -> tuple[str, TagReport]:
        """One part, tagged into text; the first part (always tagged here) shows progress."""
        text = io.StringIO()
        progress = on_sentences if index == 0 else None
        lines = read_lines(src, encoding, parts[index])
        part_report = _tag_lines(lines, src, text, tagger, progress)
        return text.getvalue(), part_report

    warm_up = getattr(tagger, "warm_up", None)
    if warm_up is not None:
        warm_up()  # loaded once here, shared by the workers forked next
    with ForkedJob(tag_part, min(processes, len(parts)) - 1) as job:
        for first in range(0, len(parts), processes):
            group = range(first, min(first + processes, len(parts)))
            for index, (text, part_report) in zip(group, job.run_round(group), strict=True):
                out.write(text)
                report.sentences += part_report.sentences
                report.tokens += part_report.tokens
                report.warnings += part_report.warnings
                if on_sentences and index > 0:
                    on_sentences(part_report.sentences)
    return report


def _tag_lines(
    lines: Iterable[tuple[int, str]],
    src: Path,
    out: TextIO,
    tagger: MorphTagger,
    on_sentences: Progress | None,
) -> TagReport:
    """Tag the CoNLL-U ``lines`` (numbered; of ``src``, for messages) into ``out``."""
    report = TagReport()
    pending: list[tuple[list[Line], list[list[str]]]] = []
    pending_words = 0
    block = _Block()

    def end_block() -> None:
        nonlocal block, pending_words
        if not block.lines:
            return
        if block.only_comments:
            checked_block([block.first], src)  # comments with nothing after them: an error
        block.check_end(src)
        block.check_text(src)
        if not block.streamed:
            pending.append((block.lines, block.words))
            pending_words += len(block.words)
            if len(pending) >= BATCH_SENTENCES or pending_words >= BATCH_WORDS:
                _flush(pending, tagger, out, report, on_sentences)
                pending_words = 0
        else:
            _write_part(block, len(block.words), tagger, out)
            out.write("\n")
            report.sentences += 1
            report.tokens += block.written_words
            if on_sentences:
                on_sentences(1)
        block = _Block()

    for number, line in lines:
        if not line.strip():
            end_block()
            continue
        if not block.lines:
            block.first = (number, line)
        if is_comment(line):
            block.lines.append(line)
            block.read(number, line, src)
            continue
        block.only_comments = False
        cols = line.split("\t")
        kind = check_columns(cols, number, src)
        block.read(number, cols, src)
        if kind == "word":
            block.word_lines.append(len(block.lines))
            block.lines.append(cols)
            block.words.append(cols)
            if len(block.words) >= STREAM_WORDS + STREAM_CONTEXT:
                if not block.streamed:
                    _flush(pending, tagger, out, report, on_sentences)  # keep the order
                    pending_words = 0
                    block.streamed = True
                _write_part(block, len(block.words) - STREAM_CONTEXT, tagger, out)
        else:
            block.lines.append(line)
    end_block()
    _flush(pending, tagger, out, report, on_sentences)
    return report


def _write_part(block: _Block, n: int, tagger: MorphTagger, out: TextIO) -> None:
    """Tag the first ``n`` words of a long block (with the words around them as context),
    write its lines up to the ``n``-th word, and keep the rest."""
    if n:
        forms = block.left + _forms(block.words)
        analyses = tagger.tag([forms])[0][len(block.left) : len(block.left) + n]
        _fill(block.words[:n], analyses, tagger)
    cut = len(block.lines) if n == len(block.words) else block.word_lines[n - 1] + 1
    for line in block.lines[:cut]:
        out.write(line if isinstance(line, str) else "\t".join(line))
        out.write("\n")
    block.left = (block.left + _forms(block.words[:n]))[-STREAM_CONTEXT:]
    block.written_words += n
    block.lines = block.lines[cut:]
    block.words = block.words[n:]
    block.word_lines = [i - cut for i in block.word_lines[n:]]


def _forms(words: list[list[str]]) -> list[str]:
    """The words' FORMs as the tagger reads them: NFC (a file in NFD, «е» + U+0308 for «ё»,
    got other lemmas than the same file in NFC, in NFD and capitalised from another word).
    The file's FORM column is written back as it was."""
    return [unicodedata.normalize("NFC", cols[1]) for cols in words]


def _fill(words: list[list[str]], analyses: list[TokenAnalysis], tagger: MorphTagger) -> None:
    """The analyses into the words' columns, made to agree with the tree the file gives
    (:mod:`.tree_rules`)."""
    for cols, analysis in zip(words, analyses, strict=True):
        cols[2] = analysis.lemma or "_"
        cols[3] = analysis.upos
        cols[5] = analysis.feats or "_"
    follow_the_tree(words, getattr(tagger, "convention", "ud"))


def _flush(
    pending: list[tuple[list[Line], list[list[str]]]],
    tagger: MorphTagger,
    out: TextIO,
    report: TagReport,
    on_sentences: Progress | None,
) -> None:
    if not pending:
        return
    tagged = tagger.tag([_forms(words) for _, words in pending])
    for (lines, words), analyses in zip(pending, tagged, strict=True):
        _fill(words, analyses, tagger)
        for line in lines:
            out.write(line if isinstance(line, str) else "\t".join(line))
            out.write("\n")
        out.write("\n")
        report.sentences += 1
        report.tokens += len(words)
    if on_sentences:
        on_sentences(len(pending))
    pending.clear()


#: U+FFFD, which stands where a program could not decode bytes (not from layerkit.quality:
#: `tag` starts without its patterns)
REPLACEMENT = "\ufffd"
#: words read to tell a file's convention (about a megabyte of CoNLL-U)
CONVENTION_WORDS = 20_000


def choose_convention(src: Path) -> tuple[str, str]:
    """The convention to tag ``src`` in, and why, for ``--convention auto``.

    A UD treebank's file name says it (``ru_gsd-ud-test.conllu``: gsd). Otherwise a CoNLL-U
    file's own annotations may (``layerkit.nlp.conventions.ConventionEvidence``: который DET
    or PRON, PronType, digits with Case, GSD's XPOS tags...), read from its first
    :data:`CONVENTION_WORDS` words; when they do not, or for text, the house convention
    ``ud`` is the default, and the reason says so.
    """
    from layerkit.nlp.conventions import ConventionEvidence, convention_from_name

    named = convention_from_name(src)
    if named is not None:
        return named, f"from the file name ({src.name} is a UD treebank's)"
    default = "the default (the current UD Russian guidelines)"
    if src.suffix.lower() != ".conllu":
        return "ud", f"{default}: a text file has no annotations to tell a convention by"
    evidence = ConventionEvidence()
    for _, line in read_lines(src, resolve_encoding(src, None)):
        if is_comment(line):
            evidence.comment(line)
            continue
        cols = line.split("\t")
        if len(cols) == 10 and cols[0].isdigit():
            evidence.word(cols[1], cols[2], cols[3], cols[4], cols[5])
            if evidence.words >= CONVENTION_WORDS:
                break
    convention, why = evidence.decide()
    if convention is not None:
        return convention, f"detected from the content (the file name does not say): {why}"
    return "ud", f"{default}: neither the file name nor the content tells ({why})"


@dataclass
class _TextParagraph:
    """A paragraph of a text file, segmented, waiting to be tagged."""

    number: int
    text: str
    seg: Segmentation
    sentences: list[list[Span]]


def _write_paragraphs(
    paragraphs: list[_TextParagraph],
    document: int,
    tagger: MorphTagger,
    out: TextIO,
    report: TagReport,
    on_sentences: Progress | None,
) -> None:
    """Tag ``paragraphs`` in one call and write them as CoNLL-U."""
    tagged = iter(
        tagger.tag(
            [[par.text[a:b] for a, b in tokens] for par in paragraphs for tokens in par.sentences]
        )
    )
    for par in paragraphs:
        text = par.text
        out.write("# newpar\n")
        # what follows each token before the next one, as the CoNLL-U exporter says it (a line
        # break, a tab or two spaces were lost: the text could not be rebuilt from the output)
        ordered = sorted(par.seg.tokens)
        following = {end: ordered[i + 1][0] for i, (_, end) in enumerate(ordered[:-1])}
        for s, tokens in enumerate(par.sentences, 1):
            analyses = next(tagged)
            first, last = tokens[0][0], tokens[-1][1]
            out.write(f"# sent_id = {document}-{par.number}-{s}\n")
            out.write(f"# text = {_LINE_BREAKS.sub(' ', text[first:last])}\n")
            for i, ((a, b), analysis) in enumerate(zip(tokens, analyses, strict=True), 1):
                after = following.get(b)
                misc = space_misc(None if after is None else text[b:after])
                out.write(
                    f"{i}\t{text[a:b]}\t{analysis.lemma or '_'}\t{analysis.upos}\t_\t"
                    f"{analysis.feats or '_'}\t_\t_\t_\t{misc}\n"
                )
            out.write("\n")
            report.sentences += 1
            report.tokens += len(tokens)
        if on_sentences:
            on_sentences(len(par.sentences))


def tag_text(
    project: Project | Importers,
    src: Path,
    dst: Path,
    tagger: MorphTagger,
    *,
    encoding: str | None = None,
    on_sentences: Progress | None = None,
) -> TagReport:
    """Tag a file that an importer reads (``.txt``, ``.md``...) into new CoNLL-U, a batch of
    paragraphs at a time. The importer's warnings (a paragraph too long to annotate, split) end up in
    the report."""
    importer = project.importer_for(src)
    report = TagReport()
    with atomic_output(dst) as out:
        for d, document in enumerate(importer.read(src, ImportOptions(encoding=encoding)), 1):
            report.warnings.extend(document.warnings)
            out.write(f"# newdoc id = {' '.join(document.name.split()) or d}\n")
            # paragraphs that come with their segmentation (a long one the importer split)
            # keep it; the others are segmented here
            given = [p.tokens is not None and p.sentences is not None for p in document.paragraphs]
            auto = segment_many(
                p.text for p, ok in zip(document.paragraphs, given, strict=True) if not ok
            )
            pending: list[_TextParagraph] = []
            words = 0
            for p, (par, ok) in enumerate(zip(document.paragraphs, given, strict=True), 1):
                if REPLACEMENT in par.text:
                    # (written as read: the UD validator refuses the file, level 1)
                    report.warnings.append(
                        f"paragraph {p} holds {par.text.count(REPLACEMENT)} replacement "
                        f"character(s) «{REPLACEMENT}» (U+FFFD), letters lost before this "
                        "file was saved; the UD validator refuses them (invalid-utf)"
                    )
                seg = (
                    Segmentation(sentences=list(par.sentences or ()), tokens=list(par.tokens or ()))
                    if ok
                    else next(auto)
                )
                sentences = [tokens for tokens in sentence_tokens(seg) if tokens]
                pending.append(_TextParagraph(p, par.text, seg, sentences))
                words += len(seg.tokens)
                # paragraphs are tagged together, so that a big file is tagged in calls big
                # enough to be split over processes
                if words >= BATCH_WORDS or len(pending) >= BATCH_SENTENCES:
                    _write_paragraphs(pending, d, tagger, out, report, on_sentences)
                    pending, words = [], 0
            _write_paragraphs(pending, d, tagger, out, report, on_sentences)
    return report
