"""``out=`` of ``grad`` and ``value_and_grad``: the gradient written into a caller's buffer.

Every registered loss (the inputs of test_registry's formula checks), every reduction, float32
and float64: the buffer is returned, holds exactly what a new array would, and bad buffers fail
by name before any kernel runs.
"""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import lossjit as lj
from test_registry import CASES

REDUCTIONS = ["mean", "sum", "none"]


def float_inputs(y_true, y_pred, dtype):
    """y_pred in ``dtype``; float targets too (so the compute dtype is ``dtype``), labels as they are."""
    y_true = np.asarray(y_true)
    if y_true.dtype.kind == "f":
        y_true = y_true.astype(dtype)
    return y_true, np.asarray(y_pred, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, make", CASES)
def test_out_receives_the_gradient(name, make, reduction, dtype):
    *arrays, options, _, _ = make()
    loss = lj.losses[name]
    if isinstance(loss, lj.MultiInputLoss):  # a tuple of buffers, one per differentiable input
        arrays = [np.asarray(array, dtype) if np.asarray(array).dtype.kind == "f" else array for array in arrays]
        expected_value, expected_grads = loss.value_and_grad(*arrays, reduction=reduction, **options)
        out = tuple(np.full(grad.shape, np.nan, dtype) for grad in expected_grads)
        value, grads = loss.value_and_grad(*arrays, reduction=reduction, out=out, **options)
        assert all(grad is buffer for grad, buffer in zip(grads, out))
        for buffer, expected in zip(out, expected_grads):
            assert_array_equal(buffer, expected)
        assert_array_equal(value, expected_value)
        return
    y_true, y_pred = float_inputs(*arrays, dtype)
    expected_value, expected_grad = loss.value_and_grad(y_true, y_pred, reduction=reduction, **options)
    out = np.full(y_pred.shape, np.nan, dtype)
    value, grad = loss.value_and_grad(y_true, y_pred, reduction=reduction, out=out, **options)
    assert grad is out
    assert_array_equal(out, expected_grad)
    assert_array_equal(value, expected_value)
    out[...] = np.nan
    assert loss.grad(y_true, y_pred, reduction=reduction, out=out, **options) is out
    assert_array_equal(out, expected_grad)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_out_with_classes_on_any_axis(axis, rng):
    logits = rng.normal(size=(3, 4, 5))
    n_classes = logits.shape[axis]
    labels = rng.integers(0, n_classes, np.delete(logits.shape, axis % 3))
    expected = lj.cross_entropy.grad(labels, logits, from_logits=True, axis=axis)
    out = np.empty_like(logits)
    assert lj.cross_entropy.grad(labels, logits, from_logits=True, axis=axis, out=out) is out
    assert_array_equal(out, expected)


def test_out_is_reused_across_calls(rng):
    """The use it is for: one buffer for every step of a training loop."""
    y_true = rng.normal(size=1000)
    out = np.empty(1000)
    for step in range(3):
        y_pred = rng.normal(size=1000)
        value, grad = lj.huber.value_and_grad(y_true, y_pred, out=out)
        assert grad is out
        assert_array_equal(out, lj.huber.grad(y_true, y_pred))


def test_bad_out_fails_by_name(rng):
    y_true, y_pred = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    bad = [
        ([[0.0] * 3] * 4, TypeError, "out must be a numpy.ndarray"),
        (np.empty((3, 4)), ValueError, r"out must have y_pred's shape \(4, 3\)"),
        (np.empty(12), ValueError, "shape"),
        (np.empty((4, 3), np.float32), TypeError, "out must have the compute dtype float64"),
        (np.empty((4, 3), np.int64), TypeError, "dtype"),
        (np.empty((3, 4)).T, ValueError, "C-contiguous"),
        (np.empty((4, 6))[:, ::2], ValueError, "C-contiguous"),
        (np.broadcast_to(np.empty(3), (4, 3)), ValueError, "C-contiguous|writeable"),
        (y_pred, ValueError, "must not share memory with y_pred"),
        (y_true, ValueError, "must not share memory with y_true"),
    ]
    read_only = np.empty((4, 3))
    read_only.flags.writeable = False
    bad.append((read_only, ValueError, "writeable"))
    for out, error, message in bad:
        for method in (lj.mse.grad, lj.mse.value_and_grad):
            with pytest.raises(error, match=message):
                method(y_true, y_pred, out=out)
    weights = np.ones((4, 3))
    with pytest.raises(ValueError, match="sample_weight"):
        lj.mse.grad(y_true, y_pred, sample_weight=weights, out=weights)
    labels = np.array([0, 1, 2, 1])
    with pytest.raises(ValueError, match="shape"):
        lj.cross_entropy.grad(labels, y_pred, from_logits=True, out=np.empty(4))


def test_float32_inputs_need_a_float32_out(rng):
    y_true, y_pred = rng.normal(size=8).astype(np.float32), rng.normal(size=8).astype(np.float32)
    with pytest.raises(TypeError, match="float32"):
        lj.mae.grad(y_true, y_pred, out=np.empty(8))
    out = np.empty(8, np.float32)
    assert lj.mae.grad(y_true, y_pred, out=out) is out
