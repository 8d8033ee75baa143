"""Run a module's experiment: a script that draws what the code under test does.

`phases/phaseN/experiments/<module>.py` defines `run(out: Path) -> dict[str, str]`, which writes
PNG pictures into `out` and returns {file name: caption}. As for grading, each experiment runs
in its own child process with the target's package first on PYTHONPATH, so the pictures show the
learner's implementation (or the reference's with --solutions), and a hang or a crash in
learner code cannot take the grader with it. The captions are kept beside the pictures in
`figures.json`, which the course site reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from grader.manifest import Phase
from grader.paths import Target

WALL_LIMIT = 300.0  # seconds; experiments are meant to take a few
FIGURES_FILE = "figures.json"


@dataclass
class ExperimentResult:
    phase: str
    module: str
    status: str  # ok | not_started | no_data | error | timeout | crashed
    out: Path
    seconds: float = 0.0
    figures: dict[str, str] = field(default_factory=dict)
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def experiment_script(phase: Phase, module: str) -> Path:
    return phase.directory / "experiments" / f"{module}.py"


def experiment_modules(phase: Phase) -> list[str]:
    """The phase's modules that have an experiment, in manifest order."""
    return [m.name for m in phase.modules if experiment_script(phase, m.name).is_file()]


def _verdict_message(verdict: dict, phase: Phase, module: str) -> str:
    if verdict["status"] != "not_started":
        return verdict.get("message", "")
    raised_in = verdict.get("module") or f"{phase.package}.{module}"
    name = raised_in.removeprefix(phase.package + ".")
    return (f"{raised_in} is not finished (NotImplementedError): finish it first "
            f"(grade {phase.key} {name}), or see the reference's pictures with --solutions.")


def run_experiment(target: Target, phase: Phase, module: str, out: Path,
                   wall_limit: float = WALL_LIMIT) -> ExperimentResult:
    """Run one experiment into `out` (emptied first) in a child process."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        if old.is_file():
            old.unlink()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(target.package_parent(phase)), str(target.root)]
        + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.update({"MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "OMP_WAIT_POLICY": "PASSIVE"})
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tti-exp-") as tmp:
        verdict_path, log_path = Path(tmp) / "verdict.json", Path(tmp) / "log.txt"
        cmd = [sys.executable, "-m", "grader.experiment_child",
               str(experiment_script(phase, module)), str(out), str(verdict_path)]
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(cmd, cwd=target.root, env=env, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            try:
                proc.wait(timeout=wall_limit)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
                return ExperimentResult(phase.key, module, "timeout", out,
                                        time.monotonic() - start,
                                        message=f"still running after {wall_limit:g} s: stopped")
        seconds = time.monotonic() - start
        log_tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        if not verdict_path.is_file():
            return ExperimentResult(phase.key, module, "crashed", out, seconds,
                                    message=f"exit code {proc.returncode}\n{log_tail}".strip())
        verdict = json.loads(verdict_path.read_text(encoding="utf-8"))
    message = _verdict_message(verdict, phase, module)
    if verdict["status"] == "error" and log_tail.strip():
        message = f"{message}\n{log_tail}"
    result = ExperimentResult(phase.key, module, verdict["status"], out, seconds,
                              verdict.get("figures", {}), message)
    if result.ok:
        (out / FIGURES_FILE).write_text(json.dumps(result.figures, indent=1), encoding="utf-8")
    return result


def run_experiments(target: Target, phase: Phase, modules: Iterable[str], out_root: Path,
                    on_result: Callable[[ExperimentResult], None], jobs: int = 1,
                    wall_limit: float = WALL_LIMIT) -> list[ExperimentResult]:
    """Run several experiments, `jobs` at a time, into out_root/<module>/."""
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(run_experiment, target, phase, m, out_root / m, wall_limit)
                   for m in modules]
        results = []
        for fut in futures:
            results.append(fut.result())
            on_result(results[-1])
    return results
