"""Hidden tests for phase3.positional.

Oracles: closed forms written out here in plain Python (Vaswani's table, T5's bucket formula,
the ALiBi paper's slope formula with its interpolation rule, Shaw's equations as loops), RoPE
as complex multiplication, invariants (PE(p + k) is a fixed rotation of PE(p); <R_m q, R_n k>
depends only on m - n; RoPE preserves norms; biases depend only on i - j), torch's
scaled_dot_product_attention, autograd's index gradients, a seeded statistical test of the
learned table's initialisation, and, when `transformers` is installed, T5's
_relative_position_bucket and compute_bias, LLaMA's apply_rotary_pos_emb and BLOOM's
build_alibi_tensor.
"""

import math

import pytest
import torch
import torch.nn.functional as F
from phase3_testkit import t5_bucket

from phase3.positional import (
    LearnedPositionalEmbedding,
    ShawRelativeEmbedding,
    T5RelativeBias,
    alibi_bias,
    alibi_slopes,
    apply_rope,
    relative_positions,
    shaw_attention,
    sinusoidal_table,
    t5_relative_position_bucket,
)
from shared import assert_close, assert_equal

F64 = torch.float64
TIGHT = {"rtol": 1e-10, "atol": 1e-10}


def _randn(*shape, seed, dtype=F64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _rel_oracle(q_len, k_len):
    """Key position minus query position; queries are the last q_len positions."""
    return [[j - (k_len - q_len + i) for j in range(k_len)] for i in range(q_len)]


# --------------------------------------------------------------------------------------------
# Sinusoidal
# --------------------------------------------------------------------------------------------

def _pe_oracle(max_len, d, base):
    return [[(math.sin if c % 2 == 0 else math.cos)(p / base ** ((c - c % 2) / d))
             for c in range(d)] for p in range(max_len)]


@pytest.mark.parametrize(("max_len", "d", "base"), [(50, 16, 10000.0), (7, 6, 100.0),
                                                    (3, 2, 10000.0)])
def test_sinusoidal_table_matches_closed_form(max_len, d, base):
    got = sinusoidal_table(max_len, d, base=base, dtype=F64)
    assert_close(got, _pe_oracle(max_len, d, base), **TIGHT,
                 what=f"sinusoidal_table({max_len}, {d}, base={base})",
                 oracle="PE[p, 2i] = sin(p / base^(2i/d)), PE[p, 2i+1] = cos(same angle)",
                 hint="sine on even columns, cosine on odd; the exponent is 2i / d (the even "
                      "column's index over d), and use the base argument")


def test_sinusoidal_table_dtype_argument():
    """The sinusoidal table uses its dtype argument."""
    assert sinusoidal_table(4, 6).dtype == torch.float32, (
        f"sinusoidal_table(4, 6) should default to float32, got {sinusoidal_table(4, 6).dtype}")
    got = sinusoidal_table(4, 6, dtype=F64)
    assert got.dtype == F64, f"sinusoidal_table(4, 6, dtype=float64) returned {got.dtype}"
    assert_close(sinusoidal_table(40, 10), _pe_oracle(40, 10, 10000.0),
                 what="sinusoidal_table(40, 10) in float32", oracle="the closed form",
                 hint="compute in float64, then cast to dtype")


def test_sinusoidal_shift_is_a_fixed_rotation():
    # PE(p + k) = M_k PE(p) with M_k block-diagonal 2x2 rotations by k * w_i (Vaswani §3.5).
    d, k = 8, 5
    pe = sinusoidal_table(30, d, dtype=F64)
    w = 10000.0 ** (-torch.arange(0, d, 2, dtype=F64) / d)
    s, c = pe[:-k, 0::2], pe[:-k, 1::2]
    ck, sk = torch.cos(k * w), torch.sin(k * w)
    expected = torch.empty_like(pe[k:])
    expected[:, 0::2] = s * ck + c * sk            # sin(a + b)
    expected[:, 1::2] = c * ck - s * sk            # cos(a + b)
    assert_close(pe[k:], expected, **TIGHT, what="sinusoidal_table rows p + 5 versus rows p",
                 oracle="the angle-addition formulas (a fixed rotation per pair)",
                 hint="every (sin, cos) pair must share the same frequency")
    dots = (pe[:-k] * pe[k:]).sum(-1)
    assert_close(dots, torch.full_like(dots, float(dots[0])), **TIGHT,
                 what="PE(p) . PE(p + 5) for every p", oracle="invariance: depends only on 5")


def test_sinusoidal_table_rejects_odd_width():
    with pytest.raises(ValueError):
        sinusoidal_table(4, 7)


# --------------------------------------------------------------------------------------------
# Learned positions
# --------------------------------------------------------------------------------------------

def test_learned_positions_parameter_and_init():
    """Learned positions hold one parameter with the documented init."""
    torch.manual_seed(0)
    emb = LearnedPositionalEmbedding(64, 32)
    names = {n: tuple(p.shape) for n, p in emb.named_parameters()}
    assert names == {"weight": (64, 32)}, (
        f"LearnedPositionalEmbedding(64, 32) parameters: expected {{'weight': (64, 32)}}, got "
        f"{names}")
    w = emb.weight.detach().double()
    # 2048 draws of N(0, 0.02^2): the sample std has relative sd 1/sqrt(2 * 2048) = 1.56%, the
    # mean has sd 0.02/sqrt(2048). Bands of 6 sd: false-failure rate below 1e-8 each.
    assert abs(float(w.std()) / 0.02 - 1) < 6 * 0.0157, (
        f"std of the learned table: expected 0.02 (GPT-2's init), got {float(w.std()):.4f}")
    assert abs(float(w.mean())) < 6 * 0.02 / math.sqrt(2048), (
        f"mean of the learned table: expected about 0, got {float(w.mean()):.4f}")
    x = torch.zeros(1, 64, 32)
    assert_close(emb(x), emb.weight.detach()[None], what="forward(zeros of shape (1, 64, 32))",
                 oracle="weight itself (x + weight[arange(T)] with x = 0)")


def test_learned_positions_add_the_rows_of_the_given_positions():
    emb = LearnedPositionalEmbedding(10, 4).double()
    with torch.no_grad():
        emb.weight.copy_(_randn(10, 4, seed=1))
    w = emb.weight.detach()
    x = _randn(2, 5, 4, seed=2)
    assert_close(emb(x), x + w[:5], **TIGHT, what="forward(x of shape (2, 5, 4)) with no positions",
                 oracle="x + weight[arange(T)]")
    pos = torch.tensor([9, 0, 4, 4, 2])
    assert_close(emb(x, pos), x + w[pos], **TIGHT, what="forward(x, positions [9, 0, 4, 4, 2])",
                 oracle="x + weight[positions]", hint="use token_positions when given")
    pos2 = torch.tensor([[3, 4, 5, 6, 7], [0, 0, 1, 1, 9]])
    assert_close(emb(x, pos2), x + w[pos2], **TIGHT, what="forward(x, positions of shape (2, 5))",
                 oracle="x + weight[positions] per batch row")


def test_learned_positions_gradient_reaches_only_used_rows():
    emb = LearnedPositionalEmbedding(8, 3).double()
    x = _randn(2, 4, 3, seed=3)
    pos = torch.tensor([[1, 1, 5, 2], [1, 6, 5, 0]])
    up = _randn(2, 4, 3, seed=4)
    (emb(x, pos) * up).sum().backward()
    expected = torch.zeros(8, 3, dtype=F64).index_add_(0, pos.reshape(-1), up.reshape(-1, 3))
    assert_close(emb.weight.grad, expected, **TIGHT,
                 what="weight.grad after forward(x, positions) and backward",
                 oracle="index_add of the upstream gradients (repeated positions accumulate)",
                 hint="rows 3, 4, 7 are never used and get zero gradient; a position used twice "
                      "gets the sum of both gradients")


def test_learned_positions_reject_out_of_range():
    """Learned positions reject positions out of range."""
    emb = LearnedPositionalEmbedding(4, 2)
    with pytest.raises(ValueError):
        emb(torch.zeros(1, 5, 2))                       # T = 5 > max_len = 4
    with pytest.raises(ValueError):
        emb(torch.zeros(1, 2, 2), torch.tensor([0, 4]))
    with pytest.raises(ValueError):
        emb(torch.zeros(1, 2, 2), torch.tensor([-1, 0]))


# --------------------------------------------------------------------------------------------
# Relative positions, Shaw
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("q_len", "k_len"), [(4, 4), (2, 5), (1, 6)])
def test_relative_positions_key_minus_query(q_len, k_len):
    """Relative positions are the key index minus the query index."""
    assert_equal(relative_positions(q_len, k_len), _rel_oracle(q_len, k_len),
                 what=f"relative_positions({q_len}, {k_len})",
                 oracle="rel[i, j] = j - (k_len - q_len + i)",
                 hint="key minus query, and the queries are the LAST q_len positions")


