"""Make this phase's package importable under bare pytest, and its shared test helpers always.

The grader puts the package to grade (stubs, solutions or a submission) on PYTHONPATH; only
when nothing provides it do we fall back to the stubs beside this folder, appended last so
that it never shadows the grader's choice.
"""

import importlib.util
import sys
from pathlib import Path

PHASE_DIR = Path(__file__).resolve().parents[1]  # phases/phaseN, holding the package phaseN
TESTS_DIR = Path(__file__).resolve().parent  # phases/phaseN/tests, holding phaseN_testkit.py

if importlib.util.find_spec(PHASE_DIR.name) is None:
    sys.path.append(str(PHASE_DIR))

# A module's public and hidden tests share helpers through phaseN_testkit.py in this folder:
# under --import-mode=importlib no test file's folder is put on sys.path, so a hidden test
# cannot import its public twin or a module beside it. Appended last, like the fallback above;
# the phase number in the name keeps phases from colliding on sys.path.
if str(TESTS_DIR) not in sys.path:
    sys.path.append(str(TESTS_DIR))
