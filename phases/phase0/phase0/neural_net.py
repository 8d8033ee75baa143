"""The perceptron, backprop by hand on XOR, and a backprop ninja.

Three steps from one neuron to a real network, all in NumPy:

(a) The perceptron: Rosenblatt's learning rule. It learns AND and OR, and never learns XOR.
(b) A two-layer network (tanh hidden layer, sigmoid output) whose gradients you derive by hand
    with the chain rule, trained on XOR.
(c) Backprop ninja: a manual backward pass through embedding -> linear -> batch norm -> tanh ->
    linear -> cross-entropy, for every intermediate tensor, then the fused cross-entropy and
    batch-norm backward formulas.

The tests compare every gradient with torch.autograd in float64; your code uses NumPy only.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Classify points with a linear threshold unit.

    prediction_i = +1 if w . x_i + b > 0, else -1 (a score of exactly 0 gives -1).

    Args:
        X: (N, D) float array of points.
        w: (D,) float array of weights.
        b: the bias, a float.

    Returns:
        (N,) int array with values in {-1, +1}.
    """
    raise NotImplementedError("phase0.neural_net.perceptron_predict")


def perceptron_train(
    X: np.ndarray, y: np.ndarray, max_epochs: int = 100
) -> tuple[np.ndarray, float, bool, int]:
    """Train a perceptron with Rosenblatt's learning rule.

    Start from w = 0 (a (D,) float array) and b = 0. One epoch is one pass over the points
    in the given order, i = 0, 1, ..., N-1 (no shuffling). Point i is a mistake when

        y_i * (w . x_i + b) <= 0          (a score of exactly 0 counts as a mistake)

    and on a mistake, and only then, update (learning rate 1)

        w <- w + y_i * x_i,    b <- b + y_i.

    Stop after the first epoch that makes no mistake (converged), or after max_epochs epochs.

    Convergence theorem (Novikoff): if some unit vector (w*, b*) has y_i * (w* . x_i + b*) >= gamma
    for every i, and R = max_i ||(x_i, 1)||, the perceptron makes at most (R / gamma)^2 mistakes.
    On XOR no (w, b) separates the points, so it never converges.

    Args:
        X: (N, D) float array of points.
        y: (N,) array of labels, each -1 or +1 (not 0/1).
        max_epochs: the largest number of passes over the data.

    Returns:
        (w, b, converged, mistakes): w a (D,) float array, b a float, converged True if an
        epoch made no mistake, and mistakes the total number of updates made in all epochs.

    Raises:
        ValueError: if X is not 2-D, y is not of shape (N,), or a label is not -1 or +1.
    """
    raise NotImplementedError("phase0.neural_net.perceptron_train")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function sigma(z) = 1 / (1 + exp(-z)), elementwise.

    Must give finite, correct values for large |z| (e.g. z = +-1000 gives 1 and 0, never nan).

    Args:
        z: float array of any shape.

    Returns:
        float array of the same shape, values in [0, 1].
    """
    raise NotImplementedError("phase0.neural_net.sigmoid")


def mlp_init(n_in: int, n_hidden: int, seed: int) -> dict[str, np.ndarray]:
    """Initial parameters of the two-layer network used below.

    With g = np.random.default_rng(seed): W1 = g.standard_normal((n_in, n_hidden)), then
    W2 = g.standard_normal((n_hidden, 1)) (in that order); b1 and b2 are zeros.

    Args:
        n_in: D, the number of input features.
        n_hidden: H, the number of hidden units.
        seed: the seed of the generator.

    Returns:
        dict with float arrays "W1" (D, H), "b1" (H,), "W2" (H, 1), "b2" (1,).
    """
    raise NotImplementedError("phase0.neural_net.mlp_init")


def mlp_forward(params: dict[str, np.ndarray], X: np.ndarray) -> dict[str, np.ndarray]:
    """Forward pass of the two-layer network, keeping what the backward pass needs.

        z1 = X @ W1 + b1          (N, H)
        h  = tanh(z1)             (N, H)   the hidden activation is tanh
        z2 = (h @ W2 + b2)[:, 0]  (N,)     one logit per point
        p  = sigmoid(z2)          (N,)     the probability of class 1

    Args:
        params: dict with "W1" (D, H), "b1" (H,), "W2" (H, 1), "b2" (1,).
        X: (N, D) float array.

    Returns:
        the cache: dict with float arrays "X" (N, D), "z1" (N, H), "h" (N, H), "z2" (N,)
        and "p" (N,).
    """
    raise NotImplementedError("phase0.neural_net.mlp_forward")


def bce_loss(p: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy, natural log.

    L = -(1/N) * sum_i [ y_i * log(p_i) + (1 - y_i) * log(1 - p_i) ]

    You may clip p to [1e-12, 1 - 1e-12] to avoid log(0); the tests use p away from 0 and 1.

    Args:
        p: (N,) float array of probabilities of class 1.
        y: (N,) array of labels, each 0 or 1.

    Returns:
        the loss, a Python float.
    """
    raise NotImplementedError("phase0.neural_net.bce_loss")


