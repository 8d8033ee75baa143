"""Hidden tests for phase3.kv_cache.

Oracles: a forward pass written in this file from torch.nn.functional (layer_norm, linear,
scaled_dot_product_attention with is_causal, gelu) reading the model's documented parameters;
a greedy loop over that reference forward; invariants of a causal model (logits with the KV
cache equal logits without it at every step, whatever the chunking of the prompt); the cache's
documented protocol (shapes, append, advance, reset); counts of the tokens that pass through
the embedding (cached decoding embeds each token once; streaming is lazy).
"""

import pytest
import torch
import torch.nn.functional as F

from phase3.kv_cache import DecoderLM, KVCache, generate, stream
from shared import assert_close, assert_equal

F64 = torch.float64
TOL = {"rtol": 1e-10, "atol": 1e-10}
CONFIG = {"vocab_size": 31, "block_size": 40, "n_layer": 2, "n_head": 4, "n_embd": 16}
HS = CONFIG["n_embd"] // CONFIG["n_head"]
CACHE_HINT = ("the new tokens' keys and values go at positions [length, length + T_new) of the "
              "sequence axis (-2) of (B, nh, T_max, hs); new query i (position P + i) sees keys "
              "0..P + i: with a cache, is_causal=True aligns the mask wrongly")


def _model(seed=0, **overrides):
    torch.manual_seed(seed)
    model = DecoderLM(**{**CONFIG, **overrides}).to(F64).eval()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.4 * torch.randn(p.shape, generator=gen, dtype=F64))
    return model


def _tokens(b, t, seed, vocab=CONFIG["vocab_size"]):
    return torch.randint(0, vocab, (b, t), generator=torch.Generator().manual_seed(seed))


def _cache(b, max_len, model=None):
    n_layer = CONFIG["n_layer"] if model is None else model.n_layer
    return KVCache(n_layer, b, CONFIG["n_head"], max_len, HS, dtype=F64)


