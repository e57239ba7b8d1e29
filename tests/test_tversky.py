"""The Tversky loss: against a float64 NumPy reference, torch autograd, Keras's reductions and lossjit's Dice."""

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import lossjit as lj
from lossjit._config import PARALLEL_THRESHOLD
from lossjit._kernels import dice as kernels
from lossjit.segmentation import dice, tversky
from reference import numerical_grad

KERAS_EPSILON = 1e-7  # keras.backend.epsilon(), in the denominator of keras.losses.tversky


def one_hot(labels, n_classes):
    """(N, *spatial) class indices -> (N, C, *spatial) one-hot maps."""
    return np.moveaxis(np.eye(n_classes)[labels], -1, 1)


def probabilities(logits):
    """Softmax over axis 1, or the sigmoid for a single channel, in float64."""
    logits = np.asarray(logits, np.float64)
    if logits.shape[1] == 1:
        return 1 / (1 + np.exp(-logits))
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def tversky_reference(target, p, alpha=0.5, beta=0.5, smooth=1.0):
    """Per-sample Tversky loss in float64: mean over classes of 1 - (I + s) / (I + alpha FP + beta FN + s)."""
    target, p = np.asarray(target, np.float64), np.asarray(p, np.float64)
    axes = tuple(range(2, p.ndim))
    intersection = (p * target).sum(axes)
    false_positive = (p * (1 - target)).sum(axes)
    false_negative = ((1 - p) * target).sum(axes)
    ratio = (intersection + smooth) / (intersection + alpha * false_positive + beta * false_negative + smooth)
    return (1 - ratio).mean(axis=1)


def reduce(per_sample, reduction, weights=None):
    weights = np.ones_like(per_sample) if weights is None else np.asarray(weights, np.float64)
    if reduction == "none":
        return weights * per_sample
    total = np.sum(weights * per_sample)
    return total / weights.sum() if reduction == "mean" else total


def keras_tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None, epsilon=KERAS_EPSILON):
    """keras.losses.tversky (Keras 3, keras/src/losses/losses.py) in float64: sums over ``axis`` (None: every
    axis, one ratio for the whole batch), no smooth in the numerator, ``epsilon`` in the denominator."""
    y_true, y_pred = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    intersection = np.sum(y_pred * y_true, axis=axis)
    false_positive = np.sum((1 - y_true) * y_pred, axis=axis)
    false_negative = np.sum(y_true * (1 - y_pred), axis=axis)
    return 1 - intersection / (intersection + false_positive * alpha + false_negative * beta + epsilon)


