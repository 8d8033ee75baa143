"""Byte-level BPE, as in GPT-2: training, encoding by merge rank, decoding, streaming.

Sennrich et al. (2016), "Neural Machine Translation of Rare Words with Subword Units", learn
merges of the most frequent adjacent symbol pair; Radford et al. (2019), "Language Models are
Unsupervised Multitask Learners" (GPT-2), run BPE on UTF-8 bytes (so nothing is ever out of
vocabulary) after splitting text with a regex, so that merges never cross word, number or
punctuation boundaries. The tie-break (greatest pair of byte strings) follows Stanford CS336.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence

import regex

# GPT-2's pre-tokenisation pattern, as released in its encoder.py. It needs the `regex`
# package (installed with tiktoken): the standard `re` module has no \p{L} / \p{N}.
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

_GPT2_RE = regex.compile(GPT2_PATTERN)


def _special_regex(special_tokens: Sequence[str]) -> regex.Pattern | None:
    """An alternation of the special tokens, longest first, so that the longest one wins."""
    if not special_tokens:
        return None
    ordered = sorted(set(special_tokens), key=len, reverse=True)
    return regex.compile("|".join(regex.escape(s) for s in ordered))


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
    special_re = _special_regex(special_tokens)
    if special_re is None:
        return _GPT2_RE.findall(text)
    pieces: list[str] = []
    start = 0
    for match in special_re.finditer(text):
        pieces.extend(_GPT2_RE.findall(text[start:match.start()]))
        pieces.append(match.group())
        start = match.end()
    pieces.extend(_GPT2_RE.findall(text[start:]))
    return pieces


def _merge_word(word: tuple[bytes, ...], pair: tuple[bytes, bytes]) -> tuple[bytes, ...]:
    """Replace every occurrence of `pair` in `word`, scanning left to right without overlap."""
    first, second = pair
    out: list[bytes] = []
    i = 0
    while i < len(word):
        if i + 1 < len(word) and word[i] == first and word[i + 1] == second:
            out.append(first + second)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


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
    if vocab_size < 256 + len(special_tokens):
        raise ValueError(f"vocab_size={vocab_size} is too small for the 256 bytes and "
                         f"{len(special_tokens)} special tokens")
    specials = set(special_tokens)

    # Each distinct pre-token as a tuple of one-byte symbols, with its frequency.
    counts = Counter(p for p in pretokenize(text, special_tokens) if p not in specials)
    words: list[tuple[bytes, ...]] = [tuple(bytes([b]) for b in p.encode("utf-8"))
                                      for p in counts]
    freqs: list[int] = list(counts.values())

    # Pair counts over the whole corpus, and which words hold each pair (so that a merge
    # only revisits the words it changes, instead of recounting everything).
    pair_counts: Counter[tuple[bytes, bytes]] = Counter()
    where: defaultdict[tuple[bytes, bytes], set[int]] = defaultdict(set)
    for w, (word, freq) in enumerate(zip(words, freqs, strict=True)):
        for pair in zip(word, word[1:], strict=False):
            pair_counts[pair] += freq
            where[pair].add(w)

    merges: list[tuple[bytes, bytes]] = []
    n_merges = vocab_size - 256 - len(special_tokens)
    while len(merges) < n_merges and pair_counts:
        # Highest count; among equal counts the greatest pair of byte strings.
        best = max(pair_counts.items(), key=lambda item: (item[1], item[0]))[0]
        merges.append(best)
        for w in list(where[best]):
            old, freq = words[w], freqs[w]
            new = _merge_word(old, best)
            # Remove the old word's pairs, add the new word's pairs.
            for pair in zip(old, old[1:], strict=False):
                pair_counts[pair] -= freq
                if pair_counts[pair] == 0:
                    del pair_counts[pair]
                where[pair].discard(w)
            for pair in zip(new, new[1:], strict=False):
                pair_counts[pair] += freq
                where[pair].add(w)
            words[w] = new

    vocab = {i: bytes([i]) for i in range(256)}
    for k, (first, second) in enumerate(merges):
        vocab[256 + k] = first + second
    for s in special_tokens:
        vocab[len(vocab)] = s.encode("utf-8")
    return vocab, merges


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
        self.vocab = dict(vocab)
        self.ids = {token: i for i, token in self.vocab.items()}  # bytes -> id
        self.ranks = {pair: rank for rank, pair in enumerate(merges)}
        self.special_tokens = list(special_tokens)
        for s in self.special_tokens:
            if s.encode("utf-8") not in self.ids:
                raise ValueError(f"special token {s!r} is not in the vocabulary")
        self._special_re = _special_regex(self.special_tokens)
        self._cache: dict[str, list[int]] = {}

    def _encode_pretoken(self, piece: str) -> list[int]:
        """BPE on one pre-token: repeatedly merge the adjacent pair of lowest rank."""
        cached = self._cache.get(piece)
        if cached is not None:
            return cached
        parts = [bytes([b]) for b in piece.encode("utf-8")]
        while len(parts) > 1:
            pairs = zip(parts, parts[1:], strict=False)
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break  # no adjacent pair was ever merged: done
            parts = list(_merge_word(tuple(parts), best))
        ids = [self.ids[p] for p in parts]
        if len(self._cache) < 100_000:  # bound the cache, so streaming stays bounded too
            self._cache[piece] = ids
        return ids

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
        ids: list[int] = []
        specials = set(self.special_tokens)
        for piece in pretokenize(text, self.special_tokens):
            if piece in specials:
                ids.append(self.ids[piece.encode("utf-8")])
            else:
                ids.extend(self._encode_pretoken(piece))
        return ids

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
        buffer = ""
        for chunk in iterable:
            buffer += chunk
            cut = self._safe_cut(buffer)
            if cut > 0:
                yield from self.encode(buffer[:cut])
                buffer = buffer[cut:]
        yield from self.encode(buffer)

    def _safe_cut(self, buffer: str) -> int:
        """A position before which the encoding of buffer cannot change with more text."""
        # The earliest tail that more text could turn into a special token: a tail that is a
        # proper prefix of one (a complete "<|endoftext|>" may still grow into a longer one).
        tail = len(buffer)
        longest = max((len(s) for s in self.special_tokens), default=0)
        for i in range(max(0, len(buffer) - longest), len(buffer)):
            rest = buffer[i:]
            if any(len(s) > len(rest) and s.startswith(rest) for s in self.special_tokens):
                tail = i
                break
        # Cut at the start of the piece holding that tail, and in any case hold back the last
        # piece if it is an ordinary pre-token: the next string may extend it.
        specials = set(self.special_tokens)
        start = 0
        for piece in pretokenize(buffer, self.special_tokens):
            end = start + len(piece)
            if end > tail or (end == len(buffer) and piece not in specials):
                return start
            start = end
        return len(buffer)

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
        return b"".join(self.vocab[i] for i in ids).decode("utf-8", errors="replace")
