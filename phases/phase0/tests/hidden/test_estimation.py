"""Hidden grading tests for phase0.estimation.

Oracles: closed forms worked by hand (a medical test, a 2 x 3 joint table, the Beta mode),
torch.distributions.Normal.log_prob, invariants (posteriors sum to 1, sequential updates equal
one batch update, the product rule, the MLE maximises the likelihood, a grid search for the MAP)
and a seeded Kolmogorov-Smirnov test of the CLT whose false-failure rate is below 1e-6.
"""

import math

import numpy as np
import pytest
import torch
from torch.distributions import Normal

from phase0 import estimation
from shared import assert_close, expect_value_error, rng

TOL = {"atol": 1e-12, "rtol": 1e-12}

# A hand-made joint table P(X = i, Y = j): X has 2 values (rows), Y has 3 (columns).
JOINT = np.array([[0.10, 0.20, 0.05],
                  [0.30, 0.15, 0.20]])
P_X = [0.35, 0.65]          # row sums
P_Y = [0.40, 0.35, 0.25]    # column sums
X_GIVEN_Y = [[0.10 / 0.40, 0.20 / 0.35, 0.05 / 0.25],   # columns sum to 1
             [0.30 / 0.40, 0.15 / 0.35, 0.20 / 0.25]]
Y_GIVEN_X = [[0.10 / 0.35, 0.20 / 0.35, 0.05 / 0.35],   # rows sum to 1
             [0.30 / 0.65, 0.15 / 0.65, 0.20 / 0.65]]


def random_joint(shape, seed):
    j = rng(seed).random(shape) + 0.01
    return j / j.sum()


# --- Bayes' rule -----------------------------------------------------------------------------


def test_posterior_sums_to_one_and_follows_bayes_ratios():
    """The posterior sums to one and follows the ratios of Bayes' rule."""
    g = rng(1)
    prior, lik = g.dirichlet(np.ones(6)), g.random(6)
    got = np.asarray(estimation.posterior(prior, lik))
    assert_close(got.sum(), 1.0, atol=1e-12, what="the sum of the posterior", oracle="1",
                 hint="divide prior * likelihood by its sum (the evidence P(data)).")
    # posterior_i / posterior_0 = prior_i lik_i / (prior_0 lik_0), whatever the normaliser
    assert_close(got / got[0], prior * lik / (prior[0] * lik[0]), **TOL,
                 what="posterior ratios post_k / post_0 for 6 hypotheses",
                 oracle="Bayes' rule: ratios of prior * likelihood",
                 hint="the posterior is proportional to prior * likelihood (not prior + "
                      "likelihood, not likelihood alone).")


def test_posterior_with_unnormalised_prior_or_flat_likelihood():
    """The posterior ignores the prior's scale and equals the prior under a flat likelihood."""
    prior = np.array([0.2, 0.5, 0.3])
    lik = np.array([0.3, 0.1, 0.6])
    assert_close(estimation.posterior(10 * prior, lik), estimation.posterior(prior, lik), **TOL,
                 what="posterior with the prior scaled by 10",
                 oracle="posterior with the normalised prior (only ratios matter)",
                 hint="normalise by sum(prior * likelihood), not by sum(likelihood).")
    assert_close(estimation.posterior(prior, np.full(3, 0.25)), prior, **TOL,
                 what="posterior under a likelihood that is equal for every hypothesis",
                 oracle="the prior (uninformative data changes nothing)")


def test_sequential_updates_equal_one_batch_update():
    g = rng(2)
    prior, lik1, lik2 = g.dirichlet(np.ones(5)), g.random(5), g.random(5)
    step = estimation.posterior(estimation.posterior(prior, lik1), lik2)
    batch = estimation.posterior(prior, lik1 * lik2)
    assert_close(step, batch, **TOL, what="posterior(posterior(prior, L1), L2)",
                 oracle="posterior(prior, L1 * L2) (independent observations)",
                 hint="today's posterior is tomorrow's prior; this holds only if each "
                      "posterior is normalised the same way.")