def keras_reduce(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Keras 3's ``reduce_weighted_values``: weights of shape (N,) expanded to the losses' rank, then
    "sum" sums, "sum_over_batch_size" divides that sum by the number of losses, "mean_with_sample_weight"
    by the sum of the weights."""
    if sample_weight is not None:
        weights = np.asarray(sample_weight, np.float64).reshape((-1,) + (1,) * (values.ndim - 1))
        values = values * weights
    if reduction is None or values.ndim == 0:
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return total / np.sum(sample_weight)
    return total / values.size


@pytest.fixture
def segmentation(rng):
    """Logits (2, 3, 4, 5), class indices (2, 4, 5) and their one-hot maps."""
    logits = rng.normal(size=(2, 3, 4, 5))
    labels = rng.integers(0, 3, size=(2, 4, 5))
    return logits, labels, one_hot(labels, 3)


def target_forms(logits, labels, target):
    """(y_true, y_pred, from_logits, probabilities) for each accepted form of the targets and predictions."""
    p = probabilities(logits)
    return [(target, p, False, p), (labels, p, False, p), (target, logits, True, p), (labels, logits, True, p)]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("alpha, beta", [(0.5, 0.5), (0.3, 0.7), (0.0, 1.0), (2.0, 0.0), (4.0, 6.0)])
def test_tversky_matches_reference_for_every_target_form(segmentation, reduction, dtype, alpha, beta, rng):
    logits, labels, target = segmentation
    weights = rng.uniform(0.5, 2.0, size=2)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-14}
    for y_true, y_pred, from_logits, p in target_forms(logits, labels, target):
        expected = reduce(tversky_reference(target, p, alpha, beta), reduction, weights)
        y_pred = y_pred.astype(dtype)
        y_true = y_true.astype(dtype) if y_true.dtype.kind == "f" else y_true
        options = {"alpha": alpha, "beta": beta, "from_logits": from_logits}
        value, grad = tversky.value_and_grad(y_true, y_pred, sample_weight=weights, reduction=reduction, **options)
        assert value.dtype == dtype and grad.dtype == dtype and grad.shape == y_pred.shape
        assert_allclose(value, expected, **tol)
        assert_array_equal(tversky(y_true, y_pred, sample_weight=weights, reduction=reduction, **options), value)
        assert np.asarray(tversky(y_true, y_pred, sample_weight=weights, reduction=reduction,
                                  **options)).tobytes() == np.asarray(value).tobytes()


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("alpha, beta", [(0.3, 0.7), (1.5, 0.2), (0.0, 1.0)])
def test_tversky_gradient_matches_finite_differences(segmentation, reduction, alpha, beta, rng):
    logits, labels, target = segmentation
    weights = rng.uniform(0.5, 2.0, size=2)
    options = {"alpha": alpha, "beta": beta, "smooth": 0.5}

    def loss_of_probabilities(p):
        return reduce(tversky_reference(target, p, alpha, beta, 0.5), reduction, weights)

    p = probabilities(logits)
    grad = tversky.grad(labels, p, sample_weight=weights, reduction=reduction, **options)
    assert_allclose(grad, numerical_grad(loss_of_probabilities, p), rtol=1e-6, atol=1e-9)
    grad = tversky.grad(labels, logits, sample_weight=weights, reduction=reduction, from_logits=True, **options)
    expected = numerical_grad(lambda z: loss_of_probabilities(probabilities(z)), logits)
    assert_allclose(grad, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_check_grad_passes(segmentation, reduction, rng):
    logits, labels, target = segmentation
    weights = rng.uniform(0.5, 2.0, size=2)
    for y_true, y_pred, from_logits, _ in target_forms(logits, labels, target):
        error = lj.check_grad(tversky, y_true, y_pred, sample_weight=weights, reduction=reduction, alpha=0.3,
                              beta=0.9, from_logits=from_logits)
        assert error <= 1e-6
    mask = (rng.random((3, 1, 10)) > 0.5).astype(np.float64)
    assert lj.check_grad(tversky, mask, rng.normal(size=(3, 1, 10)), reduction=reduction, alpha=0.2, beta=0.8,
                         from_logits=True) <= 1e-6


def test_tversky_gradient_matches_its_closed_form(segmentation):
    logits, _, target = segmentation
    p = probabilities(logits)
    alpha, beta, smooth = 0.3, 0.7, 1.0
    intersection = (p * target).sum((2, 3), keepdims=True)
    false_positive = (p * (1 - target)).sum((2, 3), keepdims=True)
    false_negative = ((1 - p) * target).sum((2, 3), keepdims=True)
    numerator = intersection + smooth
    denominator = numerator + alpha * false_positive + beta * false_negative
    # -(t A - B dA/dp) / A^2 with dA/dp = alpha + (1 - alpha - beta) t
    per_class = -(target * denominator - numerator * (alpha + (1 - alpha - beta) * target)) / denominator**2
    n_samples, n_classes = p.shape[:2]
    assert_allclose(tversky.grad(target, p, alpha=alpha, beta=beta), per_class / (n_samples * n_classes),
                    rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("smooth", [0.0, 0.25, 1.0, 3.0])
def test_half_and_half_is_dice_with_twice_the_smooth(segmentation, smooth, rng):
    """alpha = beta = 1/2: I + (FP + FN) / 2 = (P + T) / 2, so 1 - (I + s) / (I + (FP + FN) / 2 + s) is
    1 - (2 I + 2 s) / (P + T + 2 s), Dice with smooth 2 s."""
    logits, labels, target = segmentation
    target = target.copy()
    target[:, :, 0, 0] = rng.random((2, 3))  # soft targets too
    weights = rng.uniform(0.5, 2.0, size=2)
    for y_true, y_pred, from_logits, _ in target_forms(logits, labels, target):
        for reduction in ("mean", "sum", "none"):
            options = {"sample_weight": weights, "reduction": reduction, "from_logits": from_logits}
            value, grad = tversky.value_and_grad(y_true, y_pred, alpha=0.5, beta=0.5, smooth=smooth, **options)
            dice_value, dice_grad = dice.value_and_grad(y_true, y_pred, smooth=2 * smooth, **options)
            assert_allclose(value, dice_value, rtol=1e-12, atol=1e-12)
            assert_allclose(grad, dice_grad, rtol=1e-12, atol=1e-12)
    assert tversky.options["alpha"] == tversky.options["beta"] == 0.5  # the defaults are this case


def test_agrees_with_keras_reductions_reproduced_in_numpy(segmentation, rng):
    """keras.losses.tversky sums over ``axis``: lossjit's per-sample, per-class ratios are Keras's with the
    spatial axes summed (channels first), up to Keras's epsilon, with smooth=0."""
    logits, labels, target = segmentation
    p = probabilities(logits)
    alpha, beta = 0.3, 0.7
    n_samples, n_classes = p.shape[:2]
    options = {"alpha": alpha, "beta": beta, "smooth": 0.0}
    per_class = keras_tversky(target, p, alpha, beta, axis=(2, 3))  # (N, C)
    exact = keras_tversky(target, p, alpha, beta, axis=(2, 3), epsilon=0.0)  # keras.backend.set_epsilon(0)
    losses = tversky(labels, p, reduction="none", **options)
    assert_allclose(losses, exact.mean(axis=1), rtol=1e-12)
    assert_allclose(losses, per_class.mean(axis=1), rtol=0, atol=1e-8)  # epsilon / denominator, at most 1e-7 / 2
    # Keras's default reduction of the (N, C) losses, "sum_over_batch_size", is their mean: lossjit's "mean".
    assert_allclose(tversky(labels, p, **options), keras_reduce(exact), rtol=1e-12)
    # With sample weights of shape (N,): Keras's "sum" sums w_n l_nc over classes too (C times lossjit's "sum"),
    # "sum_over_batch_size" divides by N C, and "mean_with_sample_weight" by sum(w): C times lossjit's "mean".
    weights = rng.uniform(0.5, 2.0, size=n_samples)
    lossjit_sum = tversky(labels, p, sample_weight=weights, reduction="sum", **options)
    lossjit_mean = tversky(labels, p, sample_weight=weights, **options)
    assert_allclose(keras_reduce(exact, weights, "sum"), n_classes * lossjit_sum, rtol=1e-12)
    assert_allclose(keras_reduce(exact, weights, "sum_over_batch_size"), lossjit_sum / n_samples, rtol=1e-12)
    assert_allclose(keras_reduce(exact, weights, "mean_with_sample_weight"), n_classes * lossjit_mean, rtol=1e-12)
    # Keras's default axis=None makes one ratio over the whole batch and every class: lossjit on the maps as one
    # sample of one class.
    whole = tversky(target.reshape(1, 1, -1), p.reshape(1, 1, -1), **options)
    assert_allclose(whole, keras_tversky(target, p, alpha, beta, epsilon=0.0), rtol=1e-12)
    assert_allclose(whole, keras_tversky(target, p, alpha, beta), rtol=0, atol=1e-8)
    # Channels-last Keras maps (N, H, W, C) with axis=(1, 2): lossjit wants the classes on axis 1.
    channels_last = keras_tversky(np.moveaxis(target, 1, -1), np.moveaxis(p, 1, -1), alpha, beta, axis=(1, 2),
                                  epsilon=0.0)
    assert_allclose(tversky(labels, p, reduction="none", **options), channels_last.mean(axis=1), rtol=1e-12)


def test_keras_up_to_3_15_swapped_alpha_and_beta(segmentation):
    """Keras <= 3.15 summed fp = sum((1 - y_pred) y_true), the false negatives (keras-team/keras#23333):
    its alpha is lossjit's beta."""
    logits, _, target = segmentation
    p = probabilities(logits)
    swapped = keras_tversky(p, target, alpha=0.2, beta=0.8, axis=(2, 3), epsilon=0.0)  # inputs = y_true there
    assert_allclose(tversky(target, p, alpha=0.8, beta=0.2, smooth=0.0, reduction="none"), swapped.mean(axis=1),
                    rtol=1e-12)


def torch_tversky(torch, y_true, y_pred, alpha, beta, smooth, from_logits, weights):
    """Per-sample weighted Tversky losses and their autograd gradient through torch, in float64."""
    z = torch.tensor(y_pred, dtype=torch.float64, requires_grad=True)
    if not from_logits:
        p = z
    elif z.shape[1] == 1:
        p = torch.sigmoid(z)
    else:
        p = torch.softmax(z, dim=1)
    t = torch.tensor(y_true, dtype=torch.float64)
    axes = tuple(range(2, z.ndim))
    intersection = (p * t).sum(axes)
    false_positive = (p * (1 - t)).sum(axes)
    false_negative = ((1 - p) * t).sum(axes)
    ratio = (intersection + smooth) / (intersection + alpha * false_positive + beta * false_negative + smooth)
    losses = torch.tensor(weights) * (1 - ratio).mean(dim=1)
    loss = losses.sum() / sum(weights)
    loss.backward()
    return loss.item(), z.grad.numpy()


def gradient_terms(y_true, y_pred, alpha, beta, smooth, from_logits, weights):
    """Per element of the gradient, in float64, the sum of the magnitudes of the terms it is computed from.

    By probabilities, with k_n = w_n / (C sum(w)), B = I + smooth and A = B + alpha FP + beta FN, lossjit
    computes g_cs = k_n (alpha B - (alpha (B + FP) + beta (B + FN)) t_cs) / A^2 (the kernel's docstring) and
    torch's autograd k_n (dr/dI t_cs + dr/dFP (1 - t_cs) - dr/dFN t_cs) with dr/dI = 1 / A - B / A^2, so
    G_cs = k_n [(alpha B + (alpha (B + FP) + beta (B + FN)) t_cs) / A^2 + 2 t_cs / A] bounds the terms of both.
    Through the softmax, q_cs (g_cs - sum_k q_ks g_ks) has terms q_cs (G_cs + sum_k q_ks G_ks); through the
    sigmoid, g_cs q_cs (1 - q_cs) has G_cs q_cs (1 + q_cs): 1 - q_cs is a difference of 1 and q_cs too."""
    t = np.asarray(y_true, np.float64)
    q = probabilities(y_pred) if from_logits else np.asarray(y_pred, np.float64)
    axes = tuple(range(2, q.ndim))
    intersection = (q * t).sum(axes, keepdims=True)
    false_positive = (q * (1 - t)).sum(axes, keepdims=True)
    false_negative = ((1 - q) * t).sum(axes, keepdims=True)
    numerator = intersection + smooth  # B
    denominator = numerator + alpha * false_positive + beta * false_negative  # A
    growth = alpha * (numerator + false_positive) + beta * (numerator + false_negative)
    k = (np.asarray(weights, np.float64) / np.sum(weights) / q.shape[1]).reshape((-1,) + (1,) * (q.ndim - 1))
    terms = k * ((alpha * numerator + growth * t) / denominator**2 + 2 * t / denominator)
    if not from_logits:
        return terms
    if q.shape[1] == 1:
        return terms * q * (1 + q)
    return q * (terms + (q * terms).sum(axis=1, keepdims=True))


def assert_gradient_close(grad, expected, terms, rtol=1e-10):
    """|grad - expected| <= rtol |expected| + m eps terms + 4 subnormal steps, elementwise.

    ``terms`` (:func:`gradient_terms`) are what each element's rounding errors scale with, so an element that
    is a difference of near-equal terms (q_cs close to 1 through the softmax, or 1 - q_cs small through the
    sigmoid) is only known to m eps of them, in torch as in lossjit; the others still match to rtol. The
    sums I, FP and FN over S elements of C-class softmaxes are good to (S + C + 4) u each (u = eps / 2; with
    beta <= 1, as here, for FN's 1 - q), B / A^2 to three times that; a dozen more roundings up to g_cs, the
    sum over C classes and the last two operations keep each side within m u, m = 3 (S + C) + 32, of the
    exact value, so within m eps of each other: a worst case (here they differ by 2.6 eps of the terms at
    most). Products that underflow into the subnormals err by half a step each."""
    n_samples, n_classes = expected.shape[:2]
    ulps = 3 * (expected.size // (n_samples * n_classes) + n_classes) + 32
    float64 = np.finfo(np.float64)
    allowed = rtol * np.abs(expected) + ulps * float64.eps * terms + 4 * float64.smallest_subnormal
    error = np.abs(grad - expected)
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(error - allowed), error.shape))
    assert np.all(error <= allowed), (f"gradient off by {error[worst]:.3g} at {worst} ({float(grad[worst])!r} "
                                      f"against {float(expected[worst])!r}), beyond the {allowed[worst]:.3g} "
                                      "allowed there")


