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
from .classification import binary_cross_entropy, cross_entropy
from .regression import huber, mae, mse
from .segmentation import dice
from .sequence import ctc, sequence_cross_entropy

__version__ = "0.1.0"

losses = {loss.name: loss for loss in (mse, mae, huber, binary_cross_entropy, cross_entropy, dice, ctc,
                                       sequence_cross_entropy)}

__all__ = [
    "EPSILON",
    "Loss",
    "PointwiseLoss",
    "binary_cross_entropy",
    "cross_entropy",
    "ctc",
    "dice",
    "huber",
    "losses",
    "mae",
    "mse",
    "sequence_cross_entropy",
]
