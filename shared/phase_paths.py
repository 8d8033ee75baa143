"""What every phase's tests/conftest.py does: make the package and the phase's testkit importable.

The grader puts the package to grade (stubs, solutions or a submission) on PYTHONPATH; only
when nothing provides it do we fall back to the stubs beside the tests, appended last so that
it never shadows the grader's choice. A module's public and hidden tests share helpers through
phaseN_testkit.py in the tests folder: under --import-mode=importlib no test file's folder is
put on sys.path, so that folder is appended too (the phase number in the name keeps phases
from colliding on sys.path).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def add_phase_paths(conftest_file: str) -> None:
    """Called from phases/phaseN/tests/conftest.py with its __file__."""
    tests_dir = Path(conftest_file).resolve().parent  # phases/phaseN/tests
    phase_dir = tests_dir.parent  # phases/phaseN, holding the package phaseN
    if importlib.util.find_spec(phase_dir.name) is None:
        sys.path.append(str(phase_dir))
    if str(tests_dir) not in sys.path:
        sys.path.append(str(tests_dir))
