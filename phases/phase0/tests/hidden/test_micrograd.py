"""Hidden tests for phase0.micrograd: the scalar autograd engine, Neuron/Layer/MLP, XOR.

Oracles: torch.autograd in float64 on the same expressions (values and gradients), closed-form
derivatives, Python's `random.Random` for the documented initialisation, and a pure-Python
forward pass written here from the documented parameter order.
"""

import math
import random

import pytest
import torch

from phase0.micrograd import MLP, XOR_INPUTS, XOR_TARGETS, Layer, Neuron, Value, train_xor
from shared import assert_close

TOL = {"rtol": 1e-10, "atol": 1e-10}


def _leaf(x):
    return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)


def _grad(t):
    return 0.0 if t.grad is None else t.grad.item()


# --- each operator ------------------------------------------------------------------------

# name -> (micrograd function, torch function, inputs); every input is a leaf.
UNARY = {
    "neg": (lambda a: -a, lambda a: -a, [1.7, -0.4]),
    "exp": (lambda a: a.exp(), torch.exp, [0.3, -1.2]),
    "log": (lambda a: a.log(), torch.log, [0.25, 3.0]),
    "tanh": (lambda a: a.tanh(), torch.tanh, [0.6, -1.9]),
    "relu": (lambda a: a.relu(), torch.relu, [1.3, -0.8]),
    "sigmoid": (lambda a: a.sigmoid(), torch.sigmoid, [0.7, -2.2]),
    "pow 2": (lambda a: a**2, lambda a: a**2, [1.5, -0.7]),
    "pow 3": (lambda a: a**3, lambda a: a**3, [1.5, -0.7]),
    "pow -1": (lambda a: a**-1, lambda a: a**-1, [1.5, -0.7]),
    "pow 0.5": (lambda a: a**0.5, lambda a: a**0.5, [2.5, 0.3]),
    "pow -1.5": (lambda a: a**-1.5, lambda a: a**-1.5, [2.5, 0.3]),
    "2 + a": (lambda a: 2 + a, lambda a: 2 + a, [0.4, -3.0]),
    "a + 2": (lambda a: a + 2, lambda a: a + 2, [0.4, -3.0]),
    "2 - a": (lambda a: 2 - a, lambda a: 2 - a, [0.4, -3.0]),
    "a - 2": (lambda a: a - 2, lambda a: a - 2, [0.4, -3.0]),
    "3 * a": (lambda a: 3 * a, lambda a: 3 * a, [0.4, -3.0]),
    "a * 3": (lambda a: a * 3, lambda a: a * 3, [0.4, -3.0]),
    "2 / a": (lambda a: 2 / a, lambda a: 2 / a, [0.4, -3.0]),
    "a / 2": (lambda a: a / 2, lambda a: a / 2, [0.4, -3.0]),
}
BINARY = {
    "a + b": (lambda a, b: a + b, [(1.5, -0.3), (-2.0, 0.7)]),
    "a - b": (lambda a, b: a - b, [(1.5, -0.3), (-2.0, 0.7)]),
    "a * b": (lambda a, b: a * b, [(1.5, -0.3), (-2.0, 0.7)]),
    "a / b": (lambda a, b: a / b, [(1.5, -0.3), (-2.0, 0.7)]),
}
HINTS = {
    "tanh": "d tanh(x)/dx = 1 - tanh(x)**2 (squared)",
    "sigmoid": "d sigmoid(x)/dx = s (1 - s) with s = sigmoid(x)",
    "log": "d log(x)/dx = 1 / x",
    "exp": "d exp(x)/dx = exp(x)",
    "relu": "the gradient is 1 where x > 0 and 0 elsewhere",
    "a / b": "quotient rule: d(a/b)/da = 1/b, d(a/b)/db = -a / b**2",
    "2 / a": "quotient rule: d(2/a)/da = -2 / a**2; __rtruediv__ computes other / self",
    "2 - a": "__rsub__ computes other - self (2 - a), not self - other",
    "a - b": "d(a - b)/db = -1",
}


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_operator_value_and_gradient_match_torch(name):
    f, f_torch, points = UNARY[name]
    for x in points:
        a = Value(x)
        out = f(a)
        out.backward()
        ta = _leaf(x)
        tout = f_torch(ta)
        tout.backward()
        hint = HINTS.get(name, "power rule: d(x**p)/dx = p * x**(p - 1)" if "pow" in name
                         else "check the local derivative of this operation")
        assert_close(out.data, tout.item(), **TOL, what=f"({name}).data at a={x}",
                     oracle=f"torch ({name}) in float64", hint=hint)
        assert_close(a.grad, ta.grad.item(), **TOL,
                     what=f"a.grad after ({name}).backward() at a={x}",
                     oracle="torch.autograd in float64", hint=hint)


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_operator_value_and_gradients_match_torch(name):
    f, points = BINARY[name]
    for x, y in points:
        a, b = Value(x), Value(y)
        out = f(a, b)
        out.backward()
        ta, tb = _leaf(x), _leaf(y)
        tout = f(ta, tb)
        tout.backward()
        hint = HINTS.get(name, "check the local derivative of this operation")
        assert_close(out.data, tout.item(), **TOL, what=f"({name}).data at a={x}, b={y}",
                     oracle="torch in float64", hint=hint)
        assert_close([a.grad, b.grad], [ta.grad.item(), tb.grad.item()], **TOL,
                     what=f"[a.grad, b.grad] after ({name}).backward() at a={x}, b={y}",
                     oracle="torch.autograd in float64", hint=hint)