@pytest.mark.parametrize("case", ["length", "2-D", "zero-evidence"])
def test_posterior_raises_on_bad_input(case):
    prior, lik = {
        "length": (np.full(3, 1 / 3), np.ones(4)),
        "2-D": (np.full((2, 2), 0.25), np.ones((2, 2))),
        "zero-evidence": (np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.0, 0.7])),
    }[case]
    expect_value_error(lambda: estimation.posterior(prior, lik), f"posterior ({case})",
                       "check that both are 1-D of the same length, and that the evidence "
                       "sum(prior * likelihood) is not 0 (0 / 0 is nan).")


# --- joint tables ----------------------------------------------------------------------------


def test_marginals_of_a_hand_made_table():
    """Marginals match a hand computation on a small joint table."""
    assert_close(estimation.marginal(JOINT, which=0), P_X, **TOL,
                 what="marginal(joint (2, 3), which=0) = P(X)",
                 oracle="the row sums [0.35, 0.65], by hand",
                 hint="P(X = i) sums joint[i, j] over j, the columns: one value per ROW.")
    assert_close(estimation.marginal(JOINT, which=1), P_Y, **TOL,
                 what="marginal(joint (2, 3), which=1) = P(Y)",
                 oracle="the column sums [0.40, 0.35, 0.25], by hand",
                 hint="P(Y = j) sums joint[i, j] over i: one value per COLUMN.")
    assert_close(estimation.marginal(JOINT), P_X, **TOL,
                 what="marginal(joint) with the default which", oracle="P(X) (which=0)")


def test_conditional_given_y_of_a_hand_made_table():
    """The conditional given y matches a hand computation on a small joint table."""
    got = estimation.conditional(JOINT, given=1)
    assert_close(got, X_GIVEN_Y, **TOL, what="conditional(joint (2, 3), given=1) = P(X | Y)",
                 oracle="joint[i, j] / P(Y = j), worked by hand",
                 hint="given Y, divide each COLUMN by its sum P(Y = j): columns sum to 1.")
    assert_close(estimation.conditional(JOINT), X_GIVEN_Y, **TOL,
                 what="conditional(joint) with the default given", oracle="P(X | Y) (given=1)")


def test_conditional_given_x_of_a_hand_made_table():
    """The conditional given x matches a hand computation on a small joint table."""
    got = estimation.conditional(JOINT, given=0)
    assert_close(got, Y_GIVEN_X, **TOL, what="conditional(joint (2, 3), given=0) = P(Y | X)",
                 oracle="joint[i, j] / P(X = i), worked by hand",
                 hint="given X, divide each ROW by its sum P(X = i): rows sum to 1.")


@pytest.mark.parametrize("given", [0, 1])
def test_conditional_times_marginal_is_the_joint(given):
    joint = random_joint((4, 3), seed=3)
    cond = np.asarray(estimation.conditional(joint, given=given))
    evidence = joint.sum(axis=1 - given)  # P(Y) for given=1, P(X) for given=0
    rebuilt = cond * (evidence[None, :] if given == 1 else evidence[:, None])
    assert_close(rebuilt, joint, **TOL,
                 what=f"conditional(joint (4, 3), given={given}) times the marginal of the "
                      "conditioning variable",
                 oracle="the joint itself (product rule P(A, B) = P(A | B) P(B))",
                 hint="condition on the variable named by `given`: 1 = columns (Y), 0 = rows (X).")
    sums = cond.sum(axis=0 if given == 1 else 1)
    assert_close(sums, np.ones_like(sums), atol=1e-12,
                 what=f"the sums of conditional(joint, given={given}) over the other variable",
                 oracle="1 for each value of the conditioning variable")


def test_posterior_from_joint_of_a_hand_made_table():
    """The posterior from a joint table matches a hand computation."""
    for y in range(3):
        got = estimation.posterior_from_joint(JOINT, y)
        assert_close(got, np.array(X_GIVEN_Y)[:, y], **TOL,
                     what=f"posterior_from_joint(joint (2, 3), y={y}) = P(X | Y = {y})",
                     oracle="column y of the joint divided by its sum, by hand",
                     hint="take the COLUMN joint[:, y] (all X values with Y = y) and normalise.")


