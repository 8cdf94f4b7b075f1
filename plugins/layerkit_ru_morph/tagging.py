"""``layerkit tag``: fill LEMMA, UPOS and FEATS of a CoNLL-U file, or tag a plain text file.

CoNLL-U input is streamed sentence block by sentence block and written back with its
tokenization untouched: ID, FORM, multiword-token, empty-node and comment lines are copied as
they are; LEMMA, UPOS and FEATS are filled; other columns are kept. Other inputs (``.txt``,
``.md``) are read by the importer plugins, segmented, tagged and written as new CoNLL-U.
Output goes to a temporary file that replaces OUTPUT only at the end: an error (reported with
its line number) leaves no partial output behind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from layerkit.atomic import atomic_output
from layerkit.conllu_format import blocks, check_columns, is_comment, read_lines, resolve_encoding
from layerkit.drafts import ImportOptions
from layerkit.nlp.segment import segment_many
from layerkit.nlp.types import MorphTagger
from layerkit.project import Project

BATCH_SENTENCES = 256
_LINE_BREAKS = re.compile(r"[\n\r\t\v\f\u2028\u2029]")


@dataclass
class TagReport:
    sentences: int = 0
    tokens: int = 0


Progress = Callable[[int], None]


def tag_conllu(
    src: Path, dst: Path, tagger: MorphTagger, *, on_sentences: Progress | None = None
) -> TagReport:
    encoding = resolve_encoding(src, None)
    report = TagReport()
    with atomic_output(dst) as out:
        pending: list[tuple[list[str | list[str]], list[list[str]]]] = []
        for block in blocks(read_lines(src, encoding), src):
            lines: list[str | list[str]] = []
            words: list[list[str]] = []
            for number, line in block.lines:
                if is_comment(line):
                    lines.append(line)
                    continue
                cols = line.split("\t")
                if check_columns(cols, number, src) == "word":
                    lines.append(cols)
                    words.append(cols)
                else:
                    lines.append(line)
            pending.append((lines, words))
            if len(pending) >= BATCH_SENTENCES:
                _flush(pending, tagger, out, report, on_sentences)
        _flush(pending, tagger, out, report, on_sentences)
    return report


def _flush(
    pending: list[tuple[list[str | list[str]], list[list[str]]]],
    tagger: MorphTagger,
    out: TextIO,
    report: TagReport,
    on_sentences: Progress | None,
) -> None:
    if not pending:
        return
    tagged = tagger.tag([[cols[1] for cols in words] for _, words in pending])
    for (lines, words), analyses in zip(pending, tagged, strict=True):
        for cols, analysis in zip(words, analyses, strict=True):
            cols[2] = analysis.lemma or "_"
            cols[3] = analysis.upos
            cols[5] = analysis.feats or "_"
        for line in lines:
            out.write(line if isinstance(line, str) else "\t".join(line))
            out.write("\n")
        out.write("\n")
        report.sentences += 1
        report.tokens += len(words)
    if on_sentences:
        on_sentences(len(pending))
    pending.clear()


def tag_text(
    project: Project,
    src: Path,
    dst: Path,
    tagger: MorphTagger,
    *,
    encoding: str | None = None,
    on_sentences: Progress | None = None,
) -> TagReport:
    importer = project.importer_for(src)
    report = TagReport()
    with atomic_output(dst) as out:
        for d, document in enumerate(importer.read(src, ImportOptions(encoding=encoding)), 1):
            out.write(f"# newdoc id = {' '.join(document.name.split()) or d}\n")
            texts = [p.text for p in document.paragraphs]
            for p, (text, seg) in enumerate(zip(texts, segment_many(texts), strict=True), 1):
                sentences = [
                    [(a, b) for a, b in seg.tokens if s <= a and b <= e] for s, e in seg.sentences
                ]
                sentences = [tokens for tokens in sentences if tokens]
                tagged = tagger.tag([[text[a:b] for a, b in tokens] for tokens in sentences])
                out.write("# newpar\n")
                starts = {a for a, _ in seg.tokens}
                for s, (tokens, analyses) in enumerate(zip(sentences, tagged, strict=True), 1):
                    first, last = tokens[0][0], tokens[-1][1]
                    out.write(f"# sent_id = {d}-{p}-{s}\n")
                    out.write(f"# text = {_LINE_BREAKS.sub(' ', text[first:last])}\n")
                    for i, ((a, b), analysis) in enumerate(zip(tokens, analyses, strict=True), 1):
                        misc = "SpaceAfter=No" if b in starts and (a, b) != tokens[-1] else "_"
                        out.write(
                            f"{i}\t{text[a:b]}\t{analysis.lemma or '_'}\t{analysis.upos}\t_\t"
                            f"{analysis.feats or '_'}\t_\t_\t_\t{misc}\n"
                        )
                    out.write("\n")
                    report.sentences += 1
                    report.tokens += len(tokens)
                if on_sentences:
                    on_sentences(len(sentences))
    return report
