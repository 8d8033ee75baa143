"""A mini deep-learning framework and a configurable MLP, with every backward written by hand.

Before torch's autograd, frameworks (Caffe, Torch7, the CS231n assignments) were built from
layers that know their own derivative. You build one here, on torch tensors but WITHOUT
autograd:

    net = Sequential(Linear(2, 64), ReLU(), Linear(64, 3))
    loss_fn, opt = SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1, momentum=0.9)
    loss = train_step(net, loss_fn, opt, x, targets)   # zero_grad, forward, backward, step

- `Layer.forward(x)` computes the output and caches what the backward pass needs;
  `Layer.backward(grad_output)` returns dL/d(input) and ADDS dL/d(parameter) into each
  `Parameter.grad`. Gradients accumulate until someone calls `zero_grad()`, as in torch.
- `Sequential` chains layers: forward first to last, backward last to first.
- `Dropout` and `BatchNorm1d` behave differently in training and in evaluation mode
  (`train()` / `eval()`).
- `SoftmaxCrossEntropy` is the loss, `SGD` the optimizer, `build_mlp` assembles a network.

The `Parameter` and `Layer` base classes and every `__init__` are written for you.
No autograd: do not call `.backward()`, `torch.autograd.*` or `requires_grad_`; the tests run
your code under `torch.no_grad()` with those forbidden, and compare every gradient with
autograd through the equivalent `torch.nn` modules in float64.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch


class Parameter:
    """A trainable tensor and the gradient of the loss with respect to it.

    Attributes:
        data: the values, a float tensor (any shape). Optimizers update it in place.
        grad: a tensor of the same shape and dtype as data, zeros when created. Backward passes
            ADD into it (+=); only zero_grad() resets it.
    """

    def __init__(self, data: torch.Tensor) -> None:
        """Wrap `data` (kept as is, not copied) with a zero gradient."""
        self.data = data
        self.grad = torch.zeros_like(data)

    def __repr__(self) -> str:
        return f"Parameter(shape={tuple(self.data.shape)}, dtype={self.data.dtype})"


class Layer:
    """The base class of every layer: forward, backward, parameters, train/eval.

    A subclass implements forward(x), caching in `self` whatever backward needs, and
    backward(grad_output), which returns dL/dx and ADDS dL/dp into every parameter's `.grad`.
    backward always refers to the most recent forward call.

    The conventions of this framework:
    - No autograd: no tensor requires grad, and nothing calls .backward() or torch.autograd.
      The tests run your layers under torch.no_grad() with those forbidden.
    - Gradients accumulate: two backward calls add two contributions into each `.grad`, as in
      torch. Whoever trains calls zero_grad() before each backward pass.
    - `training` (True after construction) selects the behaviour of Dropout and BatchNorm1d;
      train() and eval() set it.
    """

    def __init__(self) -> None:
        """A layer starts in training mode."""
        self.training = True

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """layer(x) is layer.forward(x)."""
        return self.forward(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Compute the output for input x, caching what backward needs (subclasses implement)."""
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """Return dL/dx given dL/d(output), adding parameter gradients (subclasses implement)."""
        raise NotImplementedError(f"{type(self).__name__}.backward")

    def parameters(self) -> list[Parameter]:
        """The layer's trainable parameters, in a fixed order (none for this base class)."""
        return []

    def train(self, mode: bool = True) -> Layer:
        """Set training mode (mode=True) or evaluation mode (mode=False); returns self."""
        self.training = mode
        return self

    def eval(self) -> Layer:
        """Evaluation mode: the same as train(False); returns self."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to zero, in place."""
        for p in self.parameters():
            p.grad.zero_()


class Linear(Layer):
    """A fully connected layer: y = x @ W^T + b.

    Parameters (created for you, with torch.nn.Linear's names, shapes and default init):
        weight: Parameter of shape (out_features, in_features).
        bias: Parameter of shape (out_features,), or None when bias=False.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float32) -> None:
        """Create weight (out, in) and bias (out,), uniform in [-1/sqrt(in), 1/sqrt(in)].

        Draws the weight first, then the bias, from `generator` (torch's global generator when
        None), as torch.nn.Linear's default initialisation does.
        """
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / math.sqrt(in_features)
        w = torch.rand(out_features, in_features, generator=generator, dtype=dtype)
        self.weight = Parameter(w * (2 * bound) - bound)
        self.bias = None
        if bias:
            b = torch.rand(out_features, generator=generator, dtype=dtype)
            self.bias = Parameter(b * (2 * bound) - bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """y = x @ weight^T + bias.

        Args:
            x: (N, in_features) float tensor.

        Returns:
            (N, out_features) tensor.
        """
        raise NotImplementedError("phase1.mlp.Linear.forward")

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """Backward pass of the last forward call.

        With G = grad_output (N, out) and x the cached input (N, in):
            weight.grad += G^T @ x        (out, in)
            bias.grad   += G.sum(dim=0)   (out,)
            returns        G @ weight     (N, in)

        Args:
            grad_output: (N, out_features) tensor, dL/dy.

        Returns:
            (N, in_features) tensor, dL/dx.
        """
        raise NotImplementedError("phase1.mlp.Linear.backward")

    def parameters(self) -> list[Parameter]:
        """[weight, bias], or [weight] when the layer has no bias."""
        raise NotImplementedError("phase1.mlp.Linear.parameters")


class ReLU(Layer):
    """y = max(x, 0), elementwise. Its derivative at x == 0 is taken to be 0 (as in torch)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """max(x, 0) elementwise; x of any shape, output of the same shape."""
        raise NotImplementedError("phase1.mlp.ReLU.forward")

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """grad_output where the input was > 0, and 0 elsewhere (including x == 0)."""
        raise NotImplementedError("phase1.mlp.ReLU.backward")


