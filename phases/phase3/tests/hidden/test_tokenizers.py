"""Hidden tests for phase3.tokenizers.

Oracles: round trips (decode(encode(s)) == s), vocabularies worked out by hand and from
collections.Counter over the documented split, invariance of the vocabulary under reordering
of the training texts, BERT's WordPiece examples and the `tokenizers` library's WordPiece model
(skipped if it is not installed), the defining property of greedy longest-match-first,
brute-force enumeration of every segmentation of short strings (Viterbi, expected counts, the
likelihood, pruning losses), closed forms on a hand case, and EM's monotone likelihood.
"""

import itertools
import math
import random
import re
from collections import Counter

import pytest
from phase3_testkit import segmentations

from phase3.tokenizers import (
    CharTokenizer,
    WordTokenizer,
    corpus_log_likelihood,
    prune_pieces,
    unigram_em_step,
    viterbi_segment,
    wordpiece_tokenize,
)
from shared import assert_close, assert_equal

SPLIT = re.compile(r"\w+|[^\w\s]")  # the split the WordTokenizer docstring documents


# --------------------------------------------------------------------------------------------
# CharTokenizer
# --------------------------------------------------------------------------------------------

CORPUS = "To be, or not to be: that is the question. Ça va? Ünïcödé ☃ 日本"


def test_char_vocab_is_unk_then_sorted_unique_characters():
    tok = CharTokenizer(CORPUS)
    expected = ["<unk>", *sorted(set(CORPUS))]
    assert tok.vocab == expected, (
        f"CharTokenizer vocab for a text with {len(set(CORPUS))} distinct characters: expected "
        f"['<unk>'] + sorted(set(text)) ({len(expected)} entries), got {len(tok.vocab)} "
        f"entries starting {tok.vocab[:6]}. Hint: each character once, in sorted order.")
    assert tok.unk_id == 0, f"unk_id must be 0, got {tok.unk_id}"
    assert tok.stoi == {t: i for i, t in enumerate(expected)}, (
        "stoi must be the inverse of vocab (token -> id).")


def test_char_vocab_does_not_depend_on_character_order():
    shuffled = list(CORPUS)
    random.Random(0).shuffle(shuffled)
    a, b = CharTokenizer(CORPUS), CharTokenizer("".join(shuffled))
    assert a.vocab == b.vocab, (
        "two texts with the same characters in a different order gave different vocabularies. "
        "Hint: sort the characters; do not keep first-appearance order.")


def test_char_round_trip_on_training_text_and_substrings():
    """The char tokenizer round-trips the training text and its substrings."""
    tok = CharTokenizer(CORPUS)
    gen = random.Random(1)
    for _ in range(20):
        i, j = sorted(gen.sample(range(len(CORPUS) + 1), 2))
        s = CORPUS[i:j]
        ids = tok.encode(s)
        assert all(isinstance(k, int) for k in ids), "encode must return a list of ints"
        assert tok.decode(ids) == s, f"decode(encode({s!r})) gave {tok.decode(ids)!r}"
    assert tok.decode(tok.encode(CORPUS)) == CORPUS, "round trip of the whole training text"


def test_char_unknown_characters_become_unk_not_dropped():
    """The char tokenizer maps unknown characters to unk instead of dropping them."""
    tok = CharTokenizer("abc")
    got = tok.encode("axbyc")
    assert_equal(got, [1, 0, 2, 0, 3], what="CharTokenizer('abc').encode('axbyc')",
                 oracle="vocab ['<unk>', 'a', 'b', 'c'] by hand",
                 hint="an unseen character maps to unk_id 0; it is never dropped")
    assert tok.decode(got) == "a<unk>b<unk>c", (
        f"decode of ids with unk_id: expected 'a<unk>b<unk>c', got {tok.decode(got)!r}")


# --------------------------------------------------------------------------------------------
# WordTokenizer
# --------------------------------------------------------------------------------------------

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "The dog barks; the fox runs!",
    "A quick dog, a lazy fox... and THE end.",
    "Dogs don't care: 42 dogs, 7 foxes.",
]


def _counts(texts):
    return Counter(t for text in texts for t in SPLIT.findall(text.lower()))


