"""Multi-class hinge losses over class scores ``y_pred`` of shape ``(N, C)``, classes on the last axis.

* :data:`multi_margin`: torch's ``multi_margin_loss`` (Weston-Watkins, divided by C), p = 1 or 2.
* :data:`crammer_singer`: the hinge on the margin to the best other class.
* :data:`categorical_hinge`: Keras's ``categorical_hinge``, against one-hot or probability targets.

``y_true`` holds class indices of shape ``(N,)`` (integers, or integral floats, in ``[0, C)``);
categorical_hinge also takes class probabilities of ``y_pred``'s shape. More leading axes work as
more rows: ``y_pred`` of shape ``(*batch, C)`` with labels of shape ``batch``. Reductions weigh each
row by its ``sample_weight`` (shape ``(N,)``): "mean" is ``sum_n s_n l_n / sum_n s_n`` (torch's and
Keras's mean over rows without weights).
"""


import numpy as np

from . import _validation as v
from ._kernels.multiclass_hinge import multiclass_hinge
from ._loss import Loss
from ._threads import after_kernel
from .classification import _SoftmaxRows


def _check_power(p):
    """1 or 2, as torch's multi_margin_loss."""
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"p must be 1 or 2, got {type(p).__name__}")
    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2, got {p}")
    return int(p)


class _HingeRows(_SoftmaxRows):
    """Validated rows of class scores (classes last) for a hinge block of :mod:`._kernels.multiclass_hinge`.

    ``kind`` names the block; only categorical_hinge takes class probabilities for y_true.
    """

    def __init__(self, y_true, y_pred, sample_weight, kind, margin=1.0, power=1, class_weight=None):
        y_true = v.as_array(y_true, "y_true")
        y_pred = v.as_array(y_pred, "y_pred")
        if kind != "categorical_hinge" and y_pred.ndim > 0 and y_true.shape != y_pred.shape[:-1]:
            raise ValueError(f"y_true has shape {y_true.shape}; {kind} takes class indices of shape "
                             f"{y_pred.shape[:-1]} for y_pred of shape {y_pred.shape} (classes on the last axis)")
        super().__init__(y_true, y_pred, sample_weight, True, -1)
        self.kind = kind
        self.margin = self.dtype.type(margin)
        self.power = power
        self.class_weights = self._class_weights(class_weight, "class_weight")
        self.denominator = v.weight_total(self.row_weights, self.inner, self.y_pred.size // self.n_classes)

    def _kernel(self, scale, row_losses, grad):
        total = multiclass_hinge[self.dtype](
            self.kind, self.y_pred, self.labels, self.target, self.class_weights,
            (float(self.margin), float(self.power), 0), self.row_weights, self.inner, self.n_classes, float(scale),
            row_losses, grad)
        after_kernel(self.y_pred.size)
        return total


def _multi_margin_job(y_true, y_pred, sample_weight, margin, p, class_weight):
    return _HingeRows(y_true, y_pred, sample_weight, "multi_margin", v.check_real_number(margin, "margin"),
                      _check_power(p), class_weight)


def _crammer_singer_job(y_true, y_pred, sample_weight, margin):
    return _HingeRows(y_true, y_pred, sample_weight, "crammer_singer", v.check_real_number(margin, "margin"))


def _categorical_hinge_job(y_true, y_pred, sample_weight):
    return _HingeRows(y_true, y_pred, sample_weight, "categorical_hinge")


multi_margin = Loss(
    "multi_margin",
    _multi_margin_job,
    options={"margin": 1.0, "p": 1, "class_weight": None},
    formula=(r"\frac{1}{N}\sum_{n=1}^{N} \frac{w_{y_n}}{C}\sum_{i \ne y_n} \max(0,\ z_{ni})^p,\quad "
             r"z_{ni} = m - x_{n y_n} + x_{ni},\ p \in \{1, 2\}"),
    gradient=(r"\frac{\partial L}{\partial x_{ni}} = \frac{w_{y_n}}{NC}\, p \max(0,\ z_{ni})^{p-1} [z_{ni} > 0]"
              r"\ (i \ne y_n),\quad \frac{\partial L}{\partial x_{n y_n}} = "
              r"-\sum_{i \ne y_n} \frac{\partial L}{\partial x_{ni}}"),
    properties={"task": "multi-class classification", "convex": True, "robust_to_outliers": True, "input": "scores"},
    summary=("Multi-class margin (Weston-Watkins) hinge on raw class scores y_pred of shape (N, C), as "
             "torch.nn.functional.multi_margin_loss: per row, the hinges max(0, margin - x_y + x_i)^p of every "
             "other class i, times class_weight[y] (shape (C,), ones by default), divided by C. y_true holds "
             "class indices of shape (N,). p is 1 or 2 (p = 2 squares the hinges and is not robust to "
             "outliers). The derivative at a hinge's kink is 0, as torch's. A NaN score gives a NaN loss "
             "(torch skips it, as NaN > 0 is false)."),
)

crammer_singer = Loss(
    "crammer_singer",
    _crammer_singer_job,
    options={"margin": 1.0},
    formula=r"\frac{1}{N}\sum_{n=1}^{N} \max\big(0,\ m + \max_{j \ne y_n} x_{nj} - x_{n y_n}\big)",
    gradient=(r"\frac{\partial L}{\partial x_{nc}} = \frac{1}{N}[z_n > 0]\big([c = j^*_n] - [c = y_n]\big),\quad "
              r"z_n = m + x_{n j^*_n} - x_{n y_n},\ j^*_n = \text{first} \arg\max_{j \ne y_n} x_{nj}"),
    properties={"task": "multi-class classification", "convex": True, "robust_to_outliers": True, "input": "scores"},
    summary=("Crammer-Singer multi-class hinge on raw class scores y_pred of shape (N, C): per row "
             "max(0, margin + max_{j != y} x_j - x_y), the margin to the best other class only. y_true holds "
             "class indices of shape (N,). The subgradient goes to the first arg-max j* (+1) and the label "
             "(-1) when the hinge is active, and is 0 at its kink. With C = 1 there is no other class and the "
             "loss is 0."),
)

categorical_hinge = Loss(
    "categorical_hinge",
    _categorical_hinge_job,
    options={},
    formula=(r"\frac{1}{N}\sum_{n=1}^{N} \max\big(0,\ \max_c (1 - t_{nc}) x_{nc} - \sum_c t_{nc} x_{nc} + 1\big)"),
    gradient=(r"\frac{\partial L}{\partial x_{nc}} = \frac{1}{N}[z_n > 0]\big([c = c^*_n](1 - t_{nc}) - t_{nc}\big),"
              r"\quad c^*_n = \text{first} \arg\max_c (1 - t_{nc}) x_{nc}"),
    properties={"task": "multi-class classification", "convex": True, "robust_to_outliers": True, "input": "scores"},
    summary=("Keras's categorical_hinge on raw class scores y_pred of shape (N, C): with targets t (one-hot "
             "or class probabilities of y_pred's shape, in [0, 1]; or class indices of shape (N,), taken as "
             "one-hot), pos = sum(t x), neg = max((1 - t) x), loss max(0, neg - pos + 1). As in Keras, "
             "(1 - t) x is 0 at a one-hot's true class, so neg >= 0: when every other score is negative the "
             "loss is max(0, 1 - x_y), not the margin to the best other class (see crammer_singer). The "
             "subgradient of the max goes to its first arg-max (TensorFlow, JAX and torch split it among "
             "ties), and is 0 at the hinge's kink."),
)
