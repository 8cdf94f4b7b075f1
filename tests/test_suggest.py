"""Suggestions of the higher layers from a training run (``layerkit preannotate --checkpoint``).

A tiny run trained for a few steps on the sample corpus answers badly, so what it generates
is mostly unusable: these tests check that every eligible paragraph is either suggested or
counted invalid with its reason, that nothing is stored half, that people's work is never
touched, that the prompt is the curriculum's own, and that usable answers (a test plugin
answering with the gold) are stored with their relations and confidences.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from test_train_support import one_thread  # noqa: F401

from layerkit.cli import main
from layerkit.curriculum.build import collect_tasks
from layerkit.drafts import AnnotationDraft
from layerkit.model import Paragraph
from layerkit.plugin.types import InvalidSuggestion
from layerkit.preannotate import preannotate
from layerkit.project import Project

TINY = [
    "--base-model", "tiny", "--tiny-hidden-size", "32", "--tiny-heads", "2", "--lora-r", "4",
    "--lora-alpha", "8", "--batch-size", "2", "--eval-generate", "0", "--max-new-tokens", "16",
    "--max-seq-length", "4096", "--max-steps", "2",
]  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus (gold paragraphs and the pre-annotated news), its curriculum and a
    tiny run of the lexical and semantic stages."""
    work = tmp_path_factory.mktemp("suggest")
    db = str(work / "sample.db")
    assert main(["--db", db, "init"]) == 0
    assert main(["--db", db, "import", str(REPO / "sample_corpus")]) == 0
    assert main(["--db", db, "preannotate"]) == 0
    cur = str(work / "cur")
    assert main(["--db", db, "export", "sft", "-o", cur, "--stages", "lexical,semantic"]) == 0
    assert main(["train", cur, "-o", str(work / "run"), *TINY]) == 0
    return work


