"""Hidden tests for phase3.gpt.

Oracles:
- the model: a forward pass composed from torch built-ins (F.embedding, F.layer_norm, F.linear,
  F.scaled_dot_product_attention with is_causal=True, F.gelu(approximate="tanh")) reading the
  documented parameters, in float64; transformers.GPT2LMHeadModel (tiny random config, the
  same weights, Conv1D transposed) when transformers is installed; the causality invariant;
  F.cross_entropy; initial loss ~ ln V; overfitting one batch.
- the counts: sum of p.numel(), GPT-2 small and medium's published counts,
  torch.utils.flop_counter.FlopCounterMode on a training step.
- sampling: hand cases, transformers' TopK/TopP logits warpers, and seeded chi-square tests
  whose p-value comes from torch.special.gammaincc; each fails a correct sampler with
  probability 1e-7 (the threshold on the p-value), below the 1e-6 the course allows.
- generate and perplexity: mock models with known logits (uniform, bigram, context-position)
  and closed forms.
The learner's model runs with torch.nn.functional.scaled_dot_product_attention forbidden.
"""

import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from phase3.gpt import (
    GPT,
    MLP,
    Block,
    CausalSelfAttention,
    GPTConfig,
    flops_per_token,
    generate,
    num_parameters,
    perplexity,
    sample_next,
    top_k_logits,
    top_p_logits,
)
from shared import assert_close, assert_equal, forbidden

F64 = torch.float64
TOL = {"rtol": 1e-9, "atol": 1e-10}
SDPA = ("torch.nn.functional.scaled_dot_product_attention",
        "torch.nn.functional.multi_head_attention_forward")
P_VALUE_FLOOR = 1e-7  # a correct sampler fails a chi-square test with this probability
NEG_INF = float("-inf")


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _config(**kw):
    base = dict(vocab_size=13, block_size=10, n_layer=2, n_head=2, n_embd=16)
    base.update(kw)
    return GPTConfig(**base)


def _model(seed=0, dtype=F64, randomize=True, **kw):
    """A GPT in eval mode; randomize replaces every parameter (LayerNorms and biases too)."""
    torch.manual_seed(seed)
    model = GPT(_config(**kw)).to(dtype).eval()
    if randomize:
        g = _gen(seed + 100)
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(0.3 * torch.randn(p.shape, generator=g, dtype=dtype)
                        + (1.0 if p.dim() == 1 and p.shape[0] == model.config.n_embd else 0.0))
    return model


def _run(model, idx, targets=None):
    with forbidden(*SDPA, by="phase3.gpt.GPT.forward"):
        return model(idx, targets) if targets is not None else model(idx)


def _params(module):
    return dict(module.named_parameters())


