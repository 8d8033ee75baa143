"""Character, word, WordPiece and Unigram tokenizers.

A model sees integers, not text. A tokenizer fixes the vocabulary (which strings get ids) and
the rule that cuts text into those strings. Four rules, from simplest to SentencePiece's:

- CharTokenizer: one id per character; tiny vocabulary, long sequences.
- WordTokenizer: lower-cased words and punctuation; frequent words only, the rest <unk>.
- wordpiece_tokenize: BERT's WordPiece; greedy longest-match-first with "##" continuations.
- Unigram language model (SentencePiece): each piece has a probability; viterbi_segment finds
  the most probable segmentation, unigram_em_step fits the probabilities by EM, prune_pieces
  shrinks the vocabulary.

Pure Python: no torch, no `tokenizers`/`sentencepiece`/`transformers` here. Every vocabulary
order, tie-break and special id below is part of the spec; the tests check them.
"""

from __future__ import annotations

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
        raise NotImplementedError("phase3.tokenizers.CharTokenizer.__init__")

    def encode(self, text: str) -> list[int]:
        """Map each character of `text` to its id; a character not in the vocabulary maps to
        unk_id (it is never dropped, so len(encode(text)) == len(text)).

        Args:
            text: any string.

        Returns:
            list of int ids, one per character.
        """
        raise NotImplementedError("phase3.tokenizers.CharTokenizer.encode")

    def decode(self, ids: list[int]) -> str:
        """Concatenate the tokens of `ids`; unk_id decodes to the five characters "<unk>".

        decode(encode(s)) == s for every s made of characters seen in training.

        Args:
            ids: list of ints in range(len(vocab)).

        Returns:
            the decoded string.
        """
        raise NotImplementedError("phase3.tokenizers.CharTokenizer.decode")


# ---------------------------------------------------------------------------------------------
# Word level
# ---------------------------------------------------------------------------------------------


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
        raise NotImplementedError("phase3.tokenizers.WordTokenizer.__init__")

    def tokenize(self, text: str) -> list[str]:
        """Lower-case and split `text` into word and punctuation tokens (see the class
        docstring). Does not use the vocabulary.
        """
        raise NotImplementedError("phase3.tokenizers.WordTokenizer.tokenize")

    def encode(self, text: str) -> list[int]:
        """Ids of tokenize(text); a token not in the vocabulary becomes unk_id (one <unk> per
        unknown token: nothing is dropped, so len(encode(t)) == len(tokenize(t))).
        """
        raise NotImplementedError("phase3.tokenizers.WordTokenizer.encode")

    def decode(self, ids: list[int]) -> str:
        """The tokens of `ids` joined by single spaces ("<unk>" for unk_id).

        For text whose tokens are all in the vocabulary,
        decode(encode(t)) == " ".join(tokenize(t)).
        """
        raise NotImplementedError("phase3.tokenizers.WordTokenizer.decode")


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
    raise NotImplementedError("phase3.tokenizers.wordpiece_tokenize")


# ---------------------------------------------------------------------------------------------
# Unigram language model (SentencePiece-style)
# ---------------------------------------------------------------------------------------------


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
    raise NotImplementedError("phase3.tokenizers.viterbi_segment")


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
    raise NotImplementedError("phase3.tokenizers.unigram_em_step")


def corpus_log_likelihood(word_counts: dict[str, int], log_probs: dict[str, float]) -> float:
    """L = sum over words w of word_counts[w] * log P(w), with P(w) summed over all
    segmentations of w (see unigram_em_step). -inf if some word has no segmentation.
    """
    raise NotImplementedError("phase3.tokenizers.corpus_log_likelihood")


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
    raise NotImplementedError("phase3.tokenizers.prune_pieces")


