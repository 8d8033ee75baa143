"""Tolerant comparison that explains itself.

`assert_close(got, expected, ...)` accepts NumPy arrays, torch tensors, Python numbers and
nested lists. When the values differ it raises an AssertionError whose message says what was
checked, where the expectation came from, the shapes and dtypes, the largest error and where
it is, and a hint. It never shows solution code: only numbers.

torch is imported lazily so that phase 0 (NumPy only) and the dashboard stay light.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# torch.testing's defaults, keyed by dtype name (float32: rtol 1.3e-6, atol 1e-5).
DEFAULT_TOLERANCES: dict[str, tuple[float, float]] = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}


def _is_tensor(x: Any) -> bool:
    return type(x).__module__.startswith("torch") and hasattr(x, "detach")


def to_numpy(x: Any) -> np.ndarray:
    """Convert a tensor, array, number or nested list to a NumPy array (no copy of meaning)."""
    if _is_tensor(x):
        x = x.detach().cpu().resolve_conj().resolve_neg()  # numpy() refuses lazy conj/neg views
        if str(x.dtype) == "torch.bfloat16":
            x = x.float()
        return x.numpy()
    return np.asarray(x)


def _dtype_name(x: Any) -> str:
    if _is_tensor(x):
        return str(x.dtype).replace("torch.", "")
    return str(np.asarray(x).dtype)


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(x.shape) if hasattr(x, "shape") else tuple(np.shape(x))


def describe(x: Any) -> str:
    """A one-line summary of a value: its kind, shape and dtype."""
    kind = "tensor" if _is_tensor(x) else type(x).__name__
    return f"{kind} of shape {_shape(x)} and dtype {_dtype_name(x)}"


def assert_close(
    got: Any,
    expected: Any,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    what: str = "the result",
    oracle: str = "the reference value",
    hint: str | None = None,
    check_dtype: bool = False,
    equal_nan: bool = False,
) -> None:
    """Assert that `got` is elementwise close to `expected`.

    Elementwise, |got - expected| <= atol + rtol * |expected|.

    Args:
        got: the learner's value.
        expected: the oracle's value.
        rtol, atol: tolerances; by default torch.testing's, the looser of the two dtypes'.
        what: what was checked, e.g. "softmax(x, axis=1) for x of shape (4, 7)".
        oracle: where the expectation came from, e.g. "torch.softmax in float64".
        hint: a likely cause to suggest when the check fails.
        check_dtype: also require the same dtype.
        equal_nan: treat NaN == NaN as equal.
    """
    lines = [f"{what} does not match {oracle}."]
    if hint:
        hint_line = f"Hint: {hint}"
    else:
        hint_line = None

    def fail(*extra: str) -> None:
        msg = lines + list(extra)
        if hint_line:
            msg.append(hint_line)
        raise AssertionError("\n".join(msg))

    if got is None:
        fail("Got None: did the function forget to return its result?")
    g_shape, e_shape = _shape(got), _shape(expected)
    if g_shape != e_shape:
        fail(f"Shape: expected {e_shape}, got {g_shape}.")
    if check_dtype and _dtype_name(got) != _dtype_name(expected):
        fail(f"Dtype: expected {_dtype_name(expected)}, got {_dtype_name(got)}.")

    g = to_numpy(got)
    e = to_numpy(expected)
    if e.dtype == object or g.dtype == object:
        fail(f"Could not compare {describe(got)} with {describe(expected)} as numbers.")
    if e.dtype.kind in "biu" and g.dtype.kind in "biu" and rtol is None and atol is None:
        rtol, atol = 0.0, 0.0
    # Like torch.testing: the looser of the two dtypes' tolerances, so a float32 result can be
    # checked against a float64 oracle (or a Python float) with float32's tolerances.
    known = [DEFAULT_TOLERANCES[d] for d in (_dtype_name(got), _dtype_name(expected))
             if d in DEFAULT_TOLERANCES] or [(1e-7, 1e-7)]
    default_rtol, default_atol = max(t[0] for t in known), max(t[1] for t in known)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol

    g64 = g.astype(np.complex128 if np.iscomplexobj(g) or np.iscomplexobj(e) else np.float64)
    e64 = e.astype(g64.dtype)
    if g64.size == 0:
        return
    both_nan = np.isnan(g64) & np.isnan(e64) if equal_nan else np.zeros(g64.shape, bool)
    same_inf = np.isinf(e64) & (g64 == e64)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf is handled just below
        err = np.abs(g64 - e64)
    err = np.where(both_nan | same_inf, 0.0, err)
    err = np.where(np.isnan(err), np.inf, err)
    # A NaN expectation must not make the bound NaN (x > NaN is False: everything would pass).
    bad = err > atol + rtol * np.abs(np.where(np.isfinite(e64), e64, 0.0))
    if not bad.any():
        return

    flat = int(np.argmax(np.where(bad, err, -1.0)))
    idx = np.unravel_index(flat, g64.shape) if g64.shape else ()
    where = f" at index {tuple(int(i) for i in idx)}" if idx else ""
    n_bad = int(bad.sum())
    details = [
        f"Mismatched elements: {n_bad} of {bad.size} ({100.0 * n_bad / bad.size:.1f}%).",
        f"Largest error {err[idx].item():.3g}{where}: "
        f"expected {e64[idx].item()!r}, got {g64[idx].item()!r}.",
        f"Tolerance: atol={atol:g}, rtol={rtol:g} (compared as {describe(got)}).",
    ]
    if (bad & np.isnan(g64) & np.isnan(e64)).any():
        details.append("Both have NaN at the same place; NaN != NaN unless equal_nan=True.")
    if np.isnan(g64).any() and not np.isnan(e64).any():
        details.append("Your result contains NaN where the expected value is finite.")
    elif np.isinf(g64).any() and not np.isinf(e64).any():
        details.append("Your result contains inf where the expected value is finite (overflow?).")
    fail(*details)


def assert_equal(got: Any, expected: Any, *, what: str = "the result",
                 oracle: str = "the reference value", hint: str | None = None) -> None:
    """Exact comparison (shapes and values) for integer, boolean and list results."""
    assert_close(got, expected, rtol=0.0, atol=0.0, what=what, oracle=oracle, hint=hint)


def expect_value_error(call: Any, what: str, hint: str) -> None:
    """Run call(); pass if it raises ValueError, fail with a teaching message otherwise.

    A stub's NotImplementedError passes through (the module is not started, not wrong); any
    other exception, or a normal return, is a failure that says what was expected.
    """
    try:
        got = call()
    except ValueError:
        return
    except NotImplementedError:
        raise
    except Exception as err:  # an IndexError deep inside is not the promised ValueError
        raise AssertionError(f"{what} should raise ValueError, but it raised "
                             f"{type(err).__name__}: {err}\nHint: {hint} Check the arguments "
                             "before computing anything.") from err
    raise AssertionError(f"{what} should raise ValueError, but it returned {got!r}.\n"
                         f"Hint: {hint}")