def _ref_attention(p, prefix, x, n_head):
    B, T, C = x.shape
    qkv = F.linear(x, p[prefix + "c_attn.weight"], p.get(prefix + "c_attn.bias"))
    q, k, v = (z.view(B, T, n_head, C // n_head).transpose(1, 2) for z in qkv.split(C, dim=-1))
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    y = y.transpose(1, 2).reshape(B, T, C)
    return F.linear(y, p[prefix + "c_proj.weight"], p.get(prefix + "c_proj.bias"))


def _ref_mlp(p, prefix, x):
    h = F.linear(x, p[prefix + "c_fc.weight"], p.get(prefix + "c_fc.bias"))
    return F.linear(F.gelu(h, approximate="tanh"), p[prefix + "c_proj.weight"],
                    p.get(prefix + "c_proj.bias"))


def _ln(p, name, x):
    return F.layer_norm(x, x.shape[-1:], p[name + ".weight"], p.get(name + ".bias"), 1e-5)


def _ref_block(p, prefix, x, n_head):
    x = x + _ref_attention(p, prefix + "attn.", _ln(p, prefix + "ln_1", x), n_head)
    return x + _ref_mlp(p, prefix + "mlp.", _ln(p, prefix + "ln_2", x))


def _ref_forward(model, idx):
    """GPT-2's forward from torch built-ins, reading the documented parameter names."""
    cfg, p = model.config, _params(model)
    T = idx.shape[1]
    x = F.embedding(idx, p["transformer.wte.weight"]) + p["transformer.wpe.weight"][:T]
    for i in range(cfg.n_layer):
        x = _ref_block(p, f"transformer.h.{i}.", x, cfg.n_head)
    x = _ln(p, "transformer.ln_f", x)
    return x @ p["transformer.wte.weight"].T


def _expected_names(cfg):
    names = {"transformer.wte.weight": (cfg.vocab_size, cfg.n_embd),
             "transformer.wpe.weight": (cfg.block_size, cfg.n_embd)}
    C = cfg.n_embd
    shapes = {"ln_1": (C,), "ln_2": (C,), "attn.c_attn": (3 * C, C), "attn.c_proj": (C, C),
              "mlp.c_fc": (4 * C, C), "mlp.c_proj": (C, 4 * C)}
    for i in range(cfg.n_layer):
        for name, shape in shapes.items():
            names[f"transformer.h.{i}.{name}.weight"] = shape
            if cfg.bias:
                names[f"transformer.h.{i}.{name}.bias"] = shape[:1]
    names["transformer.ln_f.weight"] = (C,)
    if cfg.bias:
        names["transformer.ln_f.bias"] = (C,)
    return names


# --------------------------------------------------------------------------------------------
# Layout, tying, initialisation
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bias", [True, False])
def test_parameters_have_gpt2_names_and_shapes(bias):
    torch.manual_seed(0)
    cfg = _config(bias=bias)
    got = {n: tuple(p.shape) for n, p in GPT(cfg).named_parameters()}
    assert got == _expected_names(cfg), (
        f"GPT(bias={bias})'s named_parameters() are not GPT-2's layout.\n"
        f"missing: {sorted(set(_expected_names(cfg)) - set(got))}\n"
        f"unexpected: {sorted(set(got) - set(_expected_names(cfg)))}\n"
        "Hint: keep the layout the stub's __init__ creates; lm_head.weight must be the same "
        "Parameter as transformer.wte.weight, so it is listed once")


def test_lm_head_is_tied_to_the_token_embedding():
    """The LM head is tied to the token embedding."""
    torch.manual_seed(0)
    model = GPT(_config())
    assert model.lm_head.weight is model.transformer.wte.weight, (
        "lm_head.weight is not the same Parameter as transformer.wte.weight. Hint: in "
        "tie_weights, assign the embedding's Parameter to lm_head.weight (weight tying)")
    assert model.lm_head.bias is None, "lm_head has no bias (nn.Linear(C, V, bias=False))"


def test_init_weights_uses_gpt2_stds_and_scales_residual_projections():
    # n_layer = 3: residual projections get std 0.02 / sqrt(6) = 0.00816. Each checked matrix
    # has >= 4,096 entries, so the sample std is within 10% of the true std with probability
    # 1 - 1e-15 or more (relative sd 1 / sqrt(2 n) <= 1.1%: 9 sigma).
    cfg = GPTConfig(vocab_size=512, block_size=64, n_layer=3, n_head=4, n_embd=64)
    torch.manual_seed(1)
    model = GPT(cfg)
    resid = 0.02 / math.sqrt(2 * cfg.n_layer)
    for name, p in model.named_parameters():
        p = p.detach()
        if p.dim() == 2:
            expected = resid if name.endswith("c_proj.weight") else 0.02
            std = p.std().item()
            assert abs(std / expected - 1) < 0.1 and abs(p.mean().item()) < 0.2 * expected, (
                f"{name}: sample std {std:.5f}, mean {p.mean().item():.2e}; expected a "
                f"normal with mean 0 and std {expected:.5f}. Hint: every Linear and Embedding "
                "weight starts N(0, 0.02); the weights named c_proj (attn and mlp) start "
                "N(0, 0.02 / sqrt(2 * n_layer)), GPT-2's residual scaling")
        elif name.endswith("bias"):
            assert_equal(p, torch.zeros_like(p), what=f"{name} after init_weights",
                         oracle="GPT-2's init", hint="every bias starts at zero")
        else:
            assert_equal(p, torch.ones_like(p), what=f"{name} after init_weights",
                         oracle="GPT-2's init", hint="every LayerNorm weight starts at one")
    assert model.lm_head.weight is model.transformer.wte.weight, (
        "init_weights broke the tie: fill Parameters in place (nn.init.normal_), do not "
        "replace them")


def test_initial_loss_is_close_to_log_vocab_size():
    cfg = GPTConfig(vocab_size=97, block_size=16, n_layer=2, n_head=2, n_embd=32)
    torch.manual_seed(2)
    model = GPT(cfg).eval()
    idx = torch.randint(0, 97, (4, 16), generator=_gen(3))
    tgt = torch.randint(0, 97, (4, 16), generator=_gen(4))
    _, loss = _run(model, idx, tgt)
    assert abs(loss.item() - math.log(97)) < 0.1, (
        f"a freshly initialised GPT has loss {loss.item():.3f} on random tokens; expected "
        f"about ln(97) = {math.log(97):.3f} (nearly uniform predictions). Hint: small "
        "initial weights (std 0.02) keep the logits near zero")


# --------------------------------------------------------------------------------------------
# The forward pass
# --------------------------------------------------------------------------------------------

def test_causal_self_attention_matches_sdpa():
    cfg = _config(n_head=4, n_embd=16)
    torch.manual_seed(0)
    attn = CausalSelfAttention(cfg).double().eval()
    with torch.no_grad():
        for p in attn.parameters():
            p.copy_(torch.randn(p.shape, generator=_gen(5), dtype=F64) * 0.5)
    x = torch.randn(3, 7, 16, generator=_gen(6), dtype=F64)
    with forbidden(*SDPA, by="phase3.gpt.CausalSelfAttention"):
        got = attn(x)
    expected = _ref_attention(_params(attn), "", x, 4)
    assert_close(got, expected, **TOL, what="CausalSelfAttention (4 heads, C=16) on (3, 7, 16)",
                 oracle="F.scaled_dot_product_attention(is_causal=True) with the same weights",
                 hint="q, k, v = c_attn(x).split(C, -1); heads: view(B, T, nh, hs).transpose(1, "
                      "2); scale by 1/sqrt(hs); key s visible from query t iff s <= t; merge "
                      "heads with transpose(1, 2) then reshape; apply c_proj")


def test_mlp_and_block_match_builtins():
    cfg = _config(n_head=2, n_embd=8)
    torch.manual_seed(0)
    block = Block(cfg).double().eval()
    with torch.no_grad():
        for p in block.parameters():
            p.copy_(torch.randn(p.shape, generator=_gen(7), dtype=F64) * 0.5 + 0.2)
    x = torch.randn(2, 5, 8, generator=_gen(8), dtype=F64)
    assert_close(block.mlp(x), _ref_mlp(_params(block), "mlp.", x), **TOL,
                 what="MLP on (2, 5, 8)", oracle="F.linear, F.gelu(approximate='tanh'), F.linear",
                 hint="GPT-2's GELU is the tanh approximation: nn.GELU(approximate='tanh')")
    assert isinstance(block.mlp, MLP)
    with forbidden(*SDPA, by="phase3.gpt.Block"):
        got = block(x)
    assert_close(got, _ref_block(_params(block), "", x, 2), **TOL,
                 what="Block on (2, 5, 8)", oracle="pre-norm composition of torch built-ins",
                 hint="pre-norm: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)); the residual "
                      "adds the un-normalised x")


@pytest.mark.parametrize("bias", [True, False])
def test_forward_matches_a_builtin_composition(bias):
    model = _model(seed=1, bias=bias)
    idx = torch.randint(0, 13, (3, 9), generator=_gen(9))
    logits, loss = _run(model, idx)
    assert loss is None, "forward(idx) without targets returns (logits, None)"
    expected = _ref_forward(model, idx)
    assert_close(logits, expected, **TOL,
                 what=f"GPT logits (B=3, T=9 < block_size 10, bias={bias})",
                 oracle="a forward composed of torch built-ins on your parameters, float64",
                 hint="x = wte(idx) + wpe(arange(T)); blocks; ln_f; logits = lm_head(x) for "
                      "every position")


def test_every_later_change_leaves_earlier_logits_unchanged():
    """Changing any later token leaves the earlier logits unchanged."""
    model = _model(seed=2)
    idx = torch.randint(0, 13, (2, 10), generator=_gen(10))
    base, _ = _run(model, idx)
    for t in range(9):
        changed = idx.clone()
        changed[:, t + 1:] = torch.randint(0, 13, (2, 9 - t), generator=_gen(20 + t))
        logits, _ = _run(model, changed)
        assert_close(logits[:, :t + 1], base[:, :t + 1], **TOL,
                     what=f"logits at positions 0..{t} after changing tokens {t + 1}..9",
                     oracle="the logits before the change (causality)",
                     hint="query t may attend to keys 0..t only: mask s > t with -inf before "
                          "the softmax")
        changed = idx.clone()
        changed[:, t] = (changed[:, t] + 1) % 13
        logits, _ = _run(model, changed)
        assert (logits[:, t] - base[:, t]).abs().max() > 1e-6, (
            f"changing token {t} did not change the logits at position {t}")


def test_forward_rejects_sequences_longer_than_block_size():
    model = _model(seed=3, randomize=False)
    with pytest.raises(ValueError):
        _run(model, torch.zeros(1, 11, dtype=torch.long))


def test_loss_is_mean_cross_entropy_ignoring_minus_one():
    """The loss is the mean cross entropy, ignoring targets of minus one."""
    model = _model(seed=4)
    idx = torch.randint(0, 13, (2, 8), generator=_gen(11))
    targets = torch.randint(0, 13, (2, 8), generator=_gen(12))
    targets[0, 2] = targets[1, 5] = targets[1, 7] = -1
    logits, loss = _run(model, idx, targets)
    expected = F.cross_entropy(logits.reshape(-1, 13), targets.reshape(-1), ignore_index=-1)
    assert_close(loss, expected, **TOL, what="GPT loss (B=2, T=8, three targets are -1)",
                 oracle="F.cross_entropy(logits.view(-1, V), targets.view(-1), ignore_index=-1)",
                 hint="average the cross-entropy over every position whose target is not -1")


def test_dropout_is_active_in_train_mode_only():
    model = _model(seed=5, dropout=0.3)
    idx = torch.randint(0, 13, (2, 8), generator=_gen(13))
    expected = _ref_forward(model, idx)
    got, _ = _run(model.eval(), idx)
    assert_close(got, expected, **TOL, what="GPT(dropout=0.3) in eval mode",
                 oracle="the built-in composition without dropout",
                 hint="use nn.Dropout modules, which do nothing in eval mode")
    model.train()
    torch.manual_seed(6)
    a, _ = _run(model, idx)
    b, _ = _run(model, idx)
    assert (a - b).abs().max() > 1e-6 and (a - expected).abs().max() > 1e-6, (
        "GPT(dropout=0.3) in train mode gave the same logits twice (or the eval logits): "
        "config.dropout must be applied (embeddings, attention weights, residual branches)")


def test_overfits_one_batch():
    """The model overfits a single batch."""
    cfg = GPTConfig(vocab_size=16, block_size=8, n_layer=1, n_head=2, n_embd=32)
    torch.manual_seed(7)
    model = GPT(cfg).train()
    idx = torch.randint(0, 16, (4, 8), generator=_gen(14))
    tgt = torch.randint(0, 16, (4, 8), generator=_gen(15))
    opt = torch.optim.Adam(model.parameters(), lr=2e-2)
    with forbidden(*SDPA, by="phase3.gpt.GPT.forward"):
        for _ in range(60):
            _, loss = model(idx, tgt)
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert loss.item() < 0.1, (
        f"after 60 Adam steps (lr 2e-2) on one batch of 4 x 8 random tokens the loss is "
        f"{loss.item():.3f}, not below 0.1. Hint: does every parameter get a gradient "
        "(no detach, no torch.no_grad in forward)?")


def _hf_model(cfg):
    transformers = pytest.importorskip("transformers")
    hf_cfg = transformers.GPT2Config(
        vocab_size=cfg.vocab_size, n_positions=cfg.block_size, n_embd=cfg.n_embd,
        n_layer=cfg.n_layer, n_head=cfg.n_head, resid_pdrop=0.0, embd_pdrop=0.0,
        attn_pdrop=0.0, activation_function="gelu_new", layer_norm_epsilon=1e-5,
        bos_token_id=0, eos_token_id=0)
    hf_cfg._attn_implementation = "eager"
    torch.manual_seed(8)
    return transformers.GPT2LMHeadModel(hf_cfg).double().eval()


def test_matches_transformers_gpt2_with_the_same_weights():
    """The model matches transformers' GPT-2 with the same weights."""
    cfg = _config(vocab_size=29, block_size=12, n_layer=2, n_head=4, n_embd=16)
    hf = _hf_model(cfg)
    g = _gen(16)
    with torch.no_grad():
        for p in hf.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=g, dtype=F64))  # LNs and biases too
    torch.manual_seed(0)
    model = GPT(cfg).double().eval()
    hf_params = _params(hf)
    with torch.no_grad():
        for name, p in model.named_parameters():
            src = hf_params[name]
            # GPT-2's Conv1D stores (in, out): transpose into nn.Linear's (out, in).
            conv1d = name.endswith(("c_attn.weight", "c_proj.weight", "c_fc.weight"))
            p.copy_(src.T if conv1d else src)
    idx = torch.randint(0, 29, (2, 11), generator=_gen(17))
    logits, _ = _run(model, idx)
    expected = hf(idx).logits
    assert_close(logits, expected, **TOL, what="GPT logits (V=29, L=2, 4 heads, C=16, T=11)",
                 oracle="transformers.GPT2LMHeadModel with the same weights (gelu_new)",
                 hint="pre-norm blocks, tanh GELU, LayerNorm eps 1e-5, tied lm_head")
    assert_equal(num_parameters(cfg), hf.num_parameters(), what="num_parameters(tiny config)",
                 oracle="transformers.GPT2LMHeadModel.num_parameters()")


