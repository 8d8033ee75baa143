"""Hidden tests for phase3.bert.

Oracles:
- the encoder: compositions of torch built-ins (F.embedding, F.layer_norm) over the documented
  parameters; torch.nn.MultiheadAttention and torch.nn.TransformerEncoderLayer (post-norm, exact
  GELU, dropout 0) after copying the same weights; transformers' BertModel, BertForPreTraining
  and BertForSequenceClassification (tiny random config, perturbed weights copied in, eval
  mode, padding) when transformers is installed; invariants that need no library (padding
  leaves the real tokens' outputs unchanged, every token sees the future, the MLM decoder is
  the embedding matrix, the parameter count's closed form).
  The learner's attention runs with scaled_dot_product_attention, nn.MultiheadAttention and
  nn.TransformerEncoderLayer forbidden.
- masking and NSP: exact invariants (specials never selected, labels -100 exactly where
  nothing was selected) and seeded chi-square / binomial tests. Each statistical test fails a
  correct implementation with probability at most 1e-7 (its p-value threshold), so all of them
  together stay below the 1e-6 the course allows.
- the losses: F.cross_entropy(ignore_index=-100) and its autograd gradient.
- fine-tuning: a seeded synthetic keyword-sentiment task; parameters compared bit for bit.
- GLUE metrics: closed forms computed here with NumPy (np.corrcoef, counts, tie-aware ranks
  from np.unique), hand examples with known values, and invariants.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from phase3.bert import (
    BertConfig,
    BertEmbeddings,
    BertForPreTraining,
    BertForSequenceClassification,
    BertLayer,
    BertModel,
    BertSelfAttention,
    accuracy,
    f1_score,
    fine_tune,
    glue_metrics,
    glue_score,
    make_nsp_example,
    mask_tokens,
    matthews_corrcoef,
    mlm_loss,
    pearson,
    spearman,
)
from shared import assert_close, assert_equal, forbidden

F64 = torch.float64
TOL = {"rtol": 1e-9, "atol": 1e-10}
IGNORE_INDEX = -100  # the label of an unselected position (F.cross_entropy's ignore_index)
P_VALUE_FLOOR = 1e-7  # a correct implementation fails a seeded statistical test this rarely
ATTENTION_BUILTINS = ("torch.nn.functional.scaled_dot_product_attention",
                      "torch.nn.functional.multi_head_attention_forward",
                      "torch.nn.MultiheadAttention", "torch.nn.TransformerEncoderLayer",
                      "torch.nn.TransformerEncoder")


@pytest.fixture(autouse=True)
def _one_thread():
    """The tensors are tiny: a second OpenMP thread only slows each op down on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _randn(*shape, seed):
    return torch.randn(*shape, generator=_gen(seed), dtype=F64)


def _config(**kw):
    base = dict(vocab_size=37, hidden_size=16, num_layers=2, num_heads=4, intermediate_size=24,
                max_position=20, type_vocab_size=2, dropout=0.1, layer_norm_eps=1e-12)
    base.update(kw)
    return BertConfig(**base)


def _perturb(module, seed):
    """Add noise to every parameter, so that LayerNorm weights are not 1 and biases not 0."""
    g = _gen(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=g, dtype=p.dtype))


def _padding_batch(V, B=3, T=9, seed=0):
    """Random ids, segment ids and an attention mask (1 = real token) with padded sequences."""
    g = _gen(seed)
    ids = torch.randint(0, V, (B, T), generator=g)
    types = torch.zeros(B, T, dtype=torch.long)
    lengths = [T, T - 3, 4][:B] + [T] * max(0, B - 3)
    mask = torch.zeros(B, T, dtype=torch.long)
    for b, n in enumerate(lengths):
        mask[b, :n] = 1
        types[b, n // 2:n] = 1  # sentence B in the second half of the real tokens
    return ids, types, mask


def _real(x, mask):
    """Rows of x at real (non-padding) positions, as a (N, ...) tensor."""
    return x[mask.bool()]


# --------------------------------------------------------------------------------------------
# The encoder, against torch built-ins
# --------------------------------------------------------------------------------------------


def test_embeddings_add_token_segment_and_given_positions_then_layer_norm():
    cfg = _config(dropout=0.0)
    torch.manual_seed(0)
    emb = BertEmbeddings(cfg).double()
    _perturb(emb, 1)
    ids, types, _ = _padding_batch(37, seed=2)
    positions = torch.tensor([[3, 1, 4, 1, 5, 9, 2, 6, 5], [0, 2, 4, 6, 8, 10, 12, 14, 16],
                              [19, 18, 17, 16, 15, 14, 13, 12, 11]])
    e = (F.embedding(ids, emb.word_embeddings.weight)
         + F.embedding(types, emb.token_type_embeddings.weight)
         + F.embedding(positions, emb.position_embeddings.weight))
    expected = F.layer_norm(e, (16,), emb.layer_norm.weight, emb.layer_norm.bias, 1e-12)
    assert_close(emb(ids, types, positions), expected, **TOL,
                 what="BertEmbeddings(ids, token_type_ids, position_ids) with (3, 9) ids, "
                      "segment ids 0/1 and position_ids that are not arange(T)",
                 oracle="F.layer_norm(word[ids] + token_type[types] + position[position_ids])",
                 hint="look up the positions you are GIVEN (position_ids), not arange(T); add "
                      "all three embeddings BEFORE the LayerNorm")


def test_embeddings_default_to_segment_zero_and_positions_arange():
    """Embeddings default to segment zero and consecutive positions from zero."""
    cfg = _config(dropout=0.0)
    torch.manual_seed(0)
    emb = BertEmbeddings(cfg).double()
    _perturb(emb, 3)
    ids = torch.randint(0, 37, (2, 7), generator=_gen(4))
    expected = emb(ids, torch.zeros(2, 7, dtype=torch.long), torch.arange(7).expand(2, 7))
    assert_close(emb(ids), expected, **TOL,
                 what="BertEmbeddings(ids) with token_type_ids=None and position_ids=None",
                 oracle="the same module with explicit zeros and arange(T)",
                 hint="None means segment 0 everywhere and positions 0 .. T-1")
    # A (T,) position vector broadcasts over the batch.
    assert_close(emb(ids, None, torch.arange(2, 9)),
                 emb(ids, None, torch.arange(2, 9).expand(2, 7)), **TOL,
                 what="BertEmbeddings with position_ids of shape (T,)",
                 oracle="the same positions expanded to (B, T)",
                 hint="a (T,) position_ids applies to every sequence of the batch")


@pytest.mark.parametrize("mask_dtype", [torch.long, torch.bool], ids=["mask_01", "mask_bool"])
def test_self_attention_matches_torch_multihead_attention_with_padding(mask_dtype):
    cfg = _config(hidden_size=16, num_heads=4, dropout=0.0)
    torch.manual_seed(5)
    attn = BertSelfAttention(cfg).double().eval()
    _perturb(attn, 6)
    x = _randn(3, 9, 16, seed=7)
    _, _, mask = _padding_batch(37, seed=8)
    ref = nn.MultiheadAttention(16, 4, batch_first=True).double().eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([attn.query.weight, attn.key.weight,
                                            attn.value.weight]))
        ref.in_proj_bias.copy_(torch.cat([attn.query.bias, attn.key.bias, attn.value.bias]))
        ref.out_proj.weight.copy_(attn.output.weight)
        ref.out_proj.bias.copy_(attn.output.bias)
        expected, _ = ref(x, x, x, key_padding_mask=mask == 0, need_weights=False)
    with forbidden(*ATTENTION_BUILTINS, by="phase3.bert.BertSelfAttention.forward"):
        got = attn(x, mask.to(mask_dtype))
    assert_close(_real(got, mask), _real(expected, mask), **TOL,
                 what=f"BertSelfAttention (C=16, 4 heads) on x (3, 9, 16) with a {mask_dtype} "
                      "attention_mask (1 = real token; sequences of 9, 6 and 4 tokens), at the "
                      "real positions",
                 oracle="torch.nn.MultiheadAttention with the same weights and "
                        "key_padding_mask = (attention_mask == 0)",
                 hint="scale by 1/sqrt(head size); split heads with view(B, T, nh, hs)."
                      "transpose(1, 2); send PADDED KEYS (mask 0) to -inf before the softmax "
                      "over the last axis, and apply `output` after merging the heads")
    with forbidden(*ATTENTION_BUILTINS, by="phase3.bert.BertSelfAttention.forward"):
        no_mask = attn(x)
    with torch.no_grad():
        expected_all, _ = ref(x, x, x, need_weights=False)
    assert_close(no_mask, expected_all, **TOL,
                 what="BertSelfAttention with attention_mask=None",
                 oracle="torch.nn.MultiheadAttention without a mask",
                 hint="attention_mask=None means no padding: every key is visible")