def _cli(work: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--db", str(work / "sample.db"), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _semantic_rows(work: Path) -> dict[int, list[tuple[Any, ...]]]:
    project = Project.load(str(work / "sample.db"))
    with project.open_store() as store:
        ids = [p.id for p in store.iter_paragraphs()]
        return {
            pid: sorted(
                (a.id, a.label, a.start, a.end, a.origin, a.version)
                for a in store.annotations(pid, "semantic")
            )
            for pid in ids
            if pid is not None
        }


def test_every_eligible_paragraph_is_suggested_or_counted_invalid(
    trained: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _semantic_rows(trained)
    people = {pid: rows for pid, rows in before.items() if rows}
    empty = [pid for pid, rows in before.items() if not rows]
    assert people and empty

    args = ["preannotate", "--layer", "semantic", "--checkpoint", str(trained / "run")]
    # the news paragraphs' lexical layer is the model's, not done: not context a run trusts
    code, out, err = _cli(trained, capsys, *args, "--json")
    assert code == 0, err
    (report,) = json.loads(out)["layers"]
    assert report["candidates"] == len(empty) and report["not_ready"] == len(empty)
    assert report["eligible"] == report["suggested"] == 0

    code, out, err = _cli(
        trained, capsys, *args, "--allow-draft-context", "--max-new-tokens", "24", "--json"
    )
    assert code == 0, err
    (report,) = json.loads(out)["layers"]
    assert (
        report["model"].startswith("model:run@") and len(report["model"]) == len("model:run@") + 12
    )
    assert report["eligible"] == len(empty)
    assert report["suggested"] + report["invalid"] == report["eligible"]
    assert len(report["invalid_paragraphs"]) == report["invalid"]
    assert all(item["reason"] for item in report["invalid_paragraphs"])

    after = _semantic_rows(trained)
    assert {pid: after[pid] for pid in people} == people  # people's work untouched
    invalid = {item["paragraph"] for item in report["invalid_paragraphs"]}
    assert all(after[pid] == [] for pid in invalid)  # nothing of an unusable answer stored
    suggested = [pid for pid in empty if after[pid]]
    # a valid answer may suggest nothing ({"predicates": []}): filled, with no rows
    assert len(suggested) == report["suggested"] - report["empty"]
    assert all(row[4] == report["model"] for pid in suggested for row in after[pid])


def test_the_prompt_is_the_curriculums_own(trained: Path) -> None:
    from layerkit_train.suggesting import build_messages, stage_prompt

    project = Project.load(str(trained / "sample.db"))
    _, tasks = collect_tasks(project.pm, project.schemas)
    stage = trained / "run" / "stages" / "02-semantic"
    wording = stage_prompt(stage, "semantic")
    compared = 0
    for path in sorted((trained / "cur").glob("02-semantic.*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            meta = record["meta"]
            if meta["context_forms"] != wording.context_forms:
                continue
            with project.open_store() as store:
                (paragraph,) = store.read_paragraphs([meta["paragraph_id"]], layers=["lexical"])
            assert build_messages(paragraph, wording, tasks) == record["messages"][:-1]
            compared += 1
    assert compared >= 5


def test_a_run_refuses_what_it_cannot_suggest(
    trained: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = str(trained / "run")
    code, _, err = _cli(trained, capsys, "preannotate", "--layer", "logical", "--checkpoint", run)
    assert code == 2 and "no finished stage 'logical'" in err
    code, _, err = _cli(trained, capsys, "preannotate", "--layer", "lexical", "--checkpoint", run)
    assert code == 2 and "nothing suggests the lexical layer" in err
    code, _, err = _cli(
        trained, capsys, "preannotate", "--layer", "semantic", "--checkpoint", str(trained / "cur")
    )
    assert code == 2 and "not a training run" in err
    code, _, err = _cli(trained, capsys, "preannotate", "--layer", "semantic")
    assert code == 2 and "--checkpoint" in err  # several fill it, or the run needs one
    code, out, err = _cli(
        trained, capsys, "preannotate", "--layer", "all", "--checkpoint", run, "--json"
    )
    assert code == 0, err
    assert [r["layer"] for r in json.loads(out)["layers"]] == ["semantic"]


class GoldAnswers:
    """A test pre-annotator answering each paragraph with the semantic gold of a paragraph
    of the sample (read back through the task, as a run's answer is), or an unusable answer."""

    name = "gold-answers"
    version = "1"
    layer = "semantic"
    description = "test"

    def __init__(self, task: Any, answers: dict[str, Any]) -> None:
        self.task, self.answers = task, answers

    def annotate(
        self, paragraphs: Sequence[Paragraph]
    ) -> list[list[AnnotationDraft] | InvalidSuggestion]:
        out: list[list[AnnotationDraft] | InvalidSuggestion] = []
        for p in paragraphs:
            data = self.answers.get(p.sha256)
            if data is None:
                out.append(InvalidSuggestion("no answer", "{"))
            else:
                out.append(self.task.read_answer(data, p))
        return out


def test_usable_answers_are_stored_with_their_relations(tmp_path: Path) -> None:
    project = Project.load(str(tmp_path / "lk.db"))
    with project.open_store(create=True) as store:
        from layerkit.ingest import import_paths

        import_paths(project, store, [REPO / "sample_corpus" / "annotated.jsonl"])
        _, tasks = collect_tasks(project.pm, project.schemas)
        task = tasks["semantic"]
        gold = store.read_paragraphs([p.id for p in store.iter_paragraphs() if p.id is not None])
        answers = {p.sha256: task.data(p) for p in gold[:3]}
        expected = {p.id: len(p.layer("semantic")) for p in gold[:3]}
        # the gold of three paragraphs taken away: as if nobody had annotated them yet
        for p in gold:
            for a in p.layer("semantic"):
                if p.id in expected and a.kind == "span":
                    store.delete_annotation(a.id, annotator="lead")
        report = preannotate(project, store, GoldAnswers(task, answers), limit=5)
        assert report.eligible == report.candidates == 3
        assert (report.filled, len(report.invalid)) == (3, 0)
        for pid, count in expected.items():
            stored = store.annotations(pid, "semantic")
            assert len(stored) == count
            assert all(a.origin == "model:gold-answers@1" for a in stored)
            relations = [a for a in stored if a.kind == "relation"]
            spans = {a.id for a in stored if a.kind == "span"}
            assert relations and all({a.source_id, a.target_id} <= spans for a in relations)


def test_a_merged_model_folder_suggests_like_its_run(
    trained: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from layerkit_train.suggesting import default_prompt, stage_prompt

    merged = trained / "merged"
    if not merged.exists():
        assert main(["merge", str(trained / "run"), "-o", str(merged), "--stage", "semantic"]) == 0
    project = Project.load(str(trained / "sample.db"))
    _, tasks = collect_tasks(project.pm, project.schemas)
    run_stage = trained / "run" / "stages" / "02-semantic"
    assert default_prompt(merged, "semantic", tasks) == stage_prompt(run_stage, "semantic")
    code, out, err = _cli(
        trained, capsys, "preannotate", "--layer", "semantic", "--checkpoint", str(merged),
        "--allow-draft-context", "--limit", "2", "--max-new-tokens", "8", "--redo", "--json",
    )  # fmt: skip
    assert code == 0, err
    (report,) = json.loads(out)["layers"]
    assert report["model"].startswith("model:merged@")
    assert report["suggested"] + report["invalid"] == report["eligible"] == 2
    # a folder whose tokenizer has no chat template cannot be asked chat questions
    plain = trained / "plain"
    if not plain.exists():
        shutil.copytree(trained / "run" / "base", plain)
        (plain / "chat_template.jinja").unlink(missing_ok=True)
        config = json.loads((plain / "tokenizer_config.json").read_text(encoding="utf-8"))
        config.pop("chat_template", None)
        (plain / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    code, _, err = _cli(
        trained, capsys, "preannotate", "--layer", "semantic", "--checkpoint", str(plain),
        "--allow-draft-context", "--limit", "1",
    )  # fmt: skip
    assert code == 2 and "no chat template" in err


def test_each_unit_gets_the_confidence_of_the_line_that_stated_it(trained: Path) -> None:
    """Answers are one object per line: a unit on a line the model was unsure of gets that
    line's low confidence, the others the confidence of their own lines."""
    from layerkit_train.suggesting import unit_confidences

    from layerkit.curriculum.answers import format_answer

    project = Project.load(str(trained / "sample.db"))
    _, tasks = collect_tasks(project.pm, project.schemas)
    task = tasks["logical"]
    with project.open_store() as store:
        paragraph = next(p for p in store.iter_paragraph_bundles() if p.layer("logical"))
    answer = format_answer("json", task.data(paragraph))
    lines = answer.split("\n")
    doubtful = next(i for i, line in enumerate(lines) if '"type": "PREMISE"' in line)
    # one token per character; the doubtful line's characters at 0.2, the rest at 0.9
    probabilities, at = [], 0
    for i, line in enumerate(lines):
        probabilities += [0.2 if i == doubtful else 0.9] * (len(line) + 1)
        at += len(line) + 1
    ends = list(range(1, len(probabilities) + 1))
    drafts = task.read_answer(task.data(paragraph), paragraph)
    unit_confidences(drafts, paragraph.text, answer, ends, probabilities[: len(ends)])
    units = [d for d in drafts if d.kind == "span"]
    low = [d for d in units if d.confidence == pytest.approx(0.2, rel=0.05)]
    assert len(low) == 1 and low[0].label == "PREMISE"
    assert all(d.confidence == pytest.approx(0.9, rel=0.05) for d in units if d is not low[0])
    relations = [d for d in drafts if d.kind == "relation"]
    # each relation is a line of its own, and none is on the doubtful line
    assert relations and all(d.confidence == pytest.approx(0.9, rel=0.05) for d in relations)


def test_a_run_whose_base_model_was_replaced_is_refused_clearly(
    trained: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from layerkit.train.tiny import build_tiny_base

    moved = trained / "run-other-base"
    if not moved.exists():
        shutil.copytree(trained / "run", moved, ignore=shutil.ignore_patterns("base"))
        other = build_tiny_base(
            ["Кот спал на окне."] * 20, moved / "base", vocab_size=300, hidden_size=48,
            layers=1, heads=2, max_positions=4096, seed=3,
        )  # fmt: skip
        assert main(["repoint", str(moved), "--base-model", str(other)]) == 0
    code, _, err = _cli(
        trained, capsys, "preannotate", "--layer", "semantic", "--checkpoint", str(moved),
        "--allow-draft-context", "--limit", "1",
    )  # fmt: skip
    assert code == 2, err
    assert "does not fit the base model" in err and "layerkit repoint" in err
    assert "Traceback" not in err


def test_a_job_too_slow_for_this_machine_is_announced_before_it_starts(
    trained: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import layerkit_train.suggesting as suggesting

    args = ["preannotate", "--layer", "semantic", "--checkpoint", str(trained / "run"), "--json"]
    code, out, err = _cli(trained, capsys, *args, "--limit", "1")
    assert code == 0, err
    assert json.loads(out)["layers"][0]["warnings"] == []  # a tiny model is quick
    monkeypatch.setattr(suggesting, "SLOW_JOB_SECONDS", 0.0)  # as if this machine were slow
    code, out, err = _cli(trained, capsys, *args, "--limit", "1")
    assert code == 0, err
    (warning,) = json.loads(out)["layers"][0]["warnings"]
    assert "would take up to about" in warning and "--limit" in warning
    assert "warning: 1 paragraph(s)" in err


def test_constrained_answers_fail_only_by_running_out_of_tokens(
    trained: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under each paragraph's answer grammar (the default), an answer cannot be malformed,
    quote what the paragraph lacks or use a label the schema lacks: the only way to fail is
    not to finish within --max-new-tokens. Unconstrained, the same model writes unusable
    answers."""
    args = [
        "preannotate", "--layer", "semantic", "--checkpoint", str(trained / "run"),
        "--allow-draft-context", "--limit", "4", "--max-new-tokens", "48", "--redo", "--json",
    ]  # fmt: skip
    code, out, err = _cli(trained, capsys, *args)
    assert code == 0, err
    (report,) = json.loads(out)["layers"]
    assert report["eligible"] == 4
    reasons = [item["reason"] for item in report["invalid_paragraphs"]]
    assert all(r.startswith("the answer did not end") for r in reasons), reasons
    code, out, err = _cli(trained, capsys, *args, "--no-constrain")
    assert code == 0, err
    (free,) = json.loads(out)["layers"]
    assert free["suggested"] == 0 and free["invalid"] == 4
