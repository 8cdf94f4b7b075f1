"""JSON that every reader parses: a number with no value (NaN, an infinity) is ``null``.

Python's ``json`` writes ``NaN`` and ``Infinity``, which are not JSON: jq, JavaScript and most
parsers refuse the whole file. An agreement measure that is undefined, a loss that diverged,
a learning rate given as ``inf`` are written as ``null`` instead.
"""

from __future__ import annotations

import json
import math
from typing import Any


def finite(value: Any) -> Any:
    """``value`` with every non-finite float (in dicts, lists and tuples) made None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def dumps(value: Any, *, indent: int | None = 2) -> str:
    """``value`` as JSON text (UTF-8 characters as they are), non-finite numbers as null."""
    return json.dumps(finite(value), ensure_ascii=False, indent=indent, allow_nan=False)
