"""Hidden tests for phase0.neural_net.

Oracles: hand-computed perceptron runs, the perceptron convergence theorem (Novikoff),
torch built-ins and torch.autograd in float64 on random rectangular inputs, and invariants.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from phase0_testkit import torch_ninja

from phase0.neural_net import (
    batchnorm_backward,
    bce_loss,
    cross_entropy_backward,
    mlp_backward,
    mlp_forward,
    mlp_init,
    ninja_backward,
    ninja_forward,
    perceptron_predict,
    perceptron_train,
    sigmoid,
    train_xor,
)
from shared import assert_close, assert_equal, forbidden, rng

AUTOGRAD = ("torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward")
X_BOOL = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y_XOR01 = np.array([0.0, 1.0, 1.0, 0.0])


# --------------------------------------------------------------------------------------------
# (a) perceptron
# --------------------------------------------------------------------------------------------


def test_perceptron_and_run_matches_hand_computation():
    """The perceptron's run on AND matches a hand computation."""
    # Hand-run of the rule from w = 0, b = 0, points in the given order, mistake iff
    # y(w.x + b) <= 0: epochs make 2, 3, 3, 2, 2, 3, 2, 1, 0 updates, ending at w = (3, 2), b = -4.
    w, b, converged, mistakes = perceptron_train(X_BOOL, np.array([-1, -1, -1, 1]), max_epochs=100)
    hint = ("start from zeros; visit the points in the given order; a point is a mistake when "
            "y*(w.x+b) <= 0 (0 counts); update only then, w += y*x and b += y; stop after the "
            "first epoch without a mistake")
    assert_close(np.asarray(w, dtype=float), [3.0, 2.0], atol=1e-12, what="w after training on AND",
                 oracle="a hand computation of the perceptron rule", hint=hint)
    assert_close(float(b), -4.0, atol=1e-12, what="b after training on AND",
                 oracle="a hand computation of the perceptron rule", hint=hint)
    assert converged is True or converged is np.True_, f"converged must be True, got {converged!r}"
    assert mistakes == 18, f"AND makes 18 updates in total by hand; got {mistakes}. Hint: {hint}."


def test_perceptron_or_converges_with_positive_margin_within_bound():
    """The perceptron converges on OR with positive margins within the mistake bound."""
    y = np.array([-1, 1, 1, 1])
    w, b, converged, mistakes = perceptron_train(X_BOOL, y, max_epochs=100)
    margins = y * (X_BOOL @ np.asarray(w, dtype=float) + float(b))
    assert converged and np.all(margins > 0), (
        f"On OR the perceptron must converge with y*(w.x+b) > 0 on every point; got converged="
        f"{converged}, margins {margins}. Hint: check the sign of the update (w += y*x).")
    bound = 3.0 / (0.5 / np.linalg.norm([1.0, 1.0, -0.5])) ** 2  # separator (1, 1, -0.5)
    assert mistakes <= bound, f"{mistakes} mistakes on OR exceed the (R/gamma)^2 bound {bound:.1f}."


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_perceptron_respects_novikoff_bound_on_separable_data(seed):
    """The perceptron makes no more mistakes than Novikoff's bound on separable data."""
    g = rng(100 + seed)
    D = 5
    u = g.normal(size=D + 1)
    u /= np.linalg.norm(u)  # unit separator (w*, b*)
    X = g.uniform(-1, 1, size=(400, D))
    score = X @ u[:D] + u[D]
    keep = np.abs(score) >= 0.1
    X, score = X[keep][:60], score[keep][:60]
    y = np.where(score > 0, 1, -1)
    gamma = np.min(y * score)
    R = np.max(np.linalg.norm(np.hstack([X, np.ones((len(X), 1))]), axis=1))
    bound = (R / gamma) ** 2
    # every epoch before the last makes >= 1 mistake, so bound + 2 epochs always suffice.
    w, b, converged, mistakes = perceptron_train(X, y, max_epochs=int(bound) + 2)
    assert converged, (
        f"Separable data (margin {gamma:.3f}) must converge within {int(bound) + 2} epochs.")
    assert mistakes <= bound, (
        f"{mistakes} mistakes exceed Novikoff's bound (R/gamma)^2 = {bound:.1f} (seed {seed}). "
        "Hint: count only updates, and update only on mistakes.")
    margins = y * (X @ np.asarray(w, dtype=float) + float(b))
    assert np.all(margins > 0), (
        f"Some training point has margin y*(w.x+b) <= 0 after convergence: {margins.min()}")
    assert_equal(perceptron_predict(X, np.asarray(w, dtype=float), float(b)), y,
                 what="perceptron_predict on the training points after convergence",
                 oracle="the labels (the data are separated)")


