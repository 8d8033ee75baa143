"""Sessions for maintainers and CI. They run in the current environment (set it up once with
the README's two install commands): nothing here reinstalls torch.

    nox -s ci          what CI runs: lint, the course site, the grader's and shared's tests
                       (the site's browser test included), grade check
    nox -s tests       the grader's and shared's own tests
    nox -s solutions   every phase against the reference solutions
    nox -s stubs       every phase against the stubs (every module must be not_started)
    nox -s check       grade check: solutions pass, stubs fail cleanly, APIs match
    nox -s lint        ruff
    nox -s bench       benchmarks, measured side by side in one run
    nox -s docs        the course site, built --strict into build/site (experiments included)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["ci"]

ROOT = Path(__file__).parent


def _phases() -> list[str]:
    return [f"phase-{tomllib.loads(p.read_text())['phase']['number']}"
            for p in sorted(ROOT.glob("phases/phase*/phase.toml"))]


@nox.session
def tests(session: nox.Session) -> None:
    """The grader's and shared's own tests."""
    session.run(sys.executable, "-m", "pytest", "grader/tests", "shared/tests", *session.posargs,
                external=True)


@nox.session
def solutions(session: nox.Session) -> None:
    """Every phase against the reference solutions: every module must pass."""
    for phase in _phases():
        session.run("grade", phase, "--solutions", external=True)


@nox.session
def stubs(session: nox.Session) -> None:
    """Every phase against the stubs: every module must be not_started."""
    for phase in _phases():
        proc = subprocess.run(["grade", phase, "--json"], capture_output=True, text=True)
        doc = json.loads(proc.stdout)
        bad = [m for p in doc["phases"] for m in p["modules"] if m["status"] != "not_started"]
        for m in bad:
            session.log(f"{phase} {m['module']}: {m['status']}: {m['first_failure']}")
        if bad:
            session.error(f"{len(bad)} stub module(s) of {phase} are not cleanly not_started")


@nox.session
def check(session: nox.Session) -> None:
    """grade check: layout, APIs, solutions pass, stubs fail only with NotImplementedError."""
    session.run("grade", "check", external=True)


@nox.session
def lint(session: nox.Session) -> None:
    session.run("ruff", "check", ".", external=True)


@nox.session
def bench(session: nox.Session) -> None:
    """Side-by-side measurements: the grader's overhead and each phase's own benchmarks
    (`phases/phaseN/bench.py`, run against the reference solutions)."""
    session.run(sys.executable, "-m", "grader.bench", external=True)
    for script in sorted(ROOT.glob("phases/phase*/bench.py")):
        package_parent = ROOT / "solutions" / script.parent.name
        session.run(sys.executable, str(script), *session.posargs, external=True,
                    env={"PYTHONPATH": str(package_parent)})


@nox.session
def docs(session: nox.Session) -> None:
    """The course site: every reference experiment, every page, `mkdocs build --strict`.
    With TTI_DATA_DIR set, every experiment must find its data (CI sets it)."""
    require = ["--require-data"] if os.environ.get("TTI_DATA_DIR") else []
    session.run(sys.executable, "-m", "grader.site", *require, *session.posargs, external=True)


@nox.session
def ci(session: nox.Session) -> None:
    """What CI runs on every change."""
    lint(session)
    docs(session)
    # The site is built: its browser test must run, not skip.
    session.env["TTI_REQUIRE_SITE"] = "1"
    tests(session)
    check(session)
