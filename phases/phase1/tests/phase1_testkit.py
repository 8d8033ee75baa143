"""Helpers and oracles shared by phase 1's public tests and the grader's hidden ones.

Under pytest's importlib import mode a hidden test file cannot import its public twin, so what
both need lives here, once; `tests/conftest.py` puts this folder on sys.path. The name carries
the phase number so that phases never collide on sys.path. Only helpers and oracles: no
expected values of any test.
"""

from contextlib import contextmanager

import pytest
import torch

from shared import ForbiddenCallError

# --- linear: torch.nn.init's functions, which the learner reimplements -----------------------

NN_INIT = ("xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
           "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
           "calculate_gain", "_calculate_fan_in_and_fan_out", "_calculate_correct_fan")


@contextmanager
def no_nn_init(by):
    """Make torch.nn.init's fan, gain, xavier and kaiming functions raise inside the block."""
    saved = {name: getattr(torch.nn.init, name) for name in NN_INIT}

    def refuse(name):
        def call(*args, **kwargs):
            raise ForbiddenCallError(f"{by} must not call torch.nn.init.{name}: this exercise "
                                     "is to implement it yourself.")
        return call

    try:
        for name in NN_INIT:
            setattr(torch.nn.init, name, refuse(name))
        yield
    finally:
        for name, fn in saved.items():
            setattr(torch.nn.init, name, fn)


# --- losses: did the result come out of the learner's autograd.Function? --------------------

def comes_from(out, fn_cls):
    """Whether out's autograd graph contains a node of the autograd.Function fn_cls."""
    seen, stack = set(), [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if getattr(node, "_forward_cls", None) is fn_cls:
            return True
        stack.extend(n for n, _ in node.next_functions)
    return False


# --- clipping: the oracle clips copies of the learner's parameters --------------------------

def copy_params(params):
    """New Parameters with the same values and (cloned) gradients; None stays None."""
    out = []
    for p in params:
        q = torch.nn.Parameter(p.detach().clone())
        q.grad = None if p.grad is None else p.grad.clone()
        out.append(q)
    return out


# --- normalization: the learner's module against torch's, with the same weights -------------

def twins(mine, ref, seed=0, dtype=torch.float64):
    """Both modules in `dtype`, with the same random parameters (copied from torch's)."""
    mine, ref = mine.to(dtype), ref.to(dtype)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype))
    try:
        mine.load_state_dict(ref.state_dict())
    except RuntimeError as err:
        raise AssertionError(
            f"torch.nn.{type(ref).__name__}'s state dict does not load into your "
            f"{type(mine).__name__}: parameters and buffers must have torch's names and "
            f"shapes.\n{err}") from err
    return mine, ref


def forward_backward(module, x, upstream):
    """Forward and backward; returns output, input gradient and parameter gradients."""
    module.zero_grad(set_to_none=True)
    x = x.detach().clone().requires_grad_(True)
    out = module(x)
    assert isinstance(out, torch.Tensor) and out.requires_grad, (
        f"{type(module).__name__}'s output must be a tensor that requires grad, so that "
        "gradients reach the input and the parameters; got "
        f"{type(out).__name__} with requires_grad={getattr(out, 'requires_grad', None)}. "
        "Hint: return your Function's output without detaching it.")
    out.backward(upstream)
    return out.detach(), x.grad, {n: p.grad for n, p in module.named_parameters()}


# --- optimizers: tiny tensors run faster on one thread --------------------------------------

@pytest.fixture(autouse=True)
def one_thread():
    """These tensors are tiny: waking a second OpenMP thread for every op makes a step 3-10x
    slower (OMP_WAIT_POLICY=PASSIVE), so run each test on one thread and restore afterwards.
    Autouse: a test file that imports it runs every one of its tests on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
