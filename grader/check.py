"""`grade check`: the maintainer's gate over every phase.

1. Layout: each manifest entry has its stub, solution, public and hidden test; each of those
   files has a manifest entry; each entry covers at least one inventory id.
2. API: each stub's public API (names, signatures, docstrings) equals its solution's.
3. Solutions: every test of every module passes against the reference solution.
4. Stubs: every test of every module fails, and only with NotImplementedError.
5. Experiments on the stubs: each stops with NotImplementedError ("not started"), never with
   another error. (The reference side of each experiment runs when the site is built.)
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.apicheck import compare
from grader.experiment import ExperimentResult, experiment_modules, run_experiments
from grader.manifest import Phase
from grader.paths import Target, module_test_files
from grader.results import ModuleResult
from grader.runner import Job, RunOptions, run_jobs


@dataclass(frozen=True)
class Violation:
    phase: str
    module: str
    check: str
    detail: str


def layout_violations(root: Path, phase: Phase) -> list[Violation]:
    out: list[Violation] = []
    pkg = phase.package
    stub_dir = phase.directory / pkg
    sol_dir = root / "solutions" / pkg / pkg
    names = [m.name for m in phase.modules]
    for name in sorted({n for n in names if names.count(n) > 1}):
        out.append(Violation(phase.key, name, "manifest", "module listed more than once"))
    for m in phase.modules:
        public, hidden = module_test_files(phase, m.name)
        expected = {"stub": stub_dir / f"{m.name}.py", "solution": sol_dir / f"{m.name}.py",
                    "public tests": public, "hidden tests": hidden}
        for what, path in expected.items():
            if not path.is_file():
                out.append(Violation(phase.key, m.name, "manifest",
                                     f"no {what}: expected {path.relative_to(root)}"))
        if not m.covers:
            out.append(Violation(phase.key, m.name, "manifest",
                                 "`covers` is empty: which inventory ids does it teach?"))
    known = set(names)
    orphans = [*stub_dir.glob("*.py"), *sol_dir.glob("*.py")]
    for path in orphans:
        if path.stem != "__init__" and not path.stem.startswith("_") and path.stem not in known:
            out.append(Violation(phase.key, path.stem, "manifest",
                                 f"{path.relative_to(root)} has no entry in phase.toml"))
    tests = phase.directory / "tests"
    for path in [*tests.glob("test_*.py"), *(tests / "hidden").glob("test_*.py")]:
        if path.stem.removeprefix("test_") not in known:
            out.append(Violation(phase.key, path.stem, "manifest",
                                 f"{path.relative_to(root)} has no entry in phase.toml"))
    return out


def api_violations(root: Path, phase: Phase) -> list[Violation]:
    out: list[Violation] = []
    for m in phase.modules:
        stub = phase.directory / phase.package / f"{m.name}.py"
        sol = root / "solutions" / phase.package / phase.package / f"{m.name}.py"
        if stub.is_file() and sol.is_file():
            out += [Violation(phase.key, m.name, "api", p) for p in compare(stub, sol)]
    return out


def solution_violation(r: ModuleResult) -> Violation | None:
    if r.status == "passed" and r.hidden_ran:
        return None
    detail = f"{r.status}, {r.passed}/{r.total} passed"
    if not r.hidden_ran:
        detail += " (no hidden tests)"
    if r.first_failure:
        detail += f": {r.first_failure}"
    return Violation(r.phase, r.module, "solution passes", detail)


def stub_violation(r: ModuleResult) -> Violation | None:
    if r.status == "not_started" and r.total > 0:
        return None
    if r.status == "skipped":
        return None  # nothing could run (e.g. a capstone without data); the solution run says so
    if r.status in ("error", "crashed", "timeout"):
        detail = f"{r.status}: {r.first_failure}"
    elif r.passed:
        names = ", ".join(t.name for t in r.tests if t.outcome == "passed")
        detail = f"{r.passed} test(s) pass on the stub: {names}"
    else:
        other = next((t for t in r.failures if not t.not_implemented), None)
        detail = (f"{other.name} fails with something other than NotImplementedError: "
                  f"{other.message}" if other else f"{r.status}")
    return Violation(r.phase, r.module, "stub fails cleanly", detail)


def stub_experiment_violations(root: Path, phases: list[Phase], jobs: int,
                               on_result: Callable[[ExperimentResult], None]) -> list[Violation]:
    violations = []
    with tempfile.TemporaryDirectory(prefix="tti-check-") as tmp:
        for phase in phases:
            results = run_experiments(Target("learner", root), phase, experiment_modules(phase),
                                      Path(tmp) / phase.key, on_result, jobs=jobs)
            violations += [Violation(r.phase, r.module, "stub experiment stops cleanly",
                                     f"{r.status}: {r.message[-500:]}")
                           for r in results if r.status != "not_started"]
    return violations


def run_check(root: Path, phases: list[Phase], options: RunOptions,
              on_result: Callable[[str, ModuleResult], None],
              on_experiment: Callable[[ExperimentResult], None] = lambda r: None,
              ) -> list[Violation]:
    violations: list[Violation] = []
    for phase in phases:
        violations += layout_violations(root, phase)
        violations += api_violations(root, phase)
    for kind, judge in (("solutions", solution_violation), ("learner", stub_violation)):
        target = Target(kind, root)
        jobs = []
        for phase in phases:
            stub_dir = target.package_parent(phase) / phase.package
            public_tests = phase.directory / "tests"
            jobs += [Job(phase, m) for m in phase.modules
                     if (stub_dir / f"{m.name}.py").is_file()
                     and (public_tests / f"test_{m.name}.py").is_file()]
        results = run_jobs(target, jobs, options,
                           lambda r, _kind=kind: on_result(_kind, r))
        violations += [v for r in results if (v := judge(r)) is not None]
    return violations + stub_experiment_violations(root, phases, options.jobs, on_experiment)