def test_posterior_from_joint_agrees_with_bayes_rule():
    joint = random_joint((5, 3), seed=4)
    p_x = joint.sum(axis=1)
    lik = joint[:, 2] / p_x  # P(Y = 2 | X = i)
    assert_close(estimation.posterior_from_joint(joint, 2), estimation.posterior(p_x, lik), **TOL,
                 what="posterior_from_joint(joint, y=2)",
                 oracle="posterior(prior=P(X), likelihood=P(Y = 2 | X)) (Bayes' rule)")


@pytest.mark.parametrize("case", ["not-2d", "not-normalised", "negative", "bad-which"])
def test_marginal_rejects_invalid_tables(case):
    joint, which = JOINT, 0
    if case == "not-2d":
        joint = np.full((2, 2, 2), 1 / 8)
    elif case == "not-normalised":
        joint = 2 * JOINT
    elif case == "negative":
        joint = np.array([[0.6, -0.1], [0.3, 0.2]])
    else:
        which = 2
    expect_value_error(lambda: estimation.marginal(joint, which=which), f"marginal ({case})",
                       "validate the table: 2-D, entries >= 0, summing to 1; which is 0 or 1.")


def test_conditional_rejects_zero_probability_condition():
    joint = np.array([[0.2, 0.0, 0.3], [0.1, 0.0, 0.1], [0.2, 0.0, 0.1]])  # P(Y = 1) = 0
    expect_value_error(lambda: estimation.conditional(joint, given=1),
                       "conditional(joint, given=1) where P(Y = 1) = 0",
                       "P(X | Y = 1) is undefined when P(Y = 1) = 0 (0 / 0).")
    expect_value_error(lambda: estimation.posterior_from_joint(joint, 1),
                       "posterior_from_joint(joint, y=1) where P(Y = 1) = 0",
                       "P(X | Y = 1) is undefined when P(Y = 1) = 0 (0 / 0).")
    ok = np.asarray(estimation.conditional(joint, given=0))
    assert np.all(np.isfinite(ok)), (
        "conditional(joint, given=0) should be finite here: every P(X = i) > 0 even though "
        "P(Y = 1) = 0. Hint: check the marginal of the conditioning variable only.")
    expect_value_error(lambda: estimation.conditional(JOINT, given=2),
                       "conditional(joint, given=2)", "given must be 0 or 1.")


@pytest.mark.parametrize("y", [-1, 3])
def test_posterior_from_joint_rejects_out_of_range_y(y):
    expect_value_error(lambda: estimation.posterior_from_joint(JOINT, y),
                       f"posterior_from_joint(joint (2, 3), y={y})",
                       "y must be in [0, J); NumPy would read -1 as the last column.")


# --- Gaussian log-pdf ------------------------------------------------------------------------


def test_gaussian_log_pdf_matches_torch_with_broadcasting():
    g = rng(10)
    x = g.standard_normal((5, 1, 4)) * 3
    mean = g.standard_normal((3, 1))
    std = g.uniform(0.3, 4.0, (3, 4))
    got = estimation.gaussian_log_pdf(x, mean, std)
    tx, tm, ts = (torch.from_numpy(v) for v in (x, mean, std))
    assert_close(got, Normal(tm, ts).log_prob(tx), **TOL,
                 what="gaussian_log_pdf(x (5, 1, 4), mean (3, 1), std (3, 4))",
                 oracle="torch.distributions.Normal.log_prob in float64",
                 hint="elementwise with broadcasting; the result has shape (5, 3, 4).")


@pytest.mark.parametrize("x, mean, std", [(0.0, 0.0, 1.0), (1.5, -0.5, 2.0), (3.0, 3.0, 0.1)])
def test_gaussian_log_pdf_closed_form(x, mean, std):
    """The Gaussian log pdf matches its closed form."""
    expected = -((x - mean) ** 2) / (2 * std**2) - math.log(std) - 0.5 * math.log(2 * math.pi)
    got = estimation.gaussian_log_pdf(x, mean, std)
    assert_close(np.asarray(got).reshape(()), expected, **TOL,
                 what=f"gaussian_log_pdf({x}, mean={mean}, std={std})",
                 oracle="the closed form of the normal log density, in the test",
                 hint="do not forget -log(std) and -log(2 pi) / 2; the density at the mean "
                      "of N(0, 1) is 1 / sqrt(2 pi), log = -0.919.")


