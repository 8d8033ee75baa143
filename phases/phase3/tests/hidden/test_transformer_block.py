"""Hidden tests for phase3.transformer_block.

Oracles: torch.nn.TransformerEncoderLayer(batch_first=True, dropout=0.0) in both norm
placements and both activations after copying the same weights (outputs and gradients, with
src_mask, src_key_padding_mask and is_causal); torch.nn.MultiheadAttention for the attention;
torch.nn modules composed by the test (FFN, SwiGLU, the ablated blocks); transformers'
LlamaMLP when installed; invariants (position-wise FFN, causality, LayerNorm's unit RMS);
autograd on a stack of torch layers for run_ablation; and seeded, deterministic directional
claims about deep stacks (margins of many orders of magnitude, see each test).
Learner code runs with torch's ready-made attention and encoder layers forbidden.
"""

from contextlib import contextmanager

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from phase3.transformer_block import (
    EncoderBlock,
    FeedForward,
    SelfAttention,
    SwiGLU,
    run_ablation,
)
from shared import assert_close, forbidden

F64 = torch.float64
TOL = {"rtol": 1e-9, "atol": 1e-10}
ORACLE = "torch.nn.TransformerEncoderLayer(batch_first=True, dropout=0.0) with the same weights"
PLACEMENT_HINT = ("post-norm (norm_first=False): x = norm1(x + attn(x)); x = norm2(x + ffn(x)). "
                  "Pre-norm (norm_first=True): x = x + attn(norm1(x)); x = x + ffn(norm2(x))")
MASK_HINT = ("masks are bool with True = MASKED (may not attend), as in torch.nn.Transformer*; "
             "scaled_dot_product_attention's bool mask means the opposite (True = attend)")


@contextmanager
def learner(by="phase3.transformer_block"):
    """Run learner code with torch's ready-made multi-head attention and encoder layers banned."""
    with forbidden("torch.nn.functional.multi_head_attention_forward",
                   "torch._native_multi_head_attention", "torch._transformer_encoder_layer_fwd",
                   "torch.nn.MultiheadAttention", "torch.nn.TransformerEncoderLayer",
                   "torch.nn.TransformerEncoder", by=by):
        yield


