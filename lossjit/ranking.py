"""Learning-to-rank losses over query groups given as rows.

``y_pred`` holds the scores of shape ``(Q, L)``: Q lists (queries) of L items; ``y_true`` the
relevance labels of the same shape (non-negative reals, such as graded relevance 0..4); the option
``where``, a boolean mask of that shape, marks the real items (False pads a shorter list), as in
optax. ``sample_weight`` has shape ``(Q,)``, one weight per list; ``"none"`` returns the Q list losses.

* :data:`ranking_softmax`: optax's ``ranking_softmax_loss`` (listwise softmax cross-entropy).
* :data:`pairwise_logistic`: RankNet's pairwise logistic loss, averaged over each list's pairs as
  Rax's ``pairwise_logistic_loss`` does for one list.
* :data:`margin_ranking`: torch's ``margin_ranking_loss`` over given pairs of scores, ``x1`` and ``x2``
  (a loss of three arrays, :class:`lossjit._multi_input.MultiInputLoss`).

``"mean"`` averages over the lists that have something to rank, as optax and Rax leave the others
out of their means: for the softmax, lists with at least one valid item; for the pairwise loss,
lists with at least one pair of valid items of different labels. With no such list the mean is 0.
"""

import numpy as np

from . import _validation as v
from ._kernels import paired
from ._kernels import ranking as kernels
from ._loss import Loss, PerSampleJob
from ._multi_input import MultiInputLoss, PairedJob


class _RankingJob(PerSampleJob):
    """Validated ``(Q, L)`` labels, scores and mask for a list block of the ranking kernel."""

    def __init__(self, y_true, y_pred, sample_weight, where, block):
        y_pred = v.as_array(y_pred, "y_pred")
        y_true = v.as_array(y_true, "y_true")
        if y_pred.ndim != 2:
            raise ValueError(f"y_pred must have shape (Q, L), one row of L item scores per list; got shape "
                             f"{y_pred.shape} (a single list: y_pred[None]; more batch axes: reshape(-1, L))")
        v.check_same_shape(y_true, y_pred)
        v.check_not_empty(y_pred, "y_pred")
        mask = _mask(where, y_pred.shape)
        _check_labels(y_true if mask is None else y_true[mask], mask is not None)
        self.block = block
        self.shape = y_pred.shape
        self.n_lists, self.n_items = y_pred.shape
        self.dtype = v.compute_dtype(y_pred, y_true)
        self.y_pred = v.flat(y_pred, self.dtype)
        self.y_true = v.flat(y_true, self.dtype)
        self.mask = np.ones(y_pred.size, np.bool_) if mask is None else v.flat(mask, np.dtype(np.bool_))
        self.work = self.y_pred.size * (self.n_items if block == "pairwise_logistic" else 1)
        self.weights, self.inner = v.sample_weights(sample_weight, (self.n_lists,), self.dtype)
        self.denominator = self._denominator(mask)

    def _denominator(self, mask):
        """Weight total of the lists that count for the mean; 1 when their weights sum to 0 but the others'
        do not (every w_q l_q is then 0, so the mean is 0), and 0 (an error for "mean") when all weights are 0."""
        total = v.weight_total(self.weights, self.inner, self.n_lists)
        counted = self._counted_lists(mask)
        if counted is None or total == 0:
            return total
        if self.weights.size == 0:
            counted_total = float(np.count_nonzero(counted))
        else:
            list_weights = np.repeat(self.weights, self.inner)  # (Q,) also for a single scalar weight
            counted_total = float(np.sum(list_weights[counted], dtype=np.float64))
        return counted_total if counted_total > 0 else 1.0

    def _counted_lists(self, mask):
        """Bool per list: whether it counts for the mean, or None when every list does."""
        if self.block == "softmax":
            return None if mask is None else mask.any(axis=1)
        labels = self.y_true.reshape(self.shape)  # compared in the compute dtype, as the kernel does
        if mask is None:
            return labels.max(axis=1) > labels.min(axis=1)
        return np.where(mask, labels, -np.inf).max(axis=1) > np.where(mask, labels, np.inf).min(axis=1)

    def _kernel(self, scale, grad):
        list_losses = np.empty(self.n_lists)
        total = kernels.ranking_loss[self.dtype](self.block, self.y_true, self.y_pred, self.mask, self.n_items,
                                                 self.work, self.weights, self.inner, float(scale), list_losses, grad)
        return total, list_losses


def _mask(where, shape):
    """``where`` checked: None, or a boolean array of ``shape``."""
    if where is None:
        return None
    mask = v.as_array(where, "where")
    if mask.dtype.kind != "b":
        raise TypeError(f"where must be a boolean mask (True = a real item, False = padding), got dtype {mask.dtype}")
    if mask.shape != shape:
        raise ValueError(f"where has shape {mask.shape} but y_pred has shape {shape}; the mask needs one "
                         "entry per item")
    return mask


def _check_labels(labels, masked):
    """Relevance labels of the valid items: finite and non-negative."""
    items = "items where `where` is True" if masked else "items"
    if labels.dtype.kind == "f" and not np.all(np.isfinite(labels)):
        raise ValueError(f"y_true (relevance labels) must be finite at the {items}; found NaN or inf")
    if labels.size and labels.min() < 0:
        raise ValueError(f"y_true (relevance labels) must be >= 0 at the {items}; found {labels.min()}")


def _softmax_job(y_true, y_pred, sample_weight, where):
    return _RankingJob(y_true, y_pred, sample_weight, where, "softmax")


