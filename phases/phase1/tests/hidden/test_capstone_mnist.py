"""Hidden tests for phase1.capstone_mnist: the MLP from your own primitives, on real MNIST.

Oracles: closed forms (preprocess, the warmup + cosine learning rates, the first batch's
loss), torch.nn.functional.cross_entropy and an argmax accuracy computed here, a record of
which autograd Functions and optimizer steps training runs, and, on real MNIST, the same MLP
built from torch.nn (nn.Linear, nn.ReLU, nn.Dropout) and trained identically with
torch.optim.AdamW, written in this file.

Real data comes from shared.data.load_mnist (TTI_DATA_DIR); the MNIST tests skip with the
loader's message when it is absent. CI has only the 10,000 test images: train on the first
8,000, score on the last 2,000. The full-MNIST test runs only where the 60,000 training
images are present.
"""

import math
import time
from contextlib import contextmanager

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from phase1.capstone_mnist import build_model, evaluate, preprocess, train
from shared import assert_close
from shared.dependencies import uses_your_modules as _uses_your_modules

MODULES_FIRST = "linear, activations, regularization, losses, optimizers and schedulers"


def uses_your_modules():
    """Name the module to finish first when one of yours is not written yet."""
    return _uses_your_modules("phase1.capstone_mnist")


def expected_lr(t, *, max_lr, min_lr, warmup_steps, total_steps):
    """The warmup + cosine schedule of phase1.schedulers.warmup_cosine, in closed form."""
    if t < warmup_steps:
        return max_lr * (t + 1) / warmup_steps
    if t >= total_steps:
        return min_lr
    progress = (t - warmup_steps) / max(1, total_steps - warmup_steps)
    return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + math.cos(math.pi * progress))


def clusters(n=400, seed=0, noise=0.5):
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(10, 784, generator=g)
    labels = torch.arange(n) % 10
    return centres[labels] + noise * torch.randn(n, 784, generator=g), labels


@contextmanager
def record_training(monkeypatch):
    """Record every phase1 AdamW step (with its learning rates) and every autograd Function
    applied, by the module that defines it."""
    from phase1.optimizers import AdamW

    steps, functions = [], set()
    original_step = AdamW.step

    def step(self, *args, **kwargs):
        steps.append([group["lr"] for group in self.param_groups])
        return original_step(self, *args, **kwargs)

    original_apply = torch.autograd.Function.__dict__["apply"].__func__

    def apply(cls, *args, **kwargs):
        functions.add(cls.__module__)
        return original_apply(cls, *args, **kwargs)

    monkeypatch.setattr(AdamW, "step", step)
    monkeypatch.setattr(torch.autograd.Function, "apply", classmethod(apply))
    yield steps, functions


def linears_in_call_order(model):
    """The model's phase1 Linear layers, in the order its forward calls them."""
    from phase1.linear import Linear

    order = []
    handles = [m.register_forward_hook(lambda m, i, o: order.append(m))
               for m in model.modules() if isinstance(m, Linear)]
    try:
        with torch.no_grad():
            model(torch.zeros(2, 784))
    finally:
        for h in handles:
            h.remove()
    return order


def initial_forward(model):
    """A plain-torch copy of the model's forward (dropout off) with its current weights."""
    weights = [(m.weight.detach().clone(), m.bias.detach().clone())
               for m in linears_in_call_order(model)]

    def forward(x):
        for i, (w, b) in enumerate(weights):
            x = x @ w.T + b
            if i < len(weights) - 1:
                x = torch.relu(x)
        return x

    return forward


# --- preprocess and build_model ------------------------------------------------------------


def test_preprocess_rejects_other_shapes():
    with pytest.raises(ValueError):
        preprocess(np.zeros((4, 784), dtype=np.uint8))


