"""Phase 0: Foundations. Math, autograd and classical machine learning in NumPy and Python."""
