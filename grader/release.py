"""`grade release --out DIR`: a learner distribution with no answers in it.

What goes in: the root files, `grader/`, `shared/`, and every phase with its manifest, README,
stubs and public tests. What never does: `solutions/`, the hidden tests (`tests/hidden/`),
progress (`.tti/`), CI files. Each phase gets `tests/hidden_tests.json`, the number of hidden
tests per module, so that a learner's run can say "public tests only: 4 of 16 tests".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from grader.manifest import Phase, load_phases

ROOT_FILES = ("pyproject.toml", "noxfile.py", "README.md", ".gitignore")
HIDDEN_COUNTS = "hidden_tests.json"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "*.egg-info")


def count_hidden_tests(root: Path, phase: Phase) -> dict[str, int]:
    """Hidden tests per module, collected (not run) against the stubs."""
    hidden = phase.directory / "tests" / "hidden"
    files = sorted(str(p) for p in hidden.glob("test_*.py"))
    if not files:
        return {}
    env = dict(os.environ, PYTHONPATH=str(phase.directory))
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", *files,
                           "-p", "no:cacheprovider", "--import-mode=importlib",
                           "--rootdir", str(root), "-c", str(root / "pyproject.toml")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=600)
    counts: Counter[str] = Counter()
    for line in proc.stdout.splitlines():
        if "::" in line:
            stem = Path(line.split("::")[0]).stem
            counts[stem.removeprefix("test_")] += 1
    return dict(counts)


def copy_distribution(root: Path, out: Path, *, hidden_tests: bool) -> list[Phase]:
    """Copy what a course needs, never `solutions/`, into `out`; with or without hidden tests."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ROOT_FILES:
        if (root / name).is_file():
            shutil.copy2(root / name, out / name)
    for package in ("grader", "shared"):
        shutil.copytree(root / package, out / package, ignore=_IGNORE)
    phases = load_phases(root)
    for phase in phases:
        dest = out / "phases" / phase.directory.name
        skip = ("__pycache__", "*.pyc") if hidden_tests else ("hidden", "__pycache__", "*.pyc")
        shutil.copytree(phase.directory, dest, ignore=shutil.ignore_patterns(*skip))
        if not hidden_tests:
            counts = count_hidden_tests(root, phase)
            (dest / "tests" / HIDDEN_COUNTS).write_text(json.dumps(counts, indent=1,
                                                                   sort_keys=True))
    return phases


def make_release(root: Path, out: Path) -> list[Phase]:
    """Write the learner distribution to `out` (which must not exist, or be empty)."""
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; choose a new folder for the release.")
    if out.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"{out} is inside the repository; choose a folder outside it.")
    return copy_distribution(root, out, hidden_tests=False)
