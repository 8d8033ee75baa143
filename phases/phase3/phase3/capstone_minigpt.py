"""Capstone: train a character-level mini-GPT on Tiny Shakespeare and stream samples from it.

Put phase 3 to work. The model is your phase3.kv_cache.DecoderLM (so that its KV cache can
stream samples) and sampling is your phase3.gpt.sample_next. Around them you write a real,
if small, training pipeline, the one nanoGPT runs on "shakespeare_char":

    build_vocab, encode, decode      characters <-> ids
    split_data, get_batch            a 90/10 split; random windows x and targets y (x shifted)
    build_model                      DecoderLM with GPT-2's initialisation (first loss ln V)
    configure_optimizer, lr_at       AdamW with decay on matrices only; warmup + cosine
    estimate_loss                    eval mode, no_grad, back to train mode
    train                            the loop: schedule, batch, loss, backward, clip, step
    save_checkpoint, load_checkpoint a documented checkpoint format
    stream_sample                    temperature / top-k / top-p sampling with the KV cache

    text = shared.data.load_tiny_shakespeare()
    model, losses = train(TrainConfig(), text)        # ~600 steps, about a minute on 2 cores
    save_checkpoint("shakespeare.pt", model, TrainConfig(), build_vocab(text))
    # then: python -m phase3.generate --checkpoint shakespeare.pt --prompt "ROMEO:" --stream

The tests check each piece against closed forms and a copy of the loop written with
torch.optim in the test, then train the reference configuration on Tiny Shakespeare
(TTI_DATA_DIR; skipped when absent): the validation loss must end well below a bigram
model's. Finish kv_cache and gpt (sample_next) first: a test that reaches one of them
unfinished says which.
"""

from __future__ import annotations

import math  # noqa: F401
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass  # noqa: F401

import torch
import torch.nn.functional as F  # noqa: F401
from torch import nn

from phase3.gpt import sample_next  # noqa: F401  (the pieces you need)
from phase3.kv_cache import DecoderLM, KVCache  # noqa: F401


@dataclass
class TrainConfig:
    """Everything that decides a training run (the model's shape, the data, the optimiser).

    Model: block_size (context length T), n_layer, n_head, n_embd (n_head divides n_embd).
    Data: batch_size windows of block_size characters per step, from the train split.
    Optimiser: AdamW with betas (beta1, beta2) and weight_decay (on the matrices only, see
    configure_optimizer); learning rate lr_at(step, config): a linear warmup over warmup_steps
    to lr, then a cosine decay to min_lr at max_steps. grad_clip: the largest global gradient
    norm (clip_grad_norm_); 0 disables clipping. seed: the model's initialisation and the
    batch order. The defaults are the reference run (about a minute on two CPU cores).
    """

    block_size: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 64
    batch_size: int = 32
    max_steps: int = 600
    lr: float = 5e-3
    min_lr: float = 5e-4
    warmup_steps: int = 60
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0
    seed: int = 0


def build_vocab(text: str) -> list[str]:
    """The character vocabulary: the distinct characters of text, sorted by code point.

    Token id i is vocab[i]. Example: build_vocab("hello") == ["e", "h", "l", "o"].

    Raises:
        ValueError: if text is empty.
    """
    raise NotImplementedError("phase3.capstone_minigpt.build_vocab")


def encode(text: str, vocab: list[str]) -> torch.Tensor:
    """The ids of text's characters: a (len(text),) int64 tensor with vocab[ids[i]] == text[i].

    Raises:
        ValueError: if a character of text is not in vocab (the message names it).
    """
    raise NotImplementedError("phase3.capstone_minigpt.encode")


def decode(ids: torch.Tensor | list[int], vocab: list[str]) -> str:
    """The text of a 1-D sequence of ids (a tensor or a list): "".join(vocab[i] for i in ids)."""
    raise NotImplementedError("phase3.capstone_minigpt.decode")