def test_preprocess_keeps_extreme_pixels_exact():
    images = np.zeros((2, 28, 28), dtype=np.uint8)
    images[0, 0, 1] = 255
    images[1, 27, 27] = 255
    x = preprocess(images)
    assert_close(x[0, 1], (1 - 0.1307) / 0.3081, what="preprocess: pixel (0, 1) of value 255",
                 oracle="(255 / 255 - 0.1307) / 0.3081 at feature 1")
    assert_close(x[1, 783], (1 - 0.1307) / 0.3081, what="preprocess: pixel (27, 27) = 255",
                 oracle="feature 28 * 27 + 27 = 783")
    assert_close(x[0, 0], -0.1307 / 0.3081, what="preprocess: a 0 pixel",
                 oracle="(0 - 0.1307) / 0.3081")


def test_build_model_is_seeded_and_sized():
    """Build model is reproducible from its seed and has the documented sizes."""
    from phase1.regularization import Dropout

    with uses_your_modules():
        a = torch.cat([p.detach().reshape(-1) for p in build_model(seed=3).parameters()])
        b = torch.cat([p.detach().reshape(-1) for p in build_model(seed=3).parameters()])
        c = torch.cat([p.detach().reshape(-1) for p in build_model(seed=4).parameters()])
        small = build_model(seed=0, hidden=32, dropout=0.3)
        out = small(torch.zeros(2, 784))
    assert torch.equal(a, b), "build_model(3) twice must give the same initial weights"
    assert not torch.equal(a, c), (
        "build_model(3) and build_model(4) have equal weights: call torch.manual_seed(seed) "
        "before creating the layers")
    shapes = sorted(tuple(p.shape) for p in small.parameters())
    assert shapes == sorted([(32, 784), (32,), (32, 32), (32,), (10, 32), (10,)]), (
        f"build_model(hidden=32) parameter shapes {shapes}; expected 784-32-32-10 with biases")
    ps = [m.p for m in small.modules() if isinstance(m, Dropout)]
    assert ps == [0.3, 0.3], f"build_model(dropout=0.3) must have two Dropout(0.3), got {ps}"
    assert small.training, "build_model must return the model in training mode"
    assert tuple(out.shape) == (2, 10), f"output shape {tuple(out.shape)}, expected (2, 10)"


def test_model_output_comes_from_your_linear_function():
    with uses_your_modules():
        model = build_model(seed=0)
        out = model(torch.randn(3, 784))
    node = out.grad_fn
    assert node is not None and isinstance(node, torch.autograd.function.BackwardCFunction), (
        f"the model's output has grad_fn {type(node).__name__}: its last layer must be your "
        "phase1.linear.Linear, whose output comes from your LinearFunction (write a "
        "torch.autograd.Function with its own backward).")
    assert node._forward_cls.__module__ == "phase1.linear", (
        f"the model's output comes from {node._forward_cls.__qualname__} in "
        f"{node._forward_cls.__module__}; expected your phase1.linear.LinearFunction.")


# --- train ---------------------------------------------------------------------------------


def test_train_steps_your_adamw_on_the_warmup_cosine_schedule(monkeypatch):
    images, labels = clusters(seed=1)
    settings = {"lr": 3e-3, "min_lr": 1e-4, "warmup_steps": 7}
    with uses_your_modules():
        model = build_model(seed=0, hidden=16)
        with record_training(monkeypatch) as (steps, functions):
            losses = train(model, images, labels, steps=25, batch_size=40, seed=0,
                           weight_decay=0.05, **settings)
    assert len(steps) == 25, (
        f"train(steps=25) stepped phase1.optimizers.AdamW {len(steps)} times; expected 25. "
        "Hint: use your AdamW (not torch.optim's), one step per iteration.")
    assert len(losses) == 25, f"train(steps=25) returned {len(losses)} losses"
    got = [lrs[0] for lrs in steps]
    want = [expected_lr(t, max_lr=3e-3, min_lr=1e-4, warmup_steps=7, total_steps=25)
            for t in range(25)]
    assert_close(got, want, rtol=1e-9, atol=0,
                 what="the learning rate at each of 25 AdamW steps (max_lr 3e-3, min_lr 1e-4, "
                      "warmup 7)",
                 oracle="the warmup + cosine schedule in closed form (phase1.schedulers)",
                 hint="before step t (t = 0, 1, ...) set every param group's 'lr' to "
                      "warmup_cosine(t, max_lr=lr, min_lr=min_lr, warmup_steps=warmup_steps, "
                      "total_steps=steps).")
    for module in ("phase1.linear", "phase1.activations", "phase1.regularization",
                   "phase1.losses"):
        assert module in functions, (
            f"training never applied an autograd Function from {module}: the model and the "
            f"loss must use your {module} (Functions applied: {sorted(functions)}).")


