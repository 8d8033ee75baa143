"""`grade solution` and `grade reset` on a clone of this repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    if not (REPO / ".git").exists():
        pytest.skip("this checkout is not a git repository")
    dest = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(dest)], check=True)
    return dest


def _grade(root: Path, *args: str, answer: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TTI_ROOT=str(root), COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=root, env=env,
                          input=answer, capture_output=True, text=True, timeout=300)


def test_solution_unlocks_only_after_passing(clone: Path) -> None:
    reference = (clone / "solutions/phase0/phase0/calculus.py").read_text()
    marker = "def numerical_gradient"
    locked = _grade(clone, "solution", "phase-0", "calculus")
    assert locked.returncode == 1 and "has not been graded yet" in locked.stdout
    _grade(clone, "phase-0", "calculus")
    still = _grade(clone, "solution", "phase-0", "calculus")
    assert "not started (0/" in still.stdout and marker not in still.stdout
    declined = _grade(clone, "solution", "phase-0", "calculus", "--force", answer="n\n")
    assert declined.returncode == 1 and marker not in declined.stdout
    forced = _grade(clone, "solution", "phase-0", "calculus", "--force", answer="y\n")
    assert forced.returncode == 0 and marker in forced.stdout

    (clone / "phases/phase0/phase0/calculus.py").write_text(reference)
    assert _grade(clone, "phase-0", "calculus").returncode == 0
    shown = _grade(clone, "solution", "phase-0", "calculus")
    assert shown.returncode == 0 and marker in shown.stdout


def test_reset_restores_the_stub_and_keeps_a_backup(clone: Path) -> None:
    stub_path = clone / "phases/phase0/phase0/calculus.py"
    original = stub_path.read_text()
    work = (clone / "solutions/phase0/phase0/calculus.py").read_text() + "\n# my work\n"
    stub_path.write_text(work)
    # The learner committed their work: the original must still be found in the history.
    subprocess.run(["git", "-c", "user.name=l", "-c", "user.email=l@l", "commit", "-qam",
                    "my calculus"], cwd=clone, check=True)
    kept = _grade(clone, "reset", "phase-0", "calculus", answer="n\n")
    assert kept.returncode == 1 and stub_path.read_text() == work
    proc = _grade(clone, "reset", "phase-0", "calculus", answer="y\n")
    assert proc.returncode == 0, proc.stderr
    assert stub_path.read_text() == original
    backups = list((clone / ".tti/backups/phase-0").glob("calculus-*.py"))
    assert len(backups) == 1 and backups[0].read_text() == work
    assert backups[0].name in proc.stdout.replace("\n", "")


def test_solution_in_a_release_says_there_is_none(tmp_path: Path) -> None:
    out = tmp_path / "course"
    subprocess.run([sys.executable, "-m", "grader.cli", "release", "--out", str(out)], cwd=REPO,
                   check=True, capture_output=True, timeout=600)
    proc = _grade(out, "solution", "phase-0", "calculus")
    assert proc.returncode == 2 and "no reference solutions" in proc.stderr