def test_shaw_embedding_clips_distances():
    torch.manual_seed(0)
    mod = ShawRelativeEmbedding(2, 3).double()
    assert tuple(mod.weight.shape) == (5, 3), (
        f"ShawRelativeEmbedding(2, 3).weight: expected shape (5, 3), got {tuple(mod.weight.shape)}")
    w = mod.weight.detach()
    rel = _rel_oracle(3, 6)
    expected = torch.stack([torch.stack([w[min(max(r, -2), 2) + 2] for r in row]) for row in rel])
    assert_close(mod(3, 6), expected, **TIGHT, what="ShawRelativeEmbedding(2, 3)(3, 6)",
                 oracle="weight[clip(j - i, -2, 2) + 2] with query positions 3, 4, 5",
                 hint="clip to [-max_distance, max_distance], then shift by max_distance")


def _shaw_oracle(q, k, v, rel_k, rel_v, causal):
    B, nh, Tq, d = q.shape
    Tk = k.shape[2]
    out = torch.zeros(B, nh, Tq, d, dtype=F64)
    for b in range(B):
        for h in range(nh):
            for i in range(Tq):
                e = []
                for j in range(Tk):
                    if causal and j > Tk - Tq + i:
                        e.append(-math.inf)
                    else:
                        e.append(float(q[b, h, i] @ (k[b, h, j] + rel_k[i, j])) / math.sqrt(d))
                m = max(e)
                a = [math.exp(x - m) for x in e]
                total = sum(a)
                for j in range(Tk):
                    val = v[b, h, j] + (rel_v[i, j] if rel_v is not None else 0)
                    out[b, h, i] += a[j] / total * val
    return out


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("with_rel_v", [True, False])
def test_shaw_attention_matches_the_equations(causal, with_rel_v):
    q, k, v = _randn(2, 2, 3, 4, seed=5), _randn(2, 2, 5, 4, seed=6), _randn(2, 2, 5, 4, seed=7)
    rel_k = _randn(3, 5, 4, seed=8)
    rel_v = _randn(3, 5, 4, seed=9) if with_rel_v else None
    got = shaw_attention(q, k, v, rel_k, rel_v, causal=causal)
    assert_close(got, _shaw_oracle(q, k, v, rel_k, rel_v, causal), rtol=1e-9, atol=1e-10,
                 what=f"shaw_attention(T_q=3, T_k=5, rel_v={'given' if with_rel_v else None}, "
                      f"causal={causal})",
                 oracle="Shaw et al. eqs. 3-4 written as loops",
                 hint="e_ij = q_i.(k_j + a^K_ij)/sqrt(d), z_i = sum_j alpha_ij (v_j + a^V_ij); "
                      "with causal, the queries are the last T_q positions")


