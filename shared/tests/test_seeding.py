"""seed_everything / rng: same seed, same draws; and no torch import for NumPy-only phases."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from shared.seeding import rng, seed_everything

REPO = Path(__file__).resolve().parents[2]


def draws() -> tuple[float, list[float], list[float]]:
    return random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist()


def test_same_seed_same_draws_everywhere() -> None:
    seed_everything(123)
    first = draws()
    seed_everything(123)
    assert draws() == first
    seed_everything(124)
    assert draws() != first


def test_returned_generator_is_default_rng_of_the_seed() -> None:
    gen = seed_everything(7)
    np.testing.assert_array_equal(gen.standard_normal(5),
                                  np.random.default_rng(7).standard_normal(5))


def test_rng_ignores_global_state() -> None:
    np.random.seed(0)
    a = rng(5).integers(0, 1000, 10)
    np.random.seed(1)
    random.seed(1)
    torch.manual_seed(1)
    b = rng(5).integers(0, 1000, 10)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(rng(6).integers(0, 1000, 10), a)


def test_seeding_does_not_import_torch() -> None:
    code = ("import sys, shared; shared.seed_everything(0); "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