def _reference_logits(model, idx):
    """The documented architecture from torch.nn.functional, without any cache."""
    b, t = idx.shape
    c, nh = model.n_embd, model.n_head
    x = model.wte.weight[idx] + model.wpe.weight[:t]
    for blk in model.blocks:
        h = F.layer_norm(x, (c,), blk.ln_1.weight, blk.ln_1.bias, blk.ln_1.eps)
        q, k, v = F.linear(h, blk.attn.c_attn.weight, blk.attn.c_attn.bias).split(c, dim=2)
        q, k, v = (z.view(b, t, nh, c // nh).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        y = y.transpose(1, 2).reshape(b, t, c)
        x = x + F.linear(y, blk.attn.c_proj.weight, blk.attn.c_proj.bias)
        h = F.layer_norm(x, (c,), blk.ln_2.weight, blk.ln_2.bias, blk.ln_2.eps)
        h = F.gelu(F.linear(h, blk.mlp[0].weight, blk.mlp[0].bias))
        x = x + F.linear(h, blk.mlp[2].weight, blk.mlp[2].bias)
    x = F.layer_norm(x, (c,), model.ln_f.weight, model.ln_f.bias, model.ln_f.eps)
    return F.linear(x, model.lm_head.weight)


def _reference_greedy(model, idx, n):
    seq = idx
    with torch.no_grad():
        for _ in range(n):
            nxt = _reference_logits(model, seq)[:, -1].argmax(dim=-1)
            seq = torch.cat([seq, nxt[:, None]], dim=1)
    return seq


class EmbeddingCounter:
    """Counts forward calls of model.wte and the tokens they embed."""

    def __init__(self, model):
        self.calls, self.tokens = 0, 0
        self.handle = model.wte.register_forward_hook(self)

    def __call__(self, module, args, output):
        self.calls += 1
        self.tokens += args[0].numel()


# --------------------------------------------------------------------------------------------
# the model without a cache
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("b", "t"), [(1, 1), (2, 7), (3, 40)])
def test_forward_without_cache_matches_reference(b, t):
    """Forward without a cache matches the reference model."""
    model = _model(seed=1)
    idx = _tokens(b, t, seed=2)
    with torch.no_grad():
        got = model(idx)
    assert_close(got, _reference_logits(model, idx), **TOL,
                 what=f"DecoderLM(idx) without a cache, idx of shape ({b}, {t})",
                 oracle="the documented architecture built from torch.nn.functional",
                 hint="x = wte(idx) + wpe(positions); pre-norm blocks x + attn(ln_1(x)), "
                      "x + mlp(ln_2(x)); c_attn's output splits into q, k, v in that order; "
                      "then ln_f and lm_head")


def test_pos_offset_shifts_the_positions():
    """The position offset shifts the positions."""
    model = _model(seed=3)
    seq = _tokens(2, 9, seed=4)
    cache = _cache(2, 9)
    with torch.no_grad():
        model(seq[:, :8], cache, 0)
        got = model(seq[:, 8:], cache, 8)[:, -1]
    assert_close(got, _reference_logits(model, seq)[:, -1], **TOL,
                 what="logits of token 8 fed alone with pos_offset=8 after a prefill of 8",
                 oracle="the reference forward over all 9 tokens",
                 hint="positions are pos_offset .. pos_offset + T_new - 1, not 0 .. T_new - 1")


def test_forward_rejects_an_offset_that_does_not_continue_the_cache():
    model = _model()
    cache = _cache(1, 10)
    with torch.no_grad():
        model(_tokens(1, 4, seed=5), cache, 0)
        with pytest.raises(ValueError):
            model(_tokens(1, 1, seed=6), cache, 3)


def test_forward_rejects_positions_beyond_block_size():
    model = _model()
    with pytest.raises(ValueError):
        model(_tokens(1, 2, seed=7), None, CONFIG["block_size"] - 1)


# --------------------------------------------------------------------------------------------
# cached logits
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("b", [1, 3])
def test_cached_logits_equal_full_recompute_at_every_step(b):
    model = _model(seed=8)
    seq = _tokens(b, 30, seed=9)
    cache = _cache(b, 30)
    with torch.no_grad():
        got = model(seq[:, :3], cache, 0)
        assert_close(got, _reference_logits(model, seq[:, :3]), **TOL,
                     what=f"prefill logits (prompt of 3 tokens, B={b})",
                     oracle="the reference forward without a cache", hint=CACHE_HINT)
        for p in range(3, 30):
            got = model(seq[:, p:p + 1], cache, p)
            assert tuple(got.shape) == (b, 1, CONFIG["vocab_size"]), (
                f"decoding one token must return logits of shape (B, 1, vocab) = "
                f"({b}, 1, {CONFIG['vocab_size']}); got {tuple(got.shape)}")
            assert_close(got[:, -1], _reference_logits(model, seq[:, :p + 1])[:, -1], **TOL,
                         what=f"logits at position {p} decoded with the cache (B={b})",
                         oracle=f"the reference forward over positions 0..{p}", hint=CACHE_HINT)


@pytest.mark.parametrize("chunks", [(3, 1, 4, 2), (1, 1, 1, 7), (5, 5)])
def test_chunked_prefill_matches_full_forward(chunks):
    model = _model(seed=10)
    seq = _tokens(2, sum(chunks), seed=11)
    expected = _reference_logits(model, seq)
    cache = _cache(2, sum(chunks))
    start = 0
    with torch.no_grad():
        for n in chunks:
            got = model(seq[:, start:start + n], cache, start)
            assert_close(got, expected[:, start:start + n], **TOL,
                         what=f"logits of positions {start}..{start + n - 1} fed as one chunk "
                              f"after {start} cached positions (chunks {chunks})",
                         oracle="the reference forward over the whole sequence",
                         hint="within a chunk, new query i sees keys 0..P + i (P = cache "
                              "length before the chunk): the causal mask is aligned to the "
                              "bottom-right, not the top-left")
            start += n


# --------------------------------------------------------------------------------------------
# the cache itself
# --------------------------------------------------------------------------------------------


def test_cache_preallocates_buffers_of_the_documented_shape():
    cache = KVCache(3, 2, 4, 11, 5, dtype=F64)
    assert cache.length == 0 and cache.max_len == 11, (
        f"a new KVCache must have length 0 and max_len 11; got {cache.length}, {cache.max_len}")
    assert len(cache.k) == 3 and len(cache.v) == 3, "k and v must be lists of n_layer=3 tensors"
    for name, bufs in (("k", cache.k), ("v", cache.v)):
        for t in bufs:
            assert tuple(t.shape) == (2, 4, 11, 5) and t.dtype == F64, (
                f"cache.{name}[layer] must be (B, nh, max_len, hs) = (2, 4, 11, 5) float64; "
                f"got {tuple(t.shape)} {t.dtype}")


def test_append_returns_old_then_new_entries_on_the_sequence_axis():
    gen = torch.Generator().manual_seed(12)
    cache = KVCache(2, 2, 3, 8, 4, dtype=F64)
    k1, v1 = torch.randn(2, 3, 2, 4, generator=gen, dtype=F64), torch.randn(2, 3, 2, 4,
                                                                             generator=gen,
                                                                             dtype=F64)
    k2, v2 = torch.randn(2, 3, 3, 4, generator=gen, dtype=F64), torch.randn(2, 3, 3, 4,
                                                                             generator=gen,
                                                                             dtype=F64)
    cache.append(1, k1, v1)
    assert cache.length == 0, "append must not change length (advance does, once per pass)"
    cache.advance(2)
    keys, values = cache.append(1, k2, v2)
    assert cache.length == 2, f"after advance(2), length must be 2; got {cache.length}"
    hint = "write at [length, length + T_new) along axis -2 and return positions [0, that end)"
    assert_equal(keys, torch.cat([k1, k2], dim=2), what="keys returned by the second append",
                 oracle="torch.cat of the two appended blocks along the sequence axis", hint=hint)
    assert_equal(values, torch.cat([v1, v2], dim=2), what="values returned by the second append",
                 oracle="torch.cat of the two appended blocks along the sequence axis", hint=hint)
    assert_equal(cache.k[0], torch.zeros(2, 3, 8, 4, dtype=F64),
                 what="layer 0's keys after appending only to layer 1",
                 oracle="zeros: layer 0 was never written", hint="index the buffers by layer")


def test_append_beyond_capacity_raises_value_error():
    cache = KVCache(1, 1, 2, 4, 3, dtype=F64)
    cache.append(0, torch.zeros(1, 2, 3, 3, dtype=F64), torch.zeros(1, 2, 3, 3, dtype=F64))
    cache.advance(3)
    with pytest.raises(ValueError):
        cache.append(0, torch.zeros(1, 2, 2, 3, dtype=F64), torch.zeros(1, 2, 2, 3, dtype=F64))


def test_length_grows_by_the_number_of_tokens_fed():
    model = _model(seed=13)
    cache = _cache(1, 12)
    with torch.no_grad():
        model(_tokens(1, 5, seed=14), cache, 0)
        assert cache.length == 5, (
            f"after a prefill of 5 tokens, length must be 5; got {cache.length}")
        for step in range(3):
            model(_tokens(1, 1, seed=15 + step), cache, cache.length)
            assert cache.length == 6 + step, (
                f"each decoded token must advance length by exactly one (once per forward, not "
                f"once per layer); expected {6 + step}, got {cache.length}")


def test_reset_allows_reuse_for_a_new_sequence():
    model = _model(seed=16)
    cache = _cache(2, 10)
    first, second = _tokens(2, 10, seed=17), _tokens(2, 6, seed=18)
    with torch.no_grad():
        model(first, cache, 0)
        cache.reset()
        assert cache.length == 0, f"after reset, length must be 0; got {cache.length}"
        got = model(second[:, :4], cache, 0)
        got_next = model(second[:, 4:6], cache, 4)
    expected = _reference_logits(model, second)
    assert_close(torch.cat([got, got_next], dim=1), expected, **TOL,
                 what="logits of a new sequence after cache.reset()",
                 oracle="the reference forward over the new sequence",
                 hint="reset must forget every cached position: length = 0")


# --------------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("use_cache", [True, False])
@pytest.mark.parametrize(("b", "t", "n"), [(1, 1, 25), (2, 5, 20), (3, 10, 30)])
def test_generate_matches_reference_greedy_loop(b, t, n, use_cache):
    model = _model(seed=19 + t)
    prompt = _tokens(b, t, seed=20 + t)
    got = generate(model, prompt, n, use_cache=use_cache)
    assert got.dtype == torch.int64, f"generate must return int64 token ids; got {got.dtype}"
    assert_equal(got, _reference_greedy(model, prompt, n),
                 what=f"generate(use_cache={use_cache}) for a prompt of shape ({b}, {t}) and "
                      f"{n} new tokens", oracle="a greedy loop over the reference forward",
                 hint="the prompt, then each step's argmax of the LAST position's logits; "
                      + ("advance the offset by one per token" if use_cache
                         else "re-run the model over the whole sequence each step"))


def test_generate_twice_does_not_reuse_a_stale_cache():
    model = _model(seed=21)
    a, b = _tokens(2, 6, seed=22), _tokens(2, 3, seed=23)
    generate(model, a, 12)
    got = generate(model, b, 15)
    assert_equal(got, _reference_greedy(model, b, 15),
                 what="a second generate call (after one on another prompt)",
                 oracle="a greedy loop over the reference forward",
                 hint="each call starts from an empty cache (a new one, or reset)")


def test_generate_with_no_new_tokens_returns_the_prompt():
    model = _model()
    prompt = _tokens(2, 4, seed=24)
    assert_equal(generate(model, prompt, 0), prompt, what="generate(model, prompt, 0)",
                 oracle="the prompt itself", hint="max_new_tokens = 0 adds nothing")


def test_generate_beyond_block_size_raises_value_error():
    model = _model()
    with pytest.raises(ValueError):
        generate(model, _tokens(1, 30, seed=25), CONFIG["block_size"] - 29)


def test_cached_generation_embeds_each_token_once():
    model = _model(seed=26)
    prompt = _tokens(2, 7, seed=27)
    counter = EmbeddingCounter(model)
    generate(model, prompt, 20, use_cache=True)
    counter.handle.remove()
    # The prompt once (2 x 7 ids), then one id per row per step: 2 x 19 (or 2 x 20 if the last
    # token is fed back too).
    assert counter.tokens <= 2 * (7 + 20), (
        f"generate(use_cache=True) with a prompt of 7 tokens (B=2) and 20 new tokens embedded "
        f"{counter.tokens} token ids; with a KV cache each token passes through the model once: "
        f"at most {2 * (7 + 20)}. Feed only the token just chosen, not the whole prefix")


# --------------------------------------------------------------------------------------------
# streaming
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("use_cache", [True, False])
def test_stream_yields_what_generate_returns(use_cache):
    model = _model(seed=28)
    prompt = _tokens(2, 5, seed=29)
    tokens = list(stream(model, prompt, 18, use_cache=use_cache))
    assert len(tokens) == 18 and all(tuple(t.shape) == (2,) for t in tokens), (
        "stream must yield max_new_tokens=18 tensors of shape (B,) = (2,); got "
        f"{[tuple(t.shape) for t in tokens]}")
    assert_equal(torch.stack(tokens, dim=1), _reference_greedy(model, prompt, 18)[:, 5:],
                 what=f"tokens yielded by stream(use_cache={use_cache})",
                 oracle="a greedy loop over the reference forward", hint="greedy: argmax")


@pytest.mark.parametrize("use_cache", [True, False])
def test_stream_is_lazy(use_cache):
    model = _model(seed=30)
    counter = EmbeddingCounter(model)
    gen = stream(model, _tokens(1, 4, seed=31), 20, use_cache=use_cache)
    assert counter.calls == 0, "calling stream(...) must not run the model before next()"
    next(gen)
    assert counter.calls == 1, (
        f"the first next() on stream(...) ran the model {counter.calls} times; a streaming "
        "generator runs it once per token (the prefill counts as one) and yields at once")
    for _ in range(3):
        next(gen)
    assert counter.calls <= 4, (
        f"four next() calls ran the model {counter.calls} times; expected at most 4")
    counter.handle.remove()


def test_larger_model_cached_and_uncached_agree():
    """Cached and uncached runs of a larger model agree."""
    model = _model(seed=32, n_layer=3, n_embd=24, n_head=3, vocab_size=50)
    prompt = _tokens(2, 3, seed=33, vocab=50)
    kv = KVCache(3, 2, 3, 11, 8, dtype=F64)
    seq = _tokens(2, 11, seed=34, vocab=50)
    with torch.no_grad():
        model(seq[:, :3], kv, 0)
        for p in range(3, 11):
            got = model(seq[:, p:p + 1], kv, p)[:, -1]
            assert_close(got, model(seq[:, :p + 1])[:, -1], **TOL,
                         what=f"logits at position {p} with the cache, 3 layers, 3 heads of 8",
                         oracle="the same model without a cache", hint=CACHE_HINT)
    assert_equal(generate(model, prompt, 8, True), generate(model, prompt, 8, False),
                 what="generate with and without the cache (3 layers, 3 heads)",
                 oracle="generate(use_cache=False)", hint=CACHE_HINT)
