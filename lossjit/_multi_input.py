"""Losses of several arrays, with a gradient for each differentiable one: :class:`MultiInputLoss`.

A triplet loss takes an anchor, a positive and a negative embedding; a Gaussian negative
log-likelihood takes the target, a predicted mean and a predicted variance. Such a loss is called
with its arrays in the order of ``loss.inputs``::

    lj.gaussian_nll(y_true, mean, variance)                       # the loss, reduction="mean"
    d_mean, d_variance = lj.gaussian_nll.grad(y_true, mean, variance)
    value, (d_mean, d_variance) = lj.gaussian_nll.value_and_grad(y_true, mean, variance, out=(a, b))

``grad`` returns one gradient per name of ``loss.differentiable``, each of its input's shape, in
that order; ``out=`` is a tuple of arrays that receive them. Reductions and ``sample_weight`` are
those of every lossjit loss (:mod:`lossjit._loss`), over the loss's samples: the elements for an
elementwise loss, the rows of embeddings for a loss of embedding pairs or triplets.

A family supplies ``prepare(*arrays, sample_weight, **options)``, returning a *job* with ``dtype``,
``shapes`` (of the differentiable inputs), ``denominator`` (of the mean) and
``run(scale, grads, want_losses) -> (total, losses)``: ``grads`` holds one flat writeable array per
differentiable input (to receive ``scale`` times the gradient of the weighted sum), or is empty for
the value alone; ``losses``, when ``want_losses``, are the weighted per-sample losses (of shape
``loss_shape``).
"""

import inspect
import math

import numpy as np

from . import _validation as v
from ._loss import Loss
from ._validation import check_mean_denominator, check_reduction


class MultiInputLoss(Loss):
    """A loss of the arrays named ``inputs``, differentiable in those named ``differentiable``."""

    def __init__(self, name, prepare, *, inputs, differentiable, **description):
        super().__init__(name, prepare, **description)
        self.inputs = tuple(inputs)
        self.differentiable = tuple(differentiable)
        keyword = inspect.Parameter.KEYWORD_ONLY
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(input_name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for input_name in inputs]
            + [inspect.Parameter("sample_weight", keyword, default=None),
               inspect.Parameter("reduction", keyword, default="mean")]
            + [inspect.Parameter(key, keyword, default=value) for key, value in self.options.items()])

    def __repr__(self):
        return f"<lossjit loss {self.name}({', '.join(self.inputs)})>"

    def _multi_job(self, arrays, sample_weight, reduction, options):
        if len(arrays) != len(self.inputs):
            raise TypeError(f"{self.name}() takes {len(self.inputs)} arrays ({', '.join(self.inputs)}), "
                            f"got {len(arrays)}")
        for name, array in zip(self.inputs + ("sample_weight",), arrays + (sample_weight,)):
            if type(array).__module__.startswith("dask."):
                raise TypeError(f"{self.name}() runs on NumPy arrays; {name} is a Dask array (the losses of "
                                "several arrays do not run on Dask yet: compute it first)")
        check_reduction(reduction)
        return self._prepare(*arrays, sample_weight=sample_weight, **self._with_defaults(options))

    def _outputs(self, job, out, arrays):
        """The flat gradient arrays: new ones, or the checked ``out`` tuple's (``arrays``: the inputs, then
        ``sample_weight``, none of which ``out`` may overlap: the kernels read them while writing it)."""
        if out is None:
            return [np.empty(int(np.prod(shape)), job.dtype) for shape in job.shapes]
        if not isinstance(out, tuple) or len(out) != len(self.differentiable):
            raise TypeError(f"out must be a tuple of {len(self.differentiable)} arrays, one per differentiable "
                            f"input ({', '.join(self.differentiable)})")
        for name, array, shape in zip(self.differentiable, out, job.shapes):
            if type(array) is not np.ndarray:
                raise TypeError(f"out for {name} must be a numpy.ndarray, got {type(array).__name__}")
            if array.shape != shape:
                raise ValueError(f"out for {name} must have {name}'s shape {shape}, got {array.shape}")
            if array.dtype != job.dtype:
                raise TypeError(f"out for {name} must have the compute dtype {job.dtype}, got {array.dtype}")
            if not array.flags.c_contiguous or not array.flags.writeable:
                raise ValueError(f"out for {name} must be C-contiguous and writeable")
            for input_name, value in zip(self.inputs + ("sample_weight",), arrays):
                if isinstance(value, np.ndarray) and np.may_share_memory(array, value):
                    raise ValueError(f"out for {name} must not share memory with {input_name}")
        if len({id(array) for array in out}) != len(out):
            raise ValueError("out must hold a separate array per gradient")
        return [array.reshape(-1) for array in out]

    def _evaluate_multi(self, arrays, sample_weight, reduction, options, want_grad, out=None):
        job = self._multi_job(arrays, sample_weight, reduction, options)
        grads = self._outputs(job, out, arrays + (sample_weight,)) if want_grad else []
        scale = 1.0 / check_mean_denominator(job.denominator) if reduction == "mean" else 1.0
        total, losses = job.run(scale, grads, reduction == "none")
        if want_grad:
            grads = tuple(out) if out is not None else tuple(g.reshape(s) for g, s in zip(grads, job.shapes))
        value = losses.astype(job.dtype).reshape(job.loss_shape) if reduction == "none" else job.dtype.type(
            total * scale)
        return value, (grads if want_grad else None)

    def __call__(self, *arrays, sample_weight=None, reduction="mean", **options):
        return self._evaluate_multi(arrays, sample_weight, reduction, options, False)[0]

    def grad(self, *arrays, sample_weight=None, reduction="mean", out=None, **options):
        """The gradients of the reduced loss, one per differentiable input (a tuple, in ``differentiable``
        order), into ``out`` (a tuple of arrays) if given. With ``"none"``: the gradient of the sum of the
        weighted per-sample losses (each sample's own derivatives where samples do not interact)."""
        return self._evaluate_multi(arrays, sample_weight, reduction, options, True, out)[1]

    def value_and_grad(self, *arrays, sample_weight=None, reduction="mean", out=None, **options):
        """``(loss, gradients)`` from one fused pass, the gradients as :meth:`grad` gives them."""
        return self._evaluate_multi(arrays, sample_weight, reduction, options, True, out)


