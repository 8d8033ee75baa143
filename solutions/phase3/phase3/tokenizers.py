"""Character, word, WordPiece and Unigram tokenizers.

Reference solution. WordPiece's greedy longest-match-first encoder is the one in BERT (Devlin
et al., 2019; Google's `tokenization.py`, WordpieceTokenizer). The Unigram language model is
Kudo (2018), "Subword Regularization": a word's probability is the sum over its segmentations
of the product of piece probabilities; Viterbi finds the best segmentation, and EM
(forward-backward expected counts, then normalise) fits the piece probabilities. SentencePiece
adds a sparse Dirichlet prior (digamma) to the M-step; here it is plain maximum likelihood.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

# ---------------------------------------------------------------------------------------------
# Character level
# ---------------------------------------------------------------------------------------------

class CharTokenizer:
    """A character-level tokenizer whose vocabulary is built from a training text.

    Vocabulary: id 0 is the special token "<unk>"; ids 1, 2, ... are the distinct characters
    of `text` in sorted order (Python's string order, i.e. by code point), each once:

        vocab = ["<unk>"] + sorted(set(text))

    so building twice from the same text (or from any text with the same set of characters)
    gives the same ids.

    Attributes (set by __init__):
        vocab: list[str], id -> token (vocab[0] == "<unk>").
        stoi: dict[str, int], token -> id, the inverse of vocab.
        unk_id: int, always 0.
    """

    def __init__(self, text: str) -> None:
        """Build the vocabulary from `text` (see the class docstring)."""
        self.vocab = ["<unk>", *sorted(set(text))]
        self.stoi = {tok: i for i, tok in enumerate(self.vocab)}
        self.unk_id = 0

    def encode(self, text: str) -> list[int]:
        """Map each character of `text` to its id; a character not in the vocabulary maps to
        unk_id (it is never dropped, so len(encode(text)) == len(text)).

        Args:
            text: any string.

        Returns:
            list of int ids, one per character.
        """
        return [self.stoi.get(ch, self.unk_id) for ch in text]

    def decode(self, ids: list[int]) -> str:
        """Concatenate the tokens of `ids`; unk_id decodes to the five characters "<unk>".

        decode(encode(s)) == s for every s made of characters seen in training.

        Args:
            ids: list of ints in range(len(vocab)).

        Returns:
            the decoded string.
        """
        return "".join(self.vocab[i] for i in ids)


# ---------------------------------------------------------------------------------------------
# Word level
# ---------------------------------------------------------------------------------------------

_WORD_RE = re.compile(r"\w+|[^\w\s]")


class WordTokenizer:
    """A word-level tokenizer: lower-case, split off punctuation, keep frequent words.

    Normalise and split (method `tokenize`): lower-case the text, then take the matches of the
    regular expression r"\\w+|[^\\w\\s]" (re.findall): runs of word characters, and each
    punctuation character as its own token; whitespace separates tokens and is dropped.
    "Hello, world!" -> ["hello", ",", "world", "!"].

    Vocabulary: id 0 is "<pad>", id 1 is "<unk>", then every token that occurs at least
    `min_freq` times in the training texts, ordered by count (most frequent first), ties broken
    alphabetically (Python string order). So the vocabulary is deterministic: the same texts
    always give the same ids, whatever the order of a set or a dict's insertion.

    Attributes (set by __init__):
        vocab: list[str], id -> token.
        stoi: dict[str, int], token -> id.
        pad_id: int, 0.   unk_id: int, 1.
    """

    def __init__(self, texts: Iterable[str], min_freq: int = 1) -> None:
        """Build the vocabulary from the training texts (see the class docstring).

        Args:
            texts: an iterable of strings (e.g. lines); counts are over all of them.
            min_freq: a token is kept if it occurs at least min_freq times.
        """
        counts = Counter(tok for text in texts for tok in self.tokenize(text))
        kept = [tok for tok, c in counts.items() if c >= min_freq]
        kept.sort(key=lambda tok: (-counts[tok], tok))  # frequency, then alphabetical
        self.vocab = ["<pad>", "<unk>", *kept]
        self.stoi = {tok: i for i, tok in enumerate(self.vocab)}
        self.pad_id, self.unk_id = 0, 1

    def tokenize(self, text: str) -> list[str]:
        """Lower-case and split `text` into word and punctuation tokens (see the class
        docstring). Does not use the vocabulary.
        """
        return _WORD_RE.findall(text.lower())

    def encode(self, text: str) -> list[int]:
        """Ids of tokenize(text); a token not in the vocabulary becomes unk_id (one <unk> per
        unknown token: nothing is dropped, so len(encode(t)) == len(tokenize(t))).
        """
        return [self.stoi.get(tok, self.unk_id) for tok in self.tokenize(text)]

    def decode(self, ids: list[int]) -> str:
        """The tokens of `ids` joined by single spaces ("<unk>" for unk_id).

        For text whose tokens are all in the vocabulary,
        decode(encode(t)) == " ".join(tokenize(t)).
        """
        return " ".join(self.vocab[i] for i in ids)


# ---------------------------------------------------------------------------------------------
# WordPiece
# ---------------------------------------------------------------------------------------------

def wordpiece_tokenize(text: str, vocab: Iterable[str], unk_token: str = "[UNK]",
                       max_input_chars_per_word: int = 100) -> list[str]:
    """WordPiece (BERT's encoder): greedy longest-match-first with "##" continuations.

    Split `text` on whitespace (str.split()). For each word:
      - if it has more than max_input_chars_per_word characters, emit unk_token;
      - otherwise, from the start of the word, take the LONGEST prefix of the remaining
        characters that is in the vocabulary, emit it, and continue after it. A piece that
        does not start the word is looked up with "##" in front ("##aff"); the first piece of
        a word has no "##". If at some point no prefix (not even one character) is in the
        vocabulary, the whole word becomes a single unk_token (pieces already found for that
        word are discarded).

    Example: vocab {"un", "##aff", "##able"}: "unaffable" -> ["un", "##aff", "##able"].

    Args:
        text: the input; no lower-casing or punctuation splitting is done here.
        vocab: the pieces (a list, set or dict's keys); membership is all that matters.
        unk_token: the token for a word that cannot be segmented.
        max_input_chars_per_word: longer words become unk_token.

    Returns:
        the list of pieces (strings), in order.
    """
    vocab = set(vocab)
    out: list[str] = []
    for word in text.split():
        if len(word) > max_input_chars_per_word:
            out.append(unk_token)
            continue
        pieces: list[str] = []
        start = 0
        while start < len(word):
            # Try the longest candidate first and shrink until one is in the vocabulary.
            end = len(word)
            match = None
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in vocab:
                    match = piece
                    break
                end -= 1
            if match is None:
                pieces = [unk_token]
                break
            pieces.append(match)
            start = end
        out.extend(pieces)
    return out


# ---------------------------------------------------------------------------------------------
# Unigram language model (SentencePiece-style)
# ---------------------------------------------------------------------------------------------

def _logsumexp(values: list[float]) -> float:
    m = max(values)
    if m == -math.inf:
        return -math.inf
    return m + math.log(sum(math.exp(v - m) for v in values))


def viterbi_segment(text: str, log_probs: dict[str, float]) -> tuple[list[str], float]:
    """The most probable segmentation of `text` under a unigram language model.

    A segmentation is a list of pieces, each a key of log_probs, whose concatenation is
    `text`; its score is the SUM of the pieces' log-probabilities (the log of the product of
    their probabilities). Return the segmentation with the largest score, found by dynamic
    programming over end positions (Viterbi), not by enumerating all segmentations.
    When two segmentations have exactly the same score, either may be returned.

    Args:
        text: a non-empty string.
        log_probs: piece -> log-probability (<= 0). Pieces may be any length.

    Returns:
        (pieces, score): the best segmentation and its score.

    Raises:
        ValueError: if no segmentation of `text` into pieces of log_probs exists.
    """
    n = len(text)
    max_len = max((len(p) for p in log_probs), default=0)
    # best[i]: the best score of a segmentation of text[:i]; back[i]: where its last piece starts
    best = [-math.inf] * (n + 1)
    back = [-1] * (n + 1)
    best[0] = 0.0
    for end in range(1, n + 1):
        for start in range(max(0, end - max_len), end):
            piece = text[start:end]
            if best[start] == -math.inf or piece not in log_probs:
                continue
            score = best[start] + log_probs[piece]
            if score > best[end]:
                best[end], back[end] = score, start
    if back[n] < 0:
        raise ValueError(f"{text!r} cannot be segmented with the given pieces")
    pieces, end = [], n
    while end > 0:
        pieces.append(text[back[end]:end])
        end = back[end]
    return pieces[::-1], best[n]


def _forward_backward(word: str, log_probs: dict[str, float], max_len: int
                      ) -> tuple[float, dict[str, float]]:
    """log P(word) (summed over all segmentations) and the expected count of each piece in a
    segmentation drawn from the posterior P(segmentation | word)."""
    n = len(word)
    spans = [(s, e, word[s:e]) for e in range(1, n + 1) for s in range(max(0, e - max_len), e)
             if word[s:e] in log_probs]
    alpha = [-math.inf] * (n + 1)  # alpha[i] = log sum over segmentations of word[:i]
    alpha[0] = 0.0
    for e in range(1, n + 1):
        alpha[e] = _logsumexp([alpha[s] + log_probs[p] for s, ee, p in spans if ee == e]
                              or [-math.inf])
    beta = [-math.inf] * (n + 1)  # beta[i] = log sum over segmentations of word[i:]
    beta[n] = 0.0
    for s in range(n - 1, -1, -1):
        beta[s] = _logsumexp([log_probs[p] + beta[e] for ss, e, p in spans if ss == s]
                             or [-math.inf])
    log_z = alpha[n]
    expected: dict[str, float] = {}
    if log_z == -math.inf:
        return log_z, expected
    # P(a segmentation uses the span [s, e)) = alpha[s] * p(piece) * beta[e] / Z
    for s, e, p in spans:
        post = math.exp(alpha[s] + log_probs[p] + beta[e] - log_z)
        if post > 0.0:
            expected[p] = expected.get(p, 0.0) + post
    return log_z, expected


def unigram_em_step(word_counts: dict[str, int], log_probs: dict[str, float]
                    ) -> tuple[dict[str, float], float]:
    """One EM step for the piece probabilities of a unigram language model.

    Model: P(word) = sum over segmentations (p_1, ..., p_k) of word of prod_j P(p_j).
    Corpus log-likelihood: L = sum over words w of word_counts[w] * log P(w).

    E-step: for every word, the expected number of times each piece occurs in its
    segmentation under the posterior P(segmentation | word) (forward-backward, or any exact
    method), times the word's count, summed over the corpus.
    M-step: new P(piece) = expected count of piece / total expected count of all pieces.

    Args:
        word_counts: word -> count (> 0). Every word must have at least one segmentation.
        log_probs: piece -> current log-probability.

    Returns:
        (new_log_probs, log_likelihood): the updated piece -> log-probability (natural log),
        holding only the pieces whose expected count is > 0 (the others are removed), so that
        sum(exp(v) for v in new_log_probs.values()) == 1; and L under the OLD log_probs (the
        value before this step). EM never decreases L from one step to the next.

    Raises:
        ValueError: if some word has no segmentation.
    """
    max_len = max(len(p) for p in log_probs)
    totals: dict[str, float] = {}
    log_likelihood = 0.0
    for word, count in word_counts.items():
        log_z, expected = _forward_backward(word, log_probs, max_len)
        if log_z == -math.inf:
            raise ValueError(f"{word!r} cannot be segmented with the given pieces")
        log_likelihood += count * log_z
        for piece, c in expected.items():
            totals[piece] = totals.get(piece, 0.0) + count * c
    norm = sum(totals.values())  # M-step: normalise expected counts into probabilities
    new_log_probs = {p: math.log(c / norm) for p, c in totals.items() if c > 0.0}
    return new_log_probs, log_likelihood


def corpus_log_likelihood(word_counts: dict[str, int], log_probs: dict[str, float]) -> float:
    """L = sum over words w of word_counts[w] * log P(w), with P(w) summed over all
    segmentations of w (see unigram_em_step). -inf if some word has no segmentation.
    """
    max_len = max(len(p) for p in log_probs)
    total = 0.0
    for word, count in word_counts.items():
        log_z, _ = _forward_backward(word, log_probs, max_len)
        total += count * log_z
    return total


def prune_pieces(word_counts: dict[str, int], log_probs: dict[str, float],
                 num_keep: int) -> dict[str, float]:
    """Keep the pieces whose removal would hurt the corpus likelihood most.

    Single characters are always kept (so every word stays segmentable). For each piece p
    of two or more characters, its loss is

        loss(p) = L(log_probs) - L(log_probs without p, renormalised to sum to one)

    with L the corpus log-likelihood (corpus_log_likelihood). Keep the num_keep multi-character
    pieces with the LARGEST loss (ties: the alphabetically smaller piece is kept), drop the
    others, and renormalise the kept pieces' probabilities so that they sum to one.

    Args:
        word_counts: word -> count.
        log_probs: piece -> log-probability.
        num_keep: how many multi-character pieces to keep (all of them if there are fewer).

    Returns:
        the new piece -> log-probability dict (single characters + kept pieces), normalised.
    """
    base = corpus_log_likelihood(word_counts, log_probs)
    multi = [p for p in log_probs if len(p) > 1]
    losses = {}
    for p in multi:
        rest = _renormalise({q: v for q, v in log_probs.items() if q != p})
        losses[p] = base - corpus_log_likelihood(word_counts, rest)
    multi.sort(key=lambda p: (-losses[p], p))  # most harmful to remove first
    kept = set(multi[:num_keep])
    return _renormalise({p: v for p, v in log_probs.items() if len(p) == 1 or p in kept})


def _renormalise(log_probs: dict[str, float]) -> dict[str, float]:
    log_z = _logsumexp(list(log_probs.values()))
    return {p: v - log_z for p, v in log_probs.items()}