class Tanh(Layer):
    """y = tanh(x), elementwise; dy/dx = 1 - y^2."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """tanh(x) elementwise; x of any shape, output of the same shape."""
        raise NotImplementedError("phase1.mlp.Tanh.forward")

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """grad_output * (1 - y^2), with y the output of the last forward."""
        raise NotImplementedError("phase1.mlp.Tanh.backward")


class Dropout(Layer):
    """Inverted dropout: in training, zero each element with probability p, scale the rest.

    Training mode: y = x * mask / (1 - p), where mask holds independent Bernoulli(1 - p) draws
    (1 keeps an element, 0 drops it), a fresh mask at every forward call, drawn with
    `generator` (torch's global generator when None). p == 1 gives all zeros (no division by
    0); p == 0 gives y = x. Eval mode: y = x, whatever p.

    Then E[y] = x in training, so nothing needs rescaling at evaluation time.
    """

    def __init__(self, p: float = 0.5, *, generator: torch.Generator | None = None) -> None:
        """Store the drop probability p (0 <= p <= 1) and the generator of the masks."""
        super().__init__()
        self.p = p
        self.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply dropout (training mode) or the identity (eval mode).

        Args:
            x: float tensor of any shape.

        Returns:
            A tensor of x's shape and dtype.
        """
        raise NotImplementedError("phase1.mlp.Dropout.forward")

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """grad_output * mask / (1 - p) with the last forward's mask (training), or
        grad_output unchanged (eval mode, or p == 0)."""
        raise NotImplementedError("phase1.mlp.Dropout.backward")


class BatchNorm1d(Layer):
    """Batch normalisation over the batch dimension of (N, C) inputs, as torch.nn.BatchNorm1d.

    Training mode: with the batch mean mu_c and the BIASED batch variance var_c (divide by N),
        x_hat = (x - mu) / sqrt(var + eps),   y = weight * x_hat + bias,
    and the running statistics are updated in place:
        running_mean <- (1 - momentum) * running_mean + momentum * mu
        running_var  <- (1 - momentum) * running_var  + momentum * var_unbiased  (divide by N-1)
    Eval mode: the same formula with running_mean and running_var instead of mu and var, and no
    update of the running statistics.

    Attributes (created for you):
        weight: Parameter (C,), ones. bias: Parameter (C,), zeros.
        running_mean: (C,) tensor, zeros. running_var: (C,) tensor, ones (plain tensors, not
            Parameters: they are not trained).
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, *,
                 dtype: torch.dtype = torch.float32) -> None:
        """Create weight, bias, running_mean and running_var for C = num_features."""
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(torch.ones(num_features, dtype=dtype))
        self.bias = Parameter(torch.zeros(num_features, dtype=dtype))
        self.running_mean = torch.zeros(num_features, dtype=dtype)
        self.running_var = torch.ones(num_features, dtype=dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise x with batch statistics (training) or running statistics (eval).

        Args:
            x: (N, C) float tensor.

        Returns:
            (N, C) tensor.

        Raises:
            ValueError: in training mode when N < 2 (the batch variance is undefined).
        """
        raise NotImplementedError("phase1.mlp.BatchNorm1d.forward")

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """Backward pass of the last forward call.

        weight.grad += sum over the batch of grad_output * x_hat;  bias.grad += sum of
        grad_output. dL/dx: in eval mode the statistics are constants, so
        dL/dx = grad_output * weight / sqrt(running_var + eps); in training mode mu and var
        depend on every x too (derive it, or see the Ioffe & Szegedy paper).

        Args:
            grad_output: (N, C) tensor.

        Returns:
            (N, C) tensor, dL/dx.
        """
        raise NotImplementedError("phase1.mlp.BatchNorm1d.backward")

    def parameters(self) -> list[Parameter]:
        """[weight, bias]."""
        raise NotImplementedError("phase1.mlp.BatchNorm1d.parameters")


