"""softmax_focal (multi-class focal loss) against a float64 NumPy reference and finite differences."""

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

import lossjit as lj
import lossjit.classification
import reference
from checks import REDUCTIONS, at_threads, check_against, tolerance
from lossjit._config import BLOCK_SIZE, PARALLEL_THRESHOLD

loss = lj.softmax_focal


def skip_float32_without_jit(dtype):
    """Pure Python (NUMBA_DISABLE_JIT) keeps ``float32 + python float`` in float32 (NEP 50); Numba promotes."""
    if numba.config.DISABLE_JIT and dtype == np.float32:
        pytest.skip("float32 promotion differs without the JIT")


# ---------------------------------------------------------------- reference


def focal_reference(y_true, y_pred, *, sample_weight=None, reduction="mean", gamma=2.0, alpha=None,
                    from_logits=False, axis=-1, dtype=np.float64):
    """(loss, grad) in float64: l_n = -sum_c a_c (1 - p_c)^gamma log p_c, a_c = alpha_c t_nc.

    From logits the gradient is p_k sum_c b_c - b_k with b_c = a_c (1 - p_c)^gamma
    (1 - gamma p_c log(p_c) / (1 - p_c)); from probabilities (clipped) it is
    a_c (1 - p_c)^gamma (gamma log(p_c) / (1 - p_c) - 1 / p_c), zero where clipped.
    The mean divides by sum_n s_n (row weights).
    """
    y_pred = np.asarray(y_pred, dtype=np.float64)
    y_true = np.asarray(y_true)
    axis = axis % y_pred.ndim
    moved = np.moveaxis(y_pred, axis, -1)
    loss_shape, n_classes = moved.shape[:-1], moved.shape[-1]
    scores = moved.reshape(-1, n_classes)
    if y_true.shape == y_pred.shape:
        targets = np.moveaxis(y_true.astype(np.float64), axis, -1).reshape(-1, n_classes)
    else:
        targets = (y_true.astype(np.int64).reshape(-1)[:, None] == np.arange(n_classes)).astype(np.float64)
    alpha = np.ones(n_classes) if alpha is None else np.broadcast_to(np.asarray(alpha, np.float64), n_classes)
    a = alpha * targets
    with np.errstate(divide="ignore", invalid="ignore"):
        if from_logits:
            log_p = accurate_log_softmax(scores)
            p, m = np.exp(log_p), -np.expm1(log_p)
            ratio = np.where(m > 0, log_p / m, -1.0)
            power = m**gamma
            b = a * power * (1 - gamma * p * ratio)
            grad = p * (b.sum(axis=1, keepdims=True) - b) - b * m  # = p sum(b) - b, without 1 - p's cancellation
        else:
            low, high = reference.clip_bounds(dtype)
            q = np.clip(scores, low, high)
            log_p, m = np.log(q), 1 - q
            power = m**gamma
            grad = np.where((scores >= low) & (scores <= high), a * power * (gamma * log_p / m - 1 / q), 0.0)
    row_loss = -(a * power * log_p).sum(axis=1)
    s = reference.full_weights(sample_weight, loss_shape).reshape(-1)
    if reduction == "none":
        value, row_scale = (s * row_loss).reshape(loss_shape), s
    else:
        denominator = s.sum() if reduction == "mean" else 1.0
        value, row_scale = np.sum(s * row_loss) / denominator, s / denominator
    grad = (row_scale[:, None] * grad).reshape(moved.shape)
    return value, np.moveaxis(grad, -1, axis)


def accurate_log_softmax(z):
    """log softmax of rows, with log1p of the other classes' exps so that log p ~ -(1 - p) keeps its digits."""
    peak = np.argmax(z, axis=1)[:, None]
    shifted = z - np.take_along_axis(z, peak, axis=1)
    exps = np.exp(shifted)
    others = exps.sum(axis=1, keepdims=True) - 1.0  # the peak's exp is 1 exactly
    others = np.where(others < 0.5, np.sum(np.where(np.arange(z.shape[1]) == peak, 0.0, exps), axis=1,
                                           keepdims=True), others)
    return shifted - np.log1p(others)


def softmax(z, axis=-1):
    return np.moveaxis(np.exp(reference.log_softmax(np.moveaxis(z, axis, -1))), -1, axis)


