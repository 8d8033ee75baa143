"""A LLaMA block: RMSNorm, SwiGLU, rotary position embeddings and grouped-query attention.

LLaMA is a GPT-style pre-norm decoder with four changes, which you build here one at a time:

- RMSNorm instead of LayerNorm: no mean subtraction, no bias.
- A SwiGLU feed-forward network: down_proj(silu(gate_proj(x)) * up_proj(x)).
- Rotary position embeddings (RoPE) on queries and keys, instead of a position table.
- No biases anywhere, and grouped-query attention (GQA): nh query heads share nkv <= nh
  key/value heads.

Then you assemble a decoder layer, a LlamaModel and a LlamaForCausalLM whose parameter names are
those of Hugging Face `transformers`, so that a state dict loads both ways (the tests check
parity with transformers.LlamaForCausalLM when it is installed).

RoPE convention: transformers' "rotate_half" pairing, where dimension i of a head is rotated
together with dimension i + head_dim/2 (not the interleaved pairs (2i, 2i+1) of Meta's
original code). Attention is causal by sequence index. The __init__ methods are written for
you (the parameter layout is the interface); fill in every function and forward.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class LlamaConfig:
    """Hyperparameters of a LLaMA model (the names of transformers.LlamaConfig's fields).

    Attributes:
        vocab_size: V, the number of token ids.
        hidden_size: C, the model width.
        intermediate_size: the SwiGLU hidden width.
        num_hidden_layers: L, the number of decoder layers.
        num_attention_heads: nh, the number of query heads; head_dim = C // nh.
        num_key_value_heads: nkv, the number of key/value heads; it divides nh. nkv == nh is
            plain multi-head attention, nkv == 1 is multi-query attention.
        rms_norm_eps: eps of every RMSNorm.
        rope_theta: the RoPE base.
    """

    vocab_size: int = 64
    hidden_size: int = 32
    intermediate_size: int = 48
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0


class RMSNorm(nn.Module):
    """Root-mean-square normalisation over the last axis (LLaMA's LlamaRMSNorm).

        y = weight * x / sqrt(mean(x ** 2, over the last axis) + eps)

    Nothing is subtracted (no mean, no bias) and eps is added to the mean square, inside the
    square root. Compute in x's dtype.

    Parameters (created by __init__): weight (hidden_size,), ones.

    forward(x): x (*, hidden_size) float tensor -> tensor of x's shape.

    Do not call torch.nn.functional.rms_norm, torch.rms_norm or torch.nn.RMSNorm.
    """

    def __init__(self, hidden_size: int, eps: float = 1e-6) -> None:
        """Create weight (hidden_size,) = ones and store eps."""
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """weight * x / sqrt(mean(x ** 2) + eps) over the last axis; x's shape."""
        raise NotImplementedError("phase3.llama.RMSNorm.forward")


class SwiGLU(nn.Module):
    """LLaMA's feed-forward network (LlamaMLP):

        y = down_proj(silu(gate_proj(x)) * up_proj(x)),      silu(z) = z * sigmoid(z)

    Parameters (created by __init__, nn.Linear without bias):
        gate_proj.weight (intermediate_size, hidden_size)
        up_proj.weight   (intermediate_size, hidden_size)
        down_proj.weight (hidden_size, intermediate_size)

    forward(x): x (*, hidden_size) -> (*, hidden_size). silu is applied to the gate branch only.
    """

    def __init__(self, hidden_size: int, intermediate_size: int) -> None:
        """Create gate_proj, up_proj and down_proj (no biases)."""
        super().__init__()
        self.gate_proj = nn.Linear(hidden_size, intermediate_size, bias=False)
        self.up_proj = nn.Linear(hidden_size, intermediate_size, bias=False)
        self.down_proj = nn.Linear(intermediate_size, hidden_size, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """down_proj(silu(gate_proj(x)) * up_proj(x)); x's shape."""
        raise NotImplementedError("phase3.llama.SwiGLU.forward")


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """Rotate the two halves of the last axis: with x = [x1, x2] (each of size d/2), return
    [-x2, x1].

    Args:
        x: (..., d) tensor, d even.
    Returns:
        tensor of x's shape.
    """
    raise NotImplementedError("phase3.llama.rotate_half")


def apply_rope(x: torch.Tensor, positions: torch.Tensor, theta: float = 10000.0) -> torch.Tensor:
    """Rotary position embedding of queries or keys, in transformers' rotate_half convention.

    For head dimension d and i in 0 .. d/2 - 1, the pair (x[..., i], x[..., i + d/2]) (the
    first and second halves, NOT adjacent entries) is rotated by the angle
    pos * theta ** (-2i / d), where pos is the token's position:

        freqs = pos * theta ** (-arange(0, d, 2) / d)         (d/2 angles)
        cos, sin = cos(cat(freqs, freqs)), sin(cat(freqs, freqs))         (d values)
        out = x * cos + rotate_half(x) * sin

    Args:
        x: (B, nh, T, d) float tensor, d even.
        positions: (B, T) or (T,) integer tensor of positions (any integers, not necessarily
            0 .. T-1 nor increasing); a (T,) tensor applies to every batch row.
        theta: the RoPE base.
    Returns:
        tensor of x's shape and dtype. Compute the angles in float64 (or at least float32),
        then cast cos and sin to x's dtype.
    """
    raise NotImplementedError("phase3.llama.apply_rope")


def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """Repeat each key/value head n_rep times, so that query head j uses kv head j // n_rep.

    Args:
        x: (B, nkv, T, d) tensor.
        n_rep: int >= 1, nh // nkv.
    Returns:
        (B, nkv * n_rep, T, d) tensor whose head j equals x[:, j // n_rep]: the copies of one
        kv head are consecutive (kv0, kv0, kv1, kv1, ... for n_rep = 2), not tiled.
    """
    raise NotImplementedError("phase3.llama.repeat_kv")


class LlamaAttention(nn.Module):
    """Causal grouped-query self-attention with RoPE (LlamaAttention).

    Parameters (created by __init__, nn.Linear without bias; d = hidden_size // nh):
        q_proj.weight (nh * d, hidden_size)      query head h uses rows h*d .. (h+1)*d - 1
        k_proj.weight (nkv * d, hidden_size)     kv head g uses rows g*d .. (g+1)*d - 1
        v_proj.weight (nkv * d, hidden_size)
        o_proj.weight (hidden_size, nh * d)

    forward(x, positions):
        1. q, k, v = the projections, split into heads: (B, nh, T, d), (B, nkv, T, d) x2.
        2. q, k = apply_rope(q, positions, theta), apply_rope(k, positions, theta).
        3. k, v = repeat_kv(k, nh // nkv), repeat_kv(v, nh // nkv): query head h attends with
           kv head h // (nh // nkv).
        4. Causal attention by sequence index: token t attends to tokens 0 .. t of the sequence
           (whatever their positions), scores scaled by 1 / sqrt(d), softmax over keys.
        5. Merge heads back to (B, T, nh * d) (head-major: head h fills columns h*d .. h*d+d-1)
           and apply o_proj.
        x: (B, T, hidden_size); positions: (B, T) or (T,) integer tensor. Returns (B, T,
        hidden_size). You may use torch.nn.functional.scaled_dot_product_attention.
    """

    def __init__(self, config: LlamaConfig) -> None:
        """Store the head counts and create q_proj, k_proj, v_proj and o_proj (no biases)."""
        super().__init__()
        if config.num_attention_heads % config.num_key_value_heads:
            raise ValueError("num_key_value_heads must divide num_attention_heads")
        self.num_heads = config.num_attention_heads
        self.num_kv_heads = config.num_key_value_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.rope_theta = config.rope_theta
        C, d = config.hidden_size, self.head_dim
        self.q_proj = nn.Linear(C, self.num_heads * d, bias=False)
        self.k_proj = nn.Linear(C, self.num_kv_heads * d, bias=False)
        self.v_proj = nn.Linear(C, self.num_kv_heads * d, bias=False)
        self.o_proj = nn.Linear(self.num_heads * d, C, bias=False)

    def forward(self, x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """Causal GQA with RoPE; (B, T, hidden_size) -> (B, T, hidden_size)."""
        raise NotImplementedError("phase3.llama.LlamaAttention.forward")


class LlamaDecoderLayer(nn.Module):
    """One pre-norm LLaMA layer (LlamaDecoderLayer):

        h = x + self_attn(input_layernorm(x), positions)
        y = h + mlp(post_attention_layernorm(h))

    Sub-modules (created by __init__): input_layernorm (RMSNorm), self_attn (LlamaAttention),
    post_attention_layernorm (RMSNorm), mlp (SwiGLU); both norms use config.rms_norm_eps.

    forward(x, positions): x (B, T, hidden_size), positions (B, T) or (T,) -> (B, T,
    hidden_size).
    """

    def __init__(self, config: LlamaConfig) -> None:
        """Create input_layernorm, self_attn, post_attention_layernorm and mlp."""
        super().__init__()
        self.input_layernorm = RMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.self_attn = LlamaAttention(config)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.mlp = SwiGLU(config.hidden_size, config.intermediate_size)

    def forward(self, x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """Pre-norm attention then pre-norm SwiGLU, each with a residual connection."""
        raise NotImplementedError("phase3.llama.LlamaDecoderLayer.forward")


class LlamaModel(nn.Module):
    """The LLaMA decoder stack (LlamaModel): embeddings, L layers, a final RMSNorm.

    Sub-modules (created by __init__): embed_tokens (nn.Embedding(V, hidden_size)), layers
    (nn.ModuleList of L LlamaDecoderLayer), norm (RMSNorm). There is no position table: the
    positions enter through RoPE only.

    forward(input_ids, position_ids=None):
        input_ids: (B, T) int64 token ids.
        position_ids: (B, T) or (T,) integer positions, or None for arange(T).
        Returns the hidden states after the final norm, (B, T, hidden_size).
    """

    def __init__(self, config: LlamaConfig) -> None:
        """Create embed_tokens, layers and norm."""
        super().__init__()
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(
            LlamaDecoderLayer(config) for _ in range(config.num_hidden_layers))
        self.norm = RMSNorm(config.hidden_size, eps=config.rms_norm_eps)

    def forward(self, input_ids: torch.Tensor,
                position_ids: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T) token ids -> (B, T, hidden_size) final hidden states."""
        raise NotImplementedError("phase3.llama.LlamaModel.forward")


class LlamaForCausalLM(nn.Module):
    """A LLaMA language model (LlamaForCausalLM): LlamaModel then an untied output layer.

    Sub-modules (created by __init__): model (LlamaModel), lm_head (nn.Linear(hidden_size, V,
    bias=False)), not tied to model.embed_tokens. The state dict keys are transformers':
    model.embed_tokens.weight, model.layers.{i}.self_attn.{q,k,v,o}_proj.weight,
    model.layers.{i}.mlp.{gate,up,down}_proj.weight,
    model.layers.{i}.{input,post_attention}_layernorm.weight, model.norm.weight,
    lm_head.weight.

    forward(input_ids, position_ids=None): as LlamaModel; returns logits (B, T, V).
    """

    def __init__(self, config: LlamaConfig) -> None:
        """Create model and lm_head."""
        super().__init__()
        self.config = config
        self.model = LlamaModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)

    def forward(self, input_ids: torch.Tensor,
                position_ids: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T) token ids -> (B, T, vocab_size) logits."""
        raise NotImplementedError("phase3.llama.LlamaForCausalLM.forward")


def llama_num_parameters(config: LlamaConfig) -> int:
    """The number of parameters of LlamaForCausalLM(config), by formula (not by building it).

    Count the embedding, every projection of every layer (q, k, v, o: remember k and v have
    nkv heads), the SwiGLU matrices, the RMSNorm weights (two per layer and a final one) and
    the untied lm_head. There are no biases.
    """
    raise NotImplementedError("phase3.llama.llama_num_parameters")
