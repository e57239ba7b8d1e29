"""The registry: every loss in lj.losses carries its metadata, and its LaTeX formula is what its kernel computes.

For each registered loss, EVALUATORS holds a plain NumPy transcription of the
loss's ``formula`` (and, where the gradient is a closed form, of its
``gradient``), symbol by symbol, evaluated at the ``mean`` reduction the
formulas write as 1/n. A formula edited without its kernel, or the reverse,
fails here.
"""

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose

import lossjit as lj

PROPERTY_TYPES = {"task": str, "convex": bool, "robust_to_outliers": bool, "input": str}
TABLE_KEYS = {"name", "task", "input", "convex", "robust_to_outliers", "options", "hessian", "formula", "gradient",
              "arrays", "differentiable"}
EPS = lj.EPSILON


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def one_hot(labels, n_classes):
    return (labels[..., None] == np.arange(n_classes)).astype(float)


# Each entry: (y_true, y_pred, options, formula(y, y_hat), gradient(y, y_hat) or None); for a loss of several arrays
# (lj.MultiInputLoss), (*arrays, options, formula(*arrays), gradient(*arrays) -> one array per differentiable input).
# Inputs are kept away from kinks and clipping, where a formula and its subgradient convention may differ.

def _regression():
    rng = np.random.default_rng(7)
    y, y_hat = rng.normal(size=12), rng.normal(scale=2, size=12)
    return y, np.where(np.abs(y_hat - y) < 0.01, y_hat + 0.05, y_hat)


def _probability_targets():
    rng = np.random.default_rng(7)
    return rng.uniform(size=12), rng.uniform(0.05, 0.95, size=12)


def _labels():
    rng = np.random.default_rng(7)
    return (rng.random(12) < 0.5).astype(float), rng.uniform(0.05, 0.95, size=12)


def _mse():
    y, y_hat = _regression()
    return y, y_hat, {}, lambda y, p: np.mean((y - p) ** 2), lambda y, p: 2 / y.size * (p - y)


def _mae():
    y, y_hat = _regression()
    return y, y_hat, {}, lambda y, p: np.mean(np.abs(y - p)), lambda y, p: np.sign(p - y) / y.size


def _huber():
    y, y_hat = _regression()
    delta = 1.5

    def formula(y, p):
        d = p - y
        return np.mean(np.where(np.abs(d) <= delta, 0.5 * d**2, delta * (np.abs(d) - 0.5 * delta)))

    return y, y_hat, {"delta": delta}, formula, lambda y, p: np.clip(p - y, -delta, delta) / y.size


def _binary_cross_entropy():
    y, y_hat = _probability_targets()
    a, s = 2.5, 0.2

    def formula(y, p):
        t = (1 - s) * y + s / 2
        return -np.mean(a * t * np.log(p) + (1 - t) * np.log(1 - p))

    def gradient(y, p):
        t = (1 - s) * y + s / 2
        return ((1 - t) / (1 - p) - a * t / p) / y.size

    return y, y_hat, {"pos_weight": a, "label_smoothing": s}, formula, gradient


def _binary_cross_entropy_logits():
    rng = np.random.default_rng(7)
    y, _ = _probability_targets()
    z = rng.normal(scale=3, size=12)
    a, s = 0.5, 0.1

    def formula(y, z):
        t, p = (1 - s) * y + s / 2, sigmoid(z)
        return -np.mean(a * t * np.log(p) + (1 - t) * np.log(1 - p))

    def gradient(y, z):
        t = (1 - s) * y + s / 2
        return ((1 - t + a * t) * sigmoid(z) - a * t) / y.size

    return y, z, {"from_logits": True, "pos_weight": a, "label_smoothing": s}, formula, gradient


def _cross_entropy():
    rng = np.random.default_rng(7)
    labels, z = rng.integers(0, 4, size=6), rng.normal(size=(6, 4))

    def formula(labels, z):
        return -np.mean(np.sum(one_hot(labels, 4) * np.log(softmax(z)), axis=1))

    return labels, z, {"from_logits": True}, formula, lambda labels, z: (softmax(z) - one_hot(labels, 4)) / 6


