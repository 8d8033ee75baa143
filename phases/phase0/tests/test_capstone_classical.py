"""Public smoke tests for phase0.capstone_classical (the hidden suite is more thorough and runs
your phase-0 models on real MNIST digits).

These use tiny models defined here, so they only need this module (and, for benchmark, your
phase0.model_selection.k_fold). Oracles: closed-form accuracies, manual composition.
"""


import numpy as np

from phase0.capstone_classical import OneVsRestClassifier, Pipeline, benchmark
from shared import assert_close, assert_equal, rng
from shared.dependencies import uses_your_modules as _uses_your_modules


def uses_your_modules():
    """Name the module to finish first when one of yours is not written yet."""
    return _uses_your_modules("phase0.capstone_classical")


class CentroidBinary:
    """A binary {0, 1} classifier: P(1 | x) = sigmoid(|x - c0|^2 - |x - c1|^2)."""

    def fit(self, X, y):
        self.c0, self.c1 = X[y == 0].mean(axis=0), X[y == 1].mean(axis=0)
        return self

    def predict_proba(self, X):
        z = ((X - self.c0) ** 2).sum(axis=1) - ((X - self.c1) ** 2).sum(axis=1)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def test_one_vs_rest_classifies_gaussian_blobs():
    g = rng(0)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0], [6.0, 6.0]])
    labels = np.array([7, -2, 3, 11])  # not sorted, not 0..K-1
    y = np.repeat(labels, 50)
    X = np.repeat(centres, 50, axis=0) + g.normal(size=(200, 2))
    model = OneVsRestClassifier(CentroidBinary)
    assert model.fit(X, y) is model, "fit must return self"
    assert_equal(model.classes_, np.array([-2, 3, 7, 11]), what="classes_",
                 oracle="np.unique(y)", hint="sorted distinct labels")
    # Blobs 6 apart with unit noise: a one-vs-rest centroid rule gets almost all right.
    acc = float(np.mean(model.predict(X) == y))
    assert acc >= 0.95, (f"one-vs-rest accuracy on 4 well-separated blobs is {acc:.3f}, expected "
                         ">= 0.95. Hint: predict classes_[argmax of the K binary scores].")


def test_pipeline_transforms_then_classifies():
    class AddOne:
        def fit(self, X):
            return self

        def transform(self, X):
            return X + 1.0

    class Double:
        def fit(self, X):
            return self

        def transform(self, X):
            return X * 2.0

    class Sign:  # a "classifier" that predicts the sign of the first feature
        def fit(self, X, y):
            self.seen = X.copy()
            return self

        def predict(self, X):
            return np.sign(X[:, 0]).astype(int)

    X = np.array([[-3.0, 0.0], [-0.8, 1.0], [2.0, 5.0]])
    pipe = Pipeline(AddOne(), Double(), Sign())
    assert pipe.fit(X, np.array([0, 1, 1])) is pipe, "fit must return self"
    assert_close(pipe.steps[-1].seen, (X + 1.0) * 2.0, what="what the classifier was fitted on",
                 oracle="(X + 1) * 2: the transformers in order",
                 hint="each transformer works on the previous one's output")
    assert_equal(pipe.predict(X), np.array([-1, 1, 1]), what="Pipeline.predict",
                 oracle="sign of (x0 + 1) * 2", hint="transform X through every step first")


def test_benchmark_scores_constant_models():
    class Constant:
        def __init__(self, label):
            self.label = label

        def fit(self, X, y):
            return self

        def predict(self, X):
            return np.full(len(X), self.label)

    y = np.array([0] * 24 + [1] * 36)
    X = rng(1).normal(size=(60, 3))
    # 60 rows in 5 equal folds: the mean of the per-fold accuracies of "always c" is the
    # overall fraction of c, whatever the folds: 0.4 for 0, 0.6 for 1, 0 for 2.
    with uses_your_modules():  # benchmark uses your phase0.model_selection.k_fold
        scores = benchmark({"zero": lambda: Constant(0), "one": lambda: Constant(1),
                            "two": lambda: Constant(2)}, X, y, k=5, seed=0)
    assert list(scores) == ["zero", "one", "two"], f"keys should keep the order, got {list(scores)}"
    assert_close(np.array([scores["zero"], scores["one"], scores["two"]]),
                 np.array([0.4, 0.6, 0.0]), what="benchmark of constant predictors",
                 oracle="the class fractions (closed form)",
                 hint="score = plain mean over the k folds of the test-fold accuracy")
