"""`grade release` on the real repository: no answers reach the learner, and it works."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _bodies(path: Path) -> set[str]:
    """Every function body of a file with three statements or more (one-liners such as
    `return self.fc2(relu(self.fc1(x)))` restate a docstring's formula; they give nothing away)."""
    bodies = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = [s for s in node.body if not (isinstance(s, ast.Expr)
                                                  and isinstance(s.value, ast.Constant))]
            if len(body) >= 3:
                bodies.add(ast.dump(ast.Module(body=body, type_ignores=[])))
    return bodies


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "course"
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "release", "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_no_solution_and_no_hidden_test_reaches_the_release(release: Path) -> None:
    shipped = [p for p in release.rglob("*") if p.is_file()]
    shipped_digests = {_digest(p) for p in shipped}
    stubs = {_digest(p) for p in REPO.glob("phases/*/phase*/*.py")}
    solutions = [p for p in REPO.glob("solutions/*/phase*/*.py") if _digest(p) not in stubs]
    assert solutions, "expected reference solutions to compare against"
    assert not (release / "solutions").exists()
    leaked = [p for p in solutions if _digest(p) in shipped_digests]
    assert not leaked, f"solution files shipped: {leaked}"
    hidden = list(REPO.glob("phases/*/tests/hidden/test_*.py"))
    assert hidden and not list(release.glob("phases/*/tests/hidden"))
    assert not [p for p in hidden if _digest(p) in shipped_digests]
    # No function body of a solution appears in any shipped Python file, apart from code the
    # stubs give away on purpose (an __init__ that stores its arguments, a __repr__).
    given = set().union(*(_bodies(p) for p in REPO.glob("phases/*/phase*/*.py")))
    solution_bodies = set().union(*(_bodies(p) for p in solutions)) - given
    for path in release.rglob("*.py"):
        common = _bodies(path) & solution_bodies
        assert not common, f"{path} contains a solution's function body"


def test_release_counts_hidden_tests_and_keeps_public_ones(release: Path) -> None:
    counts = json.loads((release / "phases/phase0/tests/hidden_tests.json").read_text())
    assert counts["probability"] > 0
    assert (release / "phases/phase0/tests/test_probability.py").is_file()
    assert (release / "phases/phase0/phase0/probability.py").read_text() == \
        (REPO / "phases/phase0/phase0/probability.py").read_text()


def test_release_is_a_working_checkout(release: Path, tmp_path: Path) -> None:
    # It builds as a package ...
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "-q", "-w", str(tmp_path), str(release)],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    assert list(tmp_path.glob("tensor_to_intelligence-*.whl"))
    # ... and its own grader grades its stubs on the public tests, and says so.
    env = dict(os.environ, TTI_ROOT=str(release), COLUMNS="200")
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "phase-0", "probability"],
                          cwd=release, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    counts = json.loads((release / "phases/phase0/tests/hidden_tests.json").read_text())
    assert "public tests only" in proc.stdout
    assert f"+{counts['probability']} hidden" in proc.stdout
    doc = json.loads(subprocess.run(
        [sys.executable, "-m", "grader.cli", "phase-0", "probability", "--json"],
        cwd=release, env=env, capture_output=True, text=True, timeout=300).stdout)
    entry = doc["phases"][0]["modules"][0]
    assert entry["status"] == "not_started" and entry["public_only"] is True
    assert entry["hidden_not_run"] == counts["probability"]


def test_public_only_pass_is_never_called_all_passed(release: Path) -> None:
    module = release / "phases/phase0/phase0/probability.py"
    module.write_text((REPO / "solutions/phase0/phase0/probability.py").read_text())
    env = dict(os.environ, TTI_ROOT=str(release), COLUMNS="200")
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "phase-0", "probability"],
                          cwd=release, env=env, capture_output=True, text=True, timeout=300)
    assert "passed (public tests only)" in proc.stdout
    assert "All 1 modules passed" not in proc.stdout
    assert "0 of 1 modules passed; 1 more pass their public tests" in proc.stdout
    dashboard = subprocess.run([sys.executable, "-m", "grader.cli"], cwd=release, env=env,
                               capture_output=True, text=True, timeout=60).stdout
    assert "public tests only" in dashboard


def test_release_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x")
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "release", "--out", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "not empty" in proc.stderr


def test_solutions_and_reference_pictures_are_refused_in_a_release(release: Path) -> None:
    env = dict(os.environ, TTI_ROOT=str(release), COLUMNS="200")
    for args in (["phase-0", "probability", "--solutions"],
                 ["experiment", "phase-0", "probability", "--solutions"]):
        proc = subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=release, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2 and "no solutions/ folder" in proc.stderr, (
            args, proc.returncode, proc.stderr)
