"""Public smoke tests for phase0.neural_net (the grader also runs hidden tests).

Oracles: the perceptron convergence theorem (Novikoff's (R/gamma)^2 bound), and
torch.autograd in float64 for every hand-written gradient.
"""

import numpy as np
import torch
import torch.nn.functional as F
from phase0_testkit import torch_ninja

from phase0.neural_net import mlp_backward, ninja_backward, perceptron_train
from shared import assert_close, rng

X_BOOL = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def test_perceptron_learns_and_within_the_convergence_bound():
    """The perceptron learns the AND function within the convergence bound."""
    y = np.array([-1, -1, -1, 1])  # AND
    w, b, converged, mistakes = perceptron_train(X_BOOL, y, max_epochs=100)
    margins = y * (X_BOOL @ np.asarray(w, dtype=float) + float(b))
    assert converged, "perceptron_train on AND (linearly separable) should converge; it did not."
    assert np.all(margins > 0), (
        f"After converging on AND every point needs a positive margin y*(w.x+b) > 0; got margins "
        f"{margins}. Hint: a point is a mistake when y*(w.x+b) <= 0 (a score of 0 is a mistake), "
        "and the update is w += y*x, b += y."
    )
    # Novikoff: separator (1, 1, -1.5) has margin 0.5 / ||(1, 1, -1.5)||; R^2 = max ||(x, 1)||^2.
    gamma = 0.5 / np.linalg.norm([1.0, 1.0, -1.5])
    bound = 3.0 / gamma**2
    assert mistakes <= bound, (
        f"The perceptron made {mistakes} mistakes on AND, more than the (R/gamma)^2 = {bound:.1f} "
        "allowed by the convergence theorem. Hint: count one mistake per update, and update only "
        "on mistakes."
    )


def test_perceptron_never_converges_on_xor():
    y = np.array([-1, 1, 1, -1])  # XOR
    w, b, converged, mistakes = perceptron_train(X_BOOL, y, max_epochs=50)
    assert not converged, (
        "XOR is not linearly separable: perceptron_train must not report convergence.")
    assert mistakes >= 50, (
        f"On XOR every epoch makes at least one mistake, so 50 epochs make >= 50; got {mistakes}. "
        "Hint: run all max_epochs epochs and count every update."
    )


def _torch_mlp_grads(params, X, y):
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    Xt = torch.tensor(X, dtype=torch.float64)
    h = torch.tanh(Xt @ P["W1"] + P["b1"])
    z2 = (h @ P["W2"] + P["b2"])[:, 0]
    F.binary_cross_entropy_with_logits(z2, torch.tensor(y, dtype=torch.float64)).backward()
    cache = {"X": X, "z1": (Xt @ P["W1"] + P["b1"]).detach().numpy(), "h": h.detach().numpy(),
             "z2": z2.detach().numpy(), "p": torch.sigmoid(z2).detach().numpy()}
    return cache, {k: P[k].grad.numpy() for k in P}


def test_mlp_backward_matches_autograd():
    g = rng(0)
    N, D, H = 7, 3, 5
    params = {"W1": g.normal(size=(D, H)), "b1": g.normal(size=H),
              "W2": g.normal(size=(H, 1)), "b2": g.normal(size=1)}
    X, y = g.normal(size=(N, D)), g.integers(0, 2, size=N).astype(float)
    cache, expected = _torch_mlp_grads(params, X, y)
    got = mlp_backward(params, cache, y)
    for k in ("W2", "b2", "W1", "b1"):
        assert_close(got[k], expected[k], atol=1e-8, rtol=1e-8,
                     what=f"gradient of the mean BCE w.r.t. {k} (N={N}, D={D}, H={H})",
                     oracle="torch.autograd in float64",
                     hint="dL/dz2 = (p - y)/N (the loss is a mean); tanh' = 1 - h**2; "
                          "bias gradients sum over the batch.")


def test_ninja_backward_matches_autograd_for_every_tensor():
    """The backprop-ninja backward pass matches autograd for every tensor."""
    g = rng(1)
    N, T, V, E, H, K = 9, 3, 7, 2, 6, 5
    params = {"C": g.normal(size=(V, E)), "W1": g.normal(size=(T * E, H)) / np.sqrt(T * E),
              "b1": g.normal(size=H), "gamma": 1 + 0.1 * g.normal(size=H),
              "beta": 0.1 * g.normal(size=H), "W2": 0.5 * g.normal(size=(H, K)),
              "b2": 0.1 * g.normal(size=K)}
    ids, targets = g.integers(0, V, size=(N, T)), g.integers(0, K, size=N)
    eps = 1e-5

    cache, expected = torch_ninja(params, ids, targets, eps)
    got = ninja_backward(params, cache, ids, targets)
    # from the loss backwards, so that the first failure is the first wrong step
    for k in ("logits", "h", "W2", "b2", "hpreact", "gamma", "beta", "bnraw", "bnvar_inv", "bnvar",
              "bndiff", "bnmean", "hprebn", "embcat", "W1", "b1", "emb", "C"):
        assert k in got, f"ninja_backward must return the gradient for key {k!r}."
        assert_close(got[k], expected[k], atol=1e-9, rtol=0,
                     what=f"gradient of the loss w.r.t. {k}", oracle="torch.autograd in float64",
                     hint="go back one line of the forward at a time; where a tensor is used "
                          "twice, add both gradients; repeated token ids must accumulate into C.")
