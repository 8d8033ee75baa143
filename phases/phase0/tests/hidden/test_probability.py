"""Hidden grading tests for phase0.probability.

Oracles: torch in float64 (torch.softmax / log_softmax / logsumexp, F.cross_entropy, F.kl_div,
torch.distributions.Categorical.entropy and kl_divergence), closed forms (a fair coin has
1 bit, uniform logits give log C) and invariants (shift invariance, sums to one, KL(p, p) = 0).
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Categorical, kl_divergence

from phase0 import probability
from shared import assert_close, expect_value_error, rng

TOL = {"atol": 1e-12, "rtol": 1e-10}


def t(x):
    return torch.from_numpy(np.asarray(x, dtype=np.float64))


def random_probs(shape, seed, zeros=False):
    g = rng(seed)
    p = g.random(shape) + 0.05
    if zeros:
        p[g.random(shape) < 0.3] = 0.0
        p[..., 0] += 0.1  # every slice keeps some mass
    return p / p.sum(axis=-1, keepdims=True)


# --- softmax ---------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2])
def test_softmax_matches_torch_on_every_axis(axis):
    x = rng(10).standard_normal((2, 3, 4)) * 3
    got = probability.softmax(x, axis=axis)
    assert_close(got, torch.softmax(t(x), dim=axis), **TOL,
                 what=f"softmax(x, axis={axis}) for x of shape (2, 3, 4)",
                 oracle="torch.softmax in float64",
                 hint="take the max and the sum along `axis` with keepdims=True so they "
                      "broadcast back over that axis only.")


def test_softmax_is_positive_and_sums_to_one():
    x = rng(11).standard_normal((5, 6)) * 10
    got = np.asarray(probability.softmax(x, axis=0))
    assert np.all(got >= 0), "softmax returned negative probabilities."
    assert_close(got.sum(axis=0), np.ones(6), atol=1e-12,
                 what="the sums of softmax(x, axis=0) along axis 0", oracle="1 per column",
                 hint="normalise along the same axis you exponentiate over.")


def test_softmax_is_shift_invariant():
    x = rng(12).standard_normal((4, 5))
    shift = rng(13).standard_normal((4, 1)) * 50
    assert_close(probability.softmax(x + shift), probability.softmax(x), **TOL,
                 what="softmax(x + c) against softmax(x) for a per-row constant c",
                 oracle="shift invariance of softmax",
                 hint="subtracting a per-row constant must not change the result.")


@pytest.mark.parametrize("scale, offset", [(1000.0, 0.0), (1.0, 1000.0), (1.0, -1000.0),
                                           (1e4, 0.0)])
def test_softmax_is_stable_for_huge_logits(scale, offset):
    x = rng(14).standard_normal((3, 5)) * scale + offset
    with np.errstate(all="ignore"):
        got = probability.softmax(x)
    assert_close(got, torch.softmax(t(x), dim=-1), **TOL,
                 what=f"softmax(x * {scale:g} + {offset:g})", oracle="torch.softmax in float64",
                 hint="subtract the max of each slice before exp: exp(1000) = inf and "
                      "exp(-1000) = 0 both give nan otherwise.")


def test_softmax_subtracts_the_max_of_each_slice_not_the_global_max():
    x = rng(15).standard_normal((3, 4))
    x[1] -= 2000.0  # far below row 0: with the global max, its exps all underflow to 0
    x[2] += 2000.0
    with np.errstate(all="ignore"):
        got = probability.softmax(x, axis=1)
    assert_close(got, torch.softmax(t(x), dim=1), **TOL,
                 what="softmax(x, axis=1) with rows offset by 0, -2000 and +2000",
                 oracle="torch.softmax in float64",
                 hint="subtract each row's OWN max (max along `axis`, keepdims=True), not the "
                      "maximum of the whole array.")


@pytest.mark.parametrize("temperature", [0.5, 2.0, 7.3])
def test_softmax_temperature_divides_the_logits(temperature):
    x = rng(16).standard_normal((4, 6)) * 2
    got = probability.softmax(x, temperature=temperature)
    assert_close(got, torch.softmax(t(x) / temperature, dim=-1), **TOL,
                 what=f"softmax(x, temperature={temperature})",
                 oracle="torch.softmax(x / T) in float64",
                 hint="divide the logits by T (T > 1 flattens), do not multiply.")


def test_softmax_low_temperature_gives_one_hot_argmax():
    g = rng(17)
    x = np.stack([g.permutation(8) * 0.1 for _ in range(5)]) + g.standard_normal((5, 1))
    with np.errstate(all="ignore"):
        got = probability.softmax(x, temperature=1e-6)
    one_hot = np.eye(8)[np.argmax(x, axis=1)]
    assert_close(got, one_hot, atol=1e-12, rtol=0,
                 what="softmax(x, temperature=1e-6) for logits 0.1 apart",
                 oracle="the one-hot argmax (the T -> 0 limit)",
                 hint="divide by T (do not multiply); x / T reaches 1e6 here, so the max "
                      "subtraction is what keeps exp finite.")


def test_softmax_high_temperature_gives_uniform():
    """Softmax at a high temperature gives a near-uniform distribution."""
    x = rng(18).standard_normal((3, 5)) * 10
    got = probability.softmax(x, temperature=1e9)
    assert_close(got, np.full((3, 5), 0.2), atol=1e-7, rtol=0,
                 what="softmax(x, temperature=1e9)", oracle="the uniform distribution (T -> inf)",
                 hint="divide the logits by T: large T flattens the distribution.")


def test_softmax_gives_zero_probability_to_minus_inf():
    x = np.array([[1.0, -np.inf, 2.0, 0.5], [-np.inf, -np.inf, 3.0, -np.inf]])
    got = probability.softmax(x)
    assert_close(got, torch.softmax(t(x), dim=-1), **TOL,
                 what="softmax of logits with -inf (masked) entries",
                 oracle="torch.softmax in float64", hint="exp(-inf - max) = 0.")


@pytest.mark.parametrize("temperature", [0.0, -1.0])
def test_softmax_rejects_non_positive_temperature(temperature):
    expect_value_error(lambda: probability.softmax(np.ones(3), temperature=temperature),
                       f"softmax(x, temperature={temperature})", "check that T > 0.")


def test_softmax_does_not_modify_input():
    x = rng(19).standard_normal((3, 4))
    before = x.copy()
    probability.softmax(x)
    probability.log_softmax(x)
    probability.logsumexp(x)
    assert np.array_equal(x, before), (
        "softmax / log_softmax / logsumexp modified their input x. Hint: `x -= x.max()` works "
        "in place on the caller's array; write `z = x - x.max(...)` instead.")


# --- log_softmax and logsumexp ---------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_log_softmax_matches_torch(axis):
    x = rng(20).standard_normal((3, 4, 5)) * 3
    got = probability.log_softmax(x, axis=axis)
    assert_close(got, torch.log_softmax(t(x), dim=axis), **TOL,
                 what=f"log_softmax(x, axis={axis}) for x of shape (3, 4, 5)",
                 oracle="torch.log_softmax in float64",
                 hint="x - logsumexp(x) along `axis`, kept as a size-1 axis to broadcast.")


def test_log_softmax_is_finite_for_far_apart_logits():
    x = np.array([[0.0, 1000.0, -1000.0], [5.0, -3.0, 2000.0]])
    with np.errstate(all="ignore"):
        got = probability.log_softmax(x)
    assert_close(got, torch.log_softmax(t(x), dim=-1), **TOL,
                 what="log_softmax of logits 1000 apart", oracle="torch.log_softmax in float64",
                 hint="np.log(softmax(x)) gives log(0) = -inf where softmax underflows; compute "
                      "x - logsumexp(x) instead.")


def test_log_softmax_exponentiates_to_softmax():
    x = rng(21).standard_normal((4, 6))
    assert_close(np.exp(probability.log_softmax(x, axis=0)), probability.softmax(x, axis=0),
                 **TOL, what="exp(log_softmax(x, axis=0))", oracle="softmax(x, axis=0)")


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_logsumexp_matches_torch(axis):
    x = rng(22).standard_normal((3, 4, 5)) * 3
    got = probability.logsumexp(x, axis=axis)
    assert_close(got, torch.logsumexp(t(x), dim=axis), **TOL,
                 what=f"logsumexp(x, axis={axis}) for x of shape (3, 4, 5)",
                 oracle="torch.logsumexp in float64",
                 hint="the result drops `axis`: shape (3, 4, 5) reduced over it.")


@pytest.mark.parametrize("scale, offset", [(1000.0, 0.0), (1.0, 1000.0), (1.0, -1000.0)])
def test_logsumexp_is_stable(scale, offset):
    x = rng(23).standard_normal((2, 6)) * scale + offset
    with np.errstate(all="ignore"):
        got = probability.logsumexp(x)
    assert_close(got, torch.logsumexp(t(x), dim=-1), **TOL,
                 what=f"logsumexp(x * {scale:g} + {offset:g})", oracle="torch.logsumexp in float64",
                 hint="m + log(sum(exp(x - m))) with m the max of each slice.")


def test_logsumexp_of_vector_and_minus_inf_entries():
    """Logsumexp handles a plain vector and entries of minus infinity."""
    x = np.array([-np.inf, 0.0, np.log(3.0), -np.inf])
    got = probability.logsumexp(x)
    assert_close(np.asarray(got).reshape(()), np.log(4.0), **TOL,
                 what="logsumexp([-inf, 0, log 3, -inf])", oracle="the closed form log(1 + 3)",
                 hint="-inf entries contribute exp(-inf) = 0.")


# --- cross-entropy and perplexity ------------------------------------------------------------


@pytest.mark.parametrize("n, c", [(1, 3), (7, 5), (5, 12)])
def test_cross_entropy_matches_torch(n, c):
    g = rng(30 + n)
    logits, targets = g.standard_normal((n, c)) * 2, g.integers(0, c, n)
    got = probability.cross_entropy(logits, targets)
    expected = F.cross_entropy(t(logits), torch.from_numpy(targets)).item()
    assert isinstance(got, float), f"cross_entropy should return a Python float, got {type(got)}."
    assert_close(got, expected, **TOL, what=f"cross_entropy(logits ({n}, {c}), targets ({n},))",
                 oracle="torch.nn.functional.cross_entropy (reduction='mean')",
                 hint="-log_softmax(logits, axis=1)[n, targets[n]], averaged over n.")


def test_cross_entropy_is_mean_not_sum():
    g = rng(33)
    logits, targets = g.standard_normal((4, 3)), g.integers(0, 3, 4)
    once = probability.cross_entropy(logits, targets)
    twice = probability.cross_entropy(np.vstack([logits, logits]), np.concatenate([targets] * 2))
    assert_close(twice, once, **TOL, what="cross_entropy of the same batch stacked twice",
                 oracle="cross_entropy of the batch once (a mean does not grow with N)",
                 hint="average over the N examples, do not sum.")


def test_cross_entropy_is_stable_for_huge_logits():
    g = rng(34)
    logits, targets = g.standard_normal((5, 4)) * 1000, g.integers(0, 4, 5)
    with np.errstate(all="ignore"):
        got = probability.cross_entropy(logits, targets)
    expected = F.cross_entropy(t(logits), torch.from_numpy(targets)).item()
    assert_close(got, expected, atol=1e-9, rtol=1e-10, what="cross_entropy(logits * 1000)",
                 oracle="torch.nn.functional.cross_entropy",
                 hint="log(softmax) is -inf where softmax underflows: use log_softmax.")


def test_cross_entropy_of_uniform_logits_is_log_c():
    got = probability.cross_entropy(np.full((3, 10), 2.5), np.array([0, 4, 9]))
    assert_close(got, math.log(10), **TOL, what="cross_entropy of equal logits over 10 classes",
                 oracle="the closed form log(10) nats",
                 hint="natural log: the loss is in nats.")


@pytest.mark.parametrize("bad", ["negative", "too-large", "wrong-length", "logits-1d"])
def test_cross_entropy_rejects_bad_targets(bad):
    logits = rng(35).standard_normal((3, 4))
    targets = {"negative": np.array([0, -1, 2]), "too-large": np.array([0, 4, 2]),
               "wrong-length": np.array([0, 1]), "logits-1d": np.array([1])}[bad]
    if bad == "logits-1d":
        logits = logits[0]
    expect_value_error(lambda: probability.cross_entropy(logits, targets),
                       f"cross_entropy with bad inputs ({bad})",
                       "check logits is (N, C), targets is (N,) and every target is in [0, C); "
                       "NumPy indexing would silently read index -1 as the last class.")


def test_perplexity_is_exp_of_nats():
    """Perplexity is the exponential of the cross entropy in nats."""
    for v in [1.0, 7.0, 50257.0]:
        assert_close(probability.perplexity(math.log(v)), v, rtol=1e-12, atol=0,
                     what=f"perplexity(log({v:g}))", oracle=f"the closed form {v:g}",
                     hint="perplexity = exp(mean NLL in nats), not 2 ** NLL.")
    assert_close(probability.perplexity(0.0), 1.0, what="perplexity(0)", oracle="1")


def test_perplexity_of_uniform_model_is_vocabulary_size():
    ce = F.cross_entropy(torch.zeros(4, 13, dtype=torch.float64), torch.tensor([0, 3, 7, 12]))
    assert_close(probability.perplexity(ce.item()), 13.0, rtol=1e-12, atol=0,
                 what="perplexity of a uniform model over 13 classes",
                 oracle="exp(torch cross_entropy) = 13",
                 hint="exp of the mean NLL in nats; 2 ** x would need the NLL in bits.")


# --- entropy and KL --------------------------------------------------------------------------


def test_entropy_matches_torch_categorical():
    p = random_probs((5, 7), seed=40)
    got = probability.entropy(p)
    assert_close(got, Categorical(probs=t(p)).entropy(), **TOL,
                 what="entropy(p) for 5 distributions over 7 classes (shape (5, 7))",
                 oracle="torch.distributions.Categorical.entropy (nats)",
                 hint="sum -p log p over the LAST axis; the default log is natural.")
    one = probability.entropy(p[2])
    assert_close(np.asarray(one).reshape(()), Categorical(probs=t(p[2])).entropy(), **TOL,
                 what="entropy of a single distribution (shape (7,))",
                 oracle="torch.distributions.Categorical.entropy")


def test_entropy_with_zero_probabilities_is_finite():
    p = random_probs((4, 6), seed=41, zeros=True)
    assert (p == 0).any()
    with np.errstate(all="ignore"):
        got = probability.entropy(p)
    assert_close(got, Categorical(probs=t(p)).entropy(), **TOL,
                 what="entropy(p) where some p_i = 0",
                 oracle="torch.distributions.Categorical.entropy (0 log 0 = 0)",
                 hint="0 * log(0) is 0 * -inf = nan in floating point: leave out the zero "
                      "entries (np.where or a mask).")


@pytest.mark.parametrize("base, p, expected", [
    (2, [0.25] * 4, 2.0), (2, [0.125] * 8, 3.0), (10, [0.1] * 10, 1.0), (math.e, [0.5, 0.5],
                                                                         math.log(2)),
])
def test_entropy_base_argument(base, p, expected):
    """Entropy uses the logarithm base it is given."""
    got = probability.entropy(np.array(p), base=base)
    assert_close(np.asarray(got).reshape(()), expected, **TOL,
                 what=f"entropy of the uniform distribution over {len(p)} outcomes, base={base}",
                 oracle=f"the closed form log_{base}({len(p)})",
                 hint="H in base b is H in nats divided by log(b).")


def test_entropy_in_bits_is_nats_over_log_2():
    p = random_probs((3, 5), seed=42)
    assert_close(probability.entropy(p, base=2), Categorical(probs=t(p)).entropy() / math.log(2),
                 **TOL, what="entropy(p, base=2)", oracle="torch Categorical entropy / log(2)",
                 hint="bits = nats / ln 2.")


def test_entropy_of_one_hot_is_zero():
    with np.errstate(all="ignore"):
        got = probability.entropy(np.eye(4))
    assert_close(got, np.zeros(4), atol=1e-15, what="entropy of one-hot distributions",
                 oracle="0 (a certain outcome carries no information)",
                 hint="terms with p_i = 0 contribute 0, not nan.")


def test_kl_matches_torch():
    p, q = random_probs((4, 6), seed=43), random_probs((4, 6), seed=44)
    got = probability.kl_divergence(p, q)
    expected = kl_divergence(Categorical(probs=t(p)), Categorical(probs=t(q)))
    assert_close(got, expected, **TOL, what="kl_divergence(p, q) for 4 pairs over 6 classes",
                 oracle="torch.distributions.kl_divergence(Categorical(p), Categorical(q))",
                 hint="sum p log(p / q) over the last axis; p is the weight and comes first.")
    one = probability.kl_divergence(p[1], q[1])
    kl_div = F.kl_div(t(q[1]).log(), t(p[1]), reduction="sum")
    assert_close(np.asarray(one).reshape(()), kl_div, **TOL,
                 what="kl_divergence(p, q) for one pair",
                 oracle="F.kl_div(log q, p, reduction='sum')")


def test_kl_of_distribution_with_itself_is_zero():
    p = random_probs((3, 5), seed=45, zeros=True)
    with np.errstate(all="ignore"):
        got = probability.kl_divergence(p, p)
    assert_close(got, np.zeros(3), atol=1e-14, what="kl_divergence(p, p)", oracle="0",
                 hint="log(p / p) = 0; entries with p = 0 contribute 0, not nan.")


def test_kl_is_not_symmetric():
    p, q = np.array([0.9, 0.1]), np.array([0.5, 0.5])
    forward = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5)  # 0.368
    backward = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)  # 0.511
    assert_close(np.asarray(probability.kl_divergence(p, q)).reshape(()), forward, **TOL,
                 what="kl_divergence(p=[0.9, 0.1], q=[0.5, 0.5])",
                 oracle="the closed form 0.9 ln(0.9/0.5) + 0.1 ln(0.1/0.5) = 0.368",
                 hint="KL(p || q) = sum p log(p / q): weights from p, p on top. "
                      "Swapped arguments give 0.511.")
    assert_close(np.asarray(probability.kl_divergence(q, p)).reshape(()), backward, **TOL,
                 what="kl_divergence(p=[0.5, 0.5], q=[0.9, 0.1])",
                 oracle="the closed form = 0.511")


def test_kl_with_zeros_in_p_uses_zero_log_zero():
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.25, 0.5])
    with np.errstate(all="ignore"):
        got = probability.kl_divergence(p, q)
    assert_close(np.asarray(got).reshape(()), math.log(2), **TOL,
                 what="kl_divergence([0.5, 0.5, 0], [0.25, 0.25, 0.5])",
                 oracle="the closed form ln 2 (the p = 0 term is 0)",
                 hint="0 * log(0 / q) is nan in floating point; skip terms with p_i = 0.")
    p2, q2 = np.array([0.5, 0.5, 0.0]), np.array([0.5, 0.5, 0.0])
    with np.errstate(all="ignore"):
        got = probability.kl_divergence(p2, q2)
    assert_close(np.asarray(got).reshape(()), 0.0, atol=1e-15,
                 what="kl_divergence when p_i = q_i = 0", oracle="0 (0 log 0/0 = 0)")


def test_kl_is_infinite_when_q_is_zero_where_p_is_not():
    p, q = random_probs((2, 4), seed=46), random_probs((2, 4), seed=47)
    q[1, 2] = 0.0
    q[1] /= q[1].sum()
    with np.errstate(all="ignore"):
        got = probability.kl_divergence(p, q)
    expected = kl_divergence(Categorical(probs=t(p)), Categorical(probs=t(q)))
    assert_close(got, expected, **TOL, what="kl_divergence(p, q) with q = 0 where p > 0 (row 1)",
                 oracle="torch.distributions.kl_divergence (+inf)",
                 hint="p log(p / 0) = +inf: q cannot explain an outcome that p allows.")


def test_kl_is_non_negative():
    p, q = random_probs((50, 4), seed=48), random_probs((50, 4), seed=49)
    got = np.asarray(probability.kl_divergence(p, q))
    assert got.shape == (50,) and np.all(got >= -1e-15), (
        f"kl_divergence of 50 random pairs should be 50 values >= 0 (Gibbs' inequality); got "
        f"shape {got.shape}, min {got.min():.3g}. Hint: sum p log(p / q) over the last axis.")


def test_kl_rejects_mismatched_shapes():
    expect_value_error(lambda: probability.kl_divergence(np.full(3, 1 / 3), np.full(4, 0.25)),
                       "kl_divergence of shapes (3,) and (4,)", "check p.shape == q.shape.")
    expect_value_error(
        lambda: probability.kl_divergence(np.full((2, 3), 1 / 3), np.full(3, 1 / 3)),
        "kl_divergence of shapes (2, 3) and (3,)",
        "do not let broadcasting pair up distributions silently: require equal shapes.")
