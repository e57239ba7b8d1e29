"""Contrastive self-supervised losses over a batch of N embedding pairs ``x1[i] <-> x2[i]``.

* :data:`info_nce`: InfoNCE (CPC, MoCo), each x1[i] classifying its x2[i] among the batch's x2 by
  cosine similarity / temperature; ``symmetric=True`` is CLIP's loss, also x2[i] classifying x1[i].
* :data:`ntxent`: SimCLR's NT-Xent as ``optax.losses.ntxent(concat(x1, x2), concat(arange(N),
  arange(N)), temperature)`` computes it: each of the 2N embeddings classifies its pair among the
  2N - 1 others.

Both take ``x1`` and ``x2`` of shape (N, D), give a gradient for each, and reduce over the N pairs
(``sample_weight`` of shape (N,) weighs pair i). The similarity matrix is one BLAS product, and the
loss's kernel writes its gradient's coefficients over it (:mod:`lossjit._kernels.info_nce`).
"""

import numpy as np

from . import _validation as v
from ._kernels import info_nce as kernels
from ._multi_input import MultiInputLoss


def _embedding_pair(x1, x2):
    """x1 and x2 checked (2-D, one shape, N >= 2, D >= 1, real numbers): (x1, x2, compute dtype)."""
    x1 = v.as_array(x1, "x1")
    x2 = v.as_array(x2, "x2")
    for name, x in (("x1", x1), ("x2", x2)):
        if x.ndim != 2:
            raise ValueError(f"{name} must be a 2-D array (N, D) of N embeddings of D features; got shape {x.shape}")
    if x1.shape != x2.shape:
        raise ValueError(f"x1 has shape {x1.shape} but x2 has shape {x2.shape}: the pairs x1[i] <-> x2[i] need one "
                         "shape (N, D); lossjit never broadcasts")
    if x1.shape[0] < 2:
        raise ValueError(f"x1 and x2 must hold at least 2 pairs (the other pairs are the negatives); got N = "
                         f"{x1.shape[0]}")
    if x1.shape[1] == 0:
        raise ValueError("x1 and x2 have no features (D = 0)")
    dtype = v.compute_dtype(x1, x2)
    return x1, x2, dtype


class _Embeddings:
    """One (N, D) input as the score product reads it: its unit rows (or itself), and how to map a gradient
    in those rows back to the input."""

    def __init__(self, x, dtype, normalize):
        n_rows, self.n_cols = x.shape
        self.values = v.flat(x, dtype)
        self.normalize = normalize
        if normalize:
            self.inverse_norms = np.empty(n_rows)
            self.radial = np.empty(n_rows)

    def rows(self, out=None):
        """The (N, D) rows of the product: unit rows (into ``out`` if given), or the input itself."""
        if not self.normalize:
            return self.values.reshape(-1, self.n_cols)
        units = np.empty(self.values.size, self.values.dtype) if out is None else out
        kernels.normalize_rows[self.values.dtype](self.values, self.n_cols, float(np.finfo(self.values.dtype).eps),
                                                  units, self.inverse_norms, self.radial)
        return units.reshape(-1, self.n_cols)

    def backward(self, rows, grad):
        """The gradient in the product's rows (flat ``grad``, in place) made the gradient in the input."""
        if self.normalize:
            kernels.normalize_rows_backward[grad.dtype](rows.reshape(-1), self.n_cols, self.inverse_norms,
                                                        self.radial, grad)


