"""Classification losses: binary and softmax (categorical) cross-entropy."""

import numpy as np

from . import _validation as v
from ._config import EPSILON
from ._kernels import pointwise as pointwise_kernels
from ._kernels.softmax import softmax_cross_entropy
from ._loss import Loss, PointwiseLoss
from ._pointwise import PointwiseJob


def _binary_cross_entropy_job(y_true, y_pred, sample_weight, from_logits):
    if from_logits:
        return PointwiseJob(pointwise_kernels.BCE_LOGITS, (), y_true, y_pred, sample_weight,
                            probabilities=("y_true",))
    return PointwiseJob(pointwise_kernels.BCE_PROBABILITIES, (EPSILON,), y_true, y_pred, sample_weight,
                        probabilities=("y_true", "y_pred"))


binary_cross_entropy = PointwiseLoss(
    "binary_cross_entropy",
    _binary_cross_entropy_job,
    options={"from_logits": False},
    formula=r"-\frac{1}{n}\sum_{i=1}^{n} \left[ y_i \log \hat{y}_i + (1 - y_i) \log(1 - \hat{y}_i) \right]",
    gradient=(r"\frac{\partial L}{\partial \hat{y}_i} = \frac{1}{n}\frac{\hat{y}_i - y_i}{\hat{y}_i(1 - \hat{y}_i)}"
              r";\quad \frac{\partial L}{\partial z_i} = \frac{1}{n}(\sigma(z_i) - y_i)"),
    properties={"task": "binary classification", "convex": True, "robust_to_outliers": False,
                "input": "probabilities or logits"},
    summary=("Binary cross-entropy: the Bernoulli negative log-likelihood. Probabilities are clipped to "
             "[EPSILON, 1 - EPSILON]; with from_logits=True, y_pred are logits z and the loss is computed "
             "stably as max(z, 0) - z y + log(1 + exp(-|z|))."),
)