def test_matches_torch_autograd_on_random_and_extreme_inputs(rng):
    torch = pytest.importorskip("torch")
    cases = []
    for shape, scale in [((3, 4, 5, 6), 1.0), ((2, 3, 17), 30.0), ((4, 1, 9), 5.0), ((2, 2, 8), 1e3)]:
        logits = rng.normal(scale=scale, size=shape)
        if shape[1] == 1:
            target = (rng.random(shape) > 0.5).astype(np.float64)
        else:
            target = one_hot(rng.integers(0, shape[1], size=shape[:1] + shape[2:]), shape[1])
        cases.append((target, logits, True))
        cases.append((rng.random(shape), probabilities(logits), False))
    p = np.zeros((2, 3, 4))
    p[:, 0] = 1.0  # saturated probabilities: all in class 0
    cases.append((one_hot(np.array([[0, 0, 1, 2], [0, 1, 1, 1]]), 3), p, False))
    for y_true, y_pred, from_logits in cases:
        for alpha, beta, smooth in [(0.3, 0.7, 1.0), (0.5, 0.5, 1e-3), (3.0, 0.0, 0.5)]:
            weights = rng.uniform(0.5, 2.0, size=y_pred.shape[0])
            value, grad = tversky.value_and_grad(y_true, y_pred, sample_weight=weights, alpha=alpha, beta=beta,
                                                 smooth=smooth, from_logits=from_logits)
            expected_value, expected_grad = torch_tversky(torch, y_true, y_pred, alpha, beta, smooth, from_logits,
                                                          weights)
            assert np.isfinite(value) and np.all(np.isfinite(grad))
            assert_allclose(value, expected_value, rtol=1e-13)
            assert_gradient_close(grad, expected_grad, gradient_terms(y_true, y_pred, alpha, beta, smooth,
                                                                       from_logits, weights))