def test_word_tokenize_lowercases_and_splits_punctuation():
    tok = WordTokenizer(["x"])
    got = tok.tokenize("Hello, World!  It's 42...")
    expected = ["hello", ",", "world", "!", "it", "'", "s", "42", ".", ".", "."]
    assert got == expected, (
        f"tokenize('Hello, World!  It's 42...'): expected {expected}, got {got}. Hint: "
        "lower-case, then re.findall(r'\\w+|[^\\w\\s]'): every punctuation mark on its own.")


@pytest.mark.parametrize("min_freq", [1, 2, 3])
def test_word_vocab_is_specials_then_by_count_then_alphabetical(min_freq):
    tok = WordTokenizer(TEXTS, min_freq=min_freq)
    counts = _counts(TEXTS)
    words = sorted((w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w))
    expected = ["<pad>", "<unk>", *words]
    assert tok.vocab == expected, (
        f"WordTokenizer vocab with min_freq={min_freq}: expected {len(expected)} entries "
        f"{expected[:10]}..., got {len(tok.vocab)} entries {tok.vocab[:10]}... Hint: keep "
        "tokens with count >= min_freq, sort by (-count, token), after <pad> and <unk>.")
    assert (tok.pad_id, tok.unk_id) == (0, 1), "pad_id is 0 and unk_id is 1"
    assert tok.stoi == {t: i for i, t in enumerate(expected)}, "stoi is the inverse of vocab"


def test_word_vocab_does_not_depend_on_text_order():
    base = WordTokenizer(TEXTS, min_freq=1).vocab
    for perm in itertools.permutations(TEXTS):
        got = WordTokenizer(list(perm), min_freq=1).vocab
        assert got == base, (
            "the same texts in another order gave another vocabulary: ties in count must be "
            "broken alphabetically, not by first appearance or a set's order.")


def test_word_vocab_accepts_a_generator():
    tok = WordTokenizer((t for t in TEXTS), min_freq=2)
    counts = _counts(TEXTS)
    n = sum(c >= 2 for c in counts.values())
    assert len(tok.vocab) == n + 2, (
        f"vocab from a generator of texts: expected {n} words + 2 specials, got "
        f"{len(tok.vocab)}. Hint: iterate over `texts` once.")


def test_word_min_freq_sends_rare_words_to_unk():
    tok = WordTokenizer(TEXTS, min_freq=3)
    counts = _counts(TEXTS)
    text = "The lazy fox and the quick dogs jumps."
    toks = SPLIT.findall(text.lower())
    expected = [tok.vocab.index(t) if counts[t] >= 3 else 1 for t in toks]
    got = tok.encode(text)
    assert_equal(got, expected, what=f"encode({text!r}) with min_freq=3",
                 oracle="Counter over the documented split",
                 hint="a word seen fewer than min_freq times is <unk> (id 1); count >= min_freq "
                      "is kept")


def test_word_unknown_words_become_unk_not_dropped():
    """The word tokenizer maps unknown words to unk instead of dropping them."""
    tok = WordTokenizer(TEXTS)
    text = "the zebra and the unicorn"
    got = tok.encode(text)
    assert len(got) == 5, (
        f"encode({text!r}) must give one id per token (5), got {len(got)} ids {got}. "
        "Hint: unknown words map to unk_id; never drop them.")
    assert got[1] == tok.unk_id and got[4] == tok.unk_id, (
        f"'zebra' and 'unicorn' are unknown: expected unk_id 1 at positions 1 and 4, got {got}")
    assert tok.decode(got) == "the <unk> and the <unk>", (
        f"decode: expected 'the <unk> and the <unk>', got {tok.decode(got)!r}")


def test_word_round_trip_modulo_normalisation():
    """The word tokenizer round-trips text up to normalisation."""
    tok = WordTokenizer(TEXTS)
    for text in [*TEXTS, "THE FOX, the dog!"]:
        got = tok.decode(tok.encode(text))
        expected = " ".join(SPLIT.findall(text.lower()))
        assert got == expected, (
            f"decode(encode({text!r})): expected {expected!r}, got {got!r}. Hint: decode joins "
            "tokens with single spaces; every word here is in the vocabulary.")


# --------------------------------------------------------------------------------------------
# WordPiece
# --------------------------------------------------------------------------------------------