def test_perceptron_xor_fails_every_epoch():
    """The perceptron makes a mistake in every epoch on XOR."""
    y = np.array([-1, 1, 1, -1])
    for epochs in (1, 7, 30):
        w, b, converged, mistakes = perceptron_train(X_BOOL, y, max_epochs=epochs)
        assert not converged, "XOR is not linearly separable: converged must be False."
        assert epochs <= mistakes <= 4 * epochs, (
            f"With max_epochs={epochs} on XOR, mistakes must be between {epochs} and {4 * epochs} "
            f"(at least one and at most 4 per epoch); got {mistakes}. Hint: stop after max_epochs.")
        pred = perceptron_predict(X_BOOL, np.asarray(w, dtype=float), float(b))
        assert np.any(pred != y), "No (w, b) classifies XOR perfectly, yet these weights did."


def test_perceptron_max_epochs_limits_training():
    # AND needs 9 epochs; with 3 it must stop early, not converged, after 2 + 3 + 3 updates.
    w, b, converged, mistakes = perceptron_train(X_BOOL, np.array([-1, -1, -1, 1]), max_epochs=3)
    assert not converged and mistakes == 8, (
        f"AND with max_epochs=3: expected converged=False and 8 updates (2+3+3 by hand), got "
        f"converged={converged}, mistakes={mistakes}.")


def test_perceptron_predict_convention():
    """Perceptron predict adds the bias and follows the documented sign convention."""
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [2.0, -1.0], [0.0, 0.0]])
    w, b = np.array([1.0, -2.0]), 0.0
    # scores: -3, -2, 4, 0 -> a score of exactly 0 predicts -1
    assert_equal(np.asarray(perceptron_predict(X, w, b)), np.array([-1, -1, 1, -1]),
                 what="perceptron_predict for scores (-3, -2, 4, 0)", oracle="sign rule, 0 -> -1",
                 hint="predict +1 only when w.x + b > 0")
    assert_equal(np.asarray(perceptron_predict(X, w, 2.5)), np.array([-1, 1, 1, 1]),
                 what="perceptron_predict with bias 2.5", oracle="sign rule",
                 hint="add the bias b to every score")


@pytest.mark.parametrize("labels", [np.array([0, 0, 0, 1]), np.array([-1, 2, -1, 1])])
def test_perceptron_rejects_labels_not_plus_minus_one(labels):
    """The perceptron rejects labels other than plus and minus one."""
    with pytest.raises(ValueError):
        perceptron_train(X_BOOL, labels, max_epochs=5)


def test_perceptron_rejects_bad_shapes():
    with pytest.raises(ValueError):
        perceptron_train(np.array([0.0, 1.0, 2.0]), np.array([-1, 1, 1]), max_epochs=5)
    with pytest.raises(ValueError):
        perceptron_train(X_BOOL, np.array([-1, 1, 1]), max_epochs=5)


# --------------------------------------------------------------------------------------------
# (b) MLP on XOR
# --------------------------------------------------------------------------------------------


def _random_mlp(seed, N=7, D=3, H=5):
    g = rng(seed)
    params = {"W1": g.normal(size=(D, H)), "b1": g.normal(size=H),
              "W2": g.normal(size=(H, 1)), "b2": g.normal(size=1)}
    return params, g.normal(size=(N, D)), g.integers(0, 2, size=N).astype(float)


def _torch_mlp(params, X, y):
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    Xt = torch.tensor(X, dtype=torch.float64)
    z1 = Xt @ P["W1"] + P["b1"]
    h = torch.tanh(z1)
    z2 = (h @ P["W2"] + P["b2"])[:, 0]
    loss = F.binary_cross_entropy_with_logits(z2, torch.tensor(y, dtype=torch.float64))
    loss.backward()
    cache = {"X": X, "z1": z1.detach().numpy(), "h": h.detach().numpy(),
             "z2": z2.detach().numpy(), "p": torch.sigmoid(z2).detach().numpy()}
    return cache, loss.item(), {k: P[k].grad.numpy() for k in P}


