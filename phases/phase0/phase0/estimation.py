"""Bayes' rule, maximum likelihood, MAP and the central limit theorem.

Discrete Bayes first (a prior times a likelihood, normalised; marginals and conditionals of a
joint table), then estimation: Gaussian and Bernoulli maximum likelihood, the MAP estimate
under a Beta prior, and a simulation of the central limit theorem. NumPy and the standard
library only. Logarithms are natural.

Joint tables: joint[i, j] = P(X = i, Y = j), a 2-D array of non-negative numbers summing to 1.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# --- Bayes' rule -----------------------------------------------------------------------------


def posterior(prior: np.ndarray, likelihood: np.ndarray) -> np.ndarray:
    """Posterior over K hypotheses by Bayes' rule.

        P(h_k | data) = P(data | h_k) P(h_k) / sum_j P(data | h_j) P(h_j)

    Args:
        prior: (K,) non-negative prior probabilities P(h_k). (An unnormalised prior gives the
            same posterior: only ratios matter.)
        likelihood: (K,) non-negative P(data | h_k), one per hypothesis. These need not sum to 1.

    Returns:
        (K,) float64 posterior, summing to 1.

    Raises:
        ValueError: if prior and likelihood are not 1-D of the same length, or the evidence
            sum_j P(data | h_j) P(h_j) is 0 (the data is impossible under every hypothesis).
    """
    raise NotImplementedError("phase0.estimation.posterior")


def marginal(joint: np.ndarray, which: int = 0) -> np.ndarray:
    """A marginal distribution of a 2-D joint table (sum out the other variable).

        which=0: P(X = i) = sum_j joint[i, j]      shape (I,)
        which=1: P(Y = j) = sum_i joint[i, j]      shape (J,)

    Args:
        joint: (I, J) joint table, joint[i, j] = P(X = i, Y = j).
        which: 0 for X (the row variable), 1 for Y (the column variable).

    Returns:
        float64 array of shape (I,) or (J,), summing to 1.

    Raises:
        ValueError: if joint is not 2-D, has a negative entry or does not sum to 1 (within
            1e-8), or which is not 0 or 1.
    """
    raise NotImplementedError("phase0.estimation.marginal")


def conditional(joint: np.ndarray, given: int = 1) -> np.ndarray:
    """The table of conditional probabilities of one variable given the other.

        given=1: out[i, j] = P(X = i | Y = j) = joint[i, j] / P(Y = j)   (each column sums to 1)
        given=0: out[i, j] = P(Y = j | X = i) = joint[i, j] / P(X = i)   (each row sums to 1)

    Args:
        joint: (I, J) joint table.
        given: the conditioning variable: 1 for Y (columns), 0 for X (rows).

    Returns:
        (I, J) float64 array, indexed like joint.

    Raises:
        ValueError: for an invalid joint (see marginal), given not 0 or 1, or if some value of
            the conditioning variable has probability 0 (its conditional is undefined).
    """
    raise NotImplementedError("phase0.estimation.conditional")


def posterior_from_joint(joint: np.ndarray, y: int) -> np.ndarray:
    """P(X | Y = y) from a joint table: Bayes' rule read off the table.

        P(X = i | Y = y) = joint[i, y] / sum_k joint[k, y]

    Args:
        joint: (I, J) joint table.
        y: the observed value of Y, an index in [0, J).

    Returns:
        (I,) float64 array summing to 1.

    Raises:
        ValueError: for an invalid joint (see marginal), y outside [0, J), or P(Y = y) = 0.
    """
    raise NotImplementedError("phase0.estimation.posterior_from_joint")


# --- Gaussians and maximum likelihood --------------------------------------------------------


def gaussian_log_pdf(
    x: np.ndarray | float, mean: np.ndarray | float, std: np.ndarray | float
) -> np.ndarray:
    """Log density of a normal distribution N(mean, std**2), elementwise.

        log p(x) = -(x - mean)**2 / (2 std**2) - log(std) - log(2 pi) / 2

    Compute it in log space: far in the tails (|x - mean| / std around 40 and beyond) the
    density underflows to 0 and np.log(pdf) gives -inf, while the formula above stays finite.

    Args:
        x: float array (or number).
        mean: float array or number, broadcastable with x.
        std: the standard deviation (not the variance), > 0, broadcastable with x.

    Returns:
        float64 array of the broadcast shape of x, mean and std.

    Raises:
        ValueError: if some std <= 0.
    """
    raise NotImplementedError("phase0.estimation.gaussian_log_pdf")


def gaussian_mle(x: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood estimates of a Gaussian's mean and variance from samples.

        mean = (1/N) sum_n x_n
        var  = (1/N) sum_n (x_n - mean)**2       (divide by N, not N - 1)

    The MLE of the variance is the biased one: it maximises the likelihood, while dividing by
    N - 1 gives the unbiased estimator, which is a different thing.

    Args:
        x: (N,) float array of samples, N >= 1.

    Returns:
        (mean, var): two Python floats; var is the variance, not the standard deviation.

    Raises:
        ValueError: if x is not 1-D or is empty.
    """
    raise NotImplementedError("phase0.estimation.gaussian_mle")


