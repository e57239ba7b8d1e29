"""Classification losses: binary, focal, hinge, KL divergence, softmax (categorical) cross-entropy and focal."""

import numpy as np

from . import _validation as v
from ._config import EPSILON
from ._kernels import elements
from ._kernels.softmax import block_class_weights, block_kind, softmax_cross_entropy
from ._kernels.softmax_focal import block_kind as focal_block_kind
from ._kernels.softmax_focal import softmax_focal as softmax_focal_kernel
from ._loss import Loss, PointwiseLoss
from ._pointwise import PointwiseJob, element_kernel
from ._threads import after_kernel

_BCE, _BCE_LOGITS, _FOCAL, _FOCAL_LOGITS, _KL, _KL_LOG = (  # logs and exponentials: buffered
    element_kernel(function, has_hessian=True, buffered=True) for function in (
        elements.binary_cross_entropy, elements.binary_cross_entropy_logits, elements.focal, elements.focal_logits,
        elements.kl_divergence, elements.kl_divergence_log))
_HINGE, _SQUARED_HINGE = (
    element_kernel(function, has_hessian=True) for function in (elements.hinge, elements.squared_hinge))
_INT64_MIN, _INT64_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)
_EMPTY_LABELS = np.empty(0, np.int64)
#: EPSILON per compute dtype (a NumPy scalar costs ~0.1 us to make, per call).
_EPSILONS = {dtype: dtype.type(EPSILON) for dtype in v.EMPTY}


def _binary_cross_entropy_job(y_true, y_pred, sample_weight, from_logits, pos_weight, label_smoothing):
    pos_weight = v.check_positive_number(pos_weight, "pos_weight", allow_zero=True)
    smoothing = _check_unit_number(label_smoothing, "label_smoothing")
    label_params = (pos_weight, 1.0 - smoothing, 0.5 * smoothing)
    if from_logits:
        return PointwiseJob(_BCE_LOGITS, label_params, y_true, y_pred, sample_weight,
                            probabilities=("y_true",))
    return PointwiseJob(_BCE, (EPSILON,) + label_params, y_true, y_pred,
                        sample_weight, probabilities=("y_true", "y_pred"))


def _check_unit_number(value, name):
    """A real number in [0, 1], returned as float."""
    if type(value) is float and 0.0 <= value <= 1.0:
        return value  # the common call, without the general checks
    value = v.check_positive_number(value, name, allow_zero=True)
    if value > 1:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    return value


binary_cross_entropy = PointwiseLoss(
    "binary_cross_entropy",
    _binary_cross_entropy_job,
    options={"from_logits": False, "pos_weight": 1.0, "label_smoothing": 0.0},
    formula=(r"-\frac{1}{n}\sum_{i=1}^{n} \left[ a\,\tilde{y}_i \log \hat{y}_i + (1 - \tilde{y}_i) "
             r"\log(1 - \hat{y}_i) \right],\quad \tilde{y}_i = (1 - s)\,y_i + \tfrac{s}{2}"),
    gradient=(r"\frac{\partial L}{\partial \hat{y}_i} = \frac{1}{n}\left(\frac{1 - \tilde{y}_i}{1 - \hat{y}_i}"
              r" - \frac{a\,\tilde{y}_i}{\hat{y}_i}\right);\quad \frac{\partial L}{\partial z_i} = "
              r"\frac{1}{n}\left((1 - \tilde{y}_i + a\,\tilde{y}_i)\,\sigma(z_i) - a\,\tilde{y}_i\right)"),
    properties={"task": "binary classification", "convex": True, "robust_to_outliers": False,
                "input": "probabilities or logits"},
    summary=("Binary cross-entropy: the Bernoulli negative log-likelihood. Probabilities are clipped to "
             "[EPSILON, 1 - EPSILON]; with from_logits=True, y_pred are logits z, computed stably with "
             "softplus. pos_weight a multiplies the positive term (torch's BCEWithLogitsLoss pos_weight, a "
             "scalar here); label_smoothing s replaces y by y (1 - s) + s / 2 first, as Keras."),
)


def _focal_job(y_true, y_pred, sample_weight, gamma, alpha, from_logits):
    gamma = v.check_positive_number(gamma, "gamma", allow_zero=True)
    if alpha is None:
        alpha_pos, alpha_neg = 1.0, 1.0
    else:
        alpha_pos = _check_unit_number(alpha, "alpha")
        alpha_neg = 1.0 - alpha_pos
    if from_logits:
        return PointwiseJob(_FOCAL_LOGITS, (gamma, alpha_pos, alpha_neg), y_true, y_pred,
                            sample_weight, probabilities=("y_true",))
    return PointwiseJob(_FOCAL, (gamma, alpha_pos, alpha_neg, EPSILON), y_true,
                        y_pred, sample_weight, probabilities=("y_true", "y_pred"))


