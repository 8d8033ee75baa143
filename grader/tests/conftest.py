"""A tiny repository for the grader's own tests: phase 5, "Toy", with two modules.

Each module exposes `add(a, b)`; the stub raises NotImplementedError, the solution adds.
Tests write other versions of a module (hanging, crashing, broken) into a `--from` copy or
into the learner's stubs, and run the real `grade` command on it in a child process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

MANIFEST = """\
[phase]
number = 5
title = "Toy"

[[modules]]
name = "adder"
title = "Adding"
covers = ["T.add"]
hints = ["Think of +.", "Return a + b."]

[[modules]]
name = "other"
title = "Adding again"
covers = ["T.other"]
"""

STUB = '''def add(a: int, b: int) -> int:
    """Return a + b."""
    raise NotImplementedError("phase5.{name}.add")
'''

SOLUTION = '''def add(a: int, b: int) -> int:
    """Return a + b."""
    return a + b
'''

PUBLIC_TEST = """from phase5.{name} import add


def test_adds_small_numbers():
    assert add(1, 2) == 3, "add(1, 2) should be 3"
"""

HIDDEN_TEST = """from phase5.{name} import add


def test_adds_large_numbers():
    assert add(10**6, 1) == 10**6 + 1, "add(10**6, 1) should be 1000001"


def test_adds_negative_numbers():
    assert add(-4, 4) == 0, "add(-4, 4) should be 0"
"""


@dataclass
class ToyRepo:
    root: Path

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def submission(self, **modules: str) -> Path:
        """A `--from` folder laid out like phases/: the solutions, with some modules replaced."""
        sub = self.root.parent / "submission"
        shutil.copytree(self.root / "solutions", sub)
        for name, text in modules.items():
            (sub / "phase5" / "phase5" / f"{name}.py").write_text(text)
        return sub

    def grade(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return run_grade(self.root, *args, timeout=timeout)

    def grade_json(self, *args: str) -> tuple[int, dict]:
        proc = self.grade(*args, "--json")
        return proc.returncode, json.loads(proc.stdout)

    @staticmethod
    def module_entry(doc: dict, name: str) -> dict:
        """One module's entry in a --json document of a single phase."""
        (phase,) = doc["phases"]
        return next(m for m in phase["modules"] if m["module"] == name)

    def progress(self) -> dict:
        return json.loads((self.root / ".tti" / "progress.json").read_text())


def make_toy_repo(root: Path) -> ToyRepo:
    repo = ToyRepo(root)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / "grader").mkdir()
    repo.write("phases/phase5/phase.toml", MANIFEST)
    for pkg in ("phases/phase5/phase5", "solutions/phase5/phase5"):
        repo.write(f"{pkg}/__init__.py", "")
    for name in ("adder", "other"):
        repo.write(f"phases/phase5/phase5/{name}.py", STUB.format(name=name))
        repo.write(f"solutions/phase5/phase5/{name}.py", SOLUTION)
        repo.write(f"phases/phase5/tests/test_{name}.py", PUBLIC_TEST.format(name=name))
        repo.write(f"phases/phase5/tests/hidden/test_{name}.py", HIDDEN_TEST.format(name=name))
    return repo


def run_grade(root: Path, *args: str, answer: str = "",
              timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run `grade ARGS` in a child process on the repository at `root` (its own grader)."""
    env = dict(os.environ, TTI_ROOT=str(root), COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=root, env=env,
                          input=answer, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def grade():
    """`grade(root, *args, answer="")`: run the grade command on a repository."""
    return run_grade


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A fresh git clone of this repository (its committed state)."""
    if not (REPO / ".git").exists():
        pytest.skip("this checkout is not a git repository")
    dest = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(dest)], check=True)
    return dest


@pytest.fixture
def toy(tmp_path: Path) -> ToyRepo:
    root = tmp_path / "repo"
    root.mkdir()
    return make_toy_repo(root)
