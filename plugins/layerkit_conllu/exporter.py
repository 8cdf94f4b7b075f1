"""Export the store's lexical layer as CoNLL-U, serialized by the ``conllu`` library.

One document → ``# newdoc id``, one paragraph → ``# newpar``, one stored sentence → one CoNLL-U
sentence with ``# sent_id`` and ``# text``; a document read from CoNLL-U is marked as its file
marked it (its ``# newdoc`` as written, none where it had none; no ``# newpar`` where it had
none), its sentences' comments in the file's order. Columns that the CoNLL-U importer kept (XPOS, HEAD,
DEPREL, DEPS, MISC, sentence comments, multiword tokens) are written back, so an imported
treebank exports to the same annotation; tokens without an analysis get ``_``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conllu.models import Token, TokenList

from layerkit.atomic import atomic_output
from layerkit.conllu_format import FEATURE, LINE_BREAKING, read_spaces_after, spaces_after
from layerkit.plugin.reader import StoreReader, store_of
from layerkit.plugin.types import ExportContext, ExportError, ExportReport
from layerkit.store import Annotation, Paragraph


class ConlluExporter:
    name = "conllu"
    description = (
        "the lexical layer (lemma, UPOS, FEATS) as CoNLL-U, one sentence per stored sentence"
    )

    def export(self, reader: StoreReader, out: Path, context: ExportContext) -> ExportReport:
        store = store_of(reader)  # paragraph meta (the CoNLL-U columns kept) is not in the model
        counts = {"documents": 0, "sentences": 0, "tokens": 0, "analysed": 0}
        unanalysed_parts = 0  # words of multiword tokens without an analysis
        with atomic_output(out) as handle:
            for document in store.documents():
                assert document.id is not None
                counts["documents"] += 1
                first = True
                for paragraph in store.iter_paragraphs(document.id):
                    assert paragraph.id is not None
                    lexical = store.annotations(paragraph.id, "lexical")
                    for i, (sentence, empty_nodes) in enumerate(_sentences(paragraph, lexical)):
                        problem = _unwritable(sentence)
                        if problem:
                            raise ExportError(
                                f"{document.name}, paragraph {paragraph.position + 1} "
                                f"(id {paragraph.id}): {problem}; CoNLL-U cannot hold it.",
                                hint="Fix the analysis in `layerkit annotate` (the importers "
                                "refuse such values now); nothing was written.",
                            )
                        if first:
                            newdoc = _newdoc_line(document.meta, document.name, counts)
                            if newdoc is not None:
                                sentence.metadata[_NEWDOC] = newdoc
                            first = False
                        if i == 0 and document.meta.get("conllu_paragraphs", True):
                            # the id an imported treebank gave the paragraph, kept
                            newpar = paragraph.meta.get("conllu_newpar")
                            key = "newpar id" if newpar else "newpar"
                            sentence.metadata[key] = _safe(str(newpar)) if newpar else None
                        handle.write(_serialize(sentence, empty_nodes))
                        counts["sentences"] += 1
                        counts["tokens"] += sum(1 for t in sentence if isinstance(t["id"], int))
                        counts["analysed"] += sum(
                            1
                            for t in sentence
                            if isinstance(t["id"], int) and t["upos"] not in (None, "_")
                        )
                        in_multiword = _in_multiword_tokens(sentence)
                        unanalysed_parts += sum(
                            1
                            for t in sentence
                            if t["id"] in in_multiword and t["upos"] in (None, "_")
                        )
        notes = []
        unanalysed = counts["tokens"] - counts["analysed"] - unanalysed_parts
        if unanalysed:
            notes.append(
                f"{unanalysed} tokens have no lexical analysis yet (written as '_'); run "
                "`layerkit preannotate` to fill them."
            )
        if unanalysed_parts:
            # (pre-annotation analyses whole tokens: it said to run it, which filled nothing)
            notes.append(
                f"{unanalysed_parts} words of multiword tokens have no lexical analysis "
                "(written as '_'): pre-annotation analyses whole tokens, not their words; "
                "`layerkit tag` on the CoNLL-U file analyses them."
            )
        return ExportReport(path=out, counts=counts, notes=notes)


def _in_multiword_tokens(sentence: Any) -> set[int]:
    """The ids of the words that multiword-token lines (``4-5``) of ``sentence`` span."""
    ids: set[int] = set()
    for token in sentence:
        ident = token["id"]
        if isinstance(ident, tuple) and len(ident) == 3 and ident[1] == "-":
            ids.update(range(ident[0], ident[2] + 1))
    return ids


_BREAKS = re.compile(f"[{LINE_BREAKING}]")
#: the metadata key of a document's ``# newdoc`` comment, written as it is (first)
_NEWDOC = "\0newdoc"
#: the metadata key of the order the sentence's comments had in the file read (if kept)
_ORDER = "\0order"


def _newdoc_line(meta: dict[str, Any], name: str, counts: dict[str, int]) -> str | None:
    """A document's ``# newdoc`` comment: as the CoNLL-U file it was read from wrote it (none
    where it had none, unless another document comes before it in this export: its sentences
    would be read back as that one's), else ``newdoc id = <its name>``."""
    if "conllu_newdoc_line" in meta:
        line = meta["conllu_newdoc_line"]
        if isinstance(line, str) and not _BREAKS.search(line):
            return line
        if line is None and counts["documents"] == 1:
            return None
    return f"newdoc id = {_safe(name)}"