# --------------------------------------------------------------------------------------------
# Counting parameters and FLOPs
# --------------------------------------------------------------------------------------------

def test_num_parameters_closed_forms():
    """num_parameters matches its closed forms."""
    medium = GPTConfig(vocab_size=50257, block_size=1024, n_layer=24, n_head=16, n_embd=1024)
    assert_equal(num_parameters(medium), 354_823_168, what="num_parameters(GPT-2 medium)",
                 oracle="GPT-2 medium's count with tied embeddings")
    for bias in (True, False):
        cfg = GPTConfig(vocab_size=23, block_size=7, n_layer=4, n_head=3, n_embd=12, bias=bias)
        torch.manual_seed(0)
        counted = sum(p.numel() for p in GPT(cfg).parameters())
        C, b = 12, int(bias)
        closed = 23 * C + 7 * C + 4 * (12 * C * C + (2 + 11 * b) * C) + (1 + b) * C
        assert_equal(num_parameters(cfg), closed, what=f"num_parameters(bias={bias})",
                     oracle="V C + block C + L (12 C^2 + (2 + 11 b) C) + (1 + b) C",
                     hint="with bias=False there are no Linear or LayerNorm biases")
        assert_equal(counted, closed, what=f"parameters of GPT(bias={bias})",
                     oracle="the closed form", hint="bias=False: Linears and LayerNorms "
                     "without bias; lm_head tied")


