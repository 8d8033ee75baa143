"""GPT: a decoder-only language model, its parameter count, its FLOPs and sampling from it.

The model is GPT-2 (Radford et al., 2019, "Language Models are Unsupervised Multitask
Learners"), written the way nanoGPT (Karpathy, 2022) writes it: token and learned position
embeddings, n_layer pre-norm blocks of causal self-attention and a GELU MLP, a final layer
norm, and a language-model head that shares its weight with the token embedding (Press &
Wolf, 2017). Parameter names follow Hugging Face's GPT2LMHeadModel, so its weights load after
transposing its Conv1D matrices.

FLOPs per token follow Kaplan et al. (2020, "Scaling Laws for Neural Language Models", §2.1)
and Chowdhery et al. (2022, "PaLM", Appendix B): 6 N for the weight matmuls of a forward and
backward pass, plus 12 n_layer n_embd T for the attention scores and the weighted sum of values.

Sampling: temperature, top-k (Fan et al., 2018) and nucleus / top-p (Holtzman et al., 2020,
"The Curious Case of Neural Text Degeneration"). Perplexity with a strided sliding window, as
in Hugging Face's "Perplexity of fixed-length models" guide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class GPTConfig:
    """Hyperparameters of a GPT.

    vocab_size: V, the number of token ids.
    block_size: the longest context (number of learned positions).
    n_layer: L, the number of blocks.
    n_head: heads per attention layer; must divide n_embd.
    n_embd: C, the width of the residual stream.
    dropout: dropout probability (embeddings, attention weights, residual branches).
    bias: whether Linear layers and LayerNorms have biases (GPT-2: True).
    """

    vocab_size: int
    block_size: int
    n_layer: int
    n_head: int
    n_embd: int
    dropout: float = 0.0
    bias: bool = True


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention, laid out like GPT-2's.

    Layout (created by __init__):
        c_attn: nn.Linear(C, 3C, bias=config.bias), the query, key and value projections
            side by side: q, k, v = c_attn(x).split(C, dim=-1).
        c_proj: nn.Linear(C, C, bias=config.bias), the output projection.
        attn_dropout, resid_dropout: nn.Dropout(config.dropout), on the attention weights
            and on the output.

    forward(x) with x: (B, T, C) float tensor, T <= block_size. Each of q, k, v is split into
    n_head heads of size hs = C // n_head: (B, T, C) -> (B, T, nh, hs) -> (B, nh, T, hs), so
    head h holds channels h*hs ... (h+1)*hs - 1. Position t attends to positions 0 ... t
    (itself included, never a later one):

        att = softmax(q k^T / sqrt(hs) with entries s > t set to -inf)     (B, nh, T, T)
        y   = att v, heads merged back to (B, T, C), then c_proj

    Returns a (B, T, C) tensor. Write the masked softmax yourself: do not call
    torch.nn.functional.scaled_dot_product_attention.
    """

    def __init__(self, config: GPTConfig) -> None:
        """Create c_attn, c_proj and the two dropouts described above."""
        super().__init__()
        if config.n_embd % config.n_head != 0:
            raise ValueError("n_head must divide n_embd")
        self.n_head, self.n_embd = config.n_head, config.n_embd
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Causal self-attention of x (B, T, C); returns (B, T, C)."""
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=-1)  # 3 x (B, T, C)
        # (B, T, C) -> (B, T, nh, hs) -> (B, nh, T, hs)
        q, k, v = (z.view(B, T, self.n_head, hs).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)  # (B, nh, T, T)
        # Key s is visible from query t iff s <= t: the lower triangle, diagonal included.
        future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(diagonal=1)
        att = att.masked_fill(future, float("-inf")).softmax(dim=-1)
        att = self.attn_dropout(att)
        y = att @ v  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # merge the heads back
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    """The position-wise feed-forward network: C -> 4C -> GELU (tanh approximation) -> C.

    Layout (created by __init__):
        c_fc: nn.Linear(C, 4C, bias=config.bias)
        gelu: nn.GELU(approximate="tanh"), GPT-2's "gelu_new"
        c_proj: nn.Linear(4C, C, bias=config.bias)
        dropout: nn.Dropout(config.dropout), on the output

    forward(x) with x: (..., C); returns a tensor of x's shape.
    """

    def __init__(self, config: GPTConfig) -> None:
        """Create c_fc, gelu, c_proj and dropout described above."""
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU(approximate="tanh")
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """dropout(c_proj(gelu(c_fc(x))))."""
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """A pre-norm transformer block.

    Layout (created by __init__): ln_1, ln_2: nn.LayerNorm(C, bias=config.bias) (eps 1e-5);
    attn: CausalSelfAttention(config); mlp: MLP(config).

    forward(x) with x: (B, T, C):
        x = x + attn(ln_1(x))
        x = x + mlp(ln_2(x))
    Returns (B, T, C).
    """

    def __init__(self, config: GPTConfig) -> None:
        """Create ln_1, attn, ln_2 and mlp described above."""
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The two residual sublayers, each applied to a layer-normed copy of the stream."""
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """A GPT-2-style decoder-only language model.

    Layout (created by __init__, named as in Hugging Face's GPT2LMHeadModel):
        transformer.wte: nn.Embedding(V, C), token embeddings
        transformer.wpe: nn.Embedding(block_size, C), learned position embeddings
        transformer.drop: nn.Dropout(config.dropout), on the summed embeddings
        transformer.h: nn.ModuleList of n_layer Blocks
        transformer.ln_f: nn.LayerNorm(C, bias=config.bias)
        lm_head: nn.Linear(C, V, bias=False), whose weight IS transformer.wte.weight (tied:
            one Parameter, so named_parameters() lists it once, as transformer.wte.weight)
    __init__ builds the layout, then calls tie_weights() and init_weights().

    forward(idx, targets=None) -> (logits, loss)
        idx: (B, T) int64 token ids, 1 <= T <= block_size (else ValueError).
        targets: None, or (B, T) int64 next-token ids; positions where targets == -1 are
            ignored.
        Token t gets position t (0 ... T-1); x = drop(wte(idx) + wpe(positions)); the blocks;
        ln_f; logits = lm_head(x).
        Returns logits (B, T, V) for EVERY position, and loss = the mean cross-entropy of
        logits against targets over the non-ignored positions (a 0-dim tensor), or None when
        targets is None.
    """

    def __init__(self, config: GPTConfig) -> None:
        """Build the layout above, then tie the weights and initialise them."""
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.tie_weights()
        self.init_weights()

    def tie_weights(self) -> None:
        """Make lm_head.weight the very same Parameter as transformer.wte.weight."""
        # One tensor, two uses: the input embedding and the output projection (Press & Wolf).
        self.lm_head.weight = self.transformer.wte.weight

    def init_weights(self) -> None:
        """Initialise every parameter in place, as GPT-2 does, from torch's global generator.

        - Every nn.Linear weight and both embedding tables: normal, mean 0, std 0.02.
        - Except the residual projections, the weights named "c_proj" (attn.c_proj and
          mlp.c_proj in every block): std 0.02 / sqrt(2 * n_layer), because each block adds
          two of them to the residual stream.
        - Every bias: 0. Every LayerNorm weight: 1.
        The tie must survive (do not replace Parameters, fill them in place).
        """
        std = 0.02
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=std)
                if getattr(module, "bias", None) is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        # GPT-2's scaled init: the residual stream's variance grows with each of the 2L
        # branches that add into it, so shrink their output projections by sqrt(2L).
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=std / math.sqrt(2 * self.config.n_layer))

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None,
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits (B, T, V) for idx (B, T), and the mean cross-entropy loss if targets given."""
        B, T = idx.shape
        if not 1 <= T <= self.config.block_size:
            raise ValueError(f"sequence length {T} is not in 1 ... {self.config.block_size}")
        pos = torch.arange(T, device=idx.device)  # (T,)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))  # (B, T, V)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T),
                                   ignore_index=-1)
        return logits, loss


def num_parameters(config: GPTConfig) -> int:
    """The number of distinct parameters of GPT(config), by a closed formula (no model).

    With C = n_embd, V = vocab_size, L = n_layer and b = 1 if config.bias else 0: the token
    table (counted once: lm_head shares it), the position table, L blocks (two LayerNorms,
    c_attn, attn.c_proj, c_fc, mlp.c_proj, with their biases when b = 1) and ln_f.
    GPT-2 small (V 50257, block 1024, L 12, 12 heads, C 768) has 124,439,808.
    """
    C, V, L, b = config.n_embd, config.vocab_size, config.n_layer, int(config.bias)
    layer_norm = C + b * C  # weight (+ bias)
    attention = (C * 3 * C + b * 3 * C) + (C * C + b * C)  # c_attn + c_proj
    mlp = (C * 4 * C + b * 4 * C) + (4 * C * C + b * C)  # c_fc + c_proj
    block = 2 * layer_norm + attention + mlp  # 12 C^2 + (2 + 11 b) C
    return V * C + config.block_size * C + L * block + layer_norm


def flops_per_token(config: GPTConfig, T: int) -> int:
    """Training FLOPs (forward + backward) per token, with a context of T tokens.

        flops_per_token = 6 * N + 12 * n_layer * n_embd * T
        N = num_parameters(config) - block_size * n_embd

    6 N: a weight used in a matmul costs 2 FLOPs per token forward (a multiply and an add) and
    4 backward (the gradients of the input and of the weight). N leaves out the position
    table, a lookup; the tied token table stays in, because lm_head multiplies by it. Biases
    and LayerNorms are counted as if they were matmul weights (a small overestimate).
    12 n_layer n_embd T: per layer, a token's query meets T keys (q k^T: 2 T C FLOPs) and its
    weights meet T values (att v: 2 T C) forward, twice that backward; the causal mask is not
    exploited. This is the accounting of PaLM (Chowdhery et al., 2022, Appendix B) and
    nanoGPT's estimate_mfu; Kaplan et al. (2020, Table 1) give the forward half, 2N + 2 L T C.
    """
    n = num_parameters(config) - config.block_size * config.n_embd
    return 6 * n + 12 * config.n_layer * config.n_embd * T


def top_k_logits(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest logits of each row; set the others to -inf.

    Args:
        logits: (B, V) float tensor (not modified).
        k: int >= 1; k >= V keeps everything.
    Returns:
        (B, V) tensor: logits where logits >= the k-th largest value of its row, -inf
        elsewhere. Ties with the k-th largest are kept, so more than k may survive.
    Raises:
        ValueError: if k < 1.
    """
    if k < 1:
        raise ValueError(f"top_k must be >= 1, got {k}")
    k = min(k, logits.size(-1))
    kth = torch.topk(logits, k, dim=-1).values[:, -1:]  # (B, 1): the k-th largest
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_logits(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filtering: keep the most probable tokens whose total probability reaches p.

    Per row, with probs = softmax(logits): sort the tokens by probability, largest first, and
    walk down the list adding up probabilities; the token at which the running total first
    becomes >= p is the crossing token, and it is KEPT, with every token before it. Tokens tied
    with the crossing token's probability are kept too (so the kept set does not depend on
    token order). Everything else is set to -inf. If rounding keeps the running total below p
    to the end, every token is kept.

    Args:
        logits: (B, V) float tensor, possibly with -inf entries (not modified).
        p: float in (0, 1]; p = 1 keeps every token.
    Returns:
        (B, V) tensor: the kept logits unchanged, -inf elsewhere.
    Raises:
        ValueError: if p is not in (0, 1].
    """
    if not 0.0 < p <= 1.0:
        raise ValueError(f"top_p must be in (0, 1], got {p}")
    probs = logits.softmax(dim=-1)
    sorted_probs = probs.sort(dim=-1, descending=True).values  # (B, V)
    # The number of tokens whose running total before them is still < p: the prefix up to
    # and including the crossing token.
    before = sorted_probs.cumsum(dim=-1) - sorted_probs
    n_keep = (before < p).sum(dim=-1, keepdim=True).clamp(max=probs.size(-1))  # (B, 1)
    threshold = sorted_probs.gather(-1, n_keep - 1)  # the crossing token's probability
    return logits.masked_fill(probs < threshold, float("-inf"))


def sample_next(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw one next token per row from last-position logits.

    In this order:
      1. temperature == 0: return the argmax of each row (greedy; the lowest id among ties),
         ignoring top_k and top_p.
      2. Divide the logits by temperature (before the softmax).
      3. If top_k is not None: top_k_logits.
      4. If top_p is not None: top_p_logits (on the tempered, top-k-filtered logits).
      5. Sample from softmax of the result with torch.multinomial (or any exact method),
         drawing randomness only from `generator` (torch's default generator when None).

    Args:
        logits: (B, V) float tensor (not modified).
        temperature: float >= 0.
        top_k, top_p: None (no filter) or as in top_k_logits / top_p_logits.
        generator: a torch.Generator or None.
    Returns:
        (B,) int64 tensor of token ids.
    Raises:
        ValueError: if temperature < 0 (and as top_k_logits / top_p_logits do).
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return logits.argmax(dim=-1)
    logits = logits / temperature  # a new tensor: the caller's logits stay as they were
    if top_k is not None:
        logits = top_k_logits(logits, top_k)
    if top_p is not None:
        logits = top_p_logits(logits, top_p)
    probs = logits.softmax(dim=-1)
    return torch.multinomial(probs, num_samples=1, generator=generator).squeeze(-1)


@torch.no_grad()
def generate(model: nn.Module, idx: torch.Tensor, max_new_tokens: int,
             temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """Extend idx by max_new_tokens tokens, one at a time, under torch.no_grad().

    At each step the model sees the last model.config.block_size tokens at most:
        logits, _ = model(idx[:, -model.config.block_size:])
        next = sample_next(logits[:, -1, :], temperature, top_k, top_p, generator)
    and next is appended as a new column. The model's train/eval mode is left as it is.

    Args:
        model: called as model(idx) -> (logits (B, T, V), loss); has model.config.block_size.
        idx: (B, T0) int64 prompt, T0 >= 1 (not modified).
        max_new_tokens: int >= 0.
        temperature, top_k, top_p, generator: passed to sample_next at every step.
    Returns:
        (B, T0 + max_new_tokens) int64 tensor: the prompt followed by the new tokens.
    """
    block_size = model.config.block_size
    for _ in range(max_new_tokens):
        logits, _ = model(idx[:, -block_size:])  # crop the context to the last block_size
        nxt = sample_next(logits[:, -1, :], temperature, top_k, top_p, generator)  # (B,)
        idx = torch.cat([idx, nxt[:, None]], dim=1)
    return idx


@torch.no_grad()
def perplexity(model: nn.Module, tokens: torch.Tensor, block_size: int, stride: int) -> float:
    """Perplexity of a 1-D token stream, with a strided sliding window.

    Every token but the first is a target, predicted from the tokens before it: N - 1 targets
    for N tokens. Windows of inputs start at begin = 0, stride, 2 * stride, ...; a window feeds
    x = tokens[begin : end] with end = min(begin + block_size, N - 1), as a (1, end - begin)
    batch, and its logits predict the targets tokens[begin + 1 : end + 1]. A target is scored
    by the FIRST window that predicts it (later windows skip it), so every target is scored
    exactly once, with as much context as the window allows. Stop after the window that
    predicts the last token. stride == block_size gives non-overlapping chunks.

        perplexity = exp(sum of -log softmax(logits)[target] / (N - 1))

    Args:
        model: called as model(x) -> (logits (1, T, V), loss); nothing else is assumed. Its
            train/eval mode is left as it is (call model.eval() first for a deterministic
            answer). Runs under torch.no_grad().
        tokens: (N,) int64 tensor, N >= 2.
        block_size: the window length, >= 1.
        stride: 1 <= stride <= block_size.
    Returns:
        The perplexity, a Python float.
    Raises:
        ValueError: if N < 2 or stride is not in 1 ... block_size.
    """
    n = tokens.numel()
    if n < 2:
        raise ValueError("perplexity needs at least two tokens")
    if not 1 <= stride <= block_size:
        raise ValueError(f"stride must be in 1 ... block_size={block_size}, got {stride}")
    total_nll = 0.0
    scored_until = 0  # targets at positions 1 ... scored_until are done
    for begin in range(0, n - 1, stride):
        end = min(begin + block_size, n - 1)
        logits, _ = model(tokens[begin:end][None])  # (1, end - begin, V)
        targets = tokens[begin + 1:end + 1]  # positions begin + 1 ... end
        new = end - scored_until  # the last `new` targets of this window are unscored
        logp = logits[0, -new:].double().log_softmax(dim=-1)  # (new, V)
        total_nll -= logp.gather(-1, targets[-new:, None]).sum().item()
        scored_until = end
        if end == n - 1:
            break
    return math.exp(total_nll / (n - 1))
