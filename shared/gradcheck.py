"""Gradient checks in float64 that explain themselves.

- `assert_gradcheck(fn, inputs)`: torch.autograd.gradcheck (finite differences in float64)
  with a message naming the input whose gradient is wrong and by how much.
- `assert_grads_match(got_fn, ref_fn, inputs)`: backward parity with a reference (usually the
  torch built-in through autograd), for the same upstream gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from shared.compare import assert_close


def _as_float64_leaves(inputs: Sequence[Any]) -> list[Any]:
    import torch

    out = []
    for x in inputs:
        if isinstance(x, torch.Tensor) and x.is_floating_point():
            x = x.detach().to(torch.float64).requires_grad_(True)
        out.append(x)
    return out


def _outputs(result: Any) -> list[Any]:
    import torch

    if isinstance(result, torch.Tensor):
        return [result]
    # Differentiable outputs by dtype, not by requires_grad: under no_grad (finite differences)
    # no output requires grad.
    return [r for r in result
            if isinstance(r, torch.Tensor) and (r.is_floating_point() or r.is_complex())]


def _central_difference_vjp(f: Callable[[Any], Any], x: Any, v: Any, eps: float) -> Any:
    """v . df/dx_j for every element j of x, by central differences."""
    import torch

    # Contiguous copies, so that reshape gives views: writes through them must land.
    flat = x.detach().contiguous().clone().view(-1)
    gflat = torch.zeros(flat.numel(), dtype=x.dtype)
    grad = gflat.view(x.shape)
    with torch.no_grad():
        for j in range(flat.numel()):
            orig = flat[j].item()
            flat[j] = orig + eps
            plus = f(flat.reshape(x.shape))
            flat[j] = orig - eps
            minus = f(flat.reshape(x.shape))
            flat[j] = orig
            gflat[j] = (v * (plus - minus)).sum() / (2 * eps)
    return grad


def assert_gradcheck(fn: Callable[..., Any], inputs: Sequence[Any], *, what: str = "the backward",
                     eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> None:
    """Check fn's analytic gradients against central differences, in float64.

    Floating inputs are converted to float64 leaves that require grad; other inputs (ints,
    index tensors, flags) pass through. On failure, the message names the first input whose
    gradient disagrees, with the largest error and where.
    """
    import torch

    leaves = _as_float64_leaves(inputs)
    diff_idx = [i for i, x in enumerate(leaves) if isinstance(x, torch.Tensor) and x.requires_grad]
    if torch.autograd.gradcheck(fn, tuple(leaves), eps=eps, atol=atol, rtol=rtol,
                                raise_exception=False):
        return
    # Find which input is wrong, comparing J^T v for a fixed random v with finite differences.
    gen = torch.Generator().manual_seed(0)
    for i in diff_idx:
        def f_i(x: Any, _i: int = i) -> Any:
            args = list(leaves)
            args[_i] = x
            return torch.cat([o.reshape(-1) for o in _outputs(fn(*args))])

        x = leaves[i].detach().clone().requires_grad_(True)
        out = f_i(x)
        v = torch.randn(out.shape, dtype=out.dtype, generator=gen)
        (analytic,) = torch.autograd.grad(out, x, v, allow_unused=True)
        if analytic is None:
            analytic = torch.zeros_like(x)
        numeric = _central_difference_vjp(lambda t: f_i(t).detach(), x.detach(), v, eps)
        assert_close(analytic, numeric, atol=atol, rtol=rtol,
                     what=f"{what}: gradient with respect to input {i} (shape {tuple(x.shape)})",
                     oracle="central finite differences in float64 (torch.autograd.gradcheck)")
    raise AssertionError(f"{what}: torch.autograd.gradcheck failed (float64).")


def assert_grads_match(got_fn: Callable[..., Any], ref_fn: Callable[..., Any],
                       inputs: Sequence[Any], *, what: str = "the backward",
                       oracle: str = "autograd through the torch built-in",
                       rtol: float | None = None, atol: float | None = None,
                       seed: int = 0) -> None:
    """Compare the gradients of got_fn and ref_fn for the same inputs and upstream gradient.

    Both functions receive fresh leaf copies of `inputs` (floating tensors require grad). The
    outputs are compared first, then the gradient with respect to each floating input.
    """
    import torch

    def leaves() -> list[Any]:
        return [x.detach().clone().requires_grad_(True)
                if isinstance(x, torch.Tensor) and x.is_floating_point() else x for x in inputs]

    got_in, ref_in = leaves(), leaves()
    got_out, ref_out = got_fn(*got_in), ref_fn(*ref_in)
    assert_close(got_out, ref_out, rtol=rtol, atol=atol, what=f"{what}: the forward output",
                 oracle=oracle)
    if not (isinstance(got_out, torch.Tensor) and got_out.requires_grad):
        raise AssertionError(f"{what}: the output does not require grad, so no gradient can "
                             "flow back. Was it detached, computed under torch.no_grad(), or "
                             "built with .item()/.numpy()?")
    gen = torch.Generator().manual_seed(seed)
    upstream = torch.randn(ref_out.shape, dtype=ref_out.dtype, generator=gen)
    got_out.backward(upstream.to(got_out.dtype))
    ref_out.backward(upstream)
    for i, (g, r) in enumerate(zip(got_in, ref_in, strict=True)):
        if not (isinstance(r, torch.Tensor) and r.requires_grad):
            continue
        if r.grad is not None and g.grad is None:
            raise AssertionError(f"{what}: no gradient reached input {i}; expected one "
                                 f"({oracle}). Does backward return a gradient for it?")
        if r.grad is not None:
            assert_close(g.grad, r.grad, rtol=rtol, atol=atol,
                         what=f"{what}: gradient with respect to input {i}", oracle=oracle)
