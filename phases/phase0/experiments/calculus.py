"""Central differences: the error against the step size, and what a gradient check sees."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from phase0.calculus import d_sin_x_squared, gradient_check, numerical_gradient


def f_sin_sq(x: np.ndarray) -> float:
    """The module's worked example, summed to a scalar: sum(sin(x**2))."""
    return float(np.sum(np.sin(x**2)))


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    captions = {}

    # 1. The derivative by hand against the derivative by nudging, on a coarse grid.
    xs = np.linspace(-3, 3, 400)
    grid = np.linspace(-3, 3, 25)
    numeric = numerical_gradient(f_sin_sq, grid)  # one call: sum(...) separates per entry
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(xs, np.sin(xs**2), color="0.6", label=r"$f(x) = \sin(x^2)$")
    ax.plot(xs, d_sin_x_squared(xs), color="C0", label=r"$f'(x) = 2x\cos(x^2)$ (d_sin_x_squared)")
    ax.plot(grid, numeric, "o", color="C3", ms=5, label="central difference (numerical_gradient)")
    ax.set_xlabel("x")
    ax.set_ylabel("value")
    ax.set_title("The chain rule, checked by nudging the input")
    ax.legend(fontsize=8, loc="lower center")
    fig.tight_layout()
    fig.savefig(out / "derivative_of_sin_x_squared.png", dpi=100)
    plt.close(fig)
    captions["derivative_of_sin_x_squared.png"] = (
        "The exact derivative of sin(x^2) (blue) and central differences at 25 points (red "
        "dots): the dots sit on the curve, even where it oscillates fastest, far from zero.")

    # 2. Error against eps at x = 1: truncation (right) against round-off (left).
    x0 = np.array([1.0])
    exact = float(d_sin_x_squared(1.0))
    eps_values = np.logspace(-13, -0.5, 60)
    central = [abs(float(numerical_gradient(f_sin_sq, x0, eps=e)[0]) - exact) for e in eps_values]
    # The forward difference, for comparison (not part of the module: one line here).
    forward = [abs((f_sin_sq(x0 + e) - f_sin_sq(x0)) / e - exact) for e in eps_values]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.loglog(eps_values, np.maximum(forward, 1e-17), "s-", ms=3, color="C1",
              label="forward difference (f(x+eps) - f(x)) / eps")
    ax.loglog(eps_values, np.maximum(central, 1e-17), "o-", ms=3, color="C0",
              label="central difference (your numerical_gradient)")
    ax.loglog(eps_values, 1e-16 / eps_values, "k:", lw=1, label="round-off ~ 1e-16 / eps")
    ax.loglog(eps_values, 2.0 * eps_values**2, "--", color="C0", lw=1, alpha=0.6,
              label="slope 2 (eps squared)")
    ax.loglog(eps_values, 2.0 * eps_values, "--", color="C1", lw=1, alpha=0.6,
              label="slope 1 (eps)")
    ax.axvline(1e-5, color="0.5", lw=1)
    ax.text(1.3e-5, 1e-14, "default eps = 1e-5", fontsize=8, color="0.3")
    ax.set_ylim(1e-15, 10)
    ax.set_xlabel("step eps")
    ax.set_ylabel("|estimate - exact derivative|")
    ax.set_title(r"Error of the derivative of $\sin(x^2)$ at $x = 1$")
    ax.legend(fontsize=7, loc="upper center")
    fig.tight_layout()
    fig.savefig(out / "error_vs_eps.png", dpi=100)
    plt.close(fig)
    captions["error_vs_eps.png"] = (
        "To the right the error is truncation and falls like eps^2 for the central difference, "
        "only like eps for the forward one; to the left rounding takes over and grows like "
        "1e-16/eps. The central difference is best between eps = 1e-6 and 1e-5, near 1e-11; "
        "the forward one never gets below about 1e-8.")

    # 3. What gradient_check reports for a right gradient and for the bugs learners write.
    x = np.random.default_rng(0).uniform(0.3, 1.5, size=6)

    def one_entry_off(v: np.ndarray) -> np.ndarray:
        g = d_sin_x_squared(v).copy()
        g[3] += 1e-3  # a small slip in one position
        return g

    candidates = {
        "correct\n2x cos(x^2)": d_sin_x_squared,
        "one entry\noff by 1e-3": one_entry_off,
        "missing\nfactor 2": lambda v: v * np.cos(v**2),
        "cos(x)\nnot cos(x^2)": lambda v: 2 * v * np.cos(v),
        "sign\nflipped": lambda v: -d_sin_x_squared(v),
    }
    errors = [gradient_check(f_sin_sq, g, x) for g in candidates.values()]
    fig, ax = plt.subplots(figsize=(7, 4))
    colors = ["C2" if e < 1e-7 else "C3" for e in errors]
    ax.bar(list(candidates), np.maximum(errors, 1e-16), color=colors)
    ax.set_yscale("log")
    ax.axhspan(1e-16, 1e-7, color="C2", alpha=0.08)
    ax.axhspan(1e-4, 10, color="C3", alpha=0.08)
    ax.axhline(1e-7, color="C2", ls="--", lw=1, label="below 1e-7: right")
    ax.axhline(1e-4, color="C3", ls="--", lw=1, label="above 1e-4: wrong")
    for i, e in enumerate(errors):
        ax.text(i, max(e, 1e-16) * 2, f"{e:.1e}", ha="center", fontsize=8)
    ax.set_ylim(1e-13, 10)
    ax.set_ylabel("gradient_check relative error")
    ax.set_xlabel("analytic gradient handed to gradient_check")
    ax.set_title(r"Gradient check of $\sum \sin(x^2)$ on 6 random points")
    ax.legend(fontsize=8, loc="center left")
    ax.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    fig.savefig(out / "gradient_check_verdicts.png", dpi=100)
    plt.close(fig)
    captions["gradient_check_verdicts.png"] = (
        "The relative error that gradient_check reports: about 1e-10 for the right gradient, "
        "and orders of magnitude above the 1e-4 alarm line for each typical bug, even a slip "
        "of 1e-3 in a single entry.")
    return captions