def test_gaussian_log_pdf_is_finite_far_in_the_tails():
    x = np.array([50.0, -200.0, 1e3])
    with np.errstate(all="ignore"):
        got = estimation.gaussian_log_pdf(x, 0.0, 1.0)
    assert_close(got, Normal(0.0, 1.0).log_prob(torch.from_numpy(x)), **TOL,
                 what="gaussian_log_pdf at x = 50, -200, 1000 for N(0, 1)",
                 oracle="torch.distributions.Normal.log_prob",
                 hint="exp(-x^2 / 2) underflows to 0 and log(0) = -inf: write the log "
                      "density directly, never log(pdf).")


@pytest.mark.parametrize("std", [0.0, -1.0])
def test_gaussian_log_pdf_rejects_non_positive_std(std):
    expect_value_error(lambda: estimation.gaussian_log_pdf(np.zeros(3), 0.0, std),
                       f"gaussian_log_pdf(x, 0, std={std})", "check that every std > 0.")


# --- maximum likelihood ----------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 5, 40])
def test_gaussian_mle_matches_closed_form(n):
    x = rng(20 + n).normal(3.0, 2.0, n)
    mean, var = estimation.gaussian_mle(x)
    assert isinstance(mean, float) and isinstance(var, float), (
        f"gaussian_mle should return two Python floats, got {type(mean)} and {type(var)}.")
    assert_close(mean, float(np.mean(x)), **TOL, what=f"the MLE mean of {n} samples",
                 oracle="numpy.mean", hint="the MLE of the mean is the sample mean.")
    assert_close(var, float(np.var(x, ddof=0)), **TOL, what=f"the MLE variance of {n} samples",
                 oracle="numpy.var(x, ddof=0): the biased variance",
                 hint="divide by N, not N - 1 (that is the unbiased estimator, not the MLE).")


def test_gaussian_mle_maximises_the_likelihood():
    x = rng(30).normal(-1.0, 0.7, 25)
    mean, var = estimation.gaussian_mle(x)

    def loglik(m, v):
        return Normal(m, math.sqrt(v)).log_prob(torch.from_numpy(x)).sum().item()

    best = loglik(mean, var)
    for dm, dv in [(1e-3, 0), (-1e-3, 0), (0, 1e-3), (0, -1e-3), (1e-3, 1e-3)]:
        assert loglik(mean + dm, var + dv) < best, (
            f"gaussian_mle returned mean={mean:.6g}, var={var:.6g}, but mean + {dm}, var + {dv} "
            "has a higher Gaussian log-likelihood (torch Normal.log_prob): that is not the "
            "maximum. Hint: the MLE variance divides by N.")


def test_bernoulli_mle_is_fraction_of_ones():
    x = (rng(31).random(37) < 0.3).astype(int)
    got = estimation.bernoulli_mle(x)
    assert_close(got, x.sum() / 37, **TOL, what="bernoulli_mle of 37 seeded coin flips",
                 oracle="(number of ones) / N", hint="count the ones and divide by N.")
    assert_close(estimation.bernoulli_mle(x.astype(bool)), x.sum() / 37, **TOL,
                 what="bernoulli_mle of the same flips as booleans", oracle="(number of Trues) / N")
    assert_close(estimation.bernoulli_mle(np.zeros(4)), 0.0, what="bernoulli_mle of all zeros",
                 oracle="0")


def test_bernoulli_mle_maximises_the_likelihood():
    x = np.array([1, 0, 1, 1, 0, 1, 1, 0])
    theta = np.linspace(0.001, 0.999, 999)
    loglik = x.sum() * np.log(theta) + (len(x) - x.sum()) * np.log(1 - theta)
    assert_close(estimation.bernoulli_mle(x), theta[np.argmax(loglik)], atol=1e-3,
                 what="bernoulli_mle([1, 0, 1, 1, 0, 1, 1, 0])",
                 oracle="the argmax of the Bernoulli log-likelihood on a grid of step 0.001")


