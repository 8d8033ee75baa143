"""Learning-rate schedules: warm-up, step, cosine, restarts, plateau (reference solution).

- Step decay and exponential decay: the classic schedules of the ImageNet era.
- Cosine annealing and warm restarts: Loshchilov & Hutter (2017), "SGDR: Stochastic Gradient
  Descent with Warm Restarts", eq. (5), with periods T_i = T_0 * T_mult**i.
- Polynomial decay: as in DeepLab (Chen et al., 2017, "poly" policy).
- Linear warm-up: Goyal et al. (2017), "Accurate, Large Minibatch SGD: Training ImageNet in
  1 Hour", section 2.2.
- Warm-up then cosine decay to a floor: the GPT-2/GPT-3 recipe (Radford et al., 2019; Brown et
  al., 2020, appendix B), as written in Karpathy's build-nanogpt: max_lr 6e-4, min_lr 6e-5.
- Reduce on plateau: Keras' ReduceLROnPlateau, as torch.optim.lr_scheduler implements it.

Every LRScheduler subclass computes its lr from a closed form in last_epoch and the groups'
initial lrs (self.base_lrs), so it never drifts and resumes from any epoch.
"""

from __future__ import annotations

import math
from typing import Literal, SupportsFloat

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler


def warmup_cosine(
    step: int, *, max_lr: float, min_lr: float, warmup_steps: int, total_steps: int
) -> float:
    """The learning rate at `step` of a linear warm-up followed by a cosine decay (GPT recipe).

    With W = warmup_steps and T = total_steps (steps count from 0):

        step < W:        lr = max_lr * (step + 1) / W                         linear warm-up
        W <= step < T:   progress = (step - W) / (T - W)                     from 0 towards 1
                         lr = min_lr + 0.5 * (max_lr - min_lr) * (1 + cos(pi * progress))
        step >= T:       lr = min_lr                                           the floor

    So step 0 already trains, at max_lr / W; the warm-up reaches max_lr at step W - 1; step W
    is the top of the cosine (max_lr again); halfway through the decay, at step
    W + (T - W) / 2, lr is (max_lr + min_lr) / 2; from step T on, lr is min_lr. With W = 0 there
    is no warm-up (step 0 gets max_lr).

    Example (GPT-2 small: max_lr 6e-4, min_lr 6e-5, W = 2000, T = 600000): step 0 gives 3e-7,
    step 1999 and step 2000 give 6e-4, step 301000 gives 3.3e-4, steps 600000 and beyond 6e-5.

    Args:
        step: the optimizer step about to be taken, an int >= 0.
        max_lr: the peak learning rate.
        min_lr: the floor reached at total_steps.
        warmup_steps: W, an int >= 0.
        total_steps: T, an int >= warmup_steps: the step where the decay ends.

    Returns:
        the learning rate, a Python float.

    Raises:
        ValueError: step < 0, warmup_steps < 0 or total_steps < warmup_steps.
    """
    if step < 0 or warmup_steps < 0 or total_steps < warmup_steps:
        raise ValueError(
            f"need step >= 0 and 0 <= warmup_steps <= total_steps; got step={step}, "
            f"warmup_steps={warmup_steps}, total_steps={total_steps}"
        )
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return float(min_lr)
    progress = (step - warmup_steps) / (total_steps - warmup_steps)  # in [0, 1)
    return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + math.cos(math.pi * progress))