def test_layer_is_post_norm_and_matches_torch_encoder_layer():
    cfg = _config(hidden_size=16, num_heads=4, intermediate_size=24, dropout=0.0)
    torch.manual_seed(9)
    layer = BertLayer(cfg).double().eval()
    _perturb(layer, 10)
    ref = nn.TransformerEncoderLayer(16, 4, 24, dropout=0.0, activation="gelu",
                                     layer_norm_eps=1e-12, batch_first=True,
                                     norm_first=False).double().eval()
    state = {
        "self_attn.in_proj_weight": torch.cat([layer.attention.query.weight,
                                               layer.attention.key.weight,
                                               layer.attention.value.weight]),
        "self_attn.in_proj_bias": torch.cat([layer.attention.query.bias,
                                             layer.attention.key.bias,
                                             layer.attention.value.bias]),
        "self_attn.out_proj.weight": layer.attention.output.weight,
        "self_attn.out_proj.bias": layer.attention.output.bias,
        "linear1.weight": layer.intermediate.weight, "linear1.bias": layer.intermediate.bias,
        "linear2.weight": layer.output.weight, "linear2.bias": layer.output.bias,
        "norm1.weight": layer.attention_norm.weight, "norm1.bias": layer.attention_norm.bias,
        "norm2.weight": layer.output_norm.weight, "norm2.bias": layer.output_norm.bias,
    }
    ref.load_state_dict({k: v.detach().clone() for k, v in state.items()})
    x = _randn(3, 9, 16, seed=11)
    _, _, mask = _padding_batch(37, seed=12)
    with torch.no_grad():
        expected = ref(x, src_key_padding_mask=mask == 0)
    with forbidden(*ATTENTION_BUILTINS, by="phase3.bert.BertLayer.forward"):
        got = layer(x, mask)
    assert_close(_real(got, mask), _real(expected, mask), **TOL,
                 what="BertLayer (C=16, 4 heads, FFN 24) on x (3, 9, 16) with padding, at the "
                      "real positions",
                 oracle="torch.nn.TransformerEncoderLayer(norm_first=False, activation='gelu', "
                        "layer_norm_eps=1e-12) with the same weights",
                 hint="post-norm: h = attention_norm(x + attention(x)), then "
                      "output_norm(h + output(gelu(intermediate(h)))); the exact (erf) GELU")


def _num_parameters(V, C, L, I, P, S, heads_pretraining):
    """Closed form: embeddings, L layers, pooler, and the pre-training heads (decoder tied)."""
    embeddings = V * C + P * C + S * C + 2 * C
    layer = 4 * (C * C + C) + 2 * C + (C * I + I) + (I * C + C) + 2 * C
    pooler = C * C + C
    heads = (C * C + C) + 2 * C + V + (2 * C + 2) if heads_pretraining else 0
    return embeddings + L * layer + pooler + heads


def test_output_shapes_and_parameter_count_with_one_tied_embedding_matrix():
    """Output shapes and parameter count are right, with one tied embedding matrix."""
    cfg = _config(vocab_size=53, hidden_size=12, num_layers=3, num_heads=3, intermediate_size=20,
                  max_position=11, type_vocab_size=3)
    encoder = BertModel(cfg)
    ids = torch.randint(0, 53, (2, 7), generator=_gen(29))
    types = torch.randint(0, 3, (2, 7), generator=_gen(28))
    seq, pooled = encoder(ids, types)
    assert tuple(seq.shape) == (2, 7, 12) and tuple(pooled.shape) == (2, 12), (
        f"BertModel on (2, 7) ids with C=12 returned shapes {tuple(seq.shape)} and "
        f"{tuple(pooled.shape)}; expected (2, 7, 12) and (2, 12)")
    mlm_logits, nsp_logits = BertForPreTraining(cfg)(ids, types)
    assert tuple(mlm_logits.shape) == (2, 7, 53) and tuple(nsp_logits.shape) == (2, 2), (
        f"BertForPreTraining on (2, 7) ids with V=53 returned shapes {tuple(mlm_logits.shape)} "
        f"and {tuple(nsp_logits.shape)}; expected (2, 7, 53) and (2, 2)")
    count = sum(p.numel() for p in encoder.parameters())
    assert_equal(count, _num_parameters(53, 12, 3, 20, 11, 3, False),
                 what="the number of parameters of BertModel(V=53, C=12, L=3, FFN 20, 11 "
                      "positions, 3 segments)",
                 oracle="the closed form V C + P C + S C + 2C + L (4(C^2 + C) + 4C + 2 C I + "
                        "I + C) + C^2 + C",
                 hint="each layer: query, key, value, output (C x C + C each), two LayerNorms, "
                      "intermediate (C -> I), output (I -> C); no final LayerNorm")
    model = BertForPreTraining(cfg)
    count = sum(p.numel() for p in model.parameters())
    assert_equal(count, _num_parameters(53, 12, 3, 20, 11, 3, True),
                 what="the number of parameters of BertForPreTraining (same config)",
                 oracle="the closed form: BertModel + mlm_dense + mlm_norm + mlm_bias (V) + nsp",
                 hint="the MLM decoder reuses bert.embeddings.word_embeddings.weight: do not "
                      "create a second (V, C) matrix")


def test_mlm_decoder_is_the_token_embedding_matrix():
    cfg = _config(dropout=0.0)
    torch.manual_seed(13)
    model = BertForPreTraining(cfg).double().eval()
    _perturb(model, 14)
    ids = torch.randint(4, 20, (2, 6), generator=_gen(15))  # ids 20..36 never appear
    logits, _ = model(ids)
    target = _randn(*logits.shape, seed=16)
    (logits * target).sum().backward()
    grad = model.bert.embeddings.word_embeddings.weight.grad
    unseen = grad[20:]
    assert unseen.abs().sum() > 0, (
        "The token embedding rows of ids that are not in the input (20..36) got no gradient "
        "from the MLM logits. They should: the MLM decoder is tied to the token embeddings "
        "(logits = t @ word_embeddings.weight.T + mlm_bias), so every row is used at the "
        "output. Hint: use bert.embeddings.word_embeddings.weight itself, not a copy or a new "
        "nn.Linear.")
    # And the logits are exactly that product.
    with torch.no_grad():
        h, _ = model.bert(ids)
        t = F.layer_norm(F.gelu(model.mlm_dense(h)), (16,), model.mlm_norm.weight,
                         model.mlm_norm.bias, 1e-12)
        expected = t @ model.bert.embeddings.word_embeddings.weight.T + model.mlm_bias
    assert_close(logits, expected, **TOL,
                 what="BertForPreTraining's mlm_logits on (2, 6) ids",
                 oracle="mlm_norm(gelu(mlm_dense(h))) @ word_embeddings.weight.T + mlm_bias",
                 hint="the MLM head: dense, exact GELU, LayerNorm, then the tied decoder plus "
                      "the bias")


