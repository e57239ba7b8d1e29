"""Sequence losses: CTC for unaligned label sequences, and token cross-entropy with padding.

* :data:`ctc`: connectionist temporal classification over ``(T, N, C)``
  scores (torch's layout), for targets shorter than the input and not
  aligned to it (speech, handwriting).
* :data:`sequence_cross_entropy`: softmax cross-entropy per token over
  ``(N, T, C)`` logits, averaged over the tokens a ``(N, T)`` 0/1 ``mask``
  keeps. It is ``cross_entropy`` with the mask as a weight, so it runs the
  softmax kernel.
"""

import numpy as np

from . import _validation as v
from ._kernels import ctc as ctc_kernels
from ._loss import Loss, PerSampleJob
from .classification import _SoftmaxJob

def _integers(value, name):
    """``value`` as an int64 array, or a TypeError/ValueError naming it."""
    array = v.as_array(value, name)
    if array.dtype.kind == "b":
        raise TypeError(f"{name} must hold integers, got bool")
    if array.dtype.kind == "f" and (not np.all(np.isfinite(array)) or np.any(array != np.round(array))):
        raise ValueError(f"{name} must hold integers")
    return v.int64_array(array, name)


def _lengths(value, name, n_samples, high, default):
    """Per-sample lengths of shape (N,) in [0, high] (``default`` for all when None)."""
    if value is None:
        return np.full(n_samples, default, np.int64)
    lengths = _integers(value, name)
    if lengths.shape != (n_samples,):
        raise ValueError(f"{name} must have shape ({n_samples},), one length per sample; got {lengths.shape}")
    lowest, highest = v.label_range[lengths.dtype](lengths) if lengths.size else (0, 0)
    if lowest < 0 or highest > high:
        raise ValueError(f"{name} must lie in [0, {high}]; found {lowest} to {highest}")
    return lengths


