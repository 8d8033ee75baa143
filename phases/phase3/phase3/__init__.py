"""Phase 3: The Attention Era. From tokenizers to a streaming mini-GPT."""
