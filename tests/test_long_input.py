"""Input of any size: a 5 MB paragraph on one line, a CoNLL-U "sentence" of 150,000 words.

Imported and tagged in bounded memory, offsets exact, a warning naming the file and no
traceback. The trained tagger takes minutes on 5 MB, so these tests tag with the rule-based
one; the windowing that keeps the trained one bounded is tested on its own here, and
``python bench/long_input.py`` measures the trained tagger on the 5 MB cases.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import SHARED
from layerkit_ru_morph import tagging

from layerkit.ingest import import_paths
from layerkit.nlp.taggers import WindowedTagger, load_tagger
from layerkit.nlp.types import TokenAnalysis
from layerkit.project import Project

UD = SHARED / "data" / "ud"
MB = 1_000_000


def _ud_sentences() -> list[str]:
    out = []
    for path in sorted(UD.glob("*-dev.conllu")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("# text = "):
                out.append(line[len("# text = ") :].strip())
    return out


def one_line_paragraph(size: int) -> str:
    """Real Russian sentences (UD dev text) on one line, ``size`` bytes of UTF-8 or a little
    more."""
    sentences = _ud_sentences()
    out: list[str] = []
    total = i = 0
    while total < size:
        out.append(sentences[i % len(sentences)])
        total += len(out[-1].encode("utf-8")) + 1
        i += 1
    return " ".join(out)


def _peak_rss_mb(args: Sequence[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run the layerkit CLI in a child process; its result and its peak RSS in MB."""
    code = (
        "import resource, sys\n"
        "from layerkit.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    peak = next(
        int(line.split()[1]) / 1024
        for line in result.stderr.splitlines()
        if line.startswith("PEAK_RSS_KB")
    )
    return result, peak


def _nonspace(text: str, spans: Sequence[Sequence[int]]) -> int:
    """Characters other than whitespace in ``spans`` of ``text`` (a token may hold a space:
    spaCy's special cases such as "и др.")."""
    return sum(not c.isspace() for a, b in spans for c in text[a:b])


def _parts_make(text: str, parts: list[str]) -> bool:
    """Whether ``parts`` are ``text``, in order, less only whitespace between them (checked
    without comparing megabytes, so that a failure does not make pytest diff them)."""
    pos = 0
    for part in parts:
        at = text.find(part, pos)
        if at < 0 or text[pos:at].strip():
            return False
        pos = at + len(part)
    return not text[pos:].strip()


@pytest.fixture(scope="module")
def big_txt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.txt"
    path.write_text(one_line_paragraph(5 * MB) + "\n", encoding="utf-8")
    return path


def test_import_a_5mb_one_line_paragraph(big_txt: Path, tmp_path: Path) -> None:
    text = big_txt.read_text(encoding="utf-8").strip()
    assert len(text.encode("utf-8")) > 5 * MB and "\n" not in text
    project = Project.load(str(tmp_path / "lk.db"))
    start = time.perf_counter()
    with project.open_store(create=True) as store:
        report = import_paths(project, store, [big_txt])
        seconds = time.perf_counter() - start
        (file_report,) = report.files
        assert file_report.warnings and file_report.warnings[0].startswith(
            f"line 1: a paragraph of {len(text):,} characters"
        )
        pars = list(store.iter_paragraphs())
    assert seconds < 60
    assert len(pars) == file_report.paragraphs > 1_000
    assert _parts_make(text, [p.text for p in pars])
    for par in pars:
        assert len(par.text) <= 2_000 + 1_000
        assert all(par.text[a:b].strip() == par.text[a:b] != "" for a, b in par.tokens)
        assert _nonspace(par.text, par.tokens) == _nonspace(par.text, [(0, len(par.text))])
        assert par.sentences[0][0] == 0 and par.sentences[-1][1] == len(par.text)


