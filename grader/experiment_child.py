"""The child process of `grade experiment`: run one experiment script, write what happened.

    python -m grader.experiment_child SCRIPT OUT RESULT

Runs `run(OUT)` from SCRIPT and writes a JSON verdict to RESULT: {"status": "ok", "figures":
{file: caption}}, {"status": "not_started", "module": ...} when a stub raised
NotImplementedError, {"status": "no_data", ...} when a data set is missing (shared.data's
DataNotFoundError, whose message says how to get it), or {"status": "error", ...}. A
traceback, if any, goes to stderr, which the parent keeps. No verdict file at all means the
child crashed.
"""

from __future__ import annotations

import json
import runpy
import sys
import traceback
from pathlib import Path
from typing import Any

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _raising_module(err: BaseException) -> str:
    """The module whose code raised `err` (the innermost frame), e.g. "phase3.attention"."""
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_globals.get("__name__", "") if tb is not None else ""


def _check_figures(figures: Any, out: Path) -> str | None:
    """Why `figures` is not a valid {PNG file in out: caption} mapping, or None."""
    if not isinstance(figures, dict) or not figures:
        return f"run(out) must return a non-empty {{file name: caption}} dict, not {figures!r}"
    for name, caption in figures.items():
        if not isinstance(name, str) or not isinstance(caption, str):
            return f"run(out) returned {name!r}: {caption!r}; both must be strings"
        path = out / name
        if path.parent != out or not path.is_file():
            return f"run(out) names {name!r}, but there is no such file in {out}"
        if path.read_bytes()[:8] != PNG_MAGIC:
            return f"{name} is not a PNG file"
    return None


def run(script: Path, out: Path) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    try:
        namespace = runpy.run_path(str(script), run_name="experiment")
        figures = namespace["run"](out)
    except NotImplementedError as err:
        return {"status": "not_started", "module": _raising_module(err), "message": str(err)}
    except FileNotFoundError as err:
        from shared.data import DataNotFoundError

        if not isinstance(err, DataNotFoundError):
            traceback.print_exc()
            return {"status": "error", "message": f"{type(err).__name__}: {err}"}
        return {"status": "no_data", "message": str(err)}
    except Exception as err:  # noqa: BLE001 (any learner error becomes a report, not a crash)
        traceback.print_exc()
        return {"status": "error", "message": f"{type(err).__name__}: {err}"}
    problem = _check_figures(figures, out)
    if problem:
        return {"status": "error", "message": problem}
    return {"status": "ok", "figures": figures}


def main() -> None:
    script, out, result = (Path(a) for a in sys.argv[1:4])
    verdict = run(script, out)
    result.write_text(json.dumps(verdict), encoding="utf-8")


if __name__ == "__main__":
    main()