class WarmupCosineLR(LRScheduler):
    """warmup_cosine as a scheduler: each group warms up to its own lr, then decays.

    At epoch e (self.last_epoch), the lr of a group whose initial lr is base_lr is

        warmup_cosine(e, max_lr=base_lr, min_lr=min_lr_ratio * base_lr,
                      warmup_steps=warmup_steps, total_steps=total_steps)

    Call step() once after every optimizer step: at construction the lrs are those of step 0.

    Args:
        optimizer: the optimizer whose groups' lrs this schedules.
        warmup_steps: W, an int >= 0.
        total_steps: T, an int >= warmup_steps.
        min_lr_ratio: the floor as a fraction of each group's initial lr, in [0, 1]
            (0.1 in the GPT recipe).
        last_epoch: -1 (the default) starts the schedule at epoch 0.

    Raises:
        ValueError: warmup_steps < 0, total_steps < warmup_steps, or min_lr_ratio outside
            [0, 1].
    """

    def __init__(
        self,
        optimizer: Optimizer,
        warmup_steps: int,
        total_steps: int,
        min_lr_ratio: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        """Check and store the hyperparameters, then let LRScheduler set up epoch 0."""
        if warmup_steps < 0 or total_steps < warmup_steps:
            raise ValueError(f"need 0 <= warmup_steps <= total_steps, got {warmup_steps}, "
                             f"{total_steps}")
        if not 0.0 <= min_lr_ratio <= 1.0:
            raise ValueError(f"min_lr_ratio must be in [0, 1], got {min_lr_ratio}")
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_lr_ratio = min_lr_ratio
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The lr of every param group at epoch self.last_epoch (see the class docstring)."""
        return [
            warmup_cosine(self.last_epoch, max_lr=base, min_lr=self.min_lr_ratio * base,
                          warmup_steps=self.warmup_steps, total_steps=self.total_steps)
            for base in self.base_lrs
        ]


class LinearLR(LRScheduler):
    """Scale each group's lr by a factor that moves linearly, then holds (linear warm-up).

        factor(e) = start_factor + (end_factor - start_factor) * min(e, total_iters) / total_iters
        lr(e) = base_lr * factor(e)

    so lr(0) = base_lr * start_factor and lr(e) = base_lr * end_factor for e >= total_iters.
    A warm-up uses start_factor < 1 = end_factor; a linear decay end_factor < start_factor.

    Args:
        optimizer: the optimizer whose groups' lrs this schedules.
        start_factor: the factor at epoch 0, in (0, 1].
        end_factor: the factor from epoch total_iters on, in [0, 1].
        total_iters: the number of epochs the factor takes to reach end_factor (>= 1).
        last_epoch: -1 (the default) starts the schedule at epoch 0.

    Raises:
        ValueError: start_factor outside (0, 1] or end_factor outside [0, 1].
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        """Check and store the hyperparameters, then let LRScheduler set up epoch 0."""
        if not 0.0 < start_factor <= 1.0:
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor}")
        if not 0.0 <= end_factor <= 1.0:
            raise ValueError(f"end_factor must be in [0, 1], got {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The lr of every param group at epoch self.last_epoch (see the class docstring)."""
        done = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * done
        return [base * factor for base in self.base_lrs]


class StepLR(LRScheduler):
    """Multiply the lr by gamma every step_size epochs.

        lr(e) = base_lr * gamma ** (e // step_size)

    Args:
        optimizer: the optimizer whose groups' lrs this schedules.
        step_size: the period of the decay, in epochs (>= 1).
        gamma: the multiplicative factor.
        last_epoch: -1 (the default) starts the schedule at epoch 0.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        step_size: int,
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        """Store the hyperparameters, then let LRScheduler set up epoch 0."""
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The lr of every param group at epoch self.last_epoch (see the class docstring)."""
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the lr by gamma every epoch.

        lr(e) = base_lr * gamma ** e

    Args:
        optimizer: the optimizer whose groups' lrs this schedules.
        gamma: the multiplicative factor per epoch.
        last_epoch: -1 (the default) starts the schedule at epoch 0.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        gamma: float,
        last_epoch: int = -1,
    ) -> None:
        """Store the hyperparameters, then let LRScheduler set up epoch 0."""
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The lr of every param group at epoch self.last_epoch (see the class docstring)."""
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Anneal the lr from base_lr to eta_min along half a cosine over T_max epochs.

        lr(e) = eta_min + (base_lr - eta_min) * (1 + cos(pi * e / T_max)) / 2

    lr(0) = base_lr, lr(T_max) = eta_min. The formula holds for every e, as in torch: after
    T_max the lr climbs back up (period 2 * T_max); for restarts use
    CosineAnnealingWarmRestarts.

    Args:
        optimizer: the optimizer whose groups' lrs this schedules.
        T_max: the number of epochs from base_lr down to eta_min (>= 1).
        eta_min: the lowest lr (the same for every group).
        last_epoch: -1 (the default) starts the schedule at epoch 0.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        """Store the hyperparameters, then let LRScheduler set up epoch 0."""
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The lr of every param group at epoch self.last_epoch (see the class docstring)."""
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: cosine annealing that restarts at base_lr, each period T_mult times longer.

    The periods are T_0, T_0 * T_mult, T_0 * T_mult**2, ... epochs; restarts happen at epochs
    T_0, T_0 + T_0 * T_mult, ... With T_cur the epochs since the last restart and T_i the
    current period,

        lr(e) = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2

    so the lr is base_lr at every restart (T_cur = 0) and approaches eta_min just before one.

    Compute T_cur and T_i from last_epoch with integers: start from T_cur = e, T_i = T_0, and
    while T_cur >= T_i, subtract T_i from T_cur and multiply T_i by T_mult. That closed form
    gives exactly the values of torch's recursive step() (which adds 1 to T_cur each epoch and
    wraps). Avoid the logarithm formula torch uses for step(epoch): through rounding
    (log(243) / log(3) = 4.999...) it misplaces some restarts (T_0 = 3, T_mult = 3, epoch 363).

    Args:
        optimizer: the optimizer whose groups' lrs this schedules.
        T_0: the first period, an int >= 1.
        T_mult: the growth factor of the period, an int >= 1 (1: every period is T_0).
        eta_min: the lowest lr (the same for every group).
        last_epoch: -1 (the default) starts the schedule at epoch 0.

    Raises:
        ValueError: T_0 not a positive int, or T_mult not an int >= 1.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        """Check and store the hyperparameters, then let LRScheduler set up epoch 0."""
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        self.T_0 = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The lr of every param group at epoch self.last_epoch (see the class docstring)."""
        t_cur, t_i = self.last_epoch, self.T_0
        while t_cur >= t_i:  # walk past every finished period
            t_cur -= t_i
            t_i *= self.T_mult
        cosine = (1 + math.cos(math.pi * t_cur / t_i)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the lr to zero along a polynomial over total_iters epochs.

        lr(e) = base_lr * (1 - min(e, total_iters) / total_iters) ** power

    power = 1 is a linear decay; from epoch total_iters on the lr is 0.

    Args:
        optimizer: the optimizer whose groups' lrs this schedules.
        total_iters: the number of epochs to reach zero (>= 1).
        power: the exponent of the polynomial.
        last_epoch: -1 (the default) starts the schedule at epoch 0.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        total_iters: int = 5,
        power: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        """Store the hyperparameters, then let LRScheduler set up epoch 0."""
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The lr of every param group at epoch self.last_epoch (see the class docstring)."""
        left = 1.0 - min(self.last_epoch, self.total_iters) / self.total_iters
        return [base * left**self.power for base in self.base_lrs]