def test_heads_read_the_pooled_cls_vector():
    """The task heads read the pooled CLS vector."""
    cfg = _config(dropout=0.0)
    torch.manual_seed(40)
    pre = BertForPreTraining(cfg).double().eval()
    _perturb(pre, 41)
    ids, types, mask = _padding_batch(37, seed=42)
    with torch.no_grad():
        seq, pooled = pre.bert(ids, types, mask)
        _, nsp_logits = pre(ids, types, mask)
        expected_pooled = torch.tanh(F.linear(seq[:, 0], pre.bert.pooler.weight,
                                              pre.bert.pooler.bias))
    assert_close(pooled, expected_pooled, **TOL,
                 what="BertModel's pooled_output (3 sequences with padding)",
                 oracle="tanh(pooler(sequence_output[:, 0])) from your own sequence_output",
                 hint="the pooler reads the [CLS] position 0 only, then tanh")
    assert_close(nsp_logits, F.linear(expected_pooled, pre.nsp.weight, pre.nsp.bias), **TOL,
                 what="BertForPreTraining's nsp_logits",
                 oracle="nsp(pooled_output) from your own BertModel",
                 hint="the NSP head is a Linear on the pooled [CLS] vector")
    torch.manual_seed(43)
    clf = BertForSequenceClassification(cfg, num_labels=3).double().eval()
    _perturb(clf, 44)
    with torch.no_grad():
        _, pooled = clf.bert(ids, types, mask)
        got = clf(ids, types, mask)
    assert_close(got, F.linear(pooled, clf.classifier.weight, clf.classifier.bias), **TOL,
                 what="BertForSequenceClassification(num_labels=3) logits in eval mode",
                 oracle="classifier(pooled_output) from your own BertModel",
                 hint="classifier(dropout(pooled)); the dropout is off in eval mode")


def test_padding_leaves_the_real_tokens_outputs_unchanged():
    """Padding leaves the outputs of the real tokens unchanged."""
    cfg = _config(dropout=0.0)
    torch.manual_seed(17)
    model = BertModel(cfg).double().eval()
    _perturb(model, 18)
    ids = torch.randint(0, 37, (1, 6), generator=_gen(19))
    types = torch.tensor([[0, 0, 0, 1, 1, 1]])
    with forbidden(*ATTENTION_BUILTINS, by="phase3.bert.BertModel.forward"):
        seq, pooled = model(ids, types)
        pad_ids = torch.cat([ids, torch.randint(0, 37, (1, 4), generator=_gen(20))], dim=1)
        pad_types = torch.cat([types, torch.ones(1, 4, dtype=torch.long)], dim=1)
        mask = torch.tensor([[1] * 6 + [0] * 4])
        seq_p, pooled_p = model(pad_ids, pad_types, mask)
    assert_close(seq_p[:, :6], seq, **TOL,
                 what="BertModel's outputs at the 6 real tokens, with 4 padding tokens (random "
                      "ids, attention_mask 0) appended",
                 oracle="the same sequence without padding",
                 hint="padding KEYS must get attention weight exactly 0 (-inf before the "
                      "softmax, or a large negative number); mask the keys axis (last), for "
                      "every head and every query")
    assert_close(pooled_p, pooled, **TOL, what="the pooled output with padding appended",
                 oracle="the same sequence without padding",
                 hint="the pooler reads position 0 ([CLS]), whatever the padding")


def test_every_token_sees_the_whole_sequence():
    cfg = _config(dropout=0.0)
    torch.manual_seed(21)
    model = BertModel(cfg).double().eval()
    ids = torch.randint(0, 37, (2, 8), generator=_gen(22))
    changed = ids.clone()
    changed[:, -1] = (changed[:, -1] + 1) % 37
    with torch.no_grad():
        seq, _ = model(ids)
        seq2, _ = model(changed)
    diff = (seq2[:, 0] - seq[:, 0]).abs().max().item()
    assert diff > 1e-6, (
        "Changing the LAST token left the output at position 0 unchanged: BERT's attention is "
        "bidirectional, every query sees every (real) key. Hint: no causal mask in BERT.")


def test_segment_ids_and_positions_change_the_output():
    cfg = _config(dropout=0.0)
    torch.manual_seed(23)
    model = BertModel(cfg).double().eval()
    ids = torch.randint(0, 37, (2, 8), generator=_gen(24))
    with torch.no_grad():
        base, _ = model(ids)
        segs, _ = model(ids, torch.ones_like(ids))
        shifted, _ = model(ids, None, None, torch.arange(3, 11))
        # Swapping the two segment rows and flipping every segment id changes nothing.
        swapped = BertModel(cfg).double().eval()
        swapped.load_state_dict(model.state_dict())
        swapped.embeddings.token_type_embeddings.weight.copy_(
            model.embeddings.token_type_embeddings.weight.flip(0))
        types = torch.randint(0, 2, (2, 8), generator=_gen(25))
        a, _ = model(ids, types)
        b, _ = swapped(ids, 1 - types)
    assert (segs - base).abs().max() > 1e-6, (
        "token_type_ids = 1 gave the same output as the default segment 0. Hint: add "
        "token_type_embeddings[token_type_ids].")
    assert (shifted - base).abs().max() > 1e-6, (
        "position_ids = arange(3, 11) gave the same output as the default arange(8). Hint: use "
        "the position_ids argument when it is given.")
    assert_close(a, b, **TOL, what="BertModel with segment ids s",
                 oracle="the same model with the two segment embedding rows swapped and "
                        "segment ids 1 - s",
                 hint="look up token_type_embeddings at token_type_ids")


def test_dropout_is_active_in_train_mode_only():
    cfg = _config(dropout=0.3)
    torch.manual_seed(26)
    model = BertModel(cfg).double()
    ids = torch.randint(0, 37, (2, 8), generator=_gen(27))
    model.eval()
    with torch.no_grad():
        e1, p1 = model(ids)
        e2, _ = model(ids)
        no_dropout = BertModel(_config(dropout=0.0)).double().eval()
        no_dropout.load_state_dict(model.state_dict())
        e0, p0 = no_dropout(ids)
    assert_close(e1, e2, **TOL, what="two eval-mode calls of BertModel(dropout=0.3)",
                 oracle="each other (eval mode is deterministic)",
                 hint="use nn.Dropout modules, which are off in eval mode")
    assert_close(e1, e0, **TOL, what="BertModel(dropout=0.3) in eval mode",
                 oracle="the same weights with dropout=0.0",
                 hint="dropout must do nothing in eval mode (nn.Dropout, or check "
                      "self.training)")
    model.train()
    with torch.no_grad():
        t1, _ = model(ids)
    assert (t1 - e1).abs().max() > 1e-6, (
        "In train mode with dropout=0.3, BertModel gave the same output as in eval mode. Hint: "
        "apply the config's dropout (embeddings, attention weights, residual branches).")


# --------------------------------------------------------------------------------------------
# Parity with Hugging Face transformers (skipped if it is not installed)
# --------------------------------------------------------------------------------------------


def _hf_config(cfg):
    transformers = pytest.importorskip("transformers")
    hf_cfg = transformers.BertConfig(
        vocab_size=cfg.vocab_size, hidden_size=cfg.hidden_size,
        num_hidden_layers=cfg.num_layers, num_attention_heads=cfg.num_heads,
        intermediate_size=cfg.intermediate_size, max_position_embeddings=cfg.max_position,
        type_vocab_size=cfg.type_vocab_size, hidden_dropout_prob=cfg.dropout,
        attention_probs_dropout_prob=cfg.dropout, layer_norm_eps=cfg.layer_norm_eps,
        hidden_act="gelu", pad_token_id=0)
    hf_cfg._attn_implementation = "eager"
    return transformers, hf_cfg


