"""forbidden(): each kind of name is caught inside the block and only there.

Oracles: softmax written out with exp and sum, checked against torch.softmax outside the
block; NumPy's own inverse outside the block.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.nn.functional import softmax as imported_softmax

from shared.compare import assert_close
from shared.forbid import ForbiddenCallError, forbidden

BY = "phase1.activations.softmax"
ALL_SOFTMAX = ("torch.softmax", "torch.Tensor.softmax", "torch.nn.functional.softmax",
               "torch.special.softmax")


def x() -> torch.Tensor:
    return torch.linspace(-2.0, 2.0, 12, dtype=torch.float64).reshape(3, 4)


def by_hand_softmax(t: torch.Tensor) -> torch.Tensor:
    """What a learner might write: basic operations only."""
    e = torch.exp(t - t.max(dim=1, keepdim=True).values)
    return e / e.sum(dim=1, keepdim=True)


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("torch.softmax", lambda t: torch.softmax(t, 1)),
        ("torch.Tensor.softmax", lambda t: t.softmax(1)),
        ("torch.nn.functional.softmax", lambda t: F.softmax(t, dim=1)),
        ("torch.nn.functional.softmax", lambda t: imported_softmax(t, dim=1)),
        ("torch.special.softmax", lambda t: torch.special.softmax(t, 1)),
        ("torch.nn.functional.gelu", lambda t: F.gelu(t)),
        ("torch.Tensor.exp", lambda t: t.exp()),
    ],
    ids=["torch-function", "tensor-method", "functional", "functional-imported-before",
         "special-alias", "gelu", "tensor-exp"],
)
def test_torch_names_are_caught(name: str, call) -> None:  # noqa: ANN001
    with pytest.raises(ForbiddenCallError) as info, forbidden(name, by=BY):
        call(x())
    assert str(info.value).startswith(f"{BY} must not call {name}:")


def test_each_public_path_needs_its_own_name() -> None:
    # Forbidding torch.softmax leaves the method (a different function) allowed: list them all.
    with forbidden("torch.softmax", by=BY):
        x().softmax(1)
    with forbidden(*ALL_SOFTMAX, by=BY):
        for call in (lambda t: torch.softmax(t, 1), lambda t: t.softmax(1),
                     lambda t: F.softmax(t, 1), lambda t: torch.special.softmax(t, 1)):
            with pytest.raises(ForbiddenCallError):
                call(x())


@pytest.mark.parametrize("name", ["aten._softmax", "torch.ops.aten._softmax",
                                  "aten._softmax.default"])
def test_aten_op_catches_the_private_path(name: str) -> None:
    with pytest.raises(ForbiddenCallError, match=BY), forbidden(name, by=BY):
        torch._softmax(x(), 1, False)
    with pytest.raises(ForbiddenCallError), forbidden(name, by=BY):
        F.softmax(x(), dim=1)  # the public path reaches the same operator


def test_aten_other_ops_still_work() -> None:
    with forbidden("aten._softmax", by=BY):
        got = by_hand_softmax(x())
    assert_close(got, torch.softmax(x(), 1), oracle="torch.softmax outside the block")


@pytest.mark.parametrize("name", ["numpy.linalg.inv", "np.linalg.inv"])
def test_numpy_attribute(name: str) -> None:
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    original = np.linalg.inv
    with pytest.raises(ForbiddenCallError) as info, forbidden(name, by="phase0.linalg.inverse"):
        np.linalg.inv(a)
    assert "phase0.linalg.inverse must not call" in str(info.value) and name in str(info.value)
    assert np.linalg.inv is original
    np.testing.assert_allclose(np.linalg.inv(a) @ a, np.eye(2), atol=1e-12)


def test_allowed_code_runs_inside_and_the_oracle_outside() -> None:
    with forbidden(*ALL_SOFTMAX, "aten._softmax", "numpy.exp", by=BY):
        got = by_hand_softmax(x())
    expected = torch.softmax(x(), 1)
    assert_close(got, expected, oracle="torch.softmax")
    assert_close(np.exp(np.zeros(2)), np.ones(2))


def test_everything_is_restored_after_an_exception() -> None:
    original = np.linalg.det
    with pytest.raises(RuntimeError, match="learner bug"), \
            forbidden(*ALL_SOFTMAX, "aten._softmax", "numpy.linalg.det", by=BY):
        raise RuntimeError("learner bug")
    assert np.linalg.det is original
    torch.softmax(x(), 1)
    x().softmax(1)
    torch._softmax(x(), 1, False)
    with pytest.raises(ForbiddenCallError), forbidden("numpy.linalg.det", by=BY):
        np.linalg.det(np.eye(2))
    assert np.linalg.det is original


def test_forbidden_call_error_is_an_assertion_error() -> None:
    # So pytest reports it as a failed check, not as a crash of the test.
    assert issubclass(ForbiddenCallError, AssertionError)


@pytest.mark.parametrize(
    "name",
    ["F.softmax", "softmax", "torch.no_such_function", "torch.Tensor.no_such_method",
     "numpy.no_such_function", "numpy.linalg.no_such_function", "aten.no_such_op",
     "aten._softmax.no_such_overload"],
)
def test_bad_names_are_rejected(name: str) -> None:
    with pytest.raises(ValueError, match=r"forbidden\(\)"), forbidden(name, by=BY):
        pass


def test_a_bad_name_leaves_nothing_patched() -> None:
    original = np.linalg.inv
    with pytest.raises(ValueError), forbidden("numpy.linalg.inv", "numpy.nope", by=BY):
        pass
    assert np.linalg.inv is original


def test_python_level_torch_functions_and_classes_are_forbidden_too():
    # clip_grad_norm_ and optimizer classes never reach __torch_function__; the attribute
    # stand-in catches a call through the module.
    p = torch.nn.Parameter(torch.ones(3))
    p.grad = torch.ones(3)
    with forbidden("torch.nn.utils.clip_grad_norm_", "torch.optim.Adam", by="phase1.x"):
        with pytest.raises(ForbiddenCallError, match="torch.nn.utils.clip_grad_norm_"):
            torch.nn.utils.clip_grad_norm_([p], 1.0)
        with pytest.raises(ForbiddenCallError, match="torch.optim.Adam"):
            torch.optim.Adam([p])
    assert torch.nn.utils.clip_grad_norm_([p], 1.0) > 0  # restored after the block
    torch.optim.Adam([p])


def test_a_function_imported_before_the_block_is_still_caught_by_the_mode():
    with forbidden("torch.nn.functional.softmax", by="phase1.x"):
        with pytest.raises(ForbiddenCallError):
            imported_softmax(torch.ones(2), dim=0)


def test_a_learner_alias_imported_at_module_level_is_caught_and_restored(monkeypatch):
    """`from numpy.linalg import inv` in the learner's module binds the function early: the
    block replaces that alias too, and puts it back afterwards."""
    import sys
    import types

    learner = types.ModuleType("learnerpkg.linalg")
    exec("from numpy.linalg import inv\nfrom numpy import exp as e\n"
         "def inverse(a):\n    return inv(a)\n", learner.__dict__)
    monkeypatch.setitem(sys.modules, "learnerpkg.linalg", learner)
    with forbidden("numpy.linalg.inv", "numpy.exp", by="learnerpkg.linalg.inverse"):
        with pytest.raises(ForbiddenCallError, match="numpy.linalg.inv"):
            learner.inverse(np.eye(2))
        with pytest.raises(ForbiddenCallError, match="numpy.exp"):
            learner.e(1.0)
    assert learner.inv is np.linalg.inv and learner.e is np.exp
    assert_close(learner.inverse(2 * np.eye(2)), 0.5 * np.eye(2), what="inverse after the block")