def _check_greedy_longest(word, pieces, vocab, unk="[UNK]"):
    """The defining property of greedy longest-match-first, checked on an output."""
    if pieces == [unk]:
        return
    assert "".join(p.removeprefix("##") for p in pieces) == word, (
        f"pieces {pieces} do not spell {word!r} once '##' is removed")
    assert not pieces[0].startswith("##") or word.startswith("##"), (
        f"{word!r} -> {pieces}: the first piece of a word has no '##'")
    start = 0
    for k, p in enumerate(pieces):
        body = p.removeprefix("##") if k else p
        assert k == 0 or p.startswith("##"), f"{word!r} -> {pieces}: piece {k} lacks '##'"
        assert p in vocab, f"{word!r} -> {pieces}: {p!r} is not in the vocabulary"
        for end in range(len(word), start + len(body), -1):
            longer = word[start:end] if k == 0 else "##" + word[start:end]
            assert longer not in vocab, (
                f"{word!r} -> {pieces}: at position {start} the longer match {longer!r} is in "
                f"the vocabulary but {p!r} was taken. Hint: longest match first.")
        start += len(body)


BERT_VOCAB = ["[UNK]", "un", "##aff", "##able", "aff", "able", "##un", "want", "##want",
              "##ed", "runn", "##ing", ",", "r", "##u", "##n", "a", "##a", "##b", "ab"]


@pytest.mark.parametrize("text,expected", [
    ("unwanted running", ["un", "##want", "##ed", "runn", "##ing"]),  # BERT's test case
    ("unwantedX running", ["[UNK]", "runn", "##ing"]),               # the whole word is UNK
    ("unun", ["un", "##un"]),
    ("aff able ab aab", ["aff", "able", "ab", "a", "##a", "##b"]),
    ("rnu", ["r", "##n", "##u"]),
    ("", []),
    ("  , \t\n", [","]),
])
def test_wordpiece_golden_cases(text, expected):
    """WordPiece splits a set of golden cases correctly."""
    got = wordpiece_tokenize(text, BERT_VOCAB)
    assert got == expected, (
        f"wordpiece_tokenize({text!r}): expected {expected}, got {got}. Hint: split on "
        "whitespace; per word, longest prefix in the vocabulary first, '##' on every piece but "
        "the first; a word with an unmatchable position is ONE [UNK].")


def test_wordpiece_unmatchable_word_is_a_single_unk():
    vocab = {"a", "##b", "[UNK]"}
    got = wordpiece_tokenize("ab abc a", vocab)
    assert got == ["a", "##b", "[UNK]", "a"], (
        f"wordpiece_tokenize('ab abc a') with vocab {sorted(vocab)}: expected "
        f"['a', '##b', '[UNK]', 'a'], got {got}. Hint: when some position of 'abc' cannot be "
        "matched, discard the pieces found so far and emit one unk_token for the whole word.")


def test_wordpiece_respects_unk_token_and_max_chars():
    """WordPiece uses its unk token and its maximum word length."""
    vocab = ["a", "##a"]
    got = wordpiece_tokenize("aaaa aaaaa b", vocab, unk_token="<oov>", max_input_chars_per_word=4)
    assert got == ["a", "##a", "##a", "##a", "<oov>", "<oov>"], (
        f"max_input_chars_per_word=4, unk_token='<oov>': expected a 4-letter word segmented and "
        f"a 5-letter word -> '<oov>', got {got}. Hint: only words LONGER than the limit are "
        "unknown; use the unk_token argument.")


def _random_wordpiece_case(seed):
    gen = random.Random(seed)
    letters = "abcd"
    vocab = {"[UNK]"}
    for _ in range(25):
        piece = "".join(gen.choice(letters) for _ in range(gen.randint(1, 4)))
        vocab.add(piece if gen.random() < 0.4 else "##" + piece)
    vocab |= {"a", "b", "##a", "##b", "##c"}  # most words segment; those with 'd' may not
    words = ["".join(gen.choice(letters) for _ in range(gen.randint(1, 9))) for _ in range(30)]
    return sorted(vocab), words


@pytest.mark.parametrize("seed", range(5))
def test_wordpiece_is_greedy_longest_match_first(seed):
    vocab, words = _random_wordpiece_case(seed)
    vset = set(vocab)
    for word in words:
        pieces = wordpiece_tokenize(word, vocab)
        _check_greedy_longest(word, pieces, vset)