class PairedJob:
    """A target, a prediction ``a`` of its shape and ``b``, checked and flattened for a
    :class:`lossjit._kernels.paired.PairedKernel`. With ``spread=True``, ``b`` is a spread (a variance, a
    scale): non-negative, per element or per sample; else a second prediction of ``a``'s shape."""

    def __init__(self, kernel, names, y_true, a, b, sample_weight, params, *, spread=True):
        y_true, a, b = (v.as_array(array, name) for array, name in zip((y_true, a, b), names))
        v.check_not_empty(a, names[1])
        if y_true.shape != a.shape:
            raise ValueError(f"{names[0]} has shape {y_true.shape} but {names[1]} has shape {a.shape}; lossjit "
                             f"never broadcasts: reshape one")
        if b.shape == a.shape:
            self.b_inner = 1
        elif spread and a.ndim >= 1 and b.shape in (a.shape[:-1], a.shape[:-1] + (1,)):
            self.b_inner = a.shape[-1]
        elif spread:
            raise ValueError(f"{names[2]} has shape {b.shape}; for {names[1]} of shape {a.shape} it must have that "
                             f"shape, or {a.shape[:-1]} or {a.shape[:-1] + (1,)} (one {names[2]} per sample)")
        else:
            raise ValueError(f"{names[2]} has shape {b.shape} but {names[1]} has shape {a.shape}; lossjit never "
                             "broadcasts: reshape one")
        if spread and b.dtype.kind == "f":
            v.check_in_range(b, names[2], 0, math.inf)
        elif spread and b.size and b.min() < 0:
            raise ValueError(f"{names[2]} must be >= 0; found {b.min()}")
        self.kernel = kernel
        self.dtype = v.common_dtype(y_true, a, b)
        self.y_true, self.a, self.b = (v.flat(array, self.dtype) for array in (y_true, a, b))
        self.params = tuple(map(self.dtype.type, params))
        self.shapes = (a.shape, b.shape)
        self.loss_shape = a.shape
        self.weights, self.inner = v.sample_weights(sample_weight, a.shape, self.dtype)
        self.denominator = v.weight_total(self.weights, self.inner, a.size)

    def run(self, scale, grads, want_losses):
        empty = v.EMPTY[self.dtype]
        losses = np.empty(self.a.size, self.dtype) if want_losses else empty
        grad_a, grad_b = grads if grads else (empty, empty)
        total = self.kernel(self.dtype, self.y_true, self.a, self.b, self.b_inner, self.params, self.weights,
                            self.inner, scale, losses, grad_a, grad_b)
        return total, losses