def _our_name(hf_name):
    """Map a Hugging Face BERT parameter name to this module's (the documented mapping)."""
    name = hf_name
    for old, new in [
        ("cls.predictions.transform.dense.", "mlm_dense."),
        ("cls.predictions.transform.LayerNorm.", "mlm_norm."),
        ("cls.predictions.bias", "mlm_bias"),
        ("cls.seq_relationship.", "nsp."),
        ("embeddings.LayerNorm.", "embeddings.layer_norm."),
        ("encoder.layer.", "layers."),
        (".attention.self.", ".attention."),
        (".attention.output.dense.", ".attention.output."),
        (".attention.output.LayerNorm.", ".attention_norm."),
        (".intermediate.dense.", ".intermediate."),
        (".output.dense.", ".output."),
        (".output.LayerNorm.", ".output_norm."),
        ("pooler.dense.", "pooler."),
    ]:
        name = name.replace(old, new)
    return name


def _copy_from_hf(mine, hf):
    ours = dict(mine.named_parameters())
    with torch.no_grad():
        for name, p in hf.named_parameters():  # tied parameters are listed once
            if name.startswith("cls.predictions.decoder."):
                continue  # tied to the word embeddings and to cls.predictions.bias
            ours[_our_name(name)].copy_(p)
    n_ours = sum(p.numel() for p in mine.parameters())
    assert n_ours == hf.num_parameters(), (
        f"your model has {n_ours} parameters, transformers' has {hf.num_parameters()} with the "
        "same config. Hint: check the documented parameters (and the tied MLM decoder).")


def _hf_inputs():
    ids, types, mask = _padding_batch(37, B=3, T=9, seed=30)
    return ids, types, mask


@pytest.mark.parametrize("with_positions", [False, True], ids=["default_positions",
                                                                "given_positions"])
def test_bert_model_matches_transformers(with_positions):
    cfg = _config()
    transformers, hf_cfg = _hf_config(cfg)
    torch.manual_seed(31)
    hf = transformers.BertModel(hf_cfg).double().eval()
    _perturb(hf, 32)
    torch.manual_seed(33)
    mine = BertModel(cfg).double().eval()
    _copy_from_hf(mine, hf)
    ids, types, mask = _hf_inputs()
    positions = torch.arange(9).flip(0) + 5 if with_positions else None
    pos_arg = positions.expand(3, 9) if with_positions else None
    with torch.no_grad():
        out = hf(input_ids=ids, token_type_ids=types, attention_mask=mask, position_ids=pos_arg)
    with forbidden(*ATTENTION_BUILTINS, by="phase3.bert.BertModel.forward"):
        seq, pooled = mine(ids, types, mask, pos_arg)
    what = ("BertModel (V=37, C=16, 2 layers, 4 heads, FFN 24, dropout 0.1, eval mode) on "
            "(3, 9) ids with segment ids and padding (sequences of 9, 6, 4 tokens)"
            + (", position_ids reversed + 5" if with_positions else ""))
    assert_close(_real(seq, mask), _real(out.last_hidden_state, mask), **TOL,
                 what=what + ": sequence_output at the real positions",
                 oracle="transformers.BertModel with the same weights (last_hidden_state)",
                 hint="embeddings -> LayerNorm; each layer post-norm with exact GELU and "
                      "LayerNorm eps 1e-12; padded keys masked; no final LayerNorm")
    assert_close(pooled, out.pooler_output, **TOL, what=what + ": pooled_output",
                 oracle="transformers.BertModel with the same weights (pooler_output)",
                 hint="pooled = tanh(pooler(h[:, 0])): the [CLS] position, after the last "
                      "layer")


def test_pretraining_heads_match_transformers():
    cfg = _config()
    transformers, hf_cfg = _hf_config(cfg)
    torch.manual_seed(34)
    hf = transformers.BertForPreTraining(hf_cfg).double().eval()
    _perturb(hf, 35)
    torch.manual_seed(36)
    mine = BertForPreTraining(cfg).double().eval()
    _copy_from_hf(mine, hf)
    ids, types, mask = _hf_inputs()
    with torch.no_grad():
        out = hf(input_ids=ids, token_type_ids=types, attention_mask=mask)
    with forbidden(*ATTENTION_BUILTINS, by="phase3.bert.BertForPreTraining.forward"):
        mlm_logits, nsp_logits = mine(ids, types, mask)
    assert_close(_real(mlm_logits, mask), _real(out.prediction_logits, mask), **TOL,
                 what="BertForPreTraining's mlm_logits (tiny config, padding) at real positions",
                 oracle="transformers.BertForPreTraining.prediction_logits, same weights",
                 hint="mlm_norm(gelu(mlm_dense(h))) @ word_embeddings.weight.T + mlm_bias")
    assert_close(nsp_logits, out.seq_relationship_logits, **TOL,
                 what="BertForPreTraining's nsp_logits",
                 oracle="transformers.BertForPreTraining.seq_relationship_logits, same weights",
                 hint="nsp is a Linear on the POOLED output, not on h[:, 0]")


def test_sequence_classification_matches_transformers():
    cfg = _config()
    transformers, hf_cfg = _hf_config(cfg)
    hf_cfg.num_labels = 3
    torch.manual_seed(37)
    hf = transformers.BertForSequenceClassification(hf_cfg).double().eval()
    _perturb(hf, 38)
    torch.manual_seed(39)
    mine = BertForSequenceClassification(cfg, num_labels=3).double().eval()
    _copy_from_hf(mine, hf)
    ids, types, mask = _hf_inputs()
    with torch.no_grad():
        expected = hf(input_ids=ids, token_type_ids=types, attention_mask=mask).logits
        got = mine(ids, types, mask)
    assert_close(got, expected, **TOL,
                 what="BertForSequenceClassification(num_labels=3) logits (eval mode, padding)",
                 oracle="transformers.BertForSequenceClassification with the same weights",
                 hint="classifier(dropout(pooled_output))")


# --------------------------------------------------------------------------------------------
# mask_tokens
# --------------------------------------------------------------------------------------------


def _chi_square(counts, probs, *, what, hint):
    counts = torch.as_tensor(counts, dtype=F64)
    probs = torch.as_tensor(probs, dtype=F64)
    expected = counts.sum() * probs
    stat = ((counts - expected) ** 2 / expected).sum()
    dof = len(probs) - 1
    p_value = torch.special.gammaincc(torch.tensor(dof / 2, dtype=F64), stat / 2).item()
    assert p_value >= P_VALUE_FLOOR, (
        f"{what}: the counts {counts.long().tolist()} do not fit the expected probabilities "
        f"{[round(x, 4) for x in probs.tolist()]} (chi-square {stat.item():.1f} on {dof} "
        f"degrees of freedom, p-value {p_value:.1e} < {P_VALUE_FLOOR:g}; a correct "
        f"implementation fails this seeded test with probability {P_VALUE_FLOOR:g}). "
        f"Hint: {hint}")


def _binomial_z(k, n, p, *, what, hint):
    # |z| > 5.33 has probability < 1e-7 under the normal approximation (n p (1 - p) >= 1000).
    z = (k - n * p) / math.sqrt(n * p * (1 - p))
    assert abs(z) <= 5.33, (
        f"{what}: {k} of {n}, expected about {n * p:.0f} (probability {p}); z = {z:.1f}, and a "
        f"correct implementation has |z| > 5.33 with probability below 1e-7. Hint: {hint}")