class _SoftmaxJob:
    """Validated rows of class scores for the softmax cross-entropy kernel."""

    def __init__(self, y_true, y_pred, sample_weight, from_logits, axis, class_weight, ignore_index,
                 label_smoothing):
        y_pred = v.as_array(y_pred, "y_pred")
        y_true = v.as_array(y_true, "y_true")
        if y_pred.ndim == 0:
            raise ValueError("y_pred must have a class axis; got a scalar")
        v.check_not_empty(y_pred, "y_pred")
        if not isinstance(axis, (int, np.integer)) or not -y_pred.ndim <= axis < y_pred.ndim:
            raise ValueError(f"axis must be an integer in [{-y_pred.ndim}, {y_pred.ndim}) for y_pred of "
                             f"shape {y_pred.shape}, got {axis!r}")
        self.axis = int(axis) % y_pred.ndim
        self.n_classes = y_pred.shape[self.axis]
        self.shape = y_pred.shape
        self.loss_shape = y_pred.shape[:self.axis] + y_pred.shape[self.axis + 1:]
        smoothing = v.check_positive_number(label_smoothing, "label_smoothing", allow_zero=True)
        if smoothing > 1:
            raise ValueError(f"label_smoothing must lie in [0, 1], got {smoothing}")
        if not from_logits:
            v.check_in_range(y_pred, "y_pred", 0, 1)

        if y_true.shape == y_pred.shape:
            v.check_in_range(y_true, "y_true", 0, 1)
            labels = None
        elif y_true.shape == self.loss_shape:
            labels = self._labels(y_true, ignore_index)
        else:
            raise ValueError(
                f"y_true has shape {y_true.shape}; for y_pred of shape {y_pred.shape} with classes on axis "
                f"{self.axis} it must hold class indices of shape {self.loss_shape} or class probabilities "
                f"of shape {y_pred.shape}"
            )
        self.dtype = v.compute_dtype(y_pred, None if labels is not None else y_true)
        self.y_pred = self._rows(y_pred)
        self.target = np.empty(0, self.dtype) if labels is not None else self._rows(y_true)
        self.labels = np.empty(0, np.int64) if labels is None else labels.reshape(-1)
        self.from_logits = bool(from_logits)
        self.eps = self.dtype.type(EPSILON)
        self.smoothing = self.dtype.type(smoothing)
        self.ignore_index = int(ignore_index)
        self.class_weights = self._class_weights(class_weight)
        self.row_weights, self.inner = v.sample_weights(sample_weight, self.loss_shape, self.dtype)
        self.denominator = self._denominator()

    def _rows(self, array):
        """Classes moved to the last axis, flattened C-contiguous."""
        return v.flat(np.moveaxis(array, self.axis, -1), self.dtype)

    def _labels(self, y_true, ignore_index):
        if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(ignore_index, (int, np.integer)):
            raise TypeError(f"ignore_index must be an integer, got {type(ignore_index).__name__}")
        if y_true.dtype.kind == "f":
            if not np.all(np.isfinite(y_true)) or np.any(y_true != np.round(y_true)):
                raise ValueError("y_true holds class indices here (its shape is y_pred's without the class axis), "
                                 "so it must be integers")
        elif y_true.dtype.kind == "b":
            raise TypeError("y_true class indices must be integers, got bool")
        labels = y_true.astype(np.int64)
        kept = labels[labels != ignore_index]
        if kept.size and (kept.min() < 0 or kept.max() >= self.n_classes):
            raise ValueError(f"y_true class indices must lie in [0, {self.n_classes}) (or equal ignore_index="
                             f"{ignore_index}); found {kept.min()} to {kept.max()}")
        return np.ascontiguousarray(labels)

    def _class_weights(self, class_weight):
        if class_weight is None:
            return np.empty(0, self.dtype)
        weights = v.as_array(class_weight, "class_weight")
        if weights.shape != (self.n_classes,):
            raise ValueError(f"class_weight must have shape ({self.n_classes},), got {weights.shape}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError("class_weight must be finite and non-negative")
        return v.flat(weights, self.dtype)

    def _denominator(self):
        """sum_n s_n w_{y_n} over kept rows for class indices (as torch), sum_n s_n for probabilities."""
        n_rows = self.y_pred.size // self.n_classes
        if self.labels.size == 0:
            return v.weight_total(self.row_weights, self.inner, n_rows)
        kept = self.labels != self.ignore_index
        if self.class_weights.size:
            per_row = np.where(kept, self.class_weights[np.where(kept, self.labels, 0)], 0.0)
        else:
            per_row = kept.astype(np.float64)
        if self.row_weights.size:
            per_row = per_row * np.repeat(self.row_weights, self.inner)
        total = float(np.sum(per_row, dtype=np.float64))
        return total if total > 0 else float("nan")

    def _kernel(self, scale, row_losses, grad):
        return softmax_cross_entropy(
            self.y_pred, self.labels, self.target, self.from_logits, self.eps, self.row_weights, self.inner,
            self.class_weights, self.smoothing, self.ignore_index, self.n_classes, self.dtype.type(scale),
            row_losses, grad)

    def _unrows(self, grad):
        moved = self.shape[:self.axis] + self.shape[self.axis + 1:] + (self.n_classes,)
        return np.ascontiguousarray(np.moveaxis(grad.reshape(moved), -1, self.axis))

    def total(self, scale, want_grad):
        grad = np.empty_like(self.y_pred) if want_grad else np.empty(0, self.dtype)
        total = self._kernel(scale, np.empty(0, self.dtype), grad)
        return total, (self._unrows(grad) if want_grad else None)

    def losses(self):
        row_losses = np.empty(self.y_pred.size // self.n_classes, self.dtype)
        self._kernel(1.0, row_losses, np.empty(0, self.dtype))
        return row_losses.reshape(self.loss_shape)

    def gradient(self, scale):
        return self.total(scale, True)[1]


cross_entropy = Loss(
    "cross_entropy",
    _SoftmaxJob,
    options={"from_logits": False, "axis": -1, "class_weight": None, "ignore_index": -100,
             "label_smoothing": 0.0},
    formula=r"-\frac{1}{n}\sum_{i=1}^{n}\sum_{c=1}^{C} y_{ic} \log \hat{y}_{ic},\quad "
            r"\hat{y}_{ic} = \operatorname{softmax}(z_i)_c = \frac{e^{z_{ic}}}{\sum_k e^{z_{ik}}}",
    gradient=r"\frac{\partial L}{\partial z_{ic}} = \frac{1}{n}(\hat{y}_{ic} - y_{ic})",
    properties={"task": "multi-class classification", "convex": True, "robust_to_outliers": False,
                "input": "probabilities or logits"},
    summary=("Softmax (categorical) cross-entropy over the class axis. y_true holds class indices "
             "(y_pred's shape without the class axis) or class probabilities (y_pred's shape). With "
             "from_logits=True the log-softmax is computed with a stable log-sum-exp; probabilities are "
             "clipped to [EPSILON, 1 - EPSILON] and not renormalised. class_weight, ignore_index and "
             "label_smoothing follow torch.nn.functional.cross_entropy, including its mean "
             "denominator sum_n w_{y_n}."),
)
