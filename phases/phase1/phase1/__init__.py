"""Phase 1: The Atomic Era. Every primitive of a neural network, with a hand-written backward."""