def test_shaw_attention_without_relative_terms_is_plain_attention():
    q, k, v = _randn(1, 3, 4, 8, seed=10), _randn(1, 3, 6, 8, seed=11), _randn(1, 3, 6, 8, seed=12)
    zeros = torch.zeros(4, 6, 8, dtype=F64)
    allowed = torch.tensor(_rel_oracle(4, 6)) <= 0
    for causal in (False, True):
        expected = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed if causal else None)
        assert_close(shaw_attention(q, k, v, zeros, zeros, causal=causal), expected,
                     rtol=1e-9, atol=1e-10,
                     what=f"shaw_attention with zero relative embeddings, causal={causal}",
                     oracle="torch.nn.functional.scaled_dot_product_attention",
                     hint="scale by sqrt(d); the causal mask hides keys after the query's "
                          "position k_len - q_len + i")


# --------------------------------------------------------------------------------------------
# T5 buckets and bias
# --------------------------------------------------------------------------------------------

T5_CONFIGS = [(32, 128), (8, 20), (16, 64), (10, 37)]


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize(("num_buckets", "max_distance"), T5_CONFIGS)
def test_t5_buckets_match_formula(bidirectional, num_buckets, max_distance):
    rel = torch.arange(-300, 301).reshape(1, 601)
    got = t5_relative_position_bucket(rel, bidirectional, num_buckets, max_distance)
    expected = [[t5_bucket(r, bidirectional, num_buckets, max_distance) for r in rel[0].tolist()]]
    assert_equal(got, expected,
                 what=f"t5_relative_position_bucket(-300..300, bidirectional={bidirectional}, "
                      f"num_buckets={num_buckets}, max_distance={max_distance})",
                 oracle="T5's bucket formula",
                 hint="positive relative positions (keys after the query) get the upper half "
                      "when bidirectional and bucket 0 when causal; exact buckets while "
                      "n < max_exact; log buckets capped at N - 1")


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize(("num_buckets", "max_distance"), T5_CONFIGS)
def test_t5_buckets_match_transformers(bidirectional, num_buckets, max_distance):
    t5 = pytest.importorskip("transformers.models.t5.modeling_t5")
    rel = torch.arange(-300, 302).reshape(7, 86)
    expected = t5.T5Attention._relative_position_bucket(rel, bidirectional, num_buckets,
                                                        max_distance)
    assert_equal(t5_relative_position_bucket(rel, bidirectional, num_buckets, max_distance),
                 expected, what=f"T5 buckets (bidirectional={bidirectional}, "
                                f"num_buckets={num_buckets}, max_distance={max_distance})",
                 oracle="transformers T5Attention._relative_position_bucket")


