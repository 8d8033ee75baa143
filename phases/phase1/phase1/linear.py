"""The linear layer and weight initialisation.

A linear layer computes y = x W^T + b. Here you write it as a torch.autograd.Function with your
own backward (the three gradients of a matrix product), wrap it in an nn.Module that starts from
the same weights as torch.nn.Linear, and write the initialisers that decide whether a deep
network's activations and gradients survive: Xavier/Glorot, Kaiming/He and GPT-2's.

Allowed: tensor arithmetic, @ / torch.matmul, reshape, sum, Tensor.uniform_ and Tensor.normal_.
Not allowed: torch.nn.functional.linear (or an nn.Linear), and torch.nn.init's initialisers.
"""

from __future__ import annotations

import torch
from torch import nn

# ----------------------------------------------------------------------------------------------
# The linear layer
# ----------------------------------------------------------------------------------------------


class LinearFunction(torch.autograd.Function):
    """y = x W^T + b, with a hand-written backward.

    Shapes: x (..., in_features) with any number of leading dimensions (none included), W
    (out_features, in_features) as torch.nn.Linear stores it, b (out_features,) or None; y is
    (..., out_features) in x's dtype. Call it as LinearFunction.apply(x, weight, bias).
    Do not use torch.nn.functional.linear (or an nn.Linear) anywhere, forward or backward.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor,
                bias: torch.Tensor | None) -> torch.Tensor:
        """y = x @ W^T + b.

        Args:
            ctx: the context; save what backward needs with ctx.save_for_backward.
            x: (..., in_features) float tensor (it may be non-contiguous).
            weight: (out_features, in_features) float tensor.
            bias: (out_features,) float tensor, or None for no bias.

        Returns:
            y: (..., out_features) tensor, x's leading dimensions kept.

        Raises:
            ValueError: if weight is not 2-D, if x.shape[-1] != in_features, or if bias is not
                None and its shape is not (out_features,).
        """
        raise NotImplementedError("phase1.linear.LinearFunction.forward")

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Gradients of the loss with respect to x, weight and bias.

        With G = grad_out (..., out_features), and X, G the inputs and upstream gradients with
        every leading dimension flattened into one of size N (X: (N, in), G: (N, out)):
            grad_x = G @ W          shaped back to (..., in_features)
            grad_W = G^T @ X        (out_features, in_features): summed over all N rows
            grad_b = G.sum(rows)    (out_features,), or None when bias was None

        Returns:
            (grad_x, grad_weight, grad_bias), in the order of forward's inputs.
        """
        raise NotImplementedError("phase1.linear.LinearFunction.backward")


class Linear(nn.Module):
    """A fully-connected layer y = x W^T + b, computed by LinearFunction.

    Parameters (as named by named_parameters(), in this order):
        weight: (out_features, in_features)
        bias: (out_features,), or None when bias=False (then the layer has no bias at all)
    They are created in float32, like torch.nn.Linear's.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        """Create the parameters and initialise them with reset_parameters()."""
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Initialise weight and bias in place exactly as torch.nn.Linear does.

        Both are drawn from U(-1/sqrt(in_features), 1/sqrt(in_features)). That is what
        nn.Linear's kaiming_uniform_(weight, a=sqrt(5)) amounts to: the gain is
        sqrt(2 / (1 + a^2)) = 1/sqrt(3) and the bound gain * sqrt(3 / fan_in) = 1/sqrt(fan_in).

        Draw the weight first, then the bias, each with one Tensor.uniform_(-bound, bound) on
        torch's global generator, under torch.no_grad(). Then, after torch.manual_seed(s),
        Linear(i, o) has the same parameters as torch.nn.Linear(i, o).
        """
        raise NotImplementedError("phase1.linear.Linear.reset_parameters")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """y = LinearFunction.apply(x, self.weight, self.bias).

        Args:
            x: (..., in_features) float tensor.

        Returns:
            (..., out_features) tensor whose grad_fn comes from LinearFunction.
        """
        raise NotImplementedError("phase1.linear.Linear.forward")


