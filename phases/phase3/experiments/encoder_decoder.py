"""A small Transformer learns to reverse sequences: cross-attention finds the token to copy."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from phase3.encoder_decoder import Seq2Seq, greedy_decode, train_reversal

# A shorter task than train_reversal's defaults, so that training fits in a few seconds.
SEQ_LEN, N_SYMBOLS, STEPS, SEED = 5, 5, 200, 0
BOS = N_SYMBOLS


def cross_attention_weights(model: Seq2Seq, src: torch.Tensor, tgt_in: torch.Tensor
                            ) -> list[torch.Tensor]:
    """Each decoder layer's cross-attention weights (B, nh, T, S), rebuilt from its inputs.

    The module returns only the attended values, so a hook records what each cross-attention
    reads (queries from the decoder, keys from the memory) and we redo q k^T / sqrt(hs) and the
    softmax from its documented parameters (the first C rows of in_proj_weight are Wq, the next C
    rows Wk).
    """
    seen = []

    def hook(module, args, kwargs, _output):
        x = args[0] if args else kwargs["x"]
        kv = args[1] if len(args) > 1 else kwargs["kv"]
        seen.append((module, x.detach(), kv.detach()))

    layers = model.transformer.decoder["layers"]
    handles = [layer.multihead_attn.register_forward_hook(hook, with_kwargs=True)
               for layer in layers]
    with torch.no_grad():
        model(src, tgt_in)
    for h in handles:
        h.remove()
    if len(seen) != len(layers):
        raise RuntimeError("the decoder layers' multihead_attn modules were not called as "
                           "modules (self.multihead_attn(y, memory, ...)), so the experiment "
                           "cannot see their inputs")

    weights = []
    for module, x, kv in seen:
        C, nh = x.shape[-1], module.n_heads
        hs = C // nh
        w, b = module.in_proj_weight.detach(), module.in_proj_bias.detach()
        q = (x @ w[:C].T + b[:C]).unflatten(-1, (nh, hs)).transpose(1, 2)  # (B, nh, T, hs)
        k = (kv @ w[C:2 * C].T + b[C:2 * C]).unflatten(-1, (nh, hs)).transpose(1, 2)
        weights.append(torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(hs), dim=-1))
    return weights


def run(out: Path) -> dict[str, str]:
    """Write the pictures into `out` and return {file name: caption}."""
    captions = {}
    g = torch.Generator().manual_seed(1)
    src = torch.randint(0, N_SYMBOLS, (500, SEQ_LEN), generator=g)
    target = src.flip(1)
    tgt_in = torch.cat([torch.full((500, 1), BOS), target[:, :-1]], dim=1)

    # train_reversal seeds torch and then builds its model, so the same seed gives us the
    # untrained starting point to compare with.
    torch.manual_seed(SEED)
    untrained = Seq2Seq(N_SYMBOLS + 1, max_len=SEQ_LEN + 1).eval()
    trained = train_reversal(steps=STEPS, seq_len=SEQ_LEN, n_symbols=N_SYMBOLS, batch_size=64,
                             lr=1e-2, warmup=30, seed=SEED).eval()

    # 1. Cross-attention of the last decoder layer, averaged over heads and over 500 sequences:
    #    to write output token t the decoder must read source token S - 1 - t.
    fig, axes = plt.subplots(1, 2, figsize=(7, 4), layout="constrained")
    for ax, (name, model) in zip(axes, [("before training", untrained),
                                        (f"after {STEPS} steps", trained)], strict=True):
        attn = cross_attention_weights(model, src, tgt_in)[-1].mean(dim=(0, 1))  # (T, S)
        im = ax.imshow(attn.numpy(), cmap="viridis", vmin=0, vmax=1)
        ax.set_title(name)
        ax.set_xlabel("source position (key)")
        ax.set_ylabel("output position (query)")
        ax.set_xticks(range(SEQ_LEN))
        ax.set_yticks(range(SEQ_LEN))
    fig.colorbar(im, ax=axes, shrink=0.8, label="attention weight")
    fig.suptitle("Last decoder layer's cross-attention (mean over heads and 500 inputs)")
    fig.savefig(out / "cross_attention.png", dpi=100)
    plt.close(fig)
    captions["cross_attention.png"] = (
        "Before training every output position spreads its attention evenly over the source; "
        "after training, output position t looks mostly at source position S - 1 - t, the token "
        "it must copy, so the weights gather on the anti-diagonal.")

    # 2. Teacher forcing (the true previous tokens) vs greedy decoding (its own predictions):
    #    greedy errors feed back into later steps, so accuracy sags towards the end.
    with torch.no_grad():
        forced = (trained(src, tgt_in).argmax(-1) == target).float().mean(0)
    greedy = (greedy_decode(trained, src, BOS, SEQ_LEN) == target).float().mean(0)
    fig, ax = plt.subplots(figsize=(7, 4))
    positions = torch.arange(SEQ_LEN)
    ax.plot(positions, 100 * forced, "o-", label="teacher forcing (reads the true prefix)")
    ax.plot(positions, 100 * greedy, "s-", label="greedy decoding (reads its own output)")
    ax.axhline(100 / N_SYMBOLS, color="0.6", ls=":", label=f"chance (1/{N_SYMBOLS})")
    ax.set_xticks(positions.tolist())
    ax.set_ylim(0, 105)
    ax.set_xlabel("output position t")
    ax.set_ylabel("token accuracy (%)")
    ax.set_title(f"Reversal accuracy after {STEPS} training steps, 500 fresh sequences")
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(out / "teacher_forcing_vs_greedy.png", dpi=100)
    plt.close(fig)
    captions["teacher_forcing_vs_greedy.png"] = (
        "Reading the true prefix (teacher forcing, as in training) the model is right almost "
        "everywhere; decoding greedily it reads its own earlier guesses, so one mistake can "
        "cause more, and the gap opens towards the end of the sequence.")
    return captions