def _softmax_focal_parts(y, z, alpha, gamma):
    """(terms a_c (1 - p_c)^gamma log p_c, b_c of the gradient) with a_c = alpha_c y_c."""
    p = softmax(z)
    a = alpha * y
    return a * (1 - p) ** gamma * np.log(p), a * (1 - p) ** gamma * (1 - gamma * p * np.log(p) / (1 - p)), p


def _softmax_focal():
    rng = np.random.default_rng(7)
    labels, z = rng.integers(0, 4, size=6), rng.normal(size=(6, 4))
    alpha, gamma = np.array([0.5, 2.0, 1.0, 0.25]), 1.5

    def formula(labels, z):
        terms, _, _ = _softmax_focal_parts(one_hot(labels, 4), z, alpha, gamma)
        return -np.mean(np.sum(terms, axis=1))

    def gradient(labels, z):
        _, b, p = _softmax_focal_parts(one_hot(labels, 4), z, alpha, gamma)
        return (p * b.sum(axis=1, keepdims=True) - b) / 6

    return labels, z, {"from_logits": True, "alpha": alpha, "gamma": gamma}, formula, gradient


def _softmax_focal_probability_targets():
    rng = np.random.default_rng(7)
    targets, z = softmax(rng.normal(size=(6, 4))), rng.normal(size=(6, 4))
    gamma = 0.5

    def formula(targets, z):
        terms, _, _ = _softmax_focal_parts(targets, z, 1.0, gamma)
        return -np.mean(np.sum(terms, axis=1))

    def gradient(targets, z):
        _, b, p = _softmax_focal_parts(targets, z, 1.0, gamma)
        return (p * b.sum(axis=1, keepdims=True) - b) / 6

    return targets, z, {"from_logits": True, "gamma": gamma}, formula, gradient


def _log_cosh():
    y, y_hat = _regression()
    return y, y_hat, {}, lambda y, p: np.mean(np.log(np.cosh(p - y))), lambda y, p: np.tanh(p - y) / y.size


def _quantile():
    y, y_hat = _regression()
    q = 0.2

    def gradient(y, p):
        return np.where(y > p, -q, np.where(y < p, 1 - q, 0.0)) / y.size

    return y, y_hat, {"q": q}, lambda y, p: np.mean(np.maximum(q * (y - p), (q - 1) * (y - p))), gradient


def _poisson():
    rng = np.random.default_rng(7)
    y, r = rng.poisson(3, size=12).astype(float), rng.normal(size=12)
    return y, r, {}, lambda y, r: np.mean(np.exp(r) - y * r), lambda y, r: (np.exp(r) - y) / y.size


def _poisson_rates():
    rng = np.random.default_rng(7)
    y, p = rng.poisson(3, size=12).astype(float), rng.uniform(0.1, 5, size=12)
    return (y, p, {"log_input": False}, lambda y, p: np.mean(p - y * np.log(p + EPS)),
            lambda y, p: (1 - y / (p + EPS)) / y.size)


def _smooth_l1():
    y, y_hat = _regression()
    beta = 0.75

    def formula(y, p):
        d = p - y
        return np.mean(np.where(np.abs(d) < beta, d**2 / (2 * beta), np.abs(d) - 0.5 * beta))

    def gradient(y, p):
        d = p - y
        return np.where(np.abs(d) < beta, d / beta, np.sign(d)) / y.size

    return y, y_hat, {"beta": beta}, formula, gradient


def _focal():
    y, y_hat = _labels()
    gamma, alpha = 1.5, 0.3

    def parts(y, p):
        c = -(y * np.log(p) + (1 - y) * np.log(1 - p))
        p_t = y * p + (1 - y) * (1 - p)
        return c, p_t, alpha * y + (1 - alpha) * (1 - y)

    def formula(y, p):
        c, p_t, alpha_y = parts(y, p)
        return np.mean(alpha_y * (1 - p_t) ** gamma * c)

    def gradient(y, p):
        c, p_t, alpha_y = parts(y, p)
        dc = -(y / p - (1 - y) / (1 - p))
        return alpha_y * (1 - p_t) ** gamma * (gamma * c * (1 - 2 * y) / (1 - p_t) + dc) / y.size

    return y, y_hat, {"gamma": gamma, "alpha": alpha}, formula, gradient


