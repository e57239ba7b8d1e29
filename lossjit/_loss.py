"""The public loss object: validation, dtype, reduction and weights around a kernel.

A :class:`Loss` is called as ``loss(y_true, y_pred, *, sample_weight=None,
reduction="mean", **options)`` and offers ``grad`` and ``value_and_grad``
(pointwise losses also ``hessian``). Each family supplies a ``_prepare``
that validates its input and returns a *job*: an object that knows the
denominator of the mean and runs the kernel.

Reductions, with weights ``w`` (ones without ``sample_weight``):

* ``"sum"``: ``sum_i w_i l_i``
* ``"mean"``: ``sum_i w_i l_i / sum_i w_i`` (a weighted average, as in
  scikit-learn; see the README for torch and Keras)
* ``"none"``: the array ``w_i l_i``

``grad`` is the gradient of the reduced loss with respect to ``y_pred``;
with ``"none"`` it is the per-element derivative ``w_i dl_i/dy_pred``.
``grad`` and ``value_and_grad`` take ``out=``: an array of ``y_pred``'s shape
and compute dtype that receives the gradient (and is returned), so a training
loop can reuse one buffer instead of a new array, whose pages the system
zeroes on first touch, every step.

Dask arrays (``dask.array.Array``) among ``y_true``, ``y_pred`` and ``sample_weight`` run on Dask, one
kernel call per block (:mod:`lossjit._dask`): ``compute=False`` then returns the value as a lazy 0-d Dask
array, and the gradient, hessian and ``"none"`` losses are lazy Dask arrays. For NumPy inputs ``compute``
is ignored: their results are always computed.
"""

import inspect
import sys

import numpy as np

from ._validation import check_gradient_out, check_mean_denominator, check_reduction

#: The imported modules. A Dask array exists only once ``dask.array`` is among them (lossjit never imports
#: it), so the NumPy path pays one dict lookup for the Dask check, and a few type reads in a program with Dask.
_MODULES = sys.modules


def _on_dask(y_true, y_pred, sample_weight):
    """Whether one of the arrays is a Dask array (NumPy arrays without weights, the common call, in three reads)."""
    if type(y_pred) is np.ndarray and type(y_true) is np.ndarray and sample_weight is None:
        return False
    return any(type(array).__module__.startswith("dask.") for array in (y_pred, y_true, sample_weight))


