"""`grade watch`: which modules a save re-grades, and the loop itself (polling mode)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from grader.watch import modules_to_regrade


def test_saving_a_module_regrades_that_module() -> None:
    changed = [Path("/x/phase5/adder.py")]
    assert modules_to_regrade(changed, ["adder", "other"]) == ["adder"]


def test_saving_a_shared_file_regrades_every_selected_module() -> None:
    changed = [Path("/x/phase5/_helpers.py")]
    assert modules_to_regrade(changed, ["adder", "other"]) == ["adder", "other"]


def test_non_python_files_are_ignored() -> None:
    assert modules_to_regrade([Path("/x/phase5/notes.txt")], ["adder"]) == []


def test_watch_regrades_after_a_save(toy) -> None:
    env = dict(os.environ, TTI_ROOT=str(toy.root))
    proc = subprocess.Popen([sys.executable, "-m", "grader.cli", "watch", "phase-5", "adder",
                             "--poll"], cwd=toy.root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        lines: list[str] = []

        def wait_for(text: str, count: int) -> None:
            deadline = time.monotonic() + 60
            while sum(text in line for line in lines) < count:
                assert time.monotonic() < deadline, "".join(lines)
                lines.append(proc.stdout.readline())

        wait_for("Watching", 1)
        assert any("not started" in line for line in lines)
        time.sleep(0.5)
        toy.write("phases/phase5/phase5/adder.py",
                  (toy.root / "solutions/phase5/phase5/adder.py").read_text())
        wait_for("✔ passed", 1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