@pytest.mark.parametrize("expr", ["x * x", "x + x", "x - x", "x / x", "x * x * x"])
def test_same_value_on_both_sides_accumulates(expr):
    """A value on both sides of an operator accumulates both gradient contributions."""
    x = Value(1.7)
    out = eval(expr, {"x": x})
    out.backward()
    tx = _leaf(1.7)
    eval(expr, {"x": tx}).backward()
    assert_close(x.grad, tx.grad.item(), **TOL, what=f"x.grad after ({expr}).backward() at x=1.7",
                 oracle="torch.autograd in float64",
                 hint="both operands are the same node: add both contributions with +=")


def test_operations_return_new_values_and_leave_operands_unchanged():
    a, b = Value(2.0), Value(5.0)
    outs = [a + b, a - b, a * b, a / b, a**2, -a, a.exp(), a.log(), a.tanh(), a.relu(),
            a.sigmoid(), 1 + a, 1 - a, 2 * a, 2 / a]
    for out in outs:
        assert isinstance(out, Value), f"an operation returned a {type(out).__name__}, not a Value."
        assert out is not a and out is not b, "an operation returned one of its operands "
    assert (a.data, b.data) == (2.0, 5.0), (
        f"after computing with a=2 and b=5 their data became {a.data}, {b.data}; operations must "
        "build new Values and leave their operands unchanged.")


def test_relu_at_zero_has_value_zero_and_gradient_zero():
    x = Value(0.0)
    y = x.relu()
    y.backward()
    tx = _leaf(0.0)
    torch.relu(tx).backward()
    assert_close([y.data, x.grad], [0.0, tx.grad.item()], atol=0, rtol=0,
                 what="[relu(0).data, grad] for x = 0", oracle="torch.relu (gradient 0 at 0)",
                 hint="the gradient is 1 only where x > 0 (strictly)")


