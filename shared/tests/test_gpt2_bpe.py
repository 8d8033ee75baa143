"""The GPT-2 oracle is GPT-2's: known ids, and merges that rebuild every token."""

from shared.gpt2_bpe import EOT, EOT_ID, gpt2_bpe


def test_gpt2_encoding_gives_known_ids_and_merges_rebuild_the_vocabulary():
    enc, vocab, merges = gpt2_bpe()
    assert enc.encode(" the") == [262]  # GPT-2's most frequent token
    assert enc.encode(EOT, allowed_special="all") == [EOT_ID]
    assert vocab[262] == b" the" and len(vocab) == 50257
    assert merges[0] == (b" ", b"t") and vocab[256] == b" t"  # its first merge