focal = PointwiseLoss(
    "focal",
    _focal_job,
    options={"gamma": 2.0, "alpha": None, "from_logits": False},
    formula=(r"\frac{1}{n}\sum_{i=1}^{n} \alpha_{y_i} (1 - p_{t,i})^{\gamma}\, c_i,\quad "
             r"c_i = -\left[y_i \log \hat{y}_i + (1 - y_i)\log(1 - \hat{y}_i)\right],\ "
             r"p_{t,i} = y_i \hat{y}_i + (1 - y_i)(1 - \hat{y}_i),\ \alpha_{y_i} = \alpha y_i + (1 - \alpha)(1 - y_i)"),
    gradient=(r"\frac{\partial L}{\partial \hat{y}_i} = \frac{1}{n}\alpha_{y_i} (1 - p_{t,i})^{\gamma}"
              r"\left[\gamma\, c_i \frac{1 - 2y_i}{1 - p_{t,i}} + \frac{\partial c_i}{\partial \hat{y}_i}\right]"),
    properties={"task": "binary classification", "convex": False, "robust_to_outliers": False,
                "input": "probabilities or logits"},
    summary=("Binary focal loss (Lin et al. 2017): cross-entropy scaled by (1 - p_t)^gamma, so confident "
             "correct predictions count little. gamma = 0 and alpha = None give binary cross-entropy. alpha "
             "(None: no class weight) weighs positives by alpha and negatives by 1 - alpha, as torchvision's "
             "sigmoid_focal_loss and Keras's BinaryFocalCrossentropy(apply_class_balancing=True). Soft labels "
             "in [0, 1] are allowed. Probabilities are clipped to [EPSILON, 1 - EPSILON]; logits use stable "
             "sigmoids, and the derivatives are written without (1 - p_t)^(gamma - 1), so they stay finite "
             "for gamma < 1 when p_t -> 1."),
)


def _hinge_labels(y_true):
    """(scale, shift) mapping labels to {-1, 1}: {0, 1} -> 2y - 1, {-1, 1} unchanged (as Keras)."""
    y_true = v.as_array(y_true, "y_true")
    flat = v.native_float(y_true).ravel()  # one compiled pass per check, NaN skipped (NumPy's masks: ~2 ms per 1e6)
    if v.count_not_in[flat.dtype](flat, 0, 1) == 0:
        return y_true, (2.0, -1.0)
    if v.count_not_in[flat.dtype](flat, -1, 1) == 0:
        return y_true, (1.0, 0.0)
    values = y_true[~np.isnan(y_true)] if y_true.dtype.kind == "f" else y_true
    raise ValueError("y_true must hold labels in {-1, 1} or in {0, 1} (mapped to -1 and 1), not a mix; "
                     f"found the values {np.unique(values)[:6]}")


def _hinge_job(kind):
    def job(y_true, y_pred, sample_weight):
        y_true, label_map = _hinge_labels(y_true)
        return PointwiseJob(kind, label_map, y_true, y_pred, sample_weight)
    return job


hinge = PointwiseLoss(
    "hinge",
    _hinge_job(_HINGE),
    options={},
    formula=r"\frac{1}{n}\sum_{i=1}^{n} \max(0,\ 1 - y_i \hat{y}_i),\quad y_i \in \{-1, 1\}",
    gradient=(r"\frac{\partial L}{\partial \hat{y}_i} = \frac{1}{n}\begin{cases} -y_i & y_i \hat{y}_i < 1 \\ "
              r"0 & y_i \hat{y}_i \ge 1 \end{cases}"),
    properties={"task": "binary classification", "convex": True, "robust_to_outliers": True, "input": "logits"},
    summary=("Hinge loss of a support vector machine on raw scores y_pred. Labels are -1 and 1; labels "
             "that are all 0 or 1 are mapped to -1 and 1 first, as Keras does; any other value, or a mix "
             "of 0 and -1, is an error. The subgradient at the kink y p = 1 is taken as 0."),
)

