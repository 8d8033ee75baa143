"""uses_your_modules names the unfinished module a capstone depends on."""

from __future__ import annotations

import pytest

from shared.dependencies import uses_your_modules


def _raise_from(module_name: str) -> None:
    namespace = {"__name__": module_name}
    exec("def stub():\n    raise NotImplementedError('phaseX.stub')\n", namespace)  # noqa: S102
    namespace["stub"]()


def test_unfinished_dependency_is_named_with_its_grade_command():
    with pytest.raises(NotImplementedError, match=r"finish it first \(grade phase-1 losses\)"):
        with uses_your_modules("phase1.capstone_mnist"):
            _raise_from("phase1.losses")


def test_the_capstone_itself_and_other_packages_pass_through_unchanged():
    for origin in ("phase1.capstone_mnist", "phase0.linalg"):
        with pytest.raises(NotImplementedError) as info:
            with uses_your_modules("phase1.capstone_mnist"):
                _raise_from(origin)
        assert str(info.value) == "phaseX.stub"
