"""--export gradescope / junit on the real phase 0: structure, points and visibility."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _grade(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def _submission(tmp_path: Path, broken: str) -> Path:
    """A submission with the reference calculus and a probability module that fails to import."""
    package = tmp_path / "alice" / "phase0"
    package.mkdir(parents=True)
    package.joinpath("calculus.py").write_text(
        (REPO / "solutions/phase0/phase0/calculus.py").read_text())
    package.joinpath("probability.py").write_text(broken)
    return tmp_path / "alice"


def test_gradescope_results_structure_points_and_visibility(tmp_path: Path) -> None:
    sub = _submission(tmp_path, "def softmax(:\n")
    out = tmp_path / "results" / "results.json"
    proc = _grade("phase-0", "calculus", "probability", "--from", str(sub),
                  "--export", "gradescope", str(out))
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(out.read_text())
    assert set(doc) >= {"score", "execution_time", "tests"}
    tests = doc["tests"]
    for t in tests:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert t["status"] in ("passed", "failed")
        assert t["visibility"] in ("visible", "after_published")
    calculus = [t for t in tests if t["name"].startswith("phase-0 calculus:")]
    probability = [t for t in tests if t["name"].startswith("phase-0 probability:")]
    assert calculus and all(t["status"] == "passed" and t["score"] == 1.0 for t in calculus)
    # The module that did not import still lists every one of its tests, each scoring 0.
    assert len(probability) > 10
    assert all(t["score"] == 0 and "SyntaxError at probability.py:1" in t["output"]
               for t in probability)
    hidden = [t for t in tests if t["visibility"] == "after_published"]
    visible = [t for t in tests if t["visibility"] == "visible"]
    assert hidden and visible
    assert doc["score"] == len(calculus)
    assert sum(t["max_score"] for t in tests) == len(tests)


def test_junit_xml_structure(tmp_path: Path) -> None:
    sub = _submission(tmp_path, (REPO / "phases/phase0/phase0/probability.py").read_text())
    out = tmp_path / "junit.xml"
    _grade("phase-0", "calculus", "probability", "--from", str(sub), "--export", "junit", str(out))
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"phase-0.calculus", "phase-0.probability"}
    calc, prob = suites["phase-0.calculus"], suites["phase-0.probability"]
    assert calc.get("failures") == "0" and int(calc.get("tests")) > 0
    cases = prob.findall("testcase")
    assert int(prob.get("failures")) == int(prob.get("tests")) == len(cases) > 0
    assert all("not implemented yet" in c.find("failure").text for c in cases)


def test_unknown_export_format_is_a_usage_error(tmp_path: Path) -> None:
    proc = _grade("phase-0", "calculus", "--export", "csv", str(tmp_path / "x"))
    assert proc.returncode == 2 and "unknown format" in proc.stderr
