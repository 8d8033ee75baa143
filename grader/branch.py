"""`grade solutions-branch`: a git branch where the reference solutions replace the stubs.

It is built in a temporary worktree, so the current branch, index and work tree are never
touched. On the branch, `grade phase-N` (the default, learner target) passes every module: an
instructor can check out the answers, or diff a learner's work against them.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from grader.manifest import load_phases


class BranchError(Exception):
    """The repository is not in a state to build the branch; the message says why."""


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise BranchError(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc


def _identity(root: Path) -> list[str]:
    """Commit as the configured user, or as the grader where none is configured (CI)."""
    if _git(root, "config", "user.email", check=False).stdout.strip():
        return []
    return ["-c", "user.name=Tensor to Intelligence grader",
            "-c", "user.email=grader@tensor-to-intelligence.invalid"]


def solutions_branch(root: Path, name: str = "solutions") -> str:
    """Create or update branch `name`; return a one-line summary."""
    if _git(root, "rev-parse", "--is-inside-work-tree", check=False).returncode != 0:
        raise BranchError(f"{root} is not a git repository: the solutions branch needs one.")
    if _git(root, "status", "--porcelain", "--", "solutions").stdout.strip():
        raise BranchError("solutions/ has uncommitted changes: commit them first, so the "
                          "branch is built from what is committed.")
    head = _git(root, "rev-parse", "HEAD").stdout.strip()
    exists = _git(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{name}",
                  check=False).returncode == 0
    worktree = Path(tempfile.mkdtemp(prefix="tti-solutions-")) / "tree"
    try:
        if exists:
            _git(root, "worktree", "add", str(worktree), name)
            _git(worktree, "read-tree", "-u", "--reset", head)  # the branch now holds HEAD's files
        else:
            _git(root, "worktree", "add", "-b", name, str(worktree), head)
        replaced = 0
        for phase in load_phases(worktree):
            reference = worktree / "solutions" / phase.package / phase.package
            for module in phase.modules:
                source = reference / f"{module.name}.py"
                if source.is_file():
                    shutil.copy2(source, phase.directory / phase.package / source.name)
                    replaced += 1
        _git(worktree, "add", "-A")
        if _git(worktree, "diff", "--cached", "--quiet", check=False).returncode == 0:
            return f"Branch {name!r} is already up to date with {head[:10]}."
        _git(worktree, *_identity(root), "commit", "-q", "-m",
             f"Reference solutions over the stubs, at {head[:10]}")
        return (f"Branch {name!r} {'updated' if exists else 'created'}: {replaced} stub(s) "
                f"replaced by their solutions, from {head[:10]}.")
    finally:
        _git(root, "worktree", "remove", "--force", str(worktree), check=False)
        shutil.rmtree(worktree.parent, ignore_errors=True)
