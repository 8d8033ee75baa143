"""Make this phase's package and its phaseN_testkit importable (see shared/phase_paths.py)."""

from shared.phase_paths import add_phase_paths

add_phase_paths(__file__)
