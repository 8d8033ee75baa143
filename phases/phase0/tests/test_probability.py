"""Public smoke tests for phase0.probability (the grader also runs hidden/test_probability.py)."""

import numpy as np
import torch
import torch.nn.functional as F

from phase0 import probability
from shared import assert_close, rng


def test_softmax_matches_torch():
    x = rng(0).standard_normal((4, 7))
    got = probability.softmax(x)
    expected = torch.softmax(torch.from_numpy(x), dim=-1)
    assert_close(got, expected, atol=1e-12, rtol=1e-10,
                 what="softmax(x) for x of shape (4, 7)", oracle="torch.softmax in float64",
                 hint="exp of each entry divided by the sum of exps along the LAST axis.")


def test_softmax_is_stable_for_huge_logits():
    x = rng(1).standard_normal((3, 5))
    for name, big in [("x * 1000", x * 1000), ("x + 1000", x + 1000)]:
        with np.errstate(all="ignore"):
            got = probability.softmax(big)
        expected = torch.softmax(torch.from_numpy(big), dim=-1)
        assert_close(got, expected, atol=1e-12, rtol=1e-10,
                     what=f"softmax({name}) for x of shape (3, 5)",
                     oracle="torch.softmax in float64",
                     hint="exp(1000) overflows to inf and inf / inf is nan: subtract the max of "
                          "each row before exp (softmax does not change under a shift).")


def test_cross_entropy_matches_torch():
    g = rng(2)
    logits, targets = g.standard_normal((6, 4)), g.integers(0, 4, 6)
    got = probability.cross_entropy(logits, targets)
    expected = F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(targets)).item()
    assert_close(got, expected, atol=1e-12, rtol=1e-10,
                 what="cross_entropy(logits (6, 4), targets (6,))",
                 oracle="torch.nn.functional.cross_entropy (mean, nats)",
                 hint="average -log_softmax(logits)[n, targets[n]] over the N rows.")


def test_fair_coin_has_one_bit_of_entropy():
    """A fair coin has one bit of entropy."""
    got = probability.entropy(np.array([0.5, 0.5]), base=2)
    assert_close(got, 1.0, atol=1e-12, what="entropy([0.5, 0.5], base=2)",
                 oracle="the closed form: a fair coin carries 1 bit",
                 hint="divide the natural-log entropy by log(base).")