def mlp_backward(
    params: dict[str, np.ndarray], cache: dict[str, np.ndarray], y: np.ndarray
) -> dict[str, np.ndarray]:
    """Gradients of bce_loss(cache["p"], y) with respect to every parameter, by hand.

    Derive them with the chain rule, from the loss back to W1. The loss is the MEAN over the
    N points. Use only NumPy (no autograd).

    Args:
        params: dict with "W1" (D, H), "b1" (H,), "W2" (H, 1), "b2" (1,).
        cache: what mlp_forward(params, X) returned.
        y: (N,) array of labels, each 0 or 1.

    Returns:
        dict with float arrays "W1", "b1", "W2", "b2", each of the same shape as the parameter.
    """
    raise NotImplementedError("phase0.neural_net.mlp_backward")


def train_xor(
    seed: int = 1, n_hidden: int = 4, lr: float = 0.5, epochs: int = 2000
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Train the two-layer network on XOR by full-batch gradient descent.

    The data are the 4 points X = [[0, 0], [0, 1], [1, 0], [1, 1]] with labels y = [0, 1, 1, 0].
    Start from mlp_init(2, n_hidden, seed); then, epochs times: forward, record the loss
    bce_loss(p, y), backward, and update every parameter  P <- P - lr * dL/dP.

    Args:
        seed: the seed passed to mlp_init.
        n_hidden: H, the number of hidden units.
        lr: the learning rate.
        epochs: the number of gradient steps.

    Returns:
        (params, losses): the trained parameters (same keys and shapes as mlp_init's), and a
        list of epochs floats, losses[k] being the loss before step k.
    """
    raise NotImplementedError("phase0.neural_net.train_xor")


def ninja_forward(
    params: dict[str, np.ndarray], ids: np.ndarray, targets: np.ndarray, eps: float = 1e-5
) -> dict[str, Any]:
    """Forward pass of a makemore-style MLP, keeping every intermediate.

    For N examples of T context tokens each (V tokens in the vocabulary, E embedding
    dimensions, H hidden units, K classes):

        emb       = C[ids]                                   (N, T, E)  embedding lookup
        embcat    = emb.reshape(N, T * E)                    (N, T*E)   token 0's E values first
        hprebn    = embcat @ W1 + b1                         (N, H)
        bnmean    = hprebn.mean over the batch (axis 0)      (H,)
        bndiff    = hprebn - bnmean                          (N, H)
        bnvar     = (bndiff ** 2).mean over the batch        (H,)  biased: divide by N, not N-1
        bnvar_inv = (bnvar + eps) ** -0.5                    (H,)
        bnraw     = bndiff * bnvar_inv                       (N, H)
        hpreact   = gamma * bnraw + beta                     (N, H)  batch norm, training mode
        h         = tanh(hpreact)                            (N, H)
        logits    = h @ W2 + b2                              (N, K)
        loss      = mean over i of -log softmax(logits_i)[targets_i]   (a float)

    Compute the softmax stably (subtract each row's max): logits of size 1000 must work.

    Args:
        params: dict with float arrays "C" (V, E), "W1" (T*E, H), "b1" (H,), "gamma" (H,),
            "beta" (H,), "W2" (H, K), "b2" (K,).
        ids: (N, T) int array of token ids in [0, V).
        targets: (N,) int array of classes in [0, K).
        eps: added to the variance before the square root.

    Returns:
        dict with exactly the keys "emb", "embcat", "hprebn", "bnmean", "bndiff", "bnvar",
        "bnvar_inv", "bnraw", "hpreact", "h", "logits" (float arrays of the shapes above)
        and "loss" (a Python float).

    Raises:
        ValueError: if ids is not 2-D or targets is not of shape (N,).
    """
    raise NotImplementedError("phase0.neural_net.ninja_forward")


def cross_entropy_backward(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The fused backward of the mean cross-entropy: dloss/dlogits in one expression.

    loss = mean over i of -log softmax(logits_i)[targets_i]. Derive the gradient on paper: it
    needs only softmax(logits) and the targets, no gradient of any intermediate. Compute the
    softmax stably (logits of size 1000 must work).

    Args:
        logits: (N, K) float array.
        targets: (N,) int array of classes in [0, K).

    Returns:
        (N, K) float array, the gradient of the loss with respect to logits.
    """
    raise NotImplementedError("phase0.neural_net.cross_entropy_backward")


def batchnorm_backward(
    dhpreact: np.ndarray, bnraw: np.ndarray, gamma: np.ndarray, bnvar_inv: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The compact backward of training-mode batch norm (biased variance), in one expression.

    Forward (as in ninja_forward): hpreact = gamma * (hprebn - mean) * (var + eps)^-1/2 + beta,
    with the mean and the biased variance over the batch. Given the upstream gradient dhpreact,
    return the gradients with respect to hprebn, gamma and beta. Derive dhprebn on paper:
    remember that the batch mean and variance depend on every row of hprebn.

    Args:
        dhpreact: (N, H) float array, dloss/dhpreact.
        bnraw: (N, H) float array, the normalised input (hprebn - mean) * bnvar_inv.
        gamma: (H,) float array, the scale.
        bnvar_inv: (H,) float array, (var + eps) ** -0.5.

    Returns:
        (dhprebn, dgamma, dbeta): float arrays of shapes (N, H), (H,), (H,).
    """
    raise NotImplementedError("phase0.neural_net.batchnorm_backward")


def ninja_backward(
    params: dict[str, np.ndarray], cache: dict[str, Any], ids: np.ndarray, targets: np.ndarray
) -> dict[str, np.ndarray]:
    """Manual backward pass of ninja_forward: the gradient of the loss for everything.

    Go backwards through the graph of ninja_forward, one line at a time. Where a tensor feeds
    several later tensors (bndiff feeds bnvar and bnraw, hprebn feeds bnmean and bndiff),
    add up the gradients from every use. A token id that appears several times in ids gets
    the sum of the gradients of all its rows of emb. dlogits may come from
    cross_entropy_backward; dhprebn from batchnorm_backward or from the step-by-step chain
    (they agree). Use only NumPy (no autograd).

    Args:
        params: the parameters given to ninja_forward.
        cache: what ninja_forward(params, ids, targets, eps) returned.
        ids: (N, T) int array of token ids.
        targets: (N,) int array of classes.

    Returns:
        dict with the gradient of the loss with respect to each intermediate, keys "emb",
        "embcat", "hprebn", "bnmean", "bndiff", "bnvar", "bnvar_inv", "bnraw", "hpreact", "h",
        "logits", and to each parameter, keys "C", "W1", "b1", "gamma", "beta", "W2", "b2";
        each a float array of the same shape as the tensor it is the gradient of.
    """
    raise NotImplementedError("phase0.neural_net.ninja_backward")
