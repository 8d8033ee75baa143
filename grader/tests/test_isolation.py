"""A broken module is reported for itself, with a one-line reason; the others are graded
normally; stored progress stays valid. Each case breaks `adder` in a --from copy."""

from __future__ import annotations

import json

import pytest

SOLUTION = '''def add(a: int, b: int) -> int:
    """Return a + b."""
    return a + b
'''

CASES = {
    "infinite_loop": (
        "def add(a: int, b: int) -> int:\n    while True:\n        pass\n",
        "timeout", "ran out of time"),
    "os_exit_in_test": (
        "import os\n\ndef add(a: int, b: int) -> int:\n    os._exit(0)\n",
        "crashed", "test process died during test_adds_small_numbers"),
    "segfault_in_test": (
        "import ctypes\n\ndef add(a: int, b: int) -> int:\n    return ctypes.string_at(0)\n",
        "crashed", "SIGSEGV"),
    "sys_exit_at_import": (
        "import sys\nsys.exit(0)\n" + SOLUTION,
        "error", "sys.exit(0) called while importing the module at adder.py:2"),
    "import_error": (
        "import numpy_that_does_not_exist\n" + SOLUTION,
        "error", "ModuleNotFoundError at adder.py:1"),
    "syntax_error": (
        SOLUTION + "\ndef broken(:\n    pass\n",
        "error", "SyntaxError at adder.py:5"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_module_is_reported_and_others_graded(toy, case: str) -> None:
    code, status, reason = CASES[case]
    # A learner's stored progress exists before; grading a submission must leave it valid.
    toy.grade("phase-5")
    before = toy.progress()
    sub = toy.submission(adder=code)
    returncode, doc = toy.grade_json("phase-5", "--from", str(sub), "--timeout", "3")
    assert returncode == 1
    adder, other = toy.module_entry(doc, "adder"), toy.module_entry(doc, "other")
    assert adder["status"] == status, adder
    assert reason in adder["first_failure"], adder["first_failure"]
    assert "\n" not in adder["reason"], "the reason must be one line"
    assert other["status"] == "passed" and other["passed"] == other["total"] == 3, other
    assert toy.progress()["results"] == before["results"]


def test_flood_of_output_is_graded_normally(toy) -> None:
    flood = ("def add(a: int, b: int) -> int:\n    print('x' * 10_000_000)\n"
             "    return a + b\n")
    sub = toy.submission(adder="print('y' * 10_000_000)\n" + flood)
    returncode, doc = toy.grade_json("phase-5", "--from", str(sub))
    assert returncode == 0
    assert toy.module_entry(doc, "adder")["status"] == "passed"


def test_wall_limit_stops_a_module_that_ignores_the_test_timeout(toy) -> None:
    # time.sleep in a loop is interruptible, so pytest-timeout would stop it; a large
    # per-test timeout leaves only the module's wall limit to do it.
    code = ("import time\n\ndef add(a: int, b: int) -> int:\n"
            "    while True:\n        time.sleep(0.1)\n")
    sub = toy.submission(adder=code)
    returncode, doc = toy.grade_json("phase-5", "--from", str(sub), "--timeout", "100",
                                     "--wall-limit", "4")
    adder = toy.module_entry(doc, "adder")
    assert returncode == 1
    assert adder["status"] == "timeout"
    assert "time limit of 4 s" in adder["reason"] and "test_adds_small_numbers" in adder["reason"]
    assert toy.module_entry(doc, "other")["status"] == "passed"


def test_crash_of_learner_code_keeps_stored_progress_valid(toy) -> None:
    toy.write("phases/phase5/phase5/adder.py", CASES["segfault_in_test"][0])
    toy.write("phases/phase5/phase5/other.py", SOLUTION)
    proc = toy.grade("phase-5")
    assert proc.returncode == 1
    results = toy.progress()["results"]["phase-5"]
    assert results["adder"]["status"] == "crashed"
    assert results["other"]["status"] == "passed"
    assert json.loads(json.dumps(results))  # plain JSON, readable by the dashboard
    assert "crashed" in toy.grade("dashboard").stdout