@pytest.mark.parametrize("seed", range(5))
def test_wordpiece_matches_the_tokenizers_library(seed):
    tk = pytest.importorskip("tokenizers")
    vocab, words = _random_wordpiece_case(seed)
    model = tk.models.WordPiece(vocab={p: i for i, p in enumerate(vocab)}, unk_token="[UNK]",
                                max_input_chars_per_word=7)
    ref = tk.Tokenizer(model)
    ref.pre_tokenizer = tk.pre_tokenizers.WhitespaceSplit()
    text = " ".join(words)
    expected = ref.encode(text, add_special_tokens=False).tokens
    got = wordpiece_tokenize(text, vocab, max_input_chars_per_word=7)
    first = next((i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b),
                 min(len(got), len(expected)))
    assert got == expected, (
        f"wordpiece_tokenize on {len(words)} random words (max_input_chars_per_word=7) differs "
        f"from tokenizers.models.WordPiece; first difference at piece {first}: expected "
        f"{expected[first:first + 6]}, got {got[first:first + 6]}.")


# --------------------------------------------------------------------------------------------
# Unigram LM: brute-force helpers (exponential; short strings only)
# --------------------------------------------------------------------------------------------

def _score(seg, log_probs):
    return sum(log_probs[p] for p in seg)


def _brute_log_likelihood(word_counts, log_probs):
    total = 0.0
    for w, c in word_counts.items():
        segs = segmentations(w, log_probs)
        total += c * math.log(sum(math.exp(_score(s, log_probs)) for s in segs))
    return total


def _brute_em(word_counts, log_probs):
    """Expected piece counts by enumerating every segmentation, then normalise."""
    expected = Counter()
    for w, c in word_counts.items():
        segs = segmentations(w, log_probs)
        weights = [math.exp(_score(s, log_probs)) for s in segs]
        z = sum(weights)
        for s, wt in zip(segs, weights, strict=True):
            for p in s:
                expected[p] += c * wt / z
    total = sum(expected.values())
    return {p: math.log(v / total) for p, v in expected.items() if v > 0}


def _random_unigram(seed, alphabet="abc", n_pieces=12):
    gen = random.Random(seed)
    pieces = set(alphabet)
    while len(pieces) < n_pieces:
        pieces.add("".join(gen.choice(alphabet) for _ in range(gen.randint(2, 4))))
    weights = {p: gen.random() + 0.05 for p in sorted(pieces)}
    z = sum(weights.values())
    return {p: math.log(w / z) for p, w in weights.items()}


def _random_words(seed, alphabet="abc", n=6, max_len=7):
    gen = random.Random(seed + 1000)
    words = {}
    while len(words) < n:
        w = "".join(gen.choice(alphabet) for _ in range(gen.randint(1, max_len)))
        words[w] = gen.randint(1, 5)
    return words


# --------------------------------------------------------------------------------------------
# Viterbi
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(8))
def test_viterbi_equals_brute_force_max_log_prob(seed):
    log_probs = _random_unigram(seed)
    gen = random.Random(seed + 7)
    for _ in range(10):
        text = "".join(gen.choice("abc") for _ in range(gen.randint(1, 10)))
        segs = segmentations(text, log_probs)
        best = max(_score(s, log_probs) for s in segs)
        pieces, score = viterbi_segment(text, log_probs)
        assert "".join(pieces) == text and all(p in log_probs for p in pieces), (
            f"viterbi_segment({text!r}) returned {pieces}: the pieces must be in the "
            "vocabulary and concatenate to the text")
        assert_close(_score(pieces, log_probs), best, rtol=0, atol=1e-9,
                     what=f"the log-probability of the segmentation of {text!r}",
                     oracle=f"the best of all {len(segs)} segmentations (brute force)",
                     hint="maximise the sum of log-probabilities, not the number of pieces or "
                          "the sum of raw probabilities")
        assert_close(score, best, rtol=0, atol=1e-9, what=f"the score returned for {text!r}",
                     oracle="brute force", hint="return the best total log-probability")


def test_viterbi_prefers_probability_over_fewer_pieces_or_summed_probabilities():
    lp = {"a": math.log(0.4), "b": math.log(0.4), "ab": math.log(0.1), "c": math.log(0.1)}
    assert viterbi_segment("ab", lp)[0] == ["a", "b"], (
        "P(a)P(b) = 0.16 > P(ab) = 0.1: expected ['a', 'b']. Hint: fewer pieces is not the "
        "objective; the product of probabilities is.")
    lp = {"a": math.log(0.3), "b": math.log(0.3), "ab": math.log(0.2), "c": math.log(0.2)}
    assert viterbi_segment("ab", lp)[0] == ["ab"], (
        "P(ab) = 0.2 > P(a)P(b) = 0.09: expected ['ab']. Hint: add LOG-probabilities (multiply "
        "probabilities); do not add raw probabilities or counts.")


