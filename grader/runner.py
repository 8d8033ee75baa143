"""Run a module's tests in a child process, with a per-test timeout and a per-module wall limit.

One child per module keeps modules isolated: a hang, a crash, `sys.exit` or a broken import
in one module cannot touch the others. Modules run `jobs` at a time; each child gets
cores // jobs threads and OMP_WAIT_POLICY=PASSIVE (spinning OpenMP threads made identical
steps up to 30x slower on this kind of machine when processes share the cores).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.manifest import Module, Phase
from grader.paths import Target, module_test_files
from grader.results import ModuleResult, summarize

OUTPUT_TAIL_BYTES = 4000


@dataclass(frozen=True)
class Job:
    phase: Phase
    module: Module


@dataclass
class RunOptions:
    jobs: int = 1
    test_timeout: float | None = None  # overrides the manifest's
    wall_limit: float | None = None  # overrides the manifest's


def default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))


class _Children:
    """The live child processes, so that Ctrl-C can stop every one of them."""

    def __init__(self) -> None:
        self.procs: set[subprocess.Popen[bytes]] = set()
        self.stopping = False

    def kill_all(self) -> None:
        self.stopping = True
        for p in list(self.procs):
            _kill_group(p)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def child_env(target: Target, phase: Phase, module: Module, events: Path,
              threads: int) -> dict[str, str]:
    env = dict(os.environ)
    parent = target.package_parent(phase)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(parent)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.update({
        "TTI_EVENTS": str(events),
        "TTI_MODULE": f"{phase.package}.{module.name}",
        "TTI_PACKAGE_DIR": str(parent / phase.package),
        "OMP_WAIT_POLICY": "PASSIVE",
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "PYTHONHASHSEED": "0",
        "PYTHONFAULTHANDLER": "1",
    })
    return env


def pytest_command(target: Target, phase: Phase, module: Module,
                   test_timeout: float) -> tuple[list[str], bool]:
    """The child's command line, and whether the hidden tests are part of it."""
    public, hidden = module_test_files(phase, module.name)
    files = [str(public)] + ([str(hidden)] if hidden.is_file() else [])
    cmd = [sys.executable, "-m", "pytest", *files, "-q", "--no-header", "-p", "no:cacheprovider",
           "--import-mode=importlib", "-p", "grader.pytest_plugin",
           f"--timeout={test_timeout:g}", "--rootdir", str(target.root),
           "-c", str(target.root / "pyproject.toml")]
    return cmd, hidden.is_file()


def _read_events(path: Path) -> list[dict[str, Any]]:
    events = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return events
    for line in text.splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short by a crash
    return events


_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


def crash_site(output: Path, package_dir: Path) -> str | None:
    """The learner's file:line in the traceback that faulthandler prints when a child dies
    of a fatal signal (most recent call first), read from the end of the child's output."""
    try:
        with open(output, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - OUTPUT_TAIL_BYTES))
            tail = f.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    for path, line in _FRAME.findall(tail):
        if Path(path).resolve().is_relative_to(package_dir.resolve()):
            return f"{Path(path).name}:{line}"
    return None


def run_module(target: Target, phase: Phase, module: Module, options: RunOptions,
               children: _Children | None = None) -> ModuleResult | None:
    """Grade one module in a child process. Returns None if grading was interrupted."""
    children = children or _Children()
    test_timeout = options.test_timeout or module.test_timeout
    wall_limit = options.wall_limit or module.wall_limit
    threads = max(1, (os.cpu_count() or 1) // max(1, options.jobs))
    with tempfile.TemporaryDirectory(prefix="tti-") as tmp:
        events_path, output_path = Path(tmp) / "events.jsonl", Path(tmp) / "output.txt"
        cmd, hidden_ran = pytest_command(target, phase, module, test_timeout)
        env = child_env(target, phase, module, events_path, threads)
        start = time.monotonic()
        with open(output_path, "wb") as out:
            proc = subprocess.Popen(cmd, cwd=target.root, env=env, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            children.procs.add(proc)
            try:
                proc.wait(timeout=wall_limit)
                ended = "finished"
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                proc.wait()
                ended = "wall_limit"
            finally:
                children.procs.discard(proc)
        if children.stopping:
            return None
        events = _read_events(events_path)
        if ended == "finished" and not any(e["event"] == "finish" for e in events):
            ended = "crashed"
        result = summarize(phase.key, module.name, events, ended=ended,
                           returncode=proc.returncode, duration=time.monotonic() - start,
                           hidden_ran=hidden_ran, wall_limit=wall_limit,
                           crash_site=crash_site(output_path, Path(env["TTI_PACKAGE_DIR"]))
                           if ended == "crashed" else None)
        if not hidden_ran:
            result.hidden_not_run = hidden_tests_left_out(phase).get(module.name, 0)
        return result


def hidden_tests_left_out(phase: Phase) -> dict[str, int]:
    """Per module, how many hidden tests a learner release left out (its hidden_tests.json)."""
    try:
        counts = json.loads((phase.directory / "tests" / "hidden_tests.json").read_text())
        return {k: int(v) for k, v in counts.items()} if isinstance(counts, dict) else {}
    except (OSError, ValueError, TypeError):
        return {}


def run_jobs(target: Target, jobs: Iterable[Job], options: RunOptions,
             on_result: Callable[[ModuleResult], None]) -> list[ModuleResult]:
    """Grade modules `options.jobs` at a time, calling on_result as each finishes.

    On Ctrl-C every child is killed and KeyboardInterrupt propagates; the results that
    on_result already received are complete and can be kept.
    """
    jobs = list(jobs)
    children = _Children()
    results: dict[int, ModuleResult] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, options.jobs))
    futures: dict[Future[ModuleResult | None], int] = {
        pool.submit(run_module, target, job.phase, job.module, options, children): i
        for i, job in enumerate(jobs)}
    pending = set(futures)
    try:
        while pending:
            # A short timeout keeps the main thread responsive to Ctrl-C.
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in done:
                result = fut.result()
                if result is not None:
                    results[futures[fut]] = result
                    on_result(result)
    except BaseException:
        children.kill_all()
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [results[i] for i in sorted(results)]
