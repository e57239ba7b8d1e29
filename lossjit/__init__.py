"""lossjit: Numba-compiled parallel loss functions and their gradients.

Every loss is an object with the same API (Keras argument order)::

    import lossjit as lj
    lj.mse(y_true, y_pred)                      # the loss, reduction="mean"
    lj.mse.grad(y_true, y_pred)                 # d loss / d y_pred
    lj.mse.value_and_grad(y_true, y_pred)       # both, in one fused pass

``lj.losses`` maps each name to its loss object, which carries its formula,
gradient (LaTeX) and properties.
"""

from ._config import EPSILON
from ._loss import Loss, PointwiseLoss
from ._multi_input import MultiInputLoss
from ._pointwise import pointwise_loss
from ._table import loss_table
from .classification import (binary_cross_entropy, cross_entropy, focal, hinge, kl_divergence,
                             softmax_focal, squared_hinge)
from .embedding import contrastive, cosine_embedding, triplet_margin
from .gradcheck import GradientCheckError, check_grad
from .info_nce import info_nce, ntxent
from .multiclass import categorical_hinge, crammer_singer, multi_margin
from .probabilistic import gaussian_nll, laplace_nll
from .ranking import margin_ranking, pairwise_logistic, ranking_softmax
from .regression import huber, log_cosh, mae, mse, poisson, quantile, smooth_l1
from .segmentation import dice, tversky
from .sequence import ctc, sequence_cross_entropy
from .softmax_variants import poly1_cross_entropy, sparsemax_loss

__version__ = "0.1.0"

losses = {loss.name: loss for loss in (mse, mae, huber, binary_cross_entropy, cross_entropy,
                                       log_cosh, quantile, poisson, smooth_l1, focal, hinge,
                                       squared_hinge, kl_divergence, softmax_focal, dice, ctc,
                                       sequence_cross_entropy,
                                       # catalogue II
                                       gaussian_nll, laplace_nll, multi_margin, crammer_singer,
                                       categorical_hinge, poly1_cross_entropy, sparsemax_loss,
                                       tversky, margin_ranking, pairwise_logistic, ranking_softmax,
                                       triplet_margin, contrastive, cosine_embedding, info_nce, ntxent)}
#: The names of lossjit's own losses; ``pointwise_loss(register=True)`` adds a user's beside them.
BUILT_IN = frozenset(losses)

__all__ = [
    "BUILT_IN",
    "EPSILON",
    "GradientCheckError",
    "Loss",
    "MultiInputLoss",
    "PointwiseLoss",
    "binary_cross_entropy",
    "categorical_hinge",
    "check_grad",
    "contrastive",
    "cosine_embedding",
    "crammer_singer",
    "cross_entropy",
    "ctc",
    "dice",
    "focal",
    "gaussian_nll",
    "hinge",
    "huber",
    "info_nce",
    "kl_divergence",
    "laplace_nll",
    "log_cosh",
    "loss_table",
    "losses",
    "mae",
    "margin_ranking",
    "mse",
    "multi_margin",
    "ntxent",
    "pairwise_logistic",
    "pointwise_loss",
    "poisson",
    "poly1_cross_entropy",
    "quantile",
    "ranking_softmax",
    "sequence_cross_entropy",
    "smooth_l1",
    "softmax_focal",
    "sparsemax_loss",
    "squared_hinge",
    "triplet_margin",
    "tversky",
]