def _signed():
    rng = np.random.default_rng(7)
    y, scores = rng.choice([-1.0, 1.0], size=12), rng.normal(scale=1.5, size=12)
    return y, np.where(np.abs(1 - y * scores) < 0.01, scores + 0.05, scores)


def _hinge():
    y, scores = _signed()
    return (y, scores, {}, lambda y, p: np.mean(np.maximum(0, 1 - y * p)),
            lambda y, p: np.where(y * p < 1, -y, 0.0) / y.size)


def _squared_hinge():
    y, scores = _signed()
    return (y, scores, {}, lambda y, p: np.mean(np.maximum(0, 1 - y * p) ** 2),
            lambda y, p: -2 / y.size * y * np.maximum(0, 1 - y * p))


def _kl_divergence():
    y, p = _probability_targets()
    y[:3] = 0.0

    def formula(y, p):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.mean(np.where(y > 0, y * np.log(y / p), 0.0))

    return y, p, {}, formula, lambda y, p: -y / p / y.size


def _kl_divergence_log():
    y, p = _probability_targets()
    y[:3] = 0.0
    r = np.log(p)

    def formula(y, r):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.mean(np.where(y > 0, y * (np.log(y) - r), 0.0))

    return y, r, {"log_input": True}, formula, lambda y, r: -y / y.size


def _dice():
    rng = np.random.default_rng(7)
    n, c, s, smooth = 3, 2, 5, 1.0
    y = one_hot(rng.integers(0, c, size=(n, s)), c).transpose(0, 2, 1)  # (N, C, S)
    y_hat = softmax(rng.normal(size=(n, c, s)), axis=1)

    def terms(y, p):
        intersection = np.sum(p * y, axis=2)
        denominator = np.sum(p, axis=2) + np.sum(y, axis=2) + smooth
        return intersection, denominator

    def formula(y, p):
        intersection, denominator = terms(y, p)
        return np.mean(np.mean(1 - (2 * intersection + smooth) / denominator, axis=1))

    def gradient(y, p):
        intersection, denominator = terms(y, p)
        i, d = intersection[..., None], denominator[..., None]
        return ((2 * i + smooth) / d**2 - 2 * y / d) / (n * c)

    return y, y_hat, {"smooth": smooth}, formula, gradient


def _ctc():
    rng = np.random.default_rng(7)
    steps, n_classes, blank = 4, 3, 0
    targets = np.array([[1, 2], [2, 2]])
    z = rng.normal(size=(steps, 2, n_classes))

    def collapse(path):
        merged = [k for t, k in enumerate(path) if t == 0 or k != path[t - 1]]
        return [k for k in merged if k != blank]

    def formula(targets, z):
        y = softmax(z)  # y^t_k over classes
        losses = []
        for n, target in enumerate(targets):
            p = sum(np.prod([y[t, n, k] for t, k in enumerate(path)])
                    for path in itertools.product(range(n_classes), repeat=steps) if collapse(path) == list(target))
            losses.append(-np.log(p) / len(target))
        return np.mean(losses)

    return targets, z, {}, formula, None


def _sequence_cross_entropy():
    rng = np.random.default_rng(7)
    labels, z = rng.integers(0, 5, size=(2, 4)), rng.normal(size=(2, 4, 5))
    mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]])

    def formula(labels, z):
        token_losses = -np.log(np.take_along_axis(softmax(z), labels[..., None], axis=-1))[..., 0]
        return np.sum(mask * token_losses) / np.sum(mask)

    def gradient(labels, z):
        return mask[..., None] / mask.sum() * (softmax(z) - one_hot(labels, 5))

    return labels, z, {"mask": mask}, formula, gradient


def _spread_inputs():
    rng = np.random.default_rng(7)
    y, mean = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    return y, mean, rng.uniform(0.2, 2.0, size=4)


