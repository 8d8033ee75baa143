"""The `grade` command as a learner and an instructor use it, on the toy repository."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest


@pytest.mark.parametrize("name", ["phase-5", "phase5", "5", "Phase_5"])
def test_phase_names_are_equivalent(toy, name: str) -> None:
    proc = toy.grade(name, "adder", "--solutions")
    assert proc.returncode == 0, proc.stderr
    assert "passed" in proc.stdout


def test_stubs_are_not_started_and_exit_1(toy) -> None:
    returncode, doc = toy.grade_json("phase-5")
    assert returncode == 1
    assert doc["target"] == "learner"
    for entry in doc["phases"][0]["modules"]:
        assert entry["status"] == "not_started"
        assert entry["passed"] == 0 and entry["total"] == 3
        assert "not implemented yet" in entry["first_failure"]


def test_solutions_pass_and_exit_0(toy) -> None:
    returncode, doc = toy.grade_json("phase-5", "--solutions")
    assert returncode == 0
    assert doc["target"] == "solutions"
    assert [m["status"] for m in doc["phases"][0]["modules"]] == ["passed", "passed"]


def test_json_is_the_only_thing_on_stdout(toy) -> None:
    proc = toy.grade("phase-5", "--json")
    doc = json.loads(proc.stdout)  # raises if anything else was printed there
    assert set(doc) >= {"target", "phases"}
    assert "Grading phase-5" in proc.stderr


def test_partial_work_is_in_progress_with_the_first_failure(toy) -> None:
    toy.write("phases/phase5/phase5/adder.py",
              "def add(a: int, b: int) -> int:\n    return a + b if a >= 0 else -1\n")
    returncode, doc = toy.grade_json("phase-5", "adder")
    entry = toy.module_entry(doc, "adder")
    assert returncode == 1
    assert (entry["status"], entry["passed"], entry["total"]) == ("in_progress", 2, 3)
    assert entry["first_failure"].startswith("test_adds_negative_numbers")
    assert "add(-4, 4) should be 0" in entry["first_failure"]


def test_human_output_shows_table_and_first_failure_and_verbose_shows_all(toy) -> None:
    toy.write("phases/phase5/phase5/adder.py", "def add(a: int, b: int) -> int:\n    return -7\n")
    short = toy.grade("phase-5", "adder").stdout
    assert "in progress" in short and "0/3" in short
    assert short.count("should be") == 1
    assert toy.grade("phase-5", "adder", "-v").stdout.count("should be") == 3


@pytest.mark.parametrize(("args", "suggestion"), [
    (["phase-6"], "phase-5"),
    (["phase-5", "addr"], "adder"),
    (["phse-5"], "phase-5"),
    (["hint", "phase-5", "oter"], "other"),
    (["phase-5", "--from", "/no/such/folder"], "no such folder"),
    (["phase-5", "--solutions", "--from", "."], "Choose one"),
])
def test_bad_names_get_close_matches_and_exit_2(toy, args: list[str], suggestion: str) -> None:
    proc = toy.grade(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert suggestion in proc.stderr


def test_from_dir_accepts_a_repository_root(toy, tmp_path) -> None:
    sub = tmp_path / "alice"
    (sub / "phases").mkdir(parents=True)
    (toy.root / "solutions" / "phase5").rename(sub / "phases" / "phase5")
    returncode, doc = toy.grade_json("phase-5", "--from", str(sub))
    assert returncode == 0 and doc["target"] == str(sub)


def test_from_dir_without_the_phase_package_is_a_usage_error(toy, tmp_path) -> None:
    proc = toy.grade("phase-5", "--from", str(tmp_path))
    assert proc.returncode == 2
    assert "has none of phase-5's module files" in proc.stderr


def test_hints_come_one_at_a_time_then_all(toy) -> None:
    first = toy.grade("hint", "5", "adder").stdout
    second = toy.grade("hint", "5", "adder").stdout
    third = toy.grade("hint", "5", "adder").stdout
    assert "Hint 1 of 2" in first and "Think of +." in first
    assert "Hint 2 of 2" in second and "Return a + b." in second
    assert "all 2 hints" in third
    assert "no hints" in toy.grade("hint", "5", "other").stdout


def test_dashboard_shows_stored_progress_without_importing_torch(toy) -> None:
    toy.write("phases/phase5/phase5/adder.py", toy.root.joinpath(
        "solutions/phase5/phase5/adder.py").read_text())
    toy.grade("phase-5")
    for args in ([], ["dashboard"]):
        out = toy.grade(*args).stdout
        assert "phase-5 · Toy" in out and "1/2 modules" in out
    code = ("import sys; from grader.cli import main; sys.argv = ['grade', 'dashboard']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "assert 'torch' not in sys.modules, 'the dashboard imported torch'")
    env = dict(os.environ, TTI_ROOT=str(toy.root))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_list_shows_modules_with_titles(toy) -> None:
    out = toy.grade("list").stdout
    assert "adder" in out and "Adding again" in out


def test_corrupt_progress_file_is_reported_and_rebuilt(toy) -> None:
    state = toy.root / ".tti"
    state.mkdir()
    (state / "progress.json").write_text("{ this is not json")
    proc = toy.grade("dashboard")
    assert proc.returncode == 0
    assert "could not be read" in proc.stdout
    assert (state / "progress.json.corrupt").exists()
    toy.grade("phase-5", "adder")
    assert toy.progress()["results"]["phase-5"]["adder"]["status"] == "not_started"


def test_ctrl_c_stops_cleanly_and_keeps_finished_results(toy) -> None:
    toy.write("phases/phase5/phase5/other.py",
              "import time\n\ndef add(a: int, b: int) -> int:\n    time.sleep(60)\n")
    env = dict(os.environ, TTI_ROOT=str(toy.root))
    proc = subprocess.Popen([sys.executable, "-m", "grader.cli", "phase-5", "--jobs", "1"],
                            cwd=toy.root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    progress = toy.root / ".tti" / "progress.json"
    deadline = time.monotonic() + 60
    while not progress.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # `other` is now sleeping inside its test
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Interrupted" in err
    results = toy.progress()["results"]["phase-5"]
    assert results["adder"]["status"] == "not_started" and "other" not in results
    leftover = subprocess.run(["pgrep", "-f", str(toy.root / "phases/phase5/tests")],
                              capture_output=True, text=True)
    assert leftover.stdout.strip() == "", "a child process outlived Ctrl-C"


def test_submission_contributes_only_its_module_files(toy) -> None:
    # The submission's own __init__.py and tests must never run: the tests, the package's
    # other files, shared/ and the grader come from the instructor's tree.
    sub = toy.submission()
    (sub / "phase5" / "phase5" / "__init__.py").write_text("raise SystemExit('cheating')\n")
    tests = sub / "phase5" / "tests"
    tests.mkdir()
    (tests / "test_adder.py").write_text("def test_always_passes():\n    pass\n")
    (sub / "phase5" / "phase5" / "other.py").unlink()  # an unfinished module: the stub is used
    returncode, doc = toy.grade_json("phase-5", "--from", str(sub))
    assert toy.module_entry(doc, "adder")["status"] == "passed"
    assert toy.module_entry(doc, "adder")["total"] == 3
    assert toy.module_entry(doc, "other")["status"] == "not_started"
    assert returncode == 1