def test_sigmoid_matches_torch_and_is_stable():
    z = rng(3).normal(scale=5, size=(4, 6))
    assert_close(sigmoid(z), torch.sigmoid(torch.tensor(z)), what="sigmoid(z), z of shape (4, 6)",
                 oracle="torch.sigmoid in float64")
    big = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    assert_close(sigmoid(big), torch.sigmoid(torch.tensor(big)), what="sigmoid at z = +-1000",
                 oracle="torch.sigmoid in float64",
                 hint="exp(1000) overflows to inf and inf/inf is nan: avoid exp of a large "
                      "positive number")


def test_mlp_init_draws_w1_then_w2_from_the_seed():
    """MLP init draws the first-layer weights, then the second, from the seed."""
    params = mlp_init(3, 5, seed=7)
    g = np.random.default_rng(7)
    W1, W2 = g.standard_normal((3, 5)), g.standard_normal((5, 1))
    assert set(params) == {"W1", "b1", "W2", "b2"}, f"mlp_init keys: got {sorted(params)}"
    for k, v in {"W1": W1, "b1": np.zeros(5), "W2": W2, "b2": np.zeros(1)}.items():
        assert_close(params[k], v, what=f"mlp_init(3, 5, seed=7)[{k!r}]",
                     oracle="np.random.default_rng(7).standard_normal, W1 then W2; zero biases",
                     hint="use np.random.default_rng(seed); draw W1 (n_in, n_hidden) first, then "
                          "W2 (n_hidden, 1)")
    other = mlp_init(3, 5, seed=8)
    assert not np.allclose(other["W1"], params["W1"]), "Different seeds must give different W1."


def test_mlp_forward_matches_torch():
    params, X, y = _random_mlp(4, N=6, D=4, H=3)
    expected, _, _ = _torch_mlp(params, X, y)
    cache = mlp_forward(params, X)
    for k in ("z1", "h", "z2", "p"):
        assert k in cache, f"mlp_forward's cache must have the key {k!r}; got {sorted(cache)}."
        assert_close(cache[k], expected[k], what=f"mlp_forward cache[{k!r}] (N=6, D=4, H=3)",
                     oracle="the same forward in torch float64",
                     hint="z1 = X@W1+b1, h = tanh(z1), z2 = (h@W2+b2)[:, 0] of shape (N,), "
                          "p = sigmoid(z2)")
    assert_close(cache["X"], X, what="mlp_forward cache['X']", oracle="the input X")


def test_bce_loss_matches_torch():
    g = rng(5)
    p, y = g.uniform(0.05, 0.95, size=11), g.integers(0, 2, size=11).astype(float)
    expected = F.binary_cross_entropy(torch.tensor(p), torch.tensor(y)).item()
    assert_close(bce_loss(p, y), expected, what="bce_loss(p, y) for 11 points",
                 oracle="torch.nn.functional.binary_cross_entropy (mean)",
                 hint="the mean over points of -(y log p + (1-y) log(1-p)), natural log")


@pytest.mark.parametrize("shape", [(7, 3, 5), (1, 2, 4), (12, 6, 2)])
def test_mlp_backward_matches_autograd(shape):
    N, D, H = shape
    params, X, y = _random_mlp(10 + N, N=N, D=D, H=H)
    cache, _, expected = _torch_mlp(params, X, y)
    with forbidden(*AUTOGRAD, by="phase0.neural_net.mlp_backward"):
        got = mlp_backward(params, cache, y)
    hints = {
        "W2": "dW2 = h^T @ dz2 with dz2 = (p - y)/N of shape (N, 1): the loss is a mean",
        "b2": "the bias gradient is dz2 summed over the batch, of shape (1,)",
        "W1": "tanh'(z1) = 1 - h**2, computed from the activation h, not from z1",
        "b1": "sum dz1 over the batch (axis 0), shape (H,)",
    }
    for k in ("W2", "b2", "W1", "b1"):
        assert k in got, f"mlp_backward must return the gradient for {k!r}; got {sorted(got)}."
        assert_close(got[k], expected[k], atol=1e-8, rtol=1e-8,
                     what=f"gradient of the mean BCE w.r.t. {k} (N={N}, D={D}, H={H})",
                     oracle="torch.autograd in float64", hint=hints[k])