@pytest.mark.parametrize("case", ["empty", "value-2", "negative", "2-D"])
def test_bernoulli_mle_rejects_bad_input(case):
    x = {"empty": np.array([]), "value-2": np.array([0, 1, 2]), "negative": np.array([1, -1]),
         "2-D": np.ones((2, 2))}[case]
    expect_value_error(lambda: estimation.bernoulli_mle(x), f"bernoulli_mle ({case})",
                       "x must be a non-empty 1-D array of 0s and 1s.")


@pytest.mark.parametrize("case", ["empty", "2-D"])
def test_gaussian_mle_rejects_bad_input(case):
    x = {"empty": np.array([]), "2-D": np.ones((3, 2))}[case]
    expect_value_error(lambda: estimation.gaussian_mle(x), f"gaussian_mle ({case})",
                       "x must be a non-empty 1-D array.")


# --- MAP -------------------------------------------------------------------------------------


@pytest.mark.parametrize("heads, n, a, b", [(3, 10, 5.0, 2.0), (9, 10, 1.0, 4.0),
                                            (0, 6, 1.0, 1.0), (7, 7, 2.5, 1.5),
                                            (0, 0, 3.0, 2.0)])
def test_beta_bernoulli_map_is_the_posterior_mode(heads, n, a, b):
    theta = np.linspace(0.0, 1.0, 200_001)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_post = (heads + a - 1) * np.log(theta) + (n - heads + b - 1) * np.log1p(-theta)
    log_post = np.nan_to_num(log_post, nan=0.0)  # 0 * log(0) at the ends counts as 0
    mode = theta[np.argmax(log_post)]
    got = estimation.beta_bernoulli_map(heads, n, a, b)
    assert_close(got, mode, atol=1e-5, rtol=0,
                 what=f"beta_bernoulli_map(heads={heads}, n={n}, a={a}, b={b})",
                 oracle="the argmax of the Beta-Bernoulli log posterior on a grid of step 5e-6",
                 hint="the posterior is Beta(heads + a, n - heads + b); its mode is "
                      "(heads + a - 1) / (n + a + b - 2): a with the heads, b with the tails.")


def test_map_with_uniform_prior_equals_mle():
    x = np.array([1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1])
    got = estimation.beta_bernoulli_map(int(x.sum()), len(x), 1.0, 1.0)
    assert_close(got, estimation.bernoulli_mle(x), **TOL,
                 what="beta_bernoulli_map with a = b = 1", oracle="bernoulli_mle of the same flips",
                 hint="a uniform prior adds no pseudo-counts.")


@pytest.mark.parametrize("args", [(5, 3, 2.0, 2.0), (-1, 3, 2.0, 2.0), (1, 3, 0.5, 2.0),
                                  (1, 3, 2.0, 0.5), (0, 0, 1.0, 1.0)])
def test_beta_bernoulli_map_rejects_bad_input(args):
    expect_value_error(lambda: estimation.beta_bernoulli_map(*args),
                       f"beta_bernoulli_map{args}",
                       "need 0 <= heads <= n, a >= 1, b >= 1 and n + a + b - 2 > 0.")


# --- the central limit theorem ---------------------------------------------------------------


def shifted_exponential(rng_, size):
    """3 + Exponential(scale 2): mean 5, std 2, skewed (far from normal)."""
    return 3.0 + rng_.exponential(2.0, size)


def test_clt_follows_the_documented_procedure():
    for seed, n, trials in [(0, 10, 7), (7, 3, 5)]:
        draws = shifted_exponential(np.random.default_rng(seed), (trials, n))
        expected = (draws.mean(axis=1) - 5.0) / (2.0 / math.sqrt(n))
        got = estimation.clt_standardized_means(shifted_exponential, 5.0, 2.0, n, trials,
                                                seed=seed)
        assert_close(got, expected, **TOL,
                     what=f"clt_standardized_means(3 + Exp(scale 2), mean=5, std=2, n={n}, "
                          f"num_trials={trials}, seed={seed})",
                     oracle="the documented procedure, in the test",
                     hint="one call sample(default_rng(seed), (num_trials, n)); row means; "
                          "z = (mean_row - mean) / (std / sqrt(n)).")


