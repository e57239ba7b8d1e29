"""Pointwise losses from element functions: ``pointwise_loss`` and the job that runs their kernels."""

import functools
import inspect
import math

import numpy as np

from . import _validation as v
from ._config import MAX_PARAMETERS
from ._kernels.pointwise import HESSIAN, LOSSES, SUM, SUM_AND_GRAD, PointwiseKernel
from ._loss import PointwiseLoss
from ._threads import after_kernel

#: ``properties`` of a user's loss, for what its author does not say.
_PROPERTIES = {"task": "custom", "convex": None, "robust_to_outliers": None, "input": "values"}


def element_kernel(function, name=None, *, has_hessian=None, buffered=False):
    """The :class:`PointwiseKernel` of an element function ``function(y, p, a=..., ...)``.

    Its parameters come from its signature. Unless ``has_hessian`` is given (the built-ins, whose
    helpers would compile at import), the function is called once in Python with sample numbers, so
    that a wrong function fails here, by name: it returns ``(loss, dloss_dp)`` or ``(loss, dloss_dp,
    d2loss_dp2)``. ``buffered`` is :class:`PointwiseKernel`'s (the built-ins with logs and
    exponentials set it).
    """
    name = name or function.__name__
    options = element_options(function, name)
    if has_hessian is None:
        try:
            result = function(np.float64(0.25), np.float64(0.5), *(np.float64(value) for value in options.values()))
        except Exception as error:
            raise TypeError(f"pointwise loss {name}: calling {name}(0.25, 0.5, ...) in Python failed") from error
        if not isinstance(result, tuple) or len(result) not in (2, 3):
            raise TypeError(f"pointwise loss {name} must return (loss, dloss_dp) or (loss, dloss_dp, d2loss_dp2), "
                            f"got {result!r}")
        has_hessian = len(result) == 3
    return PointwiseKernel(function, name, options, has_hessian, buffered)


def element_options(function, name):
    """{parameter: default} of ``function(y, p, a=..., ...)``, or a TypeError naming the loss."""
    parameters = list(inspect.signature(function).parameters.values())
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    shape = (f"pointwise loss {name} must be a function of the target and the prediction of one element, "
             f"then its parameters with defaults, such as def {name}(y, p, c=1.0)")
    if len(parameters) < 2 or any(p.kind not in positional or p.default is not p.empty for p in parameters[:2]):
        raise TypeError(f"{shape}; got {name}{inspect.signature(function)}")
    if len(parameters) - 2 > MAX_PARAMETERS:
        raise TypeError(f"pointwise loss {name} has {len(parameters) - 2} parameters; at most {MAX_PARAMETERS}")
    options = {}
    for parameter in parameters[2:]:
        if parameter.kind not in positional or parameter.default is parameter.empty:
            raise TypeError(f"{shape}; its parameter {parameter.name!r} has no default")
        options[parameter.name] = _real_number(parameter.default, parameter.name)
    return options