class Sequential(Layer):
    """Layers applied one after the other: Sequential(a, b, c)(x) == c(b(a(x))).

    Attributes:
        layers: the list of layers, in order (set for you).
    """

    def __init__(self, *layers: Layer) -> None:
        """Store the layers, in order."""
        super().__init__()
        self.layers = list(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run x through every layer, first to last."""
        raise NotImplementedError("phase1.mlp.Sequential.forward")

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """Run the gradient back through every layer, last to first; returns dL/d(input)."""
        raise NotImplementedError("phase1.mlp.Sequential.backward")

    def parameters(self) -> list[Parameter]:
        """Every layer's parameters, concatenated in layer order."""
        raise NotImplementedError("phase1.mlp.Sequential.parameters")

    def train(self, mode: bool = True) -> Sequential:
        """Set the mode of this container AND of every layer in it; returns self."""
        raise NotImplementedError("phase1.mlp.Sequential.train")


class SoftmaxCrossEntropy:
    """The mean softmax cross-entropy of logits against integer class targets, with backward.

        loss = -(1/N) * sum_n log softmax(logits[n])[targets[n]]

    Compute it stably: subtract each row's max before exponentiating (log-sum-exp), so that
    logits of size 1e4 give a finite loss. Do not call torch.nn.functional.cross_entropy,
    log_softmax or nll_loss.
    """

    def __call__(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """loss_fn(logits, targets) is loss_fn.forward(logits, targets)."""
        return self.forward(logits, targets)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The mean cross-entropy; caches what backward needs.

        Args:
            logits: (N, C) float tensor.
            targets: (N,) int64 tensor of class indices in [0, C).

        Returns:
            A 0-dim tensor of logits' dtype: the mean loss.
        """
        raise NotImplementedError("phase1.mlp.SoftmaxCrossEntropy.forward")

    def backward(self) -> torch.Tensor:
        """dLoss/dlogits of the last forward: (softmax(logits) - one_hot(targets)) / N, (N, C)."""
        raise NotImplementedError("phase1.mlp.SoftmaxCrossEntropy.backward")


class SGD:
    """Stochastic gradient descent with momentum and L2 weight decay, as torch.optim.SGD
    (dampening 0, not Nesterov).

    For every parameter p, with g = p.grad + weight_decay * p.data:
        momentum == 0:  p.data -= lr * g
        momentum > 0:   buf = g at the first step, then buf = momentum * buf + g;
                        p.data -= lr * buf
    Each parameter has its own buf, kept between steps.
    """

    def __init__(self, params: Sequence[Parameter], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        """Store the parameters (as a list) and the hyperparameters."""
        self.params = list(params)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self._bufs: list[torch.Tensor | None] = [None] * len(self.params)

    def step(self) -> None:
        """Update every parameter's data in place from its .grad (see the class docstring)."""
        raise NotImplementedError("phase1.mlp.SGD.step")

    def zero_grad(self) -> None:
        """Set every parameter's .grad to zero, in place."""
        raise NotImplementedError("phase1.mlp.SGD.zero_grad")


def build_mlp(sizes: Sequence[int], activation: str = "relu", dropout: float = 0.0, *,
              generator: torch.Generator | None = None,
              dtype: torch.dtype = torch.float32) -> Sequential:
    """A multilayer perceptron made of this module's layers.

    sizes = [d0, d1, ..., dL] gives L Linear layers. The layers, in this order:
        Linear(d0, d1), act, [Dropout(dropout)], Linear(d1, d2), act, [Dropout(dropout)], ...,
        Linear(d_{L-1}, dL)
    where act is ReLU() or Tanh(), and the Dropout layers are there only when dropout > 0. The
    last Linear has no activation (it outputs logits). Every Linear is created in order with
    `generator` and `dtype`; every Dropout with `generator`.

    Args:
        sizes: at least two layer widths, each >= 1.
        activation: "relu" or "tanh".
        dropout: the drop probability of the Dropout layers, 0 <= dropout < 1.
        generator: generator of the initial weights (and dropout masks); torch's global one
            when None.
        dtype: dtype of the parameters.

    Returns:
        A Sequential, in training mode.

    Raises:
        ValueError: fewer than two sizes, a size < 1, an unknown activation, or dropout
            outside [0, 1).
    """
    raise NotImplementedError("phase1.mlp.build_mlp")


def train_step(network: Layer, loss_fn: SoftmaxCrossEntropy, optimizer: SGD, x: torch.Tensor,
               targets: torch.Tensor) -> float:
    """One training step on one batch, in this order:

        1. optimizer.zero_grad()      (gradients accumulate, so clear last step's first)
        2. logits = network.forward(x);  loss = loss_fn.forward(logits, targets)
        3. network.backward(loss_fn.backward())
        4. optimizer.step()

    The network's mode is left as it is (the caller chooses train() or eval()).

    Args:
        network: a Layer (usually a Sequential) whose parameters the optimizer holds.
        loss_fn: a SoftmaxCrossEntropy.
        optimizer: an SGD over network.parameters().
        x: (N, D) float tensor; targets: (N,) int64 tensor.

    Returns:
        The loss before the update, a Python float.
    """
    raise NotImplementedError("phase1.mlp.train_step")
