"""Public smoke tests for phase3.gpt (the grader also runs hidden tests).

Oracles: the causality invariant (changing a later token leaves earlier logits unchanged), the
parameter count of the built model (sum of p.numel()) and GPT-2 small's published 124,439,808,
hand-worked top-p cases, and torch.argmax.
"""

import torch

from phase3.gpt import GPT, GPTConfig, num_parameters, sample_next, top_p_logits
from shared import assert_close, assert_equal, forbidden

SDPA = ("torch.nn.functional.scaled_dot_product_attention",
        "torch.nn.functional.multi_head_attention_forward")


def test_changing_a_later_token_leaves_earlier_logits_unchanged():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16)).double()
    model.eval()
    idx = torch.randint(0, 11, (2, 7), generator=torch.Generator().manual_seed(1))
    changed = idx.clone()
    changed[:, 4] = (changed[:, 4] + 3) % 11  # change token 4 only
    with forbidden(*SDPA, by="phase3.gpt.GPT.forward"):
        logits, _ = model(idx)
        logits2, _ = model(changed)
    assert_close(logits2[:, :4], logits[:, :4], rtol=1e-10, atol=1e-10,
                 what="logits at positions 0..3 after changing token 4 (B=2, T=7)",
                 oracle="the logits before the change (causality: position t sees tokens <= t)",
                 hint="mask the scores of keys s > t with -inf before the softmax (triu with "
                      "diagonal=1), not after it, and not s >= t + 2")
    assert (logits2[:, 4] - logits[:, 4]).abs().max() > 1e-6, (
        "changing token 4 did not change the logits at position 4: position t must see itself")


def test_parameter_count_formula_matches_the_model_and_gpt2_small():
    config = GPTConfig(vocab_size=37, block_size=12, n_layer=3, n_head=2, n_embd=8)
    torch.manual_seed(0)
    model = GPT(config)
    counted = sum(p.numel() for p in model.parameters())  # a shared Parameter counts once
    assert_equal(num_parameters(config), counted, what="num_parameters(V=37, block 12, L=3, C=8)",
                 oracle="sum(p.numel() for p in GPT(config).parameters())",
                 hint="per block: two LayerNorms (2C each), c_attn 3C^2 + 3C, attn.c_proj "
                      "C^2 + C, c_fc 4C^2 + 4C, mlp.c_proj 4C^2 + C; the tied head adds nothing")
    gpt2 = GPTConfig(vocab_size=50257, block_size=1024, n_layer=12, n_head=12, n_embd=768)
    assert_equal(num_parameters(gpt2), 124_439_808, what="num_parameters(GPT-2 small)",
                 oracle="GPT-2 small's parameter count with tied embeddings",
                 hint="count the token table once (lm_head shares it) and keep the position "
                      "table and ln_f")


def test_top_p_keeps_the_token_that_crosses_the_threshold():
    probs = torch.tensor([[0.1, 0.5, 0.15, 0.25]], dtype=torch.float64)
    logits = probs.log()
    for p, kept in [(0.4, [1]), (0.6, [1, 3]), (0.8, [1, 2, 3]), (0.95, [0, 1, 2, 3])]:
        got = top_p_logits(logits, p)
        expected = torch.where(torch.isin(torch.arange(4), torch.tensor(kept)), logits,
                               torch.tensor(float("-inf"), dtype=torch.float64))
        assert_close(got, expected, what=f"top_p_logits(log {probs.tolist()[0]}, p={p})",
                     oracle=f"hand count: sorted 0.5, 0.25, 0.15, 0.1; keep ids {kept}",
                     hint="keep the token whose probability makes the running total reach p "
                          "(the crossing token), and every more probable token")


def test_temperature_zero_is_greedy_argmax():
    logits = torch.randn(5, 9, generator=torch.Generator().manual_seed(3))
    got = sample_next(logits, temperature=0.0, top_k=3, top_p=0.5)
    assert_equal(got, logits.argmax(dim=-1), what="sample_next(logits (5, 9), temperature=0)",
                 oracle="torch.argmax(logits, dim=-1)",
                 hint="temperature 0 means greedy: return the argmax of each row as int64 (B,)")