class _ContrastiveJob:
    """The checked inputs of a contrastive loss: ``dtype``, ``shapes``, ``loss_shape``, ``denominator``."""

    def __init__(self, x1, x2, sample_weight, temperature):
        x1, x2, self.dtype = _embedding_pair(x1, x2)
        self.temperature = v.check_positive_number(temperature, "temperature")
        self.n_samples = x1.shape[0]
        self.shapes = (x1.shape, x2.shape)
        self.loss_shape = (self.n_samples,)
        self.weights, _ = v.sample_weights(sample_weight, self.loss_shape, self.dtype)
        self.denominator = v.weight_total(self.weights, 1, self.n_samples)

    def _row_coefficients(self, scale, n_rows, share):
        """a_i = scale w_(i mod N) share / temperature, float64, for ``n_rows`` rows."""
        weights = np.ones(self.n_samples) if self.weights.size == 0 else self.weights.astype(np.float64)
        return np.tile(weights * (scale * share / self.temperature), n_rows // self.n_samples)


def _score_pass(block, scores, inverse_temperature, losses, *, positive_offset=0, row_coefficients=None,
                column_lse=None, column_coefficients=None, column_losses=None, log_sum_exps=None,
                combine=kernels.ROWS, sample_weights=None, sample_losses=None):
    """One pass of ``block`` over the (rows, columns) ``scores`` (:func:`lossjit._kernels.info_nce.contrastive_pass`),
    the arrays not given empty; returns the float64 sum of ``sample_losses``."""
    dtype = scores.dtype
    nothing, none64 = v.EMPTY[dtype], v.EMPTY[np.dtype(np.float64)]
    return kernels.contrastive_pass[dtype](
        block, scores.reshape(-1), scores.shape[1], inverse_temperature, positive_offset,
        none64 if row_coefficients is None else row_coefficients,
        nothing if column_lse is None else column_lse.astype(dtype),
        nothing if column_coefficients is None else column_coefficients.astype(dtype),
        none64 if column_losses is None else column_losses, losses,
        none64 if log_sum_exps is None else log_sum_exps, kernels.TASK_SIZES[block], combine,
        nothing if sample_weights is None else sample_weights, none64 if sample_losses is None else sample_losses)


class _InfoNCEJob(_ContrastiveJob):
    def __init__(self, x1, x2, *, sample_weight=None, temperature, symmetric, normalize):
        super().__init__(x1, x2, sample_weight, temperature)
        self.symmetric = _flag(symmetric, "symmetric")
        normalize = _flag(normalize, "normalize")
        self.first = _Embeddings(x1, self.dtype, normalize)
        self.second = _Embeddings(x2, self.dtype, normalize)

    def run(self, scale, grads, want_losses):
        n = self.n_samples
        u = self.first.rows()
        w = self.second.rows()
        scores = np.dot(u, w.T)  # the one (N, N) matrix: the row pass writes the gradient's coefficients over it
        inverse_temperature = 1.0 / self.temperature
        row_coefficients = self._row_coefficients(scale, n, 0.5 if self.symmetric else 1.0) if grads else None
        sample_losses = np.empty(n)
        if self.symmetric:
            column_lse, column_losses = np.empty(n), np.empty(n)
            _score_pass("columns", scores, inverse_temperature, column_losses, log_sum_exps=column_lse)
            total = _score_pass("two-sided rows", scores, inverse_temperature, np.empty(n),
                                row_coefficients=row_coefficients, column_lse=column_lse if grads else None,
                                column_coefficients=row_coefficients, column_losses=column_losses,
                                combine=kernels.ROW_AND_COLUMN, sample_weights=self.weights,
                                sample_losses=sample_losses)
        else:
            total = _score_pass("one-sided rows", scores, inverse_temperature, np.empty(n),
                                row_coefficients=row_coefficients, sample_weights=self.weights,
                                sample_losses=sample_losses)
        if grads:
            grad_first, grad_second = grads
            np.dot(scores, w, out=grad_first.reshape(u.shape))
            np.dot(scores.T, u, out=grad_second.reshape(w.shape))
            self.first.backward(u, grad_first)
            self.second.backward(w, grad_second)
        return total, sample_losses


class _NTXentJob(_ContrastiveJob):
    def __init__(self, x1, x2, *, sample_weight=None, temperature):
        super().__init__(x1, x2, sample_weight, temperature)
        self.first = _Embeddings(x1, self.dtype, True)
        self.second = _Embeddings(x2, self.dtype, True)

    def run(self, scale, grads, want_losses):
        n = self.n_samples
        size = self.first.values.size
        embeddings = np.empty(2 * size, self.dtype)  # concat(x1, x2), normalised: its (2N, D) rows
        self.first.rows(embeddings[:size])
        self.second.rows(embeddings[size:])
        embeddings = embeddings.reshape(2 * n, -1)
        # A product with a copy: NumPy's own e @ e.T (BLAS syrk, then a copy of the triangle) measured 1.0-1.9x slower.
        scores = np.dot(embeddings, embeddings.copy().T)
        np.fill_diagonal(scores, -np.inf)  # no self-similarity: exp(-inf) = 0 in every sum
        inverse_temperature = 1.0 / self.temperature
        row_losses = np.empty(2 * n)
        row_lse = np.empty(2 * n) if grads else None
        sample_losses = np.empty(n)
        total = _score_pass("two-sided rows", scores, inverse_temperature, row_losses, positive_offset=n,
                            log_sum_exps=row_lse, combine=kernels.ROW_PAIRS, sample_weights=self.weights,
                            sample_losses=sample_losses)
        if grads:
            # The matrix is symmetric: column j's log-sum-exp is row j's, and the column term at row i's positive
            # t(i) is row t(i)'s loss. The same pass again, two-sided, writes G + G^T over the scores.
            row_coefficients = self._row_coefficients(scale, 2 * n, 0.5)
            total = _score_pass("two-sided rows", scores, inverse_temperature, np.empty(2 * n), positive_offset=n,
                                row_coefficients=row_coefficients, column_lse=row_lse,
                                column_coefficients=row_coefficients, column_losses=row_losses,
                                combine=kernels.ROW_PAIRS, sample_weights=self.weights, sample_losses=sample_losses)
            grad_first, grad_second = grads
            np.dot(scores[:n], embeddings, out=grad_first.reshape(self.shapes[0]))
            np.dot(scores[n:], embeddings, out=grad_second.reshape(self.shapes[1]))
            self.first.backward(embeddings[:n], grad_first)
            self.second.backward(embeddings[n:], grad_second)
        return total, sample_losses


def _flag(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


info_nce = MultiInputLoss(
    "info_nce",
    _InfoNCEJob,
    inputs=("x1", "x2"),
    differentiable=("x1", "x2"),
    options={"temperature": 0.07, "symmetric": False, "normalize": True},
    formula=(r"\frac{1}{N}\sum_{i=1}^{N} -\log \frac{\exp(s_{ii}/\tau)}{\sum_{j=1}^{N}\exp(s_{ij}/\tau)},\quad "
             r"s_{ij} = \frac{x_{1i} \cdot x_{2j}}{\lVert x_{1i}\rVert \lVert x_{2j}\rVert}\quad"
             r"\left[\text{symmetric: } \tfrac12\left(-\log\operatorname{softmax}(S_{i,:}/\tau)_i"
             r" - \log\operatorname{softmax}(S_{:,i}/\tau)_i\right)\right]"),
    gradient=(r"G_{ij} = \frac{\partial L}{\partial s_{ij}} = \frac{1}{N\tau}\left(\operatorname{softmax}"
              r"(S_{i,:}/\tau)_j - [i = j]\right),\quad \frac{\partial L}{\partial u} = G v,\ "
              r"\frac{\partial L}{\partial v} = G^{T} u,\quad \frac{\partial L}{\partial x} = "
              r"\frac{I - u u^{T}}{\lVert x\rVert} \frac{\partial L}{\partial u}"),
    properties={"task": "contrastive representation learning", "convex": False, "robust_to_outliers": False,
                "input": "embedding pairs"},
    summary=("InfoNCE over N embedding pairs x1[i] <-> x2[i] (each (N, D)): with u, v the rows of x1, x2 "
             "(L2-normalised when normalize=True, the squared norm clipped below at the dtype's machine epsilon "
             "as optax's cosine similarity does), the logits S = u v^T / temperature, and pair i's loss "
             "-log softmax(S[i])[i]: x1[i] picks x2[i] among the batch's x2. symmetric=True is CLIP's loss, the "
             "mean of that row term and the column term -log softmax(S[:, i])[i]. Gradients for x1 and x2; "
             "sample_weight (N,) weighs pair i (both terms when symmetric)."),
)

ntxent = MultiInputLoss(
    "ntxent",
    _NTXentJob,
    inputs=("x1", "x2"),
    differentiable=("x1", "x2"),
    options={"temperature": 0.07},
    formula=(r"\frac{1}{2N}\sum_{a=1}^{2N} -\log \frac{\exp(s_{a,p(a)}/\tau)}{\sum_{b \ne a}\exp(s_{ab}/\tau)},\quad "
             r"e = \operatorname{concat}(x_1, x_2),\ s_{ab} = \frac{e_a \cdot e_b}{\lVert e_a\rVert \lVert e_b\rVert},"
             r"\ p(a) = (a + N) \bmod 2N"),
    gradient=(r"\frac{\partial L}{\partial \hat{e}} = H \hat{e},\ H_{ab} = \frac{1}{2N\tau}\left(P_{ab} + P_{ba}"
              r" - 2[b = p(a)]\right),\ P_{ab} = \operatorname{softmax}_{b \ne a}(s_{a,:}/\tau)_b,\quad "
              r"\frac{\partial L}{\partial e} = \frac{I - \hat{e}\hat{e}^{T}}{\lVert e\rVert}"
              r" \frac{\partial L}{\partial \hat{e}}"),
    properties={"task": "contrastive representation learning", "convex": False, "robust_to_outliers": False,
                "input": "embedding pairs"},
    summary=("SimCLR's NT-Xent over N embedding pairs x1[i] <-> x2[i] (each (N, D)), as optax.losses.ntxent("
             "concat(x1, x2), concat(arange(N), arange(N)), temperature): each of the 2N embeddings classifies its "
             "pair by cosine similarity / temperature among the 2N - 1 others (itself left out); pair i's loss is "
             "the mean of its two embeddings' terms, so the mean over pairs is optax's mean over the 2N rows. "
             "Squared norms are clipped below at the dtype's machine epsilon, as optax does. Gradients for x1 and "
             "x2; sample_weight (N,) weighs pair i."),
)
