"""Where things are: the repository root, the state folder, and what each target grades.

A *target* is the code under test: the learner's stubs in `phases/` (the default), the
reference `solutions/`, or a submission folder given with `--from DIR`. The tests always come
from this repository's `phases/phaseN/tests`; a target only decides which folder provides the
import package `phaseN` (it is put first on the child's PYTHONPATH).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from grader.manifest import Phase, UsageError


def find_root(start: Path | None = None) -> Path:
    """The repository root: $TTI_ROOT, else the nearest parent of the working directory with
    `phases/` and `grader/`, else the checkout this grader was installed from."""
    env = os.environ.get("TTI_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "phases").is_dir() and (d / "grader").is_dir():
            return d
    installed = Path(__file__).resolve().parents[1]
    if (installed / "phases").is_dir():
        return installed
    raise UsageError("Cannot find the Tensor to Intelligence repository: run `grade` inside "
                     "your checkout, or set TTI_ROOT to it.")


def state_dir(root: Path) -> Path:
    """The git-ignored folder where progress and hints are kept."""
    return root / ".tti"


@dataclass(frozen=True)
class Target:
    """What to grade. `kind` is "learner", "solutions" or "from"; `source` is DIR for "from"."""

    kind: str
    root: Path
    source: Path | None = None

    @property
    def label(self) -> str:
        return str(self.source) if self.kind == "from" else self.kind

    def package_parent(self, phase: Phase) -> Path:
        """The folder that contains the import package `phaseN` for this target."""
        pkg = phase.package
        if self.kind == "learner":
            return phase.directory
        if self.kind == "solutions":
            return self.root / "solutions" / pkg
        assert self.source is not None
        modules = tuple(m.name for m in phase.modules)
        candidates = [self.source / "phases" / pkg / pkg, self.source / pkg / pkg,
                      self.source / pkg, self.source]
        for package in candidates:
            if package.is_dir() and any((package / f"{m}.py").is_file() for m in modules):
                return stage_submission(package, phase.directory / pkg, modules)
        raise UsageError(
            f"{self.source} has none of {phase.key}'s module files: expected them in "
            f"{self.source}/phases/{pkg}/{pkg}/ (a repository root), {self.source}/{pkg}/{pkg}/ "
            f"(a folder laid out like phases/), {self.source}/{pkg}/ or {self.source}/ itself "
            "(an upload of module files)."
        )

    def module_file(self, phase: Phase, module: str) -> Path:
        return self.package_parent(phase) / phase.package / f"{module}.py"


@cache
def stage_submission(submitted: Path, instructor: Path, modules: tuple[str, ...]) -> Path:
    """A copy of the instructor's package with only the learner's module files laid over it.

    As otter-grader replaces a submission's tests, a submission contributes nothing but its
    module files: its `__init__.py`, tests, `shared/` or grader never run. Returns the folder
    that holds the staged package; it is removed when the grader exits.
    """
    staging = Path(tempfile.mkdtemp(prefix="tti-submission-"))
    atexit.register(shutil.rmtree, staging, ignore_errors=True)
    package = staging / instructor.name
    shutil.copytree(instructor, package, ignore=shutil.ignore_patterns("__pycache__"))
    for name in modules:
        learner_file = submitted / f"{name}.py"
        if learner_file.is_file():
            shutil.copy2(learner_file, package / learner_file.name)
    return staging


def module_test_files(phase: Phase, module: str) -> tuple[Path, Path]:
    """The public and hidden test files of a module (the hidden one may be absent in a release)."""
    tests = phase.directory / "tests"
    return tests / f"test_{module}.py", tests / "hidden" / f"test_{module}.py"