def test_tanh_and_sigmoid_are_finite_for_large_inputs():
    for x, t_exp, s_exp in [(1000.0, 1.0, 1.0), (-1000.0, -1.0, 0.0)]:
        a, b = Value(x), Value(x)
        try:
            t, s = a.tanh(), b.sigmoid()
            t.backward()
            s.backward()
        except OverflowError as err:
            pytest.fail(f"tanh or sigmoid of Value({x}) raised OverflowError ({err}). Hint: "
                        "math.exp(1000.0) overflows; use math.tanh, and for sigmoid at x < 0 "
                        "the form e**x / (1 + e**x).")
        assert_close([t.data, s.data, a.grad, b.grad], [t_exp, s_exp, 0.0, 0.0], atol=1e-12,
                     rtol=0, what=f"[tanh, sigmoid, their gradients] at x={x}",
                     oracle="the limits of tanh and sigmoid",
                     hint="never compute exp of a large positive number: math.exp(1000.0) raises "
                          "OverflowError; use math.tanh, and e**x / (1 + e**x) for negative x")


def test_log_of_a_non_positive_value_raises_value_error():
    for x in (0.0, -2.0):
        with pytest.raises(ValueError):
            Value(x).log()


def test_power_with_a_value_exponent_raises_type_error():
    with pytest.raises(TypeError):
        Value(2.0) ** Value(3.0)


# --- random expression graphs -------------------------------------------------------------


def _random_graph(seed, n_leaves=4, n_ops=30):
    """Build the same random expression in micrograd and in torch, with shared sub-expressions.

    Operands are drawn from every node built so far, so nodes are reused (diamonds). The domain
    guards look at torch's values, so the graph does not depend on the code under test.
    Returns (leaves, nodes, out) with pairs (Value, tensor).
    """
    r = random.Random(seed)
    leaves = []
    for _ in range(n_leaves):
        x = r.uniform(-2.0, 2.0)
        leaves.append((Value(x), _leaf(x)))
    nodes = list(leaves)
    while len(nodes) < n_leaves + n_ops:
        (a, ta), (b, tb) = r.choice(nodes), r.choice(nodes)
        av, bv = ta.item(), tb.item()
        op = r.choice(["+", "-", "*", "/", "pow", "exp", "log", "tanh", "relu", "sigmoid",
                       "neg", "c+", "c-", "c*", "c/"])
        c = r.choice([-1.5, 0.5, 2.0, 3.0])
        if op == "+":
            pair = (a + b, ta + tb)
        elif op == "-":
            pair = (a - b, ta - tb)
        elif op == "*":
            pair = (a * b, ta * tb)
        elif op == "/" and abs(bv) > 0.5:
            pair = (a / b, ta / tb)
        elif op == "pow":
            p = r.choice([2, 3, -1, 0.5, 1.5])
            if (p < 0 and abs(av) < 0.5) or (isinstance(p, float) and av < 0.1):
                continue
            pair = (a**p, ta**p)
        elif op == "exp" and av < 2.0:
            pair = (a.exp(), torch.exp(ta))
        elif op == "log" and av > 0.1:
            pair = (a.log(), torch.log(ta))
        elif op == "tanh":
            pair = (a.tanh(), torch.tanh(ta))
        elif op == "relu":
            pair = (a.relu(), torch.relu(ta))
        elif op == "sigmoid":
            pair = (a.sigmoid(), torch.sigmoid(ta))
        elif op == "neg":
            pair = (-a, -ta)
        elif op == "c+":
            pair = (c + a, c + ta)
        elif op == "c-":
            pair = (c - a, c - ta)
        elif op == "c*":
            pair = (c * a, c * ta)
        elif op == "c/" and abs(av) > 0.5:
            pair = (c / a, c / ta)
        else:
            continue
        if abs(pair[1].item()) > 1e3:
            continue
        pair[1].retain_grad()
        nodes.append(pair)
    # The output sums the last node and a few others, so most nodes reach it by several paths.
    out, tout = nodes[-1]
    for _ in range(3):
        v, t = r.choice(nodes[n_leaves:])
        out, tout = out + v, tout + t
    return leaves, nodes, (out, tout)