# ----------------------------------------------------------------------------------------------
# Initialisation
# ----------------------------------------------------------------------------------------------


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (torch.nn.init.calculate_gain's values).

        "linear", "conv1d", "conv2d", "conv3d", "sigmoid":  1
        "tanh":        5/3
        "relu":        sqrt(2)
        "leaky_relu":  sqrt(2 / (1 + negative_slope^2)), negative_slope = param (0.01 if None)
        "selu":        3/4

    Args:
        nonlinearity: one of the names above.
        param: leaky_relu's negative slope; ignored by the others.

    Returns:
        the gain, a Python float.

    Raises:
        ValueError: for any other name.
    """
    raise NotImplementedError("phase1.linear.calculate_gain")


def fan_in_and_fan_out(tensor: torch.Tensor) -> tuple[int, int]:
    """The fan-in and fan-out of a weight tensor, as torch.nn.init computes them.

    A weight is laid out (out, in, *kernel): a linear layer's (out_features, in_features), a
    convolution's (out_channels, in_channels, kh, kw) and so on. With r the number of kernel
    positions (the product of the sizes after the first two, 1 for a 2-D weight):
        fan_in = in * r,  fan_out = out * r

    Args:
        tensor: a weight tensor with at least 2 dimensions.

    Returns:
        (fan_in, fan_out), two Python ints.

    Raises:
        ValueError: if tensor has fewer than 2 dimensions.
    """
    raise NotImplementedError("phase1.linear.fan_in_and_fan_out")


def xavier_uniform_(tensor: torch.Tensor, gain: float = 1.0,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill tensor in place from U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot).

    The variance a^2 / 3 = gain^2 * 2 / (fan_in + fan_out) is the compromise between keeping
    the forward activations' variance (1 / fan_in) and the backward gradients' (1 / fan_out).

    Draw with one tensor.uniform_(-a, a, generator=generator) under torch.no_grad() (or
    anything that draws the same numbers), so that under the same generator seed you get
    what torch.nn.init.xavier_uniform_ gives. Do not call torch.nn.init's initialisers.

    Args:
        tensor: a weight with at least 2 dimensions (it may be an nn.Parameter).
        gain: the scaling factor, e.g. calculate_gain("tanh").
        generator: the torch.Generator to draw from; None means torch's global generator.

    Returns:
        tensor itself (the same object), filled.
    """
    raise NotImplementedError("phase1.linear.xavier_uniform_")


def xavier_normal_(tensor: torch.Tensor, gain: float = 1.0,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill tensor in place from N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).

    The same variance as xavier_uniform_, from a normal distribution. Draw with one
    tensor.normal_(0, std, generator=generator) under torch.no_grad() (or anything that draws
    the same numbers), as torch.nn.init.xavier_normal_ does. Do not call torch.nn.init's
    initialisers.

    Args:
        tensor: a weight with at least 2 dimensions (it may be an nn.Parameter).
        gain: the scaling factor.
        generator: the torch.Generator to draw from; None means torch's global generator.

    Returns:
        tensor itself (the same object), filled.
    """
    raise NotImplementedError("phase1.linear.xavier_normal_")


def kaiming_uniform_(tensor: torch.Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill tensor in place from U(-bound, bound), bound = gain * sqrt(3 / fan) (He).

    gain = calculate_gain(nonlinearity, a) and fan is fan_in or fan_out as mode says; the
    variance bound^2 / 3 = gain^2 / fan. With the defaults (leaky_relu with slope a = 0) the
    gain is sqrt(2), as for relu. Draw with one tensor.uniform_(-bound, bound,
    generator=generator) under torch.no_grad() (or anything that draws the same numbers), as
    torch.nn.init.kaiming_uniform_ does. Do not call torch.nn.init's initialisers.

    Args:
        tensor: a weight with at least 2 dimensions (it may be an nn.Parameter).
        a: the negative slope of the leaky_relu that follows (used only by "leaky_relu").
        mode: "fan_in" keeps the forward activations' variance, "fan_out" the gradients'.
        nonlinearity: a name calculate_gain accepts.
        generator: the torch.Generator to draw from; None means torch's global generator.

    Returns:
        tensor itself (the same object), filled.

    Raises:
        ValueError: if mode is not "fan_in" or "fan_out", or nonlinearity is unknown.
    """
    raise NotImplementedError("phase1.linear.kaiming_uniform_")


def kaiming_normal_(tensor: torch.Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill tensor in place from N(0, std^2), std = gain / sqrt(fan) (He).

    gain = calculate_gain(nonlinearity, a) and fan is fan_in or fan_out as mode says. Draw
    with one tensor.normal_(0, std, generator=generator) under torch.no_grad() (or anything
    that draws the same numbers), as torch.nn.init.kaiming_normal_ does. Do not call
    torch.nn.init's initialisers.

    Args:
        tensor: a weight with at least 2 dimensions (it may be an nn.Parameter).
        a: the negative slope of the leaky_relu that follows (used only by "leaky_relu").
        mode: "fan_in" or "fan_out".
        nonlinearity: a name calculate_gain accepts.
        generator: the torch.Generator to draw from; None means torch's global generator.

    Returns:
        tensor itself (the same object), filled.

    Raises:
        ValueError: if mode is not "fan_in" or "fan_out", or nonlinearity is unknown.
    """
    raise NotImplementedError("phase1.linear.kaiming_normal_")


def gpt2_init_(tensor: torch.Tensor, n_layer: int | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """GPT-2's initialisation: fill tensor in place from N(0, std^2).

        std = 0.02                       for an ordinary weight (n_layer is None)
        std = 0.02 / sqrt(2 * n_layer)   for a residual projection (pass n_layer)

    A residual projection is the last linear layer of an attention or MLP block, whose output
    is added to the residual stream. Each of the n_layer blocks adds twice, so the stream's
    variance would grow with 2 * n_layer; the scaling keeps it bounded (nanoGPT's c_proj rule).
    Draw with one tensor.normal_(0, std, generator=generator) under torch.no_grad() (or
    anything that draws the same numbers).

    Args:
        tensor: a weight of any shape (it may be an nn.Parameter).
        n_layer: the number of transformer blocks, for a residual projection; None otherwise.
        generator: the torch.Generator to draw from; None means torch's global generator.

    Returns:
        tensor itself (the same object), filled.

    Raises:
        ValueError: if n_layer is given and is not a positive integer.
    """
    raise NotImplementedError("phase1.linear.gpt2_init_")
