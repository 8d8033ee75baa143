"""`grade solution` and `grade reset` on a clone of this repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_solution_unlocks_only_after_passing(clone: Path, grade) -> None:
    reference = (clone / "solutions/phase0/phase0/calculus.py").read_text()
    marker = "def numerical_gradient"
    locked = grade(clone, "solution", "phase-0", "calculus")
    assert locked.returncode == 1 and "has not been graded yet" in locked.stdout
    grade(clone, "phase-0", "calculus")
    still = grade(clone, "solution", "phase-0", "calculus")
    assert "not started (0/" in still.stdout and marker not in still.stdout
    declined = grade(clone, "solution", "phase-0", "calculus", "--force", answer="n\n")
    assert declined.returncode == 1 and marker not in declined.stdout
    forced = grade(clone, "solution", "phase-0", "calculus", "--force", answer="y\n")
    assert forced.returncode == 0 and marker in forced.stdout

    (clone / "phases/phase0/phase0/calculus.py").write_text(reference)
    assert grade(clone, "phase-0", "calculus").returncode == 0
    shown = grade(clone, "solution", "phase-0", "calculus")
    assert shown.returncode == 0 and marker in shown.stdout


def test_reset_restores_the_stub_and_keeps_a_backup(clone: Path, grade) -> None:
    stub_path = clone / "phases/phase0/phase0/calculus.py"
    original = stub_path.read_text()
    work = (clone / "solutions/phase0/phase0/calculus.py").read_text() + "\n# my work\n"
    stub_path.write_text(work)
    # The learner committed their work: the original must still be found in the history.
    subprocess.run(["git", "-c", "user.name=l", "-c", "user.email=l@l", "commit", "-qam",
                    "my calculus"], cwd=clone, check=True)
    kept = grade(clone, "reset", "phase-0", "calculus", answer="n\n")
    assert kept.returncode == 1 and stub_path.read_text() == work
    proc = grade(clone, "reset", "phase-0", "calculus", answer="y\n")
    assert proc.returncode == 0, proc.stderr
    assert stub_path.read_text() == original
    backups = list((clone / ".tti/backups/phase-0").glob("calculus-*.py"))
    assert len(backups) == 1 and backups[0].read_text() == work
    assert backups[0].name in proc.stdout.replace("\n", "")


def test_solution_in_a_release_says_there_is_none(tmp_path: Path, grade) -> None:
    out = tmp_path / "course"
    subprocess.run([sys.executable, "-m", "grader.cli", "release", "--out", str(out)], cwd=REPO,
                   check=True, capture_output=True, timeout=600)
    proc = grade(out, "solution", "phase-0", "calculus")
    assert proc.returncode == 2 and "no reference solutions" in proc.stderr