@pytest.mark.parametrize("seed", range(8))
def test_random_expression_graph_matches_torch(seed):
    leaves, nodes, (out, tout) = _random_graph(seed)
    out.backward()
    tout.backward()
    assert_close(out.data, tout.item(), **TOL, what=f"the output of random graph {seed}",
                 oracle="the same expression in torch float64",
                 hint="one of the operations computes the wrong value")
    assert_close([v.grad for v, _ in leaves], [_grad(t) for _, t in leaves], **TOL,
                 what=f"the leaves' grads after backward() on random graph {seed} (with shared "
                      "sub-expressions)",
                 oracle="torch.autograd in float64",
                 hint="process nodes in reverse topological order (a node only after every node "
                      "that uses it) and accumulate with +=")
    inner = nodes[len(leaves):]
    assert_close([v.grad for v, _ in inner], [_grad(t) for _, t in inner], **TOL,
                 what=f"the intermediate nodes' grads on random graph {seed}",
                 oracle="torch.autograd with retain_grad() in float64",
                 hint="after backward, every node's grad is d(output)/d(node)")


def test_chain_of_diamonds_visits_each_node_once():
    """Backward through a chain of diamonds visits each node once."""
    # y_{k+1} = tanh(0.9 y_k) + 0.1 y_k uses y_k twice: 16 levels make 2**16 paths from the
    # output to x. Backward in topological order writes x.grad once per direct use of x (2);
    # pushing gradients along every path separately would write it 65,536 times.
    class CountingLeaf(Value):
        def __setattr__(self, name, value):
            if name == "grad":
                object.__setattr__(self, "grad_writes", getattr(self, "grad_writes", 0) + 1)
            object.__setattr__(self, name, value)

    x = CountingLeaf(0.8)
    tx = _leaf(0.8)
    y, ty = x, tx
    for _ in range(16):
        y, ty = (y * 0.9).tanh() + y * 0.1, torch.tanh(ty * 0.9) + ty * 0.1
    object.__setattr__(x, "grad_writes", 0)
    y.backward()
    ty.backward()
    assert_close(x.grad, tx.grad.item(), **TOL, what="x.grad through 16 chained diamonds",
                 oracle="torch.autograd in float64",
                 hint="visit nodes in reverse topological order; accumulate with +=")
    writes = x.grad_writes
    assert writes <= 8, (
        f"backward() assigned x.grad {writes} times for an x with 2 direct uses, in a graph with "
        "2**16 paths. Each node should be visited once: sort the graph topologically and call each "
        "node's local backward once, instead of recursing along every path.")


def test_backward_twice_doubles_leaf_grads_and_recomputes_interior_grads():
    x, w = Value(0.7), Value(-1.3)
    h = (x * w).tanh()
    out = h * h + x
    out.backward()
    first = (x.grad, w.grad, h.grad)
    out.backward()
    tx, tw = _leaf(0.7), _leaf(-1.3)
    th = torch.tanh(tx * tw)
    th.retain_grad()
    tout = th * th + tx
    tout.backward()
    expected = (tx.grad.item(), tw.grad.item(), th.grad.item())
    assert_close(list(first), list(expected), **TOL,
                 what="[x.grad, w.grad, h.grad] after one backward() of tanh(x w)**2 + x",
                 oracle="torch.autograd in float64")
    assert_close([x.grad, w.grad, h.grad], [2 * expected[0], 2 * expected[1], expected[2]], **TOL,
                 what="[x.grad, w.grad, h.grad] after calling backward() twice (no zeroing)",
                 oracle="the documented semantics: leaves accumulate (twice torch's grad), "
                        "the non-leaf h holds d out/d h",
                 hint="at the start of backward, reset the grad of every non-leaf node of the "
                      "graph to 0 (leaves keep theirs), then set the output's to 1")


