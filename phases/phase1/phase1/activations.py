"""Activations and their derivatives, and SwiGLU.

Write each activation as a torch.autograd.Function whose backward is the derivative you worked
out by hand, and a small function that calls it. Mind the extremes: exp() overflows to inf in
float32 above about 88, and inf / inf is nan. Then build SwiGLU, the gated feed-forward block
that replaced the GELU MLP in LLaMA and most recent language models.

Allowed: tensor arithmetic, torch.exp, torch.log1p, torch.expm1, torch.erf, torch.where,
comparisons. Each function must not call torch's own version of itself (relu must not call
torch.relu, gelu must not call torch.nn.functional.gelu, ...); its docstring says which.
"""

from __future__ import annotations

import torch
from torch import nn

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
        raise NotImplementedError("phase1.activations.StepFunction.forward")

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> torch.Tensor:
        """Returns: zeros shaped like grad_out."""
        raise NotImplementedError("phase1.activations.StepFunction.backward")


def step(x: torch.Tensor) -> torch.Tensor:
    """step(x) = 1 if x > 0 else 0, elementwise; returns StepFunction.apply(x).

    Do not call torch.heaviside.
    """
    raise NotImplementedError("phase1.activations.step")


class SigmoidFunction(torch.autograd.Function):
    """sigma(x) = 1 / (1 + exp(-x)); sigma'(x) = sigma(x) (1 - sigma(x)).

    Stability: exp(-x) overflows to inf for very negative x (x < -88 in float32) and exp(x)
    for very positive x. The result must be finite and correct for every finite x, forward and
    backward: sigma(-1e4) = 0 and sigma(1e4) = 1, with no nan, inf or warning.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        """Args: x: float tensor of any shape. Returns: sigma(x), x's shape and dtype."""
        raise NotImplementedError("phase1.activations.SigmoidFunction.forward")

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> torch.Tensor:
        """Returns: grad_out * sigma(x) * (1 - sigma(x))."""
        raise NotImplementedError("phase1.activations.SigmoidFunction.backward")


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """The logistic sigmoid, elementwise; returns SigmoidFunction.apply(x).

    Do not call torch.sigmoid, Tensor.sigmoid, torch.nn.functional.sigmoid or
    torch.special.expit.
    """
    raise NotImplementedError("phase1.activations.sigmoid")


class TanhFunction(torch.autograd.Function):
    """tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)); tanh'(x) = 1 - tanh(x)^2.

    Like sigmoid, it must stay finite and correct for every finite x (tanh(+-1e4) = +-1):
    the textbook formula gives inf / inf there.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        """Args: x: float tensor of any shape. Returns: tanh(x), x's shape and dtype."""
        raise NotImplementedError("phase1.activations.TanhFunction.forward")

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> torch.Tensor:
        """Returns: grad_out * (1 - tanh(x)^2)."""
        raise NotImplementedError("phase1.activations.TanhFunction.backward")


def tanh(x: torch.Tensor) -> torch.Tensor:
    """The hyperbolic tangent, elementwise; returns TanhFunction.apply(x).

    Do not call torch.tanh, Tensor.tanh or torch.nn.functional.tanh.
    """
    raise NotImplementedError("phase1.activations.tanh")


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
        raise NotImplementedError("phase1.activations.ReLUFunction.forward")

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> torch.Tensor:
        """Returns: grad_out where x > 0, else 0 (including at x == 0)."""
        raise NotImplementedError("phase1.activations.ReLUFunction.backward")


def relu(x: torch.Tensor) -> torch.Tensor:
    """max(x, 0), elementwise; returns ReLUFunction.apply(x).

    Do not call torch.relu, Tensor.relu or torch.nn.functional.relu.
    """
    raise NotImplementedError("phase1.activations.relu")


class LeakyReLUFunction(torch.autograd.Function):
    """leaky_relu(x) = x if x > 0 else negative_slope * x.

    Derivative: 1 where x > 0, negative_slope where x <= 0 (at x == 0 too, as in torch).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, negative_slope: float) -> torch.Tensor:
        """Args: x: float tensor of any shape; negative_slope: a float. Returns: x's shape."""
        raise NotImplementedError("phase1.activations.LeakyReLUFunction.forward")

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor, None]:
        """Returns: (grad_x, None): grad_out where x > 0, else negative_slope * grad_out."""
        raise NotImplementedError("phase1.activations.LeakyReLUFunction.backward")


def leaky_relu(x: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """Leaky ReLU, elementwise; returns LeakyReLUFunction.apply(x, negative_slope).

    Args:
        x: float tensor of any shape.
        negative_slope: the slope for x <= 0.

    Returns:
        tensor of x's shape and dtype.

    Do not call torch.nn.functional.leaky_relu.
    """
    raise NotImplementedError("phase1.activations.leaky_relu")


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
        raise NotImplementedError("phase1.activations.GELUFunction.forward")

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor, None]:
        """Returns: (grad_out * GELU'(x), None), with the derivative of the chosen formula."""
        raise NotImplementedError("phase1.activations.GELUFunction.backward")


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
    raise NotImplementedError("phase1.activations.gelu")


class SiLUFunction(torch.autograd.Function):
    """SiLU (swish): silu(x) = x * sigma(x).

    Derivative (product rule): sigma(x) + x * sigma'(x) = sigma(x) * (1 + x * (1 - sigma(x))).
    Finite for every finite x (silu(-1e4) = 0, silu(1e4) = 1e4).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        """Args: x: float tensor of any shape. Returns: silu(x), x's shape and dtype."""
        raise NotImplementedError("phase1.activations.SiLUFunction.forward")

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> torch.Tensor:
        """Returns: grad_out * sigma(x) * (1 + x * (1 - sigma(x)))."""
        raise NotImplementedError("phase1.activations.SiLUFunction.backward")


def silu(x: torch.Tensor) -> torch.Tensor:
    """SiLU, elementwise; returns SiLUFunction.apply(x).

    You may use torch.sigmoid (or your sigmoid); do not call torch.nn.functional.silu.
    """
    raise NotImplementedError("phase1.activations.silu")


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
        raise NotImplementedError("phase1.activations.SoftplusFunction.forward")

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        """Returns: (grad_x, None, None), grad_x = grad_out * softplus'(x)."""
        raise NotImplementedError("phase1.activations.SoftplusFunction.backward")


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
    raise NotImplementedError("phase1.activations.softplus")


# ----------------------------------------------------------------------------------------------
# Modules
# ----------------------------------------------------------------------------------------------


class ReLU(nn.Module):
    """relu as a module: ReLU()(x) = relu(x). No parameters."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns relu(x) (through ReLUFunction)."""
        raise NotImplementedError("phase1.activations.ReLU.forward")


class GELU(nn.Module):
    """gelu as a module: GELU(approximate)(x) = gelu(x, approximate). No parameters."""

    def __init__(self, approximate: str = "none") -> None:
        """Store approximate ("none" or "tanh"); a wrong value raises ValueError in forward."""
        super().__init__()
        self.approximate = approximate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns gelu(x, self.approximate) (through GELUFunction)."""
        raise NotImplementedError("phase1.activations.GELU.forward")


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
        raise NotImplementedError("phase1.activations.SwiGLU.forward")


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
    raise NotImplementedError("phase1.activations.swiglu_hidden_dim")