def _masking_batch(V=40, B=200, T=500, seed=40):
    g = _gen(seed)
    ids = torch.randint(5, V, (B, T), generator=g)  # ordinary tokens; 0..4 are specials
    special = torch.zeros(B, T, dtype=torch.bool)
    special[:, 0] = True  # [CLS]
    lengths = torch.randint(T // 2, T, (B,), generator=g)
    for b in range(B):
        special[b, lengths[b]] = True  # [SEP]
        special[b, lengths[b] + 1:] = True  # [PAD]
    ids[:, 0] = 1
    ids[special & (ids != 1)] = 0
    return ids, special


def test_mask_tokens_selects_15_percent_and_splits_80_10_10():
    """Mask tokens selects the documented share of tokens and splits them as documented."""
    V, MASK = 40, 4
    ids, special = _masking_batch(V)
    original = ids.clone()
    masked, labels = mask_tokens(ids, special, V, MASK, _gen(41))
    assert torch.equal(ids, original), "mask_tokens modified input_ids in place; return a copy"
    ordinary = ~special
    selected = labels != IGNORE_INDEX
    n = int(ordinary.sum())
    out = masked[selected]
    orig = ids[selected]
    n_mask = int((out == MASK).sum())
    n_same = int((out == orig).sum())
    n_other = int(selected.sum()) - n_mask - n_same
    # The random 10% draws uniformly from V ids: one of them is [MASK], one is the original.
    p = 0.15
    probs = [1 - p, p * (0.8 + 0.1 / V), p * (0.1 + 0.1 / V), p * 0.1 * (V - 2) / V]
    _chi_square([n - int(selected.sum()), n_mask, n_same, n_other], probs,
                what=f"mask_tokens on {n} ordinary tokens (V={V}): the numbers of tokens not "
                     "selected / selected and [MASK] / selected and unchanged / selected and "
                     "replaced by another id",
                hint="select each non-special token with probability 0.15; of the selected, "
                     "80% become [MASK], 10% a uniform random id from 0..V-1, 10% stay as they "
                     "are (the 80/10/10 split applies to the SELECTED tokens only)")


def test_mask_tokens_never_selects_special_tokens():
    V, MASK = 40, 4
    ids, special = _masking_batch(V, B=50, T=200, seed=42)
    masked, labels = mask_tokens(ids, special, V, MASK, _gen(43), mlm_probability=0.9)
    assert bool((labels[special] == IGNORE_INDEX).all()), (
        f"{int((labels[special] != IGNORE_INDEX).sum())} special positions ([CLS], [SEP], "
        "[PAD]; special_mask True) got a label. Special tokens must never be selected. Hint: "
        "AND the random selection with ~special_mask.")
    assert torch.equal(masked[special], ids[special]), (
        "mask_tokens changed the id of some special positions; they must stay as they are.")


def test_mask_tokens_labels_are_original_ids_exactly_at_selected_positions():
    """Mask tokens labels the selected positions, and only those, with their original ids."""
    V, MASK = 40, 4
    ids, special = _masking_batch(V, B=40, T=100, seed=44)
    masked, labels = mask_tokens(ids, special, V, MASK, _gen(45), mlm_probability=0.3)
    selected = labels != IGNORE_INDEX
    assert labels.shape == ids.shape and masked.shape == ids.shape, (
        f"mask_tokens must return two (B, T) tensors; got {tuple(masked.shape)} and "
        f"{tuple(labels.shape)} for input {tuple(ids.shape)}")
    assert selected.any(), "no position was selected with mlm_probability=0.3"
    assert_equal(labels[selected], ids[selected],
                 what="labels at the selected positions (labels != -100)",
                 oracle="the ORIGINAL input ids there",
                 hint="the label is the id before corruption, also where it became [MASK] or "
                      "a random id")
    assert_equal(masked[~selected], ids[~selected],
                 what="masked_input_ids at the positions that were not selected (label -100)",
                 oracle="the input ids (unchanged)",
                 hint="only selected positions may change; every position that changed (or "
                      "was kept as one of the 10% 'unchanged') needs its label")
    assert bool((masked[masked != ids] >= 0).all() and (masked < V).all()), (
        "masked ids must lie in 0 .. vocab_size - 1")


def test_random_replacements_are_uniform_over_the_whole_vocabulary():
    V, MASK, TOKEN = 12, 3, 7
    ids = torch.full((400, 250), TOKEN)  # every token is 7
    special = torch.zeros_like(ids, dtype=torch.bool)
    masked, labels = mask_tokens(ids, special, V, MASK, _gen(46), mlm_probability=0.5)
    others = masked[(labels != IGNORE_INDEX) & (masked != MASK) & (masked != TOKEN)]
    counts = torch.bincount(others, minlength=V)
    keep = [i for i in range(V) if i not in (MASK, TOKEN)]
    _chi_square(counts[keep], [1 / len(keep)] * len(keep),
                what=f"the random replacement ids (V={V}, every input id {TOKEN}, [MASK]={MASK}"
                     "), other than [MASK] and the original",
                hint="draw the random id uniformly from ALL of 0 .. vocab_size - 1 (e.g. "
                     "torch.randint(vocab_size, shape, generator=generator))")


def test_mlm_probability_sets_the_selection_rate():
    V, MASK = 40, 4
    ids = torch.randint(5, V, (100, 100), generator=_gen(47))
    special = torch.zeros_like(ids, dtype=torch.bool)
    _, labels = mask_tokens(ids, special, V, MASK, _gen(48), mlm_probability=0.4)
    k = int((labels != IGNORE_INDEX).sum())
    _binomial_z(k, ids.numel(), 0.4, what="selected tokens with mlm_probability=0.4",
                hint="select with the mlm_probability argument, not a hard-coded 0.15")


def test_mask_tokens_draws_only_from_the_generator():
    V, MASK = 40, 4
    ids, special = _masking_batch(V, B=8, T=64, seed=49)
    torch.manual_seed(1)
    a = mask_tokens(ids, special, V, MASK, _gen(50))
    torch.manual_seed(2)  # the global seed must not matter
    b = mask_tokens(ids, special, V, MASK, _gen(50))
    c = mask_tokens(ids, special, V, MASK, _gen(51))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]), (
        "Two calls with generators seeded alike (and different global torch seeds) gave "
        "different results. Hint: pass generator=generator to every random call.")
    assert not (torch.equal(a[0], c[0]) and torch.equal(a[1], c[1])), (
        "Generators with different seeds gave the same masking. Hint: draw from `generator`.")


# --------------------------------------------------------------------------------------------
# mlm_loss
# --------------------------------------------------------------------------------------------


def test_mlm_loss_and_gradient_match_cross_entropy_with_ignore_index():
    logits = _randn(3, 7, 11, seed=52).requires_grad_(True)
    labels = torch.randint(0, 11, (3, 7), generator=_gen(53))
    labels[torch.rand(3, 7, generator=_gen(54)) < 0.7] = IGNORE_INDEX
    labels[0, 0] = 5
    ref_logits = logits.detach().clone().requires_grad_(True)
    expected = F.cross_entropy(ref_logits.reshape(-1, 11), labels.reshape(-1), ignore_index=-100)
    expected.backward()
    got = mlm_loss(logits, labels)
    got.backward()
    assert_close(got, expected, **TOL,
                 what=f"mlm_loss on (3, 7, 11) logits with {int((labels != -100).sum())} of 21 "
                      "positions labelled",
                 oracle="F.cross_entropy(ignore_index=-100)",
                 hint="average over the LABELLED positions only: divide by their number, not "
                      "by B * T")
    assert_close(logits.grad, ref_logits.grad, **TOL, what="the gradient of mlm_loss",
                 oracle="autograd through F.cross_entropy(ignore_index=-100)",
                 hint="unlabelled positions get zero gradient")


def test_mlm_loss_ignores_unlabelled_positions():
    logits = _randn(2, 5, 9, seed=55)
    labels = torch.full((2, 5), IGNORE_INDEX)
    labels[0, 1], labels[1, 3] = 2, 8
    changed = logits.clone()
    changed[labels == IGNORE_INDEX] = _randn(8, 9, seed=56) * 10
    assert_close(mlm_loss(changed, labels), mlm_loss(logits, labels), **TOL,
                 what="mlm_loss after changing the logits at the 8 unlabelled positions",
                 oracle="mlm_loss before the change (they must not count)",
                 hint="compute the loss over positions with labels != -100 only")