def test_backward_of_two_outputs_sums_into_shared_leaves():
    a, b = Value(1.2), Value(-0.5)
    shared = a * b + a.exp()
    y1 = shared.tanh() * a
    y2 = shared * shared - b
    y1.backward()
    y2.backward()
    ta, tb = _leaf(1.2), _leaf(-0.5)
    tshared = ta * tb + torch.exp(ta)
    tshared.retain_grad()
    ty1 = torch.tanh(tshared) * ta
    ty2 = tshared * tshared - tb
    ty1.backward(retain_graph=True)
    tshared.grad = None
    ty2.backward()
    assert_close([a.grad, b.grad], [ta.grad.item(), tb.grad.item()], **TOL,
                 what="[a.grad, b.grad] after y1.backward() then y2.backward() (shared subgraph)",
                 oracle="torch: the sum of both outputs' gradients",
                 hint="a second backward must not reuse the interior grads left by the first: "
                      "reset the non-leaf grads of the graph to 0 before propagating")
    assert_close(shared.grad, tshared.grad.item(), **TOL,
                 what="the shared interior node's grad after y2.backward()",
                 oracle="torch: d y2 / d shared", hint="non-leaf grads are recomputed by each call")


def test_backward_of_a_leaf_adds_one():
    x = Value(3.0)
    x.backward()
    x.backward()
    assert_close(x.grad, 2.0, what="x.grad after x.backward() twice on a leaf x",
                 oracle="the documented semantics (leaves accumulate; d x / d x = 1)",
                 hint="add 1.0 to the output's grad; a leaf's grad is never reset by backward")


# --- Neuron, Layer, MLP -------------------------------------------------------------------


def _expected_init(seed, sizes):
    """The documented initial parameters: per layer, per neuron, nin draws of uniform(-1, 1),
    then a bias of 0.0."""
    r = random.Random(seed)
    params = []
    for nin, nout in zip(sizes[:-1], sizes[1:], strict=True):
        for _ in range(nout):
            params += [r.uniform(-1.0, 1.0) for _ in range(nin)] + [0.0]
    return params


def _oracle_forward(params, sizes, x):
    """A pure-Python MLP forward pass from the documented parameter order (tanh, last linear)."""
    h, k = list(x), 0
    for layer, (nin, nout) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        last = layer == len(sizes) - 2
        out = []
        for _ in range(nout):
            w, b = params[k:k + nin], params[k + nin]
            k += nin + 1
            act = sum(wi * xi for wi, xi in zip(w, h, strict=True)) + b
            out.append(act if last else math.tanh(act))
        h = out
    return h


def test_neuron_initialisation_follows_the_documented_draws():
    for seed in (0, 7):
        n = Neuron(5, rng=random.Random(seed))
        assert_close([p.data for p in n.parameters()], _expected_init(seed, [5, 1]), atol=0, rtol=0,
                     what=f"Neuron(5, rng=random.Random({seed})).parameters() data",
                     oracle="5 draws of random.Random(seed).uniform(-1.0, 1.0), then a bias of 0.0",
                     hint="draw the weights in order with rng.uniform(-1.0, 1.0); the bias starts "
                          "at 0")
    default = [p.data for p in Neuron(3).parameters()]
    assert_close(default, _expected_init(0, [3, 1]), atol=0, rtol=0,
                 what="Neuron(3) (rng=None) parameters", oracle="a fresh random.Random(0)",
                 hint="rng=None means random.Random(0)")


def test_neuron_computes_tanh_of_weighted_sum_plus_bias():
    n = Neuron(3, rng=random.Random(1))
    params = n.parameters()
    for p, v in zip(params, [0.5, -1.2, 0.3, 0.7], strict=True):
        p.data = v
    x = [1.5, 0.4, -2.0]
    expected = math.tanh(0.5 * 1.5 - 1.2 * 0.4 + 0.3 * -2.0 + 0.7)
    assert_close(n(x).data, expected, **TOL,
                 what="Neuron(3) with w = [0.5, -1.2, 0.3], b = 0.7 on x = [1.5, 0.4, -2.0]",
                 oracle="tanh(w . x + b)", hint="parameters() is [w_0, ..., w_{nin-1}, b]; "
                                                "the activation is tanh")
    lin = Neuron(3, nonlin=False, rng=random.Random(1))
    for p, v in zip(lin.parameters(), [0.5, -1.2, 0.3, 0.7], strict=True):
        p.data = v
    assert_close(lin(x).data, 0.5 * 1.5 - 1.2 * 0.4 + 0.3 * -2.0 + 0.7, **TOL,
                 what="Neuron(3, nonlin=False) with the same weights", oracle="w . x + b",
                 hint="nonlin=False means no activation")