def test_flops_per_token_matches_flop_counter():
    """flops_per_token matches torch's FLOP counter."""
    from torch.utils.flop_counter import FlopCounterMode

    cfg = GPTConfig(vocab_size=40, block_size=24, n_layer=2, n_head=2, n_embd=16)
    torch.manual_seed(0)
    model = GPT(cfg)
    B, T = 2, 12
    idx = torch.randint(0, 40, (B, T), generator=_gen(18))
    counter = FlopCounterMode(display=False)
    with counter, forbidden(*SDPA, by="phase3.gpt.GPT.forward"):
        _, loss = model(idx, idx)
        loss.backward()
    measured = counter.get_total_flops() / (B * T)  # matmul FLOPs only
    # The formula counts biases and LayerNorm parameters like matmul weights (6 each).
    vector_params = sum(p.numel() for p in model.parameters() if p.dim() == 1)
    expected = measured + 6 * vector_params
    got = flops_per_token(cfg, T)
    assert got == expected, (
        f"flops_per_token(config, T={T}) = {got}; FlopCounterMode measured {measured:g} "
        f"matmul FLOPs per token for a forward and backward pass, plus 6 x {vector_params} "
        f"bias and LayerNorm parameters = {expected:g}. Hint: 6 N with N = num_parameters "
        "minus the position table, plus 12 n_layer n_embd T for q k^T and att v")