def test_tag_a_5mb_one_line_paragraph_in_bounded_memory(big_txt: Path, tmp_path: Path) -> None:
    small = tmp_path / "small.txt"
    small.write_text(one_line_paragraph(2_000) + "\n", encoding="utf-8")
    common = ["--db", str(tmp_path / "lk.db"), "tag", "--tagger", "rules", "-o"]
    result, baseline = _peak_rss_mb([*common, str(tmp_path / "s.conllu"), str(small)], tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "big.conllu"
    start = time.perf_counter()
    result, peak = _peak_rss_mb([*common, str(out), str(big_txt)], tmp_path)
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"warning: {big_txt}: line 1: a paragraph of" in result.stderr
    assert "note: convention ud: the default" in result.stderr
    # spaCy alone needs ~1 GB a million characters; 5 MB costs a few hundred MB here at most
    assert peak - baseline < 400, (peak, baseline)
    assert seconds < 90
    # every character of the input is in the output's sentences, in order
    text = big_txt.read_text(encoding="utf-8").strip()
    sentences = [
        line[len("# text = ") :]
        for line in out.read_text(encoding="utf-8").splitlines()
        if line.startswith("# text = ")
    ]
    assert _parts_make(text, sentences)


def _giant_sentence(words: int) -> str:
    forms = []
    for path in sorted(UD.glob("*-dev.conllu")):
        for line in path.read_text(encoding="utf-8").splitlines():
            cols = line.split("\t")
            if len(cols) == 10 and cols[0].isdigit():
                forms.append(cols[1])
    lines = ["# sent_id = giant"]
    for i in range(words):
        lines.append(f"{i + 1}\t{forms[i % len(forms)]}\t_\t_\t_\t_\t_\t_\t_\t_")
        if i == 5:
            lines.append("7-8\tвроде\t_\t_\t_\t_\t_\t_\t_\t_")  # lines between words stay
    return "\n".join(lines) + "\n\n# sent_id = next\n1\tКонец\t_\t_\t_\t_\t0\troot\t_\t_\n\n"


def test_tag_a_conllu_sentence_of_150000_words_in_bounded_memory(tmp_path: Path) -> None:
    src = tmp_path / "giant.conllu"
    src.write_text(_giant_sentence(150_000), encoding="utf-8")
    assert src.stat().st_size > 4 * MB
    small = tmp_path / "small.conllu"
    small.write_text(_giant_sentence(100), encoding="utf-8")
    common = ["--db", str(tmp_path / "lk.db"), "tag", "--tagger", "rules", "-o"]
    result, baseline = _peak_rss_mb([*common, str(tmp_path / "s.conllu"), str(small)], tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out.conllu"
    result, peak = _peak_rss_mb([*common, str(out), str(src)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 sentences, 150001 tokens" in result.stdout
    assert peak - baseline < 150, (peak, baseline)  # the whole sentence is never in memory
    before = src.read_text(encoding="utf-8").splitlines()
    after = out.read_text(encoding="utf-8").splitlines()
    assert [line.split("\t")[:2] for line in before] == [line.split("\t")[:2] for line in after]
    words = [line.split("\t") for line in after if line[:1].isdigit()]
    assert all(cols[3] != "_" for cols in words if cols[0].isdigit())


class _Recorder:
    """A context-free fake tagger that records the longest sentence it was given."""

    name = "fake"
    version = "1"

    def __init__(self) -> None:
        self.longest = 0

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[list[TokenAnalysis]]:
        self.longest = max([self.longest, *(len(s) for s in sentences)])
        return [[TokenAnalysis(f, "X", "_", 1.0) for f in s] for s in sentences]


def test_windowed_tagger_never_hands_on_a_long_sentence() -> None:
    inner = _Recorder()
    tagger = WindowedTagger(inner, max_tokens=40, context=5)
    sentences = [[f"w{i}" for i in range(n)] for n in (3, 40, 41, 1_000, 0, 7)]
    tagged = tagger.tag(sentences)
    assert [[a.lemma for a in row] for row in tagged] == sentences
    assert inner.longest == 40
    assert (tagger.name, tagger.version) == ("fake", "1")


class _LaterRecorder(_Recorder):
    """An inner tagger that can work elsewhere (``tag_later``), recording what it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.later_calls: list[int] = []

    def tag_later(self, sentences: Sequence[Sequence[str]]) -> Any:
        self.later_calls.append(len(sentences))
        done = self.tag(sentences)
        return lambda: done


def test_windowed_tagger_hands_long_sentences_windows_to_tag_later() -> None:
    """Pre-annotation's ``tag_later``: a batch with a long sentence goes, windows and all, in
    one call to the inner tagger's ``tag_later`` (its worker processes), with what ``tag``
    gives."""
    sentences = [[f"w{i}" for i in range(n)] for n in (3, 40, 41, 1_000, 0, 7)]
    inner = _LaterRecorder()
    tagger = WindowedTagger(inner, max_tokens=40, context=5)
    collect = tagger.tag_later(sentences)
    assert len(inner.later_calls) == 1 and inner.later_calls[0] > len(sentences)
    assert inner.longest == 40
    later = collect()
    assert [[a.lemma for a in row] for row in later] == sentences
    assert later == WindowedTagger(_Recorder(), max_tokens=40, context=5).tag(sentences)


def test_windowed_tagger_matches_the_whole_sentence_with_rules() -> None:
    """The rule tagger looks a few words around; windows with context change nothing."""
    tagger = load_tagger("ud", "rules")
    assert isinstance(tagger, WindowedTagger)
    forms = one_line_paragraph(40_000).replace(".", " .").replace(",", " ,").split()[:3_000]
    whole = tagger.inner.tag([forms])[0]
    windowed = tagger.tag([forms])[0]
    same = sum(
        (a.lemma, a.upos, a.feats) == (b.lemma, b.upos, b.feats)
        for a, b in zip(whole, windowed, strict=True)
    )
    assert same >= 0.99 * len(forms)


def test_conllu_streaming_writes_what_a_whole_block_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in.conllu"
    src.write_text(_giant_sentence(500) * 2, encoding="utf-8")
    whole, streamed = tmp_path / "whole.conllu", tmp_path / "streamed.conllu"
    tagging.tag_conllu(src, whole, _Recorder())
    monkeypatch.setattr(tagging, "STREAM_WORDS", 30)
    monkeypatch.setattr(tagging, "STREAM_CONTEXT", 4)
    recorder = _Recorder()
    report = tagging.tag_conllu(src, streamed, recorder)
    assert (report.sentences, report.tokens) == (4, 1002)
    assert recorder.longest <= 30 + 2 * 4 + 4
    assert streamed.read_text(encoding="utf-8") == whole.read_text(encoding="utf-8")