def test_neuron_gradients_match_torch():
    n = Neuron(4, rng=random.Random(2))
    xs = [Value(v) for v in (0.3, -1.1, 0.8, 2.0)]
    out = n(xs)
    out.backward()
    params = n.parameters()
    tw = torch.tensor([p.data for p in params[:-1]], dtype=torch.float64, requires_grad=True)
    tb = _leaf(params[-1].data)
    tx = torch.tensor([0.3, -1.1, 0.8, 2.0], dtype=torch.float64, requires_grad=True)
    torch.tanh(tw @ tx + tb).backward()
    assert_close([p.grad for p in params], [*tw.grad.tolist(), tb.grad.item()], **TOL,
                 what="the gradients of Neuron(4)'s parameters", oracle="torch.autograd in float64")
    assert_close([v.grad for v in xs], tx.grad.tolist(), **TOL,
                 what="the gradients of Neuron(4)'s inputs", oracle="torch.autograd in float64")


def test_neuron_rejects_the_wrong_number_of_inputs():
    n = Neuron(3, rng=random.Random(0))
    with pytest.raises(ValueError):
        n([1.0, 2.0])


def test_layer_outputs_a_list_of_nout_values_from_neurons_in_order():
    layer = Layer(3, 2, rng=random.Random(4))
    params = layer.parameters()
    assert len(params) == 8, f"Layer(3, 2) has {len(params)} parameters; expected 2 * (3 + 1) = 8."
    assert_close([p.data for p in params], _expected_init(4, [3, 2]), atol=0, rtol=0,
                 what="Layer(3, 2, rng=random.Random(4)).parameters() data",
                 oracle="neuron 0's 3 draws and bias, then neuron 1's, from one random.Random(4)",
                 hint="create the neurons in order, all drawing from the same rng")
    x = [0.2, -0.9, 1.4]
    out = layer(x)
    assert isinstance(out, list) and len(out) == 2, f"Layer(3, 2)(x) returned {out!r}, not a list "\
                                                    "of 2 Values."
    expected = [math.tanh(a) for a in _oracle_forward([p.data for p in params], [3, 2], x)]
    assert_close([o.data for o in out], expected, **TOL, what="Layer(3, 2)(x)",
                 oracle="tanh(W x + b) per neuron, in order")
    single = Layer(2, 1, nonlin=False, rng=random.Random(0))([1.0, 2.0])
    assert isinstance(single, list) and len(single) == 1, (
        f"Layer(2, 1)(x) returned {single!r}; it should be a list of one Value.")


@pytest.mark.parametrize("nin,nouts", [(3, [4, 4, 1]), (2, [8, 1]), (5, [3, 2])])
def test_mlp_parameter_count_and_initialisation(nin, nouts):
    """The MLP has the right number of parameters and the documented initial values."""
    model = MLP(nin, nouts, rng=random.Random(11))
    sizes = [nin, *nouts]
    count = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    params = model.parameters()
    assert len(params) == count, (f"MLP({nin}, {nouts}) has {len(params)} parameters; expected "
                                  f"{count} (one weight per input plus a bias, per neuron).")
    assert len({id(p) for p in params}) == count, "parameters() lists the same Value twice."
    assert_close([p.data for p in params], _expected_init(11, sizes), atol=0, rtol=0,
                 what=f"MLP({nin}, {nouts}, rng=random.Random(11)).parameters() data",
                 oracle="layer by layer, neuron by neuron: nin draws of uniform(-1, 1), bias 0",
                 hint="pass the one rng on to every layer, in order")


