"""Hidden tests for phase3.llama.

Oracles: closed forms written out here (RMSNorm, SwiGLU, RoPE as a complex rotation of the pairs
(i, i + d/2), the parameter count); torch.repeat_interleave; torch.nn.MultiheadAttention with
the key/value weights expanded by group (GQA with shared heads is MHA with repeated heads);
torch.nn.functional.scaled_dot_product_attention on queries and keys rotated here; the RoPE
relative-position property; causality; and, when `transformers` is installed, parity with a tiny
randomly initialised transformers.LlamaForCausalLM after loading the same state dict, with
non-contiguous position_ids. Built-in RMSNorm functions are forbidden in learner calls.
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from phase3.llama import (
    LlamaAttention,
    LlamaConfig,
    LlamaDecoderLayer,
    LlamaForCausalLM,
    LlamaModel,
    RMSNorm,
    SwiGLU,
    apply_rope,
    llama_num_parameters,
    repeat_kv,
    rotate_half,
)
from shared import assert_close, assert_equal, forbidden

F64 = torch.float64
TOL = {"rtol": 1e-9, "atol": 1e-10}
# Wherever RoPE is involved: the docstring allows computing the angles in float32 (as
# transformers does), which costs about 1e-6 here; every bug tested for costs more than 1e-2.
ROPE_TOL = {"rtol": 1e-5, "atol": 1e-5}
NO_BUILTIN_NORM = ("torch.nn.functional.rms_norm", "torch.rms_norm", "torch.nn.RMSNorm",
                   "aten._fused_rms_norm", "aten.rms_norm")
ROPE_HINT = ("rotate_half pairs dimension i with i + d/2 (not 2i with 2i+1); the angle is "
             "pos * theta ** (-2i / d) with each row's own positions")
GROUP_HINT = ("query head h must use kv head h // (nh // nkv): the copies of one kv head are "
              "consecutive (repeat_interleave), not tiled (repeat)")


def _randn(*shape, seed, scale=1.0):
    return scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


def _cfg(**kw):
    base = {"vocab_size": 37, "hidden_size": 24, "intermediate_size": 40,
            "num_hidden_layers": 2, "num_attention_heads": 6, "num_key_value_heads": 2,
            "rms_norm_eps": 1e-5, "rope_theta": 500.0}
    base.update(kw)
    return LlamaConfig(**base)


def _randomise(module, seed):
    """Fill every parameter with N(0, 0.3^2) (norm weights around 1), in float64."""
    module.double()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            noise = 0.3 * torch.randn(p.shape, generator=gen, dtype=F64)
            p.copy_(1.0 + noise if name.endswith("norm.weight") else noise)
    return module


# ---------------------------------------------------------------- closed-form oracles
def _ref_rmsnorm(x, w, eps):
    return w * x / torch.sqrt((x**2).mean(-1, keepdim=True) + eps)


def _ref_rope(x, positions, theta):
    """x (B, h, T, d); positions (B, T) or (T,). Complex rotation of the pairs (i, i + d/2)."""
    d = x.shape[-1]
    pos = positions.to(F64)
    pos = pos[:, None, :, None] if pos.dim() == 2 else pos[:, None]
    angle = pos * theta ** (-torch.arange(0, d, 2, dtype=F64) / d)
    z = torch.complex(x[..., : d // 2], x[..., d // 2:]) * torch.polar(
        torch.ones_like(angle), angle)
    return torch.cat((z.real, z.imag), dim=-1)


def _ref_attention(attn, x, positions, cfg):
    """LLaMA attention from the module's weights: rotate here, expand kv by group, torch SDPA."""
    B, T, C = x.shape
    nh, nkv = cfg.num_attention_heads, cfg.num_key_value_heads
    d = C // nh
    q = (x @ attn.q_proj.weight.T).view(B, T, nh, d).transpose(1, 2)
    k = (x @ attn.k_proj.weight.T).view(B, T, nkv, d).transpose(1, 2)
    v = (x @ attn.v_proj.weight.T).view(B, T, nkv, d).transpose(1, 2)
    q, k = _ref_rope(q, positions, cfg.rope_theta), _ref_rope(k, positions, cfg.rope_theta)
    k = k.repeat_interleave(nh // nkv, dim=1)
    v = v.repeat_interleave(nh // nkv, dim=1)
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    return y.transpose(1, 2).reshape(B, T, nh * d) @ attn.o_proj.weight.T


def _ref_layer(layer, x, positions, cfg):
    eps = cfg.rms_norm_eps
    h = x + _ref_attention(layer.self_attn, _ref_rmsnorm(x, layer.input_layernorm.weight, eps),
                           positions, cfg)
    m = _ref_rmsnorm(h, layer.post_attention_layernorm.weight, eps)
    gate, up = m @ layer.mlp.gate_proj.weight.T, m @ layer.mlp.up_proj.weight.T
    return h + (F.silu(gate) * up) @ layer.mlp.down_proj.weight.T


def _ref_lm(model, ids, positions, cfg):
    x = model.model.embed_tokens.weight[ids]
    for layer in model.model.layers:
        x = _ref_layer(layer, x, positions, cfg)
    return _ref_rmsnorm(x, model.model.norm.weight, cfg.rms_norm_eps) @ model.lm_head.weight.T


def _call(fn, *args):
    with forbidden(*NO_BUILTIN_NORM, by="phase3.llama"), torch.no_grad():
        return fn(*args)


# ---------------------------------------------------------------- RMSNorm and SwiGLU
@pytest.mark.parametrize("eps", [1e-6, 0.5])
def test_rmsnorm_has_no_mean_and_eps_inside_the_root(eps):
    """RMSNorm subtracts no mean and puts eps inside the square root."""
    norm = RMSNorm(7, eps=eps).double()
    with torch.no_grad():
        norm.weight.copy_(_randn(7, seed=1))
    x = 0.8 + _randn(3, 2, 7, seed=2, scale=0.3)  # mean far from 0; eps=0.5 is comparable
    got = _call(norm, x)
    assert_close(got, _ref_rmsnorm(x, norm.weight.detach(), eps), **TOL,
                 what=f"RMSNorm(7, eps={eps}) on x of shape (3, 2, 7) with mean 0.8",
                 oracle="weight * x / sqrt(mean(x**2) + eps), float64",
                 hint="RMSNorm subtracts nothing (no mean, no bias); eps is added to the mean "
                      "square inside the square root, not to the root")


def test_rmsnorm_keeps_float32():
    norm = RMSNorm(4)
    x = torch.randn(2, 4, generator=torch.Generator().manual_seed(3))
    got = _call(norm, x)
    assert got.dtype == torch.float32, f"RMSNorm on float32 input returned {got.dtype}"
    assert_close(got, _ref_rmsnorm(x.double(), 1.0, 1e-6), what="RMSNorm(4) on float32 x",
                 oracle="the closed form in float64", hint="default eps is 1e-6")


def test_swiglu_gates_with_silu_of_gate_proj():
    """SwiGLU gates with SiLU of the gate projection."""
    mlp = _randomise(SwiGLU(6, 10), seed=4)
    x = _randn(2, 5, 6, seed=5)
    got = _call(mlp, x)
    gate, up = x @ mlp.gate_proj.weight.T, x @ mlp.up_proj.weight.T
    expected = (gate * torch.sigmoid(gate) * up) @ mlp.down_proj.weight.T
    assert_close(got, expected.detach(), **TOL, what="SwiGLU(6, 10) on x of shape (2, 5, 6)",
                 oracle="down(silu(gate(x)) * up(x)) written out, float64",
                 hint="silu(z) = z * sigmoid(z) goes on gate_proj's output only, times "
                      "up_proj's output, then down_proj")


# ---------------------------------------------------------------- RoPE
def test_rotate_half_closed_form():
    """Rotate half matches its closed form."""
    x = torch.arange(1.0, 9.0, dtype=F64).view(1, 8)
    assert_equal(rotate_half(x), torch.tensor([[-5.0, -6, -7, -8, 1, 2, 3, 4]], dtype=F64),
                 what="rotate_half([1, ..., 8])", oracle="[-x2, x1] with x = [x1, x2]",
                 hint="split the last axis into halves x1, x2 and return cat(-x2, x1)")


@pytest.mark.parametrize("batched_positions", [True, False])
def test_apply_rope_rotates_each_half_pair(batched_positions):
    """Apply RoPE rotates each pair of features half the width apart."""
    x = _randn(3, 2, 5, 12, seed=6)
    if batched_positions:
        positions = torch.tensor([[4, 9, 10, 31, 32], [0, 1, 2, 3, 4], [7, 3, 11, 0, 2]])
    else:
        positions = torch.tensor([2, 5, 6, 13, 40])
    got = apply_rope(x, positions, 300.0)
    assert_close(got, _ref_rope(x, positions, 300.0), **ROPE_TOL,
                 what=f"apply_rope on x (3, 2, 5, 12), positions {tuple(positions.shape)} "
                      "(non-contiguous), theta=300",
                 oracle="a complex rotation of each pair (x_i, x_{i+d/2}), float64",
                 hint=ROPE_HINT + "; a (T,) positions tensor applies to every batch row")


def test_rope_default_theta_is_10000():
    x = _randn(1, 1, 3, 4, seed=7)
    positions = torch.tensor([1, 50, 300])
    assert_close(apply_rope(x, positions), _ref_rope(x, positions, 10000.0), **ROPE_TOL,
                 what="apply_rope(x, positions) with the default theta",
                 oracle="the complex rotation with theta = 10000", hint="theta defaults to 1e4")


def test_rope_scores_depend_only_on_relative_position():
    q, k = _randn(1, 1, 1, 16, seed=8), _randn(1, 1, 1, 16, seed=9)

    def score(m, n):
        return (apply_rope(q, torch.tensor([m])) * apply_rope(k, torch.tensor([n]))).sum()

    base = score(3, 10)
    for shift in (1, 17, 60):
        assert_close(score(3 + shift, 10 + shift), base, rtol=1e-4, atol=1e-4,
                     what=f"<rope(q, 3 + {shift}), rope(k, 10 + {shift})>",
                     oracle="<rope(q, 3), rope(k, 10)> (RoPE's relative-position property)",
                     hint="rotate q and k by the same rule, with cos and sin of the same angle "
                          "for dimensions i and i + d/2")
    assert not torch.isclose(score(3, 11), base), (
        "the score did not change when the key moved from position 10 to 11: positions must "
        "rotate the vectors")


def test_repeat_kv_groups_consecutive_heads():
    x = _randn(2, 3, 4, 5, seed=10)
    for n_rep in (1, 2, 3):
        assert_equal(repeat_kv(x, n_rep), x.repeat_interleave(n_rep, dim=1),
                     what=f"repeat_kv(x of shape (2, 3, 4, 5), n_rep={n_rep})",
                     oracle="torch.repeat_interleave(x, n_rep, dim=1)", hint=GROUP_HINT)


# ---------------------------------------------------------------- attention
def _mha_twin(attn, cfg):
    """nn.MultiheadAttention (no bias) whose k/v weights repeat each kv head's rows per group."""
    C, nh, nkv = cfg.hidden_size, cfg.num_attention_heads, cfg.num_key_value_heads
    d = C // nh
    mha = nn.MultiheadAttention(C, nh, bias=False, batch_first=True).double()

    def expand(w):  # (nkv * d, C) -> (nh * d, C), kv head h // (nh // nkv) for query head h
        return w.view(nkv, d, C).repeat_interleave(nh // nkv, dim=0).reshape(nh * d, C)

    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat((attn.q_proj.weight, expand(attn.k_proj.weight),
                                            expand(attn.v_proj.weight))))
        mha.out_proj.weight.copy_(attn.o_proj.weight)
    return mha


@pytest.mark.parametrize("nkv", [6, 3, 2, 1])
def test_gqa_at_one_position_equals_multihead_attention(nkv):
    # With every token at the same position, RoPE turns q and k by the same angle, which leaves
    # q.k unchanged: LLaMA attention is then nn.MultiheadAttention with repeated kv heads.
    cfg = _cfg(num_key_value_heads=nkv)
    attn = _randomise(LlamaAttention(cfg), seed=11)
    x = _randn(2, 7, 24, seed=12)
    got = _call(attn, x, torch.full((2, 7), 9))
    mha = _mha_twin(attn, cfg)
    causal = torch.triu(torch.ones(7, 7, dtype=torch.bool), diagonal=1)
    with torch.no_grad():
        expected, _ = mha(x, x, x, attn_mask=causal, need_weights=False)
    assert_close(got, expected, **ROPE_TOL,
                 what=f"LlamaAttention (nh=6, nkv={nkv}) with every position = 9, x (2, 7, 24)",
                 oracle="torch.nn.MultiheadAttention with k/v weights repeated per group, causal",
                 hint=GROUP_HINT + "; scale scores by 1/sqrt(head_dim); causal mask; no biases")


def test_attention_uses_each_rows_positions():
    """Attention uses each batch row's own position ids."""
    cfg = _cfg()
    attn = _randomise(LlamaAttention(cfg), seed=13)
    x = _randn(2, 6, 24, seed=14)
    positions = torch.tensor([[5, 6, 9, 10, 20, 21], [0, 3, 4, 8, 9, 15]])
    got = _call(attn, x, positions)
    assert_close(got, _ref_attention(attn, x, positions, cfg).detach(), **ROPE_TOL,
                 what="LlamaAttention (nh=6, nkv=2, theta=500) on x (2, 6, 24), positions "
                      "(2, 6) different per row",
                 oracle="q, k rotated in the test, kv repeated per group, torch SDPA (causal)",
                 hint=ROPE_HINT + "; use config.rope_theta; " + GROUP_HINT)


# ---------------------------------------------------------------- layer and model
def test_decoder_layer_is_pre_norm_with_residuals():
    cfg = _cfg()
    layer = _randomise(LlamaDecoderLayer(cfg), seed=15)
    x = _randn(2, 5, 24, seed=16)
    positions = torch.tensor([3, 4, 8, 9, 12])
    got = _call(layer, x, positions)
    assert_close(got, _ref_layer(layer, x, positions, cfg).detach(), **ROPE_TOL,
                 what="LlamaDecoderLayer on x (2, 5, 24), positions (5,)",
                 oracle="h = x + attn(norm1(x)); h + mlp(norm2(h)), written out in float64",
                 hint="normalise before each sub-block, add the residual after it, and use "
                      "config.rms_norm_eps in both norms")


def test_model_and_lm_match_the_composition():
    """The model and the language model match their composition from parts."""
    cfg = _cfg(num_hidden_layers=3, rms_norm_eps=0.05)
    lm = _randomise(LlamaForCausalLM(cfg), seed=17)
    ids = torch.randint(0, 37, (2, 6), generator=torch.Generator().manual_seed(18))
    positions = torch.tensor([[2, 3, 7, 8, 9, 30], [1, 2, 3, 11, 12, 13]])
    expected = _ref_lm(lm, ids, positions, cfg).detach()
    assert_close(_call(lm, ids, positions), expected, **ROPE_TOL,
                 what="LlamaForCausalLM (3 layers, eps=0.05) logits, ids (2, 6), positions (2, 6)",
                 oracle="embedding, the layers, the final RMSNorm and lm_head written out",
                 hint="the final norm comes after the last layer and before lm_head; pass the "
                      "positions to every layer; use config.rms_norm_eps")
    hidden = _call(lm.model, ids, positions)
    assert_close(hidden @ lm.lm_head.weight.T.detach(), expected, **ROPE_TOL,
                 what="LlamaModel's hidden states times lm_head",
                 oracle="the written-out logits", hint="LlamaModel ends with model.norm")
    assert isinstance(lm.model, LlamaModel)


def test_default_position_ids_are_arange():
    """Default position ids count up from zero."""
    cfg = _cfg()
    lm = _randomise(LlamaForCausalLM(cfg), seed=19)
    ids = torch.randint(0, 37, (2, 5), generator=torch.Generator().manual_seed(20))
    assert_close(_call(lm, ids), _ref_lm(lm, ids, torch.arange(5), cfg).detach(),
                 **ROPE_TOL, what="LlamaForCausalLM(ids) with position_ids=None",
                 oracle="the written-out model with positions arange(T)",
                 hint="position_ids=None means 0, 1, ..., T-1")


def test_causal_lm_is_causal_with_gqa():
    """The causal language model is causal with GQA."""
    cfg = _cfg(num_key_value_heads=3)
    lm = _randomise(LlamaForCausalLM(cfg), seed=21)
    ids = torch.randint(0, 37, (3, 10), generator=torch.Generator().manual_seed(22))
    positions = torch.tensor([0, 2, 3, 5, 8, 9, 10, 14, 15, 16])
    base = _call(lm, ids, positions)
    for t in (0, 4, 8):
        changed = ids.clone()
        changed[:, t + 1] = (changed[:, t + 1] + 5) % 37
        out = _call(lm, changed, positions)
        assert_close(out[:, : t + 1], base[:, : t + 1], **ROPE_TOL,
                     what=f"logits of tokens 0..{t} after changing token {t + 1}",
                     oracle="the same model on the unchanged input (causality)",
                     hint="token t attends to sequence indices 0..t only (the mask follows the "
                          "sequence order, not the position values)")
        assert not torch.allclose(out[:, t + 1], base[:, t + 1]), (
            f"changing token {t + 1} did not change its own logits")


def _expected_keys(n_layers):
    keys = ["model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"]
    for i in range(n_layers):
        p = f"model.layers.{i}."
        keys += [p + f"self_attn.{n}_proj.weight" for n in "qkvo"]
        keys += [p + f"mlp.{n}_proj.weight" for n in ("gate", "up", "down")]
        keys += [p + "input_layernorm.weight", p + "post_attention_layernorm.weight"]
    return sorted(keys)


def test_parameter_count_formula_and_names():
    """The parameter count matches its formula and the parameters have the right names."""
    for cfg in (_cfg(), _cfg(num_key_value_heads=1, intermediate_size=17, vocab_size=101),
                _cfg(num_hidden_layers=4, num_key_value_heads=6)):
        C, V, L = cfg.hidden_size, cfg.vocab_size, cfg.num_hidden_layers
        d = C // cfg.num_attention_heads
        per_layer = (2 * C * cfg.num_attention_heads * d + 2 * C * cfg.num_key_value_heads * d
                     + 3 * C * cfg.intermediate_size + 2 * C)
        expected = 2 * V * C + L * per_layer + C
        got = llama_num_parameters(cfg)
        assert got == expected, (
            f"llama_num_parameters({cfg}) returned {got}, expected {expected} (embedding V*C, "
            "per layer q,o: C*nh*d each, k,v: C*nkv*d each, SwiGLU 3*C*I, two norms C; final "
            "norm C; untied lm_head C*V; no biases)")
        model = LlamaForCausalLM(cfg)
        assert sum(p.numel() for p in model.parameters()) == expected, (
            "LlamaForCausalLM's parameters do not add up to the formula: are there biases, or "
            "is lm_head tied to the embedding?")
        assert sorted(model.state_dict()) == _expected_keys(L), (
            "the state dict keys must be transformers' LlamaForCausalLM names, with no biases: "
            f"got {sorted(model.state_dict())}")


# ---------------------------------------------------------------- transformers parity
@pytest.mark.parametrize("nkv", [2, 1, 6])
def test_matches_transformers_llama(nkv):
    """The model matches transformers' LLaMA with the same weights."""
    transformers = pytest.importorskip("transformers")
    cfg = _cfg(num_key_value_heads=nkv)
    hf_cfg = transformers.LlamaConfig(
        vocab_size=cfg.vocab_size, hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size, num_hidden_layers=cfg.num_hidden_layers,
        num_attention_heads=cfg.num_attention_heads, num_key_value_heads=nkv,
        rms_norm_eps=cfg.rms_norm_eps, max_position_embeddings=64,
        rope_theta=cfg.rope_theta,  # transformers 5 moves it into rope_parameters itself
        tie_word_embeddings=False, attention_bias=False, mlp_bias=False)
    hf_cfg._attn_implementation = "eager"
    torch.manual_seed(23)
    hf = transformers.LlamaForCausalLM(hf_cfg).eval()
    with torch.no_grad():  # norm weights away from one, so that a misplaced norm shows
        for name, p in hf.named_parameters():
            if name.endswith("norm.weight"):
                p.add_(0.3 * torch.randn(p.shape))
    mine = LlamaForCausalLM(cfg)
    try:
        mine.load_state_dict(hf.state_dict())
    except RuntimeError as err:
        raise AssertionError(
            "transformers.LlamaForCausalLM's state dict does not load into yours: names and "
            f"shapes must match (and no biases).\n{err}") from err
    ids = torch.randint(0, cfg.vocab_size, (2, 8), generator=torch.Generator().manual_seed(24))
    positions = torch.tensor([[0, 1, 4, 5, 6, 11, 12, 20], [3, 4, 5, 9, 10, 11, 30, 31]])
    # An explicit all-ones attention_mask: without one, transformers reads position_ids that
    # do not step by 1 as several packed sequences and masks across them.
    with torch.no_grad():
        expected = hf(input_ids=ids, attention_mask=torch.ones_like(ids),
                      position_ids=positions, use_cache=False).logits
    got = _call(mine, ids, positions)
    assert_close(got, expected, rtol=1e-4, atol=1e-5,
                 what=f"logits (nh=6, nkv={nkv}, 2 layers) on ids (2, 8) with non-contiguous "
                      "position_ids, float32",
                 oracle="transformers.LlamaForCausalLM with the same weights (eager attention)",
                 hint=ROPE_HINT + "; " + GROUP_HINT)
