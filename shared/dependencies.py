"""For tests that run a learner's other modules (capstones, the CLI): name the one to finish first.

    with uses_your_modules("phase1.capstone_mnist"):
        model = build_model(seed=0)

A NotImplementedError raised in another module of the same phase is re-raised with a message
that names that module and the command that grades it; one raised by the capstone itself
passes through unchanged (the grader then reports the capstone as not started).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def uses_your_modules(capstone: str) -> Iterator[None]:
    """Run learner code that calls other modules of the capstone's phase.

    Args:
        capstone: the capstone's import name, e.g. "phase0.capstone_classical".
    """
    package = capstone.split(".", 1)[0]  # "phase0"
    try:
        yield
    except NotImplementedError as err:
        tb = err.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        module = tb.tb_frame.f_globals.get("__name__", "") if tb is not None else ""
        if not module.startswith(package + ".") or module == capstone:
            raise
        phase = "phase-" + package.removeprefix("phase")
        raise NotImplementedError(
            f"{err} -- this test runs your {module}, which is not finished: finish "
            f"it first (grade {phase} {module.removeprefix(package + '.')}).") from err
