"""Make `phase0` importable when these tests are run with bare pytest.

The grader puts the package to grade (stubs, solutions or a submission) on PYTHONPATH; only
when nothing provides `phase0` do we fall back to the stubs beside this folder, appended last
so that it never shadows the grader's choice.
"""

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("phase0") is None:
    sys.path.append(str(Path(__file__).resolve().parents[1]))
