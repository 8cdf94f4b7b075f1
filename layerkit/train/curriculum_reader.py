"""Reading a curriculum directory: the only way the trainer sees the data.

The trainer reads files, never the store, so a curriculum exported on a laptop trains on any
machine. The contract is the manifest written by ``layerkit export sft`` (format
``layerkit-curriculum``), read through the same models the exporter checks it with
(:mod:`layerkit.curriculum.formats`): ``stage_order``, and per stage its ``name``, ``layer``,
``tasks`` (with ``answer_format``) and ``files`` (per split: ``path``, ``records``, ``sha256``). Every file is
checked against its sha256 and record count before training, so a curriculum edited or cut short
after export is refused instead of silently trained on. No torch here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from layerkit.curriculum.formats import (
    FORMAT,
    SPLITS,
    Manifest,
    ManifestStage,
    SftRecord,
    ValidationError,
    problem,
)
from layerkit.train.errors import CurriculumError

SUPPORTED_FORMAT_VERSIONS = (1,)
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class StageFile:
    split: str
    path: Path
    records: int
    sha256: str


@dataclass(frozen=True)
class Stage:
    """One stage of the curriculum, in the manifest's order."""

    name: str
    layer: str
    position: int
    tasks: dict[str, str]
    context_task: str | None
    files: dict[str, StageFile] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        """The stage's folder name under ``stages/``: its position and layer (``01-lexical``)."""
        return f"{self.position:02d}-{self.layer}"


@dataclass(frozen=True)
class Curriculum:
    root: Path
    manifest: dict[str, Any]
    manifest_sha256: str
    stages: list[Stage]

    @classmethod
    def open(cls, root: Path) -> Curriculum:
        """Read and check the manifest and every stage file's size and hash."""
        path = root / MANIFEST
        if not root.is_dir():
            raise CurriculumError(
                "no such curriculum folder.",
                path=root,
                hint="Export one with `layerkit export sft -o DIR`.",
            )
        if not path.is_file():
            raise CurriculumError(
                "this folder has no manifest.json, so it is not a curriculum.",
                path=root,
                hint="Export one with `layerkit export sft -o DIR`.",
            )
        raw = path.read_bytes()
        try:
            loose = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CurriculumError(
                f"not valid JSON: {exc.msg}.", path=path, line=exc.lineno
            ) from None
        _check_format(loose, path)
        try:
            manifest = Manifest.model_validate(loose)
            entries = manifest.ordered_stages()
        except ValidationError as exc:
            raise CurriculumError(
                f"the manifest is not valid: {problem(exc)}.", path=path
            ) from None
        except ValueError as exc:
            raise CurriculumError(f"the manifest is not valid: {exc}.", path=path) from None
        stages = [_stage(entry, root) for entry in entries]
        if not stages:
            raise CurriculumError("the manifest lists no stages.", path=path)
        curriculum = cls(root, loose, hashlib.sha256(raw).hexdigest(), stages)
        for stage in stages:
            for file in stage.files.values():
                _verify(file)
        return curriculum

    def records(self, stage: Stage, split: str) -> list[dict[str, Any]]:
        """The stage's records of ``split``, each checked to be a chat ending with the answer."""
        file = stage.files[split]
        out = []
        with file.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CurriculumError(
                        f"not valid JSON at column {exc.colno}: {exc.msg}.",
                        path=file.path,
                        line=number,
                    ) from None
                _check_record(record, file.path, number)
                record.setdefault("meta", {})
                record["meta"].setdefault("stage", stage.name)
                record["meta"].setdefault("layer", stage.layer)
                record["meta"].setdefault(
                    "answer_format", stage.tasks.get(record["meta"].get("task", ""), "text")
                )
                out.append(record)
        return out

    def stage(self, key: str) -> Stage:
        """A stage by name (``01-lexical``) or layer (``lexical``)."""
        for stage in self.stages:
            if key in (stage.name, stage.layer, stage.slug):
                return stage
        raise CurriculumError(
            f"no stage {key!r} in this curriculum.",
            path=self.root,
            hint=f"Stages: {', '.join(s.name for s in self.stages)}.",
        )


def _check_format(manifest: Any, path: Path) -> None:
    if not isinstance(manifest, dict):
        raise CurriculumError("the manifest is not a JSON object.", path=path)
    fmt = manifest.get("format", FORMAT)
    version = manifest.get("format_version", 1)
    if fmt != FORMAT:
        raise CurriculumError(
            f"format {fmt!r} is not a layerkit curriculum.",
            path=path,
            hint="Export one with `layerkit export sft -o DIR`.",
        )
    if version not in SUPPORTED_FORMAT_VERSIONS:
        raise CurriculumError(
            f"curriculum format version {version!r} (written by layerkit "
            f"{manifest.get('layerkit_version', '?')}); this layerkit reads version "
            f"{', '.join(map(str, SUPPORTED_FORMAT_VERSIONS))}.",
            path=path,
            hint="Export the curriculum again with this layerkit, or train with the layerkit "
            "that wrote it.",
        )
    kind = manifest.get("kind", "sft")
    if kind != "sft":
        raise CurriculumError(
            f"this is a {kind!r} curriculum; `layerkit train` trains on SFT curricula.",
            path=path,
            hint="Export one with `layerkit export sft -o DIR`.",
        )


def _stage(entry: ManifestStage, root: Path) -> Stage:
    tasks: dict[str, str] = {task.name: task.answer_format for task in entry.tasks}
    context_task = next((task.name for task in entry.tasks if task.context), None)
    files = {
        split: StageFile(
            split=split,
            path=root / entry.files[split].path,
            records=entry.files[split].records,
            sha256=entry.files[split].sha256,
        )
        for split in SPLITS
    }
    return Stage(
        name=entry.name,
        layer=entry.layer,
        position=entry.index if entry.index is not None else _position(entry.name),
        tasks=tasks,
        context_task=context_task,
        files=files,
    )


def _position(name: str) -> int:
    head = name.split("-", 1)[0]
    return int(head) if head.isdigit() else 0


def _verify(file: StageFile) -> None:
    if not file.path.is_file():
        raise CurriculumError(
            "the manifest lists this file but it is missing.",
            path=file.path,
            hint="Copy the whole curriculum folder, or export it again.",
        )
    digest = hashlib.sha256()
    lines = 0
    with file.path.open("rb") as handle:
        for line in handle:
            digest.update(line)
            lines += 1
    if file.sha256 and digest.hexdigest() != file.sha256:
        raise CurriculumError(
            "the file changed after export (its sha256 differs from the manifest's).",
            path=file.path,
            hint="Export the curriculum again instead of editing its files.",
        )
    if file.records >= 0 and lines != file.records:
        raise CurriculumError(
            f"{lines} records, but the manifest says {file.records}.",
            path=file.path,
            hint="Export the curriculum again.",
        )


def _check_record(record: Any, path: Path, line: int) -> None:
    try:
        SftRecord.model_validate(record)
    except ValidationError as exc:
        raise CurriculumError(
            f"not a chat record ({problem(exc)}): every message needs a role (system, user or "
            "assistant) and a text content, and the last is the assistant's answer.",
            path=path,
            line=line,
        ) from None
