"""What a training run tells the outside world while it runs.

The loop calls a :class:`Reporter`; the CLI's implementation draws rich progress bars, tests
record the calls, and the default does nothing. Keeping the loop free of printing is what lets
the same loop run under ``torchrun`` (where only rank 0 reports) and inside tests.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class StepLog:
    """One optimizer step. Token counts are over all processes; ``tokens`` excludes padding."""

    stage: str
    step: int
    steps: int
    global_step: int
    loss: float
    lr: float
    grad_norm: float
    records: int
    tokens: int
    supervised: int
    padding: int
    seconds: float

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Reporter:
    """Receives the run's events; every method is optional to override."""

    def note(self, text: str) -> None:
        """A line worth showing (data statistics, what resumed from where)."""

    def stage_start(self, stage: str, steps: int, done: int, tokens_per_step: float) -> None:
        """A stage begins (``done`` steps already made, when resuming)."""

    def step(self, log: StepLog) -> None:
        """An optimizer step finished."""

    def stage_end(self, stage: str, metrics: dict[str, Any]) -> None:
        """A stage finished training, saving and scoring."""

    def eval_start(self, what: str, total: int) -> None:
        """Scoring begins: ``total`` units (records) to go."""

    def eval_advance(self, n: int) -> None:
        """``n`` more units scored."""

    def eval_end(self) -> None:
        """Scoring finished."""
