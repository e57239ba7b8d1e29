"""The job of every pointwise loss: validated flat arrays for the pointwise kernels."""

import numpy as np

from . import _validation as v
from ._kernels import pointwise as kernels
from ._threads import after_kernel


class PointwiseJob:
    """``y_true`` and ``y_pred`` of one shape, checked and flattened for a kernel ``kind``.

    ``params`` are the loss's parameters (cast to the compute dtype);
    ``probabilities`` names the arrays that must lie in [0, 1].
    """

    __slots__ = ("shape", "dtype", "kind", "params", "y_true", "y_pred", "weights", "inner", "denominator")

    def __init__(self, kind, params, y_true, y_pred, sample_weight, *, probabilities=()):
        self.y_true, self.y_pred, self.shape, self.dtype = v.flat_pair(y_true, y_pred)
        for name in probabilities:  # on the flat arrays: in the compute dtype, without copies of views
            v.check_in_range(self.y_true if name == "y_true" else self.y_pred, name, 0, 1)
        self.kind = kind
        self.params = np.array(params, dtype=self.dtype) if params else v.EMPTY[self.dtype]
        if sample_weight is None:  # the common call, without two helper calls
            self.weights, self.inner, self.denominator = v.EMPTY[self.dtype], 1, float(self.y_pred.size)
        else:
            self.weights, self.inner = v.sample_weights(sample_weight, self.shape, self.dtype)
            self.denominator = v.weight_total(self.weights, self.inner, self.y_pred.size)

    def total(self, scale, want_grad, out=None):
        """(sum_i w_i l_i, gradient of it times scale (into ``out`` if given) or None)."""
        if not want_grad:
            total = kernels.pointwise_sum[self.kind](self.params, self.y_true, self.y_pred, self.weights, self.inner)
            after_kernel(self.y_pred.size)
            return total, None
        grad = np.empty(self.y_pred.size, self.dtype) if out is None else out.reshape(-1)
        total = kernels.pointwise_sum_and_grad[self.kind](self.params, self.y_true, self.y_pred, self.weights,
                                                          self.inner, self.dtype.type(scale), grad)
        after_kernel(self.y_pred.size)
        return total, (grad.reshape(self.shape) if out is None else out)

    def _map(self, scale, order, out=None):
        values = np.empty_like(self.y_pred) if out is None else out.reshape(-1)
        kernels.pointwise_map[self.kind](self.params, self.y_true, self.y_pred, self.weights, self.inner,
                                         self.dtype.type(scale), order, values)
        after_kernel(self.y_pred.size)
        return values.reshape(self.shape) if out is None else out

    def losses(self):
        return self._map(1.0, 0)

    def gradient(self, scale, out=None):
        return self._map(scale, 1, out)

    def hessian(self, scale):
        return self._map(scale, 2)
