"""assert_close / assert_equal: what passes, and what a failure message says.

The oracles are NumPy computations written here (error sizes, argmax positions) and
hand-picked numbers.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

from shared.compare import DEFAULT_TOLERANCES, assert_close, assert_equal, describe, to_numpy


def failure(got: object, expected: object, **kwargs: object) -> str:
    """The message of the AssertionError that assert_close raises (the test fails if none)."""
    with pytest.raises(AssertionError) as info:
        assert_close(got, expected, **kwargs)
    return str(info.value)


# --- what passes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("got", "expected"),
    [
        (np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3)),
        (torch.arange(6.0).reshape(2, 3), np.arange(6.0, dtype=np.float32).reshape(2, 3)),
        (np.arange(6.0), torch.arange(6.0, dtype=torch.float64)),
        (torch.tensor(2.5, requires_grad=True) * 1, 2.5),
        (3, 3),
        (1.5, np.float64(1.5)),
        ([[1.0, 2.0], [3.0, 4.0]], np.array([[1.0, 2.0], [3.0, 4.0]])),
        (np.array([True, False]), [True, False]),
        (np.zeros((0, 3)), np.zeros((0, 3))),
    ],
    ids=["arrays", "tensor-vs-array", "array-vs-tensor", "scalar-tensor-vs-float", "ints",
         "float-vs-numpy-scalar", "nested-list", "bools", "empty"],
)
def test_equal_values_pass(got: object, expected: object) -> None:
    assert_close(got, expected)


def test_differences_within_tolerance_pass() -> None:
    expected = np.linspace(-3, 3, 50)
    assert_close(expected + 1e-9, expected, rtol=0, atol=1e-8)
    assert_close(expected * (1 + 1e-4), expected, rtol=1e-3, atol=0)


def test_same_signed_infinities_pass_and_equal_nan_is_opt_in() -> None:
    values = np.array([np.inf, -np.inf, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # inf - inf must not leak a RuntimeWarning
        assert_close(values, values.copy())
    with_nan = np.array([np.nan, 1.0])
    assert_close(with_nan, with_nan.copy(), equal_nan=True)
    msg = failure(with_nan, with_nan.copy())
    assert "NaN != NaN unless equal_nan=True" in msg
    msg = failure(np.array([5.0, 1.0]), with_nan, equal_nan=True)  # NaN expected, 5.0 got
    assert "expected nan, got 5.0" in msg


# --- what a failure says -------------------------------------------------------------------


def test_shape_mismatch_names_both_shapes() -> None:
    msg = failure(np.zeros((2, 3)), np.zeros((3, 2)))
    assert "Shape: expected (3, 2), got (2, 3)." in msg


def test_dtype_checked_only_when_asked() -> None:
    got, expected = np.zeros(3, np.float32), np.zeros(3, np.float64)
    assert_close(got, expected)
    msg = failure(got, expected, check_dtype=True)
    assert "Dtype: expected float64, got float32." in msg
    msg = failure(torch.zeros(3, dtype=torch.float16), torch.zeros(3), check_dtype=True)
    assert "expected float32, got float16" in msg


def test_largest_error_and_where_it_is() -> None:
    expected = np.zeros((3, 4))
    got = expected.copy()
    got[0, 1], got[1, 2], got[2, 3] = 0.5, -2.0, 0.25
    err = np.abs(got - expected)
    worst = np.unravel_index(np.argmax(err), err.shape)  # the oracle: (1, 2), error 2
    msg = failure(got, expected)
    assert f"Largest error {err.max():.3g} at index {tuple(int(i) for i in worst)}" in msg
    assert "expected 0.0, got -2.0" in msg
    assert f"Mismatched elements: 3 of {got.size} (25.0%)." in msg
    assert "atol=1e-07, rtol=1e-07" in msg


def test_scalar_failure_has_no_index() -> None:
    msg = failure(1.0, 2.0)
    assert "Largest error 1 :" not in msg and "at index" not in msg
    assert "expected 2.0, got 1.0" in msg


def test_nan_and_inf_notes() -> None:
    expected = np.ones(4)
    msg = failure(np.array([1.0, np.nan, 1.0, 1.0]), expected)
    assert "contains NaN where the expected value is finite" in msg
    msg = failure(np.array([1.0, np.inf, 1.0, 1.0]), expected)
    assert "contains inf where the expected value is finite" in msg
    msg = failure(np.array([np.inf]), np.array([-np.inf]))
    assert "expected -inf, got inf" in msg


def test_what_oracle_and_hint_are_in_the_message() -> None:
    msg = failure(
        np.ones(3), np.zeros(3),
        what="softmax(x, axis=1) for x of shape (3,)",
        oracle="torch.softmax in float64",
        hint="subtract the row maximum before exp",
    )
    first_line = msg.splitlines()[0]
    assert first_line == ("softmax(x, axis=1) for x of shape (3,) does not match "
                          "torch.softmax in float64.")
    assert msg.splitlines()[-1] == "Hint: subtract the row maximum before exp"
    assert "Hint:" not in failure(np.ones(3), np.zeros(3))


def test_none_means_a_missing_return() -> None:
    msg = failure(None, np.zeros(2), hint="return it")
    assert "Got None" in msg and "forget to return" in msg and "Hint: return it" in msg


def test_non_numeric_values_are_reported() -> None:
    msg = failure(np.array([{}, {}], dtype=object), np.zeros(2))
    assert "Could not compare" in msg


# --- tolerances ----------------------------------------------------------------------------


def test_integers_are_compared_exactly() -> None:
    assert_close(np.array([1, 2, 3]), [1, 2, 3])
    assert_close(torch.tensor([1, 2, 3]), np.array([1, 2, 3], dtype=np.int32))
    msg = failure(np.array([10**9, 2]), np.array([10**9 + 1, 2]))  # relative error 1e-9
    assert "atol=0, rtol=0" in msg
    with pytest.raises(AssertionError):
        assert_equal([1, 2], [1, 3])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_default_tolerances_follow_the_dtype(dtype: str) -> None:
    rtol, atol = DEFAULT_TOLERANCES[dtype]
    base = np.float64(1.0)
    inside = base + 0.5 * (atol + rtol * base)  # the oracle: half the allowed error
    outside = base + 2.0 * (atol + rtol * base)
    tdtype = getattr(torch, dtype)
    expected = torch.tensor([base], dtype=torch.float64).to(tdtype)
    # Build the values in float64 and compare them as float64 arrays against a tensor of the
    # dtype under test: the tolerance is the looser of the two dtypes', here `dtype`'s.
    assert_close(np.array([inside]), expected)
    msg = failure(np.array([outside]), expected)
    assert f"atol={atol:g}, rtol={rtol:g}" in msg


def test_float32_result_against_float64_oracle_uses_float32_tolerance() -> None:
    x = torch.linspace(-4, 4, 1001, dtype=torch.float64)
    assert_close(x.float().exp(), x.exp())  # float32 rounding, ~6e-8 relative
    with pytest.raises(AssertionError):
        assert_close(x.exp() * (1 + 1e-6), x.exp())  # both float64: 1e-6 is too much


def test_explicit_tolerances_override_the_defaults() -> None:
    assert_close(np.array([1.1]), np.array([1.0]), atol=0.2, rtol=0)
    msg = failure(np.array([1.1]), np.array([1.0]), atol=0.01, rtol=0)
    assert "atol=0.01, rtol=0" in msg


def test_assert_equal_is_exact_for_floats() -> None:
    assert_equal(np.array([0.5, 1.5]), [0.5, 1.5])
    with pytest.raises(AssertionError, match="does not match"):
        assert_equal(np.array([1.0 + 1e-12]), np.array([1.0]))


def test_complex_values() -> None:
    z = np.array([1 + 2j, 3 - 1j])
    assert_close(torch.tensor(z), z)
    assert_close(torch.tensor(z).conj(), np.conj(z))  # a lazily conjugated tensor
    failure(z + 1e-3j, z)


# --- helpers -------------------------------------------------------------------------------


def test_to_numpy_and_describe() -> None:
    t = torch.tensor([[1.0, 2.0]], requires_grad=True)
    np.testing.assert_array_equal(to_numpy(t * 2), np.array([[2.0, 4.0]], dtype=np.float32))
    bf = to_numpy(torch.tensor([1.5], dtype=torch.bfloat16))
    assert bf.dtype == np.float32 and bf[0] == 1.5
    assert to_numpy([1, 2]).tolist() == [1, 2]
    assert describe(t) == "tensor of shape (1, 2) and dtype float32"
    assert describe(np.zeros((2,), np.int16)) == "ndarray of shape (2,) and dtype int16"
    assert re.fullmatch(r"float of shape \(\) and dtype float64", describe(1.0))


def test_expect_value_error_passes_only_on_value_error_and_lets_stubs_through():
    from shared import expect_value_error

    def raises(exc):
        def call():
            raise exc
        return call

    expect_value_error(raises(ValueError("bad shape")), "f(bad)", "check shapes")
    with pytest.raises(AssertionError, match="returned 3"):
        expect_value_error(lambda: 3, "f(bad)", "check shapes")
    with pytest.raises(AssertionError, match="raised IndexError"):
        expect_value_error(raises(IndexError("deep")), "f(bad)", "check shapes")
    with pytest.raises(NotImplementedError):
        expect_value_error(raises(NotImplementedError("stub")), "f(bad)", "check shapes")