def test_clt_draws_one_block_of_shape_num_trials_by_n():
    """The CLT simulation draws all its samples as one block of shape (num_trials, n)."""
    calls = []

    def spy(rng_, size):
        calls.append((type(rng_).__name__, tuple(size)))
        return rng_.standard_normal(size)

    out = estimation.clt_standardized_means(spy, 0.0, 1.0, 6, 4, seed=1)
    assert calls == [("Generator", (4, 6))], (
        f"clt_standardized_means(n=6, num_trials=4) should call sample(rng, (4, 6)) exactly "
        f"once with a numpy Generator; it made these calls: {calls}.")
    assert np.asarray(out).shape == (4,), f"expected shape (4,), got {np.asarray(out).shape}."


def _normal_cdf(z):
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def test_clt_standardized_means_of_exponential_draws_pass_a_ks_test():
    """Standardised means of exponential draws pass a Kolmogorov-Smirnov test for normality."""
    n, m = 200, 2000
    z = np.sort(np.asarray(estimation.clt_standardized_means(shifted_exponential, 5.0, 2.0, n, m,
                                                             seed=2024)))
    assert z.shape == (m,), f"expected {m} standardised means, got shape {z.shape}."
    cdf = np.array([_normal_cdf(v) for v in z])
    i = np.arange(1, m + 1)
    ks = max(np.max(i / m - cdf), np.max(cdf - (i - 1) / m))  # sup |F_m - Phi|
    # Threshold with a proven false-failure rate. For exponential draws the standardised mean
    # is exactly (Gamma(n, 1) - n) / sqrt(n); its CDF F differs from Phi by at most delta,
    # computed here with torch.special.gammainc on a fine grid (+ 1e-3 for the grid).
    # By the Dvoretzky-Kiefer-Wolfowitz inequality (Massart's constant),
    # P(sup |F_m - F| > eps) <= 2 exp(-2 m eps^2) = 4.2e-7 for eps = 0.062, m = 2000, so a
    # correct implementation fails with probability < 1e-6. Wrong standardisations (std
    # instead of std / sqrt(n), variance instead of std, forgetting the mean) give ks > 0.15.
    grid = torch.linspace(-8, 8, 32001, dtype=torch.float64)
    gamma_cdf = torch.special.gammainc(torch.tensor(float(n), dtype=torch.float64),
                                       (n + grid * math.sqrt(n)).clamp(min=0))
    phi = 0.5 * (1 + torch.erf(grid / math.sqrt(2)))
    delta = (gamma_cdf - phi).abs().max().item()  # about 0.0094 for n = 200
    threshold = 0.062 + delta + 1e-3
    assert ks < threshold, (
        f"The {m} standardised means of n={n} draws from 3 + Exp(scale 2) (mean 5, std 2) are "
        f"not close to N(0, 1): Kolmogorov-Smirnov distance {ks:.3f} >= {threshold:.3f} (a "
        f"correct implementation fails this with probability < 1e-6). Their mean is "
        f"{z.mean():.3f} (expected ~0) and std {z.std():.3f} (expected ~1). Hint: the mean of n "
        "draws has standard deviation std / sqrt(n); divide by that, not by std or the "
        "variance.")


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"num_trials": 0}, {"std": 0.0}, {"std": -2.0}])
def test_clt_rejects_bad_arguments(kwargs):
    args = {"mean": 0.0, "std": 1.0, "n": 5, "num_trials": 3} | kwargs
    expect_value_error(
        lambda: estimation.clt_standardized_means(lambda r, s: r.standard_normal(s), **args),
        f"clt_standardized_means with {kwargs}", "need n >= 1, num_trials >= 1 and std > 0.")