def test_flops_per_token_gpt2_small_closed_form():
    """flops_per_token for GPT-2 small matches its closed form."""
    gpt2 = GPTConfig(vocab_size=50257, block_size=1024, n_layer=12, n_head=12, n_embd=768)
    for T in (1024, 256):
        expected = 6 * (124_439_808 - 1024 * 768) + 12 * 12 * 768 * T
        assert_equal(flops_per_token(gpt2, T), expected, what=f"flops_per_token(GPT-2, T={T})",
                     oracle="6 N + 12 L C T (PaLM, Appendix B) with N excluding wpe",
                     hint="T is the context length argument, not block_size")


# --------------------------------------------------------------------------------------------
# Logit processors
# --------------------------------------------------------------------------------------------

def _keep(logits, kept):
    mask = torch.zeros_like(logits, dtype=torch.bool)
    for row, ids in enumerate(kept):
        mask[row, ids] = True
    return logits.masked_fill(~mask, NEG_INF)


def test_top_k_hand_cases_keep_ties():
    """Top-k keeps tied logits, checked on hand cases."""
    logits = torch.tensor([[1.0, 3.0, 2.0, 3.0, 0.0], [0.5, -1.0, 2.0, 4.0, 1.5]])
    before = logits.clone()
    for k, kept in [(1, [[1, 3], [3]]), (2, [[1, 3], [3, 2]]), (3, [[1, 3, 2], [3, 2, 4]]),
                    (5, [[0, 1, 2, 3, 4]] * 2), (9, [[0, 1, 2, 3, 4]] * 2)]:
        assert_equal(top_k_logits(logits, k), _keep(logits, kept),
                     what=f"top_k_logits(k={k}) on {logits.tolist()}",
                     oracle=f"hand count: keep ids {kept}",
                     hint="keep logits >= the k-th largest of the row (ties kept), -inf "
                          "elsewhere; k >= V keeps all")
    assert_equal(logits, before, what="logits after top_k_logits", oracle="the input",
                 hint="do not modify the input in place")
    with pytest.raises(ValueError):
        top_k_logits(logits, 0)


def test_top_p_hand_cases_with_ties_and_minus_inf():
    """Top-p handles ties and minus-infinity logits, checked on hand cases."""
    probs = torch.tensor([[0.3, 0.2, 0.3, 0.2], [0.05, 0.0, 0.6, 0.35]], dtype=F64)
    logits = probs.log()  # log 0 = -inf: a token already filtered out
    before = logits.clone()
    cases = [(0.2, [[0, 2], [2]]), (0.55, [[0, 2], [2]]), (0.65, [[0, 1, 2, 3], [2, 3]]),
             (0.97, [[0, 1, 2, 3], [0, 2, 3]]), (1.0, [[0, 1, 2, 3], [0, 1, 2, 3]])]
    for p, kept in cases:
        assert_equal(top_p_logits(logits, p), _keep(logits, kept),
                     what=f"top_p_logits(log {probs.tolist()}, p={p})",
                     oracle=f"hand count: keep ids {kept}",
                     hint="the crossing token (the one whose probability makes the running "
                          "total reach p) is kept, and so are tokens tied with it")
    assert_equal(logits, before, what="logits after top_p_logits", oracle="the input",
                 hint="do not modify the input in place")
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError):
            top_p_logits(logits, bad)


def test_top_p_is_permutation_equivariant():
    logits = torch.randn(4, 30, generator=_gen(19), dtype=F64) * 2
    perm = torch.randperm(30, generator=_gen(20))
    for p in (0.3, 0.7, 0.9):
        assert_equal(top_p_logits(logits[:, perm], p), top_p_logits(logits, p)[:, perm],
                     what=f"top_p_logits on column-permuted logits (p={p})",
                     oracle="the permuted result on the original logits",
                     hint="scatter the keep mask back to the tokens' own positions")


