"""BERT: an encoder, masked-language-model pre-training, fine-tuning and GLUE metrics.

BERT (Devlin et al., 2019) is the Transformer's encoder on its own: every token attends to
every other token, left and right. It learns from raw text by filling in blanks (the masked
language model: hide 15% of the tokens, predict them) and by telling whether sentence B really
follows sentence A (next-sentence prediction). Then one linear layer on the [CLS] vector turns
it into a classifier, scored on GLUE.

You write, in this order:
    BertEmbeddings        token + segment + learned position embeddings, LayerNorm, dropout
    BertSelfAttention     bidirectional multi-head attention with a padding mask, from matmuls
    BertLayer             a post-norm encoder layer (attention, then a GELU FFN)
    BertModel             embeddings, layers and the tanh pooler on [CLS]
    BertForPreTraining    the MLM head (tied to the token embeddings) and the NSP head
    mask_tokens           choose 15% of the tokens and corrupt them 80/10/10
    mlm_loss              cross-entropy over the masked positions only
    make_nsp_example      [CLS] a [SEP] b [SEP], half the time b really follows a
    BertForSequenceClassification, fine_tune     the GLUE-style classifier and its training
    accuracy, f1_score, matthews_corrcoef, pearson, spearman, glue_metrics, glue_score

Each __init__ is written for you: it creates the parameters with the names and shapes the tests
copy Hugging Face's weights into. Write the attention yourself from matmuls and a softmax: the
tests forbid torch.nn.functional.scaled_dot_product_attention, nn.MultiheadAttention and
nn.TransformerEncoderLayer. torch.nn.LayerNorm, nn.Linear, nn.Embedding and F.gelu are fine.
attention_mask follows Hugging Face: 1 (True) = a real token, 0 (False) = padding.
The GLUE metrics use no scipy or sklearn (and no corrcoef): they are short formulas.
"""

from __future__ import annotations

import math  # noqa: F401  (you may want it)
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F  # noqa: F401  (you will want it)
from torch import nn

IGNORE_INDEX = -100  # the label of a position that the MLM loss skips (F.cross_entropy's default)


@dataclass
class BertConfig:
    """Hyperparameters of a BERT encoder (defaults: BERT-base).

    vocab_size: V, the number of token ids.
    hidden_size: C, the model width.
    num_layers: L, the number of encoder layers.
    num_heads: heads per attention layer; must divide hidden_size (head size hs = C // nh).
    intermediate_size: the FFN's hidden width (4 C in BERT).
    max_position: the number of learned positions (the longest sequence).
    type_vocab_size: the number of segments (2: sentence A and sentence B).
    dropout: dropout probability, on the embeddings, the attention weights and both residual
        branches (Hugging Face's hidden_dropout_prob = attention_probs_dropout_prob).
    layer_norm_eps: eps of every LayerNorm (BERT: 1e-12).
    """

    vocab_size: int = 30522
    hidden_size: int = 768
    num_layers: int = 12
    num_heads: int = 12
    intermediate_size: int = 3072
    max_position: int = 512
    type_vocab_size: int = 2
    dropout: float = 0.1
    layer_norm_eps: float = 1e-12


