"""Seeding: every random thing a test does starts from a stated seed."""

from __future__ import annotations

import random
import sys

import numpy as np


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python's `random`, NumPy's global generator and (if imported) torch.

    Returns a fresh `numpy.random.Generator` seeded with `seed`, the preferred way for a test
    to draw its own data.
    """
    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:  # do not pay for importing torch in NumPy-only phases
        sys.modules["torch"].manual_seed(seed)
    return np.random.default_rng(seed)


def rng(seed: int) -> np.random.Generator:
    """A NumPy generator for test data, independent of any global state."""
    return np.random.default_rng(seed)