def _real_number(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if math.isnan(value):
        raise ValueError(f"{name} must be a real number, got NaN")
    return float(value)


def pointwise_loss(function=None, *, name=None, formula=None, gradient=None, properties=None, register=False):
    """Make a loss from the maths of one element: ``@lj.pointwise_loss`` on ``def name(y, p, a=...)``.

    The function takes the target ``y`` and prediction ``p`` of one element, then the loss's
    parameters with their defaults, and returns ``(loss, dloss_dp)`` or ``(loss, dloss_dp,
    d2loss_dp2)``. It is compiled by Numba for float32 and float64 on first use (write constants as
    ``np.float32(...)`` to keep float32 maths in float32) and run by the same parallel driver as the
    built-in losses. The result is a loss like ``lj.mse``: called as ``loss(y_true, y_pred, *,
    sample_weight=None, reduction="mean", **parameters)``, with ``.grad``, ``.value_and_grad(out=)``
    and, when the second derivative is returned, ``.hessian``.

    ``name`` defaults to the function's name, the summary to its docstring; ``formula`` and
    ``gradient`` (LaTeX) and ``properties`` (task, convex, robust_to_outliers, input) describe it in
    ``lj.loss_table()``, where ``register=True`` lists it (as ``lj.losses[name]``).
    """
    if function is None:
        return functools.partial(pointwise_loss, name=name, formula=formula, gradient=gradient,
                                 properties=properties, register=register)
    kernel = element_kernel(function, name)

    def prepare(y_true, y_pred, sample_weight, **options):
        params = tuple(_real_number(options[key], key) for key in kernel.parameters)
        return PointwiseJob(kernel, params, y_true, y_pred, sample_weight)

    loss = PointwiseLoss(
        kernel.name, prepare, options=kernel.parameters, formula=formula or "", gradient=gradient or "",
        properties={**_PROPERTIES, **(properties or {})},
        summary=inspect.getdoc(function) or f"The pointwise loss {kernel.name}.", has_hessian=kernel.has_hessian)
    loss.kernel = kernel
    if register:
        _register(loss)
    return loss


@functools.lru_cache(maxsize=256)
def _parameter_array(params, dtype):
    """A loss's parameters as the read-only array its kernel takes, made once per values and dtype (making one
    costs a tenth of a small call)."""
    array = np.array(params, dtype)
    array.flags.writeable = False
    return array


def _register(loss):
    from . import BUILT_IN, losses

    if loss.name in BUILT_IN:
        raise ValueError(f"{loss.name} is a built-in loss: register yours under another name")
    losses[loss.name] = loss  # a user's loss of that name before (say, a notebook cell run again) is replaced


class PointwiseJob:
    """``y_true`` and ``y_pred`` of one shape, checked and flattened for a :class:`PointwiseKernel`.

    ``params`` are the loss's parameters (an array of the compute dtype); ``probabilities`` names the
    arrays that must lie in [0, 1].
    """

    __slots__ = ("shape", "dtype", "kernel", "params", "y_true", "y_pred", "weights", "inner", "denominator")

    def __init__(self, kernel, params, y_true, y_pred, sample_weight, *, probabilities=()):
        self.kernel = kernel
        self.y_true, self.y_pred, self.shape, self.dtype = v.flat_pair(y_true, y_pred)
        for name in probabilities:  # on the flat arrays: in the compute dtype, without copies of views
            v.check_in_range(self.y_true if name == "y_true" else self.y_pred, name, 0, 1)
        self.params = _parameter_array(params, self.dtype) if params else v.EMPTY[self.dtype]  # the common call: none
        if sample_weight is None:  # the common call, without two helper calls
            self.weights, self.inner, self.denominator = v.EMPTY[self.dtype], 1, float(self.y_pred.size)
        else:
            self.weights, self.inner = v.sample_weights(sample_weight, self.shape, self.dtype)
            self.denominator = v.weight_total(self.weights, self.inner, self.y_pred.size)

    def _run(self, mode, scale, out):
        # Compiled (or loaded from the cache) on the first run in this dtype, after every input check:
        # the arguments have the kernel's types (flat C-contiguous arrays of the compute dtype), but for
        # ``scale``, a Python float that the compiled code's entry rounds to the dtype as NumPy would (a NumPy
        # float32 scalar took 0.3 us longer to pass: 3.1 -> 2.8 us for a 1,000-element float32 lj.mse).
        total = self.kernel[self.dtype](mode, self.y_true, self.y_pred, self.weights, self.inner, self.params,
                                        scale, out)
        after_kernel(self.y_pred.size)
        return total

    def total(self, scale, want_grad, out=None):
        """(sum_i w_i l_i, gradient of it times scale (into ``out`` if given) or None)."""
        if not want_grad:
            return self._run(SUM, scale, v.EMPTY[self.dtype]), None
        grad = np.empty(self.y_pred.size, self.dtype) if out is None else out.reshape(-1)
        total = self._run(SUM_AND_GRAD, scale, grad)
        return total, (grad.reshape(self.shape) if out is None else out)

    def _map(self, mode, scale):
        values = np.empty_like(self.y_pred)
        self._run(mode, scale, values)
        return values.reshape(self.shape)

    def losses(self):
        return self._map(LOSSES, 1.0)

    def gradient(self, scale, out=None):
        return self.total(scale, True, out)[1]

    def hessian(self, scale):
        return self._map(HESSIAN, scale)
