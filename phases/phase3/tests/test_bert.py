"""Public smoke tests for phase3.bert (the grader also runs hidden tests).

Oracles: torch.nn.functional (embedding, layer_norm, cross_entropy with ignore_index=-100) on
the documented parameters; exact invariants of BERT's masking; GLUE metrics worked out by hand.
"""

import torch
import torch.nn.functional as F

from phase3.bert import (
    BertConfig,
    BertEmbeddings,
    glue_score,
    mask_tokens,
    matthews_corrcoef,
    mlm_loss,
    spearman,
)
from shared import assert_close, assert_equal

F64 = torch.float64
TOL = {"rtol": 1e-9, "atol": 1e-10}


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def test_embeddings_sum_token_segment_and_position_then_layer_norm():
    cfg = BertConfig(vocab_size=30, hidden_size=8, num_layers=1, num_heads=2,
                     intermediate_size=16, max_position=10, dropout=0.0)
    torch.manual_seed(0)
    emb = BertEmbeddings(cfg).double()
    ids = torch.randint(0, 30, (2, 5), generator=_gen(1))
    types = torch.tensor([[0, 0, 0, 1, 1], [0, 0, 1, 1, 1]])
    e = (F.embedding(ids, emb.word_embeddings.weight)
         + F.embedding(types, emb.token_type_embeddings.weight)
         + emb.position_embeddings.weight[:5])
    expected = F.layer_norm(e, (8,), emb.layer_norm.weight, emb.layer_norm.bias, 1e-12)
    assert_close(emb(ids, types), expected, **TOL,
                 what="BertEmbeddings(ids, token_type_ids) on (2, 5) ids",
                 oracle="F.layer_norm(word[ids] + token_type[types] + position[0..4])",
                 hint="add the three embeddings, then the LayerNorm (then dropout)")


def test_mask_tokens_never_selects_specials_and_labels_the_selected():
    g = _gen(2)
    ids = torch.randint(5, 50, (16, 40), generator=g)
    special = torch.zeros_like(ids, dtype=torch.bool)
    special[:, 0] = special[:, -1] = True  # [CLS] ... [SEP]
    masked, labels = mask_tokens(ids, special, 50, 4, _gen(3))
    selected = labels != -100
    assert not selected[special].any(), "a special token ([CLS]/[SEP]) was selected for masking"
    assert_equal(labels[selected], ids[selected], what="labels at the selected positions",
                 oracle="the original ids", hint="labels keep the id from before corruption")
    assert_equal(masked[~selected], ids[~selected], what="ids at the positions not selected",
                 oracle="the input ids", hint="only selected positions may change")


def test_mlm_loss_counts_only_the_labelled_positions():
    logits = torch.randn(2, 6, 11, generator=_gen(4), dtype=F64)
    labels = torch.full((2, 6), -100)
    labels[0, 2], labels[1, 0], labels[1, 5] = 3, 7, 10
    expected = F.cross_entropy(logits.reshape(-1, 11), labels.reshape(-1), ignore_index=-100)
    assert_close(mlm_loss(logits, labels), expected, **TOL,
                 what="mlm_loss on (2, 6, 11) logits with 3 labelled positions",
                 oracle="F.cross_entropy(ignore_index=-100)",
                 hint="mean over the positions whose label is not -100, not over all B * T")


def test_glue_metrics_hand_examples():
    """GLUE metrics are right on hand examples."""
    assert_close(matthews_corrcoef([1, 1, 1, 0, 0], [1, 1, 0, 1, 0]), 1 / 6,
                 what="matthews_corrcoef([1, 1, 1, 0, 0], [1, 1, 0, 1, 0])",
                 oracle="(2*1 - 1*1) / sqrt(3 * 3 * 2 * 2) by hand",
                 hint="tp=2, tn=1, fp=1, fn=1")
    assert_close(spearman([10, 20, 20, 30], [1, 2, 3, 4]), 3 / 10 ** 0.5,
                 what="spearman([10, 20, 20, 30], [1, 2, 3, 4])",
                 oracle="Pearson's r of the ranks [1, 2.5, 2.5, 4] and [1, 2, 3, 4]",
                 hint="ties share the average of their ranks")
    results = {"cola": {"mcc": 0.2}, "mrpc": {"f1": 0.9, "accuracy": 0.7}}
    assert_close(glue_score(results), 0.5, what="glue_score({cola: 0.2, mrpc: (0.9, 0.7)})",
                 oracle="(0.2 + (0.9 + 0.7) / 2) / 2 by hand",
                 hint="average within each task first, then across tasks")
