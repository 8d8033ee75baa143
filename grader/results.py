"""From the child's events to one verdict per module.

Statuses: passed, in_progress (k of n passed), not_started (nothing passed and every failure
was NotImplementedError), error (import, syntax or collection error), timeout (a test or the
whole module ran out of time), crashed (the test process died), skipped (no test could run,
e.g. a capstone without its data).
"""

from __future__ import annotations

import signal
from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("passed", "in_progress", "not_started", "error", "timeout", "crashed", "skipped")


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class
    nodeid: str  # "phases/phase0/tests/hidden/test_probability.py::test_softmax_..."
    name: str
    hidden: bool
    outcome: str  # passed, failed, skipped
    message: str | None = None
    location: str | None = None  # learner's file:line where it failed, if known
    not_implemented: bool = False
    timeout: bool = False


@dataclass
class ModuleResult:
    phase: str
    module: str
    status: str
    passed: int = 0
    total: int = 0
    skipped: int = 0
    public_total: int = 0
    hidden_ran: bool = True
    hidden_not_run: int = 0  # hidden tests that a release left out, when it says how many
    reason: str | None = None  # one line, for error / timeout / crashed / skipped
    duration: float = 0.0
    tests: list[TestResult] = field(default_factory=list)

    @property
    def failures(self) -> list[TestResult]:
        return [t for t in self.tests if t.outcome == "failed"]

    @property
    def first_failure(self) -> str | None:
        if self.reason and self.status in ("error", "timeout", "crashed"):
            return self.reason
        for t in self.failures:
            return format_failure(t)
        return self.reason

    def to_json(self) -> dict[str, Any]:
        return {
            "module": self.module, "status": self.status, "passed": self.passed,
            "total": self.total, "skipped": self.skipped,
            "public_only": not self.hidden_ran, "hidden_not_run": self.hidden_not_run,
            "first_failure": self.first_failure,
            "reason": self.reason, "duration": round(self.duration, 3),
            "failures": [{"test": t.name, "hidden": t.hidden, "message": format_failure(t)}
                         for t in self.failures],
        }

    def to_store(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("tests")
        data["first_failure"] = self.first_failure
        return data


def format_failure(t: TestResult) -> str:
    where = f" [your code: {t.location}]" if t.location else ""
    if t.not_implemented:
        what = (t.message or "").removeprefix("NotImplementedError").lstrip(": ")
        return f"{t.name}: not implemented yet ({what or 'NotImplementedError'}){where}"
    return f"{t.name}{where}: {t.message}"


def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "no exit code"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


def summarize(phase: str, module: str, events: list[dict[str, Any]], *, ended: str,
              returncode: int | None, duration: float, hidden_ran: bool,
              wall_limit: float, crash_site: str | None = None) -> ModuleResult:
    """Build a module's verdict.

    ended: "finished" (the child ran to the end), "crashed" (it died early) or "wall_limit"
    (the grader killed it after the module's wall limit).
    crash_site: where a crash happened in the learner's code ("adder.py:3"), if known.
    """
    tests = [TestResult(nodeid=e["nodeid"], name=e["name"], hidden=e["hidden"],
                        outcome=e["outcome"],
                        message=e.get("message"), location=e.get("location"),
                        not_implemented=e.get("not_implemented", False),
                        timeout=e.get("timeout", False))
             for e in events if e["event"] == "test"]
    done = {e["nodeid"] for e in events if e["event"] == "test"}
    running = [e["nodeid"] for e in events if e["event"] == "start" and e["nodeid"] not in done]
    running_name = running[-1].split("::")[-1] if running else None
    ran = [t for t in tests if t.outcome != "skipped"]
    result = ModuleResult(
        phase=phase, module=module, status="in_progress",
        passed=sum(t.outcome == "passed" for t in ran), total=len(ran),
        skipped=len(tests) - len(ran), public_total=sum(not t.hidden for t in tests),
        hidden_ran=hidden_ran, duration=duration, tests=tests)

    import_errors = [e for e in events if e["event"] == "import_error"]
    collect_errors = [e for e in events if e["event"] == "collect_error"]
    if import_errors or collect_errors:
        result.status = "error"
        result.reason = (import_errors or collect_errors)[0]["message"]
        return result
    if ended == "wall_limit":
        result.status = "timeout"
        during = f" (while running {running_name})" if running_name else ""
        result.reason = f"the module ran out of its time limit of {wall_limit:g} s{during}"
        result.total += 1 if running_name else 0
        return result
    if ended == "crashed" or not any(e["event"] == "finish" for e in events):
        result.status = "crashed"
        during = f" during {running_name}" if running_name else ""
        site = f" in {crash_site}" if crash_site else ""
        result.reason = f"the test process died{during} ({describe_exit(returncode)}){site}"
        result.total += 1 if running_name else 0
        return result
    timeouts = [t for t in ran if t.timeout]
    if timeouts:
        result.status = "timeout"
        result.reason = (f"{timeouts[0].name} ran out of time (an infinite loop, or far too "
                         f"slow?){' at ' + timeouts[0].location if timeouts[0].location else ''}")
    elif result.total == 0:
        result.status = "skipped" if tests else "error"
        result.reason = (tests[0].message if tests else "no tests were collected")
    elif result.passed == result.total:
        result.status = "passed"
    elif result.passed == 0 and all(t.not_implemented for t in ran if t.outcome == "failed"):
        result.status = "not_started"
    return result
