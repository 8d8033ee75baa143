"""The perceptron, backprop by hand on XOR, and a backprop ninja (reference solution).

(a) The perceptron of Rosenblatt (1958), "The perceptron: a probabilistic model for information
    storage and organization in the brain". Novikoff (1962) proved that on data separable with
    margin gamma it makes at most (R/gamma)^2 mistakes; Minsky & Papert (1969) made XOR its
    famous failure.
(b) A two-layer network trained by backpropagation, Rumelhart, Hinton & Williams (1986),
    "Learning representations by back-propagating errors": the chain rule, layer by layer.
(c) "Becoming a backprop ninja" (Karpathy, makemore part 4): a manual backward pass through
    embedding -> linear -> batch norm (Ioffe & Szegedy, 2015) -> tanh -> linear -> cross-entropy,
    first step by step, then with the fused cross-entropy and batch-norm formulas.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# --------------------------------------------------------------------------------------------
# (a) The perceptron
# --------------------------------------------------------------------------------------------


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
    scores = np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b  # (N,)
    return np.where(scores > 0, 1, -1)


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
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (N, D), got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    if not np.all((y == 1) | (y == -1)):
        raise ValueError("labels must be -1 or +1")

    w = np.zeros(X.shape[1])
    b = 0.0
    mistakes = 0
    for _ in range(max_epochs):
        epoch_mistakes = 0
        for x_i, y_i in zip(X, y, strict=True):
            if y_i * (w @ x_i + b) <= 0:  # wrong side of (or on) the boundary
                w = w + y_i * x_i
                b = b + float(y_i)
                epoch_mistakes += 1
        mistakes += epoch_mistakes
        if epoch_mistakes == 0:
            return w, b, True, mistakes
    return w, b, False, mistakes


# --------------------------------------------------------------------------------------------
# (b) A two-layer MLP with hand-derived backprop, trained on XOR
# --------------------------------------------------------------------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function sigma(z) = 1 / (1 + exp(-z)), elementwise.

    Must give finite, correct values for large |z| (e.g. z = +-1000 gives 1 and 0, never nan).

    Args:
        z: float array of any shape.

    Returns:
        float array of the same shape, values in [0, 1].
    """
    z = np.asarray(z, dtype=float)
    # exp of a non-positive number never overflows: use exp(-|z|) on both branches.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


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
    g = np.random.default_rng(seed)
    W1 = g.standard_normal((n_in, n_hidden))
    W2 = g.standard_normal((n_hidden, 1))
    return {"W1": W1, "b1": np.zeros(n_hidden), "W2": W2, "b2": np.zeros(1)}


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
    X = np.asarray(X, dtype=float)
    z1 = X @ params["W1"] + params["b1"]  # (N, H)
    h = np.tanh(z1)  # (N, H)
    z2 = (h @ params["W2"] + params["b2"])[:, 0]  # (N, 1) -> (N,)
    p = sigmoid(z2)  # (N,)
    return {"X": X, "z1": z1, "h": h, "z2": z2, "p": p}


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
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    y = np.asarray(y, dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


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
    y = np.asarray(y, dtype=float)
    X, h, p = cache["X"], cache["h"], cache["p"]
    n = X.shape[0]
    # Sigmoid followed by binary cross-entropy: dL/dz2 = (p - y) / N (the sigmoid's p(1-p)
    # cancels the cross-entropy's 1 / (p(1-p))).
    dz2 = ((p - y) / n)[:, None]  # (N, 1)
    dW2 = h.T @ dz2  # (H, 1)
    db2 = dz2.sum(axis=0)  # (1,)  the bias is broadcast over the batch: sum its gradient
    dh = dz2 @ params["W2"].T  # (N, H)
    dz1 = dh * (1.0 - h**2)  # tanh'(z1) = 1 - tanh(z1)^2, from the activation h
    dW1 = X.T @ dz1  # (D, H)
    db1 = dz1.sum(axis=0)  # (H,)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


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
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    params = mlp_init(2, n_hidden, seed)
    losses = []
    for _ in range(epochs):
        cache = mlp_forward(params, X)
        losses.append(bce_loss(cache["p"], y))
        grads = mlp_backward(params, cache, y)
        params = {k: v - lr * grads[k] for k, v in params.items()}
    return params, losses


# --------------------------------------------------------------------------------------------
# (c) Backprop ninja: embedding -> linear -> batch norm -> tanh -> linear -> cross-entropy
# --------------------------------------------------------------------------------------------


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
    ids = np.asarray(ids)
    targets = np.asarray(targets)
    if ids.ndim != 2:
        raise ValueError(f"ids must be 2-D (N, T), got shape {ids.shape}")
    n = ids.shape[0]
    if targets.shape != (n,):
        raise ValueError(f"targets must have shape ({n},), got {targets.shape}")

    emb = params["C"][ids]  # (N, T, E)
    embcat = emb.reshape(n, -1)  # (N, T*E)
    hprebn = embcat @ params["W1"] + params["b1"]  # (N, H)
    bnmean = hprebn.mean(axis=0)  # (H,)
    bndiff = hprebn - bnmean  # (N, H)
    bnvar = (bndiff**2).mean(axis=0)  # (H,)  biased (1/N), as batch norm normalises
    bnvar_inv = (bnvar + eps) ** -0.5  # (H,)
    bnraw = bndiff * bnvar_inv  # (N, H)
    hpreact = params["gamma"] * bnraw + params["beta"]  # (N, H)
    h = np.tanh(hpreact)  # (N, H)
    logits = h @ params["W2"] + params["b2"]  # (N, K)
    loss = float(-_log_softmax(logits)[np.arange(n), targets].mean())
    return {
        "emb": emb, "embcat": embcat, "hprebn": hprebn, "bnmean": bnmean, "bndiff": bndiff,
        "bnvar": bnvar, "bnvar_inv": bnvar_inv, "bnraw": bnraw, "hpreact": hpreact, "h": h,
        "logits": logits, "loss": loss,
    }


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)  # (N, K), every row's max is 0
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


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
    n = logits.shape[0]
    dlogits = np.exp(_log_softmax(logits))  # softmax, (N, K)
    dlogits[np.arange(n), targets] -= 1.0  # softmax - onehot
    return dlogits / n  # the loss is a mean over the N rows


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
    n = dhpreact.shape[0]
    dgamma = (dhpreact * bnraw).sum(axis=0)  # (H,)
    dbeta = dhpreact.sum(axis=0)  # (H,)
    # dbnraw = gamma * dhpreact; the mean removes sum(dbnraw) / N and the variance removes
    # bnraw * sum(dbnraw * bnraw) / N.
    dhprebn = (gamma * bnvar_inv / n) * (n * dhpreact - dbeta - bnraw * dgamma)  # (N, H)
    return dhprebn, dgamma, dbeta


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
    ids = np.asarray(ids)
    n = ids.shape[0]
    g: dict[str, np.ndarray] = {}

    # cross-entropy and the output layer
    g["logits"] = cross_entropy_backward(cache["logits"], targets)  # (N, K)
    g["h"] = g["logits"] @ params["W2"].T  # (N, H)
    g["W2"] = cache["h"].T @ g["logits"]  # (H, K)
    g["b2"] = g["logits"].sum(axis=0)  # (K,)
    g["hpreact"] = (1.0 - cache["h"] ** 2) * g["h"]  # tanh' from the output h

    # batch norm, step by step
    g["gamma"] = (cache["bnraw"] * g["hpreact"]).sum(axis=0)  # (H,)
    g["beta"] = g["hpreact"].sum(axis=0)  # (H,)
    g["bnraw"] = params["gamma"] * g["hpreact"]  # (N, H)
    g["bnvar_inv"] = (cache["bndiff"] * g["bnraw"]).sum(axis=0)  # (H,)
    # d/dv (v + eps)^-1/2 = -1/2 (v + eps)^-3/2 = -1/2 bnvar_inv^3
    g["bnvar"] = -0.5 * cache["bnvar_inv"] ** 3 * g["bnvar_inv"]  # (H,)
    # bndiff feeds bnraw and bnvar = mean(bndiff^2): two contributions
    g["bndiff"] = g["bnraw"] * cache["bnvar_inv"] + (2.0 / n) * cache["bndiff"] * g["bnvar"]
    g["bnmean"] = -g["bndiff"].sum(axis=0)  # (H,)
    # hprebn feeds bndiff directly and through bnmean = mean(hprebn)
    g["hprebn"] = g["bndiff"] + g["bnmean"] / n  # (N, H)
    # (batchnorm_backward(g["hpreact"], cache["bnraw"], params["gamma"], cache["bnvar_inv"])[0]
    # gives the same g["hprebn"] in one line.)

    # first linear layer
    g["embcat"] = g["hprebn"] @ params["W1"].T  # (N, T*E)
    g["W1"] = cache["embcat"].T @ g["hprebn"]  # (T*E, H)
    g["b1"] = g["hprebn"].sum(axis=0)  # (H,)

    # embedding: undo the reshape, then scatter-add rows back into C
    g["emb"] = g["embcat"].reshape(cache["emb"].shape)  # (N, T, E)
    dC = np.zeros_like(params["C"])  # (V, E)
    np.add.at(dC, ids, g["emb"])  # unbuffered: repeated ids accumulate
    g["C"] = dC
    return g
