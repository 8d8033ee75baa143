"""`grade solutions-branch` on a clone of this repository."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout


def test_branch_swaps_in_solutions_and_leaves_the_work_tree_alone(clone: Path, grade) -> None:
    (clone / "notes.txt").write_text("the learner's untracked notes\n")
    stub = clone / "phases/phase0/phase0/calculus.py"
    stub.write_text(stub.read_text() + "\n# work in progress\n")
    before = (_git(clone, "rev-parse", "HEAD"), _git(clone, "status", "--porcelain"),
              _git(clone, "branch", "--show-current"))
    proc = grade(clone, "solutions-branch")
    assert proc.returncode == 0, proc.stderr
    assert "created" in proc.stdout
    after = (_git(clone, "rev-parse", "HEAD"), _git(clone, "status", "--porcelain"),
             _git(clone, "branch", "--show-current"))
    assert after == before
    assert _git(clone, "worktree", "list").count("\n") == 1, "the temporary worktree remains"

    view = clone.parent / "view"
    _git(clone, "worktree", "add", "-q", str(view), "solutions")
    for solution in (view / "solutions/phase0/phase0").glob("*.py"):
        assert (view / "phases/phase0/phase0" / solution.name).read_text() == solution.read_text()
    graded = grade(view, "phase-0", "calculus", "probability", "naive_bayes")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "All 3 modules passed" in graded.stdout

    busy = grade(clone, "solutions-branch")  # the branch is checked out in `view`
    assert busy.returncode == 2 and "already checked out" in busy.stderr
    _git(clone, "worktree", "remove", str(view))
    again = grade(clone, "solutions-branch")
    assert again.returncode == 0 and "already up to date" in again.stdout


def test_branch_is_updated_when_the_solutions_change(clone: Path, grade) -> None:
    assert grade(clone, "solutions-branch", "--name", "answers").returncode == 0
    first = _git(clone, "rev-parse", "answers").strip()
    solution = clone / "solutions/phase0/phase0/calculus.py"
    solution.write_text(solution.read_text() + "\n# a clearer comment\n")
    refused = grade(clone, "solutions-branch", "--name", "answers")
    assert refused.returncode == 2 and "uncommitted changes" in refused.stderr
    _git(clone, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "edit")
    updated = grade(clone, "solutions-branch", "--name", "answers")
    assert updated.returncode == 0 and "updated" in updated.stdout
    shown = _git(clone, "show", "answers:phases/phase0/phase0/calculus.py")
    assert shown.endswith("# a clearer comment\n")
    # The update is a new snapshot on top of the branch's previous one: its history is kept.
    assert _git(clone, "rev-parse", "answers~1").strip() == first


def test_outside_a_git_repository_it_refuses(tmp_path: Path, grade) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(REPO, copy, ignore=shutil.ignore_patterns(".git", ".venv", ".nox", ".tti",
                                                              "__pycache__"))
    proc = grade(copy, "solutions-branch")
    assert proc.returncode == 2 and "not a git repository" in proc.stderr
