"""Helpers and oracles shared by phase 0's public tests and the grader's hidden ones.

Under pytest's importlib import mode a hidden test file cannot import its public twin, so what
both need lives here, once; `tests/conftest.py` puts this folder on sys.path. The name carries
the phase number so that phases never collide on sys.path. Only helpers and oracles: no
expected values of any test.
"""


# phase0.linalg's part 1 is pure Python: these NumPy entry points raise while the learner's
# code runs (with shared.forbidden).
NO_NUMPY = ("numpy.array", "numpy.asarray", "numpy.dot", "numpy.matmul", "numpy.outer",
            "numpy.einsum", "numpy.transpose", "numpy.linalg.norm")
NO_INVERSE = ("numpy.linalg.inv", "numpy.linalg.pinv", "numpy.linalg.solve",
              "numpy.linalg.lstsq", "numpy.linalg.tensorinv", "numpy.linalg.tensorsolve")
NO_EIGEN = ("numpy.linalg.eig", "numpy.linalg.eigh", "numpy.linalg.eigvals",
            "numpy.linalg.eigvalsh", "numpy.linalg.svd")


def torch_ninja(params, ids, targets, eps):
    """The oracle for phase0.neural_net's ninja_forward and ninja_backward.

    Runs the ninja MLP's forward (embedding, batch norm in training mode, tanh, cross-entropy)
    in torch float64, step by step, and backpropagates with autograd. Returns (cache, grads):
    cache has every intermediate as a NumPy array, plus "loss" as a float; grads has the
    gradient of the loss with respect to every intermediate and every parameter.
    """
    import torch  # here, not at the top: most phase-0 tests are NumPy only
    import torch.nn.functional as F

    N = ids.shape[0]
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    t = {}
    t["emb"] = P["C"][torch.tensor(ids)]
    t["embcat"] = t["emb"].reshape(N, -1)
    t["hprebn"] = t["embcat"] @ P["W1"] + P["b1"]
    t["bnmean"] = t["hprebn"].mean(0)
    t["bndiff"] = t["hprebn"] - t["bnmean"]
    t["bnvar"] = (t["bndiff"] ** 2).mean(0)
    t["bnvar_inv"] = (t["bnvar"] + eps) ** -0.5
    t["bnraw"] = t["bndiff"] * t["bnvar_inv"]
    t["hpreact"] = P["gamma"] * t["bnraw"] + P["beta"]
    t["h"] = torch.tanh(t["hpreact"])
    t["logits"] = t["h"] @ P["W2"] + P["b2"]
    for v in t.values():
        v.retain_grad()
    loss = F.cross_entropy(t["logits"], torch.tensor(targets))
    loss.backward()
    cache = {k: v.detach().numpy() for k, v in t.items()}
    cache["loss"] = loss.item()
    grads = {k: v.grad.numpy() for k, v in t.items()}
    grads.update({k: v.grad.numpy() for k, v in P.items()})
    return cache, grads