def test_processors_match_transformers_warpers():
    """Temperature, top-k and top-p match the logits warpers of transformers."""
    transformers = pytest.importorskip("transformers")
    logits = torch.randn(6, 50, generator=_gen(21), dtype=F64) * 3
    for k in (1, 7, 50):
        expected = transformers.TopKLogitsWarper(top_k=k)(None, logits.clone())
        assert_equal(top_k_logits(logits, k), expected, what=f"top_k_logits(k={k}) (6, 50)",
                     oracle="transformers.TopKLogitsWarper")
    for p in (0.1, 0.5, 0.9):
        expected = transformers.TopPLogitsWarper(top_p=p)(None, logits.clone())
        assert_equal(top_p_logits(logits, p), expected, what=f"top_p_logits(p={p}) (6, 50)",
                     oracle="transformers.TopPLogitsWarper",
                     hint="keep the minimal set of most probable tokens whose mass reaches p")


# --------------------------------------------------------------------------------------------
# Sampling (seeded chi-square tests; P_VALUE_FLOOR = 1e-7 is each test's false-failure rate)
# --------------------------------------------------------------------------------------------

N_SAMPLES = 20_000


def _draw(logits_row, seed, **kw):
    logits = logits_row.expand(N_SAMPLES, -1)
    before = logits.clone()
    got = sample_next(logits, generator=_gen(seed), **kw)
    assert got.shape == (N_SAMPLES,) and got.dtype == torch.int64, (
        f"sample_next on logits ({N_SAMPLES}, V) must return an int64 tensor of shape "
        f"({N_SAMPLES},); got {tuple(got.shape)} {got.dtype}")
    assert torch.equal(logits, before), "sample_next modified its input logits in place"
    return torch.bincount(got, minlength=logits_row.numel()).to(F64)


def _assert_distribution(counts, probs, what, hint):
    """Zero counts where probs is 0; chi-square goodness of fit elsewhere (p >= 1e-7)."""
    outside = counts[probs == 0].sum().item()
    assert outside == 0, (
        f"{what}: {int(outside)} of {N_SAMPLES} samples are tokens with probability 0 "
        f"(expected probabilities {[round(x, 4) for x in probs.tolist()]}, counts "
        f"{counts.long().tolist()}). Hint: {hint}")
    support = probs > 0
    expected = N_SAMPLES * probs[support]
    stat = ((counts[support] - expected) ** 2 / expected).sum()
    dof = int(support.sum()) - 1
    if dof == 0:
        return
    p_value = torch.special.gammaincc(torch.tensor(dof / 2, dtype=F64), stat / 2).item()
    assert p_value >= P_VALUE_FLOOR, (
        f"{what}: the sample counts {counts.long().tolist()} do not fit the expected "
        f"probabilities {[round(x, 4) for x in probs.tolist()]} (chi-square {stat.item():.1f} "
        f"on {dof} degrees of freedom, p-value {p_value:.1e} < {P_VALUE_FLOOR:g}; a correct "
        f"sampler fails this seeded test with probability {P_VALUE_FLOOR:g}). Hint: {hint}")


LOGITS = torch.tensor([2.0, 1.2, 0.9, 0.0, -0.4, -1.0])


def test_temperature_divides_the_logits_before_the_softmax():
    for t in (0.5, 2.0):
        counts = _draw(LOGITS, seed=30, temperature=t)
        _assert_distribution(counts, torch.softmax(LOGITS.double() / t, -1),
                             f"sample_next(temperature={t})", "probabilities are "
                             "softmax(logits / temperature); dividing after the softmax does "
                             "nothing once multinomial renormalises")


def test_top_k_sampling_distribution():
    """Top-k sampling draws from the renormalised top-k distribution."""
    counts = _draw(LOGITS, seed=31, top_k=3)
    probs = torch.softmax(LOGITS.double(), -1)
    probs[3:] = 0
    _assert_distribution(counts, probs / probs.sum(), "sample_next(top_k=3)",
                         "sample from the 3 largest logits only, renormalised")


def test_top_p_sampling_includes_the_crossing_token():
    # softmax(LOGITS): 0.486, 0.218, 0.162, 0.066, 0.044, 0.024 (rounded). With p = 0.75 the
    # running total is 0.486, 0.704, 0.866: the third token crosses 0.75 and must be sampled.
    probs = torch.softmax(LOGITS.double(), -1)
    assert probs[:2].sum() < 0.75 <= probs[:3].sum()
    counts = _draw(LOGITS, seed=32, top_p=0.75)
    nucleus = probs.clone()
    nucleus[3:] = 0
    _assert_distribution(counts, nucleus / nucleus.sum(), "sample_next(top_p=0.75)",
                         "keep the token that crosses p (here the third most probable) and "
                         "renormalise over the nucleus")


