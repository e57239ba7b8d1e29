"""Segmentation losses over ``(N, C, *spatial)`` maps, classes on axis 1.

* :data:`dice`: the soft Dice loss, per sample and class, averaged over classes.
* :data:`tversky`: the Tversky loss, Dice with false positives weighed by
  ``alpha`` and false negatives by ``beta``, per sample and class likewise.
* Pixel-wise cross-entropy needs no new kernel: ``lj.cross_entropy(labels,
  logits, from_logits=True, axis=1)`` with ``labels`` of shape ``(N, H, W)``
  and ``logits`` of shape ``(N, C, H, W)`` averages over every pixel (and
  takes ``class_weight``, ``ignore_index`` for unlabelled pixels, and a
  ``sample_weight`` of shape ``(N,)`` or ``(N, H, W)``).
"""

import numpy as np

from . import _validation as v
from ._kernels import dice as kernels
from ._loss import Loss, PerSampleJob


class _DiceJob(PerSampleJob):
    """Validated ``(N, C, S)`` maps for the Dice kernel."""

    block = "dice"
    alpha = beta = 0.5  # the Tversky block's options: the Dice block ignores them

    def __init__(self, y_true, y_pred, sample_weight, from_logits, smooth):
        y_pred = v.as_array(y_pred, "y_pred")
        y_true = v.as_array(y_true, "y_true")
        if y_pred.ndim < 2:
            raise ValueError("y_pred must have shape (N, C, *spatial) with classes on axis 1; "
                             f"got shape {y_pred.shape}")
        v.check_not_empty(y_pred, "y_pred")
        self.smooth = v.check_positive_number(smooth, "smooth", allow_zero=True)
        if not from_logits:
            v.check_in_range(y_pred, "y_pred", 0, 1)
        self.shape = y_pred.shape
        n_samples, self.n_classes = y_pred.shape[:2]
        self.n_spatial = y_pred.size // (n_samples * self.n_classes)
        label_shape = y_pred.shape[:1] + y_pred.shape[2:]
        if y_true.shape == y_pred.shape:
            v.check_in_range(y_true, "y_true", 0, 1)
            labels = None
        elif y_true.shape == label_shape:
            labels = self._labels(y_true)
        else:
            raise ValueError(
                f"y_true has shape {y_true.shape}; for y_pred of shape {y_pred.shape} (classes on axis 1) it "
                f"must hold class indices of shape {label_shape} or class probabilities of shape {y_pred.shape}"
            )
        self.dtype = v.compute_dtype(y_pred, None if labels is not None else y_true)
        self.y_pred = v.flat(y_pred, self.dtype)
        self.labels = np.empty(0, np.int64) if labels is None else labels
        self.target = np.empty(0, self.dtype) if labels is not None else v.flat(y_true, self.dtype)
        if not from_logits:
            self.activation = kernels.PROBABILITIES
        else:
            self.activation = kernels.SOFTMAX if self.n_classes > 1 else kernels.SIGMOID
        self.weights, self.inner = v.sample_weights(sample_weight, (n_samples,), self.dtype)
        self.denominator = v.weight_total(self.weights, self.inner, n_samples)
        self.n_samples = n_samples

    def _labels(self, y_true):
        if self.n_classes == 1:
            raise ValueError("with a single channel, y_true must have y_pred's shape (a 0/1 mask), "
                             "e.g. mask[:, None]; class indices need C >= 2 channels")
        if y_true.dtype.kind == "b":
            raise TypeError("y_true class indices must be integers, got bool")
        if y_true.dtype.kind == "f" and (not np.all(np.isfinite(y_true)) or np.any(y_true != np.round(y_true))):
            raise ValueError("y_true holds class indices here (its shape is y_pred's without axis 1), "
                             "so it must be integers")
        if y_true.min() < 0 or y_true.max() >= self.n_classes:
            raise ValueError(f"y_true class indices must lie in [0, {self.n_classes}); "
                             f"found {y_true.min()} to {y_true.max()}")
        return v.flat(y_true, np.int64)

    def _kernel(self, scale, grad):
        sample_losses = np.empty(self.n_samples)
        total = kernels.dice_loss[self.dtype](self.block, self.y_pred, self.labels, self.target, self.activation,
                                              self.smooth, self.alpha, self.beta, self.n_classes, self.n_spatial,
                                              self.weights, self.inner, self.dtype.type(scale), sample_losses, grad,
                                              kernels.backward_address(self.dtype, grad.size > 0))
        return total, sample_losses


class _TverskyJob(_DiceJob):
    """Dice's validated maps, for the Tversky block with its ``alpha`` and ``beta``."""

    block = "tversky"

    def __init__(self, y_true, y_pred, sample_weight, alpha, beta, from_logits, smooth):
        self.alpha = v.check_positive_number(alpha, "alpha", allow_zero=True)
        self.beta = v.check_positive_number(beta, "beta", allow_zero=True)
        if self.alpha == 0 and self.beta == 0:
            raise ValueError("alpha and beta must not both be 0: the Tversky loss would then be 0 for any "
                             "prediction (the denominator equals the numerator)")
        super().__init__(y_true, y_pred, sample_weight, from_logits, smooth)