def _gaussian_nll():
    def formula(y, mean, variance):
        return np.mean(0.5 * (np.log(variance[:, None]) + (mean - y) ** 2 / variance[:, None]))

    def gradient(y, mean, variance):
        v = variance[:, None]
        return (mean - y) / v / y.size, np.sum(0.5 * (1 / v - (mean - y) ** 2 / v**2), axis=1) / y.size

    return (*_spread_inputs(), {}, formula, gradient)


def _laplace_nll():
    def formula(y, location, scale):
        return np.mean(np.log(scale[:, None]) + np.abs(location - y) / scale[:, None])

    def gradient(y, location, scale):
        b = scale[:, None]
        return np.sign(location - y) / b / y.size, np.sum((1 - np.abs(location - y) / b) / b, axis=1) / y.size

    return (*_spread_inputs(), {}, formula, gradient)


def _margin_ranking():
    rng = np.random.default_rng(7)
    y, x1, x2 = rng.choice([-1.0, 1.0], 12), rng.normal(size=12), rng.normal(size=12)
    margin = 0.3
    x1 = np.where(np.abs(margin - y * (x1 - x2)) < 0.01, x1 + 0.05 * y, x1)

    def gradient(y, x1, x2):
        active = margin - y * (x1 - x2) >= 0
        return -y * active / y.size, y * active / y.size

    return y, x1, x2, {"margin": margin}, lambda y, x1, x2: np.mean(np.maximum(0, margin - y * (x1 - x2))), gradient


def _poly1_cross_entropy():
    labels, z = _class_labels_and_logits()
    epsilon = 2.0

    def formula(labels, z):
        y, y_hat = one_hot(labels, z.shape[1]), softmax(z)
        return np.mean(-np.sum(y * np.log(y_hat), axis=1) + epsilon * np.sum(y * (1 - y_hat), axis=1))

    return labels, z, {}, formula, None


def _sparsemax_loss():
    labels, z = _class_labels_and_logits()

    def formula(labels, z):
        y = one_hot(labels, z.shape[1])
        ordered = -np.sort(-z, axis=1)
        cumulative = np.cumsum(ordered, axis=1)
        k = np.arange(1, z.shape[1] + 1)
        support = np.sum(1 + k * ordered > cumulative, axis=1)                  # |S_i|
        tau = (cumulative[np.arange(len(z)), support - 1] - 1) / support
        in_support = z > tau[:, None]
        return np.mean(-np.sum(y * z, axis=1) + 0.5 * np.sum(in_support * (z**2 - tau[:, None] ** 2), axis=1)
                       + 0.5 * np.sum(y**2, axis=1))

    def gradient(labels, z):
        ordered = -np.sort(-z, axis=1)
        cumulative = np.cumsum(ordered, axis=1)
        k = np.arange(1, z.shape[1] + 1)
        support = np.sum(1 + k * ordered > cumulative, axis=1)
        tau = (cumulative[np.arange(len(z)), support - 1] - 1) / support
        return (np.maximum(z - tau[:, None], 0) - one_hot(labels, z.shape[1])) / len(z)

    return labels, z, {}, formula, gradient


def _class_labels_and_logits():
    rng = np.random.default_rng(7)
    return rng.integers(0, 4, size=6), rng.normal(size=(6, 4))


def _tversky():
    rng = np.random.default_rng(7)
    n, c, s, smooth, alpha, beta = 3, 2, 5, 1.0, 0.3, 0.7
    y = one_hot(rng.integers(0, c, size=(n, s)), c).transpose(0, 2, 1)  # (N, C, S)
    y_hat = softmax(rng.normal(size=(n, c, s)), axis=1)

    def formula(y, p):
        tp = np.sum(p * y, axis=2)
        index = (tp + smooth) / (tp + alpha * np.sum(p * (1 - y), axis=2) + beta * np.sum((1 - p) * y, axis=2) + smooth)
        return np.mean(np.mean(1 - index, axis=1))

    return y, y_hat, {"alpha": alpha, "beta": beta, "smooth": smooth}, formula, None


def _ranking_lists():
    rng = np.random.default_rng(7)
    return rng.integers(0, 3, size=(3, 5)).astype(float), rng.normal(size=(3, 5))