def test_t5_bias_layout_and_values():
    """The T5 bias has the documented layout and values."""
    torch.manual_seed(0)
    mod = T5RelativeBias(3, num_buckets=8, max_distance=20, bidirectional=True).double()
    assert tuple(mod.weight.shape) == (8, 3), (
        f"T5RelativeBias(3, num_buckets=8).weight: expected (num_buckets, num_heads) = (8, 3), "
        f"got {tuple(mod.weight.shape)}")
    w = mod.weight.detach()
    for q_len, k_len in ((5, 5), (2, 30)):
        rel = _rel_oracle(q_len, k_len)
        expected = torch.tensor([[[float(w[t5_bucket(r, True, 8, 20), h]) for r in row]
                                  for row in rel] for h in range(3)], dtype=F64)
        assert_close(mod(q_len, k_len), expected, **TIGHT,
                     what=f"T5RelativeBias(3, 8, 20)({q_len}, {k_len})",
                     oracle="weight[bucket(j - i), h] with the queries last",
                     hint="output is (num_heads, q_len, k_len): weight is (buckets, heads), "
                          "so move the head axis first")


@pytest.mark.parametrize("bidirectional", [True, False])
def test_t5_bias_matches_transformers_compute_bias(bidirectional):
    """The T5 bias matches compute_bias of transformers."""
    transformers = pytest.importorskip("transformers")
    from transformers.models.t5.modeling_t5 import T5Attention

    cfg = transformers.T5Config(d_model=8, d_kv=4, num_heads=2, relative_attention_num_buckets=16,
                                relative_attention_max_distance=40, is_decoder=not bidirectional)
    ref = T5Attention(cfg, has_relative_attention_bias=True).double()
    mine = T5RelativeBias(2, 16, 40, bidirectional).double()
    with torch.no_grad():
        mine.weight.copy_(ref.relative_attention_bias.weight)
    expected = ref.compute_bias(3, 50, past_seen_tokens=47)[0]
    assert_close(mine(3, 50), expected, **TIGHT,
                 what=f"T5RelativeBias(2, 16, 40, bidirectional={bidirectional})(3, 50)",
                 oracle="transformers T5Attention.compute_bias with the same weights")