def test_single_channel_logits_use_the_sigmoid(rng):
    logits = rng.normal(size=(3, 1, 8))
    mask = (rng.random((3, 1, 8)) > 0.5).astype(np.float64)
    sigmoid = 1 / (1 + np.exp(-logits))
    assert_allclose(tversky(mask, logits, alpha=0.2, beta=0.8, from_logits=True, reduction="none"),
                    tversky_reference(mask, sigmoid, 0.2, 0.8), rtol=1e-12)
    expected = numerical_grad(lambda z: tversky_reference(mask, 1 / (1 + np.exp(-z)), 0.2, 0.8).mean(), logits)
    assert_allclose(tversky.grad(mask, logits, alpha=0.2, beta=0.8, from_logits=True), expected, rtol=1e-6,
                    atol=1e-9)


def test_samples_without_spatial_axes_and_3d_volumes(rng):
    for shape in [(4, 3), (2, 2, 3, 3, 2)]:
        p = probabilities(rng.normal(size=shape))
        target = one_hot(rng.integers(0, shape[1], size=shape[:1] + shape[2:]), shape[1])
        assert_allclose(tversky(target, p, alpha=0.4, beta=0.9, reduction="none"),
                        tversky_reference(target, p, 0.4, 0.9), rtol=1e-12)