def test_mlm_loss_with_nothing_labelled_is_zero_not_nan():
    logits = _randn(2, 4, 6, seed=57).requires_grad_(True)
    labels = torch.full((2, 4), IGNORE_INDEX)
    loss = mlm_loss(logits, labels)
    assert torch.isfinite(loss).all() and abs(loss.item()) == 0.0, (
        f"mlm_loss with every label -100 returned {loss.item()}, expected 0.0 (the documented "
        "value; a plain mean over zero positions is 0/0 = NaN).")
    loss.backward()
    assert logits.grad is not None and bool((logits.grad == 0).all()), (
        "mlm_loss with nothing labelled must still support backward() with zero gradients")


# --------------------------------------------------------------------------------------------
# make_nsp_example
# --------------------------------------------------------------------------------------------

CLS, SEP = 1, 2


def _documents():
    """Three documents; every sentence is unique, so (doc, index) is recoverable from it."""
    docs, next_id = [], 10
    for n_sentences in (4, 1, 3):
        doc = []
        for s in range(n_sentences):
            length = 2 + (s + len(docs)) % 3
            doc.append(list(range(next_id, next_id + length)))
            next_id += length
        docs.append(doc)
    return docs


def _split(ids):
    first, last = ids.index(SEP), len(ids) - 1
    return ids[1:first], ids[first + 1:last]


def test_nsp_example_layout_and_segment_ids():
    """NSP examples have the documented layout and segment ids."""
    docs = _documents()
    g = _gen(60)
    for _ in range(50):
        ids, types, label = make_nsp_example(docs, CLS, SEP, g)
        assert ids[0] == CLS and ids[-1] == SEP and ids.count(SEP) == 2, (
            f"input_ids {ids} is not [CLS] a [SEP] b [SEP] (CLS={CLS}, SEP={SEP})")
        a, b = _split(ids)
        expected_types = [0] * (len(a) + 2) + [1] * (len(b) + 1)
        assert list(types) == expected_types, (
            f"token_type_ids {list(types)} for input_ids {ids}: expected {expected_types} "
            "(0 for [CLS], a and the first [SEP]; 1 for b and the final [SEP])")
        assert label in (0, 1), f"label must be 0 (IsNext) or 1 (NotNext), got {label!r}"


def test_nsp_is_next_pairs_follow_and_not_next_pairs_come_from_another_document():
    """NSP next pairs are consecutive and not-next pairs come from another document."""
    docs = _documents()
    where = {tuple(s): (d, i) for d, doc in enumerate(docs) for i, s in enumerate(doc)}
    g = _gen(61)
    seen_other_docs = set()
    for _ in range(300):
        ids, _, label = make_nsp_example(docs, CLS, SEP, g)
        a, b = _split(ids)
        (da, ia), (db, ib) = where[tuple(a)], where[tuple(b)]
        assert ia <= len(docs[da]) - 2, (
            f"sentence a = document {da}, sentence {ia} is the last of its document: a must "
            "have a next sentence (i in 0 .. len(d) - 2)")
        if label == 0:
            assert (db, ib) == (da, ia + 1), (
                f"IsNext (label 0) pair: a is document {da} sentence {ia}, but b is document "
                f"{db} sentence {ib}; b must be the sentence right after a. Hint: label 0 "
                "means IsNext.")
        else:
            assert db != da, (
                f"NotNext (label 1) pair: b comes from a's own document {da}; it must come "
                "from another document.")
            seen_other_docs.add((da, db))
    assert {(0, 1), (0, 2)} <= seen_other_docs, (
        "In 300 NotNext draws with a from document 0, b never came from one of the other "
        "documents (including the one-sentence document 1). Hint: pick b's document uniformly "
        "among ALL other documents.")


def test_nsp_labels_are_50_50():
    """NSP labels are balanced between next and not-next."""
    docs = _documents()
    g = _gen(62)
    n = 6000
    k = sum(make_nsp_example(docs, CLS, SEP, g)[2] == 0 for _ in range(n))
    _binomial_z(k, n, 0.5, what="IsNext labels in make_nsp_example draws",
                hint="flip a fair coin from the generator for each example")


def test_nsp_uses_the_generator_and_rejects_bad_corpora():
    docs = _documents()
    torch.manual_seed(1)
    a = [make_nsp_example(docs, CLS, SEP, g) for g in [_gen(63)] for _ in range(20)]
    torch.manual_seed(2)
    b = [make_nsp_example(docs, CLS, SEP, g) for g in [_gen(63)] for _ in range(20)]
    assert a == b, ("Two runs from generators seeded alike gave different examples. Hint: draw "
                    "every random number from `generator`.")
    with pytest.raises(ValueError):
        make_nsp_example([[[10, 11], [12]]], CLS, SEP, _gen(0))  # one document
    with pytest.raises(ValueError):
        make_nsp_example([[[10]], [[11]]], CLS, SEP, _gen(0))  # no document with 2 sentences


# --------------------------------------------------------------------------------------------
# Fine-tuning
# --------------------------------------------------------------------------------------------

PAD = 0
N_TOKENS = 32  # 0 [PAD], 1 [CLS], 2 [SEP], 3 [MASK]; 4..23 neutral; 24..27 good; 28..31 bad


def _sentiment_data(n, seed, T=12):
    """Each sentence: neutral words and one keyword; label 1 if it is a 'good' keyword."""
    g = _gen(seed)
    ids = torch.full((n, T), PAD)
    mask = torch.zeros(n, T, dtype=torch.long)
    labels = torch.randint(0, 2, (n,), generator=g)
    for i in range(n):
        length = int(torch.randint(4, T - 1, (1,), generator=g))
        words = torch.randint(4, 24, (length,), generator=g)
        keyword = (24 if labels[i] == 1 else 28) + torch.randint(0, 4, (1,), generator=g)
        words[torch.randint(0, length, (1,), generator=g)] = keyword
        ids[i, 0] = 1
        ids[i, 1:length + 1] = words
        ids[i, length + 1] = 2
        mask[i, :length + 2] = 1
    return ids, mask, labels


def _classifier(seed):
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=N_TOKENS, hidden_size=32, num_layers=2, num_heads=2,
                     intermediate_size=64, max_position=16, dropout=0.1)
    return BertForSequenceClassification(cfg, num_labels=2)


def test_fine_tuning_learns_keyword_sentiment():
    ids, mask, labels = _sentiment_data(384, seed=70)
    test_ids, test_mask, test_labels = _sentiment_data(400, seed=71)
    model = _classifier(72)
    losses = fine_tune(model, ids, labels, mask, epochs=3, batch_size=16, lr=2e-3, seed=73)
    assert not model.training, "fine_tune must leave the model in eval mode"
    with torch.no_grad():
        predictions = model(test_ids, attention_mask=test_mask).argmax(-1)
    acc = (predictions == test_labels).double().mean().item()
    assert acc >= 0.95, (
        f"After fine_tune (384 sentences, 3 epochs, batch 16, lr 2e-3, AdamW) the held-out "
        f"accuracy on the keyword-sentiment task is {acc:.3f}, below 0.95 (first losses "
        f"{[round(x, 3) for x in losses[:3]]}, last {[round(x, 3) for x in losses[-3:]]}). "
        "Hint: zero the gradients every step, pass the attention_mask, use "
        "F.cross_entropy on the logits, and shuffle with the seeded generator.")


