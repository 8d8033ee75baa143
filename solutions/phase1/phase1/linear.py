"""The linear layer and weight initialisation (reference solution).

A linear (fully-connected) layer as a torch.autograd.Function with a hand-written backward, the
nn.Module around it (initialised like torch.nn.Linear), and the initialisers that decide whether
a deep network's signals survive: Xavier/Glorot (Glorot & Bengio, "Understanding the difficulty
of training deep feedforward neural networks", 2010), Kaiming/He (He et al., "Delving Deep into
Rectifiers", 2015) and GPT-2's N(0, 0.02) with scaled residual projections (Radford et al. 2019;
nanoGPT's `c_proj` rule). The gains and fan conventions are those of torch.nn.init.
"""

from __future__ import annotations

import math

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
        if weight.dim() != 2:
            raise ValueError(f"weight must be 2-D (out, in), got shape {tuple(weight.shape)}")
        if x.dim() == 0 or x.shape[-1] != weight.shape[1]:
            raise ValueError(f"x's last dimension must be in_features={weight.shape[1]}, "
                             f"got x of shape {tuple(x.shape)}")
        if bias is not None and tuple(bias.shape) != (weight.shape[0],):
            raise ValueError(f"bias must have shape ({weight.shape[0]},), "
                             f"got {tuple(bias.shape)}")
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        y = x @ weight.T  # (..., in) @ (in, out) -> (..., out); matmul broadcasts leading dims
        if bias is not None:
            y = y + bias
        return y

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
        x, weight = ctx.saved_tensors
        out_features, in_features = weight.shape
        grad_x = grad_out @ weight  # (..., out) @ (out, in) -> (..., in)
        # Every leading position contributes to the same W and b: flatten them into rows.
        g2 = grad_out.reshape(-1, out_features)  # (N, out)
        x2 = x.reshape(-1, in_features)  # (N, in); reshape copies if x is non-contiguous
        grad_w = g2.T @ x2  # (out, N) @ (N, in) -> (out, in)
        grad_b = g2.sum(dim=0) if ctx.has_bias else None  # (out,)
        return grad_x, grad_w, grad_b


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
        bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        with torch.no_grad():  # in-place writes to leaves that require grad
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """y = LinearFunction.apply(x, self.weight, self.bias).

        Args:
            x: (..., in_features) float tensor.

        Returns:
            (..., out_features) tensor whose grad_fn comes from LinearFunction.
        """
        return LinearFunction.apply(x, self.weight, self.bias)


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
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


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
    if tensor.dim() < 2:
        raise ValueError("fan in and fan out need a tensor with at least 2 dimensions, "
                         f"got shape {tuple(tensor.shape)}")
    receptive_field = math.prod(tensor.shape[2:])  # 1 for a 2-D weight
    fan_in = tensor.shape[1] * receptive_field
    fan_out = tensor.shape[0] * receptive_field
    return int(fan_in), int(fan_out)


def _fan(tensor: torch.Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


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
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        return tensor.uniform_(-bound, bound, generator=generator)


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
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    with torch.no_grad():
        return tensor.normal_(0.0, std, generator=generator)


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
    fan = _fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std  # U(-b, b) has variance b^2 / 3
    with torch.no_grad():
        return tensor.uniform_(-bound, bound, generator=generator)


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
    fan = _fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    with torch.no_grad():
        return tensor.normal_(0.0, std, generator=generator)


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
    std = 0.02
    if n_layer is not None:
        if n_layer < 1:
            raise ValueError(f"n_layer must be a positive integer, got {n_layer}")
        std = 0.02 / math.sqrt(2 * n_layer)
    with torch.no_grad():
        return tensor.normal_(0.0, std, generator=generator)
