"""The progress store: `.tti/progress.json` at the repository root (git-ignored).

It is a cache of the learner's last results per module (and of the hints they have seen);
the tests are the truth, and `grade phase-N` recomputes it. Writes are atomic (a temporary
file, then os.replace), so a crash never leaves half a file. A file that cannot be read is
reported, moved aside as `progress.json.corrupt`, and rebuilt empty.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

VERSION = 1


class ProgressStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "progress.json"
        self.warning: str | None = None  # set when a corrupt file was found and rebuilt
        self.data = self._load()

    def _empty(self) -> dict[str, Any]:
        return {"version": VERSION, "results": {}, "hints": {}}

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return self._empty()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("version") != VERSION:
                raise ValueError("unexpected layout or version")
            if not isinstance(data.get("results"), dict) or not isinstance(data.get("hints"),
                                                                            dict):
                raise ValueError("unexpected layout")
            return data
        except (OSError, ValueError) as e:
            backup = self.path.with_name("progress.json.corrupt")
            try:
                os.replace(self.path, backup)
            except OSError:
                pass
            self.warning = (f"The progress file {self.path} could not be read ({e}); it was "
                            f"moved to {backup.name} and progress is rebuilt from the next "
                            "grading run.")
            return self._empty()

    def save(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".progress-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(self.data, f, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # results -----------------------------------------------------------------
    def result(self, phase: str, module: str) -> dict[str, Any] | None:
        entry = self.data["results"].get(phase, {}).get(module)
        return entry if isinstance(entry, dict) else None

    def record(self, phase: str, module: str, entry: dict[str, Any]) -> None:
        entry = dict(entry, graded_at=time.strftime("%Y-%m-%dT%H:%M:%S"))
        self.data["results"].setdefault(phase, {})[module] = entry

    # hints -------------------------------------------------------------------
    def hints_seen(self, phase: str, module: str) -> int:
        value = self.data["hints"].get(f"{phase}/{module}", 0)
        return value if isinstance(value, int) else 0

    def see_hint(self, phase: str, module: str, count: int) -> None:
        self.data["hints"][f"{phase}/{module}"] = count
