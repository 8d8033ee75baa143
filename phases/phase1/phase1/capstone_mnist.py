"""Capstone: an MNIST classifier from your own primitives.

Put phase 1 to work: a multilayer perceptron for handwritten digits, built and trained ONLY
with what you wrote in this phase:

    phase1.linear.Linear, phase1.activations.ReLU, phase1.regularization.Dropout   (the model)
    phase1.losses.cross_entropy, phase1.optimizers.AdamW,
    phase1.schedulers.warmup_cosine                                               (training)

torch supplies only tensors and the nn.Module machinery (parameters(), train(), eval()).

    x = preprocess(images)                       # uint8 (N, 28, 28) -> float32 (N, 784)
    model = build_model(seed=0)
    losses = train(model, x[:8000], y[:8000], steps=1000, batch_size=128, seed=0)
    evaluate(model, x[8000:], y[8000:])          # about 0.97

The tests first check each function on small synthetic data, then train on real MNIST
(TTI_DATA_DIR; skipped when absent): on the 10,000 test images, trained on the first 8,000
and scored on the last 2,000, your model must reach 94% and land within 1 point of the same
MLP built from torch.nn and trained identically with torch.optim.AdamW; with the full 60,000
training images, 97% on the test set.

Finish linear, activations, regularization, losses, optimizers and schedulers first: a test
that reaches one of them unfinished says which.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from phase1.activations import ReLU  # noqa: F401  (the layers and tools you need)
from phase1.linear import Linear  # noqa: F401
from phase1.losses import cross_entropy  # noqa: F401
from phase1.optimizers import AdamW  # noqa: F401
from phase1.regularization import Dropout  # noqa: F401
from phase1.schedulers import warmup_cosine  # noqa: F401

# MNIST's pixel mean and standard deviation (of the training set, pixels scaled to [0, 1]).
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081


def preprocess(images: np.ndarray) -> torch.Tensor:
    """Turn raw MNIST images into the network's inputs.

        x = (images / 255 - MNIST_MEAN) / MNIST_STD,   flattened to 784 features per image
        (row by row: pixel (r, c) goes to feature 28 * r + c).

    Args:
        images: (N, 28, 28) uint8 array (what shared.data.load_mnist returns).

    Returns:
        (N, 784) float32 tensor.

    Raises:
        ValueError: if images is not of shape (N, 28, 28).
    """
    raise NotImplementedError("phase1.capstone_mnist.preprocess")


def build_model(seed: int, hidden: int = 256, dropout: float = 0.1) -> nn.Module:
    """The classifier: an MLP built only from this phase's layers.

    Call torch.manual_seed(seed), then create, in this order, and apply in this order:

        Linear(784, hidden), ReLU(), Dropout(dropout),
        Linear(hidden, hidden), ReLU(), Dropout(dropout),
        Linear(hidden, 10)

    with phase1.linear.Linear, phase1.activations.ReLU and phase1.regularization.Dropout,
    held by an nn.Module subclass of your own (as attributes, or in an nn.ModuleList). No
    torch.nn layers (nn.Linear, nn.ReLU, nn.Dropout, nn.Sequential ...): the tests walk the
    model's modules and record which layers its forward calls.

    Args:
        seed: seeds torch's global generator before the layers are created (their init).
        hidden: the width of both hidden layers.
        dropout: the drop probability of both Dropout layers.

    Returns:
        An nn.Module in training mode, mapping (N, 784) float32 inputs to (N, 10) logits.
    """
    raise NotImplementedError("phase1.capstone_mnist.build_model")


def train(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, steps: int,
          batch_size: int, seed: int, lr: float = 2e-3, min_lr: float = 2e-5,
          warmup_steps: int = 100, weight_decay: float = 1e-2) -> list[float]:
    """Train the model with mini-batch AdamW on a warmup + cosine learning-rate schedule.

    1. model.train(); torch.manual_seed(seed) (the dropout masks use torch's global
       generator); optimizer = phase1.optimizers.AdamW(model.parameters(), lr=lr,
       weight_decay=weight_decay) (default betas and eps).
    2. Batches: g = torch.Generator().manual_seed(seed); perm = torch.randperm(N, generator=g);
       take consecutive slices perm[0:B], perm[B:2B], ...; when fewer than B indices are
       left, drop them and draw a new perm with the same g. (B = batch_size.)
    3. For t = 0, 1, ..., steps - 1: set every param group's "lr" to
       phase1.schedulers.warmup_cosine(t, max_lr=lr, min_lr=min_lr,
       warmup_steps=warmup_steps, total_steps=steps); loss = phase1.losses.cross_entropy(
       model(images[idx]), labels[idx]) (the mean); zero the gradients, backward, step.

    Args:
        model: what build_model returned.
        images: (N, 784) float32 tensor (preprocess's output).
        labels: (N,) int64 tensor of digits 0-9.
        steps: number of optimizer steps.
        batch_size: B, with 1 <= B <= N.
        seed: seed of the batch order and of the dropout masks.
        lr, min_lr, warmup_steps: the schedule's max_lr, min_lr and warmup_steps.
        weight_decay: AdamW's decoupled weight decay.

    Returns:
        The loss of every step (before its update), a list of `steps` Python floats.

    Raises:
        ValueError: if batch_size is not in [1, N], or images and labels differ in length.
    """
    raise NotImplementedError("phase1.capstone_mnist.train")


def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
             batch_size: int = 1000) -> float:
    """Classification accuracy: the fraction of images whose largest logit is their label.

    Puts the model in eval mode (dropout off; it stays in eval mode afterwards) and runs it
    under torch.no_grad(), batch_size images at a time (the last batch may be smaller).

    Args:
        model: the classifier.
        images: (N, 784) float32 tensor; labels: (N,) int64 tensor.
        batch_size: images per forward pass.

    Returns:
        The accuracy, a Python float in [0, 1].
    """
    raise NotImplementedError("phase1.capstone_mnist.evaluate")
