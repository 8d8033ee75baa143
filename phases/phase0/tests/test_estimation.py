"""Public smoke tests for phase0.estimation (the grader also runs hidden/test_estimation.py)."""

import numpy as np
import torch
from torch.distributions import Normal

from phase0 import estimation
from shared import assert_close, rng


def test_posterior_of_a_medical_test():
    """The posterior of a disease after a positive medical test matches Bayes' rule."""
    # 1% have the disease; the test detects it 90% of the time and has a 5% false-positive rate.
    got = estimation.posterior(np.array([0.01, 0.99]), np.array([0.90, 0.05]))
    expected = [0.009 / 0.0585, 0.0495 / 0.0585]  # P(positive) = 0.009 + 0.0495 = 0.0585
    assert_close(got, expected, atol=1e-12, rtol=1e-12,
                 what="posterior([0.01, 0.99], likelihood of a positive test [0.90, 0.05])",
                 oracle="Bayes' rule by hand: P(disease | positive) = 0.009 / 0.0585 = 0.154",
                 hint="multiply prior by likelihood, then divide by the sum (the evidence).")


def test_gaussian_log_pdf_matches_torch():
    g = rng(0)
    x, mean, std = g.standard_normal((4, 3)), g.standard_normal(3), np.array([0.5, 2.0, 3.7])
    got = estimation.gaussian_log_pdf(x, mean, std)
    expected = Normal(torch.from_numpy(mean), torch.from_numpy(std)).log_prob(torch.from_numpy(x))
    assert_close(got, expected, atol=1e-12, rtol=1e-12,
                 what="gaussian_log_pdf(x (4, 3), mean (3,), std (3,))",
                 oracle="torch.distributions.Normal.log_prob in float64",
                 hint="-(x - mean)^2 / (2 std^2) - log(std) - log(2 pi) / 2; std is the "
                      "standard deviation, not the variance.")


def test_gaussian_mle_uses_the_biased_variance():
    x = np.array([2.0, 4.0, 4.0, 5.0, 10.0])
    mean, var = estimation.gaussian_mle(x)
    assert_close(mean, 5.0, atol=1e-12, what="the MLE mean of [2, 4, 4, 5, 10]",
                 oracle="the sample mean 25 / 5 = 5")
    assert_close(var, 36.0 / 5, atol=1e-12,
                 what="the MLE variance of [2, 4, 4, 5, 10]",
                 oracle="the closed form sum (x - 5)^2 / N = 36 / 5 = 7.2",
                 hint="the MLE divides by N (7.2), not N - 1 (9.0); return the variance, "
                      "not the standard deviation.")


def test_beta_bernoulli_map_closed_form():
    """The beta-Bernoulli MAP estimate matches its closed form."""
    got = estimation.beta_bernoulli_map(3, 10, a=5.0, b=2.0)
    assert_close(got, 7.0 / 15.0, atol=1e-12,
                 what="beta_bernoulli_map(heads=3, n=10, a=5, b=2)",
                 oracle="the closed form (3 + 5 - 1) / (10 + 5 + 2 - 2) = 7 / 15",
                 hint="a goes with the heads and b with the tails.")