def test_fine_tune_counts_steps_and_is_reproducible():
    ids, mask, labels = _sentiment_data(50, seed=74)
    runs = []
    for seed in (75, 75, 76):
        model = _classifier(77)
        runs.append(fine_tune(model, ids, labels, mask, epochs=2, batch_size=16, lr=1e-3,
                              seed=seed))
    assert len(runs[0]) == 2 * math.ceil(50 / 16), (
        f"fine_tune with N=50, batch_size=16, epochs=2 returned {len(runs[0])} losses; expected "
        f"{2 * math.ceil(50 / 16)} (one per step, the last batch of an epoch smaller, none "
        "dropped)")
    assert all(isinstance(x, float) and math.isfinite(x) for x in runs[0]), (
        "fine_tune must return the losses as finite Python floats (loss.item())")
    assert runs[0] == runs[1], (
        "Two fine_tune runs with the same seed from the same initial model gave different "
        "losses. Hint: shuffle with torch.randperm(N, generator=g), g seeded with `seed`.")
    assert runs[0] != runs[2], (
        "fine_tune with seeds 75 and 76 gave the same losses: the seed must set the order of "
        "the examples.")


def test_fine_tune_matches_a_reference_adamw_loop():
    ids, mask, labels = _sentiment_data(40, seed=81)
    torch.manual_seed(82)
    cfg = BertConfig(vocab_size=N_TOKENS, hidden_size=16, num_layers=1, num_heads=2,
                     intermediate_size=32, max_position=16, dropout=0.0)
    model = BertForSequenceClassification(cfg, num_labels=2)
    _perturb(model, 84)  # larger weights: the outputs depend visibly on the padding
    reference = BertForSequenceClassification(cfg, num_labels=2)
    reference.load_state_dict(model.state_dict())
    got = fine_tune(model, ids, labels, mask, epochs=2, batch_size=12, lr=3e-3,
                    weight_decay=0.1, seed=83)
    # The documented loop, written here with the reference model (dropout 0: deterministic).
    optimizer = torch.optim.AdamW(reference.parameters(), lr=3e-3, weight_decay=0.1)
    g = torch.Generator().manual_seed(83)
    expected = []
    for _ in range(2):
        order = torch.randperm(40, generator=g)
        for start in range(0, 40, 12):
            idx = order[start:start + 12]
            loss = F.cross_entropy(reference(ids[idx], attention_mask=mask[idx]), labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            expected.append(loss.item())
    assert_close(torch.tensor(got, dtype=F64), torch.tensor(expected, dtype=F64), rtol=1e-4,
                 atol=1e-5,
                 what="fine_tune's step losses (N=40, batch 12, 2 epochs, lr 3e-3, weight decay "
                      "0.1, seed 83, dropout 0)",
                 oracle="the documented loop run by the test: randperm(N, generator seeded with "
                        "seed) per epoch, F.cross_entropy, torch.optim.AdamW(lr, weight_decay)",
                 hint="zero the gradients before every backward; pass the attention_mask; use "
                      "lr and weight_decay as given; one randperm per epoch from one generator "
                      "seeded once")


def test_freeze_encoder_trains_only_the_head():
    """Freezing the encoder trains only the head."""
    ids, mask, labels = _sentiment_data(48, seed=78)
    for freeze in (True, False):
        model = _classifier(79)
        before = {k: v.detach().clone() for k, v in model.state_dict().items()}
        fine_tune(model, ids, labels, mask, epochs=1, batch_size=16, lr=1e-2, freeze_encoder=freeze,
                  seed=80)
        after = model.state_dict()
        changed_encoder = [k for k in before if k.startswith("bert.")
                           and not torch.equal(before[k], after[k])]
        changed_head = [k for k in before if k.startswith("classifier.")
                        and not torch.equal(before[k], after[k])]
        assert changed_head, f"freeze_encoder={freeze}: the classifier did not change"
        if freeze:
            assert not changed_encoder, (
                f"freeze_encoder=True changed encoder parameters {changed_encoder[:3]}... "
                "Hint: set requires_grad=False on model.bert's parameters and give AdamW only "
                "the classifier's (AdamW's weight decay moves every parameter it holds).")
        else:
            encoder = [k for k in before if k.startswith("bert.")]
            unchanged = sorted(set(encoder) - set(changed_encoder))
            assert not unchanged, (
                f"freeze_encoder=False must train every encoder parameter; unchanged: "
                f"{unchanged[:3]}")


# --------------------------------------------------------------------------------------------
# GLUE metrics
# --------------------------------------------------------------------------------------------

CORRCOEF = ("numpy.corrcoef", "torch.corrcoef", "torch.Tensor.corrcoef")


def _binary(n, seed, p=0.5):
    return (np.random.default_rng(seed).random(n) < p).astype(np.int64)


def _np_ranks(x):
    """Average ranks (1-based) with ties, from np.unique: a closed form, not an argsort loop."""
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)  # the largest rank in each group of ties
    return (ends - (counts - 1) / 2.0)[inverse]


def test_accuracy_matches_numpy():
    p, y = _binary(101, 90), _binary(101, 91)
    assert_close(accuracy(torch.as_tensor(p), torch.as_tensor(y)), float(np.mean(p == y)),
                 what="accuracy on 101 random binary predictions", oracle="np.mean(p == y)",
                 hint="the fraction of equal positions")
    labels = np.random.default_rng(92).integers(0, 3, 50)
    preds = np.where(np.random.default_rng(93).random(50) < 0.6, labels, (labels + 1) % 3)
    assert_close(accuracy(preds.tolist(), labels.tolist()), float(np.mean(preds == labels)),
                 what="accuracy on 50 three-class predictions given as lists",
                 oracle="np.mean(p == y)", hint="accept lists; three classes (MNLI)")


def test_f1_matches_closed_form_and_hand_cases():
    for seed in range(3):
        p, y = _binary(200, 100 + seed, 0.4), _binary(200, 200 + seed, 0.3)
        tp = np.sum((p == 1) & (y == 1))
        precision, recall = tp / np.sum(p == 1), tp / np.sum(y == 1)
        expected = 2 * precision * recall / (precision + recall)
        assert_close(f1_score(torch.as_tensor(p), torch.as_tensor(y)), expected, rtol=1e-12,
                     atol=1e-12, what=f"f1_score on 200 random binary predictions (seed {seed})",
                     oracle="2 P R / (P + R) from NumPy counts, positive class 1",
                     hint="precision = tp / (tp + fp), recall = tp / (tp + fn), with class 1 "
                          "the positive class")
    # tp=2, fp=1, fn=1 -> precision = recall = 2/3 -> F1 = 2/3.
    assert_close(f1_score([1, 1, 1, 0, 0], [1, 1, 0, 1, 0]), 2 / 3, rtol=1e-12, atol=1e-12,
                 what="f1_score([1, 1, 1, 0, 0], [1, 1, 0, 1, 0])", oracle="2/3 by hand",
                 hint="tp = 2, fp = 1, fn = 1")
    # F1 is not symmetric in the classes: the negatives do not count.
    assert_close(f1_score([0, 0, 0, 1], [0, 0, 1, 1]), 2 / 3, rtol=1e-12, atol=1e-12,
                 what="f1_score([0, 0, 0, 1], [0, 0, 1, 1])", oracle="2/3 by hand",
                 hint="only class 1 is the positive class; true negatives do not enter F1")
    assert_close(f1_score([0, 0, 0], [0, 0, 0]), 0.0, what="f1_score with no positives at all",
                 oracle="the documented 0.0", hint="2 tp + fp + fn = 0: return 0.0, not NaN")