def _pairwise_logistic():
    def formula(y, s):
        losses = []
        for labels, scores in zip(y, s):
            pairs = [(i, j) for i in range(len(labels)) for j in range(len(labels)) if labels[i] > labels[j]]
            losses.append(np.mean([np.log1p(np.exp(-(scores[i] - scores[j]))) for i, j in pairs]))
        return np.mean(losses)

    return (*_ranking_lists(), {}, formula, None)


def _ranking_softmax():
    def formula(y, s):
        return np.mean(-np.sum(y * np.log(softmax(s)), axis=1))

    def gradient(y, s):
        return (y.sum(axis=1, keepdims=True) * softmax(s) - y) / len(y)

    return (*_ranking_lists(), {}, formula, gradient)


def _multi_margin():
    labels, x = _class_labels_and_logits()
    margin, weights = 1.0, np.array([0.5, 1.0, 2.0, 1.5])

    def formula(labels, x):
        z = margin - x[np.arange(len(x)), labels][:, None] + x
        terms = np.where(one_hot(labels, 4) == 1, 0.0, np.maximum(0, z) ** 2)
        return np.mean(weights[labels] / 4 * terms.sum(axis=1))

    return labels, x, {"p": 2, "class_weight": weights}, formula, None


def _crammer_singer():
    labels, x = _class_labels_and_logits()

    def formula(labels, x):
        others = np.where(one_hot(labels, 4) == 1, -np.inf, x)
        return np.mean(np.maximum(0, 1.0 + others.max(axis=1) - x[np.arange(len(x)), labels]))

    return labels, x, {}, formula, None


def _categorical_hinge():
    labels, x = _class_labels_and_logits()
    t = one_hot(labels, 4)

    def formula(t, x):
        return np.mean(np.maximum(0, np.max((1 - t) * x, axis=1) - np.sum(t * x, axis=1) + 1))

    return t, x, {}, formula, None


def _embedding_rows():
    rng = np.random.default_rng(7)
    return rng.normal(size=(5, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 4))


def _triplet_margin():
    margin, eps = 5.0, 1e-6

    def distance(x, y):
        return np.sqrt(np.sum((x - y + eps) ** 2, axis=1))

    def formula(a, p, n):
        return np.mean(np.maximum(distance(a, p) - distance(a, n) + margin, 0))

    return (*_embedding_rows(), {"margin": margin}, formula, None)


def _contrastive():
    x1, x2, _ = _embedding_rows()
    margin = 3.0

    def formula(y, x1, x2):
        d = np.sqrt(np.sum((x1 - x2) ** 2, axis=1))
        return np.mean(0.5 * (y * d**2 + (1 - y) * np.maximum(0, margin - d) ** 2))

    return np.array([1, 0, 1, 0, 0]), x1, x2, {"margin": margin}, formula, None


def _cosine_embedding():
    x1, x2, _ = _embedding_rows()
    margin, eps = -0.2, np.float32(1e-12)

    def formula(y, x1, x2):
        cos = np.sum(x1 * x2, axis=1) / np.sqrt((np.sum(x1**2, axis=1) + eps) * (np.sum(x2**2, axis=1) + eps))
        return np.mean(np.where(y == 1, 1 - cos, np.maximum(0, cos - margin)))

    return np.array([1, -1, 1, -1, -1]), x1, x2, {"margin": margin}, formula, None


def _cosine_similarities(a, b):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return a @ b.T


