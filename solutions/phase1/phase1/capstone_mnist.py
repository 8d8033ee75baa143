"""Capstone: an MNIST classifier from your own primitives.

A multilayer perceptron for handwritten digits, in the spirit of LeCun et al., "Gradient-based
learning applied to document recognition" (1998), whose MNIST benchmark it uses, and trained
the modern way: AdamW (Loshchilov & Hutter, 2019) with a linear warmup and cosine decay
(Loshchilov & Hutter, "SGDR", 2017; Goyal et al., 2017 for the warmup), and dropout
(Srivastava et al., 2014) between the hidden layers.

Every piece comes from this phase: phase1.linear.Linear, phase1.activations.ReLU,
phase1.regularization.Dropout, phase1.losses.cross_entropy, phase1.optimizers.AdamW and
phase1.schedulers.warmup_cosine. Only the nn.Module machinery (parameters, train/eval) is
torch's.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from phase1.activations import ReLU
from phase1.linear import Linear
from phase1.losses import cross_entropy
from phase1.optimizers import AdamW
from phase1.regularization import Dropout
from phase1.schedulers import warmup_cosine

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
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"images must have shape (N, 28, 28), got {images.shape}")
    x = torch.from_numpy(images.reshape(len(images), 784).astype(np.float32))  # (N, 784)
    return (x / 255.0 - MNIST_MEAN) / MNIST_STD


class _MLP(nn.Module):
    """784 -> hidden -> hidden -> 10, ReLU and dropout after each hidden layer."""

    def __init__(self, hidden: int, dropout: float) -> None:
        super().__init__()
        self.fc1 = Linear(784, hidden)
        self.act1 = ReLU()
        self.drop1 = Dropout(dropout)
        self.fc2 = Linear(hidden, hidden)
        self.act2 = ReLU()
        self.drop2 = Dropout(dropout)
        self.fc3 = Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop1(self.act1(self.fc1(x)))  # (N, hidden)
        x = self.drop2(self.act2(self.fc2(x)))  # (N, hidden)
        return self.fc3(x)  # (N, 10) logits


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
    torch.manual_seed(seed)
    return _MLP(hidden, dropout)


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
    n = images.shape[0]
    if labels.shape[0] != n:
        raise ValueError(f"{n} images but {labels.shape[0]} labels")
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be in [1, {n}], got {batch_size}")
    model.train()
    torch.manual_seed(seed)
    optimizer = AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    g = torch.Generator().manual_seed(seed)
    perm, pos = torch.randperm(n, generator=g), 0

    losses = []
    for t in range(steps):
        if pos + batch_size > n:  # an epoch is over: drop the remainder, reshuffle
            perm, pos = torch.randperm(n, generator=g), 0
        idx = perm[pos:pos + batch_size]
        pos += batch_size

        lr_t = warmup_cosine(t, max_lr=lr, min_lr=min_lr, warmup_steps=warmup_steps,
                             total_steps=steps)
        for group in optimizer.param_groups:
            group["lr"] = lr_t

        loss = cross_entropy(model(images[idx]), labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


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
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, images.shape[0], batch_size):
            logits = model(images[start:start + batch_size])  # (B, 10)
            correct += (logits.argmax(dim=1) == labels[start:start + batch_size]).sum().item()
    return correct / images.shape[0]
