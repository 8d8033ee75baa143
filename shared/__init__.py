"""Test helpers that every phase's grading suite uses.

- `assert_close`, `assert_equal`: comparisons whose failures explain themselves.
- `forbidden`: make the built-ins an exercise reimplements raise while learner code runs.
- `seed_everything`, `rng`: seeding.
- `assert_gradcheck`, `assert_grads_match`: float64 gradient checks.
- `shared.data`: MNIST-family and Tiny Shakespeare loaders (local folder first).

Nothing here imports torch at import time.
"""

from shared.compare import assert_close, assert_equal, describe, expect_value_error, to_numpy
from shared.data import DataNotFoundError
from shared.forbid import ForbiddenCallError, forbidden
from shared.gradcheck import assert_gradcheck, assert_grads_match
from shared.seeding import rng, seed_everything

__all__ = [
    "DataNotFoundError",
    "ForbiddenCallError",
    "assert_close",
    "assert_equal",
    "assert_gradcheck",
    "assert_grads_match",
    "describe",
    "expect_value_error",
    "forbidden",
    "rng",
    "seed_everything",
    "to_numpy",
]