squared_hinge = PointwiseLoss(
    "squared_hinge",
    _hinge_job(_SQUARED_HINGE),
    options={},
    formula=r"\frac{1}{n}\sum_{i=1}^{n} \max(0,\ 1 - y_i \hat{y}_i)^2,\quad y_i \in \{-1, 1\}",
    gradient=r"\frac{\partial L}{\partial \hat{y}_i} = -\frac{2}{n}\, y_i \max(0,\ 1 - y_i \hat{y}_i)",
    properties={"task": "binary classification", "convex": True, "robust_to_outliers": False, "input": "logits"},
    summary=("Squared hinge loss on raw scores: differentiable everywhere. Labels as for hinge: "
             "{-1, 1}, or {0, 1} mapped to {-1, 1}."),
)


def _kl_job(y_true, y_pred, sample_weight, log_input):
    if log_input:
        y_pred = v.as_array(y_pred, "y_pred")
        if np.any(y_pred > 0):
            raise ValueError(f"with log_input=True y_pred holds log-probabilities, which are <= 0; found "
                             f"{np.nanmax(y_pred)}")
        return PointwiseJob(_KL_LOG, (), y_true, y_pred, sample_weight, probabilities=("y_true",))
    return PointwiseJob(_KL, (EPSILON,), y_true, y_pred, sample_weight,
                        probabilities=("y_true", "y_pred"))


kl_divergence = PointwiseLoss(
    "kl_divergence",
    _kl_job,
    options={"log_input": False},
    formula=(r"\frac{1}{n}\sum_{i=1}^{n} y_i \log\frac{y_i}{\hat{y}_i},\quad 0 \log 0 = 0;\quad "
             r"\text{log\_input: } y_i (\log y_i - r_i)"),
    gradient=(r"\frac{\partial L}{\partial \hat{y}_i} = -\frac{1}{n}\frac{y_i}{\hat{y}_i};\quad "
              r"\frac{\partial L}{\partial r_i} = -\frac{1}{n} y_i"),
    properties={"task": "distribution matching", "convex": True, "robust_to_outliers": False,
                "input": "probabilities or log-probabilities"},
    summary=("Kullback-Leibler divergence term y log(y / p) per element, with 0 log 0 = 0 (torch's kl_div "
             "pointwise terms). y and p are probabilities; p is clipped below at EPSILON (gradient zero "
             "there). With log_input=True y_pred is log p, as torch's kl_div input. The mean is over all "
             "elements, as torch's reduction='mean'; the KL divergence of rows of C classes (Keras's "
             "KLDivergence, torch's 'batchmean') is reduction='sum' divided by the number of rows."),
)


