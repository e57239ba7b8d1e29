"""Metric-learning losses over rows of embeddings, with a gradient for every embedding array.

* :data:`triplet_margin`: an anchor nearer its positive than its negative by a margin (torch's
  ``triplet_margin_loss``).
* :data:`cosine_embedding`: pairs labelled similar (1) or dissimilar (-1) by their cosine (torch's
  ``cosine_embedding_loss``).
* :data:`contrastive`: pairs labelled similar (1) or dissimilar (0) by their Euclidean distance (Hadsell,
  Chopra & LeCun, 2006).

Embeddings have shape ``(N, D)``, one sample per row (or ``(D,)``, one sample, as torch allows: the
``"none"`` losses then have shape ``()``), all of one shape; labels have shape ``(N,)``, ``sample_weight``
too. Reductions run over the rows.
"""

import math

import numpy as np

from . import _validation as v
from ._kernels import embedding as kernels
from ._multi_input import MultiInputLoss


def _norm_order(p):
    """p >= 1 or inf: an order of a norm."""
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"p must be a real number, got {type(p).__name__}")
    p = float(p)
    if not p >= 1:  # NaN too
        raise ValueError(f"p must be >= 1 (or inf): the order of a norm; got {p}")
    return p


class _EmbeddingJob:
    """Embeddings of one shape (and labels) checked and flattened for :data:`kernels.embedding_loss`."""

    def __init__(self, kind, names, embeddings, labels, sample_weight, margin, p=2.0, eps=0.0, swap=False):
        embeddings = [v.as_array(array, name) for array, name in zip(embeddings, names)]
        for array, name in zip(embeddings, names):
            if array.ndim not in (1, 2):
                raise ValueError(f"{name} must have shape (N, D), a row per sample (or (D,), one sample); got "
                                 f"shape {array.shape}")
        shape = embeddings[0].shape
        for array, name in zip(embeddings[1:], names[1:]):
            if array.shape != shape:
                raise ValueError(f"{name} has shape {array.shape} but {names[0]} has shape {shape}; the embeddings "
                                 "must have one shape (lossjit never broadcasts)")
        v.check_not_empty(embeddings[0], names[0])
        self.kind = kind
        self.loss_shape = shape[:-1]
        self.n_rows = 1 if len(shape) == 1 else shape[0]
        self.width = shape[-1]
        self.dtype = v.common_dtype(*embeddings)
        self.rows = [v.flat(array, self.dtype) for array in embeddings]
        self.shapes = (shape,) * len(embeddings)
        self.labels = np.empty(0, np.int64) if labels is None else labels
        self.margin, self.p, self.eps, self.swap = margin, p, self.dtype.type(eps), swap
        self.weights, _ = v.sample_weights(sample_weight, self.loss_shape, self.dtype)
        self.denominator = v.weight_total(self.weights, 1, self.n_rows)

    def run(self, scale, grads, want_losses):
        empty = v.EMPTY[self.dtype]
        rows = self.rows + [empty] * (3 - len(self.rows))
        grads = list(grads) + [empty] * (3 - len(grads))
        losses = np.empty(self.n_rows)
        total = kernels.embedding_loss[self.dtype](self.kind, *rows, self.labels, self.margin, self.p, self.eps,
                                                   self.swap, self.width, self.weights, scale, losses, *grads)
        return total, losses


def _pair_labels(y_true, x1, allowed, meaning):
    """y_true as int64 labels, one per row of x1 ((N,), or () for one embedding (D,)), each in ``allowed``."""
    y_true = v.as_array(y_true, "y_true")
    x1_shape = np.shape(x1)
    expected = x1_shape[:-1] if len(x1_shape) in (1, 2) else None
    if expected is not None and y_true.shape != expected:
        raise ValueError(f"y_true has shape {y_true.shape}; it must hold one label per row of x1 (shape {x1_shape}), "
                         f"shape {expected}")
    valid = np.zeros(y_true.shape, bool)
    for label in allowed:
        valid |= y_true == label
    if not np.all(valid):
        found = np.unique(y_true[~valid])[:5]
        raise ValueError(f"y_true must hold {meaning}; found {', '.join(map(str, found))}")
    return np.ascontiguousarray(y_true, dtype=np.int64).reshape(-1)


def _triplet_job(anchor, positive, negative, *, sample_weight=None, margin, p, eps, swap):
    margin = v.check_positive_number(margin, "margin")
    p = _norm_order(p)
    eps = v.check_positive_number(eps, "eps", allow_zero=True)
    if not isinstance(swap, (bool, np.bool_)):
        raise TypeError(f"swap must be True or False, got {swap!r}")
    kind = {2.0: "triplet", 1.0: "triplet_1", math.inf: "triplet_inf"}.get(p, "triplet_p")  # a block per norm
    return _EmbeddingJob(kind, ("anchor", "positive", "negative"), (anchor, positive, negative), None,
                         sample_weight, margin, p, eps, bool(swap))


def _cosine_job(y_true, x1, x2, *, sample_weight=None, margin):
    margin = v.check_real_number(margin, "margin")
    labels = _pair_labels(y_true, v.as_array(x1, "x1"), (1, -1), "1 (a similar pair) or -1 (a dissimilar pair)")
    return _EmbeddingJob("cosine", ("x1", "x2"), (x1, x2), labels, sample_weight, margin)


