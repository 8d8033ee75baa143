"""A scalar autograd engine and a tiny MLP.

Every `Value` holds one number (`data`), the gradient of some final output with respect to it
(`grad`), and remembers the Values it was computed from. `out.backward()` then applies the chain
rule backwards through that graph, from `out` to the leaves.

    a, b = Value(2.0), Value(-3.0)
    c = a * b + a          # a is used twice: its gradient gets two contributions
    c.backward()
    a.grad, b.grad         # (-2.0, 2.0): dc/da = b + 1, dc/db = a

On top of it: `Neuron`, `Layer` and `MLP`, and a training loop that learns XOR.

Pure Python: the standard library only (`math`, `random`), no NumPy, no torch.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

Number = int | float


class Value:
    """A scalar in a computation graph, with the gradient of the output with respect to it.

    Attributes:
        data: the value, a float.
        grad: d(output)/d(this value), a float; 0.0 when created.

    Operands may be Values or plain numbers (int or float); a number is wrapped in a new leaf
    Value. Every operation returns a new Value and never changes its operands' data.
    """

    def __init__(self, data: float, _children: tuple[Value, ...] = (), _op: str = "") -> None:
        """A Value holding `data` (stored as a float).

        `_children` (the Values this one was computed from) and `_op` (a label such as "+") are
        filled in by the operations; create leaves with `Value(x)`. A Value with no children is
        a *leaf*.
        """
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        # Set by each operation: adds this node's contribution to its children's grads.
        self._backward: Callable[[], None] = lambda: None

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    # --- arithmetic ------------------------------------------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        """self + other.   d/dself = 1, d/dother = 1."""
        raise NotImplementedError("phase0.micrograd.Value.__add__")

    def __mul__(self, other: Value | Number) -> Value:
        """self * other.   d/dself = other, d/dother = self."""
        raise NotImplementedError("phase0.micrograd.Value.__mul__")

    def __pow__(self, p: Number) -> Value:
        """self ** p for a constant number p (int or float).   d/dself = p * self**(p - 1).

        Raises:
            TypeError: if p is a Value (exponents that are Values are not supported).

        A fractional p needs self.data > 0.
        """
        raise NotImplementedError("phase0.micrograd.Value.__pow__")

    def __neg__(self) -> Value:
        """-self.   d/dself = -1."""
        raise NotImplementedError("phase0.micrograd.Value.__neg__")

    def __sub__(self, other: Value | Number) -> Value:
        """self - other.   d/dself = 1, d/dother = -1."""
        raise NotImplementedError("phase0.micrograd.Value.__sub__")

    def __truediv__(self, other: Value | Number) -> Value:
        """self / other.   d/dself = 1 / other, d/dother = -self / other**2 (quotient rule)."""
        raise NotImplementedError("phase0.micrograd.Value.__truediv__")

    # Reflected operators: Python calls these for `2 + v`, `2 - v`, `2 * v`, `2 / v`,
    # where the left operand is a plain number.

    def __radd__(self, other: Number) -> Value:
        """other + self, for a number other."""
        raise NotImplementedError("phase0.micrograd.Value.__radd__")

    def __rsub__(self, other: Number) -> Value:
        """other - self, for a number other."""
        raise NotImplementedError("phase0.micrograd.Value.__rsub__")

    def __rmul__(self, other: Number) -> Value:
        """other * self, for a number other."""
        raise NotImplementedError("phase0.micrograd.Value.__rmul__")

    def __rtruediv__(self, other: Number) -> Value:
        """other / self, for a number other."""
        raise NotImplementedError("phase0.micrograd.Value.__rtruediv__")

    # --- functions -------------------------------------------------------------------------

    def exp(self) -> Value:
        """e ** self.   d/dself = e ** self."""
        raise NotImplementedError("phase0.micrograd.Value.exp")

    def log(self) -> Value:
        """Natural logarithm.   d/dself = 1 / self.

        Raises:
            ValueError: if self.data <= 0.
        """
        raise NotImplementedError("phase0.micrograd.Value.log")

    def tanh(self) -> Value:
        """tanh(self).   d/dself = 1 - tanh(self)**2.

        Must work for any finite input: tanh(1000.0) is 1.0 (math.tanh is fine; a formula
        through exp(2x) overflows).
        """
        raise NotImplementedError("phase0.micrograd.Value.tanh")

    def relu(self) -> Value:
        """max(0, self).   d/dself = 1 if self.data > 0 else 0.

        Convention at 0 (as in torch): relu(0) = 0 with gradient 0.
        """
        raise NotImplementedError("phase0.micrograd.Value.relu")

    def sigmoid(self) -> Value:
        """1 / (1 + e ** -self).   d/dself = sigmoid(self) * (1 - sigmoid(self)).

        Must work for any finite input: sigmoid(-1000.0) is 0.0 and sigmoid(1000.0) is 1.0.
        math.exp(1000.0) raises OverflowError, so never take exp of a large positive number
        (for x < 0 use e**x / (1 + e**x)).
        """
        raise NotImplementedError("phase0.micrograd.Value.sigmoid")

    # --- backpropagation -------------------------------------------------------------------

    def backward(self) -> None:
        """Reverse-mode autodiff: fill in d(self)/d(v) for every Value v that self depends on.

        1. Order the graph below self topologically (every node after all of its children).
        2. Set the grad of every non-leaf node of that graph (self included, unless self is a
           leaf) to 0.0, then add 1.0 to self.grad (d self / d self = 1).
        3. Visit the nodes in reverse order (self first): each node adds (+=) its grad times
           its local derivatives to its children's grads. A node is visited once, after every
           node that uses it, so a Value used twice (x * x, or a shared sub-expression) gets
           the sum of all its contributions.

        Leaves accumulate: backward adds to leaf.grad and never resets it. Calling backward
        twice without zeroing gives leaves twice the gradient (like torch's .grad); zero them
        yourself between training steps (MLP.zero_grad). Non-leaf grads are recomputed from
        scratch by each call, so after any call they hold d(self)/d(node).
        """
        raise NotImplementedError("phase0.micrograd.Value.backward")


class Neuron:
    """One neuron: tanh(sum_i w_i * x_i + b), or the plain sum when nonlin is False.

    Initialisation: w_i ~ Uniform(-1, 1), one `rng.uniform(-1.0, 1.0)` draw per weight; the
    bias starts at 0.0. With rng None, a fresh `random.Random(0)` is used, so the same
    arguments always give the same neuron.
    """

    def __init__(self, nin: int, nonlin: bool = True, rng: random.Random | None = None) -> None:
        """Create nin weights and a bias, all leaf Values.

        Args:
            nin: number of inputs, >= 1.
            nonlin: apply tanh (True) or not (False, a linear neuron).
            rng: the random source for the weights (see the class docstring).
        """
        self.nin = nin
        self.nonlin = nonlin
        raise NotImplementedError("phase0.micrograd.Neuron.__init__")

    def __call__(self, x: Sequence[Value | Number]) -> Value:
        """The neuron's output for inputs x (Values or numbers).

        Raises:
            ValueError: if len(x) != nin.
        """
        raise NotImplementedError("phase0.micrograd.Neuron.__call__")

    def parameters(self) -> list[Value]:
        """[w_0, ..., w_{nin-1}, b]: the weights in input order, then the bias (the Value
        objects themselves, so that changing p.data changes the neuron)."""
        raise NotImplementedError("phase0.micrograd.Neuron.parameters")


class Layer:
    """nout neurons that all see the same nin inputs."""

    def __init__(self, nin: int, nout: int, nonlin: bool = True,
                 rng: random.Random | None = None) -> None:
        """Create nout Neurons of nin inputs, in order, all drawing from the same rng.

        With rng None, one fresh `random.Random(0)` is shared by the layer's neurons (so that
        they differ from one another).
        """
        self.nin = nin
        self.nout = nout
        self.nonlin = nonlin
        raise NotImplementedError("phase0.micrograd.Layer.__init__")

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        """The list of the nout neurons' outputs (a list even when nout is 1)."""
        raise NotImplementedError("phase0.micrograd.Layer.__call__")

    def parameters(self) -> list[Value]:
        """The parameters of neuron 0, then of neuron 1, ... (each as in Neuron.parameters)."""
        raise NotImplementedError("phase0.micrograd.Layer.parameters")


