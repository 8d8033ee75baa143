r"""Byte-level BPE, as in GPT-2: train merges, encode by merge rank, decode, stream.

GPT-2 runs Byte-Pair Encoding on UTF-8 bytes, so any text can be encoded (there is no
unknown token), after cutting the text into pre-tokens with a regex, so that no merge
crosses a word, number, punctuation or whitespace boundary. You will write:

    pretokenize(text, special_tokens)        GPT-2's regex split, special tokens kept whole
    train_bpe(text, vocab_size, specials)    -> vocab {id: bytes}, merges [(bytes, bytes)]
    Tokenizer(vocab, merges, specials)       .encode, .encode_iterable, .decode

Your Tokenizer, given GPT-2's own vocabulary and merges, must encode exactly like OpenAI's
tiktoken. Work on bytes (b"a", b"\xf0") everywhere inside; only decode() turns bytes back
into a str. Use the `regex` package (`import regex`, installed with tiktoken) for the
pattern below; the standard `re` module does not know \p{L} (letters) and \p{N} (numbers).
You may not use tiktoken or the Hugging Face `tokenizers` package in this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

# GPT-2's pre-tokenisation pattern, as released in its encoder.py. It needs the `regex`
# package (installed with tiktoken): the standard `re` module has no \p{L} / \p{N}.
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def pretokenize(text: str, special_tokens: Sequence[str] = ()) -> list[str]:
    """Split text into pre-tokens with GPT-2's regex, keeping special tokens whole.

    First the text is cut at every occurrence of a special token (scanning left to right;
    where several special tokens match at the same place, the LONGEST one is taken). Each
    stretch of ordinary text between special tokens is then split with GPT2_PATTERN
    (`regex.findall(GPT2_PATTERN, stretch)`), on its own: the regex never sees across a
    special token.

    Args:
        text: any str (may be empty).
        special_tokens: strings that are never split (e.g. "<|endoftext|>").

    Returns:
        the pieces in order: pre-tokens and special tokens (each special token is one piece,
        exactly as it appears in special_tokens). "".join(pieces) == text.

    Use the `regex` package (`import regex`), not `re`: GPT-2's pattern needs \\p{L} and \\p{N}.
    """
    raise NotImplementedError("phase3.bpe.pretokenize")


def train_bpe(text: str, vocab_size: int,
              special_tokens: Sequence[str] = ()) -> tuple[dict[int, bytes],
                                                           list[tuple[bytes, bytes]]]:
    """Learn byte-level BPE merges from text.

    1. Pre-tokenise with pretokenize(text, special_tokens), then DROP the special tokens:
       they are document boundaries, so no pair is ever counted across or inside them.
    2. Each pre-token is its UTF-8 bytes, one symbol per byte (b"a", b"b", ...). Count equal
       pre-tokens once, with their frequency.
    3. Repeat until the vocabulary is full: count every adjacent pair of symbols inside every
       pre-token (weighted by the pre-token's frequency; overlapping pairs count each time,
       so b"aaa" holds the pair (b"a", b"a") twice), take the pair with the highest count,
       and merge it everywhere, scanning each pre-token left to right (b"aaa" becomes
       (b"aa", b"a")).

    Tie-break: among pairs with the same count, merge the GREATEST pair, comparing pairs as
    tuples of bytes (Python's `max` over (bytes, bytes) tuples): (b"s", b"t") beats
    (b"e", b"s"), and (b"b", b"a") beats (b"a", b"z").

    Training stops early when no pair is left (every pre-token is a single symbol).

    Args:
        text: the training corpus.
        vocab_size: the size of the final vocabulary, counting the 256 single bytes and the
            special tokens; so at most vocab_size - 256 - len(special_tokens) merges are
            learned. Raise ValueError if vocab_size < 256 + len(special_tokens).
        special_tokens: strings to add to the vocabulary whole; never merged, never split.

    Returns:
        vocab: {id: bytes}. Ids 0..255 are the single bytes (vocab[i] == bytes([i])); id
            256 + k is the result of merge k (merges[k][0] + merges[k][1]); the special
            tokens follow, in the order given, as their UTF-8 bytes.
        merges: the learned merges in the order they were made, as (bytes, bytes) pairs.
    """
    raise NotImplementedError("phase3.bpe.train_bpe")


class Tokenizer:
    """A byte-level BPE tokenizer built from a vocabulary and a list of merges."""

    def __init__(self, vocab: dict[int, bytes], merges: list[tuple[bytes, bytes]],
                 special_tokens: Sequence[str] = ()) -> None:
        """Store the vocabulary, the merge ranks and the special tokens.

        Args:
            vocab: {id: bytes}; every single byte bytes([b]) is in it, but ids are arbitrary:
                do NOT assume that byte b has id b (in GPT-2, b"!" has id 0 and b"a" id 64).
            merges: the merges in order; the RANK of a merge is its position in this list
                (0 = merged first), whatever the ids of the tokens are. Each merge's result
                merges[k][0] + merges[k][1] is in vocab.
            special_tokens: strings that encode to a single id each, the id whose bytes in
                vocab are the token's UTF-8 bytes. Raise ValueError if one is not in vocab.
                Only these strings are special: with special_tokens=() the text
                "<|endoftext|>" is encoded as ordinary text (like tiktoken's
                encode(text, disallowed_special=())); with it listed, it is always encoded
                as its single id (like tiktoken's encode(text, allowed_special="all")).
        """
        raise NotImplementedError("phase3.bpe.Tokenizer.__init__")

    def encode(self, text: str) -> list[int]:
        """Encode text into token ids.

        Split with pretokenize(text, special_tokens) (special tokens matched longest first);
        each special token becomes its single id; every other pre-token becomes its UTF-8
        bytes, which are merged by RANK: repeatedly find the adjacent pair whose merge has
        the lowest rank (position in merges) and merge it (leftmost occurrence first), until
        no adjacent pair is a merge. Then map each piece to its id through vocab.

        Args:
            text: any str; "" encodes to [].

        Returns:
            the list of ids.
        """
        raise NotImplementedError("phase3.bpe.Tokenizer.encode")

    def encode_iterable(self, iterable: Iterable[str]) -> Iterator[int]:
        """Lazily encode a stream of strings (e.g. the lines of a large file).

        Yields exactly the ids of encode("".join(iterable)), but without ever holding the
        whole text: read one string at a time, and yield the ids of everything that can no
        longer change. A string boundary may fall anywhere (inside a word, a whitespace run
        or a special token), so hold back only the unfinished tail: the last pre-token of
        what has arrived (the next string may extend it) and any tail that could still be
        the start of a special token. Memory then stays bounded by the longest pre-token or
        special token, not by the length of the stream.

        Must be a generator (or return an iterator) that reads the iterable only as far as
        needed for the ids requested so far.
        """
        raise NotImplementedError("phase3.bpe.Tokenizer.encode_iterable")


    def decode(self, ids: Iterable[int]) -> str:
        """Decode ids back into text.

        Concatenate the tokens' BYTES first, then decode the whole byte string as UTF-8 with
        errors="replace", so that invalid UTF-8 becomes U+FFFD. (A character may be split
        across tokens: decoding token by token would break it.)

        Args:
            ids: token ids, each a key of vocab.

        Returns:
            the decoded str; decode([]) == "".
        """
        raise NotImplementedError("phase3.bpe.Tokenizer.decode")
