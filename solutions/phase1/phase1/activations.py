"""Activations and their derivatives, and SwiGLU (reference solution).

Each activation is a torch.autograd.Function whose backward is the derivative written out by
hand, plus a functional wrapper (and nn.Modules for ReLU and GELU). GELU follows Hendrycks &
Gimpel, "Gaussian Error Linear Units (GELUs)" (2016), with torch's tanh approximation; SiLU
(swish) is Elfwing et al. 2018 / Ramachandran et al. 2017; SwiGLU is Shazeer, "GLU Variants
Improve Transformer" (2020), with the weight names and hidden size of Meta's LLaMA reference
code (Touvron et al. 2023). Numerical conventions (relu'(0) = 0, softplus's threshold) are
torch.nn.functional's.
"""

from __future__ import annotations

import math

import torch
from torch import nn

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)  # the tanh approximation's scale
_GELU_CUBIC = 0.044715  # the tanh approximation's cubic coefficient
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)  # the standard normal density at 0
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)


def _stable_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """1 / (1 + exp(-x)) without ever exponentiating a positive number."""
    e = torch.exp(-x.abs())  # in (0, 1]: cannot overflow
    return torch.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# ----------------------------------------------------------------------------------------------
# step, sigmoid, tanh
# ----------------------------------------------------------------------------------------------


class StepFunction(torch.autograd.Function):
    """The Heaviside step: 1 where x > 0, else 0 (so step(0) = 0), in x's dtype.

    Its derivative is 0 wherever it exists: backward returns zeros (a tensor, not None), which
    is why a perceptron cannot be trained by gradient descent.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        """Args: x: float tensor of any shape. Returns: tensor of x's shape and dtype."""
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> torch.Tensor:
        """Returns: zeros shaped like grad_out."""
        return torch.zeros_like(grad_out)


def step(x: torch.Tensor) -> torch.Tensor:
    """step(x) = 1 if x > 0 else 0, elementwise; returns StepFunction.apply(x).

    Do not call torch.heaviside.
    """
    return StepFunction.apply(x)


class SigmoidFunction(torch.autograd.Function):
    """sigma(x) = 1 / (1 + exp(-x)); sigma'(x) = sigma(x) (1 - sigma(x)).

    Stability: exp(-x) overflows to inf for very negative x (x < -88 in float32) and exp(x)
    for very positive x. The result must be finite and correct for every finite x, forward and
    backward: sigma(-1e4) = 0 and sigma(1e4) = 1, with no nan, inf or warning.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        """Args: x: float tensor of any shape. Returns: sigma(x), x's shape and dtype."""
        y = _stable_sigmoid(x)
        ctx.save_for_backward(y)  # the derivative needs only the output
        return y

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> torch.Tensor:
        """Returns: grad_out * sigma(x) * (1 - sigma(x))."""
        (y,) = ctx.saved_tensors
        return grad_out * y * (1.0 - y)


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """The logistic sigmoid, elementwise; returns SigmoidFunction.apply(x).

    Do not call torch.sigmoid, Tensor.sigmoid, torch.nn.functional.sigmoid or
    torch.special.expit.
    """
    return SigmoidFunction.apply(x)


class TanhFunction(torch.autograd.Function):
    """tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)); tanh'(x) = 1 - tanh(x)^2.

    Like sigmoid, it must stay finite and correct for every finite x (tanh(+-1e4) = +-1):
    the textbook formula gives inf / inf there.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        """Args: x: float tensor of any shape. Returns: tanh(x), x's shape and dtype."""
        # tanh(|x|) = (1 - e^{-2|x|}) / (1 + e^{-2|x|}) = -m / (2 + m) with m = expm1(-2|x|):
        # no overflow, and expm1 keeps full precision near 0.
        m = torch.expm1(-2.0 * x.abs())
        y = torch.sign(x) * (-m / (2.0 + m))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> torch.Tensor:
        """Returns: grad_out * (1 - tanh(x)^2)."""
        (y,) = ctx.saved_tensors
        return grad_out * (1.0 - y * y)