def split_data(data: torch.Tensor,
               train_fraction: float = 0.9) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a token stream into a train part and a validation part, without shuffling.

    n = int(train_fraction * len(data)); train = data[:n], val = data[n:]. Contiguous, so
    that no validation window overlaps a training one (shuffled characters would not be text).

    Args:
        data: (N,) int64 tensor.
        train_fraction: in (0, 1).
    Returns:
        (train, val), 1-D tensors of lengths n and N - n.
    Raises:
        ValueError: if train_fraction is not in (0, 1).
    """
    raise NotImplementedError("phase3.capstone_minigpt.split_data")


def get_batch(data: torch.Tensor, batch_size: int, block_size: int,
              generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of random windows and their next-character targets.

        ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
        x[b] = data[ix[b] : ix[b] + block_size]
        y[b] = data[ix[b] + 1 : ix[b] + block_size + 1]     (x shifted left by one)

    So y[b, t] is the character that follows x[b, t]; every start that leaves room for the
    last target can be drawn. Exactly one torch.randint call, on `generator`.

    Args:
        data: (N,) int64 tensor, N > block_size.
        batch_size, block_size: B and T.
        generator: a torch.Generator, the only source of randomness.
    Returns:
        (x, y), each (B, T) int64.
    Raises:
        ValueError: if len(data) <= block_size.
    """
    raise NotImplementedError("phase3.capstone_minigpt.get_batch")


def build_model(config: TrainConfig, vocab_size: int) -> DecoderLM:
    """A phase3.kv_cache.DecoderLM, initialised like GPT-2.

    torch.manual_seed(config.seed); model = DecoderLM(vocab_size, config.block_size,
    config.n_layer, config.n_head, config.n_embd); then, in place:
      - every parameter with two or more dimensions (the embedding tables and the Linear
        weights): normal, mean 0, std 0.02;
      - except the residual projections, the weights of every block's attn.c_proj and of the
        MLP's second Linear (mlp.2.weight): std 0.02 / sqrt(2 * n_layer);
      - every bias 0; every LayerNorm weight 1.
    The same config gives the same weights.

    Returns:
        The model, in training mode.
    """
    raise NotImplementedError("phase3.capstone_minigpt.build_model")


def configure_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.AdamW:
    """torch.optim.AdamW with two parameter groups, as nanoGPT configures it.

    Group 0: every parameter with two or more dimensions (embedding tables, Linear weights),
    weight_decay = config.weight_decay. Group 1: every other parameter (biases, LayerNorm
    weights), weight_decay = 0.0: decaying a gain or an offset towards 0 only hurts. Each
    parameter appears once. lr = config.lr, betas = (config.beta1, config.beta2), default eps.
    """
    raise NotImplementedError("phase3.capstone_minigpt.configure_optimizer")


def lr_at(step: int, config: TrainConfig) -> float:
    """The learning rate of step `step` (0-based): linear warmup, then cosine decay.

        step < warmup_steps:        lr * (step + 1) / warmup_steps
        step >= max_steps:          min_lr
        otherwise, with progress = (step - warmup_steps) / (max_steps - warmup_steps):
                                    min_lr + 0.5 * (lr - min_lr) * (1 + cos(pi * progress))
    """
    raise NotImplementedError("phase3.capstone_minigpt.lr_at")


def estimate_loss(model: nn.Module, splits: dict[str, torch.Tensor], batch_size: int,
                  block_size: int, eval_iters: int, seed: int = 0) -> dict[str, float]:
    """The mean loss of the model on random batches of each split, without training it.

    For each split (in the dict's order), with a fresh g = torch.Generator().manual_seed(seed):
    eval_iters batches x, y = get_batch(data, batch_size, block_size, g); the mean over them of
    the batch's mean cross-entropy of model(x) (B, T, V) against y. Runs the model in eval mode
    and under torch.no_grad(); afterwards the model is back in the mode it was in (train mode
    during training).

    Args:
        model: called as model(x) -> (B, T, V) logits.
        splits: e.g. {"train": train_data, "val": val_data}, 1-D int64 tensors.
        batch_size, block_size: as in get_batch.
        eval_iters: batches per split, >= 1.
        seed: seed of every split's generator (the same batches at every call).
    Returns:
        {name: mean loss (a Python float)} with the keys of splits.
    """
    raise NotImplementedError("phase3.capstone_minigpt.estimate_loss")