def _unwritable(sentence: TokenList) -> str | None:
    """What in a sentence a CoNLL-U line cannot hold (a tab or line break in a column ends
    the column or the word, and the file no longer parses), or None."""
    for token in sentence:
        for column in ("form", "lemma", "feats", "xpos", "deprel", "deps", "misc"):
            value = token[column]
            if isinstance(value, str) and _BREAKS.search(value):
                return f"word {token['id']}'s {column.upper()} {value!r} holds a tab or line break"
        feats = token["feats"]
        if isinstance(feats, str) and not all(FEATURE.fullmatch(f) for f in feats.split("|")):
            return f"word {token['id']}'s FEATS {feats!r} is not Name=Value pairs"
    return None


def _safe(value: str) -> str:
    return " ".join(value.split())


def _serialize(sentence: TokenList, empty_nodes: Sequence[str] = ()) -> str:
    """Comments in CoNLL-U order (newdoc, newpar, sent_id, text, others), then the tokens,
    with the empty nodes (``3.1``: enhanced dependencies) an imported treebank had, each
    after the word it follows, as it had them."""
    meta = sentence.metadata
    slots: dict[str, str] = {}  # where a comment goes → its line
    for key, value in meta.items():
        if key == _ORDER:
            continue
        slot = "newdoc" if key == _NEWDOC else "newpar" if key.startswith("newpar") else key
        line = value if key == _NEWDOC else f"{key} = {value}" if value is not None else key
        slots[slot] = f"# {line}"
    canonical = ["newdoc", "newpar", "sent_id", "text"]
    order = meta.get(_ORDER) if isinstance(meta.get(_ORDER), list) else []
    # the file's own order where the import kept it, else CoNLL-U's
    keys = [*order, *canonical, *slots]
    lines = [slots.pop(k) for k in keys if k in slots]
    body = TokenList(list(sentence)).serialize()
    if empty_nodes:
        body = _with_empty_nodes(body, empty_nodes)
    return "\n".join(lines) + "\n" + body


def _with_empty_nodes(body: str, empty_nodes: Sequence[str]) -> str:
    """``body`` (a sentence's token lines) with each empty node line after the word whose ID
    comes before its dot (after the multiword token lines, as the UD validator wants; 0.x
    before the first word)."""
    after: dict[str, list[str]] = {}
    for line in empty_nodes:
        after.setdefault(line.split("\t", 1)[0].split(".", 1)[0], []).append(line)
    lines = body.rstrip("\n").split("\n")
    out = list(after.pop("0", []))
    for line in lines:
        out.append(line)
        out.extend(after.pop(line.split("\t", 1)[0], []))
    for rest in after.values():  # (an ID no word has: kept at the end rather than lost)
        out.extend(rest)
    return "\n".join(out) + "\n\n"


