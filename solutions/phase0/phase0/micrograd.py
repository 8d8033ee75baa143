"""A scalar autograd engine and a tiny MLP (reference solution).

After Andrej Karpathy's micrograd (github.com/karpathy/micrograd, "The spelled-out intro to
neural networks and backpropagation"), with two changes: backward() resets the non-leaf grads
so that calling it twice accumulates into the leaves only (as torch's .grad does), and tanh and
sigmoid are written to stay finite for large inputs.

Reverse-mode automatic differentiation: Griewank & Walther, Evaluating Derivatives (2008), ch. 3.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

Number = int | float


def _as_value(x: Value | Number) -> Value:
    """Wrap a plain number in a leaf Value; return Values unchanged."""
    return x if isinstance(x, Value) else Value(x)


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
        other = _as_value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | Number) -> Value:
        """self * other.   d/dself = other, d/dother = self."""
        other = _as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            # += not =: in x * x, self and other are the same node and both terms count.
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, p: Number) -> Value:
        """self ** p for a constant number p (int or float).   d/dself = p * self**(p - 1).

        Raises:
            TypeError: if p is a Value (exponents that are Values are not supported).

        A fractional p needs self.data > 0.
        """
        if not isinstance(p, int | float):
            raise TypeError(f"the exponent must be an int or a float, got {type(p).__name__}")
        out = Value(self.data**p, (self,), f"**{p}")

        def _backward() -> None:
            self.grad += p * self.data ** (p - 1) * out.grad

        out._backward = _backward
        return out

    def __neg__(self) -> Value:
        """-self.   d/dself = -1."""
        return self * -1

    def __sub__(self, other: Value | Number) -> Value:
        """self - other.   d/dself = 1, d/dother = -1."""
        return self + (-_as_value(other))

    def __truediv__(self, other: Value | Number) -> Value:
        """self / other.   d/dself = 1 / other, d/dother = -self / other**2 (quotient rule)."""
        # a / b = a * b**-1: the product and power rules together give the quotient rule.
        return self * _as_value(other) ** -1

    # Reflected operators: Python calls these for `2 + v`, `2 - v`, `2 * v`, `2 / v`,
    # where the left operand is a plain number.

    def __radd__(self, other: Number) -> Value:
        """other + self, for a number other."""
        return self + other

    def __rsub__(self, other: Number) -> Value:
        """other - self, for a number other."""
        return _as_value(other) - self

    def __rmul__(self, other: Number) -> Value:
        """other * self, for a number other."""
        return self * other

    def __rtruediv__(self, other: Number) -> Value:
        """other / self, for a number other."""
        return _as_value(other) / self

    # --- functions -------------------------------------------------------------------------

    def exp(self) -> Value:
        """e ** self.   d/dself = e ** self."""
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad  # d e^x / dx = e^x, already computed

        out._backward = _backward
        return out

    def log(self) -> Value:
        """Natural logarithm.   d/dself = 1 / self.

        Raises:
            ValueError: if self.data <= 0.
        """
        if self.data <= 0:
            raise ValueError(f"log of a non-positive number: {self.data}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward() -> None:
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        """tanh(self).   d/dself = 1 - tanh(self)**2.

        Must work for any finite input: tanh(1000.0) is 1.0 (math.tanh is fine; a formula
        through exp(2x) overflows).
        """
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        """max(0, self).   d/dself = 1 if self.data > 0 else 0.

        Convention at 0 (as in torch): relu(0) = 0 with gradient 0.
        """
        out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

        def _backward() -> None:
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad  # 0 at 0, like torch

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        """1 / (1 + e ** -self).   d/dself = sigmoid(self) * (1 - sigmoid(self)).

        Must work for any finite input: sigmoid(-1000.0) is 0.0 and sigmoid(1000.0) is 1.0.
        math.exp(1000.0) raises OverflowError, so never take exp of a large positive number
        (for x < 0 use e**x / (1 + e**x)).
        """
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))  # exp(-x) <= 1: no overflow
        else:
            z = math.exp(x)  # exp(x) < 1 for x < 0
            s = z / (1.0 + z)
        out = Value(s, (self,), "sigmoid")

        def _backward() -> None:
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

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
        # Topological order, iteratively (a recursive version hits Python's recursion limit on
        # deep graphs): a node is appended only after all of its children.
        order: list[Value] = []
        visited: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev if id(child) not in visited)

        for node in order:
            if node._prev:  # non-leaf: recomputed from scratch
                node.grad = 0.0
        self.grad += 1.0
        # Reversed, every node comes before its children: its grad is complete (all of its
        # consumers have added their share) by the time it passes it on.
        for node in reversed(order):
            node._backward()


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
        rng = random.Random(0) if rng is None else rng
        self.w = [Value(rng.uniform(-1.0, 1.0)) for _ in range(nin)]
        self.b = Value(0.0)

    def __call__(self, x: Sequence[Value | Number]) -> Value:
        """The neuron's output for inputs x (Values or numbers).

        Raises:
            ValueError: if len(x) != nin.
        """
        if len(x) != self.nin:
            raise ValueError(f"expected {self.nin} inputs, got {len(x)}")
        act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        return act.tanh() if self.nonlin else act

    def parameters(self) -> list[Value]:
        """[w_0, ..., w_{nin-1}, b]: the weights in input order, then the bias (the Value
        objects themselves, so that changing p.data changes the neuron)."""
        return [*self.w, self.b]


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
        rng = random.Random(0) if rng is None else rng
        self.neurons = [Neuron(nin, nonlin, rng) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        """The list of the nout neurons' outputs (a list even when nout is 1)."""
        return [n(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        """The parameters of neuron 0, then of neuron 1, ... (each as in Neuron.parameters)."""
        return [p for n in self.neurons for p in n.parameters()]


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
        rng = random.Random(0) if rng is None else rng
        sizes = [nin, *self.nouts]
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i < len(self.nouts) - 1, rng=rng)
                       for i in range(len(self.nouts))]

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        """Run x through every layer; returns the last layer's outputs (a list of Values)."""
        out: list = list(x)
        for layer in self.layers:
            out = layer(out)
        return out

    def parameters(self) -> list[Value]:
        """The parameters of layer 0, then of layer 1, ... (each as in Layer.parameters)."""
        return [p for layer in self.layers for p in layer.parameters()]

    def zero_grad(self) -> None:
        """Set the grad of every parameter to 0.0."""
        for p in self.parameters():
            p.grad = 0.0


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
    model = MLP(2, [hidden, 1], rng=random.Random(seed))
    params = model.parameters()
    losses: list[float] = []
    for _ in range(steps):
        model.zero_grad()
        errors = [(model(x)[0] - y) ** 2 for x, y in zip(XOR_INPUTS, XOR_TARGETS, strict=True)]
        loss = sum(errors) / len(errors)
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        losses.append(loss.data)
    return model, losses
