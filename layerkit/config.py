"""Project settings: an optional ``layerkit.toml`` beside the database.

```toml
schemas = ["my_schemas/"]      # extra layer schema files or folders, relative to this file
annotator = "anna"             # default annotator name
```
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from layerkit.errors import UsageError

DEFAULT_DB = "layerkit.db"
CONFIG_NAME = "layerkit.toml"


@dataclass(frozen=True)
class ProjectConfig:
    path: Path | None = None
    schemas: tuple[Path, ...] = ()
    annotator: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


def resolve_db(db: str | None) -> str:
    return db or os.environ.get("LAYERKIT_DB") or DEFAULT_DB


def load_config(db: str) -> ProjectConfig:
    if "://" in db:
        return ProjectConfig()
    path = Path(db).expanduser().resolve().parent / CONFIG_NAME
    if not path.is_file():
        return ProjectConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read project settings: {exc}") from exc
    schemas = data.pop("schemas", [])
    annotator = data.pop("annotator", None)
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise UsageError(
            f"{path}: 'schemas' must be a list of paths.",
            hint='Write it as schemas = ["schemas/mine.yaml"] (TOML: a list of strings).',
        )
    return ProjectConfig(
        path=path,
        schemas=tuple(path.parent / s for s in schemas),
        annotator=annotator if isinstance(annotator, str) else None,
        extra=data,
    )
