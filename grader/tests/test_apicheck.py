"""Stub and solution must expose the same public API: names, signatures and docstrings."""

from __future__ import annotations

from pathlib import Path

from grader.apicheck import compare

STUB = '''"""The stub's module docstring."""
import numpy as np

LIMIT = 3


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along axis."""
    raise NotImplementedError


class Model:
    """A model."""

    def __init__(self, n: int) -> None:
        self.n = n

    def fit(self, X: np.ndarray) -> "Model":
        """Fit."""
        raise NotImplementedError
'''


def _pair(tmp_path: Path, solution: str) -> list[str]:
    stub, sol = tmp_path / "stub.py", tmp_path / "sol.py"
    stub.write_text(STUB)
    sol.write_text(solution)
    return compare(stub, sol)


def test_identical_api_with_other_bodies_and_private_helpers_passes(tmp_path: Path) -> None:
    solution = STUB.replace('"""The stub\'s module docstring."""', '"""Cites a paper."""')
    solution = solution.replace("raise NotImplementedError", "return _helper(x)")
    solution += "\n\ndef _helper(x):\n    return x\n"
    assert _pair(tmp_path, solution) == []


def test_changed_default_is_reported(tmp_path: Path) -> None:
    problems = _pair(tmp_path, STUB.replace("axis: int = -1", "axis: int = 0"))
    assert len(problems) == 1 and "softmax: signatures differ" in problems[0]


def test_changed_docstring_is_reported(tmp_path: Path) -> None:
    problems = _pair(tmp_path, STUB.replace('"""Fit."""', '"""Fit the model."""'))
    assert problems == ["Model.fit: docstrings differ between stub and solution"]


def test_missing_and_extra_public_names_are_reported(tmp_path: Path) -> None:
    solution = STUB.replace("LIMIT = 3", "") + "\n\ndef extra() -> None:\n    pass\n"
    problems = _pair(tmp_path, solution)
    assert "constant LIMIT is in the stub but not in the solution" in problems
    assert "function extra is in the solution but not in the stub" in problems


def test_method_signature_and_base_class_are_compared(tmp_path: Path) -> None:
    assert _pair(tmp_path, STUB.replace("def __init__(self, n: int)", "def __init__(self, m: int)"))
    assert _pair(tmp_path, STUB.replace("class Model:", "class Model(object):"))


def test_syntax_error_is_reported_not_raised(tmp_path: Path) -> None:
    problems = _pair(tmp_path, "def broken(:\n")
    assert len(problems) == 1 and "cannot parse sol.py:1" in problems[0]
