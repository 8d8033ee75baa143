"""Machine-readable reports for course tooling: Gradescope's results.json and JUnit XML.

Every test of a module is listed, including tests that never ran because the module could not
be imported, hung or crashed (they score 0, with the module's reason as their output), so a
submission's maximum score never depends on how badly it failed. The test list of such a
module is collected from the instructor's tests without running them.

Points: a module's `points` in the manifest are shared equally by its tests; without it, every
test is worth one point. Hidden tests are visible to learners only after grades are published.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.manifest import Phase
from grader.paths import module_test_files
from grader.results import ModuleResult, format_failure


@dataclass(frozen=True)
class Row:
    """One test of one module, as exported."""

    phase: str
    module: str
    nodeid: str
    name: str
    hidden: bool
    passed: bool
    skipped: bool
    output: str
    duration_share: float


def collect_nodeids(root: Path, phase: Phase, module: str) -> list[str]:
    """The ids of a module's tests, collected (not run) against the instructor's stubs."""
    files = [str(f) for f in module_test_files(phase, module) if f.is_file()]
    env = dict(os.environ, PYTHONPATH=str(phase.directory))
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", *files,
                           "-p", "no:cacheprovider", "--import-mode=importlib",
                           "--rootdir", str(root), "-c", str(root / "pyproject.toml")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)
    return [line.strip() for line in proc.stdout.splitlines() if "::" in line]


def rows_for(root: Path, phase: Phase, result: ModuleResult) -> list[Row]:
    ran = {t.nodeid: t for t in result.tests}
    complete = result.status not in ("error", "timeout", "crashed")
    nodeids = list(ran) if complete else collect_nodeids(root, phase, result.module)
    nodeids += [n for n in ran if n not in nodeids]
    share = result.duration / max(1, len(nodeids))
    rows = []
    for nodeid in nodeids:
        t = ran.get(nodeid)
        hidden = "/hidden/" in nodeid.replace("\\", "/")
        if t is None:
            output = f"did not run: {result.reason or result.status}"
            rows.append(Row(phase.key, result.module, nodeid, nodeid.split("::")[-1], hidden,
                            False, False, output, share))
            continue
        output = "" if t.outcome == "passed" else (t.message or "" if t.outcome == "skipped"
                                                   else format_failure(t))
        rows.append(Row(phase.key, result.module, nodeid, t.name, t.hidden,
                        t.outcome == "passed", t.outcome == "skipped", output, share))
    return rows


def _points(phase: Phase, module: str, n_tests: int) -> float:
    points = phase.module(module).points
    return float(points) / max(1, n_tests) if points is not None else 1.0


def gradescope(root: Path, per_phase: list[tuple[Phase, list[ModuleResult]]],
               execution_time: float) -> dict[str, Any]:
    """Gradescope's results.json as a dict."""
    tests: list[dict[str, Any]] = []
    for phase, results in per_phase:
        for result in results:
            rows = rows_for(root, phase, result)
            each = _points(phase, result.module, len(rows))
            for row in rows:
                tests.append({
                    "name": f"{row.phase} {row.module}: {row.name}",
                    "score": round(each if row.passed or row.skipped else 0.0, 6),
                    "max_score": round(each, 6),
                    "status": "passed" if row.passed or row.skipped else "failed",
                    "output": row.output,
                    "visibility": "after_published" if row.hidden else "visible",
                })
    return {
        "score": round(sum(t["score"] for t in tests), 6),
        "execution_time": round(execution_time, 3),
        "output": "Graded by Tensor to Intelligence's autograder.",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def junit(root: Path, per_phase: list[tuple[Phase, list[ModuleResult]]]) -> str:
    """JUnit XML: one <testsuite> per module, one <testcase> per test."""
    suites = ET.Element("testsuites", name="tensor-to-intelligence")
    for phase, results in per_phase:
        for result in results:
            rows = rows_for(root, phase, result)
            suite = ET.SubElement(suites, "testsuite", name=f"{phase.key}.{result.module}",
                                  tests=str(len(rows)),
                                  failures=str(sum(not r.passed and not r.skipped
                                                   for r in rows)),
                                  skipped=str(sum(r.skipped for r in rows)),
                                  errors="0", time=f"{result.duration:.3f}")
            for row in rows:
                case = ET.SubElement(suite, "testcase", classname=f"{phase.key}.{row.module}",
                                     name=row.name, time=f"{row.duration_share:.3f}")
                if row.skipped:
                    ET.SubElement(case, "skipped", message=row.output[:200])
                elif not row.passed:
                    failure = ET.SubElement(case, "failure", message=row.output.split("\n")[0])
                    failure.text = row.output
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)
