"""The curriculum's file formats as models: the contract between ``layerkit export`` and
``layerkit train`` (and any trainer), checked by the same code on both sides.

``manifest.json`` is :class:`Manifest`; a line of an SFT stage file is :class:`SftRecord`, of a
DPO file :class:`PreferenceRecord`. The models hold what readers rely on and let the rest
through (``extra="allow"``), so a manifest written by a newer layerkit with more keys still
reads, and one missing what a trainer needs is refused with the key's path. pydantic only, no
other layerkit module: the trainer imports this and nothing else of the curriculum.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

FORMAT = "layerkit-curriculum"
FORMAT_VERSION = 1
SPLITS = ("train", "validation", "test")

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "SPLITS",
    "Manifest",
    "ManifestFile",
    "ManifestStage",
    "ManifestTask",
    "Message",
    "PreferenceRecord",
    "SftRecord",
    "ValidationError",
    "problem",
]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ManifestFile(_Open):
    """One split's file of a stage: its path (relative to the folder), records and hash."""

    path: str
    records: int = -1  # -1: not stated (a hand-made curriculum)
    sha256: str = ""
    bytes: int | None = None


class ManifestTask(_Open):
    name: str
    answer_format: Literal["token_table", "json", "text"] = "text"
    context: bool = False
    description: str = ""
    records: int | None = None


class ManifestStage(_Open):
    name: str
    layer: str
    index: int | None = None
    context_layers: list[str] = Field(default_factory=list)
    tasks: list[ManifestTask] = Field(default_factory=list)
    files: dict[str, ManifestFile]

    @model_validator(mode="after")
    def _every_split(self) -> ManifestStage:
        missing = [s for s in SPLITS if s not in self.files]
        if missing:
            raise ValueError(f"stage {self.name} lists no {', '.join(missing)} file")
        return self


class Manifest(_Open):
    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    kind: Literal["sft", "dpo"] = "sft"
    layerkit_version: str | None = None
    stage_order: list[str] | None = None
    stages: list[ManifestStage]

    def ordered_stages(self) -> list[ManifestStage]:
        """The stages in ``stage_order`` (the training order), or as listed without one."""
        if self.stage_order is None:
            return list(self.stages)
        by_name = {s.name: s for s in self.stages}
        missing = [name for name in self.stage_order if name not in by_name]
        if missing:
            raise ValueError(
                f"stage_order names {', '.join(missing)}, which the stages do not describe"
            )
        return [by_name[name] for name in self.stage_order]


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class SftRecord(_Open):
    """A chat record: prompt messages, then the assistant's answer (what SFTTrainer reads)."""

    messages: list[Message]
    meta: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ends_with_the_answer(self) -> SftRecord:
        if len(self.messages) < 2 or self.messages[-1].role != "assistant":
            raise ValueError(
                "a record must end with the assistant's answer after at least one prompt message"
            )
        return self


class PreferenceRecord(_Open):
    """A preference pair in TRL's conversational form: a prompt, a chosen and a rejected
    answer."""

    prompt: list[Message] = Field(min_length=1)
    chosen: list[Message] = Field(min_length=1)
    rejected: list[Message] = Field(min_length=1)
    meta: dict[str, Any] = Field(default_factory=dict)


def problem(error: ValidationError) -> str:
    """A validation error in one sentence: where (``stages.2.files``) and what."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
