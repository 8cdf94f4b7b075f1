"""Token and sentence boundaries of imported text against UD's gold, per file.

    .venv/bin/python bench/segmentation.py                   # every UD file in ../shared/data/ud
    .venv/bin/python bench/segmentation.py FILE.conllu --errors 30

Import cuts raw text into sentences and tokens (``layerkit.nlp.segment``), and every layer
stands on those tokens, so their agreement with a treebank's is what an annotator first
meets on new text. For each file the gold paragraphs are rebuilt as raw text (each sentence's
words joined as their ``SpaceAfter``/``SpacesAfter`` say, sentences joined by a space; a file
that marks no paragraphs is taken six sentences at a time), segmented as import segments
them, and compared by character offsets: token F1 (a token counts where its start and end both
match a gold surface token: a multiword token such as «потому что» written as one word is one)
and sentence-boundary F1 (the starts of a paragraph's second and later sentences). ``--errors
N`` prints N sentence boundaries missed and N made up, with their context.

Test splits (``*-test*``, PUD) are refused: they judge, they are no data to tune rules on.
The last line: ``token_f1=<f> sentence_f1=<f>`` over all files together.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "ud"
PER_PARAGRAPH = 6


@dataclass
class Paragraph:
    text: str
    tokens: set[tuple[int, int]] = field(default_factory=set)
    starts: set[int] = field(default_factory=set)  # sentence starts after the first


@dataclass
class Counts:
    gold: int = 0
    found: int = 0
    right: int = 0

    def f1(self) -> float:
        return 2 * self.right / (self.gold + self.found) if self.gold + self.found else 1.0


def _space_after(misc: dict | None) -> str:
    from layerkit.conllu_format import read_spaces_after  # the importer's own reading

    if not misc:
        return " "
    if misc.get("SpaceAfter") == "No":
        return ""
    return read_spaces_after(misc.get("SpacesAfter")) or " "


def paragraphs(path: Path) -> list[Paragraph]:
    import conllu

    with path.open(encoding="utf-8") as handle:
        sentences = list(conllu.parse_incr(handle))
    marked = any("newpar" in s.metadata or "newpar id" in s.metadata for s in sentences)
    groups: list[list[conllu.TokenList]] = []
    for i, sentence in enumerate(sentences):
        new = (
            "newpar" in sentence.metadata or "newpar id" in sentence.metadata or not groups
            if marked
            else i % PER_PARAGRAPH == 0
        )
        if new:
            groups.append([])
        groups[-1].append(sentence)
    result = []
    for group in groups:
        paragraph = Paragraph("")
        text: list[str] = []
        at = 0
        for s, sentence in enumerate(group):
            if s:
                text.append(" ")
                at += 1
                paragraph.starts.add(at)
            skip_until = 0
            words = list(sentence)
            for k, token in enumerate(words):
                if isinstance(token["id"], tuple):
                    if token["id"][1] != ".":  # a multiword token: one surface token
                        skip_until = token["id"][2]
                    else:
                        continue  # an empty node has no surface
                elif isinstance(token["id"], int) and token["id"] <= skip_until:
                    continue
                form = token["form"]
                paragraph.tokens.add((at, at + len(form)))
                text.append(form)
                at += len(form)
                if k < len(words) - 1:
                    space = _space_after(token["misc"])
                    text.append(space)
                    at += len(space)
        paragraph.text = "".join(text)
        result.append(paragraph)
    return result


def compare(path: Path, errors: int) -> tuple[Counts, Counts]:
    from layerkit.nlp.segment import segment_many

    gold = paragraphs(path)
    tokens, boundaries = Counts(), Counts()
    missed: list[str] = []
    made_up: list[str] = []
    for paragraph, found in zip(gold, segment_many(p.text for p in gold), strict=True):
        found_tokens = set(found.tokens)
        tokens.gold += len(paragraph.tokens)
        tokens.found += len(found_tokens)
        tokens.right += len(paragraph.tokens & found_tokens)
        found_starts = {start for start, _ in found.sentences[1:]}
        boundaries.gold += len(paragraph.starts)
        boundaries.found += len(found_starts)
        boundaries.right += len(paragraph.starts & found_starts)
        for at in sorted(paragraph.starts - found_starts):
            missed.append(_context(paragraph.text, at))
        for at in sorted(found_starts - paragraph.starts):
            made_up.append(_context(paragraph.text, at))
    if errors:
        print(f"# {path.name}: sentence boundaries missed ({len(missed)})")
        for line in missed[:errors]:
            print("  " + line)
        print(f"# {path.name}: sentence boundaries made up ({len(made_up)})")
        for line in made_up[:errors]:
            print("  " + line)
    return tokens, boundaries


def _context(text: str, at: int) -> str:
    return (text[max(0, at - 40) : at] + " ‖ " + text[at : at + 30]).replace("\n", "⏎")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="CoNLL-U files (default: the UD data)")
    parser.add_argument("--errors", type=int, default=0, help="print this many errors of each kind")
    args = parser.parse_args()
    files = args.files or sorted(DATA.glob("*.conllu"))
    judged = [f for f in files if "-test" in f.name or "pud" in f.name.lower()]
    if judged:
        sys.exit(f"refused: {', '.join(f.name for f in judged)} (test splits judge, not tune)")
    if not files:
        sys.exit(f"no CoNLL-U files given and none in {DATA}")
    all_tokens, all_boundaries = Counts(), Counts()
    print(
        f"{'file':32} {'tokens':>7} {'token_f1':>9} {'sentences':>9} {'sentence_f1':>11} {'s':>6}"
    )
    for path in files:
        started = time.perf_counter()
        tokens, boundaries = compare(path, args.errors)
        seconds = time.perf_counter() - started
        print(
            f"{path.name:32} {tokens.gold:7} {tokens.f1():9.4f} {boundaries.gold:9} "
            f"{boundaries.f1():11.4f} {seconds:6.1f}",
            flush=True,
        )
        for total, part in ((all_tokens, tokens), (all_boundaries, boundaries)):
            total.gold += part.gold
            total.found += part.found
            total.right += part.right
    print(f"token_f1={all_tokens.f1():.4f} sentence_f1={all_boundaries.f1():.4f}")


if __name__ == "__main__":
    main()