def _randn(*shape, seed, dtype=F64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _torch_layer(d_model, n_heads, d_ff, activation, norm_first, seed, eps=1e-5):
    """A float64 torch encoder layer in training mode (dropout 0: training mode is exact and
    keeps torch off its fused inference path), with random LayerNorm weights too."""
    torch.manual_seed(seed)
    ref = nn.TransformerEncoderLayer(d_model, n_heads, d_ff, dropout=0.0, activation=activation,
                                     batch_first=True, norm_first=norm_first,
                                     layer_norm_eps=eps).double().train()
    gen = torch.Generator().manual_seed(seed + 1000)
    with torch.no_grad():
        for norm in (ref.norm1, ref.norm2):
            norm.weight.copy_(1 + 0.5 * torch.randn(d_model, generator=gen, dtype=F64))
            norm.bias.copy_(0.5 * torch.randn(d_model, generator=gen, dtype=F64))
        ref.self_attn.in_proj_bias.copy_(0.1 * torch.randn(3 * d_model, generator=gen,
                                                           dtype=F64))
    return ref


def _block_like(ref, **kwargs):
    """An EncoderBlock holding ref's weights, through the documented mapping."""
    d_model = ref.linear1.in_features
    mine = EncoderBlock(d_model, ref.self_attn.num_heads, ref.linear1.out_features,
                        norm_first=ref.norm_first, layer_norm_eps=ref.norm1.eps,
                        activation="gelu" if ref.activation_relu_or_gelu == 2 else "relu",
                        **kwargs).double()
    state = {("ffn." + k if k.startswith(("linear1.", "linear2.")) else k): v
             for k, v in ref.state_dict().items()}
    try:
        mine.load_state_dict(state)
    except RuntimeError as err:
        raise AssertionError(
            "torch.nn.TransformerEncoderLayer's weights do not load into your EncoderBlock "
            "through the documented mapping (self_attn.*, ffn.linear1/2.*, norm1/2.*): keep "
            f"the parameters that __init__ creates.\n{err}") from err
    return mine


def _masks(B, T, seed):
    """A random (T, T) attention mask and a right-padding (B, T) mask, True = masked.

    Key 0 and the diagonal stay visible, so no query ever loses every key."""
    gen = torch.Generator().manual_seed(seed)
    attn = torch.rand(T, T, generator=gen) < 0.4
    attn[:, 0] = False
    attn.fill_diagonal_(False)
    pad = torch.zeros(B, T, dtype=torch.bool)
    for b in range(B):
        length = T - (b * 2) % (T - 1)
        pad[b, length:] = True
    assert pad.any() and not pad[:, 0].any()
    return attn, pad


def _causal(T):
    return torch.ones(T, T, dtype=torch.bool).triu(1)


# --- FeedForward and SwiGLU -------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_feedforward_matches_torch_modules(activation):
    torch.manual_seed(0)
    ffn = FeedForward(6, 17, activation).double()
    act = nn.ReLU() if activation == "relu" else nn.GELU()
    ref = nn.Sequential(nn.Linear(6, 17), act, nn.Linear(17, 6)).double()
    ref[0].load_state_dict(ffn.linear1.state_dict())
    ref[2].load_state_dict(ffn.linear2.state_dict())
    x = _randn(3, 4, 6, seed=1, dtype=F64) * 3
    with learner():
        got = ffn(x)
    assert_close(got, ref(x), **TOL,
                 what=f"FeedForward(6, 17, {activation!r}) on x of shape (3, 4, 6)",
                 oracle=f"nn.Sequential(linear1, nn.{type(act).__name__}(), linear2)",
                 hint="linear2(act(linear1(x))): 'gelu' is the exact erf GELU (not the tanh "
                      "approximation) and 'relu' is max(0, x)")


def test_feedforward_gelu_is_exact_not_tanh_approximation():
    torch.manual_seed(1)
    ffn = FeedForward(4, 16, "gelu").double()
    x = _randn(2, 50, 4, seed=2) * 4
    with learner():
        got = ffn(x)
    expected = ffn.linear2(F.gelu(ffn.linear1(x), approximate="none"))
    assert_close(got, expected, **TOL, what="FeedForward(4, 16, 'gelu') on wide inputs",
                 oracle="torch.nn.functional.gelu(approximate='none')",
                 hint="torch's activation='gelu' is the exact GELU x * Phi(x); the tanh "
                      "approximation differs by up to ~1e-3")


def test_feedforward_is_position_wise():
    torch.manual_seed(3)
    ffn = FeedForward(8, activation="relu").double()
    x = _randn(2, 7, 8, seed=4)
    perm = torch.tensor([3, 0, 6, 1, 5, 2, 4])
    with learner():
        y, y_perm = ffn(x), ffn(x[:, perm])
    assert y.shape == (2, 7, 8), f"FeedForward output shape: expected (2, 7, 8), got {y.shape}"
    assert_close(y_perm, y[:, perm], **TOL,
                 what="FeedForward on positions permuted by [3, 0, 6, 1, 5, 2, 4]",
                 oracle="the same permutation of the unpermuted output",
                 hint="the FFN acts on each position (each row of the last axis) alone: "
                      "nothing may mix positions")


def test_feedforward_default_width_is_four_times():
    """The feedforward default width is four times the model width."""
    ffn = FeedForward(5).double()
    x = _randn(1, 3, 5, seed=5)
    with learner():
        got = ffn(x)
    assert ffn.linear1.out_features == 20
    assert_close(got, ffn.linear2(F.relu(ffn.linear1(x))), **TOL,
                 what="FeedForward(5) (defaults: d_ff = 20, relu)",
                 oracle="linear2(relu(linear1(x)))", hint="the default activation is 'relu'")


def test_feedforward_dropout_only_in_training_mode():
    """Feedforward dropout is active only in training mode."""
    torch.manual_seed(6)
    ffn = FeedForward(8, 32, "relu", dropout=0.5).double()
    x = _randn(4, 6, 8, seed=7)
    expected = ffn.linear2(F.relu(ffn.linear1(x)))
    ffn.eval()
    with learner():
        got_eval = ffn(x)
    assert_close(got_eval, expected, **TOL, what="FeedForward(dropout=0.5) in eval mode",
                 oracle="linear2(relu(linear1(x))) without dropout",
                 hint="dropout acts in training mode only: use an nn.Dropout module (or pass "
                      "training=self.training)")
    ffn.train()
    torch.manual_seed(8)
    with learner():
        got_train = ffn(x)
    # With p = 0.5 over 4 * 6 * 32 hidden units, an output equal to the eval output would
    # need every unit kept and scaled by 1: probability ~0.
    assert not torch.allclose(got_train, expected), (
        "FeedForward(dropout=0.5) in training mode returned the no-dropout output: dropout "
        "must act on the hidden activation in training mode")


def test_swiglu_matches_formula():
    torch.manual_seed(9)
    ffn = SwiGLU(12, 20).double()
    x = _randn(2, 5, 12, seed=10)
    with learner():
        got = ffn(x)
    w1, w2, w3 = ffn.w1.weight, ffn.w2.weight, ffn.w3.weight
    h = x @ w1.T
    expected = (h * torch.sigmoid(h) * (x @ w3.T)) @ w2.T
    assert_close(got, expected, **TOL, what="SwiGLU(12, 20) on x of shape (2, 5, 12)",
                 oracle="w2(silu(w1 x) * w3 x) written with matmuls and torch.sigmoid",
                 hint="silu goes on the gate w1(x) only; w3(x) is the value it multiplies; "
                      "w2 maps back to d_model")


def test_swiglu_default_width_and_llama_parity():
    """SwiGLU has the default width and matches LLaMA's MLP."""
    ffn = SwiGLU(12).double()  # int(8 * 12 / 3) = 32, a multiple of 8
    assert ffn.w1.out_features == 32
    transformers = pytest.importorskip("transformers")
    from transformers.models.llama.modeling_llama import LlamaMLP

    cfg = transformers.LlamaConfig(hidden_size=12, intermediate_size=32, hidden_act="silu",
                                   mlp_bias=False, num_attention_heads=2,
                                   num_key_value_heads=2)
    ref = LlamaMLP(cfg).double()
    with torch.no_grad():
        ref.gate_proj.weight.copy_(ffn.w1.weight)
        ref.up_proj.weight.copy_(ffn.w3.weight)
        ref.down_proj.weight.copy_(ffn.w2.weight)
    x = _randn(3, 4, 12, seed=11)
    with learner():
        got = ffn(x)
    assert_close(got, ref(x), **TOL, what="SwiGLU(12) on x of shape (3, 4, 12)",
                 oracle="transformers' LlamaMLP (gate_proj = w1, up_proj = w3, down_proj = w2)",
                 hint="down_proj(silu(gate_proj(x)) * up_proj(x))")


# --- SelfAttention ----------------------------------------------------------------------------


def _mha_twin(d_model, n_heads, seed):
    torch.manual_seed(seed)
    ref = nn.MultiheadAttention(d_model, n_heads, batch_first=True).double()
    with torch.no_grad():
        ref.in_proj_bias.copy_(0.3 * torch.randn(3 * d_model, dtype=F64))
        ref.out_proj.bias.copy_(0.3 * torch.randn(d_model, dtype=F64))
    mine = SelfAttention(d_model, n_heads).double()
    mine.load_state_dict(ref.state_dict())
    return mine, ref


def test_self_attention_matches_multihead_attention_with_both_masks():
    mine, ref = _mha_twin(12, 3, seed=12)
    x = _randn(3, 7, 12, seed=13)
    attn, pad = _masks(3, 7, seed=14)
    with learner("phase3.transformer_block.SelfAttention"):
        got = mine(x, attn_mask=attn, key_padding_mask=pad)
    expected = ref(x, x, x, attn_mask=attn, key_padding_mask=pad, need_weights=False)[0]
    assert_close(got, expected, **TOL,
                 what="SelfAttention(12, 3) on x (3, 7, 12) with a random (7, 7) attn_mask and "
                      "a right-padding key_padding_mask",
                 oracle="torch.nn.MultiheadAttention with the same weights", hint=MASK_HINT)


def test_self_attention_heads_are_split_from_channels():
    mine, ref = _mha_twin(16, 4, seed=15)
    x = _randn(2, 5, 16, seed=16)
    with learner("phase3.transformer_block.SelfAttention"):
        got = mine(x)
    expected = ref(x, x, x, need_weights=False)[0]
    assert_close(got, expected, **TOL, what="SelfAttention(16, 4) on x (2, 5, 16), no masks",
                 oracle="torch.nn.MultiheadAttention with the same weights",
                 hint="q, k, v are the first, second and third C rows of in_proj_weight; head h "
                      "holds channels h*hs ... (h+1)*hs - 1: view (B, T, nh, hs), then "
                      "transpose to (B, nh, T, hs); scale by 1/sqrt(hs), not 1/sqrt(C)")


def test_self_attention_is_causal_hides_future_tokens():
    """Self attention with is_causal hides future tokens."""
    mine, ref = _mha_twin(8, 2, seed=17)
    x = _randn(2, 6, 8, seed=18)
    with learner("phase3.transformer_block.SelfAttention"):
        got = mine(x, is_causal=True)
        x2 = x.clone()
        x2[:, 4] += 5.0  # change token 4: outputs 0..3 must not move
        got2 = mine(x2, is_causal=True)
    expected = ref(x, x, x, attn_mask=_causal(6), need_weights=False)[0]
    assert_close(got, expected, **TOL, what="SelfAttention(8, 2)(x, is_causal=True)",
                 oracle="torch.nn.MultiheadAttention with a triu(1) bool mask",
                 hint="is_causal hides every key j > i from query i (the diagonal stays visible)")
    assert_close(got2[:, :4], got[:, :4], **TOL,
                 what="outputs at positions 0..3 after changing token 4 (is_causal=True)",
                 oracle="causality: they must not change",
                 hint="query i may attend keys 0..i only")


# --- EncoderBlock -----------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_encoder_block_matches_torch_with_both_masks(norm_first, activation):
    ref = _torch_layer(16, 4, 40, activation, norm_first, seed=20)
    mine = _block_like(ref)
    x = _randn(3, 7, 16, seed=21) * 2 + 0.5
    attn, pad = _masks(3, 7, seed=22)
    with learner():
        got = mine(x, src_mask=attn, src_key_padding_mask=pad)
    expected = ref(x, src_mask=attn, src_key_padding_mask=pad)
    assert_close(got, expected, **TOL,
                 what=f"EncoderBlock(16, 4, 40, {activation!r}, norm_first={norm_first}) on x "
                      "(3, 7, 16) with a random src_mask and a padding mask",
                 oracle=ORACLE, hint=PLACEMENT_HINT + ". " + MASK_HINT)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_encoder_block_gradients_match_torch(norm_first):
    ref = _torch_layer(8, 2, 16, "relu", norm_first, seed=23)
    mine = _block_like(ref)
    x = _randn(2, 5, 8, seed=24)
    upstream = _randn(2, 5, 8, seed=25)
    xm = x.clone().requires_grad_(True)
    with learner():
        mine(xm, is_causal=True).backward(upstream)
    xr = x.clone().requires_grad_(True)
    ref(xr, src_mask=_causal(5), is_causal=True).backward(upstream)
    assert_close(xm.grad, xr.grad, **TOL,
                 what=f"d(sum(block(x) * upstream))/dx, norm_first={norm_first}, is_causal",
                 oracle=ORACLE + " (autograd)",
                 hint="do not detach anything inside the block; gradients must reach x")
    mine_grads = dict(mine.named_parameters())
    for name, p in ref.named_parameters():
        key = "ffn." + name if name.startswith(("linear1.", "linear2.")) else name
        assert mine_grads[key].grad is not None, f"no gradient reached {key}"
        assert_close(mine_grads[key].grad, p.grad, **TOL, what=f"the gradient of {key}",
                     oracle=ORACLE + " (autograd)",
                     hint="every parameter must take part in the forward pass exactly as in "
                          "torch's layer")


@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_encoder_block_is_causal_without_src_mask(norm_first):
    """With no src_mask, is_causal alone makes the encoder block causal."""
    ref = _torch_layer(12, 3, 24, "gelu", norm_first, seed=26)
    mine = _block_like(ref)
    x = _randn(2, 6, 12, seed=27)
    _, pad = _masks(2, 6, seed=28)
    with learner():
        got = mine(x, src_key_padding_mask=pad, is_causal=True)
    expected = ref(x, src_mask=_causal(6), src_key_padding_mask=pad, is_causal=True)
    assert_close(got, expected, **TOL,
                 what=f"EncoderBlock(norm_first={norm_first})(x, src_key_padding_mask=pad, "
                      "is_causal=True) with no src_mask",
                 oracle=ORACLE + " and src_mask = triu(ones(6, 6), 1)",
                 hint="is_causal=True must hide future keys by itself, even with no src_mask")


def test_encoder_block_is_causal_combines_with_src_mask():
    """In the encoder block, is_causal combines with a src_mask."""
    ref = _torch_layer(8, 2, 16, "relu", False, seed=29)
    mine = _block_like(ref)
    x = _randn(2, 6, 8, seed=30)
    attn, _ = _masks(2, 6, seed=31)
    with learner():
        got = mine(x, src_mask=attn, is_causal=True)
    expected = ref(x, src_mask=attn | _causal(6))
    assert_close(got, expected, **TOL,
                 what="EncoderBlock(x, src_mask=random, is_causal=True)",
                 oracle=ORACLE + " and src_mask = random | triu(ones, 1)",
                 hint="with both, a key is hidden if src_mask hides it OR it lies in the future")


def test_encoder_block_layer_norm_eps_is_used():
    ref = _torch_layer(8, 2, 16, "relu", False, seed=32, eps=0.5)
    mine = _block_like(ref)
    x = _randn(2, 4, 8, seed=33) * 0.3  # small variance, so eps = 0.5 matters
    with learner():
        got = mine(x)
    assert_close(got, ref(x), **TOL, what="EncoderBlock(layer_norm_eps=0.5), post-norm",
                 oracle=ORACLE, hint="use norm1 and norm2 as created (they carry eps)")


@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_encoder_block_dropout_only_in_training_mode(norm_first):
    """Encoder block dropout is active only in training mode."""
    ref = _torch_layer(16, 4, 32, "relu", norm_first, seed=34)
    mine = _block_like(ref, dropout=0.3)
    x = _randn(2, 6, 16, seed=35)
    mine.eval()
    with learner():
        got = mine(x)
    assert_close(got, ref(x), **TOL,
                 what=f"EncoderBlock(dropout=0.3, norm_first={norm_first}) in eval mode",
                 oracle=ORACLE + " (dropout off)",
                 hint="dropout must be off in eval mode: use nn.Dropout modules (self.dropout1, "
                      "self.dropout2, the FFN's), or pass training=self.training")
    mine.train()
    torch.manual_seed(36)
    with learner():
        got_train = mine(x)
    # Equal outputs would need every one of thousands of dropout draws to keep: probability ~0.
    assert not torch.allclose(got_train, got), (
        "EncoderBlock(dropout=0.3) gave the same output in training and eval mode: in training "
        "mode dropout must act (on the sublayer outputs before each residual add, as torch)")


@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_encoder_block_without_residual(norm_first):
    """The encoder block without residual connections matches its reference composition."""
    ref = _torch_layer(12, 3, 24, "gelu", norm_first, seed=37)
    mine = _block_like(ref, residual=False)
    x = _randn(2, 5, 12, seed=38)
    _, pad = _masks(2, 5, seed=39)
    with learner():
        got = mine(x, src_key_padding_mask=pad)

    def attn(h):
        return ref.self_attn(h, h, h, key_padding_mask=pad, need_weights=False)[0]

    def ffn(h):
        return ref.linear2(F.gelu(ref.linear1(h)))

    if norm_first:
        expected = ffn(ref.norm2(attn(ref.norm1(x))))
    else:
        expected = ref.norm2(ffn(ref.norm1(attn(x))))
    form = ("ffn(norm2(attn(norm1(x))))" if norm_first else "norm2(ffn(norm1(attn(x))))")
    assert_close(got, expected, **TOL,
                 what=f"EncoderBlock(residual=False, norm_first={norm_first}) with padding",
                 oracle=f"{form} from torch's modules",
                 hint="residual=False drops the 'x +' of both sublayers and changes nothing else")


@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_encoder_block_without_layer_norm(norm_first):
    """The encoder block without layer norm matches its reference composition."""
    ref = _torch_layer(12, 3, 24, "relu", norm_first, seed=40)
    mine = _block_like(ref, layer_norm=False)
    x = _randn(2, 5, 12, seed=41)
    with learner():
        got = mine(x, is_causal=True)
    h = x + ref.self_attn(x, x, x, attn_mask=_causal(5), need_weights=False)[0]
    expected = h + ref.linear2(F.relu(ref.linear1(h)))
    assert_close(got, expected, **TOL,
                 what=f"EncoderBlock(layer_norm=False, norm_first={norm_first}), is_causal",
                 oracle="h = x + attn(x); h + ffn(h), from torch's modules",
                 hint="layer_norm=False skips norm1 and norm2 and changes nothing else (both "
                      "placements then compute the same thing)")


# --- run_ablation -----------------------------------------------------------------------------


def test_run_ablation_matches_autograd_on_torch_layers():
    torch.manual_seed(42)
    blocks = [nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True,
                                         norm_first=True).double().train(),
              nn.Identity(),
              nn.Linear(8, 8).double(),
              nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True).double()]
    x = _randn(2, 5, 8, seed=43)
    upstream = _randn(2, 5, 8, seed=44)
    for b in blocks:  # stale gradients that must not leak into the result
        for p in b.parameters():
            p.grad = torch.full_like(p, 7.0)

    rms, grad_norms = run_ablation(blocks, x, upstream)  # torch's own layers: nothing banned
    got_grads = [[p.grad.clone() for p in b.parameters()] for b in blocks]

    hs = [x]
    for b in blocks:
        hs.append(b(hs[-1]))
    params = [p for b in blocks for p in b.parameters()]
    grads = iter(torch.autograd.grad((hs[-1] * upstream).sum(), params))
    expected_grads = [[next(grads) for _ in b.parameters()] for b in blocks]
    expected_rms = torch.stack([h.detach().pow(2).mean().sqrt() for h in hs])
    expected_norms = torch.stack([
        torch.sqrt(sum((g ** 2).sum() for g in gs)) if gs else torch.zeros((), dtype=F64)
        for gs in expected_grads])

    assert_close(rms, expected_rms, **TOL,
                 what="run_ablation's rms for a stack [torch pre-norm layer, Identity, Linear, "
                      "torch post-norm layer]",
                 oracle="sqrt(mean(h_i ** 2)) of each h_i, computed by the test",
                 hint="rms[0] is the input's; rms[i] the output of block i-1; the mean runs "
                      "over every entry")
    assert_close(grad_norms, expected_norms, **TOL,
                 what="run_ablation's grad_norms for the same stack",
                 oracle="torch.autograd.grad of sum(h_L * upstream)",
                 hint="reset each .grad to None first (stale gradients of 7 were there); a "
                      "block without parameters (Identity) has norm 0")
    assert not rms.requires_grad and not grad_norms.requires_grad, (
        "run_ablation must return detached tensors")
    for b, gs, es in zip(blocks, got_grads, expected_grads, strict=True):
        for g, e in zip(gs, es, strict=True):
            assert_close(g, e, **TOL, what=f"the .grad left on a parameter of {type(b).__name__}",
                         oracle="torch.autograd.grad",
                         hint="leave the parameters holding this backward's gradients")