def test_mlp_default_rng_is_random_0():
    """Without an rng, the MLP initialises from one shared random.Random(0)."""
    assert_close([p.data for p in MLP(2, [3, 1]).parameters()], _expected_init(0, [2, 3, 1]),
                 atol=0, rtol=0, what="MLP(2, [3, 1]) (rng=None) parameters",
                 oracle="one fresh random.Random(0) shared by all layers",
                 hint="with rng=None, make one random.Random(0) and share it")


def test_mlp_forward_has_tanh_hidden_layers_and_a_linear_output():
    model = MLP(3, [4, 4, 2], rng=random.Random(5))
    for k, p in enumerate(model.parameters()):
        p.data *= 2.5 + 0.01 * k  # large weights, so that a tanh output layer would show
    x = [0.9, -1.7, 0.4]
    out = model(x)
    expected = _oracle_forward([p.data for p in model.parameters()], [3, 4, 4, 2], x)
    assert isinstance(out, list) and len(out) == 2, f"MLP(3, [4, 4, 2])(x) returned {out!r}."
    assert_close([o.data for o in out], expected, **TOL,
                 what="MLP(3, [4, 4, 2])(x) with its own parameters",
                 oracle="a pure-Python forward pass: tanh hidden layers, linear last layer",
                 hint="every layer but the last uses tanh; the last is linear (nonlin=False)")


def test_mlp_gradients_match_torch():
    sizes = [3, 4, 4, 1]
    model = MLP(3, sizes[1:], rng=random.Random(6))
    x = [0.5, -1.0, 2.0]
    out = model(x)[0]
    loss = (out - 0.3) ** 2
    loss.backward()
    flat = [p.data for p in model.parameters()]
    tensors, h, k = [], torch.tensor(x, dtype=torch.float64), 0
    for layer, (nin, nout) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        size = nout * (nin + 1)
        block = torch.tensor(flat[k:k + size], dtype=torch.float64).reshape(nout, nin + 1)
        k += size
        W = block[:, :nin].clone().requires_grad_(True)
        b = block[:, nin].clone().requires_grad_(True)
        tensors.append((W, b))
        h = W @ h + b
        if layer < len(sizes) - 2:
            h = torch.tanh(h)
    ((h[0] - 0.3) ** 2).backward()
    expected = [g for W, b in tensors for g in torch.cat([W.grad, b.grad[:, None]], 1).reshape(-1)]
    assert_close([p.grad for p in model.parameters()], [g.item() for g in expected], **TOL,
                 what="the parameter gradients of (MLP(3, [4, 4, 1])(x)[0] - 0.3)**2",
                 oracle="the same network in torch float64")


def test_mlp_zero_grad_sets_every_parameter_grad_to_zero():
    model = MLP(2, [3, 1], rng=random.Random(0))
    (model([1.0, -1.0])[0] * 2).backward()
    assert any(p.grad != 0.0 for p in model.parameters()), "backward left every grad at 0."
    model.zero_grad()
    grads = [p.grad for p in model.parameters()]
    assert all(g == 0.0 for g in grads), f"after zero_grad() the grads are {grads}, not all 0.0."


# --- training on XOR ----------------------------------------------------------------------


