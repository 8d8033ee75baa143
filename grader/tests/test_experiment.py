"""`grade experiment`: runs a module's picture-drawing script on the learner's code or the
reference, in a child process, and says where the pictures are or why there are none."""

from __future__ import annotations

import json

EXPERIMENT = '''"""Draws add's results."""

from pathlib import Path

import matplotlib.pyplot as plt

from phase5.adder import add


def run(out: Path) -> dict[str, str]:
    fig, ax = plt.subplots()
    ax.plot(range(5), [add(i, 1) for i in range(5)])
    fig.savefig(out / "sums.png")
    plt.close(fig)
    return {"sums.png": "i + 1 grows by one per step."}
'''


def _with_experiment(toy, body: str = EXPERIMENT):
    toy.write("phases/phase5/experiments/adder.py", body)
    return toy


def test_reference_pictures_are_written_with_captions(toy):
    _with_experiment(toy)
    proc = toy.grade("experiment", "phase-5", "adder", "--solutions")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = toy.root / ".tti" / "experiments" / "reference" / "phase-5" / "adder"
    assert (out / "sums.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((out / "figures.json").read_text()) == {
        "sums.png": "i + 1 grows by one per step."}
    assert "sums.png" in proc.stdout and "1 picture(s)" in proc.stdout


def test_a_stub_says_which_module_to_finish(toy):
    _with_experiment(toy)
    proc = toy.grade("experiment", "phase-5", "adder")
    assert proc.returncode == 1
    assert "phase5.adder is not finished" in proc.stdout
    assert "grade phase-5 adder" in proc.stdout


def test_an_error_in_learner_code_is_reported_with_its_traceback(toy):
    _with_experiment(toy)
    toy.write("phases/phase5/phase5/adder.py", "def add(a, b):\n    return a / 0\n")
    proc = toy.grade("experiment", "phase-5", "adder")
    assert proc.returncode == 1
    assert "ZeroDivisionError" in proc.stdout and "adder.py" in proc.stdout


def test_a_script_that_returns_no_pictures_is_an_error(toy):
    _with_experiment(toy, "def run(out):\n    return {'missing.png': 'nothing'}\n")
    proc = toy.grade("experiment", "phase-5", "adder", "--solutions")
    assert proc.returncode == 1
    assert "no such file" in proc.stdout


def test_a_hanging_experiment_is_stopped_at_the_wall_limit(toy):
    _with_experiment(toy, "def run(out):\n    while True:\n        pass\n")
    proc = toy.grade("experiment", "phase-5", "adder", "--solutions", "--wall-limit", "3")
    assert proc.returncode == 1
    assert "timeout" in proc.stdout and "after 3 s" in proc.stdout


def test_a_crashing_experiment_is_reported(toy):
    _with_experiment(toy, "import os\n\ndef run(out):\n    os._exit(7)\n")
    proc = toy.grade("experiment", "phase-5", "adder", "--solutions")
    assert proc.returncode == 1
    assert "crashed" in proc.stdout and "exit code 7" in proc.stdout


def test_a_module_without_an_experiment_is_a_usage_error(toy):
    _with_experiment(toy)
    proc = toy.grade("experiment", "phase-5", "other")
    assert proc.returncode == 2
    assert "no experiment for other" in proc.stderr and "adder" in proc.stderr


def test_a_missing_data_set_is_reported_with_the_loaders_message(toy):
    _with_experiment(toy, "from shared.data import DataNotFoundError\n\n\ndef run(out):\n"
                          "    raise DataNotFoundError('MNIST is missing: set TTI_DATA_DIR')\n")
    proc = toy.grade("experiment", "phase-5", "adder", "--solutions")
    assert proc.returncode == 1
    assert "no_data" in proc.stdout and "set TTI_DATA_DIR" in proc.stdout
