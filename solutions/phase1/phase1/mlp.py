"""A mini deep-learning framework and a configurable MLP, with every backward written by hand.

The design is the classic layer-based one of Caffe, the Stanford CS231n assignments and
Karpathy's "hacker's guide": every layer caches what it needs in `forward`, and `backward`
maps the gradient of the loss w.r.t. its output to the gradient w.r.t. its input, adding the
gradients of its own parameters into `Parameter.grad` on the way. A `Sequential` container
runs forward through its layers in order and backward in reverse order (the chain rule), and
an optimizer only ever sees `Parameter`s.

No autograd anywhere: tensors never require grad, and every derivative below is explicit.
BatchNorm: Ioffe & Szegedy, "Batch Normalization" (2015), Algorithm 1 and section 3.1;
dropout: Srivastava et al., "Dropout" (2014), in its "inverted" form.
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
        self._x = x  # backward needs the input for dL/dW
        y = x @ self.weight.data.T  # (N, out)
        if self.bias is not None:
            y = y + self.bias.data
        return y

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
        self.weight.grad += grad_output.T @ self._x  # (out, N) @ (N, in) -> (out, in)
        if self.bias is not None:
            self.bias.grad += grad_output.sum(dim=0)  # the bias is broadcast over the batch
        return grad_output @ self.weight.data  # (N, out) @ (out, in) -> (N, in)

    def parameters(self) -> list[Parameter]:
        """[weight, bias], or [weight] when the layer has no bias."""
        return [self.weight] if self.bias is None else [self.weight, self.bias]


class ReLU(Layer):
    """y = max(x, 0), elementwise. Its derivative at x == 0 is taken to be 0 (as in torch)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """max(x, 0) elementwise; x of any shape, output of the same shape."""
        self._positive = x > 0
        return torch.where(self._positive, x, torch.zeros_like(x))

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """grad_output where the input was > 0, and 0 elsewhere (including x == 0)."""
        return torch.where(self._positive, grad_output, torch.zeros_like(grad_output))


class Tanh(Layer):
    """y = tanh(x), elementwise; dy/dx = 1 - y^2."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """tanh(x) elementwise; x of any shape, output of the same shape."""
        self._y = torch.tanh(x)
        return self._y

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """grad_output * (1 - y^2), with y the output of the last forward."""
        return grad_output * (1 - self._y**2)


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
        if not self.training or self.p == 0:
            self._scale = None  # identity: backward passes the gradient through
            return x
        if self.p >= 1:
            self._scale = torch.zeros_like(x)
        else:
            keep = torch.rand(x.shape, generator=self.generator, dtype=x.dtype) >= self.p
            # The mask already divided by (1 - p): backward multiplies by the same factor.
            self._scale = keep.to(x.dtype) / (1 - self.p)
        return x * self._scale

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """grad_output * mask / (1 - p) with the last forward's mask (training), or
        grad_output unchanged (eval mode, or p == 0)."""
        if self._scale is None:
            return grad_output
        return grad_output * self._scale


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
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(f"BatchNorm1d needs more than 1 sample per channel in training "
                                 f"mode, got a batch of {n}")
            mean = x.mean(dim=0)  # (C,)
            var = ((x - mean) ** 2).mean(dim=0)  # (C,), biased: what normalises this batch
            # The running variance estimates the population's: unbiased, divide by N - 1.
            m = self.momentum
            self.running_mean.mul_(1 - m).add_(m * mean)
            self.running_var.mul_(1 - m).add_(m * var * n / (n - 1))
        else:
            mean, var = self.running_mean, self.running_var
        self._inv_std = 1.0 / torch.sqrt(var + self.eps)  # (C,)
        self._x_hat = (x - mean) * self._inv_std  # (N, C)
        self._batch_stats = self.training  # backward must know which statistics were used
        return self.weight.data * self._x_hat + self.bias.data

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
        g, x_hat = grad_output, self._x_hat
        self.weight.grad += (g * x_hat).sum(dim=0)
        self.bias.grad += g.sum(dim=0)
        g_hat = g * self.weight.data  # dL/dx_hat, (N, C)
        if not self._batch_stats:
            return g_hat * self._inv_std
        # Through mu and var as well: the three paths from x to x_hat, in the compact form
        #   dx = inv_std * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat)).
        return self._inv_std * (
            g_hat - g_hat.mean(dim=0) - x_hat * (g_hat * x_hat).mean(dim=0)
        )

    def parameters(self) -> list[Parameter]:
        """[weight, bias]."""
        return [self.weight, self.bias]


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
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """Run the gradient back through every layer, last to first; returns dL/d(input)."""
        for layer in reversed(self.layers):  # the chain rule, from the output back
            grad_output = layer.backward(grad_output)
        return grad_output

    def parameters(self) -> list[Parameter]:
        """Every layer's parameters, concatenated in layer order."""
        return [p for layer in self.layers for p in layer.parameters()]

    def train(self, mode: bool = True) -> Sequential:
        """Set the mode of this container AND of every layer in it; returns self."""
        self.training = mode
        for layer in self.layers:
            layer.train(mode)
        return self


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
        shifted = logits - logits.max(dim=1, keepdim=True).values  # (N, C), max 0 per row
        log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
        self._probs = torch.exp(log_probs)
        self._targets = targets
        n = logits.shape[0]
        return -log_probs[torch.arange(n), targets].mean()

    def backward(self) -> torch.Tensor:
        """dLoss/dlogits of the last forward: (softmax(logits) - one_hot(targets)) / N, (N, C)."""
        grad = self._probs.clone()
        n = grad.shape[0]
        grad[torch.arange(n), self._targets] -= 1.0
        return grad / n  # the loss is a mean over the batch


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
        for i, p in enumerate(self.params):
            g = p.grad + self.weight_decay * p.data if self.weight_decay else p.grad
            if self.momentum:
                buf = self._bufs[i]
                # A copy at the first step: the buffer must not alias p.grad, which is zeroed.
                buf = g.clone() if buf is None else buf.mul_(self.momentum).add_(g)
                self._bufs[i] = buf
                g = buf
            p.data -= self.lr * g

    def zero_grad(self) -> None:
        """Set every parameter's .grad to zero, in place."""
        for p in self.params:
            p.grad.zero_()


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
    sizes = list(sizes)
    if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
        raise ValueError(f"sizes must hold at least two widths, each >= 1; got {sizes}")
    activations = {"relu": ReLU, "tanh": Tanh}
    if activation not in activations:
        raise ValueError(f"activation must be one of {sorted(activations)}, got {activation!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    layers: list[Layer] = []
    for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(Linear(d_in, d_out, generator=generator, dtype=dtype))
        if i < len(sizes) - 2:  # every layer but the last one
            layers.append(activations[activation]())
            if dropout > 0:
                layers.append(Dropout(dropout, generator=generator))
    return Sequential(*layers)


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
    optimizer.zero_grad()
    loss = loss_fn.forward(network.forward(x), targets)
    network.backward(loss_fn.backward())
    optimizer.step()
    return float(loss)