def _mse(params, hidden):
    preds = [_oracle_forward(params, [2, hidden, 1], x)[0] for x in XOR_INPUTS]
    return sum((p - y) ** 2 for p, y in zip(preds, XOR_TARGETS, strict=True)) / 4


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_train_xor_classifies_all_four_points(seed):
    # With the documented initialisation the run is deterministic; the defaults (8 hidden
    # units, 150 steps, lr 0.15) solved XOR for every seed from 0 to 999 with the reference.
    model, losses = train_xor(seed=seed)
    preds = [model(x)[0].data for x in XOR_INPUTS]
    correct = sum((p > 0) == (y > 0) for p, y in zip(preds, XOR_TARGETS, strict=True))
    assert correct == 4, (
        f"after train_xor(seed={seed}) the model classifies {correct}/4 XOR points correctly "
        f"(outputs {[round(p, 3) for p in preds]}, targets {XOR_TARGETS}); the loss went from "
        f"{losses[0]:.3g} to {losses[-1]:.3g}. Hint: zero the grads each step and move every "
        "parameter against its gradient (p.data -= lr * p.grad).")


def test_train_xor_records_one_loss_per_step_starting_from_the_initial_loss():
    model, losses = train_xor(hidden=3, steps=7, lr=0.1, seed=4)
    assert len(losses) == 7, f"train_xor(steps=7) returned {len(losses)} losses, expected 7."
    assert all(isinstance(v, float) for v in losses), "losses should be Python floats."
    assert len(model.parameters()) == 3 * 3 + 4, (
        f"train_xor(hidden=3) returned a model with {len(model.parameters())} parameters; "
        "MLP(2, [3, 1]) has 3 * (2 + 1) + (3 + 1) = 13.")
    initial = _mse(_expected_init(4, [2, 3, 1]), 3)
    assert_close(losses[0], initial, **TOL,
                 what="losses[0] of train_xor(hidden=3, seed=4)",
                 oracle="the mean squared error of MLP(2, [3, 1], rng=random.Random(4)) on XOR, "
                        "computed in pure Python",
                 hint="build the model with rng=random.Random(seed); the loss is the mean "
                      "(not the sum) of the four squared errors, recorded before the update")


@pytest.mark.parametrize("steps", [1, 3])
def test_train_xor_takes_gradient_descent_steps(steps):
    # Replay the documented training loop in torch from the same initial parameters.
    hidden, lr, seed = 4, 0.3, 9
    flat = _expected_init(seed, [2, hidden, 1])
    theta = torch.tensor(flat, dtype=torch.float64)
    X = torch.tensor(XOR_INPUTS, dtype=torch.float64)
    Y = torch.tensor(XOR_TARGETS, dtype=torch.float64)
    expected_losses = []
    for _ in range(steps):
        t = theta.clone().requires_grad_(True)
        hid = t[: hidden * 3].reshape(hidden, 3)
        W1, b1 = hid[:, :2], hid[:, 2]
        W2, b2 = t[hidden * 3: hidden * 3 + hidden], t[-1]
        pred = torch.tanh(X @ W1.T + b1) @ W2 + b2
        loss = ((pred - Y) ** 2).mean()
        loss.backward()
        expected_losses.append(loss.item())
        theta = theta - lr * t.grad
    model, losses = train_xor(hidden=hidden, steps=steps, lr=lr, seed=seed)
    assert_close(losses, expected_losses, **TOL,
                 what=f"the losses of train_xor(hidden=4, steps={steps}, lr=0.3, seed=9)",
                 oracle="the same gradient descent in torch float64",
                 hint="each step: zero the grads, mean squared error, backward, "
                      "p.data -= lr * grad")
    assert_close([p.data for p in model.parameters()], theta.tolist(), **TOL,
                 what=f"the parameters after train_xor(hidden=4, steps={steps}, lr=0.3, seed=9)",
                 oracle="the same gradient descent in torch float64",
                 hint="zero the grads before every backward, or they pile up across steps")


def test_train_xor_with_zero_learning_rate_keeps_the_loss():
    _, losses = train_xor(hidden=3, steps=4, lr=0.0, seed=1)
    assert_close(losses, [losses[0]] * 4, **TOL,
                 what="the losses of train_xor(lr=0.0, steps=4)", oracle="a constant loss",
                 hint="the update is p.data -= lr * p.grad")