class Loss:
    """A loss function with its gradient; see the module docstring."""

    def __init__(self, name, prepare, *, options, formula, gradient, properties, summary):
        self.name = name
        self._prepare = prepare
        self.options = dict(options)  # loss-specific keyword -> default
        self.formula = formula  # LaTeX of l(y, p) or of the loss
        self.gradient = gradient  # LaTeX of the gradient
        self.properties = dict(properties)
        self.__doc__ = f"{summary}\n\n.. math:: {formula}\n\nGradient: :math:`{gradient}`"
        keyword = inspect.Parameter.KEYWORD_ONLY
        parameters = [
            inspect.Parameter("y_true", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter("y_pred", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter("sample_weight", keyword, default=None),
            inspect.Parameter("reduction", keyword, default="mean"),
            inspect.Parameter("compute", keyword, default=True),
        ] + [inspect.Parameter(key, keyword, default=value) for key, value in self.options.items()]
        self.__signature__ = inspect.Signature(parameters)

    def __repr__(self):
        return f"<lossjit loss {self.name}>"

    def _job(self, y_true, y_pred, sample_weight, reduction, options):
        if reduction != "mean":  # the default needs no check (this path is timed per call)
            check_reduction(reduction)
        if not options:  # the common call: defaults only (and without ** when there are none)
            if self.options:
                return self._prepare(y_true, y_pred, sample_weight, **self.options)
            return self._prepare(y_true, y_pred, sample_weight)
        return self._prepare(y_true, y_pred, sample_weight, **self._with_defaults(options))

    def _with_defaults(self, options):
        """The loss's options with the given ones in place of their defaults, or a TypeError naming unknown ones."""
        if not options.keys() <= self.options.keys():
            unknown = set(options) - set(self.options)
            raise TypeError(f"{self.name}() got unexpected keyword argument(s) {sorted(unknown)}; "
                            f"it takes {sorted(self.options) or 'no options'}")
        return {**self.options, **options}

    def _evaluate(self, y_true, y_pred, sample_weight, reduction, options, want_grad, out=None, compute=True):
        # Positional calls, one job, no temporaries: this path is most of a small call's time.
        if "dask.array" in _MODULES and _on_dask(y_true, y_pred, sample_weight):
            from ._dask import evaluate

            return evaluate(self, y_true, y_pred, sample_weight, reduction, options, want_grad, out, compute)
        job = self._job(y_true, y_pred, sample_weight, reduction, options)
        if out is not None:
            check_gradient_out(out, job.shape, job.dtype, y_true, y_pred, sample_weight)
        if reduction == "mean":
            scale = 1.0 / check_mean_denominator(job.denominator)
        elif reduction == "sum":
            scale = 1.0
        else:
            return job.losses(), (job.gradient(1.0, out) if want_grad else None)
        total, grad = job.total(scale, want_grad, out)
        return job.dtype.type(total * scale), grad

    def __call__(self, y_true, y_pred, *, sample_weight=None, reduction="mean", compute=True, **options):
        return self._evaluate(y_true, y_pred, sample_weight, reduction, options, False, None, compute)[0]

    def grad(self, y_true, y_pred, *, sample_weight=None, reduction="mean", out=None, **options):
        """Gradient of the reduced loss with respect to ``y_pred`` (``y_pred``'s shape), into ``out`` if given;
        a lazy Dask array for Dask inputs."""
        return self._evaluate(y_true, y_pred, sample_weight, reduction, options, True, out, False)[1]

    def value_and_grad(self, y_true, y_pred, *, sample_weight=None, reduction="mean", out=None, compute=True,
                       **options):
        """``(loss, grad)`` from one fused pass over the data; the gradient into ``out`` if given. For Dask
        inputs, ``compute=False`` gives both lazily from one pass (``dask.compute(loss, grad)``)."""
        return self._evaluate(y_true, y_pred, sample_weight, reduction, options, True, out, compute)


class PointwiseLoss(Loss):
    """A loss ``l(y_i, p_i)`` per element, which also has a diagonal hessian when ``has_hessian``."""

    def __init__(self, name, prepare, *, has_hessian=True, **description):
        super().__init__(name, prepare, **description)
        self.has_hessian = has_hessian

    def hessian(self, y_true, y_pred, *, sample_weight=None, reduction="mean", **options):
        """Diagonal of the hessian of the reduced loss with respect to ``y_pred``."""
        if not self.has_hessian:
            raise TypeError(f"{self.name} has no hessian: its element function returns (loss, dloss_dp) only")
        if "dask.array" in _MODULES and _on_dask(y_true, y_pred, sample_weight):
            from ._dask import hessian

            return hessian(self, y_true, y_pred, sample_weight, reduction, options)
        job = self._job(y_true, y_pred, sample_weight, reduction, options)
        scale = 1.0 / check_mean_denominator(job.denominator) if reduction == "mean" else 1.0
        return job.hessian(scale)


class PerSampleJob:
    """Job methods for a kernel that returns ``(total, per-sample losses)`` and writes the gradient.

    Subclasses define ``dtype``, ``shape``, the flat ``y_pred`` and ``_kernel(scale, grad)``, where
    ``grad`` is a flat array to write the gradient into or an empty one for none.
    """

    def total(self, scale, want_grad, out=None):
        if not want_grad:
            return self._kernel(scale, np.empty(0, self.dtype))[0], None
        grad = np.empty(self.y_pred.size, self.dtype) if out is None else out.reshape(-1)
        total = self._kernel(scale, grad)[0]
        return total, (grad.reshape(self.shape) if out is None else out)

    def losses(self):
        return self._kernel(1.0, np.empty(0, self.dtype))[1].astype(self.dtype)

    def gradient(self, scale, out=None):
        return self.total(scale, True, out)[1]