class _CTCJob(PerSampleJob):
    """Validated scores, lengths and concatenated targets for the CTC kernel."""

    def __init__(self, y_true, y_pred, sample_weight, input_lengths, target_lengths, blank, from_logits,
                 zero_infinity):
        y_pred = v.as_array(y_pred, "y_pred")
        if y_pred.ndim != 3:
            raise ValueError(f"y_pred must have shape (T, N, C) (time, batch, classes); got shape {y_pred.shape}")
        v.check_not_empty(y_pred, "y_pred")
        n_steps, n_samples, n_classes = y_pred.shape
        if isinstance(blank, (bool, np.bool_)) or not isinstance(blank, (int, np.integer)):
            raise TypeError(f"blank must be an integer, got {type(blank).__name__}")
        if not 0 <= blank < n_classes:
            raise ValueError(f"blank must lie in [0, {n_classes}) for {n_classes} classes, got {blank}")
        if not from_logits and np.any(y_pred > 0):
            raise ValueError("with from_logits=False y_pred holds log-probabilities, which must be <= 0; "
                             f"found values up to {np.nanmax(y_pred)} (pass from_logits=True for logits)")
        self.input_lengths = _lengths(input_lengths, "input_lengths", n_samples, n_steps, n_steps)
        self.labels, self.label_starts, self.target_lengths = self._targets(y_true, target_lengths, n_samples)
        lowest, highest = v.label_range[self.labels.dtype](self.labels) if self.labels.size else (0, 0)
        if lowest < 0 or highest >= n_classes:
            raise ValueError(f"y_true (the targets) must lie in [0, {n_classes}); found {lowest} to {highest}")
        if self.labels.size and v.count_equal[self.labels.dtype](self.labels, int(blank)):
            raise ValueError(f"y_true (the targets) must not contain the blank class {blank}")
        self.dtype = v.compute_dtype(y_pred)
        self.shape = y_pred.shape
        self.y_pred = v.flat(y_pred, self.dtype)
        self.n_samples, self.n_classes = n_samples, n_classes
        self.blank = int(blank)
        self.from_logits = bool(from_logits)
        self.zero_infinity = bool(zero_infinity)
        weights, inner = v.sample_weights(sample_weight, (n_samples,), np.float64)
        self.weights = np.repeat(weights, inner) if weights.size else np.ones(n_samples)
        self.denominator = v.weight_total(weights, inner, n_samples)
        # the scores and the recursions' states: the kernel runs in parallel from PARALLEL_THRESHOLD
        self.work = y_pred.size + int(np.dot(self.input_lengths, 2 * self.target_lengths + 1))
        self.divide_by_target_length = False  # set by _CTCLoss for reduction="mean"

    @staticmethod
    def _targets(y_true, target_lengths, n_samples):
        """(concatenated labels, start of each sample's labels, target lengths)."""
        targets = _integers(y_true, "y_true")
        if targets.ndim == 2:
            if targets.shape[0] != n_samples:
                raise ValueError(f"padded y_true (the targets) must have shape ({n_samples}, S); got {targets.shape}")
            width = targets.shape[1]
            lengths = _lengths(target_lengths, "target_lengths", n_samples, width, width)
            if v.label_range[lengths.dtype](lengths)[0] == width:  # every target fills its row: the rows are the labels
                return targets.reshape(-1), np.arange(n_samples, dtype=np.int64) * width, lengths
            labels = targets[np.arange(width) < lengths[:, None]]
        elif targets.ndim == 1:
            if target_lengths is None:
                raise ValueError("y_true (the targets) is 1-D, so it holds every target one after the other "
                                 "and target_lengths is required")
            lengths = _lengths(target_lengths, "target_lengths", n_samples, targets.size, 0)
            if lengths.sum() != targets.size:
                raise ValueError(f"target_lengths sum to {lengths.sum()} but the 1-D y_true (the concatenated "
                                 f"targets) holds {targets.size} labels")
            labels = targets
        else:
            raise ValueError("y_true (the targets) must be a padded (N, S) array or the 1-D concatenation of "
                             f"every target; got shape {targets.shape}")
        starts = np.zeros(n_samples, np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        return labels, starts, lengths

    def _kernel(self, scale, grad):
        sample_scales = self.weights
        if self.divide_by_target_length:
            sample_scales = sample_scales / np.maximum(self.target_lengths, 1)
        sample_losses = np.empty(self.n_samples)

        def run(block, samples):
            return ctc_kernels.ctc_loss[self.dtype](
                block, self.y_pred, self.n_samples, self.n_classes, self.labels, self.label_starts,
                self.target_lengths, self.input_lengths, samples, self.blank, self.from_logits, self.zero_infinity,
                sample_scales, float(scale), self.work, sample_losses, grad,
                *ctc_kernels.helper_addresses(self.dtype, grad.size > 0))

        total = run("scaled", np.arange(self.n_samples))
        if total != total:  # a NaN sample: the scaled recursions could not be used for it (or its scores are NaN)
            total = run("log space", np.flatnonzero(np.isnan(sample_losses)))
        return total, sample_losses


class _CTCLoss(Loss):
    """CTC's mean divides each sample's loss by its target length first (as torch), so the job needs the reduction."""

    def _job(self, y_true, y_pred, sample_weight, reduction, options):
        job = super()._job(y_true, y_pred, sample_weight, reduction, options)
        job.divide_by_target_length = reduction == "mean"
        return job


ctc = _CTCLoss(
    "ctc",
    _CTCJob,
    options={"input_lengths": None, "target_lengths": None, "blank": 0, "from_logits": True,
             "zero_infinity": False},
    formula=(r"\frac{1}{N}\sum_{n=1}^{N} \frac{-\log p(l_n \mid x_n)}{|l_n|},\quad "
             r"p(l \mid x) = \sum_{\pi \in \mathcal{B}^{-1}(l)} \prod_{t=1}^{T} y^t_{\pi_t}"),
    gradient=(r"\frac{\partial (-\log p)}{\partial z^t_k} = y^t_k - \frac{1}{p(l \mid x)}"
              r"\sum_{s:\, l'_s = k} \alpha_t(s) \beta_t(s)"),
    properties={"task": "sequence labelling without alignment", "convex": False, "robust_to_outliers": False,
                "input": "logits or log-probabilities"},
    summary=("Connectionist temporal classification (Graves et al. 2006): the negative log-probability of "
             "the target summed over every alignment that collapses to it (merge repeats, drop blanks), by "
             "forward-backward in log space. y_pred has shape (T, N, C) as in torch: logits (from_logits=True, "
             "log-softmax taken inside) or log-probabilities (from_logits=False; the gradient is then the exact "
             "-posterior, whereas torch returns the logits' gradient). y_true, the targets, is a padded (N, S) "
             "integer array or the 1-D concatenation of all targets; input_lengths and target_lengths (N,) "
             "default to the full T and S. reduction='mean' averages loss_n / max(target_length_n, 1) over the "
             "batch (torch's convention), weighted by sample_weight (N,); 'sum' and 'none' use loss_n itself. "
             "An infeasible target gives inf (NaN gradient), or 0 with a zero gradient if zero_infinity=True."),
)


def _sequence_cross_entropy_job(y_true, y_pred, sample_weight, mask, from_logits, class_weight, ignore_index,
                                label_smoothing):
    y_pred = v.as_array(y_pred, "y_pred")
    y_true = v.as_array(y_true, "y_true")
    if y_pred.ndim != 3:
        raise ValueError(f"y_pred must have shape (N, T, C) (batch, time, classes); got shape {y_pred.shape}")
    token_shape = y_pred.shape[:2]
    if mask is not None:
        mask = v.as_array(mask, "mask")
        if mask.shape != token_shape:
            raise ValueError(f"mask must have shape {token_shape}, one 0/1 per token; got {mask.shape}")
        if not np.all((mask == 0) | (mask == 1)):
            raise ValueError("mask must hold only 0 and 1 (or booleans)")
        keep = mask.astype(bool)
        weights, inner = v.sample_weights(sample_weight, token_shape, np.float64)
        weights = np.repeat(weights, inner) if weights.size else np.ones(keep.size)
        sample_weight = weights.reshape(token_shape) * keep
        # Values at masked tokens are never read: padding may hold any label.
        if y_true.shape == token_shape:
            if y_true.dtype.kind in "iu" and y_true.dtype != np.int64:
                # np.where would cast ignore_index to y_true's dtype and wrap it (-100 is 156 in uint8).
                v.check_fits_int64(y_true[keep], "y_true")  # only the kept labels: padding may hold any value
                y_true = y_true.astype(np.int64)
            y_true = np.where(keep, y_true, ignore_index)
        elif y_true.shape == y_pred.shape:
            y_true = np.where(keep[..., None], y_true, 0)
    return _SoftmaxJob(y_true, y_pred, sample_weight, from_logits, -1, class_weight, ignore_index, label_smoothing)


sequence_cross_entropy = Loss(
    "sequence_cross_entropy",
    _sequence_cross_entropy_job,
    options={"mask": None, "from_logits": True, "class_weight": None, "ignore_index": -100, "label_smoothing": 0.0},
    formula=(r"\frac{\sum_{n,t} m_{nt}\, \ell_{nt}}{\sum_{n,t} m_{nt}},\quad "
             r"\ell_{nt} = -\log \operatorname{softmax}(z_{nt})_{y_{nt}}"),
    gradient=(r"\frac{\partial L}{\partial z_{ntc}} = \frac{m_{nt}}{\sum m}"
              r"(\operatorname{softmax}(z_{nt})_c - [c = y_{nt}])"),
    properties={"task": "sequence labelling, language modelling", "convex": True, "robust_to_outliers": False,
                "input": "logits or probabilities"},
    summary=("Token-level softmax cross-entropy for padded sequences: y_pred (N, T, C) logits, y_true (N, T) "
             "class indices (or (N, T, C) probabilities), mask (N, T) of 0/1; the mean is over the tokens the "
             "mask keeps. It equals cross_entropy(y_true, y_pred, sample_weight=mask) and shares its options; "
             "labels under the mask are never read, so padding may hold any value. sample_weight, (N,) per "
             "sequence or (N, T) per token, multiplies the mask."),
)
