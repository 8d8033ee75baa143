"""Two learner commands: see the reference after passing, and start a module over.

- `grade solution phase-N MODULE` shows the reference only once the module has passed in the
  learner's stored progress, hidden tests included (rustlings' rule); before that it says
  what is left.
- `grade reset phase-N MODULE` puts the original stub back, keeping the learner's file under
  `.tti/backups/`. The original is the committed version of the stub with the most
  `raise NotImplementedError` left in it: a learner may have committed their work since.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import time
from pathlib import Path

from grader.manifest import Phase
from grader.paths import state_dir
from grader.progress import ProgressStore


class LearnerError(Exception):
    """The command cannot do what was asked; the message says why and what to do."""


def solution_file(root: Path, phase: Phase, module: str) -> Path:
    path = root / "solutions" / phase.package / phase.package / f"{module}.py"
    if not path.is_file():
        raise LearnerError("This copy of the course has no reference solutions (a learner "
                           "release); ask your instructor.")
    return path


def unlock_status(root: Path, phase: Phase, module: str) -> str | None:
    """None when the solution may be shown; otherwise what is left to do."""
    entry = ProgressStore(state_dir(root)).result(phase.key, module)
    if entry is None:
        return f"{module} has not been graded yet: run `grade {phase.key} {module}`."
    if entry.get("status") == "passed" and entry.get("hidden_ran", True):
        return None
    if entry.get("status") == "passed":
        return f"{module} passes its public tests only; the hidden tests have not run."
    return (f"{module} is {str(entry.get('status')).replace('_', ' ')} "
            f"({entry.get('passed', 0)}/{entry.get('total', 0)} tests passed). Finish it "
            "first; the solution unlocks when every test passes.")


def _count_not_implemented(source: str) -> int:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return -1
    return sum(1 for node in ast.walk(tree) if isinstance(node, ast.Raise)
               and "NotImplementedError" in ast.unparse(node))


def original_stub(root: Path, path: Path) -> str:
    """The committed version of a stub with the most NotImplementedError raises left in it."""
    relative = path.resolve().relative_to(root.resolve()).as_posix()
    log = subprocess.run(["git", "log", "--format=%H", "--", relative], cwd=root,
                         capture_output=True, text=True)
    if log.returncode != 0 or not log.stdout.strip():
        raise LearnerError(f"Cannot find the original of {relative}: it is not in a git "
                           "history here. Copy it from the course repository instead.")
    best, best_count = None, -1
    for sha in log.stdout.split():
        show = subprocess.run(["git", "show", f"{sha}:{relative}"], cwd=root,
                              capture_output=True, text=True)
        if show.returncode == 0 and (count := _count_not_implemented(show.stdout)) > best_count:
            best, best_count = show.stdout, count
    if best is None:
        raise LearnerError(f"Cannot read any committed version of {relative}.")
    return best


def reset_module(root: Path, phase: Phase, module: str) -> Path:
    """Restore the stub; return where the learner's file was backed up."""
    path = phase.directory / phase.package / f"{module}.py"
    stub = original_stub(root, path)
    backup_dir = state_dir(root) / "backups" / phase.key
    backup_dir.mkdir(parents=True, exist_ok=True)
    backup = backup_dir / f"{module}-{time.strftime('%Y%m%d-%H%M%S')}.py"
    if path.exists():
        shutil.copy2(path, backup)
    path.write_text(stub, encoding="utf-8")
    return backup
