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
from ._pointwise import pointwise_loss
from ._table import loss_table
from .classification import (binary_cross_entropy, cross_entropy, focal, hinge, kl_divergence,
                             softmax_focal, squared_hinge)
from .gradcheck import GradientCheckError, check_grad
from .regression import huber, log_cosh, mae, mse, poisson, quantile, smooth_l1
from .segmentation import dice
from .sequence import ctc, sequence_cross_entropy

__version__ = "0.1.0"

losses = {loss.name: loss for loss in (mse, mae, huber, binary_cross_entropy, cross_entropy,
                                       log_cosh, quantile, poisson, smooth_l1, focal, hinge,
                                       squared_hinge, kl_divergence, softmax_focal, dice, ctc,
                                       sequence_cross_entropy)}
#: The names of lossjit's own losses; ``pointwise_loss(register=True)`` adds a user's beside them.
BUILT_IN = frozenset(losses)

__all__ = [
    "BUILT_IN",
    "EPSILON",
    "GradientCheckError",
    "Loss",
    "PointwiseLoss",
    "binary_cross_entropy",
    "check_grad",
    "cross_entropy",
    "ctc",
    "dice",
    "focal",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "loss_table",
    "losses",
    "mae",
    "mse",
    "poisson",
    "pointwise_loss",
    "quantile",
    "sequence_cross_entropy",
    "smooth_l1",
    "softmax_focal",
    "squared_hinge",
]
