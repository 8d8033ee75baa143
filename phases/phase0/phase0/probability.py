"""Softmax, log-softmax, cross-entropy, entropy, KL and perplexity.

Every classifier and language model ends in these few functions. The lesson is numerical:
exp(1000) overflows, log(0) is -inf, and the same formula written two ways gives nan or the
right answer. All functions take NumPy arrays and compute in float64. Logarithms are natural
(nats) unless a base is given.
"""

from __future__ import annotations

import math

import numpy as np


def softmax(x: np.ndarray, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
    """Softmax along one axis, numerically stable, with a temperature.

        softmax(x / T)_i = exp(x_i / T) / sum_j exp(x_j / T)

    Stability: before exp, subtract the maximum of each slice along `axis`; this does not
    change the result (softmax is shift invariant) and keeps exp from overflowing, so logits
    of 1e4 or -1e4 (or x / T for a tiny T) work. Entries may be -inf (masked): they get
    probability 0, as long as every slice has at least one finite entry.

    Temperature T divides the logits: T < 1 sharpens (T -> 0 approaches the one-hot argmax),
    T > 1 flattens (T -> infinity approaches uniform).

    Args:
        x: float array of any shape (..., K, ...).
        axis: the axis that holds the classes; negative values count from the end.
        temperature: T > 0.

    Returns:
        float64 array of x's shape: non-negative, summing to 1 along `axis`. x is not modified.

    Raises:
        ValueError: if temperature <= 0.
    """
    raise NotImplementedError("phase0.probability.softmax")


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Log of the softmax along one axis, computed stably.

        log_softmax(x)_i = x_i - logsumexp(x)

    Do not take np.log(softmax(x)): for logits far apart, softmax underflows to 0 and its log
    is -inf, while x_i - logsumexp(x) stays finite (e.g. -1000.0).

    Args:
        x: float array of any shape.
        axis: the class axis.

    Returns:
        float64 array of x's shape; exp of it sums to 1 along `axis`. x is not modified.
    """
    raise NotImplementedError("phase0.probability.log_softmax")


def logsumexp(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log(sum(exp(x))) along one axis, computed stably.

        logsumexp(x) = m + log(sum_i exp(x_i - m)),   m = max_i x_i

    Entries may be -inf, as long as every slice has at least one finite entry.

    Args:
        x: float array of any shape.
        axis: the axis to reduce.

    Returns:
        float64 array of x's shape with `axis` removed (a 0-d array or float for 1-D x).
    """
    raise NotImplementedError("phase0.probability.logsumexp")


def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean cross-entropy (negative log-likelihood) of class ids under softmax(logits), in nats.

        loss = -(1/N) sum_n log_softmax(logits[n])[targets[n]]

    This is torch.nn.functional.cross_entropy with its default reduction="mean". Use
    log_softmax, not log(softmax): logits times 1000 must still give a finite loss.

    Args:
        logits: (N, C) float array of unnormalised scores.
        targets: (N,) int array of class ids in [0, C).

    Returns:
        The mean loss over the N examples, a Python float (>= 0).

    Raises:
        ValueError: if logits is not 2-D, targets is not of shape (N,), or a target is outside
            [0, C) (a -1 must not silently pick the last class).
    """
    raise NotImplementedError("phase0.probability.cross_entropy")


def entropy(p: np.ndarray, base: float = math.e) -> float | np.ndarray:
    """Shannon entropy of categorical distributions along the last axis.

        H(p) = -sum_i p_i log(p_i)      with the convention 0 log 0 = 0

    Zero probabilities contribute 0 (not nan). The log base sets the unit: math.e gives nats
    (the default), 2 gives bits (a fair coin has 1 bit).

    Args:
        p: (..., K) array of probabilities, each slice along the last axis summing to 1 (not
            checked).
        base: the logarithm base, > 0 and != 1.

    Returns:
        (...) float64 array of entropies (a float for 1-D p), each >= 0.
    """
    raise NotImplementedError("phase0.probability.entropy")


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float | np.ndarray:
    """Kullback-Leibler divergence KL(p || q) along the last axis, in nats.

        KL(p || q) = sum_i p_i log(p_i / q_i)

    Conventions: a term with p_i = 0 is 0 (whatever q_i is); a term with p_i > 0 and q_i = 0
    is +inf. KL(p || q) >= 0, equals 0 when p = q, and in general KL(p || q) != KL(q || p):
    the order of the arguments matters.

    Args:
        p: (..., K) array of probabilities (the "true" distribution, the weights of the sum).
        q: array of the same shape as p.

    Returns:
        (...) float64 array (a float for 1-D inputs).

    Raises:
        ValueError: if p and q have different shapes.
    """
    raise NotImplementedError("phase0.probability.kl_divergence")


def perplexity(mean_nll: float) -> float:
    """Perplexity from a mean negative log-likelihood in nats: exp(mean_nll).

    A model that is uniform over V choices has mean NLL log(V) and perplexity V. (With the
    NLL in bits, perplexity would be 2 ** nll; here it is in nats, as cross_entropy returns.)

    Args:
        mean_nll: mean negative log-likelihood per token, in nats (>= 0).

    Returns:
        The perplexity, a Python float (>= 1 for mean_nll >= 0).
    """
    raise NotImplementedError("phase0.probability.perplexity")
