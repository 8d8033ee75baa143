"""Make this phase's package importable when its tests are run with bare pytest.

The grader puts the package to grade (stubs, solutions or a submission) on PYTHONPATH; only
when nothing provides it do we fall back to the stubs beside this folder, appended last so
that it never shadows the grader's choice.
"""

import importlib.util
import sys
from pathlib import Path

PHASE_DIR = Path(__file__).resolve().parents[1]  # phases/phaseN, holding the package phaseN

if importlib.util.find_spec(PHASE_DIR.name) is None:
    sys.path.append(str(PHASE_DIR))
