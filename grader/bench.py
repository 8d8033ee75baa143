"""`nox -s bench`: the grader's costs, measured side by side in one run.

1. `grade phase-0 MODULE --solutions` against bare pytest on the same test files, same
   solution, same interpreter: the ratio of median wall times (target <= 1.1).
2. The dashboard's wall time as a fresh process, `grade dashboard` (target <= 0.3 s).
Runs alternate between the two sides so that machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from grader.manifest import find_phase, load_phases
from grader.paths import find_root, module_test_files


def _time(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--phase", default="phase-0")
    parser.add_argument("--module", default="micrograd")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    root = find_root()
    phase = find_phase(load_phases(root), args.phase)
    phase.module(args.module)
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    grade_cmd = [sys.executable, "-m", "grader.cli", phase.key, args.module, "--solutions",
                 "--jobs", "1"]
    files = [str(f) for f in module_test_files(phase, args.module) if f.is_file()]
    bare_env = dict(env, PYTHONPATH=str(root / "solutions" / phase.package))
    bare_cmd = [sys.executable, "-m", "pytest", *files, "-q", "-p", "no:cacheprovider",
                "--import-mode=importlib"]
    dash_cmd = [sys.executable, "-m", "grader.cli", "dashboard"]

    grade_t, bare_t, dash_t = [], [], []
    print(f"Timing {phase.key} {args.module}: {args.repeats} alternating runs each...",
          file=sys.stderr)
    for _ in range(args.repeats):
        bare_t.append(_time(bare_cmd, bare_env, root))
        grade_t.append(_time(grade_cmd, env, root))
        dash_t.append(_time(dash_cmd, env, root))
    g, b, d = (statistics.median(x) for x in (grade_t, bare_t, dash_t))
    print(f"grade {phase.key} {args.module} --solutions: median {g:.2f} s")
    print(f"bare pytest on the same test files:        median {b:.2f} s")
    print(f"ratio grade / bare pytest: {g / b:.3f}  (target <= 1.1)")
    print(f"grade dashboard (fresh process): median {d:.3f} s  (target <= 0.3 s)")


if __name__ == "__main__":
    main()
