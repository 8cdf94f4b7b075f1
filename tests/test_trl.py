"""The default curriculum in a trainer nobody here wrote: TRL's SFTTrainer at max_length=2048.

Before compact context and the token budget, TRL dropped every pragmatic record of the sample
corpus at 2048 (then crashed on an empty dataset) and silently cut answers of the epistemic and
logical stages. Here every stage of the default export trains, whole: each record's length
under the trainer's own tokenization (the chat template applied) is at most 2048, so nothing is
truncated or dropped. The tokenizer is the worst case we know for Russian: a 2k byte-level BPE
trained on the curriculum itself (layerkit's tiny base model).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from conftest import REPO

from layerkit.ingest import import_paths
from layerkit.project import Project
from layerkit.train.tiny import build_tiny_base

MAX_LENGTH = 2048


def _export(tmp_path: Path, name: str, **options: Any) -> tuple[Path, dict[str, Any]]:
    db = tmp_path / "lk.db"
    fresh = not db.exists()
    project = Project.load(str(db), ())
    with project.open_store(create=fresh) as store:
        if fresh:
            import_paths(project, store, [REPO / "sample_corpus" / "annotated.jsonl"])
        project.export("sft", store, tmp_path / name, options)
    manifest = json.loads((tmp_path / name / "manifest.json").read_text(encoding="utf-8"))
    return tmp_path / name, manifest


def _messages(out: Path, manifest: dict[str, Any], stage: dict[str, Any]) -> list[list[dict]]:
    return [
        json.loads(line)["messages"]
        for info in stage["files"].values()
        for line in (out / info["path"]).read_text(encoding="utf-8").splitlines()
    ]


def _length(tokenizer: Any, messages: list[dict]) -> int:
    ids = tokenizer.apply_chat_template(messages, tokenize=True)
    return len(ids["input_ids"] if hasattr(ids, "keys") else ids)


def test_trl_sft_trainer_trains_every_stage_of_the_default_export_at_2048(
    tmp_path: Path,
) -> None:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    out, manifest = _export(tmp_path, "cur")
    assert manifest["max_tokens"] == MAX_LENGTH and manifest["context"] == "compact"
    texts = [
        m["content"]
        for stage in manifest["stages"]
        for conversation in _messages(out, manifest, stage)
        for m in conversation
    ]
    base = build_tiny_base(
        texts,
        tmp_path / "base",
        vocab_size=2048,
        hidden_size=32,
        layers=1,
        heads=2,
        max_positions=MAX_LENGTH,
        seed=0,
    )
    tokenizer = AutoTokenizer.from_pretrained(base)

    # The check could fail: the full context overflows this tokenizer at 2048.
    full_out, full = _export(tmp_path, "full", context="full", max_tokens=0)
    longest_full = max(
        _length(tokenizer, m) for stage in full["stages"] for m in _messages(full_out, full, stage)
    )
    assert longest_full > MAX_LENGTH

    model = AutoModelForCausalLM.from_pretrained(base)
    for stage in manifest["stages"]:
        conversations = _messages(out, manifest, stage)
        assert conversations, stage["name"]
        lengths = [_length(tokenizer, m) for m in conversations]
        assert max(lengths) <= MAX_LENGTH, (stage["name"], max(lengths))
        dataset = Dataset.from_list([{"messages": m} for m in conversations])
        trainer = SFTTrainer(
            model=model,
            args=SFTConfig(
                output_dir=str(tmp_path / "trl" / stage["name"]),
                max_length=MAX_LENGTH,
                max_steps=1,
                per_device_train_batch_size=2,
                report_to=[],
                use_cpu=True,
                save_strategy="no",
                logging_steps=1,
                dataset_num_proc=None,
                # loss on the answers only, found by the template's generation markers (the
                # tiny base's ChatML had none, and TRL refused it)
                assistant_only_loss=True,
            ),
            train_dataset=dataset,
            processing_class=tokenizer,
        )
        # TRL kept every record, each whole (its truncation at max_length cut nothing)
        tokenized = trainer.train_dataset
        assert len(tokenized) == len(conversations)
        assert sorted(len(ids) for ids in tokenized["input_ids"]) == sorted(lengths)
        # what TRL trains on is each record's answer and its end of turn, nothing else
        first = tokenized[0]
        answer = [t for t in first["labels"] if t != -100]  # (TRL folds its masks into labels)
        shown = tokenizer.decode(answer)
        assert shown in {m[-1]["content"] + "<|im_end|>" for m in conversations}, shown[:200]
        result = trainer.train()
        assert math.isfinite(result.training_loss) and result.training_loss > 0