def check_focal(y_true, y_pred, *, dtype, sample_weight=None, **options):
    """Value, grad and value_and_grad against the reference, every reduction."""
    check_against(loss, focal_reference, y_true, y_pred, dtype=dtype, sample_weight=sample_weight, **options)


def inputs(rng, shape, targets, from_logits, dtype=np.float64, axis=-1):
    """(y_true, y_pred): class indices or probability targets; logits or probabilities."""
    logits = rng.normal(0, 2, shape)
    n_classes = shape[axis]
    if targets == "labels":
        loss_shape = shape[:axis % len(shape)] + shape[axis % len(shape) + 1:]
        y_true = rng.integers(0, n_classes, loss_shape)
    else:
        y_true = softmax(rng.normal(0, 2, shape), axis).astype(dtype)
    y_pred = logits if from_logits else softmax(logits, axis)
    return y_true, y_pred.astype(dtype)


OPTIONS = [
    pytest.param({}, id="defaults"),
    pytest.param({"gamma": 0.5}, id="gamma0.5"),
    pytest.param({"gamma": 0.0, "alpha": 0.25}, id="gamma0-alpha-scalar"),
    pytest.param({"gamma": 3.0, "alpha": [0.5, 2.0, 1.0, 0.0]}, id="gamma3-alpha-array"),
]


