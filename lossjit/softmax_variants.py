"""Row losses of logits beside the softmax cross-entropy, as optax defines them.

* :data:`poly1_cross_entropy`: cross-entropy plus ``epsilon`` times ``1 - p_t`` (Leng et al. 2022),
  ``optax.losses.poly_loss_cross_entropy``.
* :data:`sparsemax_loss`: the loss of the sparsemax projection (Martins & Astudillo 2016),
  ``optax.losses.multiclass_sparsemax_loss``.

Both take logits with classes on ``axis`` (the last by default) and ``y_true`` as class indices
(y_pred's shape without the class axis) or class probabilities (y_pred's shape), validated as
:data:`lossjit.cross_entropy` validates them; the mean is ``sum_n s_n l_n / sum_n s_n``.
"""

from . import _validation as v
from ._kernels import poly1 as poly1_kernels
from ._kernels import sparsemax as sparsemax_kernels
from ._loss import Loss
from ._threads import after_kernel
from .classification import _SoftmaxRows


class _Poly1Job(_SoftmaxRows):
    """Validated rows of logits for the poly-1 kernel."""

    def __init__(self, y_true, y_pred, sample_weight, epsilon, axis):
        epsilon = v.check_real_number(epsilon, "epsilon")
        super().__init__(y_true, y_pred, sample_weight, True, axis)
        self.epsilon = float(self.dtype.type(epsilon))  # the value the element maths of the dtype sees
        self.denominator = v.weight_total(self.row_weights, self.inner, self.y_pred.size // self.n_classes)

    def _kernel(self, scale, row_losses, grad):
        total = poly1_kernels.poly1_cross_entropy[self.dtype](
            "labels" if self.labels.size else "targets", self.y_pred, self.labels, self.target, v.EMPTY[self.dtype],
            (self.epsilon, 0.0, 0), self.row_weights, self.inner, self.n_classes, float(scale), row_losses, grad)
        after_kernel(self.y_pred.size)
        return total


poly1_cross_entropy = Loss(
    "poly1_cross_entropy",
    _Poly1Job,
    options={"epsilon": 2.0, "axis": -1},
    formula=(r"\frac{1}{n}\sum_{i=1}^{n}\Big[-\sum_{c=1}^{C} y_{ic} \log \hat{y}_{ic} + \epsilon \sum_{c=1}^{C} "
             r"y_{ic} (1 - \hat{y}_{ic})\Big],\quad \hat{y}_{ic} = \operatorname{softmax}(z_i)_c"),
    gradient=(r"\frac{\partial L}{\partial z_{ic}} = \frac{1}{n}\Big(\hat{y}_{ic} \sum_{k} y_{ik} - y_{ic} + "
              r"\epsilon\, \hat{y}_{ic} (p_{t,i} - y_{ic})\Big),\quad p_{t,i} = \sum_{k} y_{ik} \hat{y}_{ik}"),
    properties={"task": "multi-class classification", "convex": False, "robust_to_outliers": False,
                "input": "logits"},
    summary=("Poly-1 cross-entropy (Leng et al. 2022, PolyLoss): the softmax cross-entropy plus epsilon (1 - p_t), "
             "the first term of its expansion in (1 - p_t) re-weighted; optax.losses.poly_loss_cross_entropy, "
             "whose default epsilon is 2.0 (the paper's for ImageNet; -1.0 for detection). y_pred holds logits "
             "with classes on axis; y_true holds class indices (y_pred's shape without the class axis) or class "
             "probabilities t (y_pred's shape), for which the added term is epsilon sum_c t_c (1 - p_c). "
             "epsilon = 0 gives cross_entropy(..., from_logits=True). Any finite epsilon is accepted; below -1 "
             "the loss can be negative. Computed stably for logits of any size."),
)


class _SparsemaxJob(_SoftmaxRows):
    """Validated rows of logits for the sparsemax kernel."""

    def __init__(self, y_true, y_pred, sample_weight, axis):
        super().__init__(y_true, y_pred, sample_weight, True, axis)
        self.denominator = v.weight_total(self.row_weights, self.inner, self.y_pred.size // self.n_classes)

    def _kernel(self, scale, row_losses, grad):
        total = sparsemax_kernels.sparsemax_loss[self.dtype](
            "labels" if self.labels.size else "targets", self.y_pred, self.labels, self.target, v.EMPTY[self.dtype],
            (0.0, 0.0, 0), self.row_weights, self.inner, self.n_classes, float(scale), row_losses, grad)
        after_kernel(self.y_pred.size)
        return total


sparsemax_loss = Loss(
    "sparsemax_loss",
    _SparsemaxJob,
    options={"axis": -1},
    formula=(r"\frac{1}{n}\sum_{i=1}^{n}\Big[-y_i^\top z_i + \tfrac{1}{2}\sum_{c \in S_i}(z_{ic}^2 - \tau_i^2) "
             r"+ \tfrac{1}{2}\lVert y_i \rVert^2\Big],\quad \hat{y}_{ic} = \max(z_{ic} - \tau_i, 0),\ "
             r"\sum_c \hat{y}_{ic} = 1,\ S_i = \{c : \hat{y}_{ic} > 0\}"),
    gradient=r"\frac{\partial L}{\partial z_{ic}} = \frac{1}{n}(\hat{y}_{ic} - y_{ic})",
    properties={"task": "multi-class classification", "convex": True, "robust_to_outliers": False,
                "input": "logits"},
    summary=("Sparsemax loss (Martins & Astudillo 2016): the loss whose gradient is sparsemax(z) - y, where "
             "sparsemax(z) is the Euclidean projection of the logits onto the probability simplex (a "
             "distribution with exact zeros). With class indices it is optax.losses.multiclass_sparsemax_loss "
             "(optax.losses.sparsemax_loss is the binary case: logits [0, x] here). y_pred holds logits with "
             "classes on axis; y_true holds class indices (y_pred's shape without the class axis) or class "
             "probabilities (y_pred's shape). For targets that sum to 1 the loss is >= 0, zero exactly when "
             "sparsemax(z) = y, and unchanged by adding a constant to a row of logits; other targets get the "
             "same formula, which then depends on that constant. Computed stably for logits of any size."),
)