def _sentences(
    paragraph: Paragraph, lexical: list[Annotation]
) -> list[tuple[TokenList, list[str]]]:
    """Each stored sentence as a token list, with the empty node lines kept for it."""
    text = paragraph.text
    by_span: dict[tuple[int, int], list[Annotation]] = {}
    for ann in lexical:
        if ann.start is not None and ann.end is not None:
            by_span.setdefault((ann.start, ann.end), []).append(ann)
    kept = paragraph.meta.get("conllu") or []
    token_starts = {t[0] for t in paragraph.tokens}
    out = []
    for index, (start, end) in enumerate(paragraph.sentences):
        # what stands between this sentence and the next, where it is not the one space the
        # importer joins sentences with: a line break, a no-break space (it was lost)
        followed = index + 1 < len(paragraph.sentences)
        gap = text[end : paragraph.sentences[index + 1][0]] if followed else " "
        gap_after = gap if gap not in ("", " ") and gap.isspace() else None
        spans = [tuple(t) for t in paragraph.tokens if start <= t[0] and t[1] <= end]
        info = kept[index] if index < len(kept) and isinstance(kept[index], dict) else {}
        untagged = info.get("untagged") if isinstance(info.get("untagged"), dict) else {}
        mwt_misc = info.get("mwt_misc") if isinstance(info.get("mwt_misc"), dict) else {}
        tokens: list[Token] = []
        word_id = 0
        for position, (ts, te) in enumerate(spans):
            # The paragraph's last token counts as followed by a space, as in UD files.
            space_after = te == len(text) or te not in token_starts
            anns = by_span.get((ts, te), [])
            form = text[ts:te]
            final = (ts, te) == spans[-1]
            words = untagged.get(str(position))
            # whitespace inside the sentence other than one space: SpacesAfter, as UD writes
            # it. Always where '# text' cannot hold it as it is (a line separator, a form feed:
            # they become spaces there); a no-break space or two spaces, which '# text' holds,
            # only on tokens not read from a CoNLL-U file (whose MISC is written as it was read)
            inner = "" if final else text[te : spans[position + 1][0]]
            read_as_conllu = words is not None or any("conllu" in a.attrs for a in anns)
            inner_gap = (
                inner
                if inner not in ("", " ")
                and inner.isspace()
                and (_UNSPOKEN.search(inner) or not read_as_conllu)
                else None
            )
            if not isinstance(words, list) or not all(isinstance(w, dict) for w in words):
                words = None
            # a multiword token: its words as the import kept them (some had no UPOS; each
            # with its analysis where every word has one now), or its words' annotations
            parts: list[tuple[str, Annotation | None, dict[str, Any] | None]] | None = None
            if words is not None and (len(words) > 1 or words[0].get("mwt")):
                analysed = anns if len(anns) == len(words) else [None] * len(words)
                parts = [
                    (str(w.get("word") or form), a, w) for w, a in zip(words, analysed, strict=True)
                ]
            elif len(anns) > 1 and all(a.attrs.get("mwt") for a in anns):
                parts = [(a.attrs.get("word") or form, a, None) for a in anns]
            if parts is not None:
                first = word_id + 1
                word_id += len(parts)
                rid = f"{first}-{word_id}"
                tokens.append(
                    _token(
                        (first, "-", word_id),
                        form,
                        None,
                        space_after,
                        mwt_line=True,
                        sentence_final=final,
                        gap_after=gap_after,
                        followed=followed,
                        inner_gap=inner_gap,
                        # the range line's MISC as read
                        fallback={"conllu": {"misc": mwt_misc[rid]}} if rid in mwt_misc else None,
                    )
                )
                for offset, (word_form, ann, word) in enumerate(parts):
                    tokens.append(_token(first + offset, word_form, ann, True, fallback=word))
                continue
            word_id += 1
            tokens.append(
                _token(
                    word_id,
                    form,
                    anns[0] if anns else None,
                    space_after,
                    sentence_final=final,
                    gap_after=gap_after,
                    followed=followed,
                    inner_gap=inner_gap,
                    fallback=words[0] if words else None,
                )
            )
        sentence = TokenList(tokens)
        sentence.metadata["sent_id"] = info.get("sent_id") or f"p{paragraph.id}-s{index + 1}"
        # CoNLL-U comments are one line: line breaks inside a sentence become spaces.
        sentence.metadata["text"] = _UNSPOKEN.sub(" ", text[start:end])
        for key, value in (info.get("comments") or {}).items():
            sentence.metadata[key] = value
        if isinstance(info.get("order"), list):
            sentence.metadata[_ORDER] = info["order"]
        empty = info.get("empty_nodes")
        out.append((sentence, [str(n) for n in empty] if isinstance(empty, list) else []))
    return out