# ---------------------------------------------------------------- against the reference


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("targets", ["labels", "probabilities"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighting", [None, "rows"])
def test_matches_reference(options, from_logits, targets, dtype, weighting, rng):
    skip_float32_without_jit(dtype)
    y_true, y_pred = inputs(rng, (9, 4), targets, from_logits, dtype)
    sample_weight = None if weighting is None else rng.uniform(0, 2, 9)
    check_focal(y_true, y_pred, dtype=dtype, sample_weight=sample_weight, from_logits=from_logits, **options)


@given(data=st.data())
def test_random_inputs(data):
    n_rows = data.draw(st.integers(1, 6), label="n_rows")
    n_classes = data.draw(st.integers(1, 6), label="n_classes")
    from_logits = data.draw(st.booleans(), label="from_logits")
    gamma = data.draw(st.sampled_from([0.0, 0.25, 1.0, 2.0, 4.5]), label="gamma")
    alpha = data.draw(st.none() | hnp.arrays(np.float64, n_classes, elements=st.floats(0, 3)), label="alpha")
    elements = st.floats(-30, 30) if from_logits else st.floats(0, 1)
    y_pred = data.draw(hnp.arrays(np.float64, (n_rows, n_classes), elements=elements), label="y_pred")
    if data.draw(st.booleans(), label="labels"):
        y_true = data.draw(hnp.arrays(np.int64, n_rows, elements=st.integers(0, n_classes - 1)), label="y_true")
    else:
        y_true = data.draw(hnp.arrays(np.float64, (n_rows, n_classes), elements=st.floats(0, 1)), label="y_true")
    sample_weight = data.draw(st.none() | hnp.arrays(np.float64, n_rows, elements=st.floats(0.5, 2.0)),
                              label="sample_weight")
    check_focal(y_true, y_pred, dtype=np.float64, sample_weight=sample_weight, from_logits=from_logits,
                gamma=gamma, alpha=alpha)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [3, 10, 5000])
def test_parallel_sizes(dtype, n_classes, rng):
    skip_float32_without_jit(dtype)
    n_rows = (PARALLEL_THRESHOLD + 3 * BLOCK_SIZE) // n_classes + 3
    y_true, logits = inputs(rng, (n_rows, n_classes), "labels", True, dtype)
    check_focal(y_true, logits, dtype=dtype, from_logits=True, sample_weight=rng.uniform(0, 2, n_rows),
                alpha=np.linspace(0.5, 2, n_classes))
    check_focal(softmax(logits.astype(np.float64)).astype(dtype), logits, dtype=dtype, from_logits=True, gamma=0.5)


def test_axis_and_layouts(rng):
    y_true, logits = inputs(rng, (2, 3, 4, 5), "labels", True, axis=1)
    check_focal(y_true, logits, dtype=np.float64, from_logits=True, axis=1)
    moved = np.moveaxis(logits, 1, -1)
    assert_allclose(loss(y_true, logits, from_logits=True, axis=1), loss(y_true, moved, from_logits=True),
                    rtol=1e-12)
    assert_allclose(loss.grad(y_true, logits, from_logits=True, axis=1),
                    np.moveaxis(loss.grad(y_true, moved, from_logits=True), -1, 1), rtol=1e-12)
    labels, logits = inputs(rng, (8, 5), "labels", True)
    for y_t, y_p in [(labels[::2], logits[::2, ::-1]), (labels, np.asfortranarray(logits)), (labels.tolist(), logits)]:
        check_focal(y_t, y_p, dtype=np.float64, from_logits=True, gamma=1.5)
    check_focal(labels.astype(np.float32), logits, dtype=np.float64, from_logits=True)
    check_focal(2, logits[0], dtype=np.float64, from_logits=True)


# ---------------------------------------------------------------- relations to other losses


@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("targets", ["labels", "probabilities"])
def test_gamma_zero_is_cross_entropy(from_logits, targets, rng):
    y_true, y_pred = inputs(rng, (7, 5), targets, from_logits)
    weights = rng.uniform(0.5, 2, 7)
    for reduction in REDUCTIONS:
        options = {"from_logits": from_logits, "sample_weight": weights, "reduction": reduction}
        value, grad = loss.value_and_grad(y_true, y_pred, gamma=0.0, **options)
        expected_value, expected_grad = lj.cross_entropy.value_and_grad(y_true, y_pred, **options)
        assert_allclose(value, expected_value, rtol=1e-12, atol=1e-12)
        assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_two_classes_are_the_binary_focal(gamma, alpha, rng):
    """Logits [0, z] give p_1 = sigmoid(z); focal's alpha weighs positives, so class weights are [1 - a, a]."""
    z = np.concatenate([rng.normal(0, 3, 20), [-40.0, 40.0]])
    y = (rng.random(z.size) < 0.5).astype(np.int64)
    logits = np.stack([np.zeros_like(z), z], axis=1)
    class_alpha = None if alpha is None else [1 - alpha, alpha]
    for reduction in REDUCTIONS:
        options = {"gamma": gamma, "reduction": reduction}
        value, grad = loss.value_and_grad(y, logits, from_logits=True, alpha=class_alpha, **options)
        binary_value, binary_grad = lj.focal.value_and_grad(y.astype(float), z, from_logits=True, alpha=alpha,
                                                           **options)
        assert_allclose(value, binary_value, rtol=1e-12, atol=1e-15)
        assert_allclose(grad[:, 1], binary_grad, rtol=1e-9, atol=1e-15)
        assert_allclose(grad[:, 0], -grad[:, 1], rtol=1e-9, atol=1e-15)
        p = np.clip(reference.sigmoid(z), 0.01, 0.99)
        assert_allclose(loss(y, np.stack([1 - p, p], axis=1), alpha=class_alpha, **options),
                        lj.focal(y.astype(float), p, alpha=alpha, **options), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- gradients and stability


@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("targets", ["labels", "probabilities"])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_gradient_by_finite_differences(from_logits, targets, gamma, rng):
    y_true, y_pred = inputs(rng, (3, 4), targets, from_logits)
    if not from_logits:
        y_pred = np.clip(y_pred, 0.01, 0.99)
    alpha = [0.5, 2.0, 1.0, 1.5]
    for reduction in REDUCTIONS:
        lj.check_grad(loss, y_true, y_pred, reduction=reduction, sample_weight=rng.uniform(0.5, 2, 3),
                      from_logits=from_logits, gamma=gamma, alpha=alpha)
    flat = lambda x: float(loss(y_true, x, reduction="sum", from_logits=from_logits, gamma=gamma))  # noqa: E731
    assert_allclose(loss.grad(y_true, y_pred, reduction="sum", from_logits=from_logits, gamma=gamma),
                    reference.numerical_grad(flat, y_pred), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("gamma", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("margin", [4.0, 12.0, 25.0, 40.0])
def test_gamma_below_one_as_the_label_probability_tends_to_one(gamma, margin):
    """(1 - p_y)^(gamma - 1) would blow up; the bounded ratio log(p) / (1 - p) does not."""
    logits = np.array([[margin, 0.0, -1.0], [0.5, margin, 0.0], [0.0, -2.0, margin]])
    labels = np.array([0, 1, 2])
    value, grad = loss.value_and_grad(labels, logits, from_logits=True, gamma=gamma, reduction="sum")
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    expected_value, expected_grad = focal_reference(labels, logits, from_logits=True, gamma=gamma, reduction="sum")
    assert_allclose(value, expected_value, rtol=1e-10, atol=1e-300)
    assert_allclose(grad, expected_grad, rtol=1e-9, atol=1e-300)
    lj.check_grad(loss, labels, logits, reduction="sum", from_logits=True, gamma=gamma)
    # probability inputs near 1: the gradient stays finite down to the clipping bound
    probabilities = softmax(np.array([[min(margin, 14.0), 0.0, 0.0]]))
    assert np.all(np.isfinite(loss.grad([0], probabilities, gamma=gamma)))


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_certain_prediction_has_zero_loss_and_gradient(gamma):
    logits = np.array([[1e4, 0.0, -5.0]])
    value, grad = loss.value_and_grad([0], logits, from_logits=True, gamma=gamma)
    assert value == 0
    assert_array_equal(grad, np.zeros((1, 3)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_extreme_logits(dtype, gamma):
    skip_float32_without_jit(dtype)
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]], dtype)
    labels = np.array([1, 2, 0])
    losses = loss(labels, logits, from_logits=True, gamma=gamma, reduction="none")
    assert_allclose(losses, [2e4, 0.0, 0.5**gamma * np.log(2)], **tolerance(dtype))
    grad = loss.grad(labels, logits, from_logits=True, gamma=gamma, reduction="none")
    assert np.all(np.isfinite(grad))
    assert_allclose(grad[:2], [[1, -1, 0], [0, 0, 0]], **tolerance(dtype))
    check_focal(labels, logits, dtype=dtype, from_logits=True, gamma=gamma)
    check_focal(np.eye(3, dtype=dtype)[labels], logits, dtype=dtype, from_logits=True, gamma=gamma, alpha=[1, 2, 3])


def test_probabilities_are_clipped():
    probabilities = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    value, grad = loss.value_and_grad(np.array([1, 1]), probabilities, reduction="none")
    low, high = reference.clip_bounds()
    assert_allclose(value, [-(1 - low) ** 2 * np.log(low), -(1 - high) ** 2 * np.log(high)], rtol=1e-12)
    assert_array_equal(grad, np.zeros((2, 3)))


def test_nan_propagates_to_its_row(rng):
    labels, logits = inputs(rng, (4, 3), "labels", True)
    for column in range(3):
        poisoned = logits.copy()
        poisoned[2, column] = np.nan
        value, grad = loss.value_and_grad(labels, poisoned, from_logits=True)
        assert np.isnan(value)
        assert np.all(np.isnan(grad[2])) and np.all(np.isfinite(np.delete(grad, 2, axis=0)))
        rows = loss(labels, poisoned, from_logits=True, reduction="none")
        assert_array_equal(np.isnan(rows), [False, False, True, False])
    probabilities = softmax(logits)
    probabilities[1, (labels[1] + 1) % 3] = np.nan  # not the labelled class: the row's loss is still NaN
    rows = loss(labels, probabilities, reduction="none")
    assert_array_equal(np.isnan(rows), [False, True, False, False])
    assert np.isnan(loss.grad(labels, probabilities)[1, (labels[1] + 1) % 3])
    targets = softmax(rng.normal(size=(4, 3)))
    targets[3, 1] = np.nan
    value, grad = loss.value_and_grad(targets, logits, from_logits=True)
    assert np.isnan(value) and np.all(np.isnan(grad[3])) and np.all(np.isfinite(grad[:3]))


# ---------------------------------------------------------------- errors, before any kernel


LABELS = np.array([2, 0])
LOGITS = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])


@pytest.mark.parametrize("kwargs, error, match", [
    ({"gamma": -1.0}, ValueError, "gamma must be finite and >= 0"),
    ({"gamma": np.nan}, ValueError, "gamma"),
    ({"gamma": "2"}, TypeError, "gamma must be a real number"),
    ({"gamma": True}, TypeError, "gamma"),
    ({"alpha": [1.0, 2.0]}, ValueError, r"alpha must have shape \(3,\), got \(2,\)"),
    ({"alpha": [[1.0, 2.0, 3.0]]}, ValueError, r"alpha must have shape \(3,\)"),
    ({"alpha": [1.0, -2.0, 3.0]}, ValueError, "alpha must be finite and non-negative"),
    ({"alpha": [1.0, np.nan, 3.0]}, ValueError, "alpha must be finite and non-negative"),
    ({"alpha": -0.5}, ValueError, "alpha must be finite and >= 0"),
    ({"alpha": "a"}, TypeError, "alpha"),
    ({"axis": 2}, ValueError, "axis must be an integer"),
    ({"from_logits": False}, ValueError, r"y_pred must lie in \[0, 1\]"),
    ({"reduction": "mean_over_batch"}, ValueError, "reduction"),
    ({"label_smoothing": 0.1}, TypeError, "unexpected keyword"),
])
def test_bad_options_are_rejected(no_kernel, kwargs, error, match):
    options = {"from_logits": True, **kwargs}
    for method in (loss, loss.grad, loss.value_and_grad):
        with pytest.raises(error, match=match):
            method(LABELS, LOGITS, **options)


@pytest.mark.parametrize("y_true, error, match", [
    (np.array([3, 0]), ValueError, r"class indices must lie in \[0, 3\); found 0 to 3"),
    (np.array([-1, 0]), ValueError, r"class indices must lie in \[0, 3\)"),
    (np.array([-100, 0]), ValueError, r"class indices must lie in \[0, 3\)"),
    (np.array([0.5, 1.0]), ValueError, "must be integers"),
    (np.array([True, False]), TypeError, "got bool"),
    (np.array([0, 1, 2]), ValueError, r"y_true has shape \(3,\)"),
    (np.full((2, 3), 2.0), ValueError, r"y_true must lie in \[0, 1\]"),
    (np.array(["a", "b"]), TypeError, "y_true must hold real numbers"),
])
def test_bad_targets_are_rejected(no_kernel, y_true, error, match):
    with pytest.raises(error, match=match):
        loss(y_true, LOGITS, from_logits=True)


def test_bad_predictions_and_weights_are_rejected(no_kernel):
    with pytest.raises(ValueError, match="y_pred is empty"):
        loss(np.zeros(0, np.int64), np.zeros((0, 3)), from_logits=True)
    with pytest.raises(ValueError, match="class axis"):
        loss(0, 1.0, from_logits=True)
    with pytest.raises(ValueError, match="sample_weight"):
        loss(LABELS, LOGITS, from_logits=True, sample_weight=[1.0, -1.0])
    with pytest.raises(ValueError, match="sample_weight"):
        loss(LABELS, LOGITS, from_logits=True, sample_weight=[1.0, 1.0, 1.0])


# ---------------------------------------------------------------- determinism


def every_output(y_true, y_pred, sample_weight, options):
    outputs = []
    for weights in (None, sample_weight):
        for reduction in REDUCTIONS:
            kwargs = {"sample_weight": weights, "reduction": reduction, **options}
            value, grad = loss.value_and_grad(y_true, y_pred, **kwargs)
            outputs += [np.asarray(value).tobytes(), grad.tobytes(), np.asarray(loss(y_true, y_pred, **kwargs)).tobytes()]
    return outputs


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="thread counts mean nothing without the JIT")
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("targets", ["labels", "probabilities"])
@pytest.mark.parametrize("n_classes", [10, 5000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_identical_at_one_and_two_threads(from_logits, targets, n_classes, dtype):
    assert numba.config.NUMBA_NUM_THREADS >= 2
    rng = np.random.default_rng(8)
    n_rows = (PARALLEL_THRESHOLD + 2 * BLOCK_SIZE + 123) // n_classes + 5
    y_true, y_pred = inputs(rng, (n_rows, n_classes), targets, from_logits, dtype)
    options = {"from_logits": from_logits, "gamma": 0.5, "alpha": np.linspace(0.5, 2.0, n_classes)}
    weights = rng.uniform(0, 2, n_rows)
    one = at_threads(1, lambda: every_output(y_true, y_pred, weights, options))
    two = at_threads(2, lambda: every_output(y_true, y_pred, weights, options))
    assert one == two
    assert every_output(y_true, y_pred, weights, options) == two  # and on a repeat