@given(n_samples=st.integers(1, 3), n_classes=st.integers(1, 4), n_spatial=st.integers(1, 6),
       alpha=st.floats(0.0, 5.0), beta=st.floats(0.05, 5.0), smooth=st.floats(0.01, 5.0),
       seed=st.integers(0, 2**32 - 1), from_logits=st.booleans(), swap=st.booleans())
def test_tversky_random_inputs(n_samples, n_classes, n_spatial, alpha, beta, smooth, seed, from_logits, swap):
    if swap:  # alpha = 0 and beta = 0 come in turn, never both
        alpha, beta = beta, alpha
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=3.0, size=(n_samples, n_classes, n_spatial))
    target = rng.random((n_samples, n_classes, n_spatial))
    p = probabilities(logits)
    options = {"alpha": alpha, "beta": beta, "smooth": smooth, "from_logits": from_logits}
    value, grad = tversky.value_and_grad(target, logits if from_logits else p, **options)
    assert_allclose(value, tversky_reference(target, p, alpha, beta, smooth).mean(), rtol=1e-10, atol=1e-12)
    if from_logits:
        expected = numerical_grad(lambda z: tversky_reference(target, probabilities(z), alpha, beta, smooth).mean(),
                                  logits)
    else:
        expected = numerical_grad(lambda q: tversky_reference(target, q, alpha, beta, smooth).mean(), p)
    assert_allclose(grad, expected, rtol=1e-5, atol=1e-8)


