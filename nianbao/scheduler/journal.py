"""The schedule's journal: one JSON line per job run in ``<data>/schedule-log.jsonl``.

It records what ran, when, and how it ended (ok, failed, skipped,
interrupted), so a failed night is visible the next morning, and it is what
the scheduler reads on start to catch up a run missed while it was down.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class Outcome:
    job: str
    status: str  # ok | failed | skipped | interrupted
    started: str
    finished: str
    detail: str = ""
    data: dict[str, Any] | None = None


class Journal:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def record(self, outcome: Outcome) -> Outcome:
        line = json.dumps(asdict(outcome), ensure_ascii=False, sort_keys=True)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        return outcome

    def entries(self) -> list[Outcome]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(Outcome(**json.loads(line)))
            except (ValueError, TypeError):
                continue  # a line cut short by a crash
        return out

    def last_run(self, job: str) -> Outcome | None:
        """The last time ``job`` actually ran (ok or failed), not counting skips."""
        runs = [o for o in self.entries() if o.job == job and o.status in ("ok", "failed", "interrupted")]
        return runs[-1] if runs else None