def bernoulli_mle(x: np.ndarray) -> float:
    """Maximum-likelihood estimate of a Bernoulli parameter: the fraction of ones.

        theta = (number of ones) / N

    Args:
        x: (N,) array of outcomes, each 0 or 1 (ints, floats or bools), N >= 1.

    Returns:
        theta, a Python float in [0, 1].

    Raises:
        ValueError: if x is not 1-D, is empty, or has a value other than 0 and 1.
    """
    raise NotImplementedError("phase0.estimation.bernoulli_mle")


def beta_bernoulli_map(heads: int, n: int, a: float, b: float) -> float:
    """MAP estimate of a coin's heads probability under a Beta(a, b) prior.

    With `heads` heads in n flips, the posterior is Beta(heads + a, n - heads + b), whose mode is

        theta_MAP = (heads + a - 1) / (n + a + b - 2)

    a counts like a - 1 extra imagined heads and b like b - 1 extra tails. With a = b = 1 (a
    uniform prior) the MAP equals the MLE heads / n.

    Args:
        heads: number of heads, 0 <= heads <= n.
        n: number of flips, n >= 0.
        a: prior pseudo-count for heads, a >= 1.
        b: prior pseudo-count for tails, b >= 1.

    Returns:
        theta_MAP, a Python float in [0, 1].

    Raises:
        ValueError: if heads is outside [0, n], a < 1 or b < 1, or n + a + b - 2 <= 0 (a flat
            posterior has no unique mode).
    """
    raise NotImplementedError("phase0.estimation.beta_bernoulli_map")


# --- the central limit theorem ---------------------------------------------------------------


def clt_standardized_means(
    sample: Callable[[np.random.Generator, tuple[int, int]], np.ndarray],
    mean: float,
    std: float,
    n: int,
    num_trials: int,
    seed: int = 0,
) -> np.ndarray:
    """Standardised sample means, to watch the central limit theorem at work.

    Make rng = np.random.default_rng(seed) and call sample(rng, (num_trials, n)) exactly once:
    it returns a (num_trials, n) array of independent draws from some distribution with the
    given population mean and std. For each of the num_trials rows, standardise its mean:

        z = (sample_mean - mean) / (std / sqrt(n))

    By the CLT, z is close to N(0, 1) for large n, whatever the distribution (for example
    draws from an exponential distribution, which is far from normal).

    Args:
        sample: a function (rng, size) -> array of that size, e.g.
            lambda rng, size: rng.exponential(1.0, size) (whose mean and std are both 1).
        mean: the population mean of one draw.
        std: the population standard deviation of one draw (> 0), not the variance.
        n: draws per sample mean, n >= 1.
        num_trials: number of sample means, num_trials >= 1.
        seed: seed of the generator passed to `sample`.

    Returns:
        (num_trials,) float64 array of standardised means.

    Raises:
        ValueError: if n < 1, num_trials < 1 or std <= 0.
    """
    raise NotImplementedError("phase0.estimation.clt_standardized_means")