class BertEmbeddings(nn.Module):
    """Token + segment + learned position embeddings, then LayerNorm and dropout.

        e = word_embeddings[input_ids] + token_type_embeddings[token_type_ids]
            + position_embeddings[position_ids]
        return dropout(layer_norm(e))

    Parameters (created by __init__):
        word_embeddings:       nn.Embedding(V, C)
        position_embeddings:   nn.Embedding(max_position, C)
        token_type_embeddings: nn.Embedding(type_vocab_size, C)
        layer_norm:            nn.LayerNorm(C, eps=layer_norm_eps)
        dropout:               nn.Dropout(dropout)

    forward(input_ids, token_type_ids=None, position_ids=None):
        input_ids: (B, T) long.
        token_type_ids: (B, T) long segment ids (0 = sentence A, 1 = sentence B); None means
            all zeros.
        position_ids: (B, T) or (T,) long; None means arange(T) for every sequence.
        Returns (B, T, C).
    """

    def __init__(self, config: BertConfig) -> None:
        """Create the three embeddings, the LayerNorm and the dropout described above."""
        super().__init__()
        C = config.hidden_size
        self.word_embeddings = nn.Embedding(config.vocab_size, C)
        self.position_embeddings = nn.Embedding(config.max_position, C)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, C)
        self.layer_norm = nn.LayerNorm(C, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None,
                position_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Embed (B, T) token ids into (B, T, C) as described in the class docstring."""
        raise NotImplementedError("phase3.bert.BertEmbeddings.forward")


class BertSelfAttention(nn.Module):
    """Bidirectional multi-head self-attention with a padding mask, and its output projection.

    With C = hidden_size, nh = num_heads and hs = C // nh:

        q, k, v = query(x), key(x), value(x)          each (B, T, C) -> (B, nh, T, hs)
        scores = q k^T / sqrt(hs)                      (B, nh, T, T); padded KEYS set to -inf
        y = dropout(softmax(scores, over the keys)) v  (B, nh, T, hs) -> (B, T, C)
        return output(y)

    Head h owns channels h*hs .. (h+1)*hs - 1 of q, k and v. Write the attention from matmuls
    and a softmax: torch.nn.functional.scaled_dot_product_attention, nn.MultiheadAttention and
    nn.TransformerEncoderLayer are not allowed (the tests forbid them).

    Parameters (created by __init__):
        query, key, value: nn.Linear(C, C) each
        output:            nn.Linear(C, C), the projection after the heads are merged
        dropout:           nn.Dropout(dropout), on the attention weights

    forward(x, attention_mask=None):
        x: (B, T, C).
        attention_mask: (B, T) with 1 (or True) for a real token and 0 (or False) for padding,
            as Hugging Face's; None means no padding. Padding keys get weight 0 for every
            query. Rows at padded QUERY positions are computed like any other and are not
            checked by the tests. Every sequence has at least one real token.
        Returns (B, T, C).
    """

    def __init__(self, config: BertConfig) -> None:
        """Create query, key, value, output and the dropout described above."""
        super().__init__()
        C = config.hidden_size
        if C % config.num_heads != 0:
            raise ValueError(f"num_heads={config.num_heads} must divide hidden_size={C}")
        self.num_heads = config.num_heads
        self.query = nn.Linear(C, C)
        self.key = nn.Linear(C, C)
        self.value = nn.Linear(C, C)
        self.output = nn.Linear(C, C)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor,
                attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Self-attention over x of shape (B, T, C); mask 1 = real token; returns (B, T, C)."""
        raise NotImplementedError("phase3.bert.BertSelfAttention.forward")


class BertLayer(nn.Module):
    """One post-norm encoder layer (the 2017 Transformer's, as BERT uses it).

        h = attention_norm(x + dropout(attention(x, attention_mask)))
        return output_norm(h + dropout(output(gelu(intermediate(h)))))

    gelu is the exact, erf-based GELU (torch.nn.functional.gelu's default).

    Parameters (created by __init__):
        attention:      BertSelfAttention(config)
        attention_norm: nn.LayerNorm(C, eps=layer_norm_eps)
        intermediate:   nn.Linear(C, intermediate_size)
        output:         nn.Linear(intermediate_size, C)
        output_norm:    nn.LayerNorm(C, eps=layer_norm_eps)
        dropout:        nn.Dropout(dropout), on both residual branches

    forward(x, attention_mask=None): x (B, T, C), attention_mask as in BertSelfAttention;
        returns (B, T, C).
    """

    def __init__(self, config: BertConfig) -> None:
        """Create the attention, the FFN's two Linears, the two LayerNorms and the dropout."""
        super().__init__()
        C, eps = config.hidden_size, config.layer_norm_eps
        self.attention = BertSelfAttention(config)
        self.attention_norm = nn.LayerNorm(C, eps=eps)
        self.intermediate = nn.Linear(C, config.intermediate_size)
        self.output = nn.Linear(config.intermediate_size, C)
        self.output_norm = nn.LayerNorm(C, eps=eps)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor,
                attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Apply the layer to x of shape (B, T, C); returns (B, T, C)."""
        # Post-norm: the LayerNorm comes AFTER each residual add.
        raise NotImplementedError("phase3.bert.BertLayer.forward")


class BertModel(nn.Module):
    """The BERT encoder: embeddings, L post-norm layers and the tanh pooler.

        h = embeddings(input_ids, token_type_ids, position_ids)
        for layer in layers: h = layer(h, attention_mask)
        pooled = tanh(pooler(h[:, 0]))        the [CLS] position (position 0)
        return h, pooled

    There is no final LayerNorm (each post-norm layer ends with one).

    Parameters (created by __init__; every Linear and Embedding weight drawn from N(0, 0.02),
    biases zero, as BERT initialises):
        embeddings: BertEmbeddings(config)
        layers:     nn.ModuleList of num_layers BertLayer(config)
        pooler:     nn.Linear(C, C)
    Hugging Face's BertModel names map as: embeddings.LayerNorm -> embeddings.layer_norm;
    encoder.layer.i.attention.self.{query,key,value} -> layers.i.attention.{query,key,value};
    encoder.layer.i.attention.output.dense -> layers.i.attention.output;
    encoder.layer.i.attention.output.LayerNorm -> layers.i.attention_norm;
    encoder.layer.i.intermediate.dense -> layers.i.intermediate;
    encoder.layer.i.output.dense -> layers.i.output;
    encoder.layer.i.output.LayerNorm -> layers.i.output_norm; pooler.dense -> pooler.

    forward(input_ids, token_type_ids=None, attention_mask=None, position_ids=None):
        input_ids: (B, T) long; token_type_ids and position_ids as in BertEmbeddings;
        attention_mask: (B, T), 1 = real token, 0 = padding, or None.
        Returns (sequence_output (B, T, C), pooled_output (B, C)).
    """

    def __init__(self, config: BertConfig) -> None:
        """Create the embeddings, the layers and the pooler, and initialise them as above."""
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.layers = nn.ModuleList(BertLayer(config) for _ in range(config.num_layers))
        self.pooler = nn.Linear(config.hidden_size, config.hidden_size)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None,
                position_ids: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode (B, T) ids; returns (sequence_output (B, T, C), pooled_output (B, C))."""
        raise NotImplementedError("phase3.bert.BertModel.forward")


class BertForPreTraining(nn.Module):
    """BERT with its two pre-training heads: masked language model and next-sentence prediction.

        h, pooled = bert(...)
        t = mlm_norm(gelu(mlm_dense(h)))                      (B, T, C)
        mlm_logits = t @ bert.embeddings.word_embeddings.weight.T + mlm_bias   (B, T, V)
        nsp_logits = nsp(pooled)                              (B, 2); class 0 = IsNext

    The MLM decoder is TIED to the token embeddings: it has no weight of its own (only the
    bias mlm_bias), so the model has exactly one (V, C) matrix.

    Parameters (created by __init__):
        bert:      BertModel(config)
        mlm_dense: nn.Linear(C, C)        (Hugging Face: cls.predictions.transform.dense)
        mlm_norm:  nn.LayerNorm(C, eps=layer_norm_eps)   (cls.predictions.transform.LayerNorm)
        mlm_bias:  nn.Parameter of zeros, shape (V,)      (cls.predictions.bias)
        nsp:       nn.Linear(C, 2)        (cls.seq_relationship)

    forward(input_ids, token_type_ids=None, attention_mask=None, position_ids=None):
        as BertModel.forward; returns (mlm_logits (B, T, V), nsp_logits (B, 2)).
    """

    def __init__(self, config: BertConfig) -> None:
        """Create the encoder and the two heads described above."""
        super().__init__()
        C = config.hidden_size
        self.bert = BertModel(config)
        self.mlm_dense = nn.Linear(C, C)
        self.mlm_norm = nn.LayerNorm(C, eps=config.layer_norm_eps)
        self.mlm_bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.nsp = nn.Linear(C, 2)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None,
                position_ids: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (mlm_logits (B, T, V), nsp_logits (B, 2)) for (B, T) input ids."""
        raise NotImplementedError("phase3.bert.BertForPreTraining.forward")


class BertForSequenceClassification(nn.Module):
    """BERT with a classifier on the pooled [CLS] vector (the GLUE fine-tuning head).

        _, pooled = bert(...)
        logits = classifier(dropout(pooled))          (B, num_labels)

    Parameters (created by __init__):
        bert:       BertModel(config)
        dropout:    nn.Dropout(config.dropout)
        classifier: nn.Linear(C, num_labels), weight from N(0, 0.02), bias zero

    forward(input_ids, token_type_ids=None, attention_mask=None, position_ids=None):
        as BertModel.forward; returns logits (B, num_labels).
    """

    def __init__(self, config: BertConfig, num_labels: int = 2) -> None:
        """Create the encoder, the dropout and the classifier described above."""
        super().__init__()
        self.num_labels = num_labels
        self.bert = BertModel(config)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.hidden_size, num_labels)
        nn.init.normal_(self.classifier.weight, mean=0.0, std=0.02)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None,
                position_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Return the class logits (B, num_labels) for (B, T) input ids."""
        raise NotImplementedError("phase3.bert.BertForSequenceClassification.forward")


def mask_tokens(input_ids: torch.Tensor, special_mask: torch.Tensor, vocab_size: int,
                mask_id: int, generator: torch.Generator,
                mlm_probability: float = 0.15) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masking for the masked language model: choose positions, corrupt them, label them.

    1. Each position that is not special is SELECTED independently with probability
       mlm_probability; special positions (special_mask True: [CLS], [SEP], [PAD], ...) never are.
    2. Each selected position, independently: with probability 0.8 its id becomes mask_id;
       with probability 0.1 it becomes a random id drawn uniformly from 0 .. vocab_size - 1
       (any id, which may happen to be the original one or a special id, as in BERT's code);
       with probability 0.1 it is left unchanged.
    3. labels = the ORIGINAL id at selected positions and -100 everywhere else (-100 is
       F.cross_entropy's default ignore_index).

    Every random draw comes from `generator` (pass generator=generator to torch.rand,
    torch.randint or torch.bernoulli), so the same seed gives the same result. input_ids is
    not modified.

    Args:
        input_ids: (B, T) long.
        special_mask: (B, T) bool, True = a special token that must never be selected.
        vocab_size: V; random replacements are drawn from 0 .. V - 1.
        mask_id: the id of [MASK].
        generator: a torch.Generator, the only source of randomness.
        mlm_probability: the selection probability (BERT: 0.15).

    Returns:
        (masked_input_ids (B, T) long, labels (B, T) long).
    """
    raise NotImplementedError("phase3.bert.mask_tokens")


def mlm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The masked-language-model loss: mean cross-entropy over the labelled positions only.

        loss = mean over {(b, t) : labels[b, t] != -100} of -log softmax(logits[b, t])[labels[b, t]]

    Positions labelled -100 (not selected by mask_tokens) contribute nothing, neither to the
    sum nor to the count. If no position is labelled, return a zero that still depends on
    logits (so that backward() works and gives zero gradients), not NaN.

    Args:
        logits: (B, T, V) float.
        labels: (B, T) long, an id in 0 .. V - 1 or -100.

    Returns:
        A scalar tensor.
    """
    raise NotImplementedError("phase3.bert.mlm_loss")


def make_nsp_example(documents: Sequence[Sequence[Sequence[int]]], cls_id: int, sep_id: int,
                     generator: torch.Generator) -> tuple[list[int], list[int], int]:
    """Draw one next-sentence-prediction example: [CLS] a [SEP] b [SEP] and its label.

    A document is a list of sentences; a sentence is a list of token ids. In this order:
    1. pick a document d uniformly among the documents with at least two sentences, then an
       index i uniformly in 0 .. len(d) - 2; a = d[i];
    2. with probability 1/2: b = d[i + 1] and label = 0 (IsNext);
       otherwise: pick a document uniformly among ALL the other documents (every index but
       d's), then one of its sentences uniformly; that is b, and label = 1 (NotNext).
    (Class 0 = IsNext, 1 = NotNext, as Hugging Face's next_sentence_label.)

    Every random draw comes from `generator` (e.g. torch.randint(n, (1,), generator=generator)),
    so the same seed gives the same example.

    Args:
        documents: at least two documents, at least one with two or more sentences.
        cls_id, sep_id: the ids of [CLS] and [SEP].
        generator: a torch.Generator, the only source of randomness.

    Returns:
        input_ids: [cls_id] + a + [sep_id] + b + [sep_id] (a list of ints).
        token_type_ids: 0 for [CLS], a and the first [SEP]; 1 for b and the last [SEP].
        label: 0 (IsNext) or 1 (NotNext).

    Raises:
        ValueError: if there are fewer than two documents or none has two sentences.
    """
    raise NotImplementedError("phase3.bert.make_nsp_example")


def fine_tune(model: BertForSequenceClassification, input_ids: torch.Tensor,
              labels: torch.Tensor, attention_mask: torch.Tensor | None = None, *,
              epochs: int = 3, batch_size: int = 32, lr: float = 1e-3,
              weight_decay: float = 0.01, freeze_encoder: bool = False,
              seed: int = 0) -> list[float]:
    """Fine-tune a sequence classifier with cross-entropy and AdamW.

    Each epoch visits the N examples in a fresh random order (torch.randperm(N,
    generator=g) with g = torch.Generator().manual_seed(seed), one permutation per epoch), in
    batches of batch_size (the last batch of an epoch may be smaller; none is dropped), so
    there are epochs * ceil(N / batch_size) optimizer steps. Each step: logits =
    model(ids, attention_mask=mask), loss = F.cross_entropy(logits, labels), backward, one
    torch.optim.AdamW(lr=lr, weight_decay=weight_decay) step.

    freeze_encoder=True trains only the head: set requires_grad = False on every parameter of
    model.bert and give the optimizer only the others (model.classifier's), so that the
    encoder's parameters stay exactly as they were. Otherwise every parameter is trained.

    The model is in train mode (dropout on) while training and is left in eval mode.

    Args:
        model: the classifier to train in place.
        input_ids: (N, T) long.
        labels: (N,) long class ids.
        attention_mask: (N, T), 1 = real token, 0 = padding, or None.
        epochs, batch_size, lr, weight_decay: as above.
        freeze_encoder: train the classifier only.
        seed: seeds the shuffling generator.

    Returns:
        The training loss of every step, in order (a list of floats).
    """
    raise NotImplementedError("phase3.bert.fine_tune")


# --- GLUE metrics -------------------------------------------------------------------------
# Every metric takes 1-D sequences (lists, NumPy arrays or tensors) and returns a Python float.
# torch.as_tensor(x, dtype=torch.float64) turns any of them into a tensor.


def accuracy(predictions: Sequence[int] | torch.Tensor,
             labels: Sequence[int] | torch.Tensor) -> float:
    """The fraction of positions where predictions[i] == labels[i] (SST-2, MNLI, QNLI, RTE).

    Args: predictions, labels: 1-D of the same length n >= 1 (lists, arrays or tensors).
    Returns: a Python float in [0, 1].
    """
    raise NotImplementedError("phase3.bert.accuracy")


def f1_score(predictions: Sequence[int] | torch.Tensor,
             labels: Sequence[int] | torch.Tensor) -> float:
    """Binary F1 with positive class 1 (MRPC, QQP).

        precision = tp / (tp + fp), recall = tp / (tp + fn)
        F1 = 2 precision recall / (precision + recall) = 2 tp / (2 tp + fp + fn)

    If 2 tp + fp + fn = 0 (no positive prediction and no positive label), return 0.0.

    Args: predictions, labels: 1-D of the same length, values in {0, 1}.
    Returns: a Python float in [0, 1].
    """
    raise NotImplementedError("phase3.bert.f1_score")


def matthews_corrcoef(predictions: Sequence[int] | torch.Tensor,
                      labels: Sequence[int] | torch.Tensor) -> float:
    """The Matthews correlation coefficient of binary predictions (CoLA).

        MCC = (tp tn - fp fn) / sqrt((tp + fp) (tp + fn) (tn + fp) (tn + fn))

    It lies in [-1, 1] (1 perfect, 0 no better than chance, -1 always wrong). If any factor
    under the square root is 0 (e.g. constant predictions, or constant labels), return 0.0.

    Args: predictions, labels: 1-D of the same length, values in {0, 1}.
    Returns: a Python float.
    """
    raise NotImplementedError("phase3.bert.matthews_corrcoef")


def pearson(x: Sequence[float] | torch.Tensor, y: Sequence[float] | torch.Tensor) -> float:
    """Pearson's correlation coefficient of two samples (STS-B).

        r = sum (x_i - mean x)(y_i - mean y) / sqrt(sum (x_i - mean x)^2 sum (y_i - mean y)^2)

    Compute in float64. If x or y is constant (zero variance), return 0.0. Do not call
    numpy.corrcoef, torch.corrcoef, scipy or sklearn.

    Args: x, y: 1-D of the same length n >= 2.
    Returns: a Python float in [-1, 1].
    """
    raise NotImplementedError("phase3.bert.pearson")


def spearman(x: Sequence[float] | torch.Tensor, y: Sequence[float] | torch.Tensor) -> float:
    """Spearman's rank correlation (STS-B): Pearson's r of the ranks of x and of y.

    Ranks are 1-based; tied values all get the AVERAGE of the ranks they occupy (e.g. the
    values [10, 20, 20, 30] have ranks [1, 2.5, 2.5, 4]), which is what scipy.stats.spearmanr
    does. (The shortcut 1 - 6 sum d^2 / (n (n^2 - 1)) is only right without ties.) A constant
    input gives 0.0, as in pearson.

    Args: x, y: 1-D of the same length n >= 2.
    Returns: a Python float in [-1, 1].
    """
    raise NotImplementedError("phase3.bert.spearman")


def glue_metrics(task: str, predictions: Sequence[float] | torch.Tensor,
                 labels: Sequence[float] | torch.Tensor) -> dict[str, float]:
    """The official metrics of one GLUE task, by name.

        "cola": {"mcc"}                     "sst2", "mnli", "qnli", "rte", "wnli": {"accuracy"}
        "mrpc", "qqp": {"f1", "accuracy"}   "stsb": {"pearson", "spearman"}

    Args:
        task: one of the names above (lower case).
        predictions, labels: 1-D; class ids, or real-valued scores for "stsb".

    Returns:
        A dict from each of the task's metric names to its value, e.g. {"f1": 0.8,
        "accuracy": 0.75} for "mrpc".

    Raises:
        ValueError: for an unknown task name.
    """
    raise NotImplementedError("phase3.bert.glue_metrics")


def glue_score(results: Mapping[str, Mapping[str, float]]) -> float:
    """The GLUE benchmark score: average each task's metrics, then average over the tasks.

        score = mean over tasks t of (mean over the metrics m of task t of results[t][m])

    So a task with two metrics (MRPC's F1 and accuracy) weighs as much as a task with one;
    it is NOT the plain mean of all the metric values.

    Args:
        results: task name -> (metric name -> value), e.g. glue_metrics' outputs by task.
            At least one task, each with at least one metric.

    Returns:
        A Python float.
    """
    raise NotImplementedError("phase3.bert.glue_score")
