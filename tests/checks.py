"""Assertions shared by the loss tests: a lossjit loss against its NumPy reference; the list of public kernels."""

import importlib
import pkgutil

import numba
import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

import lossjit._kernels
import reference
from lossjit._kernels.pointwise import PointwiseKernel
from lossjit._kernels.typed import PerDtype

REDUCTIONS = ("mean", "sum", "none")

#: Element maths in float32 is good to a few ulps; float64 only differs by summation order.
TOLERANCE = {
    np.dtype(np.float32): {"rtol": 2e-5, "atol": 1e-6},
    np.dtype(np.float64): {"rtol": 1e-10, "atol": 1e-12},
}


def tolerance(dtype, scale=1.0):
    """rtol and atol for ``dtype``, atol scaled to the size of the values compared."""
    tol = TOLERANCE[np.dtype(dtype)]
    return {"rtol": tol["rtol"], "atol": tol["atol"] * scale}


def check_output(result, dtype, shape):
    """An array (or numpy scalar) of ``shape`` and ``dtype``."""
    assert result.dtype == dtype
    assert np.shape(result) == shape


def check_pointwise(loss, y_true, y_pred, *, dtype, sample_weight=None, **options):
    """Value, grad, value_and_grad and hessian of ``loss`` against ``reference.pointwise``, every reduction."""
    dtype = np.dtype(dtype)
    scale = max(1.0, float(np.nanmax(np.abs(np.asarray(y_pred, dtype=np.float64)))))
    for reduction in REDUCTIONS:
        kwargs = {"sample_weight": sample_weight, "reduction": reduction, **options}
        expected_loss, expected_grad, expected_hess = reference.pointwise(
            loss.name, y_true, y_pred, sample_weight=sample_weight, reduction=reduction, dtype=dtype, **options)
        value, grad = loss.value_and_grad(y_true, y_pred, **kwargs)
        check_output(value, dtype, () if reduction != "none" else np.shape(y_pred))
        assert isinstance(value, np.generic) == (reduction != "none")
        check_output(grad, dtype, np.shape(y_pred))
        total = np.sum(np.abs(expected_loss)) if reduction == "sum" else np.max(np.abs(expected_loss))
        assert_allclose(value, expected_loss, **tolerance(dtype, max(scale, float(total))))
        assert_allclose(grad, expected_grad, **tolerance(dtype, scale))
        assert_same(loss(y_true, y_pred, **kwargs), value, dtype)
        assert_array_equal(loss.grad(y_true, y_pred, **kwargs), grad)
        hessian = loss.hessian(y_true, y_pred, **kwargs)
        check_output(hessian, dtype, np.shape(y_pred))
        assert_allclose(hessian, expected_hess, **tolerance(dtype, float(np.max(np.abs(expected_hess)))))


def check_against(loss, reference_loss, y_true, y_pred, *, dtype, sample_weight=None, **options):
    """Value, grad and value_and_grad of a row loss against ``reference_loss`` (returning
    ``(loss, grad)``), every reduction."""
    dtype = np.dtype(dtype)
    for reduction in REDUCTIONS:
        kwargs = {"sample_weight": sample_weight, "reduction": reduction, **options}
        expected_loss, expected_grad = reference_loss(y_true, y_pred, dtype=dtype, **kwargs)
        value, grad = loss.value_and_grad(y_true, y_pred, **kwargs)
        check_output(value, dtype, np.shape(expected_loss))
        assert isinstance(value, np.generic) == (reduction != "none")
        check_output(grad, dtype, np.shape(y_pred))
        assert_allclose(value, expected_loss, **tolerance(dtype, max(1.0, np.max(np.abs(expected_loss)))))
        assert_allclose(grad, expected_grad, **tolerance(dtype, max(1.0, np.max(np.abs(expected_grad)))))
        assert_same(loss(y_true, y_pred, **kwargs), value, dtype)
        assert_array_equal(loss.grad(y_true, y_pred, **kwargs), grad)


def assert_same(separate, fused, dtype):
    """A loss from its own call equals the one from value_and_grad (to the last few ulps)."""
    assert_allclose(separate, fused, rtol=8 * np.finfo(dtype).eps, atol=0)


def hessian_by_differences(loss, y_true, y_pred, h=1e-6, **options):
    """Diagonal hessian of the summed loss: central differences of its gradient."""
    y_pred = np.asarray(y_pred, dtype=np.float64)
    forward = loss.grad(y_true, y_pred + h, reduction="sum", **options)
    backward = loss.grad(y_true, y_pred - h, reduction="sum", **options)
    return (forward - backward) / (2 * h)


def at_threads(n_threads, compute):
    """compute() with Numba at ``n_threads`` threads, the default restored afterwards."""
    default = numba.get_num_threads()
    numba.set_num_threads(n_threads)
    try:
        return compute()
    finally:
        numba.set_num_threads(default)


def public_kernels():
    """{name: kernel} of every loss kernel lossjit holds: a :class:`PerDtype` (a :class:`PointwiseKernel`
    too) of a function of ``lossjit._kernels`` (the row kernels, the built-in element functions), in
    whichever lossjit module keeps it. The compiled input checks of ``lossjit._validation`` are not
    loss kernels."""
    kernels = {}
    for info in pkgutil.walk_packages(lossjit.__path__, "lossjit."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if is_loss_kernel(value):
                kernels.setdefault(id(value), (f"{info.name.rsplit('.', 1)[-1]}.{name}", value))
    return dict(kernels.values())


def is_loss_kernel(value):
    return isinstance(value, PerDtype) and value.function.__module__.startswith("lossjit._kernels.")


def refuse_loss_kernels(monkeypatch, refuse):
    """Until the test ends, looking up any loss kernel (``kernel[dtype]``, which precedes every run; a user's
    pointwise loss too) calls ``refuse`` instead; the compiled input checks still run."""
    lookup = PerDtype.__getitem__

    def guarded(kernel, dtype):
        if is_loss_kernel(kernel) or isinstance(kernel, PointwiseKernel):
            refuse()
        return lookup(kernel, dtype)

    monkeypatch.setattr(PerDtype, "__getitem__", guarded)