def test_float32_agrees_with_a_float64_reference(rng):
    logits = rng.normal(scale=4.0, size=(4, 5, 30)).astype(np.float32)
    labels = rng.integers(0, 5, size=(4, 30))
    p = probabilities(logits)
    value, grad = tversky.value_and_grad(labels, logits, alpha=0.2, beta=0.8, from_logits=True)
    assert value.dtype == grad.dtype == np.float32
    assert_allclose(value, tversky_reference(one_hot(labels, 5), p, 0.2, 0.8).mean(), rtol=1e-6)
    expected = tversky.grad(labels, logits.astype(np.float64), alpha=0.2, beta=0.8, from_logits=True)
    assert_allclose(grad, expected, rtol=1e-4, atol=1e-6 * np.abs(expected).max())


def test_perfect_prediction_costs_zero_and_smooth_zero_gives_nan_for_an_empty_class():
    target = np.zeros((1, 2, 4))
    target[0, 0] = 1.0
    assert tversky(target, target, alpha=0.3, beta=0.7) == 0.0
    assert np.isnan(tversky(target, target, smooth=0.0))  # class 1 is empty in both: 0 / 0
    target[0, :, 1] = [0.0, 1.0]
    assert tversky(target, target, smooth=0) == 0.0
    # p = 1/2 everywhere, smooth 0: class 0 has I = 1.5, FP = 0.5, FN = 1.5; class 1: I = 0.5, FP = 1.5, FN = 0.5
    expected = 1 - (1.5 / (1.5 + 0.3 * 0.5 + 0.7 * 1.5) + 0.5 / (0.5 + 0.3 * 1.5 + 0.7 * 0.5)) / 2
    assert_allclose(tversky(target, np.full_like(target, 0.5), alpha=0.3, beta=0.7, smooth=0), expected,
                    rtol=1e-15)


def test_alpha_weighs_false_positives_and_beta_false_negatives():
    target = np.zeros((1, 1, 4))
    target[0, 0, :2] = 1.0
    over = np.ones((1, 1, 4))  # two false positives, no false negative
    under = np.zeros((1, 1, 4))
    under[0, 0, 0] = 1.0  # one false negative, no false positive
    assert tversky(target, over, alpha=0.0, beta=1.0, smooth=0) == 0.0
    assert_allclose(tversky(target, over, alpha=1.0, beta=0.0, smooth=0), 1 - 2 / 4)
    assert tversky(target, under, alpha=1.0, beta=0.0, smooth=0) == 0.0
    assert_allclose(tversky(target, under, alpha=0.0, beta=1.0, smooth=0), 1 - 1 / 2)


def test_extreme_logits_stay_finite():
    logits = np.array([[[1e4, -1e4, 0.0]], [[-1e4, 1e4, 0.0]]]).transpose(1, 0, 2)  # (1, 2, 3)
    for alpha, beta in [(0.3, 0.7), (10.0, 0.0), (0.0, 10.0)]:
        value, grad = tversky.value_and_grad(np.array([[0, 1, 0]]), logits, alpha=alpha, beta=beta,
                                             from_logits=True)
        assert np.isfinite(value) and np.all(np.isfinite(grad))
        value, grad = tversky.value_and_grad(np.ones((1, 1, 2)), np.array([[[1e4, -1e4]]]), alpha=alpha, beta=beta,
                                             from_logits=True)
        assert np.isfinite(value) and np.all(np.isfinite(grad))
    big = np.full((2, 3, 5), 1e300)  # overflow-free: softmax of equal logits
    assert_allclose(tversky(np.zeros((2, 5), np.int64), big, from_logits=True),
                    tversky_reference(one_hot(np.zeros((2, 5), np.int64), 3), np.full((2, 3, 5), 1 / 3)).mean(),
                    rtol=1e-12)