def test_train_uses_the_weight_decay_and_betas_of_adamw(monkeypatch):
    from phase1.optimizers import AdamW

    seen = []
    original_init = AdamW.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        seen.append(dict(self.defaults))

    monkeypatch.setattr(AdamW, "__init__", init)
    images, labels = clusters(n=100, seed=2)
    with uses_your_modules():
        train(build_model(seed=0, hidden=8), images, labels, steps=2, batch_size=20, seed=0,
              warmup_steps=1, weight_decay=0.07)
    assert len(seen) == 1, f"train must create one phase1 AdamW; it created {len(seen)}"
    assert seen[0]["weight_decay"] == 0.07, (
        f"AdamW was created with weight_decay={seen[0]['weight_decay']}; train(weight_decay="
        "0.07) must pass it on")
    assert tuple(seen[0]["betas"]) == (0.9, 0.999) and seen[0]["eps"] == 1e-8, (
        f"AdamW must use its default betas and eps, got {seen[0]['betas']}, {seen[0]['eps']}")


def test_first_loss_is_the_cross_entropy_of_the_first_documented_batch():
    images, labels = clusters(n=150, seed=3)
    with uses_your_modules():
        model = build_model(seed=5, hidden=24, dropout=0.0)
        forward = initial_forward(model)
        losses = train(model, images, labels, steps=3, batch_size=32, seed=11,
                       warmup_steps=1)
    perm = torch.randperm(150, generator=torch.Generator().manual_seed(11))
    idx = perm[:32]
    expected = F.cross_entropy(forward(images[idx]), labels[idx]).item()
    assert_close(losses[0], expected, rtol=1e-5, atol=1e-6,
                 what="the first loss train returns (batch_size 32, seed 11, dropout 0)",
                 oracle="F.cross_entropy of the initial weights on images[perm[:32]], perm = "
                        "torch.randperm(150, generator=torch.Generator().manual_seed(11))",
                 hint="draw the batch order with your own torch.Generator seeded with `seed`, "
                      "take consecutive slices of the permutation, and record each loss "
                      "before its update.")


def test_train_is_deterministic_given_its_seed():
    images, labels = clusters(n=200, seed=4)
    runs = []
    for i, seed in enumerate((7, 7, 8)):
        with uses_your_modules():
            model = build_model(seed=0, hidden=16, dropout=0.3)
            torch.manual_seed(100 + i)  # train must not depend on the global state it is given
            runs.append(train(model, images, labels, steps=12, batch_size=30, seed=seed,
                              warmup_steps=3))
    assert runs[0] == runs[1], (
        "train with the same seed (and the same initial model) gave different losses: seed "
        "torch's global generator (dropout) with torch.manual_seed(seed), and the batch order "
        "with a torch.Generator seeded with seed.")
    assert runs[0] != runs[2], "train with seeds 7 and 8 gave identical losses: seed ignored?"