def _contrastive_job(y_true, x1, x2, *, sample_weight=None, margin):
    margin = v.check_positive_number(margin, "margin", allow_zero=True)
    labels = _pair_labels(y_true, v.as_array(x1, "x1"), (1, 0), "1 (a similar pair) or 0 (a dissimilar pair)")
    return _EmbeddingJob("contrastive", ("x1", "x2"), (x1, x2), labels, sample_weight, margin)


triplet_margin = MultiInputLoss(
    "triplet_margin",
    _triplet_job,
    inputs=("anchor", "positive", "negative"),
    differentiable=("anchor", "positive", "negative"),
    options={"margin": 1.0, "p": 2.0, "eps": 1e-6, "swap": False},
    formula=(r"\frac{1}{N}\sum_{i=1}^{N} \max\left(d(a_i, p_i) - d(a_i, n_i) + m,\ 0\right),\quad "
             r"d(x, y) = \lVert x - y + \varepsilon \rVert_p"),
    gradient=(r"\frac{\partial L}{\partial a_i} = \frac{[l_i \ge 0]}{N}\left(\nabla d(a_i, p_i) - "
              r"\nabla d(a_i, n_i)\right),\quad \nabla_x \lVert x \rVert_2 = \frac{x}{\lVert x \rVert_2}"),
    properties={"task": "metric learning", "convex": False, "robust_to_outliers": False,
                "input": "embeddings (anchor, positive, negative)"},
    summary=("Triplet margin loss over rows of embeddings, as torch's triplet_margin_loss: per row "
             "max(d(a, p) - d(a, n) + margin, 0) with d(x, y) = ||x - y + eps||_p (p >= 1 or inf; eps is added "
             "to the difference, as torch's pairwise_distance does). swap=True uses min(d(a, n), d(p, n)) as the "
             "negative distance (Balntas et al., 2016). Inputs of shape (N, D), or (D,) for one triplet; "
             "margin > 0. Gradients for the anchor, the positive and the negative."),
)

cosine_embedding = MultiInputLoss(
    "cosine_embedding",
    _cosine_job,
    inputs=("y_true", "x1", "x2"),
    differentiable=("x1", "x2"),
    options={"margin": 0.0},
    formula=(r"\frac{1}{N}\sum_{n=1}^{N} \begin{cases} 1 - \cos(x_{1n}, x_{2n}) & y_n = 1 \\ "
             r"\max(0, \cos(x_{1n}, x_{2n}) - m) & y_n = -1 \end{cases},\quad "
             r"\cos(u, v) = \frac{u \cdot v}{\sqrt{(\lVert u \rVert^2 + \epsilon)(\lVert v \rVert^2 + \epsilon)}}"),
    gradient=(r"\frac{\partial \cos}{\partial x_1} = \frac{x_2}{\sqrt{(\lVert x_1 \rVert^2 + \epsilon)"
              r"(\lVert x_2 \rVert^2 + \epsilon)}} - \cos \frac{x_1}{\lVert x_1 \rVert^2 + \epsilon}"),
    properties={"task": "metric learning", "convex": False, "robust_to_outliers": True,
                "input": "labels in {1, -1} and two embeddings"},
    summary=("Cosine embedding loss over pairs of rows, as torch's cosine_embedding_loss: 1 - cos(x1, x2) for "
             "a similar pair (y_true = 1), max(0, cos(x1, x2) - margin) for a dissimilar one (y_true = -1), with "
             "torch's epsilon = 1e-12 added to both squared norms. x1 and x2 of shape (N, D), y_true of shape "
             "(N,) (or (D,) embeddings and a scalar label). Gradients for x1 and x2."),
)

contrastive = MultiInputLoss(
    "contrastive",
    _contrastive_job,
    inputs=("y_true", "x1", "x2"),
    differentiable=("x1", "x2"),
    options={"margin": 1.0},
    formula=(r"\frac{1}{N}\sum_{n=1}^{N} \frac{1}{2}\left[y_n d_n^2 + (1 - y_n)\max(0, m - d_n)^2\right],\quad "
             r"d_n = \lVert x_{1n} - x_{2n} \rVert_2"),
    gradient=(r"\frac{\partial L}{\partial x_{1n}} = -\frac{\partial L}{\partial x_{2n}} = \frac{1}{N}\left[y_n - "
              r"(1 - y_n)\frac{\max(0, m - d_n)}{d_n}\right](x_{1n} - x_{2n})"),
    properties={"task": "metric learning", "convex": False, "robust_to_outliers": False,
                "input": "labels in {0, 1} and two embeddings"},
    summary=("Contrastive loss of Hadsell, Chopra & LeCun (2006) over pairs of rows: d^2 / 2 for a similar pair "
             "(y_true = 1), max(0, margin - d)^2 / 2 for a dissimilar one (y_true = 0), d the Euclidean distance "
             "between x1 and x2. A dissimilar pair at d = 0 gets the gradient 0 (a subgradient: the loss falls "
             "in every direction there). x1 and x2 of shape (N, D), y_true of shape (N,). Gradients for x1 and "
             "x2."),
)