def test_train_xor_solves_xor_for_one_of_three_seeds():
    """Training on XOR solves it for at least one of three seeds."""
    results = []
    for seed in (0, 1, 2):
        params, losses = train_xor(seed=seed, n_hidden=4, lr=0.5, epochs=2000)
        p = mlp_forward(params, X_BOOL)["p"]
        results.append((seed, np.round(p, 3), losses[-1]))
        if np.array_equal(p > 0.5, Y_XOR01 > 0.5):
            assert losses[-1] < losses[0], "The training loss should go down."
            return
    raise AssertionError(
        "train_xor did not classify XOR 4/4 for any of seeds 0, 1, 2 (p > 0.5 iff y = 1). "
        f"Got (seed, p, final loss): {results}. Hint: check the update P -= lr * dP for every "
        "parameter, and the gradients (see the mlp_backward tests).")


def test_train_xor_follows_the_spec():
    """Training on XOR follows the documented procedure."""
    params, losses = train_xor(seed=3, n_hidden=6, lr=0.0, epochs=5)
    assert len(losses) == 5, f"losses must have one entry per epoch (5); got {len(losses)}."
    init = {"W1": None, "b1": np.zeros(6), "W2": None, "b2": np.zeros(1)}
    g = np.random.default_rng(3)
    init["W1"], init["W2"] = g.standard_normal((2, 6)), g.standard_normal((6, 1))
    for k, v in init.items():
        assert_close(params[k], v, what=f"train_xor(seed=3, n_hidden=6, lr=0)[{k!r}]",
                     oracle="mlp_init(2, 6, seed=3), unchanged with lr = 0",
                     hint="start from mlp_init(2, n_hidden, seed) and step by lr * gradient")
    _, loss0, _ = _torch_mlp(init, X_BOOL, Y_XOR01)
    assert_close(np.array(losses), np.full(5, loss0), what="losses with lr = 0",
                 oracle="BCE of the initial network in torch",
                 hint="record the loss of the current parameters before each step")

    _, losses = train_xor(seed=1, n_hidden=4, lr=0.5, epochs=300)
    assert len(losses) == 300 and losses[-1] < 0.5 * losses[0], (
        f"With lr=0.5 the XOR loss should at least halve in 300 steps; got {losses[0]:.4f} -> "
        f"{losses[-1]:.4f}. Hint: step against the gradient, P -= lr * dP.")


# --------------------------------------------------------------------------------------------
# (c) backprop ninja
# --------------------------------------------------------------------------------------------

INTERMEDIATES = ("emb", "embcat", "hprebn", "bnmean", "bndiff", "bnvar", "bnvar_inv", "bnraw",
                 "hpreact", "h", "logits")
PARAMS = ("C", "W1", "b1", "gamma", "beta", "W2", "b2")
NINJA_HINTS = {
    "logits": "the fused CE backward is (softmax(logits) - onehot(targets)) / N: divide by N",
    "h": "dh = dlogits @ W2^T",
    "W2": "dW2 = h^T @ dlogits",
    "b2": "db2 sums dlogits over the batch (axis 0)",
    "hpreact": "tanh' = 1 - h**2, from the output h",
    "gamma": "dgamma = sum over the batch of bnraw * dhpreact",
    "beta": "dbeta = sum over the batch of dhpreact",
    "bnraw": "dbnraw = gamma * dhpreact",
    "bnvar_inv": "bnvar_inv was broadcast over rows: sum bndiff * dbnraw over the batch",
    "bnvar": "d/dv (v + eps)^-1/2 = -0.5 (v + eps)^-3/2 = -0.5 bnvar_inv**3",
    "bndiff": "bndiff feeds bnraw AND bnvar: add dbnraw*bnvar_inv and (2/N)*bndiff*dbnvar",
    "bnmean": "dbnmean = -sum of dbndiff over the batch",
    "hprebn": "hprebn feeds bndiff and bnmean: dhprebn = dbndiff + dbnmean/N (the mean and "
              "variance terms of the batch-norm backward)",
    "embcat": "dembcat = dhprebn @ W1^T",
    "W1": "dW1 = embcat^T @ dhprebn",
    "b1": "db1 sums dhprebn over the batch",
    "emb": "demb is dembcat reshaped back to (N, T, E)",
    "C": "a token id used several times gets the SUM of its rows' gradients: "
         "dC[ids] += demb overwrites repeated ids; use np.add.at or a loop",
}


