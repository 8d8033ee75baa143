"""Regularization: dropout and its cousins, weight penalties, augmentation, mixup and CutMix.

Everything here fights overfitting by making training a little harder than testing:
- dropout zeroes random activations (with a hand-written backward that reuses the mask),
  DropConnect zeroes random weights, DropPath skips whole residual branches per sample;
- weight penalties (L1, L2, elastic net) pull weights towards zero, and weight decay does the
  same inside the optimizer (the same thing as L2 for SGD, not for Adam);
- augmentation shows the network flipped, shifted, rotated and recoloured images;
- mixup and CutMix train on blends of two examples with blended labels.

Every random choice is drawn from the `generator` argument (a torch.Generator) when one is
given, and from torch's global generator when it is None, so that a seeded generator
reproduces the same output. Modules (Dropout, DropConnectLinear, DropPath) use the global
generator. In evaluation (training=False, or module.eval()) every one of them is the identity.

Do not call torch.nn.functional.dropout (or nn.Dropout, torch.dropout and their variants):
draw the masks yourself with torch.rand or torch.bernoulli. Do not use torch.optim in
l2_vs_weight_decay.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch import nn

# --- dropout -------------------------------------------------------------------------------


class DropoutFunction(torch.autograd.Function):
    """Inverted dropout with a hand-written backward.

    forward(ctx, x, p, generator) -> out
        keep = 1 with probability 1 - p, else 0, independently for every element of x, drawn
        from `generator` (torch.rand and torch.bernoulli both take a generator= argument);
        out = x * keep / (1 - p)      (inverted dropout: the expectation of out is x).
        When p == 1 every element is dropped: out is all zeros (never divide by 0: no nan).
        x: any shape, floating dtype; out: x's shape and dtype. Save the mask for backward.

    backward(ctx, grad_out) -> (grad_x, None, None)
        grad_x = grad_out * keep / (1 - p), with the SAME mask as the forward (zeros when
        p == 1); None for p and generator, which get no gradient.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, p: float,
                generator: torch.Generator | None) -> torch.Tensor:
        raise NotImplementedError("phase1.regularization.DropoutFunction.forward")

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        raise NotImplementedError("phase1.regularization.DropoutFunction.backward")