def test_nan_propagates():
    p = np.full((1, 2, 3), 0.5)
    p[0, 0, 0] = np.nan
    value, grad = tversky.value_and_grad(np.zeros((1, 3), np.int64), p, alpha=0.3, beta=0.7)
    assert np.isnan(value) and np.isnan(grad[0, 0]).all() and np.isfinite(grad[0, 1]).all()
    value = tversky(np.zeros((1, 3), np.int64), p, alpha=0.3, beta=0.7, reduction="none")
    assert np.isnan(value[0])


def test_non_contiguous_inputs(rng):
    logits = rng.normal(size=(2, 4, 6, 6))[:, ::2, ::2, 1:4]
    labels = rng.integers(0, 2, size=(2, 3, 6))[:, :, ::2]
    expected = tversky_reference(one_hot(labels, 2), probabilities(logits), 0.3, 0.7).mean()
    assert not logits.flags.c_contiguous and not labels.flags.c_contiguous
    assert_allclose(tversky(labels, logits, alpha=0.3, beta=0.7, from_logits=True), expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_read_only_and_memory_mapped_inputs_compile_nothing_more(rng, tmp_path, dtype):
    logits = rng.normal(size=(2, 3, 4, 5)).astype(dtype)
    labels = rng.integers(0, 3, size=(2, 4, 5))
    target = one_hot(labels, 3).astype(dtype)
    expected = tversky.value_and_grad(target, logits, alpha=0.3, beta=0.7, from_logits=True)
    for name, array in (("logits", logits), ("target", target)):
        np.save(tmp_path / f"{name}.npy", array)
    mapped = (np.load(tmp_path / "target.npy", mmap_mode="r"), np.load(tmp_path / "logits.npy", mmap_mode="r"))
    frozen = (target.copy(), logits.copy())
    for array in frozen:
        array.flags.writeable = False
    for y_true, y_pred in (mapped, frozen):
        value, grad = tversky.value_and_grad(y_true, y_pred, alpha=0.3, beta=0.7, from_logits=True)
        assert value == expected[0]
        assert_array_equal(grad, expected[1])
    if not numba.config.DISABLE_JIT:
        for function in kernels.dice_loss.compiled_functions(np.dtype(dtype)):  # the driver and its blocks
            assert len(function.signatures) == 1


def test_tversky_is_identical_at_one_and_two_threads(rng, two_threads):
    logits = rng.normal(size=(8, 4, 64, 64)).astype(np.float32)  # 131072 elements: the parallel path
    assert logits.size >= PARALLEL_THRESHOLD
    labels = rng.integers(0, 4, size=(8, 64, 64))
    weights = rng.uniform(0.5, 2.0, size=8)
    results = []
    for threads in (1, two_threads):
        numba.set_num_threads(threads)
        results.append(tversky.value_and_grad(labels, logits, sample_weight=weights, alpha=0.3, beta=0.7,
                                              from_logits=True))
    assert results[0][0] == results[1][0]
    assert_array_equal(results[0][1], results[1][1])
    expected = reduce(tversky_reference(one_hot(labels, 4), probabilities(logits), 0.3, 0.7), "mean", weights)
    assert_allclose(results[0][0], expected, rtol=1e-5)


def test_parallel_path_matches_the_reference_in_float64(rng):
    logits = rng.normal(size=(4, 3, 60, 60))
    assert logits.size >= PARALLEL_THRESHOLD
    target = rng.random((4, 3, 60, 60))
    losses = tversky(target, logits, alpha=0.6, beta=0.4, from_logits=True, reduction="none")
    assert_allclose(losses, tversky_reference(target, probabilities(logits), 0.6, 0.4), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_repeats_to_the_bit_wherever_its_scratch_arrays_lie(dtype):
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(3, 8, 5, 6)).astype(dtype)
    labels = rng.integers(0, 8, (3, 5, 6))
    results = set()
    for size in range(1, 60, 7):
        padding = np.empty(size)  # moves where the next allocations land
        value, grad = tversky.value_and_grad(labels, logits, alpha=0.3, beta=0.7, from_logits=True)
        results.add((value.tobytes(), grad.tobytes()))
        del padding
    assert len(results) == 1


def test_out_receives_the_gradient(segmentation):
    logits, labels, _ = segmentation
    out = np.empty_like(logits)
    value, grad = tversky.value_and_grad(labels, logits, out=out, alpha=0.3, beta=0.7, from_logits=True)
    assert grad is out
    assert_array_equal(out, tversky.grad(labels, logits, alpha=0.3, beta=0.7, from_logits=True))
    out32 = np.empty(logits.shape, np.float32)
    assert tversky.grad(labels, logits.astype(np.float32), out=out32, from_logits=True) is out32
    with pytest.raises(ValueError, match="out"):
        tversky.grad(labels, logits, out=np.empty((2, 3)), from_logits=True)


def test_none_and_weighted_reductions(segmentation, rng):
    logits, labels, target = segmentation
    weights = rng.uniform(0.0, 2.0, size=2)
    per_sample = tversky_reference(target, probabilities(logits), 0.3, 0.7)
    options = {"alpha": 0.3, "beta": 0.7, "from_logits": True, "sample_weight": weights}
    none = tversky(labels, logits, reduction="none", **options)
    assert none.shape == (2,)
    assert_allclose(none, weights * per_sample, rtol=1e-12)
    assert_allclose(tversky(labels, logits, reduction="sum", **options), np.sum(weights * per_sample), rtol=1e-12)
    assert_allclose(tversky(labels, logits, **options), np.sum(weights * per_sample) / weights.sum(), rtol=1e-12)
    grad_none = tversky.grad(labels, logits, reduction="none", **options)
    assert_allclose(grad_none, tversky.grad(labels, logits, reduction="sum", **options), rtol=1e-15)


@pytest.mark.parametrize("options, error, match", [
    ({"alpha": -0.1}, ValueError, "alpha must be finite and >= 0"),
    ({"beta": -1}, ValueError, "beta must be finite and >= 0"),
    ({"alpha": np.nan}, ValueError, "alpha"),
    ({"beta": np.inf}, ValueError, "beta"),
    ({"alpha": "0.5"}, TypeError, "alpha must be a real number"),
    ({"beta": True}, TypeError, "beta must be a real number"),
    ({"alpha": 0, "beta": 0.0}, ValueError, "alpha and beta must not both be 0"),
    ({"smooth": -1.0}, ValueError, "smooth"),
    ({"gamma": 1.0}, TypeError, "unexpected keyword"),
    ({"sample_weight": np.ones(3)}, ValueError, "sample_weight"),
    ({"reduction": "avg"}, ValueError, "reduction"),
])
def test_tversky_rejects_bad_options_by_name(options, error, match):
    with pytest.raises(error, match=match):
        tversky(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), **options)