def _log_softmax(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _info_nce_case(symmetric):
    x1, x2, _ = _embedding_rows()
    tau = 0.5

    def formula(x1, x2):
        s = _cosine_similarities(x1, x2) / tau
        rows = -np.diag(_log_softmax(s, axis=1))
        return np.mean(0.5 * (rows - np.diag(_log_softmax(s, axis=0))) if symmetric else rows)

    return x1, x2, {"temperature": tau, "symmetric": symmetric}, formula, None


def _info_nce():
    return _info_nce_case(symmetric=False)


def _info_nce_symmetric():
    return _info_nce_case(symmetric=True)


def _ntxent():
    x1, x2, _ = _embedding_rows()
    tau, n = 0.5, len(x1)

    def formula(x1, x2):
        e = np.concatenate([x1, x2])
        s = _cosine_similarities(e, e) / tau
        np.fill_diagonal(s, -np.inf)
        partner = (np.arange(2 * n) + n) % (2 * n)
        return np.mean(-_log_softmax(s, axis=1)[np.arange(2 * n), partner])

    return x1, x2, {"temperature": tau}, formula, None


#: name -> list of makers; every registered loss needs at least one.
EVALUATORS = {
    "mse": [_mse],
    "mae": [_mae],
    "huber": [_huber],
    "binary_cross_entropy": [_binary_cross_entropy, _binary_cross_entropy_logits],
    "cross_entropy": [_cross_entropy],
    "softmax_focal": [_softmax_focal, _softmax_focal_probability_targets],
    "log_cosh": [_log_cosh],
    "quantile": [_quantile],
    "poisson": [_poisson, _poisson_rates],
    "smooth_l1": [_smooth_l1],
    "focal": [_focal],
    "hinge": [_hinge],
    "squared_hinge": [_squared_hinge],
    "kl_divergence": [_kl_divergence, _kl_divergence_log],
    "dice": [_dice],
    "ctc": [_ctc],
    "sequence_cross_entropy": [_sequence_cross_entropy],
    "gaussian_nll": [_gaussian_nll],
    "laplace_nll": [_laplace_nll],
    "margin_ranking": [_margin_ranking],
    "multi_margin": [_multi_margin],
    "crammer_singer": [_crammer_singer],
    "categorical_hinge": [_categorical_hinge],
    "poly1_cross_entropy": [_poly1_cross_entropy],
    "sparsemax_loss": [_sparsemax_loss],
    "tversky": [_tversky],
    "pairwise_logistic": [_pairwise_logistic],
    "ranking_softmax": [_ranking_softmax],
    "triplet_margin": [_triplet_margin],
    "contrastive": [_contrastive],
    "cosine_embedding": [_cosine_embedding],
    "info_nce": [_info_nce, _info_nce_symmetric],
    "ntxent": [_ntxent],
}

CASES = [pytest.param(name, make, id=make.__name__.lstrip("_")) for name, makers in EVALUATORS.items()
         for make in makers]


def test_every_registered_loss_has_an_evaluator():
    missing = sorted(set(lj.losses) - set(EVALUATORS))
    assert not missing, f"add a NumPy transcription of the formula of {missing} to EVALUATORS"
    assert not set(EVALUATORS) - set(lj.losses)


@pytest.mark.parametrize("name, make", CASES)
def test_formula_matches_the_kernel(name, make):
    *arrays, options, formula, gradient = make()
    loss = lj.losses[name]
    assert_allclose(loss(*arrays, **options), formula(*arrays), rtol=1e-10)
    if gradient is not None:
        grads, expected = loss.grad(*arrays, **options), gradient(*arrays)
        for grad, grad_expected in zip(*((grads, expected) if isinstance(loss, lj.MultiInputLoss)
                                        else ((grads,), (expected,)))):
            assert_allclose(grad, grad_expected, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("name", sorted(lj.losses))
def test_entry_has_its_metadata(name):
    loss = lj.losses[name]
    assert isinstance(loss, lj.Loss) and loss.name == name
    assert getattr(lj, name) is loss
    for text in (loss.formula, loss.gradient):
        assert isinstance(text, str) and text.strip()
        assert text.count("{") == text.count("}"), "unbalanced LaTeX braces"
    assert set(PROPERTY_TYPES) <= set(loss.properties)
    for key, kind in PROPERTY_TYPES.items():
        assert isinstance(loss.properties[key], kind), key
    assert loss.properties["task"] and loss.properties["input"]
    assert isinstance(loss.options, dict)
    assert loss.formula in loss.__doc__


def test_loss_table_rows():
    rows = lj.loss_table()
    assert [row["name"] for row in rows] == list(lj.losses)
    for row in rows:
        assert set(row) == TABLE_KEYS
        loss = lj.losses[row["name"]]
        assert row["formula"] == loss.formula and row["options"] == loss.options
        assert row["hessian"] == isinstance(loss, lj.PointwiseLoss)