def _ninja_problem(seed, N=9, T=3, V=11, E=2, H=6, K=5):
    g = rng(seed)
    params = {"C": g.normal(size=(V, E)), "W1": g.normal(size=(T * E, H)) / np.sqrt(T * E),
              "b1": g.normal(size=H), "gamma": 1 + 0.2 * g.normal(size=H),
              "beta": 0.2 * g.normal(size=H), "W2": 0.5 * g.normal(size=(H, K)),
              "b2": 0.2 * g.normal(size=K)}
    return params, g.integers(0, V, size=(N, T)), g.integers(0, K, size=N)


@pytest.mark.parametrize("eps", [1e-5, 0.5])
def test_ninja_forward_matches_torch(eps):
    """The backprop-ninja forward pass returns every intermediate and matches torch."""
    params, ids, targets = _ninja_problem(20)
    expected, _ = torch_ninja(params, ids, targets, eps)
    got = ninja_forward(params, ids, targets, eps=eps)
    assert set(got) == set(INTERMEDIATES) | {"loss"}, (
        f"ninja_forward must return exactly the keys {sorted(INTERMEDIATES) + ['loss']}; "
        f"got {sorted(got)}.")
    for k in INTERMEDIATES + ("loss",):
        assert_close(got[k], expected[k], atol=1e-10, rtol=1e-10,
                     what=f"ninja_forward(...)[{k!r}] with eps={eps}", oracle="torch float64",
                     hint="follow the docstring line by line: biased variance (divide by N), "
                          "eps inside the square root, token 0 first in embcat")


def test_ninja_batch_norm_matches_torch_functional():
    """The backprop-ninja batch norm matches torch's functional batch norm."""
    params, ids, targets = _ninja_problem(21, N=16, H=7)
    got = ninja_forward(params, ids, targets, eps=1e-3)
    x = torch.tensor(got["hprebn"])
    expected = F.batch_norm(x, None, None, weight=torch.tensor(params["gamma"]),
                            bias=torch.tensor(params["beta"]), training=True, eps=1e-3)
    assert_close(got["hpreact"], expected, what="hpreact (batch norm in training mode)",
                 oracle="torch.nn.functional.batch_norm(training=True)",
                 hint="normalise with the biased batch variance (1/N), eps inside the sqrt")


def test_ninja_loss_is_stable_for_large_logits():
    """The backprop-ninja loss stays accurate for large logits."""
    params, ids, targets = _ninja_problem(22)
    params = {**params, "W2": 1000.0 * params["W2"]}
    expected, _ = torch_ninja(params, ids, targets, 1e-5)
    got = ninja_forward(params, ids, targets)
    assert_close(got["loss"], expected["loss"], rtol=1e-10, what="loss with logits of size ~1000",
                 oracle="torch.nn.functional.cross_entropy",
                 hint="subtract each row's max before exp (log-sum-exp)")


def test_ninja_forward_rejects_bad_shapes():
    """The backprop-ninja forward pass rejects inputs of the wrong shape."""
    params, ids, targets = _ninja_problem(23)
    with pytest.raises(ValueError):
        ninja_forward(params, ids[:, 0], targets)
    with pytest.raises(ValueError):
        ninja_forward(params, ids, targets[:-1])


@pytest.mark.parametrize("dims", [(9, 3, 11, 2, 6, 5), (32, 4, 7, 3, 10, 13), (5, 1, 4, 5, 3, 2)])
def test_ninja_backward_matches_autograd(dims):
    """The backprop-ninja backward pass matches autograd for every intermediate."""
    N, T, V, E, H, K = dims
    params, ids, targets = _ninja_problem(30 + N, N=N, T=T, V=V, E=E, H=H, K=K)
    cache, expected = torch_ninja(params, ids, targets, 1e-5)
    with forbidden(*AUTOGRAD, by="phase0.neural_net.ninja_backward"):
        got = ninja_backward(params, cache, ids, targets)
    assert set(got) == set(INTERMEDIATES) | set(PARAMS), (
        f"ninja_backward must return exactly the keys {sorted(INTERMEDIATES + PARAMS)}; "
        f"got {sorted(got)}.")
    # Check from the loss backwards, so that the first failure is the first wrong step.
    for k in ("logits", "h", "W2", "b2", "hpreact", "gamma", "beta", "bnraw", "bnvar_inv", "bnvar",
              "bndiff", "bnmean", "hprebn", "embcat", "W1", "b1", "emb", "C"):
        assert_close(got[k], expected[k], atol=1e-9, rtol=0,
                     what=f"d loss / d {k} (N={N}, T={T}, V={V}, E={E}, H={H}, K={K})",
                     oracle="torch.autograd in float64 (retain_grad)", hint=NINJA_HINTS[k])