def test_viterbi_handles_long_text_and_pieces():
    gen = random.Random(3)
    log_probs = _random_unigram(11, alphabet="abcd", n_pieces=40)
    text = "".join(gen.choice("abcd") for _ in range(300))
    pieces, score = viterbi_segment(text, log_probs)
    assert "".join(pieces) == text, "the pieces must concatenate to the text"
    assert_close(score, _score(pieces, log_probs), rtol=0, atol=1e-8,
                 what="score of a 300-character text", oracle="sum of its pieces' log-probs")
    # Optimal substructure: re-solving the two halves cut at a piece boundary cannot do better.
    cut = len("".join(pieces[: len(pieces) // 2]))
    left = viterbi_segment(text[:cut], log_probs)[1]
    right = viterbi_segment(text[cut:], log_probs)[1]
    assert score >= left + right - 1e-8, (
        "the best segmentation of the whole text scores below the best segmentations of two "
        "halves put together: the dynamic programme is not finding the maximum")


def test_viterbi_raises_value_error_when_unsegmentable():
    with pytest.raises(ValueError):
        viterbi_segment("abz", {"a": -1.0, "b": -1.0, "ab": -0.5})


# --------------------------------------------------------------------------------------------
# EM and the likelihood
# --------------------------------------------------------------------------------------------

def test_em_step_closed_form_hand_case():
    """The EM step matches its closed form on a hand case."""
    lp = {"a": math.log(0.25), "b": math.log(0.25), "ab": math.log(0.5)}
    new, ll = unigram_em_step({"ab": 1}, lp)
    # P("ab") = 0.5 + 0.25 * 0.25 = 0.5625; posterior of ['ab'] 8/9, of ['a', 'b'] 1/9;
    # expected counts ab 8/9, a 1/9, b 1/9 (total 10/9) -> probabilities 0.8, 0.1, 0.1.
    assert_close(ll, math.log(0.5625), what="log-likelihood of {'ab': 1}",
                 oracle="closed form log(0.5 + 0.25**2)",
                 hint="sum over ALL segmentations, under the old probabilities")
    assert set(new) == {"a", "b", "ab"}, f"pieces after the step: got {sorted(new)}"
    got = [math.exp(new[p]) for p in ("a", "b", "ab")]
    assert_close(got, [0.1, 0.1, 0.8], what="new probabilities of a, b, ab",
                 oracle="closed form: expected counts 1/9, 1/9, 8/9 normalised",
                 hint="expected counts from the posterior over segmentations, divided by their "
                      "total")


def test_em_step_weights_words_by_count():
    lp = {"a": math.log(0.25), "b": math.log(0.25), "ab": math.log(0.5)}
    new, ll = unigram_em_step({"ab": 1, "a": 2}, lp)
    # counts: ab 8/9, a 1/9 + 2, b 1/9 -> total 28/9
    expected = [19 / 28, 1 / 28, 8 / 28]
    assert_close([math.exp(new[p]) for p in ("a", "b", "ab")], expected,
                 what="new probabilities of a, b, ab for counts {'ab': 1, 'a': 2}",
                 oracle="closed form", hint="multiply each word's expected counts by its count")
    assert_close(ll, math.log(0.5625) + 2 * math.log(0.25), what="log-likelihood",
                 oracle="closed form", hint="word counts multiply the log-probabilities")


@pytest.mark.parametrize("seed", range(6))
def test_em_step_equals_brute_force_expected_counts(seed):
    lp = _random_unigram(seed)
    words = _random_words(seed)
    new, ll = unigram_em_step(words, lp)
    expected = _brute_em(words, lp)
    assert set(new) == set(expected), (
        f"pieces after an EM step: expected {sorted(expected)} (those with a positive expected "
        f"count), got {sorted(new)}")
    keys = sorted(expected)
    assert_close([new[k] for k in keys], [expected[k] for k in keys], rtol=1e-9, atol=1e-9,
                 what=f"new log-probabilities of {len(keys)} pieces",
                 oracle="expected counts by enumerating every segmentation, normalised",
                 hint="E-step: posterior-weighted counts over ALL segmentations (not only the "
                      "Viterbi one); M-step: divide by the total")
    assert_close(ll, _brute_log_likelihood(words, lp), rtol=1e-9, atol=1e-9,
                 what="returned log-likelihood (under the old probabilities)",
                 oracle="brute-force sum over segmentations")


def test_em_step_returns_normalised_probabilities_and_drops_unused_pieces():
    lp = _random_unigram(4)
    lp = {**lp, "zz": math.log(0.5)}  # never used: no word contains z
    new, _ = unigram_em_step(_random_words(4), lp)
    assert "zz" not in new, "a piece with zero expected count must be removed"
    total = sum(math.exp(v) for v in new.values())
    assert_close(total, 1.0, rtol=0, atol=1e-9, what="sum of the new probabilities",
                 oracle="normalisation", hint="M-step: divide expected counts by their total")


@pytest.mark.parametrize("seed", range(4))
def test_em_log_likelihood_never_decreases(seed):
    lp = _random_unigram(seed + 20, n_pieces=15)
    words = _random_words(seed + 20, n=8, max_len=8)
    history = []
    for _ in range(12):
        lp, ll = unigram_em_step(words, lp)
        history.append(ll)
    history.append(corpus_log_likelihood(words, lp))
    drops = [(i, a, b) for i, (a, b) in enumerate(itertools.pairwise(history)) if b < a - 1e-9]
    assert not drops, (
        f"EM's log-likelihood went down at step {drops[0][0]}: {drops[0][1]:.6f} -> "
        f"{drops[0][2]:.6f} (history {[round(h, 4) for h in history]}). Hint: the returned "
        "likelihood is under the OLD probabilities; the M-step must normalise.")
    assert history[-1] > history[0] + 1e-3, "EM did not improve the likelihood at all"


@pytest.mark.parametrize("seed", range(4))
def test_corpus_log_likelihood_equals_brute_force(seed):
    lp = _random_unigram(seed + 40)
    words = _random_words(seed + 40)
    assert_close(corpus_log_likelihood(words, lp), _brute_log_likelihood(words, lp),
                 rtol=1e-9, atol=1e-9, what="corpus_log_likelihood",
                 oracle="sum over words of count * log(sum over all segmentations of the "
                        "product of probabilities), by enumeration",
                 hint="sum the probabilities of ALL segmentations (not only the best), in "
                      "log space")
    assert corpus_log_likelihood({"ax": 1}, lp) == -math.inf, (
        "a word with no segmentation has probability 0: the log-likelihood is -inf")


# --------------------------------------------------------------------------------------------
# Pruning
# --------------------------------------------------------------------------------------------

def _renorm(lp):
    z = math.log(sum(math.exp(v) for v in lp.values()))
    return {p: v - z for p, v in lp.items()}


@pytest.mark.parametrize("seed,num_keep", [(0, 3), (1, 5), (2, 1), (3, 0), (4, 50)])
def test_prune_keeps_characters_and_the_most_costly_pieces(seed, num_keep):
    """Prune keeps single characters and the pieces whose removal costs the most."""
    lp = _random_unigram(seed, n_pieces=14)
    words = _random_words(seed + 50)
    base = _brute_log_likelihood(words, lp)
    multi = [p for p in lp if len(p) > 1]
    loss = {p: base - _brute_log_likelihood(words, _renorm({q: v for q, v in lp.items()
                                                            if q != p})) for p in multi}
    kept = set(sorted(multi, key=lambda p: (-loss[p], p))[:num_keep])
    expected = _renorm({p: v for p, v in lp.items() if len(p) == 1 or p in kept})
    got = prune_pieces(words, lp, num_keep)
    assert set(got) == set(expected), (
        f"prune_pieces(num_keep={num_keep}) kept {sorted(got)}, expected {sorted(expected)}. "
        "Hint: keep every single character, and the num_keep longer pieces whose removal "
        "lowers the likelihood MOST (loss = L(all) - L(without the piece, renormalised)).")
    keys = sorted(expected)
    assert_close([got[k] for k in keys], [expected[k] for k in keys], rtol=1e-9, atol=1e-9,
                 what="log-probabilities after pruning", oracle="the kept pieces renormalised",
                 hint="renormalise the kept probabilities to sum to one")