def dropout(x: torch.Tensor, p: float = 0.5, training: bool = True,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """Inverted dropout: zero each element with probability p, scale the rest by 1 / (1 - p).

    In training with 0 < p <= 1, return DropoutFunction.apply(x, p, generator) directly (the
    tests check that the output's grad_fn is your DropoutFunction's). With p == 0, or with
    training=False, return x unchanged: no scaling at evaluation time, since the training-time
    scaling already keeps the expectation equal to x.

    Args:
        x: any shape, floating dtype.
        p: the drop probability, 0 <= p <= 1 (p = 1 gives zeros, and zero gradients).
        training: False for evaluation (identity).
        generator: where the mask is drawn from (torch's global generator when None).

    Returns:
        A tensor of x's shape and dtype.

    Raises:
        ValueError: if p is outside [0, 1].

    Do not call torch.nn.functional.dropout, torch.dropout or their variants.
    """
    raise NotImplementedError("phase1.regularization.dropout")


class Dropout(nn.Module):
    """Dropout as a layer: dropout(x, self.p, self.training) with torch's global generator.

    Like torch.nn.Dropout: active after model.train() (the default), the identity after
    model.eval(). No parameters.
    """

    def __init__(self, p: float = 0.5) -> None:
        """Store the drop probability as self.p (checked when forward calls dropout)."""
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply dropout(x, self.p, training=self.training).

        Args:
            x: any shape, floating dtype.

        Returns:
            A tensor of x's shape and dtype.
        """
        raise NotImplementedError("phase1.regularization.Dropout.forward")


# --- DropConnect and DropPath --------------------------------------------------------------


class DropConnectLinear(nn.Module):
    """A linear layer whose WEIGHTS (not activations) are dropped in training (DropConnect).

    Training: draw one mask M of the weight's shape (out_features, in_features), M = 1 with
    probability 1 - p, independently per weight, from torch's global generator; ONE mask per
    forward call, shared by every sample of the batch. Then

        out = x @ (weight * M / (1 - p)).T + bias        (the bias is never dropped)

    Evaluation (self.training False): out = x @ weight.T + bias, the plain linear layer.
    p == 1 in training drops every weight: out = bias (no nan).

    Plain tensor operations are fine here: autograd differentiates them, and the weight's
    gradient then goes through the same mask.

    Parameters (created in __init__, like torch.nn.Linear's):
        weight: (out_features, in_features), bias: (out_features,) or None when bias=False.
    """

    def __init__(self, in_features: int, out_features: int, p: float = 0.5,
                 bias: bool = True) -> None:
        """Create weight and bias, uniform in +-1/sqrt(in_features) like nn.Linear's; store p."""
        super().__init__()
        self.in_features, self.out_features, self.p = in_features, out_features, p
        bound = 1.0 / math.sqrt(in_features)
        self.weight = nn.Parameter(torch.empty(out_features, in_features).uniform_(-bound, bound))
        self.bias = (nn.Parameter(torch.empty(out_features).uniform_(-bound, bound))
                     if bias else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The DropConnect linear map (see the class docstring).

        Args:
            x: (..., in_features) float tensor (any number of leading dims).

        Returns:
            (..., out_features) tensor.

        Raises:
            ValueError: if p is outside [0, 1].
        """
        raise NotImplementedError("phase1.regularization.DropConnectLinear.forward")


def drop_path(x: torch.Tensor, p: float = 0.0, training: bool = True,
              generator: torch.Generator | None = None) -> torch.Tensor:
    """DropPath (stochastic depth): drop whole SAMPLES of a residual branch's output.

    Used as out = shortcut + drop_path(branch(x)): a dropped sample skips the branch. One
    keep/drop draw per sample (along dim 0), keep with probability 1 - p, broadcast over all
    the other dims (mask of shape (N, 1, ..., 1)), kept samples scaled by 1 / (1 - p):

        out[n] = x[n] * keep[n] / (1 - p)

    Different samples of the batch get independent draws. Identity when training=False or
    p == 0; all zeros when p == 1 (no nan). Plain tensor operations are fine (autograd
    differentiates them).

    Args:
        x: (N, ...) float tensor, at least 1-D (N samples).
        p: the drop probability, 0 <= p <= 1.
        training: False for evaluation (identity).
        generator: where the draws come from (torch's global generator when None).

    Returns:
        A tensor of x's shape and dtype.

    Raises:
        ValueError: if p is outside [0, 1] or x is 0-D.
    """
    raise NotImplementedError("phase1.regularization.drop_path")


class DropPath(nn.Module):
    """drop_path(x, self.p, self.training) as a layer, with torch's global generator."""

    def __init__(self, p: float = 0.0) -> None:
        """Store the drop probability as self.p."""
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply drop_path(x, self.p, training=self.training).

        Args:
            x: (N, ...) float tensor.

        Returns:
            A tensor of x's shape and dtype.
        """
        raise NotImplementedError("phase1.regularization.DropPath.forward")


def drop_path_rates(p_max: float, num_blocks: int) -> list[float]:
    """The linear stochastic-depth schedule: drop rates rising from 0 to p_max over the blocks.

    rate[l] = p_max * l / (num_blocks - 1) for l = 0, ..., num_blocks - 1, so the first block
    is never dropped and the last is dropped with probability p_max (the values of
    torch.linspace(0, p_max, num_blocks)). A single block gets [0.0].

    Args:
        p_max: the last block's drop rate, 0 <= p_max <= 1.
        num_blocks: the number of residual blocks L >= 1.

    Returns:
        A list of num_blocks Python floats.

    Raises:
        ValueError: if num_blocks < 1 or p_max is outside [0, 1].
    """
    raise NotImplementedError("phase1.regularization.drop_path_rates")


# --- weight penalties ----------------------------------------------------------------------


def l1_penalty(params: nn.Module | Iterable[torch.Tensor], lam: float,
               exclude_bias: bool = True) -> torch.Tensor:
    """L1 penalty: lam * sum over the penalised parameters w of sum(|w|).

    Which parameters: all of them (a Module's .parameters(), or the tensors given), except,
    when exclude_bias=True, every parameter with fewer than 2 dimensions: biases and the
    weights of norm layers (LayerNorm, BatchNorm), which are usually not penalised.

    Its gradient is lam * sign(w) (0 at w = 0, as autograd's abs gives), and 0 for the
    excluded parameters.

    Args:
        params: an nn.Module or an iterable of tensors.
        lam: the coefficient, >= 0.
        exclude_bias: skip the parameters with ndim < 2.

    Returns:
        A 0-dim tensor that autograd can differentiate (torch.tensor(0.0) when nothing is
        penalised).
    """
    raise NotImplementedError("phase1.regularization.l1_penalty")


def l2_penalty(params: nn.Module | Iterable[torch.Tensor], lam: float,
               exclude_bias: bool = True) -> torch.Tensor:
    """L2 penalty: lam * sum over the penalised parameters w of sum(w ** 2), no 1/2 and no sqrt.

    The parameters are chosen as in l1_penalty. Its gradient is 2 * lam * w, so adding
    l2_penalty(model, wd / 2) to the loss gives SGD the gradient of torch.optim.SGD's
    weight_decay=wd.

    Args:
        params: an nn.Module or an iterable of tensors.
        lam: the coefficient, >= 0.
        exclude_bias: skip the parameters with ndim < 2.

    Returns:
        A 0-dim tensor that autograd can differentiate (torch.tensor(0.0) when nothing is
        penalised).
    """
    raise NotImplementedError("phase1.regularization.l2_penalty")


def elastic_net_penalty(params: nn.Module | Iterable[torch.Tensor], l1: float, l2: float,
                        exclude_bias: bool = True) -> torch.Tensor:
    """Elastic net: l1 * sum(|w|) + l2 * sum(w ** 2) over the penalised parameters.

    Equal to l1_penalty(params, l1, exclude_bias) + l2_penalty(params, l2, exclude_bias)
    (careful: an iterator of tensors can be walked only once).

    Args:
        params: an nn.Module or an iterable of tensors.
        l1, l2: the two coefficients, >= 0.
        exclude_bias: skip the parameters with ndim < 2.

    Returns:
        A 0-dim tensor that autograd can differentiate.
    """
    raise NotImplementedError("phase1.regularization.elastic_net_penalty")


def l2_vs_weight_decay(w: torch.Tensor, loss_fn: Callable[[torch.Tensor], torch.Tensor],
                       lr: float, weight_decay: float,
                       eps: float = 1e-8) -> dict[str, torch.Tensor]:
    """One optimizer step four ways, to see when an L2 penalty and weight decay agree.

    Let g be the gradient of loss_fn at w (use torch.autograd.grad on a leaf copy of w) and
    wd = weight_decay. Return the parameter after ONE step, from a fresh optimizer state:
      "sgd_l2":           plain SGD on loss_fn(w) + l2_penalty([w], wd / 2, exclude_bias=False):
                          w - lr * (g + wd * w)
      "sgd_weight_decay": SGD with weight decay applied to the weights directly:
                          w * (1 - lr * wd) - lr * g
                          (the same as sgd_l2: for SGD the two are one method)
      "adam_l2":          one Adam step on the gradient of loss_fn(w) + l2_penalty([w], wd / 2,
                          exclude_bias=False): the decay goes through Adam's normalisation
      "adamw":            one AdamW step: decoupled decay w * (1 - lr * wd), then the Adam
                          step on g alone
    Adam's first step, from m = v = 0 with bias correction: m_hat = grad, v_hat = grad ** 2,
    step = lr * m_hat / (sqrt(v_hat) + eps). The betas cancel out of the first step, so they
    are not arguments. The tests compare with torch.optim.SGD(weight_decay=wd),
    torch.optim.Adam(weight_decay=wd) and torch.optim.AdamW(weight_decay=wd).

    Args:
        w: a float tensor of any shape (not modified).
        loss_fn: maps a tensor shaped like w to a scalar loss tensor.
        lr: the learning rate.
        weight_decay: wd >= 0.
        eps: Adam's epsilon.

    Returns:
        A dict with the four keys above, each a tensor of w's shape and dtype that does not
        require grad.

    Write the updates with tensor operations: do not use torch.optim.
    """
    raise NotImplementedError("phase1.regularization.l2_vs_weight_decay")


# --- data augmentation on (N, C, H, W) image batches ----------------------------------------


def random_horizontal_flip(x: torch.Tensor, p: float = 0.5,
                           generator: torch.Generator | None = None,
                           training: bool = True) -> torch.Tensor:
    """Mirror each image left-right (reverse the W axis) with probability p.

    Every image is flipped or not independently of the others (all its channels together);
    p = 0 never flips, p = 1 always does. training=False returns x unchanged.

    Args:
        x: (N, C, H, W) float tensor (not modified).
        p: the flip probability, 0 <= p <= 1.
        generator: where the coin flips come from (torch's global generator when None).
        training: False for evaluation (identity).

    Returns:
        (N, C, H, W) tensor of x's dtype.

    Raises:
        ValueError: if x is not 4-D or p is outside [0, 1].
    """
    raise NotImplementedError("phase1.regularization.random_horizontal_flip")


def random_crop(x: torch.Tensor, padding: int = 4, generator: torch.Generator | None = None,
                training: bool = True) -> torch.Tensor:
    """Shift each image by a random amount: zero-pad, then crop back to the original size.

    Each image is padded with `padding` zeros on all four sides, to (H + 2 * padding,
    W + 2 * padding); then an (H, W) window is cut at a top-left corner (top, left) drawn
    uniformly from {0, 1, ..., 2 * padding} x {0, 1, ..., 2 * padding} (both ends included),
    independently for every image; all channels of an image share its window. training=False
    (or padding=0) returns x unchanged.

    Args:
        x: (N, C, H, W) float tensor (not modified).
        padding: p >= 0.
        generator: where the corners come from (torch's global generator when None).
        training: False for evaluation (identity).

    Returns:
        (N, C, H, W) tensor of x's dtype.

    Raises:
        ValueError: if x is not 4-D or padding < 0.
    """
    raise NotImplementedError("phase1.regularization.random_crop")


def random_rotation(x: torch.Tensor, generator: torch.Generator | None = None,
                    training: bool = True) -> torch.Tensor:
    """Rotate each image by a random multiple of 90 degrees (0, 90, 180 or 270).

    For each image independently, draw k uniformly from {0, 1, 2, 3} and return
    torch.rot90(image, k, dims=(-2, -1)) (k quarter turns counter-clockwise, all channels
    together). Quarter turns need square images and never interpolate, so no pixel value
    changes. training=False returns x unchanged.

    Args:
        x: (N, C, H, W) float tensor with H == W (not modified).
        generator: where the k's come from (torch's global generator when None).
        training: False for evaluation (identity).

    Returns:
        (N, C, H, W) tensor of x's dtype.

    Raises:
        ValueError: if x is not 4-D or H != W.
    """
    raise NotImplementedError("phase1.regularization.random_rotation")


def color_jitter(x: torch.Tensor, brightness: float = 0.4, contrast: float = 0.4,
                 generator: torch.Generator | None = None, training: bool = True) -> torch.Tensor:
    """Random brightness, then random contrast, per image, for images with values in [0, 1].

    For each image independently draw two factors, uniformly:
        b ~ U[1 - brightness, 1 + brightness],   c ~ U[1 - contrast, 1 + contrast]
    then
        y   = clamp(b * img, 0, 1)                       (brightness)
        m   = mean of y over ALL its channels and pixels (one number per image)
        out = clamp((y - m) * c + m, 0, 1)               (contrast: away from / towards m)
    training=False returns x unchanged; brightness = contrast = 0 changes nothing.

    Args:
        x: (N, C, H, W) float tensor with values in [0, 1] (not modified).
        brightness, contrast: the jitter strengths, each in [0, 1].
        generator: where the factors come from (torch's global generator when None).
        training: False for evaluation (identity).

    Returns:
        (N, C, H, W) tensor of x's dtype, with values in [0, 1].

    Raises:
        ValueError: if x is not 4-D or brightness or contrast is outside [0, 1].
    """
    raise NotImplementedError("phase1.regularization.color_jitter")


# --- mixup and CutMix ----------------------------------------------------------------------


def mixup(x: torch.Tensor, y: torch.Tensor, alpha: float,
          generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mixup: train on convex combinations of pairs of examples and of their labels.

    Draw ONE lam ~ Beta(alpha, alpha) for the whole batch, and a uniformly random permutation
    perm of the batch (torch.randperm(N, generator=generator)); then

        x_mixed = lam * x + (1 - lam) * x[perm]
        y_mixed = lam * y + (1 - lam) * y[perm]      (the SAME lam and perm as the inputs)

    Draw lam from the generator too, e.g. Beta(a, a) is the first coordinate of a
    Dirichlet(a, a) sample: torch._sample_dirichlet(torch.tensor([alpha, alpha],
    dtype=torch.float64), generator=generator)[0]. (torch.distributions.Beta cannot take a
    generator.)

    Args:
        x: (N, ...) float tensor of inputs (not modified).
        y: (N, K) float tensor of one-hot or soft labels (rows sum to 1), not modified.
        alpha: the Beta distribution's parameter, > 0 (small alpha: lam near 0 or 1).
        generator: where lam and perm come from (torch's global generator when None).

    Returns:
        (x_mixed, y_mixed) with the shapes and dtypes of x and y.

    Raises:
        ValueError: if alpha <= 0, y is not 2-D, or x and y have different N.
    """
    raise NotImplementedError("phase1.regularization.mixup")


def cutmix(x: torch.Tensor, y: torch.Tensor, alpha: float,
           generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """CutMix: paste a random box of a partner image; mix the labels by the pasted area.

    For the whole batch draw ONE lam ~ Beta(alpha, alpha) (as in mixup), one random
    permutation perm of the batch, and ONE box, shared by every image:
        r = sqrt(1 - lam); cut_h = int(H * r); cut_w = int(W * r)
        centre cy uniform in {0, ..., H - 1}, cx uniform in {0, ..., W - 1}
        rows    y1 = clamp(cy - cut_h // 2, 0, H) .. y2 = clamp(cy + cut_h // 2, 0, H)
        columns x1 = clamp(cx - cut_w // 2, 0, W) .. x2 = clamp(cx + cut_w // 2, 0, W)
        (y2 and x2 excluded). Then
        x_mixed = x, except x_mixed[:, :, y1:y2, x1:x2] = x[perm][:, :, y1:y2, x1:x2]
        lam_area = 1 - (y2 - y1) * (x2 - x1) / (H * W)
        y_mixed = lam_area * y + (1 - lam_area) * y[perm]
    The box is clipped at the image border, so the label weight must come from the box
    actually pasted (lam_area), not from the sampled lam.

    Args:
        x: (N, C, H, W) float tensor of images (not modified).
        y: (N, K) float tensor of one-hot or soft labels, not modified.
        alpha: the Beta distribution's parameter, > 0.
        generator: where lam, perm and the box come from (global generator when None).

    Returns:
        (x_mixed, y_mixed) with the shapes and dtypes of x and y.

    Raises:
        ValueError: if alpha <= 0, x is not 4-D, y is not 2-D, or x and y have different N.
    """
    raise NotImplementedError("phase1.regularization.cutmix")