def test_train_matches_a_torch_twin_step_by_step_without_dropout():
    # Same initial weights, same batches, same schedule: with dropout off, your training loop
    # and torch.optim.AdamW on nn.Linear layers must give the same losses (float32 rounding).
    images, labels = clusters(n=200, seed=9, noise=2.0)
    settings = {"steps": 8, "batch_size": 48, "seed": 4, "lr": 1e-2, "min_lr": 1e-3,
                "warmup_steps": 3, "weight_decay": 0.1}
    with uses_your_modules():
        model = build_model(seed=6, hidden=32, dropout=0.0)
        linears = linears_in_call_order(model)
        twin = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                             nn.Linear(32, 10))
        with torch.no_grad():
            for ours, theirs in zip(linears, (twin[0], twin[2], twin[4]), strict=True):
                theirs.weight.copy_(ours.weight)
                theirs.bias.copy_(ours.bias)
        losses = train(model, images, labels, **settings)
    s = settings
    opt = torch.optim.AdamW(twin.parameters(), lr=s["lr"], weight_decay=s["weight_decay"])
    g = torch.Generator().manual_seed(s["seed"])
    perm, pos, expected = torch.randperm(200, generator=g), 0, []
    for t in range(s["steps"]):
        if pos + s["batch_size"] > 200:
            perm, pos = torch.randperm(200, generator=g), 0
        idx = perm[pos:pos + s["batch_size"]]
        pos += s["batch_size"]
        for group in opt.param_groups:
            group["lr"] = expected_lr(t, max_lr=s["lr"], min_lr=s["min_lr"],
                                      warmup_steps=s["warmup_steps"], total_steps=s["steps"])
        loss = F.cross_entropy(twin(images[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        expected.append(loss.item())
    assert_close(losses, expected, rtol=1e-4, atol=1e-5,
                 what="the losses of 8 training steps (dropout 0, lr 1e-2, warmup 3, "
                      "weight_decay 0.1)",
                 oracle="the same loop in this test: nn.Linear copies of your initial weights, "
                        "F.cross_entropy and torch.optim.AdamW",
                 hint="the first loss wrong: the batch order or the loss. Later ones wrong: "
                      "zero the gradients every step, set the step's learning rate before "
                      "optimizer.step(), pass weight_decay to AdamW.")


def test_train_switches_the_model_to_training_mode():
    images, labels = clusters(n=100, seed=5)
    with uses_your_modules():
        model = build_model(seed=0, hidden=16, dropout=0.5)
        model.eval()
        train(model, images, labels, steps=2, batch_size=20, seed=0, warmup_steps=1)
    assert model.training, (
        "train must call model.train() (dropout on while training), even when it was given a "
        "model in eval mode.")


@pytest.mark.parametrize("batch_size", [0, 101])
def test_train_rejects_a_batch_size_outside_1_to_n(batch_size):
    """Train rejects a batch size below one or above the number of samples."""
    images, labels = clusters(n=100, seed=6)
    with uses_your_modules():
        model = build_model(seed=0, hidden=8)
        with pytest.raises(ValueError):
            train(model, images, labels, steps=1, batch_size=batch_size, seed=0, warmup_steps=1)


def test_train_walks_through_fresh_permutations_after_each_epoch():
    # 3 batches of 40 from 100 images: batches 1-2 from the first permutation, batch 3 from a
    # second one (the 20 left over are dropped). With lr 0, every loss is the batch's loss
    # under the initial weights, which identifies the batches.
    images, labels = clusters(n=100, seed=7, noise=2.0)
    with uses_your_modules():
        model = build_model(seed=1, hidden=12, dropout=0.0)
        forward = initial_forward(model)
        losses = train(model, images, labels, steps=3, batch_size=40, seed=3, lr=0.0,
                       min_lr=0.0, warmup_steps=1, weight_decay=0.0)
    g = torch.Generator().manual_seed(3)
    first, second = torch.randperm(100, generator=g), torch.randperm(100, generator=g)
    batches = [first[:40], first[40:80], second[:40]]

    expected = [F.cross_entropy(forward(images[idx]), labels[idx]).item() for idx in batches]
    assert_close(losses, expected, rtol=1e-5, atol=1e-6,
                 what="the losses of 3 steps with lr 0 (100 images, batch_size 40, seed 3)",
                 oracle="the initial model's loss on perm1[0:40], perm1[40:80], perm2[0:40]",
                 hint="when fewer than batch_size indices remain, drop them and draw a new "
                      "permutation with the same generator.")


# --- evaluate ------------------------------------------------------------------------------


def test_evaluate_is_the_eval_mode_argmax_accuracy():
    images, labels = clusters(n=1234, seed=8, noise=3.0)
    with uses_your_modules():
        model = build_model(seed=2, hidden=32, dropout=0.5)
        model.train()
        sizes, grad_modes = [], []

        def hook(module, inputs, output):
            sizes.append(inputs[0].shape[0])
            grad_modes.append(torch.is_grad_enabled())

        first = linears_in_call_order(model)[0]
        handle = first.register_forward_hook(hook)
        acc = evaluate(model, images, labels, batch_size=500)
        handle.remove()
    with torch.no_grad():
        expected = (model.eval()(images).argmax(dim=1) == labels).double().mean().item()
    assert isinstance(acc, float), f"evaluate must return a Python float, got {type(acc)}"
    assert_close(acc, expected, rtol=0, atol=1e-12,
                 what="evaluate on 1,234 images (batch_size 500) of a model left in train mode",
                 oracle="mean(argmax(model(x)) == y) computed here in eval mode",
                 hint="call model.eval() first (dropout off), then count correct argmaxes.")
    assert not model.training, "evaluate must leave the model in eval mode"
    assert sizes == [500, 500, 234], (
        f"evaluate(batch_size=500) on 1,234 images ran batches of {sizes}; expected "
        "[500, 500, 234]")
    assert not any(grad_modes), (
        "evaluate ran the model with autograd on: wrap it in torch.no_grad()")


# --- real MNIST ----------------------------------------------------------------------------
# The CI variant: the 10,000 MNIST test images, train on the first 8,000, score on the last
# 2,000, with the settings below (1,000 AdamW steps of 128, warmup 100, cosine to 2e-5).
#
# Calibration, accuracy on the 2,000 held-out images (CPU, torch 2.13):
#   torch.nn twin (this file), seeds 0-5, 2 threads:   0.9680-0.9710
#   reference solution, seeds 0-5, 2 threads:           0.9695-0.9735 (gap to twin +0.05..+0.25)
#   reference solution, seed 0, 1 thread:               0.9660 (twin 0.9690)
# The bar 0.94 is about 3 points below both; the twin comparison allows 1 point either way,
# where seed-to-seed and thread-count spread is about 0.3 points.
# Wall time on 2 idle cores (OMP_NUM_THREADS=2): reference ~8 s, twin ~6 s, the whole test
# ~15 s; on a heavily shared machine it reached ~80 s.

SPLIT = {"steps": 1000, "batch_size": 128, "seed": 0, "lr": 2e-3, "min_lr": 2e-5,
         "warmup_steps": 100, "weight_decay": 1e-2}
FULL = {"steps": 4000, "batch_size": 128, "seed": 0, "lr": 2e-3, "min_lr": 2e-5,
        "warmup_steps": 200, "weight_decay": 1e-2}
BAR_SPLIT = 0.94
BAR_FULL = 0.97
TWIN_GAP = 0.01
# Generous (see the wall times above); the full-MNIST run is about 4x the 8,000-image one.
SPLIT_TIMEOUT = 300
FULL_TIMEOUT = 900


def _mnist(split):
    """(uint8 images (N, 28, 28), int64 labels (N,) tensor) from shared.data, or skip."""
    from shared.data import load_mnist, load_or_skip

    images, labels = load_or_skip(load_mnist, split)
    return images, torch.from_numpy(labels.astype(np.int64))


def _twin_inputs(images):
    """This test's own preprocessing, for the torch.nn twin."""
    flat = torch.from_numpy(images.reshape(len(images), 784).astype(np.float32))
    return (flat / 255.0 - 0.1307) / 0.3081


def torch_twin_accuracy(x_train, y_train, x_test, y_test, settings):
    """The same MLP from torch.nn, trained identically with torch.optim.AdamW."""
    s = settings
    torch.manual_seed(s["seed"])
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.1), nn.Linear(256, 256),
                          nn.ReLU(), nn.Dropout(0.1), nn.Linear(256, 10))
    opt = torch.optim.AdamW(model.parameters(), lr=s["lr"], weight_decay=s["weight_decay"])
    g = torch.Generator().manual_seed(s["seed"])
    n, bs = len(x_train), s["batch_size"]
    perm, pos = torch.randperm(n, generator=g), 0
    for t in range(s["steps"]):
        if pos + bs > n:
            perm, pos = torch.randperm(n, generator=g), 0
        idx = perm[pos:pos + bs]
        pos += bs
        for group in opt.param_groups:
            group["lr"] = expected_lr(t, max_lr=s["lr"], min_lr=s["min_lr"],
                                      warmup_steps=s["warmup_steps"], total_steps=s["steps"])
        loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        return (model(x_test).argmax(dim=1) == y_test).double().mean().item()


def _train_yours(train_images, y_train, test_images, y_test, settings):
    """Your whole pipeline: preprocess, build_model, train, evaluate; (accuracy, seconds)."""
    start = time.perf_counter()
    with uses_your_modules():
        x_train, x_test = preprocess(train_images), preprocess(test_images)
        model = build_model(seed=settings["seed"])
        losses = train(model, x_train, y_train, **settings)
        acc = evaluate(model, x_test, y_test)
    assert len(losses) == settings["steps"] and all(math.isfinite(v) for v in losses), (
        f"train returned {len(losses)} losses (expected {settings['steps']}), or some are not "
        "finite")
    return acc, time.perf_counter() - start


@pytest.mark.timeout(SPLIT_TIMEOUT)
def test_mnist_test_split_reaches_94_percent_and_matches_its_torch_twin():
    images, y = _mnist("test")
    acc, seconds = _train_yours(images[:8000], y[:8000], images[8000:], y[8000:], SPLIT)
    x = _twin_inputs(images)
    x_train, y_train, x_test, y_test = x[:8000], y[:8000], x[8000:], y[8000:]
    what = (f"after {SPLIT['steps']} steps on the first 8,000 MNIST test images ({seconds:.0f} s), "
            f"accuracy on the last 2,000")
    if acc < BAR_SPLIT:
        twin = torch_twin_accuracy(x_train, y_train, x_test, y_test, SPLIT)
        raise AssertionError(
            f"{what} is {acc:.4f}, below the bar {BAR_SPLIT:.2f} by "
            f"{100 * (BAR_SPLIT - acc):.2f} points. The same MLP from torch.nn, trained the "
            f"same way with torch.optim.AdamW (in this test), reaches {twin:.4f}. Check first "
            f"that the tests of {MODULES_FIRST} pass.")
    twin = torch_twin_accuracy(x_train, y_train, x_test, y_test, SPLIT)
    gap = acc - twin
    assert abs(gap) <= TWIN_GAP, (
        f"{what} is {acc:.4f}, but the same MLP from torch.nn trained identically with "
        f"torch.optim.AdamW reaches {twin:.4f}: {100 * abs(gap):.2f} points "
        f"{'below' if gap < 0 else 'above'} it, more than the {100 * TWIN_GAP:.0f} point "
        "allowed. Hint: check the schedule, the weight decay, dropout only in training, and "
        "evaluation in eval mode.")


@pytest.mark.timeout(FULL_TIMEOUT)
def test_full_mnist_reaches_97_percent():
    train_images, y_train = _mnist("train")
    test_images, y_test = _mnist("test")
    acc, seconds = _train_yours(train_images, y_train, test_images, y_test, FULL)
    assert acc >= BAR_FULL, (
        f"after {FULL['steps']} steps of {FULL['batch_size']} on the 60,000 MNIST training "
        f"images ({seconds:.0f} s), test accuracy is {acc:.4f}, below the bar {BAR_FULL:.2f} by "
        f"{100 * (BAR_FULL - acc):.2f} points. Check first that the tests of {MODULES_FIRST} "
        "pass, and that the 8,000/2,000 test passes.")