class MLP:
    """A multi-layer perceptron: Layer(nin, nouts[0]), Layer(nouts[0], nouts[1]), ...

    Every layer uses tanh except the last, which is linear (nonlin=False). All layers draw
    their initial weights, in order, from one random source.
    """

    def __init__(self, nin: int, nouts: Sequence[int], rng: random.Random | None = None) -> None:
        """Args:
            nin: number of inputs.
            nouts: the size of each layer, e.g. [4, 4, 1] for two hidden layers of 4 and one
                output.
            rng: the random source, shared by all layers in order; None means a fresh
                `random.Random(0)`.
        """
        self.nin = nin
        self.nouts = list(nouts)
        raise NotImplementedError("phase0.micrograd.MLP.__init__")

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        """Run x through every layer; returns the last layer's outputs (a list of Values)."""
        raise NotImplementedError("phase0.micrograd.MLP.__call__")

    def parameters(self) -> list[Value]:
        """The parameters of layer 0, then of layer 1, ... (each as in Layer.parameters)."""
        raise NotImplementedError("phase0.micrograd.MLP.parameters")

    def zero_grad(self) -> None:
        """Set the grad of every parameter to 0.0."""
        raise NotImplementedError("phase0.micrograd.MLP.zero_grad")


XOR_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_TARGETS = [-1.0, 1.0, 1.0, -1.0]


def train_xor(hidden: int = 8, steps: int = 150, lr: float = 0.15,
              seed: int = 0) -> tuple[MLP, list[float]]:
    """Train MLP(2, [hidden, 1]) on XOR by full-batch gradient descent.

    The model is `MLP(2, [hidden, 1], rng=random.Random(seed))`. The data are XOR_INPUTS with
    targets XOR_TARGETS (-1 for "false", +1 for "true"); a prediction is "true" when the
    output is > 0. The loss is the mean squared error over the four examples:

        loss = (1/4) * sum_k (model(x_k)[0] - y_k) ** 2

    Each of the `steps` steps: zero the grads, compute the loss, backward, then update every
    parameter p.data -= lr * p.grad.

    Returns:
        (model, losses): the trained model and the list of `steps` floats, losses[k] being the
        loss computed at step k (before that step's update).
    """
    raise NotImplementedError("phase0.micrograd.train_xor")