dice = Loss(
    "dice",
    _DiceJob,
    options={"from_logits": False, "smooth": 1.0},
    formula=(r"\frac{1}{N}\sum_{n=1}^{N} \frac{1}{C}\sum_{c=1}^{C}\left[1 - "
             r"\frac{2\sum_s \hat{y}_{ncs} y_{ncs} + \varepsilon}"
             r"{\sum_s \hat{y}_{ncs} + \sum_s y_{ncs} + \varepsilon}\right]"),
    gradient=(r"\frac{\partial L}{\partial \hat{y}_{ncs}} = \frac{1}{NC}\left[\frac{2 I_{nc} + \varepsilon}{D_{nc}^2}"
              r" - \frac{2 y_{ncs}}{D_{nc}}\right],\quad I_{nc} = \sum_s \hat{y}_{ncs} y_{ncs},\ "
              r"D_{nc} = \sum_s \hat{y}_{ncs} + \sum_s y_{ncs} + \varepsilon"),
    properties={"task": "segmentation", "convex": False, "robust_to_outliers": True,
                "input": "probabilities or logits"},
    summary=("Soft Dice loss over y_pred of shape (N, C, *spatial), classes on axis 1: per sample and class "
             "1 - (2 sum(p t) + smooth) / (sum(p) + sum(t) + smooth), averaged over classes, then reduced over "
             "samples (sample_weight has shape (N,)). y_true holds class probabilities or one-hot maps of "
             "y_pred's shape, or class indices of shape (N, *spatial). With from_logits=True, p is the softmax "
             "over axis 1 (the sigmoid when C = 1). smooth (default 1.0, the epsilon of the formula) keeps an "
             "empty class finite: with smooth=0 a class absent from both maps gives 0/0 = NaN."),
)


tversky = Loss(
    "tversky",
    _TverskyJob,
    options={"alpha": 0.5, "beta": 0.5, "from_logits": False, "smooth": 1.0},
    formula=(r"\frac{1}{N}\sum_{n=1}^{N} \frac{1}{C}\sum_{c=1}^{C}\left[1 - "
             r"\frac{\sum_s \hat{y}_{ncs} y_{ncs} + \varepsilon}{\sum_s \hat{y}_{ncs} y_{ncs}"
             r" + \alpha \sum_s \hat{y}_{ncs} (1 - y_{ncs}) + \beta \sum_s (1 - \hat{y}_{ncs}) y_{ncs}"
             r" + \varepsilon}\right]"),
    gradient=(r"\frac{\partial L}{\partial \hat{y}_{ncs}} = \frac{1}{NC}\left[\frac{\alpha B_{nc}}{A_{nc}^2}"
              r" - \frac{\alpha (B_{nc} + FP_{nc}) + \beta (B_{nc} + FN_{nc})}{A_{nc}^2} y_{ncs}\right],\quad "
              r"B_{nc} = I_{nc} + \varepsilon,\ A_{nc} = B_{nc} + \alpha FP_{nc} + \beta FN_{nc},\ "
              r"I_{nc} = \sum_s \hat{y}_{ncs} y_{ncs},\ FP_{nc} = \sum_s \hat{y}_{ncs} (1 - y_{ncs}),\ "
              r"FN_{nc} = \sum_s (1 - \hat{y}_{ncs}) y_{ncs}"),
    properties={"task": "segmentation", "convex": False, "robust_to_outliers": True,
                "input": "probabilities or logits"},
    summary=("Tversky loss over y_pred of shape (N, C, *spatial), classes on axis 1, with dice's inputs: per "
             "sample and class 1 - (I + smooth) / (I + alpha FP + beta FN + smooth), where I = sum(p t), "
             "FP = sum(p (1 - t)) and FN = sum((1 - p) t), averaged over classes, then reduced over samples "
             "(sample_weight has shape (N,)). alpha weighs false positives and beta false negatives (both >= 0, "
             "not both 0; beta > alpha favours recall, as for small structures). With alpha = beta = 1/2 it is "
             "the Dice loss with twice the smooth: tversky(y, p, smooth=s) == dice(y, p, smooth=2 s). "
             "keras.losses.tversky makes one ratio over the whole batch (axis=None, its default) or one per "
             "slice left by the summed axes, with no smooth in the numerator and epsilon 1e-7 in the "
             "denominator only: with smooth=0, tversky(..., reduction='none') is Keras's tversky(axis=spatial "
             "axes) averaged over classes, up to that epsilon, and Keras's batch-wide default is tversky of the "
             "maps reshaped to (1, 1, -1). Keras up to 3.15 weighs false negatives by alpha and false positives "
             "by beta (swapped; fixed by keras-team/keras#23333 for 3.16)."),
)