def _pairwise_logistic_job(y_true, y_pred, sample_weight, where):
    return _RankingJob(y_true, y_pred, sample_weight, where, "pairwise_logistic")


ranking_softmax = Loss(
    "ranking_softmax",
    _softmax_job,
    options={"where": None},
    formula=(r"\frac{1}{\sum_{q \in C} w_q}\sum_{q=1}^{Q} w_q \ell_q,\quad "
             r"\ell_q = -\sum_{i \in V_q} y_{qi} \log \frac{e^{s_{qi}}}{\sum_{j \in V_q} e^{s_{qj}}},\quad "
             r"C = \{q : V_q \neq \emptyset\}"),
    gradient=(r"\frac{\partial L}{\partial s_{qi}} = \frac{w_q}{\sum_{r \in C} w_r}\left[\Big(\sum_{j \in V_q} "
              r"y_{qj}\Big) \frac{e^{s_{qi}}}{\sum_{j \in V_q} e^{s_{qj}}} - y_{qi}\right] \ (i \in V_q),"
              r"\quad 0\ (i \notin V_q)"),
    properties={"task": "ranking", "convex": True, "robust_to_outliers": False, "input": "scores"},
    summary=("Listwise softmax cross-entropy for learning to rank, as optax.losses.ranking_softmax_loss: for "
             "each list (row) of scores y_pred of shape (Q, L) and relevance labels y_true >= 0 of that shape, "
             "-sum_i y_i log softmax(s)_i over the valid items V (where=True; all items without where). The "
             "labels are not normalised (as in optax): graded labels weigh the list by their sum, and a list "
             "whose labels are all 0 costs 0 with a zero gradient. Masked items get a zero gradient and may hold "
             "any label and score. sample_weight has shape (Q,); \"mean\" averages over the lists with at least "
             "one valid item (0 when there is none), \"none\" gives the Q list losses."),
)

pairwise_logistic = Loss(
    "pairwise_logistic",
    _pairwise_logistic_job,
    options={"where": None},
    formula=(r"\frac{1}{\sum_{q \in C} w_q}\sum_{q=1}^{Q} w_q \ell_q,\quad "
             r"\ell_q = \frac{1}{|P_q|}\sum_{(i, j) \in P_q} \log\left(1 + e^{-(s_{qi} - s_{qj})}\right),\quad "
             r"P_q = \{(i, j) \in V_q^2 : y_{qi} > y_{qj}\},\quad C = \{q : P_q \neq \emptyset\}"),
    gradient=(r"\frac{\partial L}{\partial s_{qk}} = \frac{w_q}{|P_q| \sum_{r \in C} w_r}\left[\sum_{(i, k) \in P_q}"
              r" \sigma(s_{qk} - s_{qi}) - \sum_{(k, j) \in P_q} \sigma(s_{qj} - s_{qk})\right]"),
    properties={"task": "ranking", "convex": True, "robust_to_outliers": False, "input": "scores"},
    summary=("Pairwise logistic (RankNet) loss for learning to rank: for each list (row) of scores y_pred of "
             "shape (Q, L) and relevance labels y_true >= 0, the mean over the pairs (i, j) of valid items "
             "(where=True; all items without where) with y_i > y_j of log(1 + exp(-(s_i - s_j))), computed "
             "stably for any score difference. The mean over a list's pairs is what Rax's "
             "pairwise_logistic_loss gives for that list with its default reduce_fn=jnp.mean; a list without "
             "pairs (one valid item, or equal labels) costs 0. sample_weight has shape (Q,); \"mean\" averages "
             "over the lists with at least one pair (0 when there is none; Rax's mean over a batch instead "
             "pools all pairs), \"none\" gives the Q list losses. O(L^2) per list."),
)


def _margin_ranking_job(y_true, x1, x2, *, sample_weight=None, margin):
    margin = v.check_real_number(margin, "margin")
    labels = v.as_array(y_true, "y_true")
    if labels.size and not np.isin(labels, (-1, 1)).all():
        raise ValueError("y_true must hold 1 (x1 should rank higher) or -1 (x2 should); found "
                         f"{np.unique(labels[~np.isin(labels, (-1, 1))])[:5]}")
    return PairedJob(paired.MARGIN_RANKING, ("y_true", "x1", "x2"), labels, x1, x2, sample_weight, (margin, 0.0),
                     spread=False)


margin_ranking = MultiInputLoss(
    "margin_ranking",
    _margin_ranking_job,
    inputs=("y_true", "x1", "x2"),
    differentiable=("x1", "x2"),
    options={"margin": 0.0},
    formula=r"\frac{1}{n}\sum_{i=1}^{n} \max\bigl(0,\ m - y_i (x_{1i} - x_{2i})\bigr)",
    gradient=(r"\frac{\partial L}{\partial x_{1i}} = -\frac{y_i}{n}\,[m - y_i (x_{1i} - x_{2i}) \ge 0],\quad "
              r"\frac{\partial L}{\partial x_{2i}} = \frac{y_i}{n}\,[m - y_i (x_{1i} - x_{2i}) \ge 0]"),
    properties={"task": "ranking", "convex": True, "robust_to_outliers": True, "input": "scores of pairs"},
    summary=("Margin ranking loss of pairs of scores, as torch's margin_ranking_loss: y_true = 1 says x1 should "
             "score at least margin above x2, -1 the reverse; each pair costs max(0, margin - y (x1 - x2)). "
             "Gradients for x1 and x2 (torch's subgradient at the hinge: the slope where the hinge is exactly 0)."),
)