class _SoftmaxRows:
    """Validated rows of class scores: y_pred with its class axis last, and class indices or probabilities.

    Subclasses set ``denominator`` and write ``_kernel(scale, row_losses, grad)``.
    """

    def __init__(self, y_true, y_pred, sample_weight, from_logits, axis, ignore_index=None):
        # Each shape read builds a tuple: read them once (a small call's time is mostly these checks).
        y_pred = v.as_array(y_pred, "y_pred")
        y_true = v.as_array(y_true, "y_true")
        shape = y_pred.shape
        ndim = len(shape)
        if ndim == 0:
            raise ValueError("y_pred must have a class axis; got a scalar")
        v.check_not_empty(y_pred, "y_pred")
        if (type(axis) is not int and (isinstance(axis, (bool, np.bool_)) or not isinstance(axis, np.integer))) \
                or not -ndim <= axis < ndim:
            raise ValueError(f"axis must be an integer in [{-ndim}, {ndim}) for y_pred of shape {shape}, "
                             f"got {axis!r}")
        self.axis = axis = int(axis) % ndim
        self.n_classes = shape[axis]
        self.shape = shape
        self.loss_shape = shape[:axis] + shape[axis + 1:]
        if not from_logits:
            v.check_in_range(y_pred, "y_pred", 0, 1)

        true_shape = y_true.shape
        if true_shape == shape:
            v.check_in_range(y_true, "y_true", 0, 1)
            labels = None
        elif true_shape == self.loss_shape:
            labels = self._labels(y_true, ignore_index)
        else:
            raise ValueError(
                f"y_true has shape {true_shape}; for y_pred of shape {shape} with classes on axis "
                f"{axis} it must hold class indices of shape {self.loss_shape} or class probabilities "
                f"of shape {shape}"
            )
        self.dtype = v.compute_dtype(y_pred, None if labels is not None else y_true)
        self.y_pred = self._rows(y_pred)
        self.target = v.EMPTY[self.dtype] if labels is not None else self._rows(y_true)
        self.labels = _EMPTY_LABELS if labels is None else labels.reshape(-1)
        self.from_logits = bool(from_logits)
        self.eps = _EPSILONS[self.dtype]
        if sample_weight is None:  # the common call, without the helper
            self.row_weights, self.inner = v.EMPTY[self.dtype], 1
        else:
            self.row_weights, self.inner = v.sample_weights(sample_weight, self.loss_shape, self.dtype)

    def _rows(self, array):
        """Classes moved to the last axis, flattened C-contiguous."""
        if self.axis != array.ndim - 1:
            array = np.moveaxis(array, self.axis, -1)
        return v.flat(array, self.dtype)

    def _labels(self, y_true, ignore_index):
        if y_true.dtype.kind == "f":
            if not np.all(np.isfinite(y_true)) or np.any(y_true != np.round(y_true)):
                raise ValueError("y_true holds class indices here (its shape is y_pred's without the class axis), "
                                 "so it must be integers")
        elif y_true.dtype.kind == "b":
            raise TypeError("y_true class indices must be integers, got bool")
        labels = v.int64_array(y_true, "y_true")
        lowest, highest = v.label_range[labels.dtype](labels.reshape(-1)) if labels.size else (0, 0)
        #: Whether any row equals ignore_index (none can when it lies outside the labels' range).
        self.any_ignored = ignore_index is not None and lowest <= ignore_index <= highest
        if lowest >= 0 and highest < self.n_classes:
            return labels
        kept = labels if ignore_index is None else labels[labels != ignore_index]
        if kept.size and (kept.min() < 0 or kept.max() >= self.n_classes):
            ignored = "" if ignore_index is None else f" (or equal ignore_index={ignore_index})"
            raise ValueError(f"y_true class indices must lie in [0, {self.n_classes}){ignored}; "
                             f"found {kept.min()} to {kept.max()}")
        return labels

    def _class_weights(self, class_weight, name):
        """Non-negative weights of shape (C,), or an empty array for None."""
        if class_weight is None:
            return v.EMPTY[self.dtype]
        weights = v.as_array(class_weight, name)
        if weights.shape != (self.n_classes,):
            raise ValueError(f"{name} must have shape ({self.n_classes},), got {weights.shape}")
        if not (weights.min() >= 0 and weights.max() < np.inf):  # NaN fails both
            raise ValueError(f"{name} must be finite and non-negative")
        return v.flat(weights, self.dtype)

    def _unrows(self, grad, out):
        """The kernel's gradient rows (classes last) in y_pred's layout, into ``out`` if given."""
        if self.axis == len(self.shape) - 1:
            return grad.reshape(self.shape) if out is None else out  # grad was written into out
        moved = self.shape[:self.axis] + self.shape[self.axis + 1:] + (self.n_classes,)
        layout = np.moveaxis(grad.reshape(moved), -1, self.axis)
        if out is None:
            return np.ascontiguousarray(layout)
        np.copyto(out, layout)
        return out

    def total(self, scale, want_grad, out=None):
        empty = v.EMPTY[self.dtype]  # "do not write"
        if not want_grad:
            return self._kernel(scale, empty, empty), None
        if out is not None and self.axis == len(self.shape) - 1:
            grad = out.reshape(-1)  # the kernel's layout already: no copy
        else:
            grad = np.empty(self.y_pred.size, self.dtype)
        return self._kernel(scale, empty, grad), self._unrows(grad, out)

    def losses(self):
        row_losses = np.empty(self.y_pred.size // self.n_classes, self.dtype)
        self._kernel(1.0, row_losses, v.EMPTY[self.dtype])
        return row_losses.reshape(self.loss_shape)

    def gradient(self, scale, out=None):
        return self.total(scale, True, out)[1]


class _SoftmaxJob(_SoftmaxRows):
    """Validated rows of class scores for the softmax cross-entropy kernel."""

    def __init__(self, y_true, y_pred, sample_weight, from_logits, axis, class_weight, ignore_index,
                 label_smoothing):
        if (type(ignore_index) is not int and (isinstance(ignore_index, (bool, np.bool_))
                                                or not isinstance(ignore_index, np.integer))) \
                or not _INT64_MIN <= ignore_index <= _INT64_MAX:
            raise TypeError(f"ignore_index must be an integer (int64), got {ignore_index!r}")
        smoothing = _check_unit_number(label_smoothing, "label_smoothing")
        super().__init__(y_true, y_pred, sample_weight, from_logits, axis, ignore_index)
        self.smoothing = self.dtype.type(smoothing)
        self.ignore_index = int(ignore_index)
        self.class_weights = self._class_weights(class_weight, "class_weight")
        self.denominator = self._denominator()

    def _denominator(self):
        """sum_n s_n w_{y_n} over kept rows for class indices (as torch), sum_n s_n for probabilities."""
        n_rows = self.y_pred.size // self.n_classes
        if self.labels.size == 0 or (not self.any_ignored and self.class_weights.size == 0):
            return v.weight_total(self.row_weights, self.inner, n_rows)
        total = v.label_weight_total[self.dtype](self.labels, self.class_weights, self.ignore_index,
                                                 self.row_weights, self.inner)
        return total if total > 0 else float("nan")

    def _kernel(self, scale, row_losses, grad):
        kind = block_kind(self.from_logits, self.labels.size > 0, self.class_weights.size > 0 or self.smoothing > 0,
                          grad.size > 0)
        total = softmax_cross_entropy[self.dtype](
            kind, self.y_pred, self.labels, self.target, block_class_weights(kind, self.class_weights, self.n_classes),
            (float(self.eps), float(self.smoothing), self.ignore_index), self.row_weights, self.inner, self.n_classes,
            float(scale), row_losses, grad)
        after_kernel(self.y_pred.size)
        return total


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


class _SoftmaxFocalJob(_SoftmaxRows):
    """Validated rows of class scores for the softmax focal kernel."""

    def __init__(self, y_true, y_pred, sample_weight, gamma, alpha, from_logits, axis):
        gamma = v.check_positive_number(gamma, "gamma", allow_zero=True)
        super().__init__(y_true, y_pred, sample_weight, from_logits, axis)
        self.gamma = self.dtype.type(gamma)
        if alpha is not None and v.as_array(alpha, "alpha").ndim == 0:
            alpha = np.full(self.n_classes, v.check_positive_number(alpha, "alpha", allow_zero=True))
        self.alpha = self._class_weights(alpha, "alpha")
        self.denominator = v.weight_total(self.row_weights, self.inner, self.y_pred.size // self.n_classes)

    def _kernel(self, scale, row_losses, grad):
        total = softmax_focal_kernel[self.dtype](
            focal_block_kind(self.from_logits, self.labels.size > 0), self.y_pred, self.labels, self.target,
            self.alpha, (float(self.eps), float(self.gamma), 0), self.row_weights, self.inner, self.n_classes,
            float(scale), row_losses, grad)
        after_kernel(self.y_pred.size)
        return total


softmax_focal = Loss(
    "softmax_focal",
    _SoftmaxFocalJob,
    options={"gamma": 2.0, "alpha": None, "from_logits": False, "axis": -1},
    formula=(r"-\frac{1}{n}\sum_{i=1}^{n}\sum_{c=1}^{C} \alpha_c\, y_{ic} (1 - \hat{y}_{ic})^{\gamma} "
             r"\log \hat{y}_{ic},\quad \hat{y}_{ic} = \operatorname{softmax}(z_i)_c"),
    gradient=(r"\frac{\partial L}{\partial z_{ic}} = \frac{1}{n}\Big(\hat{y}_{ic} \sum_{k=1}^{C} b_{ik} "
              r"- b_{ic}\Big),\quad b_{ic} = \alpha_c\, y_{ic} (1 - \hat{y}_{ic})^{\gamma}"
              r"\Big(1 - \gamma\, \hat{y}_{ic}\frac{\log \hat{y}_{ic}}{1 - \hat{y}_{ic}}\Big)"),
    properties={"task": "multi-class classification", "convex": False, "robust_to_outliers": False,
                "input": "probabilities or logits"},
    summary=("Softmax (multi-class) focal loss (Lin et al. 2017): each class's cross-entropy term scaled by "
             "(1 - p_c)^gamma, so confident correct predictions count little. y_true holds class indices "
             "(y_pred's shape without the class axis) or class probabilities (y_pred's shape). alpha is None "
             "(ones), a number, or per-class weights of shape (C,); it does not enter the mean, which is "
             "sum_n s_n l_n / sum_n s_n. gamma = 0 and alpha = None give cross_entropy; C = 2 with logits "
             "[0, z] and alpha=[1 - a, a] gives the binary focal on z with alpha=a. With from_logits=True the "
             "softmax is computed stably; probabilities are clipped to [EPSILON, 1 - EPSILON] and not "
             "renormalised. The gradient uses the bounded ratio "
             "log(p) / (1 - p), never (1 - p)^(gamma - 1), so it stays finite for gamma < 1 and is 0 at p = 1."),
)
