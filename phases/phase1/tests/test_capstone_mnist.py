"""Public smoke tests for phase1.capstone_mnist (the hidden suite trains on real MNIST).

These need no data: a closed form for preprocess, a walk over the model's modules, and a small
synthetic 10-class problem that train must fit. They run your phase1.linear, activations,
regularization, losses, optimizers and schedulers: a test that reaches one of them unfinished
says which module to finish first.
"""


import numpy as np
import torch
from torch import nn

from phase1.capstone_mnist import build_model, evaluate, preprocess, train
from shared import assert_close, rng
from shared.dependencies import uses_your_modules as _uses_your_modules


def uses_your_modules():
    """Name the module to finish first when one of yours is not written yet."""
    return _uses_your_modules("phase1.capstone_mnist")


def test_preprocess_scales_and_flattens():
    images = rng(0).integers(0, 256, size=(3, 28, 28)).astype(np.uint8)
    x = preprocess(images)
    assert isinstance(x, torch.Tensor) and x.dtype == torch.float32, (
        f"preprocess must return a float32 tensor, got {type(x).__name__} "
        f"{getattr(x, 'dtype', '')}")
    expected = (images.reshape(3, 784).astype(np.float64) / 255.0 - 0.1307) / 0.3081
    assert_close(x, expected, what="preprocess of 3 random uint8 images",
                 oracle="(images / 255 - 0.1307) / 0.3081, flattened row by row",
                 hint="convert to float BEFORE dividing (uint8 arithmetic wraps around); "
                      "reshape (N, 28, 28) to (N, 784).")


def test_build_model_is_made_of_your_layers():
    from phase1.activations import ReLU
    from phase1.linear import Linear
    from phase1.regularization import Dropout

    with uses_your_modules():
        model = build_model(seed=0)
        calls = []
        hooks = [m.register_forward_hook(lambda m, i, o: calls.append(type(m)))
                 for m in model.modules() if m is not model]
        out = model(torch.zeros(5, 784))
    for h in hooks:
        h.remove()
    foreign = [type(m).__name__ for m in model.modules()
               if type(m).__module__.startswith("torch.nn")
               and not isinstance(m, nn.ModuleList | nn.ModuleDict)]
    assert not foreign, (
        f"the model contains torch.nn layers {foreign}: build it from phase1's Linear, ReLU "
        "and Dropout in a module class of your own (no nn.Sequential, nn.Linear ...).")
    expected = [Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear]
    assert calls == expected, (
        "the model's forward should call, in order, Linear, ReLU, Dropout, Linear, ReLU, "
        f"Dropout, Linear (phase1's); it called {[c.__name__ for c in calls]}.")
    assert tuple(out.shape) == (5, 10), f"model(x) for x (5, 784) must be (5, 10), got {out.shape}"
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10, (
        f"build_model(0) has {n_params} parameters; 784-256-256-10 with biases has 269,322")


def test_train_and_evaluate_fit_a_small_synthetic_task():
    # Ten well-separated Gaussian clusters in 784 dimensions: any working MLP fits them.
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(10, 784, generator=g)
    labels = torch.arange(600) % 10
    images = centres[labels] + 0.5 * torch.randn(600, 784, generator=g)
    with uses_your_modules():
        model = build_model(seed=1)
        losses = train(model, images, labels, steps=60, batch_size=50, seed=2, warmup_steps=10)
        acc = evaluate(model, images, labels)
    assert isinstance(losses, list) and len(losses) == 60, (
        f"train(steps=60) must return a list of 60 losses, got {type(losses).__name__} of "
        f"length {len(losses) if hasattr(losses, '__len__') else '?'}")
    assert all(isinstance(v, float) for v in losses), "the losses must be Python floats"
    first, last = np.mean(losses[:5]), np.mean(losses[-5:])
    assert last < 0.5 * first, (
        f"the training loss should fall on ten separable clusters: mean of the first 5 steps "
        f"{first:.3f}, of the last 5 {last:.3f}. Hint: zero the gradients, call backward and "
        "step every iteration; set each step's learning rate from warmup_cosine.")
    assert isinstance(acc, float) and acc >= 0.95, (
        f"evaluate on the training clusters after 60 steps gave {acc!r}; expected a float "
        ">= 0.95. Hint: accuracy = mean(argmax(logits) == labels), in eval mode.")