def train(config: TrainConfig, text: str) -> tuple[DecoderLM, list[float]]:
    """Train a character-level DecoderLM on the first 90% of text.

    1. vocab = build_vocab(text); data = encode(text, vocab); train_data, val_data =
       split_data(data, 0.9). Only train_data is used here.
    2. model = build_model(config, len(vocab)); optimizer = configure_optimizer(model, config);
       g = torch.Generator().manual_seed(config.seed), for the batches.
    3. For step = 0 ... config.max_steps - 1: set every param group's "lr" to
       lr_at(step, config); x, y = get_batch(train_data, config.batch_size, config.block_size,
       g); loss = the mean cross-entropy of model(x) against y; zero the gradients; backward;
       if config.grad_clip > 0, torch.nn.utils.clip_grad_norm_(model.parameters(),
       config.grad_clip); optimizer.step().

    Returns:
        (model, losses): the trained model (training mode) and the loss of every step,
        computed before its update: max_steps Python floats.
    """
    raise NotImplementedError("phase3.capstone_minigpt.train")


def save_checkpoint(path: str | os.PathLike[str], model: DecoderLM, config: TrainConfig,
                    vocab: list[str]) -> None:
    """Save everything needed to rebuild the model, with torch.save, as one dict:

        {"config": dataclasses.asdict(config),     # a dict of ints and floats
         "model": model.state_dict(),              # DecoderLM's parameter names
         "vocab": list(vocab)}                     # the characters, in id order

    Only plain types and tensors, so torch.load(path, weights_only=True) can read it.
    """
    raise NotImplementedError("phase3.capstone_minigpt.save_checkpoint")


def load_checkpoint(path: str | os.PathLike[str]) -> tuple[DecoderLM, TrainConfig, list[str]]:
    """Rebuild what save_checkpoint saved: (model, config, vocab).

    Reads the file with torch.load(path, weights_only=True), rebuilds
    DecoderLM(len(vocab), config.block_size, config.n_layer, config.n_head, config.n_embd),
    loads the state dict (strictly: every key must match) and returns the model in eval mode.
    Its logits equal the saved model's exactly.

    Raises:
        FileNotFoundError: if path does not exist.
    """
    raise NotImplementedError("phase3.capstone_minigpt.load_checkpoint")


@torch.no_grad()
def stream_sample(model: DecoderLM, idx: torch.Tensor, max_new_tokens: int,
                  temperature: float = 1.0, top_k: int | None = None,
                  top_p: float | None = None,
                  generator: torch.Generator | None = None) -> Iterator[torch.Tensor]:
    """Sample new tokens one at a time and yield each as soon as it is drawn.

    What is computed: with seq the tokens so far (idx, then the tokens drawn), each step takes
    the logits of the last position of model(seq[:, -block_size:]) (the last block_size tokens
    at most, at positions 0, 1, ...) and draws
        next = phase3.gpt.sample_next(logits, temperature, top_k, top_p, generator)
    (one call per step, so a seeded generator gives reproducible samples).

    How: while seq fits in the model's block_size, use a KVCache (the model's dtype, capacity
    min(T + max_new_tokens, block_size)): one prefill pass over idx, then one pass per new
    token on that token alone (the last token drawn need not be fed back). Once seq is longer
    than block_size, the window slides and every token's learned position changes, so the
    cached keys and values are stale: each step then runs the model on the last block_size
    tokens without a cache. Runs under torch.no_grad(); lazy (nothing is computed before the
    first next()); the model's train/eval mode is left as it is.

    Args:
        model: a phase3.kv_cache.DecoderLM.
        idx: (B, T) int64 prompt, T >= 1.
        max_new_tokens: how many tokens to yield, >= 0.
        temperature, top_k, top_p, generator: passed to sample_next at every step.
    Yields:
        max_new_tokens tensors of shape (B,), int64.
    """
    raise NotImplementedError("phase3.capstone_minigpt.stream_sample")
