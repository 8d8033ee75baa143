"""The child-side half of the grader: a pytest plugin that records one JSON line per event.

The parent process (grader.runner) reads the lines, so whatever happens to the child (a
crash, a hang, a flood of output) the results recorded so far survive. Loaded with
`-p grader.pytest_plugin`; configured by environment variables:

    TTI_EVENTS       file to append JSON lines to
    TTI_MODULE       the import name of the learner's module, e.g. "phase0.probability"
    TTI_PACKAGE_DIR  the folder of the learner's package (to find their file and line)

Events: {"event": "import_error", ...}, {"event": "start", "nodeid"},
{"event": "test", ...}, {"event": "collect_error", ...}, {"event": "finish"}.
Failure messages carry the exception and the learner's file:line, never test source.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import pytest

MAX_MESSAGE = 4000  # characters of one failure message kept


def _emit(record: dict[str, Any]) -> None:
    path = os.environ.get("TTI_EVENTS")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
        f.flush()
        os.fsync(f.fileno())


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "\n... (truncated)"


def learner_location(tb: Any) -> str | None:
    """file:line of the deepest traceback frame inside the learner's package, if any."""
    package_dir = os.environ.get("TTI_PACKAGE_DIR")
    if not package_dir or tb is None:
        return None
    root = Path(package_dir).resolve()
    found = None
    for frame in traceback.extract_tb(tb):
        try:
            path = Path(frame.filename).resolve()
        except (OSError, ValueError):
            continue
        if path.is_relative_to(root):
            found = f"{path.name}:{frame.lineno}"
    return found


def describe_import_error(exc: BaseException) -> tuple[str, str | None]:
    """A one-line reason for a failed import of the learner's module, and its file:line."""
    if isinstance(exc, SyntaxError):
        where = f"{Path(exc.filename or '?').name}:{exc.lineno}"
        return f"SyntaxError at {where}: {exc.msg}", where
    where = learner_location(exc.__traceback__)
    at = f" at {where}" if where else ""
    if isinstance(exc, SystemExit):
        return f"sys.exit({exc.code!r}) called while importing the module{at}", where
    return f"{type(exc).__name__}{at} while importing the module: {exc}", where


def pytest_collection(session: pytest.Session) -> None:
    """Import the learner's module first, so that an import failure gets a precise reason."""
    module = os.environ.get("TTI_MODULE")
    if not module:
        return
    try:
        importlib.import_module(module)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - SystemExit at import is a learner error too
        reason, where = describe_import_error(exc)
        _emit({"event": "import_error", "message": _clip(reason), "location": where})
        sys.modules.pop(module, None)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _emit({"event": "collect_error", "nodeid": report.nodeid,
               "message": _clip(str(report.longrepr).strip().splitlines()[-1]
                                if report.longrepr else "collection failed")})


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    _emit({"event": "start", "nodeid": nodeid})


_results: dict[str, dict[str, Any]] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    record = _results.setdefault(item.nodeid, {
        "event": "test", "nodeid": item.nodeid, "name": item.name,
        "hidden": "hidden" in Path(str(item.path)).parent.name,
        "outcome": "passed", "not_implemented": False, "timeout": False,
        "message": None, "location": None, "duration": 0.0,
    })
    record["duration"] += report.duration
    if report.skipped and record["outcome"] == "passed":
        record["outcome"] = "skipped"
        longrepr = report.longrepr
        record["message"] = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    elif report.failed and record["outcome"] != "failed":
        record["outcome"] = "failed"
        excinfo = call.excinfo
        if excinfo is not None:
            text = excinfo.exconly()
            record["not_implemented"] = excinfo.errisinstance(NotImplementedError)
            record["timeout"] = text.startswith("Failed: Timeout") and "pytest-timeout" in text
            record["location"] = learner_location(excinfo.tb)
            if report.when != "call":
                text = f"(during test {report.when}) {text}"
            record["message"] = _clip(text)
        else:
            record["message"] = _clip(str(report.longrepr))


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    record = _results.pop(nodeid, None)
    if record is not None:
        _emit(record)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _emit({"event": "finish", "exitstatus": int(exitstatus)})