#: whitespace that '# text' (one line, spaces kept as they are) does not hold: what breaks a
#: line (line breaks and separators, tabs, form feeds, NEL)
_UNSPOKEN = re.compile(f"[{re.escape(LINE_BREAKING)}]")


def _token(
    ident: int | tuple[int, str, int],
    form: str,
    ann: Annotation | None,
    space_after: bool,
    *,
    mwt_line: bool = False,
    sentence_final: bool = False,
    gap_after: str | None = None,
    followed: bool = False,
    inner_gap: str | None = None,
    fallback: dict[str, Any] | None = None,
) -> Token:
    """One token line. ``fallback``: the word as the import kept it in the sentence's meta
    (``untagged``: it had no UPOS): its LEMMA, UPOS and FEATS where no annotation gives them,
    its other columns where the annotation (a person's, a model's, made since) keeps none."""
    kept: dict[str, Any] = (ann.attrs.get("conllu") or {}) if ann else {}
    if not kept and fallback is not None and isinstance(fallback.get("conllu"), dict):
        kept = fallback["conllu"]
    misc = kept.get("misc")
    # MISC items keep their original order; only SpaceAfter=No is ours to decide, except on a
    # sentence's last token, where the stored text (sentences joined by a space) cannot tell.
    misc_items = [] if misc in (None, "_") else str(misc).split("|")
    if "SpaceAfter=No" in misc_items:
        if space_after and not sentence_final:
            misc_items.remove("SpaceAfter=No")
    elif not space_after:
        misc_items.append("SpaceAfter=No")
    if inner_gap is not None:
        kept_gap = [i for i in misc_items if i.startswith("SpacesAfter=")]
        if [read_spaces_after(i[12:]) for i in kept_gap] != [inner_gap]:
            misc_items = [i for i in misc_items if not i.startswith("SpacesAfter=")]
            misc_items.append(f"SpacesAfter={spaces_after(inner_gap)}")
    if sentence_final and followed:
        # what follows the sentence in the stored text before the next one, where it is not
        # one space (the importer reads it back; a SpacesAfter kept from an import says the
        # same or is stale); the paragraph's last sentence keeps its MISC as it was
        kept_gap = [i for i in misc_items if i.startswith("SpacesAfter=")]
        if gap_after is not None or any(read_spaces_after(i[12:]) for i in kept_gap):
            misc_items = [i for i in misc_items if not i.startswith("SpacesAfter=")]
        if gap_after is not None:
            misc_items.append(f"SpacesAfter={spaces_after(gap_after)}")
    if mwt_line or (ann is None and fallback is None):
        lemma = upos = feats = None
    elif ann is None:
        assert fallback is not None
        lemma, upos, feats = (fallback.get(name) for name in ("lemma", "upos", "feats"))
    else:
        lemma = ann.attrs.get("lemma")
        upos = ann.label
        feats = ann.attrs.get("feats")
    return Token(
        {
            "id": ident,
            "form": form,
            "lemma": lemma or None,
            "upos": upos,
            "xpos": None if mwt_line else kept.get("xpos"),
            "feats": None if feats in (None, "_", "") else feats,
            "head": None if mwt_line else kept.get("head"),
            "deprel": None if mwt_line else kept.get("deprel"),
            "deps": None if mwt_line else kept.get("deps"),
            "misc": "|".join(misc_items) if misc_items else None,
        }
    )