def tanh(x: torch.Tensor) -> torch.Tensor:
    """The hyperbolic tangent, elementwise; returns TanhFunction.apply(x).

    Do not call torch.tanh, Tensor.tanh or torch.nn.functional.tanh.
    """
    return TanhFunction.apply(x)


# ----------------------------------------------------------------------------------------------
# ReLU and leaky ReLU
# ----------------------------------------------------------------------------------------------


class ReLUFunction(torch.autograd.Function):
    """relu(x) = max(x, 0).

    Its derivative is 1 where x > 0 and 0 where x < 0. At x = 0 it is undefined; here, as in
    torch, the gradient at exactly 0 is 0.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        """Args: x: float tensor of any shape. Returns: relu(x), x's shape and dtype."""
        ctx.save_for_backward(x)
        return torch.where(x > 0, x, torch.zeros_like(x))

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> torch.Tensor:
        """Returns: grad_out where x > 0, else 0 (including at x == 0)."""
        (x,) = ctx.saved_tensors
        return grad_out * (x > 0).to(grad_out.dtype)


def relu(x: torch.Tensor) -> torch.Tensor:
    """max(x, 0), elementwise; returns ReLUFunction.apply(x).

    Do not call torch.relu, Tensor.relu or torch.nn.functional.relu.
    """
    return ReLUFunction.apply(x)


class LeakyReLUFunction(torch.autograd.Function):
    """leaky_relu(x) = x if x > 0 else negative_slope * x.

    Derivative: 1 where x > 0, negative_slope where x <= 0 (at x == 0 too, as in torch).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, negative_slope: float) -> torch.Tensor:
        """Args: x: float tensor of any shape; negative_slope: a float. Returns: x's shape."""
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return torch.where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor, None]:
        """Returns: (grad_x, None): grad_out where x > 0, else negative_slope * grad_out."""
        (x,) = ctx.saved_tensors
        return torch.where(x > 0, grad_out, grad_out * ctx.negative_slope), None