@pytest.mark.parametrize("y_true, y_pred, error, match", [
    (np.zeros(3), np.zeros(3), ValueError, r"y_pred must have shape \(N, C"),
    (np.zeros((0, 2)), np.zeros((0, 2, 4)), ValueError, "y_pred is empty"),
    (np.zeros((2, 5)), np.zeros((2, 3, 4)), ValueError, "y_true has shape"),
    (np.full((2, 4), 3), np.zeros((2, 3, 4)), ValueError, r"class indices must lie in \[0, 3\)"),
    (np.zeros((2, 4), np.int64), np.zeros((2, 1, 4)), ValueError, "single channel"),
    (np.zeros((2, 3, 4)), np.full((2, 3, 4), 1.5), ValueError, "y_pred must lie in"),
    (np.full((2, 3, 4), 2.0), np.zeros((2, 3, 4)), ValueError, "y_true must lie in"),
])
def test_tversky_rejects_bad_input_by_name(y_true, y_pred, error, match):
    with pytest.raises(error, match=match):
        tversky(y_true, y_pred, alpha=0.3, beta=0.7)


def test_tversky_describes_its_maths():
    assert tversky.name == "tversky"
    assert tversky.options == {"alpha": 0.5, "beta": 0.5, "from_logits": False, "smooth": 1.0}
    assert tversky.properties == {"task": "segmentation", "convex": False, "robust_to_outliers": True,
                                  "input": "probabilities or logits"}
    assert r"\alpha" in tversky.formula and r"\beta" in tversky.formula and r"\alpha" in tversky.gradient
    assert "keras" in tversky.__doc__.lower()
