"""Pre-annotation fills the lexical layer with model suggestions and never touches human work."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from layerkit_ru_morph.preannotator import LexicalPreannotator

from layerkit.errors import UsageError
from layerkit.ingest import import_paths
from layerkit.preannotate import choose_preannotator, preannotate
from layerkit.project import Project

SAMPLE = REPO / "sample_corpus"


class RulesWrapper:
    """The rules pre-annotator under its own name and version (``inner``), for tests that
    wrap it to watch how ``preannotate`` calls a pre-annotator."""

    def __init__(self) -> None:
        self.inner = LexicalPreannotator(kind="rules")
        self.name, self.layer = self.inner.name, self.inner.layer
        self.version, self.description = self.inner.version, self.inner.description


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.load(str(tmp_path / "lk.db"))


def test_fills_only_paragraphs_without_human_annotation(project: Project, tmp_path: Path) -> None:
    rules = LexicalPreannotator(kind="rules")
    with project.open_store(create=True) as store:
        import_paths(project, store, [SAMPLE / "annotated.jsonl", SAMPLE / "science.txt"])
        gold_before = {
            p.id: [(a.id, a.label, a.attrs) for a in store.annotations(p.id, "lexical")]
            for p in store.iter_paragraphs()
            if store.annotations(p.id, "lexical")
        }
        report = preannotate(project, store, rules)
        assert report.filled == 6 and report.candidates == 6
        assert report.model == f"model:ru-morph@{rules.version}"
        for p in store.iter_paragraphs():
            anns = store.annotations(p.id, "lexical")
            if p.id in gold_before:
                assert [(a.id, a.label, a.attrs) for a in anns] == gold_before[p.id]
                continue
            assert len(anns) == len(p.tokens)
            assert {(a.start, a.end) for a in anns} == {tuple(t) for t in p.tokens}
            assert all(a.origin == report.model and 0 <= a.confidence <= 1 for a in anns)
            assert store.statuses(p.id)["lexical"].state == "todo"

        # nothing left to do, unless asked to redo model suggestions
        assert preannotate(project, store, rules).candidates == 0

        # a person corrects one suggestion: --redo must leave that paragraph alone
        target = next(p for p in store.iter_paragraphs() if p.id not in gold_before)
        first = store.annotations(target.id, "lexical")[0]
        store.update_annotation(first.id, annotator="anna", label="X")
        redo = preannotate(project, store, rules, redo=True)
        assert redo.candidates == 5
        assert store.annotation(first.id).label == "X"
        assert len(store.annotations(target.id, "lexical")) == len(target.tokens)


def test_stress_marks_and_emoji_keep_their_offsets(project: Project, tmp_path: Path) -> None:
    src = tmp_path / "s.txt"
    src.write_text("Я вижу за\u0301мок 😀 и ёлку.", encoding="utf-8")
    with project.open_store(create=True) as store:
        import_paths(project, store, [src])
        preannotate(project, store, LexicalPreannotator(kind="rules"))
        par = next(store.iter_paragraphs())
        by_form = {par.text[a.start : a.end]: a for a in store.annotations(par.id, "lexical")}
    assert by_form["за\u0301мок"].attrs["lemma"] == "замок"
    assert by_form["за\u0301мок"].label == "NOUN"
    assert by_form["😀"].label in {"SYM", "X", "PUNCT"}
    assert by_form["ёлку"].attrs["lemma"] in {"елка", "ёлка"}


@pytest.mark.parametrize("kind", ["rules", "auto"])
def test_symbols_of_private_use_and_marks_standing_alone_are_preannotated(
    project: Project, tmp_path: Path, kind: str
) -> None:
    """The validator audit: a private-use or unassigned code point lost its lemma (the
    tidying meant for a model's garbled texts took the symbol's own) and a stress mark or a
    joiner typed after a space was refused as half a character: either stopped the run, and
    the batch stored nothing."""
    src = tmp_path / "odd.txt"
    odd = ["\ue000", "\U000f0000", "\u0378", "\u0301", "\u200d", "\ufe0f", "\U0001f3fd"]
    src.write_text("Первый абзац.\n\n" + "\n\n".join(f"Символ {c} в тексте." for c in odd), "utf-8")
    with project.open_store(create=True) as store:
        import_paths(project, store, [src])
        report = preannotate(project, store, LexicalPreannotator(kind=kind))
        paragraphs = list(store.iter_paragraphs())
        tokens = {
            p.text[a.start : a.end]: a
            for p in paragraphs
            for a in store.annotations(p.id, "lexical")
        }
    assert report.filled == len(paragraphs) == len(odd) + 1
    for symbol in odd:
        assert tokens[symbol].attrs["lemma"], symbol


def test_no_preannotator_for_layer(project: Project) -> None:
    with pytest.raises(UsageError, match="no layer named 'nonexistent'"):
        choose_preannotator(project, "nonexistent", None)
    with pytest.raises(UsageError, match="no pre-annotator for layer 'lexical' named 'nope'"):
        choose_preannotator(project, "lexical", "nope")
    # the higher layers are suggested by a training run, which must be named
    with pytest.raises(UsageError, match="come from a training run") as raised:
        choose_preannotator(project, "semantic", None)
    assert "--checkpoint RUN" in (raised.value.hint or "")


def test_cli_preannotate_and_tag(tmp_path: Path, db_url: str) -> None:
    """The one pre-annotation test on PostgreSQL too (it loads the NLP models: slow)."""
    env = dict(os.environ, LAYERKIT_DB=db_url, COLUMNS="200")

    def lk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "layerkit", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    src = tmp_path / "t.txt"
    src.write_text("Мама мыла раму. Папа читал газету.\n\nВторой абзац.", encoding="utf-8")
    assert lk("import", str(src)).returncode == 0
    result = lk("preannotate")
    assert result.returncode == 0, result.stderr
    assert "filled 2 of 2" in result.stdout
    status = json.loads(lk("status", "--json").stdout)
    assert status["annotations"]["lexical"] == 11
    again = lk("preannotate")
    assert "nothing to do" in again.stderr


def test_batches_overlap_and_store_what_one_batch_at_a_time_stores(
    project: Project, tmp_path: Path
) -> None:
    """A pre-annotator with ``annotate_later`` is given the next batch before the previous
    one is stored; the store ends up as with ``annotate`` alone, batch after batch, and
    progress counts stored paragraphs."""

    class Recorded(RulesWrapper):
        """The rules pre-annotator, its calls noted; with ``annotate`` only, or also
        ``annotate_later``."""

        def __init__(self, later: bool) -> None:
            super().__init__()
            self.events: list[str] = []
            if later:
                self.annotate_later = self._annotate_later

        def annotate(self, paragraphs):  # type: ignore[no-untyped-def]
            self.events.append(f"annotate {len(paragraphs)}")
            return self.inner.annotate(paragraphs)

        def _annotate_later(self, paragraphs):  # type: ignore[no-untyped-def]
            self.events.append(f"start {len(paragraphs)}")
            collect = self.inner.annotate_later(paragraphs)

            def results():  # type: ignore[no-untyped-def]
                self.events.append("collect")
                return collect()

            return results

    made = {}
    for later in (True, False):
        each = Project.load(str(tmp_path / f"lk-{later}.db"))
        with each.open_store(create=True) as store:
            import_paths(each, store, [SAMPLE / "science.txt", SAMPLE / "news.txt"])
            recorded = Recorded(later)
            progress: list[int] = []

            def stored(done: int, total: int, recorded=recorded, progress=progress) -> None:  # type: ignore[no-untyped-def]
                progress.append(done)
                recorded.events.append(f"stored {done}")

            report = preannotate(each, store, recorded, batch_size=2, on_progress=stored)
            made[later] = {
                p.text: [(a.start, a.end, a.label, a.attrs) for a in store.annotations(p.id)]
                for p in store.iter_paragraphs()
            }
            total = report.candidates
            assert report.filled == total > 4
            assert progress == [min(n, total) for n in range(2, total + 2, 2)]
            if later:
                # the second batch is started before the first is collected and stored
                assert recorded.events[:4] == ["start 2", "start 2", "collect", "stored 2"]
            else:
                # without annotate_later each batch is stored before the next is annotated:
                # a slow model's finished batch is never held back
                assert recorded.events[:4] == ["annotate 2", "stored 2", "annotate 2", "stored 4"]
    assert made[True] == made[False]


def test_a_preannotator_naming_batch_tokens_gets_paragraphs_gathered_to_that_many(
    project: Project, tmp_path: Path
) -> None:
    """``batch_tokens``: paragraphs, read a few at a time, are gathered into calls of up to
    that many tokens; what is stored is unchanged."""

    class Gathered(RulesWrapper):
        def __init__(self, batch_tokens: int | None) -> None:
            super().__init__()
            self.batch_tokens = batch_tokens
            self.calls: list[int] = []

        def annotate_later(self, paragraphs):  # type: ignore[no-untyped-def]
            self.calls.append([len(p.tokens) for p in paragraphs])
            return self.inner.annotate_later(paragraphs)

        def annotate(self, paragraphs):  # type: ignore[no-untyped-def]
            return self.annotate_later(paragraphs)()

    made = {}
    for batch_tokens in (None, 300):
        each = Project.load(str(tmp_path / f"lk-{batch_tokens}.db"))
        with each.open_store(create=True) as store:
            import_paths(each, store, [SAMPLE / "science.txt", SAMPLE / "news.txt"])
            gathered = Gathered(batch_tokens)
            progress: list[int] = []
            report = preannotate(
                each,
                store,
                gathered,
                batch_size=2,
                on_progress=lambda done, total, progress=progress: progress.append(done),
            )
            assert report.filled == report.candidates > 4
            made[batch_tokens] = {
                p.text: [(a.start, a.end, a.label, a.attrs) for a in store.annotations(p.id)]
                for p in store.iter_paragraphs()
            }
            calls = gathered.calls
            # progress counts the paragraphs of the batches stored so far
            assert progress == list(itertools.accumulate(len(call) for call in calls))
            if batch_tokens is None:
                assert len(calls) == -(-report.candidates // 2)  # a call per read
            else:
                assert 1 < len(calls) < -(-report.candidates // 2)
                # at most batch_tokens, unless one paragraph alone has more; and never less
                # than would have fitted with the next call's first paragraph
                for call, after in itertools.pairwise(calls):
                    assert sum(call) <= batch_tokens or len(call) == 1
                    assert sum(call) + after[0] > batch_tokens
    assert made[None] == made[300]


def test_suggestions_are_stored_with_the_collector_relaxed(project: Project) -> None:
    """Storing runs with the collector's young pass every million allocations (``relaxed_gc``:
    its full passes walked the loaded tagger's millions of objects), and the thresholds are
    as they were once ``preannotate`` returns, also when it fails."""
    import gc

    from layerkit.gc_pause import relaxed_gc

    class Watched(RulesWrapper):
        def __init__(self, fail: bool) -> None:
            super().__init__()
            self.fail = fail
            self.thresholds: list[int] = []

        def annotate(self, paragraphs):  # type: ignore[no-untyped-def]
            self.thresholds.append(gc.get_threshold()[0])
            if self.fail:
                raise RuntimeError("model crashed")
            return self.inner.annotate(paragraphs)

    before = gc.get_threshold()
    with relaxed_gc():
        assert gc.get_threshold() == (1_000_000, *before[1:])
    assert gc.get_threshold() == before
    with project.open_store(create=True) as store:
        import_paths(project, store, [SAMPLE / "science.txt"])
        watched = Watched(fail=False)
        report = preannotate(project, store, watched, batch_size=1)
        assert report.filled == report.candidates > 1
        assert watched.thresholds == [1_000_000] * report.candidates
        assert gc.get_threshold() == before
        failing = Watched(fail=True)
        with pytest.raises(RuntimeError, match="model crashed"):
            preannotate(project, store, failing, redo=True)
        assert failing.thresholds == [1_000_000]
        assert gc.get_threshold() == before