def leaky_relu(x: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """Leaky ReLU, elementwise; returns LeakyReLUFunction.apply(x, negative_slope).

    Args:
        x: float tensor of any shape.
        negative_slope: the slope for x <= 0.

    Returns:
        tensor of x's shape and dtype.

    Do not call torch.nn.functional.leaky_relu.
    """
    return LeakyReLUFunction.apply(x, negative_slope)


# ----------------------------------------------------------------------------------------------
# GELU, SiLU, softplus
# ----------------------------------------------------------------------------------------------


class GELUFunction(torch.autograd.Function):
    """GELU(x) = x * Phi(x), Phi the standard normal CDF, exactly or by torch's tanh formula.

    approximate="none":  Phi(x) = (1 + erf(x / sqrt(2))) / 2
        derivative: Phi(x) + x * phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
    approximate="tanh":  GELU(x) ~ 0.5 x (1 + tanh(u)), u = sqrt(2 / pi) (x + 0.044715 x^3)
        derivative: 0.5 (1 + tanh(u)) + 0.5 x (1 - tanh(u)^2) sqrt(2 / pi) (1 + 3 * 0.044715 x^2)
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, approximate: str) -> torch.Tensor:
        """Args: x: float tensor of any shape; approximate: "none" or "tanh".

        Returns: GELU(x), x's shape and dtype.

        Raises: ValueError if approximate is neither "none" nor "tanh".
        """
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        ctx.approximate = approximate
        # Speed: a new tensor of x's size costs more than a pass over one (its fresh memory
        # has to be mapped), so each formula allocates once and then updates that tensor in
        # place (erf_, add_, mul_: it is ours, so nothing else sees it change). Phi(x), or
        # tanh(u), is saved for backward: it is part of the derivative, and erf and tanh are
        # the costly operations here.
        if approximate == "none":
            cdf = (x * _INV_SQRT_2).erf_()  # erf(x / sqrt(2))
            cdf.add_(1.0).mul_(0.5)  # Phi(x) = (1 + erf(x / sqrt(2))) / 2
            ctx.save_for_backward(x, cdf)
            return x * cdf
        u = (x * x).mul_(_GELU_CUBIC).add_(1.0).mul_(x).mul_(_SQRT_2_OVER_PI)
        t = u.tanh_()  # tanh(u), u = sqrt(2 / pi) * x * (1 + 0.044715 x^2)
        ctx.save_for_backward(x, t)
        return torch.addcmul(x, x, t).mul_(0.5)  # 0.5 * (x + x * t)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor, None]:
        """Returns: (grad_out * GELU'(x), None), with the derivative of the chosen formula."""
        if ctx.approximate == "none":
            x, cdf = ctx.saved_tensors
            deriv = (x * x).mul_(-0.5).exp_()  # exp(-x^2 / 2); then in place, as in forward:
            deriv.mul_(x).mul_(_INV_SQRT_2PI).add_(cdf)  # Phi(x) + x * phi(x)
            return deriv.mul_(grad_out), None
        x, t = ctx.saved_tensors
        deriv = (x * x).mul_(3.0 * _GELU_CUBIC).add_(1.0).mul_(_SQRT_2_OVER_PI)  # du/dx
        deriv.mul_(1.0 - t * t).mul_(x).mul_(0.5)  # 0.5 x (1 - tanh(u)^2) du/dx
        deriv.add_(t, alpha=0.5).add_(0.5)  # + 0.5 (1 + tanh(u))
        return deriv.mul_(grad_out), None


def gelu(x: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    """GELU, elementwise, as torch.nn.functional.gelu(x, approximate=approximate).

    Args:
        x: float tensor of any shape.
        approximate: "none" for the exact erf form, "tanh" for the tanh approximation.

    Returns:
        GELUFunction.apply(x, approximate): x's shape and dtype.

    Raises:
        ValueError: if approximate is neither "none" nor "tanh".

    You may use torch.erf and torch.tanh; do not call torch.nn.functional.gelu.
    """
    return GELUFunction.apply(x, approximate)


class SiLUFunction(torch.autograd.Function):
    """SiLU (swish): silu(x) = x * sigma(x).

    Derivative (product rule): sigma(x) + x * sigma'(x) = sigma(x) * (1 + x * (1 - sigma(x))).
    Finite for every finite x (silu(-1e4) = 0, silu(1e4) = 1e4).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        """Args: x: float tensor of any shape. Returns: silu(x), x's shape and dtype."""
        ctx.save_for_backward(x)
        return x * _stable_sigmoid(x)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> torch.Tensor:
        """Returns: grad_out * sigma(x) * (1 + x * (1 - sigma(x)))."""
        (x,) = ctx.saved_tensors
        s = _stable_sigmoid(x)
        return grad_out * s * (1.0 + x * (1.0 - s))


def silu(x: torch.Tensor) -> torch.Tensor:
    """SiLU, elementwise; returns SiLUFunction.apply(x).

    You may use torch.sigmoid (or your sigmoid); do not call torch.nn.functional.silu.
    """
    return SiLUFunction.apply(x)


class SoftplusFunction(torch.autograd.Function):
    """softplus(x) = log(1 + exp(beta x)) / beta, a smooth relu, as torch.nn.functional.softplus.

    Where beta * x > threshold it returns x itself (the two differ by less than
    exp(-threshold) / beta there, and exp(beta x) could overflow): this is torch's rule, and
    the result must equal torch's on both sides of the threshold.
    Derivative: sigma(beta x) where beta * x <= threshold, exactly 1 where beta * x > threshold.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, beta: float, threshold: float) -> torch.Tensor:
        """Args: x: float tensor of any shape; beta > 0; threshold: a float.

        Returns: softplus(x), x's shape and dtype.
        """
        z = x * beta
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        # where() selects x on the linear side, so an overflowed exp there never shows.
        return torch.where(z > threshold, x, torch.log1p(torch.exp(z)) / beta)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        """Returns: (grad_x, None, None), grad_x = grad_out * softplus'(x)."""
        (x,) = ctx.saved_tensors
        z = x * ctx.beta
        slope = torch.where(z > ctx.threshold, torch.ones_like(x), _stable_sigmoid(z))
        return grad_out * slope, None, None


def softplus(x: torch.Tensor, beta: float = 1.0, threshold: float = 20.0) -> torch.Tensor:
    """Softplus, elementwise; returns SoftplusFunction.apply(x, beta, threshold).

    Args:
        x: float tensor of any shape.
        beta: the sharpness (> 0); larger beta is closer to relu.
        threshold: where beta * x > threshold, return x (see SoftplusFunction).

    Returns:
        tensor of x's shape and dtype.

    Do not call torch.nn.functional.softplus.
    """
    return SoftplusFunction.apply(x, beta, threshold)


# ----------------------------------------------------------------------------------------------
# Modules
# ----------------------------------------------------------------------------------------------


class ReLU(nn.Module):
    """relu as a module: ReLU()(x) = relu(x). No parameters."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns relu(x) (through ReLUFunction)."""
        return relu(x)


class GELU(nn.Module):
    """gelu as a module: GELU(approximate)(x) = gelu(x, approximate). No parameters."""

    def __init__(self, approximate: str = "none") -> None:
        """Store approximate ("none" or "tanh"); a wrong value raises ValueError in forward."""
        super().__init__()
        self.approximate = approximate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns gelu(x, self.approximate) (through GELUFunction)."""
        return gelu(x, self.approximate)


# ----------------------------------------------------------------------------------------------
# SwiGLU
# ----------------------------------------------------------------------------------------------


class SwiGLU(nn.Module):
    """The gated feed-forward block of LLaMA: out = w2(silu(w1(x)) * w3(x)).

    Layers (torch.nn.Linear, so each stores its weight as (out, in)), named as in Meta's LLaMA
    code:
        w1: the gate, d_model -> d_hidden, weight (d_hidden, d_model)
        w3: the up projection, d_model -> d_hidden, weight (d_hidden, d_model)
        w2: the down projection, d_hidden -> d_model, weight (d_model, d_hidden)
    Hugging Face's LlamaMLP calls them gate_proj, up_proj and down_proj. With bias=False (as
    LLaMA) the block has 3 * d_model * d_hidden parameters; bias=True gives each layer a bias.
    To match a GELU MLP of width 4 * d_model, use d_hidden = swiglu_hidden_dim(d_model).
    """

    def __init__(self, d_model: int, d_hidden: int, bias: bool = False) -> None:
        """Create w1, w2 and w3 (nn.Linear layers with nn.Linear's default initialisation)."""
        super().__init__()
        self.d_model, self.d_hidden = d_model, d_hidden
        self.w1 = nn.Linear(d_model, d_hidden, bias=bias)  # gate
        self.w2 = nn.Linear(d_hidden, d_model, bias=bias)  # down
        self.w3 = nn.Linear(d_model, d_hidden, bias=bias)  # up

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """out = w2(silu(w1(x)) * w3(x)), with your silu (not torch.nn.functional.silu).

        Args:
            x: (..., d_model) float tensor, any number of leading dimensions.

        Returns:
            (..., d_model) tensor.
        """
        gate = silu(self.w1(x))  # (..., d_hidden)
        up = self.w3(x)  # (..., d_hidden)
        return self.w2(gate * up)  # (..., d_model)


def swiglu_hidden_dim(d_model: int, multiple_of: int = 256,
                      ffn_dim_multiplier: float | None = None) -> int:
    """LLaMA's SwiGLU hidden size: about 2/3 of 4 * d_model, rounded up to a multiple.

    A SwiGLU block has three matrices where a GELU MLP has two, so its width 4 * d_model is
    scaled by 2/3 to keep the parameter count. Exactly as LLaMA's code computes it:
        h = int(2 * (4 * d_model) / 3)
        if ffn_dim_multiplier is not None: h = int(ffn_dim_multiplier * h)
        h = the smallest multiple of multiple_of that is >= h
    e.g. LLaMA-7B: swiglu_hidden_dim(4096, 256) = 11008.

    Args:
        d_model: the model width (> 0).
        multiple_of: round up to a multiple of this (> 0).
        ffn_dim_multiplier: an optional extra factor (LLaMA-2 70B and LLaMA-3 use 1.3).

    Returns:
        the hidden size, a Python int.
    """
    hidden = int(2 * (4 * d_model) / 3)
    if ffn_dim_multiplier is not None:
        hidden = int(ffn_dim_multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)  # ceil to a multiple