def test_ninja_embedding_gradient_accumulates_repeated_ids():
    """The backprop-ninja embedding gradient accumulates over repeated token ids."""
    params, _, targets = _ninja_problem(40, N=8, T=3, V=6)
    ids = np.array([[0, 0, 1], [1, 0, 0], [2, 2, 2], [0, 1, 2],
                    [0, 0, 0], [1, 1, 1], [2, 0, 1], [0, 2, 0]])  # tokens 3..5 never used
    cache, expected = torch_ninja(params, ids, targets, 1e-5)
    got = ninja_backward(params, cache, ids, targets)
    assert_close(got["C"], expected["C"], atol=1e-9, rtol=0,
                 what="dC when token ids repeat within and across rows",
                 oracle="torch.autograd in float64", hint=NINJA_HINTS["C"])
    assert np.all(np.asarray(got["C"])[3:] == 0), (
        "Rows of C for tokens that never appear in ids must get zero gradient.")


def test_cross_entropy_backward_is_softmax_minus_onehot_over_n():
    g = rng(50)
    for N, K, scale in [(7, 4, 1.0), (3, 9, 1000.0), (1, 2, 5.0)]:
        logits = scale * g.normal(size=(N, K))
        targets = g.integers(0, K, size=N)
        L = torch.tensor(logits, requires_grad=True)
        F.cross_entropy(L, torch.tensor(targets)).backward()
        with forbidden(*AUTOGRAD, by="phase0.neural_net.cross_entropy_backward"):
            got = cross_entropy_backward(logits, targets)
        assert_close(got, L.grad, atol=1e-12, rtol=1e-9,
                     what=f"dloss/dlogits for logits of shape ({N}, {K}) and scale {scale}",
                     oracle="torch.autograd of F.cross_entropy; equals (softmax - onehot)/N",
                     hint="softmax(logits) minus 1 at each target, divided by N; subtract the "
                          "row max before exp so that large logits do not overflow")
        rows = np.asarray(got).sum(axis=1)
        assert np.allclose(rows, 0, atol=1e-12), f"Each row of dlogits must sum to 0; got {rows}."


@pytest.mark.parametrize("shape", [(8, 5), (30, 3), (2, 6)])
def test_batchnorm_backward_matches_autograd(shape):
    N, H = shape
    g = rng(60 + N)
    x = g.normal(loc=2.0, scale=3.0, size=(N, H))
    gamma, beta, dout = 1 + 0.3 * g.normal(size=H), g.normal(size=H), g.normal(size=(N, H))
    eps = 1e-5
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    # autograd through the batch-norm formula (F.batch_norm's backward would import sympy: slow)
    mean, var = xt.mean(0), xt.var(0, unbiased=False)
    out = gt * (xt - mean) / torch.sqrt(var + eps) + bt
    out.backward(torch.tensor(dout))
    bnvar_inv = (x.var(axis=0) + eps) ** -0.5  # biased variance, as batch norm normalises
    bnraw = (x - x.mean(axis=0)) * bnvar_inv
    with forbidden(*AUTOGRAD, by="phase0.neural_net.batchnorm_backward"):
        got = batchnorm_backward(dout, bnraw, gamma, bnvar_inv)
    assert isinstance(got, tuple) and len(got) == 3, (
        "batchnorm_backward must return a tuple (dhprebn, dgamma, dbeta).")
    for name, value, ref, hint in [
        ("dhprebn", got[0], xt.grad, "the batch mean and variance depend on every row of the "
         "input: gamma * bnvar_inv * dhpreact alone misses their two terms"),
        ("dgamma", got[1], gt.grad, "sum bnraw * dhpreact over the batch"),
        ("dbeta", got[2], bt.grad, "sum dhpreact over the batch"),
    ]:
        assert_close(value, ref, atol=1e-9, rtol=0, what=f"{name} for input of shape ({N}, {H})",
                     oracle="torch.autograd of training-mode batch norm in float64", hint=hint)
