"""The Gradescope bundle, unpacked and run against a fake Gradescope layout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = ("calculus", "naive_bayes")


@pytest.fixture(scope="module")
def autograder(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("gradescope")
    bundle = tmp / "autograder.zip"
    args = ["gradescope-bundle", "--phase", "0", "--out", str(bundle)]
    for m in MODULES:
        args += ["--module", m]
    proc = subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        assert {"setup.sh", "run_autograder"} <= set(names)
        assert not [n for n in names if n.startswith("source/solutions/")]
        assert "source/phases/phase0/tests/hidden/test_calculus.py" in names
        for name in ("setup.sh", "run_autograder"):
            assert (zf.getinfo(name).external_attr >> 16) & 0o111, f"{name} is not executable"
        zf.extractall(tmp / "autograder")
    for name in ("setup.sh", "run_autograder"):
        (tmp / "autograder" / name).chmod(0o755)
    return tmp / "autograder"


def _run(autograder: Path, submission_files: dict[str, Path]) -> dict:
    submission = autograder / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    shutil.rmtree(autograder / "results", ignore_errors=True)
    submission.mkdir()
    for name, source in submission_files.items():  # an upload of bare module files
        shutil.copy(source, submission / name)
    env = dict(os.environ, AUTOGRADER_ROOT=str(autograder),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run([str(autograder / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads((autograder / "results" / "results.json").read_text())


def test_a_solution_submission_gets_full_score(autograder: Path) -> None:
    files = {f"{m}.py": REPO / "solutions/phase0/phase0" / f"{m}.py" for m in MODULES}
    results = _run(autograder, files)
    assert results["tests"]
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) > 0
    assert {t["name"].split(":")[0] for t in results["tests"]} == {
        f"phase-0 {m}" for m in MODULES}


def test_a_stub_submission_scores_zero(autograder: Path) -> None:
    files = {f"{m}.py": REPO / "phases/phase0/phase0" / f"{m}.py" for m in MODULES}
    results = _run(autograder, files)
    assert results["score"] == 0 and len(results["tests"]) > 0
    assert all(t["status"] == "failed" for t in results["tests"])


def test_an_empty_submission_gets_an_explanation(autograder: Path) -> None:
    results = _run(autograder, {})
    assert results["score"] == 0 and "module files" in results["output"]
