"""Public smoke tests for phase0.micrograd (the hidden suite checks much more)."""

import math

from phase0.micrograd import MLP, Value
from shared import assert_close


def test_backward_through_a_small_expression():
    """Backward through a small expression gives the right gradients."""
    a, b = Value(2.0), Value(-3.0)
    c = a * b + a
    c.backward()
    assert_close(c.data, -4.0, what="(a * b + a).data for a=2, b=-3", oracle="arithmetic")
    assert_close([a.grad, b.grad], [-2.0, 2.0],
                 what="[a.grad, b.grad] after (a * b + a).backward(), a=2, b=-3",
                 oracle="the hand derivatives dc/da = b + 1, dc/db = a",
                 hint="a is used twice: its two contributions must be added (+=), not overwritten")


def test_value_used_twice_accumulates_its_gradient():
    x = Value(3.0)
    y = x * x
    y.backward()
    assert_close(x.grad, 6.0, what="x.grad after (x * x).backward() at x=3",
                 oracle="d(x^2)/dx = 2x",
                 hint="in x * x both operands are x: add each contribution with += ")


def test_numbers_on_the_left_work():
    """Plain numbers work on the left of an operator."""
    v = Value(4.0)
    out = 2 + v * 3 - 1 / v
    out.backward()
    assert_close(out.data, 2 + 12 - 0.25, what="(2 + v * 3 - 1 / v).data at v=4",
                 oracle="arithmetic", hint="implement __radd__, __rmul__, __rtruediv__")
    assert_close(v.grad, 3 + 1 / 16, what="v.grad for 2 + v * 3 - 1 / v at v=4",
                 oracle="the hand derivative 3 + 1/v^2")


def test_mlp_3_4_4_1_has_41_parameters():
    """An MLP with layer sizes 3, 4, 4, 1 has the right number of parameters."""
    model = MLP(3, [4, 4, 1])
    n = len(model.parameters())
    assert n == 41, (f"MLP(3, [4, 4, 1]) has {n} parameters; expected 4*(3+1) + 4*(4+1) + "
                     "1*(4+1) = 41 (each neuron has one weight per input and one bias).")
    out = model([1.0, -2.0, 0.5])
    assert isinstance(out, list) and len(out) == 1 and math.isfinite(out[0].data), (
        f"MLP(3, [4, 4, 1])(x) should return a list of one Value, got {out!r}.")