def _stack(seed, **kwargs):
    torch.manual_seed(seed)
    blocks = [EncoderBlock(32, 4, **kwargs) for _ in range(24)]
    gen = torch.Generator().manual_seed(seed + 500)
    x = torch.randn(2, 8, 32, generator=gen)
    upstream = torch.randn(2, 8, 32, generator=gen)
    with learner():
        return run_ablation(blocks, x, upstream)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_deep_stack_without_residuals_or_norms_loses_first_block_gradient(seed):
    # Measured with seeds 0..5: with residuals the first block's gradient norm is ~1e3, without
    # (and without norms) it is below 1e-20; the bound 1e-6 leaves >10 orders of margin.
    _, with_res = _stack(seed, norm_first=True, layer_norm=False)
    _, without = _stack(seed, norm_first=True, layer_norm=False, residual=False)
    ratio = float(without[0] / with_res[0])
    assert ratio < 1e-6, (
        f"24 blocks with layer_norm=False (seed {seed}): the first block's gradient norm is "
        f"{float(without[0]):.3g} without residuals and {float(with_res[0]):.3g} with them "
        f"(ratio {ratio:.3g}); without residuals it should vanish (ratio < 1e-6). Does "
        "residual=False really drop the 'x +'?")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_deep_stack_without_layer_norm_grows_the_residual_stream(seed):
    # Measured with seeds 0..5: input rms ~1; without norms the residual stream reaches rms
    # 4.6 to 11 after 24 pre-norm blocks, with them about 2 (the bounds leave margin both ways).
    rms_norm, _ = _stack(seed, norm_first=True)
    rms_raw, _ = _stack(seed, norm_first=True, layer_norm=False)
    assert rms_raw[-1] > 3 * rms_raw[0] and rms_raw[-1] > 1.5 * rms_norm[-1], (
        f"24 pre-norm blocks (seed {seed}): the residual stream's rms goes from "
        f"{float(rms_raw[0]):.3g} to {float(rms_raw[-1]):.3g} without LayerNorm and to "
        f"{float(rms_norm[-1]):.3g} with it; without norms it should grow past 3x the input "
        "and 1.5x the normed stack. Does layer_norm=False skip norm1 and norm2?")


def test_post_norm_stack_keeps_unit_rms():
    """A post-norm stack keeps unit RMS."""
    # Closed form: a LayerNorm with weight 1 and bias 0 outputs rows of mean 0 and variance
    # v / (v + eps), so every post-norm block's output has rms just under 1.
    rms, grad_norms = _stack(3, norm_first=False)
    assert_close(rms[1:], torch.ones(24), rtol=0, atol=1e-3,
                 what="rms of every block's output in a 24-block post-norm stack",
                 oracle="LayerNorm's closed form (weight 1, bias 0: rms = sqrt(v / (v + eps)))",
                 hint="post-norm ends each block with norm2; pre-norm would not")
    assert bool((grad_norms > 0).all()), "every post-norm block should receive a gradient"