def test_matthews_corrcoef_is_the_phi_coefficient():
    for seed in range(3):
        y = _binary(300, 300 + seed, 0.35)
        p = np.where(np.random.default_rng(400 + seed).random(300) < 0.7, y, 1 - y)
        expected = np.corrcoef(p, y)[0, 1]  # MCC of binary vectors = their Pearson r
        with forbidden(*CORRCOEF, by="phase3.bert.matthews_corrcoef"):
            got = matthews_corrcoef(torch.as_tensor(p), torch.as_tensor(y))
        assert_close(got, expected, rtol=1e-12, atol=1e-12,
                     what=f"matthews_corrcoef on 300 random binary predictions (seed {seed})",
                     oracle="np.corrcoef(p, y)[0, 1] (the phi coefficient equals MCC)",
                     hint="(tp tn - fp fn) / sqrt((tp + fp)(tp + fn)(tn + fp)(tn + fn))")
        assert_close(matthews_corrcoef(1 - p, 1 - y), got, rtol=1e-12, atol=1e-12,
                     what="MCC after swapping the classes 0 <-> 1 in predictions and labels",
                     oracle="the MCC before (it is symmetric in the classes, unlike F1)",
                     hint="use all four counts tp, tn, fp, fn")
        assert_close(matthews_corrcoef(1 - p, y), -got, rtol=1e-12, atol=1e-12,
                     what="MCC of the inverted predictions", oracle="minus the MCC",
                     hint="inverting every prediction swaps tp <-> fn and tn <-> fp")
    # tp=2, tn=1, fp=1, fn=1 -> (2 - 1) / sqrt(3 * 3 * 2 * 2) = 1/6.
    assert_close(matthews_corrcoef([1, 1, 1, 0, 0], [1, 1, 0, 1, 0]), 1 / 6, rtol=1e-12,
                 atol=1e-12, what="matthews_corrcoef([1, 1, 1, 0, 0], [1, 1, 0, 1, 0])",
                 oracle="1/6 by hand", hint="tp=2, tn=1, fp=1, fn=1")


def test_matthews_corrcoef_of_constant_predictions_is_zero():
    y = _binary(40, 500)
    for constant in (0, 1):
        got = matthews_corrcoef([constant] * 40, y.tolist())
        assert math.isfinite(got) and got == 0.0, (
            f"matthews_corrcoef of constant predictions (all {constant}) returned {got}; "
            "expected 0.0 (the denominator is 0: return 0, as the docstring says, not NaN)")


def test_pearson_matches_numpy_and_is_affine_invariant():
    g = np.random.default_rng(600)
    x = g.normal(size=80)
    y = 0.6 * x + g.normal(size=80)
    with forbidden(*CORRCOEF, by="phase3.bert.pearson"):
        got = pearson(torch.as_tensor(x), torch.as_tensor(y))
        scaled = pearson(torch.as_tensor(3.0 * x + 7.0), torch.as_tensor(-2.0 * y + 1.0))
        constant = pearson(torch.full((80,), 2.5, dtype=F64), torch.as_tensor(y))
    expected = np.corrcoef(x, y)[0, 1]
    assert_close(got, expected, rtol=1e-12, atol=1e-12, what="pearson on 80 correlated normals",
                 oracle="np.corrcoef", hint="center both samples before the products")
    assert_close(scaled, -expected, rtol=1e-12, atol=1e-12,
                 what="pearson(3x + 7, -2y + 1)", oracle="-pearson(x, y)",
                 hint="Pearson's r ignores shifts and scales, and flips sign with a negative "
                      "scale")
    assert constant == 0.0, f"pearson with a constant x returned {constant}, expected 0.0"


def test_spearman_uses_average_ranks_for_ties():
    g = np.random.default_rng(700)
    for seed in range(3):
        x = g.integers(0, 6, 60).astype(np.float64)  # many ties
        y = x + g.integers(-2, 3, 60)
        expected = np.corrcoef(_np_ranks(x), _np_ranks(y))[0, 1]
        with forbidden(*CORRCOEF, by="phase3.bert.spearman"):
            got = spearman(torch.as_tensor(x), torch.as_tensor(y))
        assert_close(got, expected, rtol=1e-12, atol=1e-12,
                     what=f"spearman on 60 integers in 0..5 (many ties; draw {seed})",
                     oracle="np.corrcoef of average ranks computed with np.unique",
                     hint="tied values share the MEAN of the ranks they occupy: [10, 20, 20, 30] "
                          "ranks as [1, 2.5, 2.5, 4]; then Pearson's r of the ranks")
    assert_close(spearman([10, 20, 20, 30], [1, 2, 3, 4]), 0.9486832980505138, rtol=1e-12,
                 atol=1e-12, what="spearman([10, 20, 20, 30], [1, 2, 3, 4])",
                 oracle="Pearson's r of [1, 2.5, 2.5, 4] and [1, 2, 3, 4] = 3/sqrt(10)",
                 hint="average the tied ranks")


def test_spearman_without_ties_is_the_d_squared_formula_and_monotone_invariant():
    g = np.random.default_rng(710)
    x, y = g.permutation(30).astype(np.float64), g.normal(size=30)
    d = _np_ranks(x) - _np_ranks(y)
    expected = 1 - 6 * np.sum(d ** 2) / (30 * (30 ** 2 - 1))
    got = spearman(x.tolist(), y.tolist())
    assert_close(got, expected, rtol=1e-12, atol=1e-12,
                 what="spearman on 30 distinct values", oracle="1 - 6 sum d^2 / (n (n^2 - 1))",
                 hint="rank each sample (1 = smallest), then correlate the ranks")
    assert_close(spearman(np.exp(x / 5).tolist(), (y ** 3).tolist()), got, rtol=1e-12,
                 atol=1e-12, what="spearman(exp(x / 5), y^3)", oracle="spearman(x, y)",
                 hint="ranks do not change under increasing transformations")


def test_glue_metrics_pick_each_tasks_metrics():
    """GLUE metrics computes each task's own metrics."""
    p, y = _binary(60, 800), _binary(60, 801)
    scores = np.random.default_rng(802).normal(size=60)
    targets = scores + np.random.default_rng(803).normal(size=60)
    expected = {
        "cola": {"mcc": matthews_corrcoef(p, y)},
        "sst2": {"accuracy": accuracy(p, y)},
        "mrpc": {"f1": f1_score(p, y), "accuracy": accuracy(p, y)},
        "qqp": {"f1": f1_score(p, y), "accuracy": accuracy(p, y)},
        "stsb": {"pearson": pearson(scores, targets), "spearman": spearman(scores, targets)},
        "rte": {"accuracy": accuracy(p, y)},
        "mnli": {"accuracy": accuracy(p, y)},
    }
    for task, metrics in expected.items():
        args = (scores, targets) if task == "stsb" else (p, y)
        got = glue_metrics(task, *args)
        assert set(got) == set(metrics), (
            f"glue_metrics({task!r}) returned the metrics {sorted(got)}, expected "
            f"{sorted(metrics)}")
        for name, value in metrics.items():
            assert_close(got[name], value, rtol=1e-12, atol=1e-12,
                         what=f"glue_metrics({task!r})[{name!r}]",
                         oracle=f"your {name} function on the same inputs",
                         hint="call the matching metric function")
    with pytest.raises(ValueError):
        glue_metrics("imagenet", p, y)


def test_glue_score_averages_within_each_task_first():
    results = {"cola": {"mcc": 0.2}, "mrpc": {"f1": 0.9, "accuracy": 0.7},
               "stsb": {"pearson": 0.5, "spearman": 0.3}}
    # (0.2 + 0.8 + 0.4) / 3, not the plain mean of the five values (2.6 / 5 = 0.52).
    assert_close(glue_score(results), 1.4 / 3, rtol=1e-12, atol=1e-12,
                 what="glue_score of CoLA 0.2, MRPC (F1 0.9, acc 0.7), STS-B (0.5, 0.3)",
                 oracle="(0.2 + 0.8 + 0.4) / 3 by hand",
                 hint="average each task's metrics first, then average the task scores")
    g = np.random.default_rng(900)
    results = {f"task{t}": {f"m{j}": float(g.random()) for j in range(1 + t % 3)}
               for t in range(7)}
    expected = np.mean([np.mean(list(m.values())) for m in results.values()])
    assert_close(glue_score(results), expected, rtol=1e-12, atol=1e-12,
                 what="glue_score of 7 random tasks with 1 to 3 metrics",
                 oracle="np.mean of the per-task np.mean",
                 hint="a task with several metrics counts once")