class ReduceLROnPlateau(LRScheduler):
    """Cut the lr by `factor` when a metric has stopped improving for `patience` epochs.

    Unlike the others, step(metrics) takes the metric (a validation loss, an accuracy) once per
    epoch, and the lrs start as the groups' current lrs (no initial step, last_epoch = 0).

    A metric a is an improvement over the best so far when (threshold t):

        mode "min", threshold_mode "rel":   a < best * (1 - t)
        mode "min", threshold_mode "abs":   a < best - t
        mode "max", threshold_mode "rel":   a > best * (1 + t)
        mode "max", threshold_mode "abs":   a > best + t

    best starts at +inf for "min" and -inf for "max" (so the first metric always improves).
    Each step(metrics), in this order:

        last_epoch += 1
        if the metric improves on best: best = metric, num_bad_epochs = 0
        else:                           num_bad_epochs += 1
        if cooldown_counter > 0:        cooldown_counter -= 1, num_bad_epochs = 0
        if num_bad_epochs > patience:   for each group i:
                                            new_lr = max(lr * factor, min_lrs[i])
                                            if lr - new_lr > eps: lr = new_lr
                                        cooldown_counter = cooldown, num_bad_epochs = 0

    So with patience p, the lr is cut at the (p + 1)-th bad epoch in a row; during the
    `cooldown` epochs after a cut, bad epochs are not counted (best still updates).

    get_last_lr(), state_dict() and load_state_dict() are LRScheduler's: get_last_lr() returns
    self._last_lr, so keep it equal to the list of the groups' lrs (set it in __init__ and at
    the end of every step); state_dict() saves every attribute except the optimizer, so keep
    all your state in attributes of self.

    Args:
        optimizer: the optimizer whose groups' lrs this schedules.
        mode: "min" (the metric should go down, e.g. a loss) or "max" (e.g. an accuracy).
        factor: the multiplicative cut, < 1.
        patience: the number of bad epochs in a row to tolerate before a cut.
        threshold: how much better than best a metric must be to count as an improvement.
        threshold_mode: "rel" (relative to best) or "abs" (absolute).
        cooldown: epochs to wait after a cut before counting bad epochs again.
        min_lr: a floor for every group's lr, or a list with one floor per group.
        eps: a cut smaller than eps is not applied.

    Raises:
        ValueError: factor >= 1; unknown mode or threshold_mode; a min_lr list whose length is
            not the number of param groups.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: Literal["min", "max"] = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: Literal["rel", "abs"] = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        """Check and store the hyperparameters, then set up the state step() needs.

        The hyperparameters are stored as attributes of the same names, with min_lr as
        self.min_lrs, one floor per param group. Then set self.last_epoch = 0, self._last_lr
        to the groups' current lrs, and whatever counters step() needs (best, num_bad_epochs,
        cooldown_counter in the class docstring).
        """
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode!r} is unknown: use 'min' or 'max'")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_mode!r} is unknown: use 'rel' or 'abs'")
        n_groups = len(optimizer.param_groups)
        if isinstance(min_lr, list | tuple):
            if len(min_lr) != n_groups:
                raise ValueError(f"expected {n_groups} min_lrs, got {len(min_lr)}")
            self.min_lrs = [float(m) for m in min_lr]
        else:
            self.min_lrs = [float(min_lr)] * n_groups
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = [float(group["lr"]) for group in optimizer.param_groups]
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def _is_better(self, a: float) -> bool:
        t = self.threshold
        if self.mode == "min":
            return a < (self.best * (1 - t) if self.threshold_mode == "rel" else self.best - t)
        return a > (self.best * (1 + t) if self.threshold_mode == "rel" else self.best + t)

    def step(self, metrics: SupportsFloat) -> None:  # type: ignore[override]
        """Record one epoch's metric and cut the lrs if it has plateaued (see the class docstring).

        Args:
            metrics: the epoch's metric, a float or a 0-dim tensor.
        """
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1

        if self.cooldown_counter > 0:  # bad epochs right after a cut do not count
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0

        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                old = float(group["lr"])
                new = max(old * self.factor, floor)
                if old - new > self.eps:  # ignore cuts too small to matter
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

        self._last_lr = [float(group["lr"]) for group in self.optimizer.param_groups]