def test_temperature_then_top_k_then_top_p():
    """Sampling applies temperature, then top-k, then top-p."""
    # At temperature 0.5 the probabilities are 0.76, 0.15, 0.08, ...: the nucleus for p = 0.8
    # is the top two. top_k=4 first leaves four; top_p acts on their renormalised mass.
    t = 0.5
    probs = torch.softmax(LOGITS.double() / t, -1)
    probs[4:] = 0
    probs /= probs.sum()
    nucleus = probs.clone()
    nucleus[2:] = 0
    assert probs[:1].sum() < 0.8 <= probs[:2].sum()
    counts = _draw(LOGITS, seed=33, temperature=t, top_k=4, top_p=0.8)
    _assert_distribution(counts, nucleus / nucleus.sum(),
                         "sample_next(temperature=0.5, top_k=4, top_p=0.8)",
                         "apply temperature first, then top-k, then top-p on the tempered, "
                         "top-k-renormalised probabilities")


def test_sampling_draws_only_from_the_given_generator():
    logits = torch.randn(64, 10, generator=_gen(34))
    torch.manual_seed(1)
    a = sample_next(logits, temperature=1.3, top_k=6, top_p=0.9, generator=_gen(35))
    torch.manual_seed(2)
    b = sample_next(logits, temperature=1.3, top_k=6, top_p=0.9, generator=_gen(35))
    assert_equal(a, b, what="sample_next twice with generators of the same seed (global seeds "
                 "differ)", oracle="determinism", hint="pass generator to torch.multinomial")
    with pytest.raises(ValueError):
        sample_next(logits, temperature=-0.1)


def test_greedy_breaks_ties_at_the_lowest_id():
    logits = torch.tensor([[0.0, 2.0, 2.0, 1.0], [3.0, 3.0, 3.0, 3.0]])
    assert_equal(sample_next(logits, temperature=0.0), torch.tensor([1, 0]),
                 what="sample_next(temperature=0) with tied maxima", oracle="hand count",
                 hint="greedy returns the lowest id among tied maxima (torch.argmax does)")


# --------------------------------------------------------------------------------------------
# generate
# --------------------------------------------------------------------------------------------

class _Bigram(nn.Module):
    """A mock LM: logits at position t depend only on token t; refuses long inputs."""

    def __init__(self, table, block_size, first_token_bonus=0.0):
        super().__init__()
        self.table = table
        self.config = SimpleNamespace(block_size=block_size)
        self.first_token_bonus = first_token_bonus

    def forward(self, idx, targets=None):
        assert idx.dim() == 2 and idx.shape[1] <= self.config.block_size, (
            f"the model was called with input of shape {tuple(idx.shape)}; it accepts "
            f"(B, T) with T <= block_size = {self.config.block_size}. Hint: crop the context "
            "to the last block_size tokens")
        logits = self.table[idx]
        # Window-dependent: the first token of the window boosts its own id at every position.
        bonus = F.one_hot(idx[:, :1], self.table.shape[1]).to(logits.dtype)
        return logits + self.first_token_bonus * bonus, None


def test_generate_greedy_follows_the_bigram_chain():
    """Greedy generation from a bigram model follows its most likely chain."""
    V = 7
    table = torch.full((V, V), -1.0, dtype=F64)
    table[torch.arange(V), (torch.arange(V) * 3 + 1) % V] = 2.0  # next = 3 t + 1 mod 7
    model = _Bigram(table, block_size=4)
    idx = torch.tensor([[0], [5]])
    got = generate(model, idx, 9, temperature=0.0)
    rows = []
    for t0 in (0, 5):
        seq = [t0]
        for _ in range(9):
            seq.append((3 * seq[-1] + 1) % V)
        rows.append(seq)
    assert_equal(got, torch.tensor(rows), what="generate(bigram model, 9 tokens, greedy)",
                 oracle="the chain next = 3 t + 1 mod 7",
                 hint="append the sampled token and feed the last block_size tokens again")
    assert_equal(idx, torch.tensor([[0], [5]]), what="the prompt after generate",
                 oracle="the prompt before", hint="do not modify idx in place")
    assert_equal(generate(model, idx, 0), idx, what="generate(max_new_tokens=0)",
                 oracle="the prompt")


def test_generate_crops_the_context_to_block_size():
    V, bs = 5, 3
    table = torch.zeros(V, V, dtype=F64)
    table[torch.arange(V), (torch.arange(V) + 1) % V] = 1.0
    # The first token of the window gets a bonus of 1.5 > 1: greedy repeats the window's
    # first token, so the output shows which window the model saw.
    model = _Bigram(table, block_size=bs, first_token_bonus=1.5)
    idx = torch.tensor([[0, 1, 2, 3]])
    got = generate(model, idx, 4, temperature=0.0)
    # windows: [1,2,3] -> 1; [2,3,1] -> 2; [3,1,2] -> 3; [1,2,3] -> 1
    assert_equal(got, torch.tensor([[0, 1, 2, 3, 1, 2, 3, 1]]),
                 what="generate with a prompt longer than block_size=3",
                 oracle="a model that repeats its window's first token",
                 hint="feed idx[:, -block_size:], the LAST block_size tokens")