def test_t5_causal_bias_depends_only_on_offset():
    mod = T5RelativeBias(2, num_buckets=8, max_distance=16, bidirectional=False)
    bias = mod(6, 6).detach()
    for off in range(-5, 6):
        diag = torch.diagonal(bias, offset=off, dim1=1, dim2=2)
        assert torch.equal(diag, diag[:, :1].expand_as(diag)), (
            f"T5 bias along the diagonal j - i = {off} is not constant: a relative bias must "
            "depend only on j - i")
    assert torch.equal(bias[:, 0, 1:], bias[:, 0, 1:2].expand(2, 5)), (
        "causal T5 bias: every key after the query shares bucket 0")


# --------------------------------------------------------------------------------------------
# RoPE
# --------------------------------------------------------------------------------------------

def _rope_oracle(x, positions, theta=10000.0):
    """RoPE as complex multiplication of adjacent pairs."""
    d = x.shape[-1]
    pairs = torch.view_as_complex(x.to(F64).reshape(*x.shape[:-1], d // 2, 2).contiguous())
    freqs = theta ** (-torch.arange(0, d, 2, dtype=F64) / d)
    angle = positions.to(F64)[..., None] * freqs
    out = torch.view_as_real(pairs * torch.polar(torch.ones_like(angle), angle))
    return out.reshape(*pairs.shape[:-1], d)


def _rope_half_split(x, positions, theta=10000.0):
    """The GPT-NeoX pairing (i, i + d/2): the convention apply_rope must NOT use."""
    d = x.shape[-1]
    freqs = theta ** (-torch.arange(0, d, 2, dtype=F64) / d)
    angle = positions.to(F64)[..., None] * freqs
    cos, sin = torch.cat((torch.cos(angle),) * 2, -1), torch.cat((torch.sin(angle),) * 2, -1)
    rotated = torch.cat((-x[..., d // 2:], x[..., : d // 2]), dim=-1)
    return x * cos + rotated * sin


RULE_HINT = ("pairs are ADJACENT features (x[2i], x[2i+1]) rotated by p * theta^(-2i/d), as in "
             "LLaMA's complex form; use token_positions as given")


def test_rope_matches_complex_form_with_positions_of_shape_t():
    """RoPE matches the complex form with positions of shape (T,)."""
    x = _randn(2, 2, 6, 10, seed=20)
    pos = torch.tensor([3, 1, 4, 1, 5, 900])
    assert_close(apply_rope(x, pos), _rope_oracle(x, pos), **TIGHT,
                 what="apply_rope(x of shape (2, 2, 6, 10), positions [3, 1, 4, 1, 5, 900])",
                 oracle="complex multiplication by exp(1j p theta^(-2i/d))", hint=RULE_HINT)


def test_rope_uses_token_positions_not_arange():
    x = _randn(1, 1, 4, 8, seed=21)
    pos = torch.tensor([10, 20, 30, 40])
    ignored = _rope_oracle(x, torch.arange(4))
    got = apply_rope(x, pos)
    same = torch.allclose(got, ignored, atol=1e-6)
    assert not same, (
        "apply_rope(x, positions [10, 20, 30, 40]) equals RoPE at positions 0, 1, 2, 3: "
        "token_positions is ignored. Hint: rotate by the given positions, not arange(T).")
    assert_close(got, _rope_oracle(x, pos), **TIGHT, what="apply_rope at positions 10..40",
                 oracle="complex form", hint=RULE_HINT)


def test_rope_pairs_adjacent_features_not_halves():
    x = _randn(3, 5, 8, seed=22)
    pos = torch.arange(5) * 3 + 1
    got = apply_rope(x, pos)
    same = torch.allclose(got, _rope_half_split(x, pos), atol=1e-6)
    assert not same, (
        "apply_rope pairs feature i with feature i + d/2 (GPT-NeoX / rotate_half): this module "
        "documents the INTERLEAVED pairing (2i, 2i+1) of LLaMA's complex form.")
    assert_close(got, _rope_oracle(x, pos), **TIGHT, what="apply_rope on x of shape (3, 5, 8)",
                 oracle="complex form with adjacent pairs", hint=RULE_HINT)


def test_rope_theta_argument():
    """RoPE uses its theta argument."""
    x = _randn(4, 6, seed=23)
    pos = torch.tensor([0, 2, 7, 11])
    assert_close(apply_rope(x, pos, theta=500.0), _rope_oracle(x, pos, 500.0), **TIGHT,
                 what="apply_rope(x, positions, theta=500)", oracle="complex form, theta 500",
                 hint="frequencies are theta ** (-2i / d): use the theta argument")


def test_rope_relative_property_and_norm():
    """RoPE scores depend only on relative position, and rotation keeps norms."""
    q, k = _randn(16, seed=24), _randn(16, seed=25)
    pairs = [(3, 1), (10, 8), (102, 100), (2, 0)]         # every m - n = 2
    dots = []
    for m, n in pairs:
        rq = apply_rope(q[None], torch.tensor([m]))[0]
        rk = apply_rope(k[None], torch.tensor([n]))[0]
        dots.append(float(rq @ rk))
        assert_close(rq.norm(), q.norm(), **TIGHT, what=f"|R_{m} q|", oracle="|q| (a rotation)")
    assert_close(dots, [dots[-1]] * len(dots), rtol=1e-9, atol=1e-9,
                 what="<R_m q, R_n k> for (m, n) in (3, 1), (10, 8), (102, 100), (2, 0)",
                 oracle="RoPE's relative property: depends only on m - n = 2",
                 hint="rotate both q and k with the same frequencies, by their own positions")
    other = float(apply_rope(q[None], torch.tensor([5]))[0] @ apply_rope(k[None],
                                                                         torch.tensor([0]))[0])
    assert abs(other - dots[0]) > 1e-6, "<R_m q, R_n k> should change when m - n changes"


def test_rope_position_zero_is_identity_and_float32_keeps_dtype():
    """RoPE at position zero is the identity, and float32 input stays float32."""
    x = _randn(2, 3, 4, seed=26, dtype=torch.float32)
    assert_close(apply_rope(x, torch.zeros(3, dtype=torch.long)), x,
                 what="apply_rope at position 0", oracle="the identity (angle 0)")
    pos = torch.tensor([1, 17, 60])
    got = apply_rope(x, pos)
    assert got.dtype == torch.float32, f"apply_rope on float32 returned {got.dtype}"
    assert_close(got, _rope_oracle(x, pos), rtol=1e-5, atol=1e-5,
                 what="apply_rope on float32 x", oracle="complex form in float64")


def test_rope_rejects_odd_dimension():
    with pytest.raises(ValueError):
        apply_rope(torch.zeros(2, 5), torch.arange(2))


def test_rope_matches_transformers_llama_after_permuting_features():
    transformers = pytest.importorskip("transformers")
    from transformers.models.llama import modeling_llama as ml

    d, theta = 8, 10000.0
    cfg = transformers.LlamaConfig(hidden_size=16, num_attention_heads=2, head_dim=d,
                                   rope_theta=theta)
    rotary = ml.LlamaRotaryEmbedding(cfg)
    x = _randn(2, 2, 5, d, seed=27, dtype=torch.float32)
    pos = torch.tensor([[4, 0, 9, 2, 2], [30, 31, 1, 0, 7]])
    cos, sin = rotary(x, pos)
    # LLaMA's HF port pairs i with i + d/2; interleaved pairs become halves under this permutation.
    perm = torch.cat((torch.arange(0, d, 2), torch.arange(1, d, 2)))
    inv = torch.argsort(perm)
    ref_q, _ = ml.apply_rotary_pos_emb(x[..., perm], x[..., perm], cos, sin)
    assert_close(apply_rope(x, pos[:, None, :]), ref_q[..., inv], rtol=1e-5, atol=1e-5,
                 what="apply_rope(x of shape (2, 2, 5, 8), positions of shape (2, 1, 5))",
                 oracle="transformers LLaMA apply_rotary_pos_emb on de-interleaved features",
                 hint=RULE_HINT)


# --------------------------------------------------------------------------------------------
# ALiBi
# --------------------------------------------------------------------------------------------

def _alibi_slopes_oracle(n):
    """The ALiBi paper's reference get_slopes, written out again."""
    def power_of_2(n):
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start ** i for i in range(n)]
    if math.log2(n).is_integer():
        return power_of_2(n)
    closest = 2 ** math.floor(math.log2(n))
    return power_of_2(closest) + _alibi_slopes_oracle(2 * closest)[0::2][: n - closest]


@pytest.mark.parametrize("n", [1, 2, 4, 8, 16, 3, 6, 12, 20, 24])
def test_alibi_slopes_match_paper_formula(n):
    assert_close(alibi_slopes(n), _alibi_slopes_oracle(n), rtol=1e-12, atol=0,
                 what=f"alibi_slopes({n})",
                 oracle="the ALiBi paper's get_slopes (with its interpolation rule)",
                 hint="for n not a power of two: the P slopes of P = 2^floor(log2 n) heads, "
                      "then the even-indexed slopes of 2P heads, n - P of them")


def test_alibi_slopes_for_twelve_heads():
    """ALiBi slopes are right for twelve heads."""
    expected = [2.0 ** -k for k in range(1, 9)] + [2.0 ** -(k + 0.5) for k in range(4)]
    assert_close(alibi_slopes(12), expected, rtol=1e-12, atol=0, what="alibi_slopes(12)",
                 oracle="1/2 .. 1/256, then 2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5",
                 hint="interpolate with every other slope of 16 heads, not a geometric "
                      "sequence with ratio 2^(-8/12)")


def test_alibi_slopes_match_transformers_bloom():
    """ALiBi slopes match BLOOM's in transformers."""
    bloom = pytest.importorskip("transformers.models.bloom.modeling_bloom")
    for n in (8, 12, 6):
        alibi = bloom.build_alibi_tensor(torch.ones(1, 2), n, torch.float64)  # (nh, 1, 2)
        assert_close(alibi_slopes(n), alibi[:, 0, 1], rtol=1e-6, atol=0,
                     what=f"alibi_slopes({n})", oracle="transformers BLOOM build_alibi_tensor")


@pytest.mark.parametrize("causal", [False, True])
def test_alibi_bias_matrix(causal):
    """The ALiBi bias matrix matches its definition."""
    n, q_len, k_len = 6, 3, 7
    slopes = _alibi_slopes_oracle(n)
    rel = _rel_oracle(q_len, k_len)
    expected = [[[(-math.inf if causal and r > 0 else m * r) for r in row] for row in rel]
                for m in slopes]
    assert_close(alibi_bias(n, q_len, k_len, causal=causal), expected, rtol=1e-12, atol=0,
                 what=f"alibi_bias({n}, {q_len}, {k_len}, causal={causal})",
                 oracle="bias[h, i, j] = -m_h (query position - key position)",
                 hint="queries are the last q_len positions; 0 on the diagonal, negative into "
                      "the past; -inf after the query only when causal")


def test_alibi_softmax_matches_bloom():
    """Softmax with the ALiBi bias matches BLOOM."""
    bloom = pytest.importorskip("transformers.models.bloom.modeling_bloom")
    n, T = 4, 6
    scores = _randn(n, T, T, seed=30)
    allowed = torch.tensor(_rel_oracle(T, T)) <= 0
    ref_bias = bloom.build_alibi_tensor(torch.ones(1, T), n, F64)         # (nh, 1, T): m * j
    expected = torch.softmax((scores + ref_bias).masked_fill(~allowed, -math.inf), -1)
    got = torch.softmax(scores + alibi_bias(n, T, T, causal=True), -1)
    assert_close(got, expected, rtol=1e-9, atol=1e-12,
                 what="softmax(scores + alibi_bias(4, 6, 6, causal=True))",
                 oracle="BLOOM's alibi (m * j, equal after softmax) with a causal mask")
