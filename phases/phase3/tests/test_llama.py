"""Public smoke tests for phase3.llama (the grader also runs hidden tests).

Oracles: closed forms written out in the test (RMSNorm, SwiGLU, RoPE as a complex rotation of
the pairs (i, i + d/2)) and the causality invariant of the language model.
"""

import torch

from phase3.llama import LlamaConfig, LlamaForCausalLM, RMSNorm, SwiGLU, apply_rope
from shared import assert_close, forbidden

F64 = torch.float64
NO_BUILTIN_NORM = ("torch.nn.functional.rms_norm", "torch.rms_norm", "aten._fused_rms_norm")


def _randn(*shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


def test_rmsnorm_matches_closed_form():
    norm = RMSNorm(6, eps=0.3).double()
    with torch.no_grad():
        norm.weight.copy_(_randn(6, seed=1))
    x = 0.5 + 0.4 * _randn(2, 3, 6, seed=2)  # a non-zero mean, and a scale where eps matters
    with forbidden(*NO_BUILTIN_NORM, by="phase3.llama.RMSNorm"):
        got = norm(x)
    expected = norm.weight.detach() * x / torch.sqrt((x**2).mean(-1, keepdim=True) + 0.3)
    assert_close(got, expected, what="RMSNorm(6, eps=0.3) on x of shape (2, 3, 6)",
                 oracle="weight * x / sqrt(mean(x**2) + eps), float64",
                 hint="no mean subtraction; eps goes inside the square root; scale by weight")


def test_swiglu_matches_closed_form():
    mlp = SwiGLU(5, 7).double()
    x = _randn(2, 3, 5, seed=3)
    got = mlp(x)
    gate, up = x @ mlp.gate_proj.weight.T, x @ mlp.up_proj.weight.T
    expected = (gate * torch.sigmoid(gate) * up) @ mlp.down_proj.weight.T
    assert_close(got, expected.detach(), what="SwiGLU(5, 7) on x of shape (2, 3, 5)",
                 oracle="down(silu(gate(x)) * up(x)) written out, float64",
                 hint="silu goes on gate_proj's output only, then multiply by up_proj's")


def test_rope_rotates_pairs_i_and_i_plus_half():
    """RoPE rotates feature i together with the feature half the width further on."""
    B, nh, T, d, theta = 2, 3, 4, 8, 100.0
    x = _randn(B, nh, T, d, seed=4)
    positions = torch.tensor([[3, 7, 8, 20], [0, 2, 5, 6]])
    got = apply_rope(x, positions, theta)
    # Pair (i, i + d/2) is the complex number x_i + j x_{i+d/2}, turned by pos * theta^(-2i/d).
    z = torch.complex(x[..., : d // 2], x[..., d // 2:])
    angle = positions[:, None, :, None].to(F64) * theta ** (-torch.arange(0, d, 2, dtype=F64) / d)
    z = z * torch.polar(torch.ones_like(angle), angle)
    expected = torch.cat((z.real, z.imag), dim=-1)
    assert_close(got, expected, rtol=1e-5, atol=1e-5,  # angles may be computed in float32
                 what="apply_rope on x (2, 3, 4, 8), positions (2, 4), theta=100",
                 oracle="a complex rotation of each pair (x_i, x_{i+d/2}), float64",
                 hint="rotate_half pairs dimension i with i + d/2 (not 2i with 2i+1); the angle "
                      "is pos * theta ** (-2i / d), with each row's own positions")


def test_language_model_is_causal():
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig()).double()
    ids = torch.randint(0, 64, (2, 9), generator=torch.Generator().manual_seed(5))
    changed = ids.clone()
    changed[:, 6] = (changed[:, 6] + 1) % 64
    with torch.no_grad():
        a, b = model(ids), model(changed)
    assert a.shape == (2, 9, 64), f"logits: expected shape (2, 9, 64), got {tuple(a.shape)}"
    assert_close(b[:, :6], a[:, :6], what="logits of tokens 0..5 after changing token 6",
                 oracle="the same model on the unchanged input (causality)",
                 hint="token t may attend to tokens 0..t only: use a causal mask")
    assert not torch.allclose(b[:, 6:], a[:, 6:]), (
        "changing token 6 left the logits of tokens 6..8 unchanged: the output must depend on "
        "the input tokens")