def test_generate_samples_with_sample_next_at_every_step():
    """Generate calls sample_next to draw every token."""
    V = 6
    table = torch.randn(V, V, generator=_gen(37), dtype=F64)
    model = _Bigram(table, block_size=5)
    idx = torch.tensor([[1, 2], [3, 4], [0, 0]])
    kw = dict(temperature=0.8, top_k=4, top_p=0.9)
    got = generate(model, idx, 8, generator=_gen(38), **kw)
    g, seq = _gen(38), idx
    for _ in range(8):
        nxt = sample_next(model(seq[:, -5:])[0][:, -1], generator=g, **kw)
        seq = torch.cat([seq, nxt[:, None]], dim=1)
    assert_equal(got, seq, what="generate(temperature=0.8, top_k=4, top_p=0.9, seeded)",
                 oracle="a loop of sample_next on the last position's logits, same generator",
                 hint="pass temperature, top_k, top_p and generator to sample_next each step")


# --------------------------------------------------------------------------------------------
# perplexity
# --------------------------------------------------------------------------------------------

class _Positional(nn.Module):
    """Logits at window position j: table[token] + 0.4 j on id (token + 1) mod V."""

    def __init__(self, table):
        super().__init__()
        self.table = table
        self.max_len = 0

    def forward(self, idx):
        assert idx.dim() == 2 and idx.shape[0] == 1, "perplexity feeds (1, T) windows"
        self.max_len = max(self.max_len, idx.shape[1])
        V = self.table.shape[0]
        j = torch.arange(idx.shape[1], dtype=F64)[None, :, None]
        boost = F.one_hot((idx + 1) % V, V).to(F64)
        return self.table[idx] + 0.4 * j * boost, None


def _closed_form_ppl(table, tokens, block_size, stride):
    """Target t is scored by window w = max(0, ceil((t - block_size) / stride)) at position
    j = t - 1 - w * stride of that window."""
    V, n, nll = table.shape[0], tokens.numel(), 0.0
    for t in range(1, n):
        w = max(0, -(-(t - block_size) // stride))
        j = t - 1 - w * stride
        prev = tokens[t - 1]
        logits = table[prev].clone()
        logits[(prev + 1) % V] += 0.4 * j
        nll -= logits.log_softmax(-1)[tokens[t]].item()
    return math.exp(nll / (n - 1))


@pytest.mark.parametrize("n,block_size,stride", [(40, 8, 8), (40, 8, 3), (41, 8, 1),
                                                 (23, 6, 4), (5, 8, 2)])
def test_perplexity_scores_each_target_once_with_its_window_context(n, block_size, stride):
    V = 7
    table = torch.randn(V, V, generator=_gen(40), dtype=F64)
    tokens = torch.randint(0, V, (n,), generator=_gen(41))
    model = _Positional(table)
    got = perplexity(model, tokens, block_size, stride)
    expected = _closed_form_ppl(table, tokens, block_size, stride)
    assert model.max_len <= block_size, "a window longer than block_size was fed to the model"
    assert_close(got, expected, rtol=1e-9, atol=0,
                 what=f"perplexity(N={n}, block_size={block_size}, stride={stride})",
                 oracle="closed form: target t scored once, by the first window predicting it",
                 hint="windows start at 0, stride, ...; each feeds tokens[begin:begin + "
                      "block_size] and scores only targets no earlier window scored; divide "
                      "the summed NLL by N - 1")


def test_uniform_model_has_perplexity_vocab_size():
    V = 11
    model = _Positional(torch.zeros(V, V, dtype=F64))
    model.forward = lambda idx: (torch.zeros(1, idx.shape[1], V, dtype=F64), None)
    got = perplexity(model, torch.randint(0, V, (30,), generator=_gen(42)), 8, 5)
    assert_close(got, float(V), rtol=1e-12, atol=0, what="perplexity of a uniform model, V=11",
                 oracle="exp(ln V) = V", hint="perplexity = exp(mean negative log-likelihood)")


def test_perplexity_of_one_window_is_exp_of_the_gpt_loss():
    model = _model(seed=9)
    tokens = torch.randint(0, 13, (11,), generator=_gen(43))
    with forbidden(*SDPA, by="phase3.gpt.perplexity"):
        got = perplexity(model, tokens, 10, 4)
    _, loss = _run(model, tokens[None, :-1], tokens[None, 1:])
    assert_close(got, math.exp(loss.item()), rtol=1e-9, atol=0,
                 what="perplexity of 11 tokens with block_size 10 (one window)",
                 oracle="exp(GPT loss on tokens[:-1] -> tokens[1:])")
    for bad in [dict(block_size=4, stride=5), dict(block_size=4, stride=0)]:
        with pytest.raises(ValueError):
            perplexity(model, tokens, **bad)
    with pytest.raises(ValueError):
        perplexity(model, tokens[:1], 4, 2)
