"""binary_cross_entropy and cross_entropy against float64 NumPy references and finite differences."""

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

import lossjit as lj
import reference
from checks import check_against, check_pointwise, hessian_by_differences, tolerance
from lossjit._config import BLOCK_SIZE, PARALLEL_THRESHOLD

BCE = [
    pytest.param({"from_logits": False}, id="probabilities"),
    pytest.param({"from_logits": True}, id="logits"),
]


def bce_inputs(rng, shape, from_logits, dtype=np.float64):
    """Soft targets in [0, 1] (some exactly 0 or 1) and probabilities or logits."""
    y_true = rng.uniform(0, 1, shape)
    y_true.reshape(-1)[::3] = np.round(y_true.reshape(-1)[::3])
    y_pred = rng.normal(0, 3, shape) if from_logits else rng.uniform(0.02, 0.98, shape)
    return y_true.astype(dtype), y_pred.astype(dtype)


# ---------------------------------------------------------------- binary cross-entropy


@pytest.mark.parametrize("options", BCE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighting", [None, "full", "rows"])
def test_bce_matches_reference(options, dtype, weighting, rng):
    y_true, y_pred = bce_inputs(rng, (6, 5), options["from_logits"], dtype)
    sample_weight = {None: None, "full": rng.uniform(0, 2, (6, 5)), "rows": rng.uniform(0, 2, 6)}[weighting]
    check_pointwise(lj.binary_cross_entropy, y_true, y_pred, dtype=dtype, sample_weight=sample_weight, **options)


@pytest.mark.parametrize("options", BCE)
@given(data=st.data())
def test_bce_random_inputs(options, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=6), label="shape")
    dtype = data.draw(st.sampled_from([np.float32, np.float64]), label="dtype")
    width = np.dtype(dtype).itemsize * 8
    predictions = st.floats(-30, 30, width=width) if options["from_logits"] else st.floats(0, 1, width=width)
    y_true = data.draw(hnp.arrays(dtype, shape, elements=st.floats(0, 1, width=width)), label="y_true")
    y_pred = data.draw(hnp.arrays(dtype, shape, elements=predictions), label="y_pred")
    sample_weight = data.draw(st.none() | hnp.arrays(np.float64, shape, elements=st.floats(0.5, 2.0)),
                              label="sample_weight")
    check_pointwise(lj.binary_cross_entropy, y_true, y_pred, dtype=dtype, sample_weight=sample_weight, **options)


@pytest.mark.parametrize("options", BCE)
def test_bce_gradient_and_hessian_by_finite_differences(options, rng):
    y_true, y_pred = bce_inputs(rng, (3, 4), options["from_logits"])
    loss = lj.binary_cross_entropy
    weights = rng.uniform(0.5, 2.0, 3)
    numerical = reference.numerical_grad(lambda p: float(loss(y_true, p, sample_weight=weights, **options)), y_pred)
    assert_allclose(loss.grad(y_true, y_pred, sample_weight=weights, **options), numerical, rtol=1e-6, atol=1e-8)
    assert_allclose(loss.hessian(y_true, y_pred, reduction="sum", **options),
                    hessian_by_differences(loss, y_true, y_pred, **options), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_clips_probabilities(dtype):
    """Outside [EPSILON, 1 - EPSILON] the loss is the clipped one and the gradient is zero."""
    y_true = np.array([1, 0, 1, 0, 1, 0], dtype)
    y_pred = np.array([0, 1, 1, 0, 1e-9, 1 - 1e-12], dtype)
    value = lj.binary_cross_entropy(y_true, y_pred, reduction="none")
    low, high = reference.clip_bounds(dtype)
    assert_allclose(value, [-np.log(low), -np.log1p(-high), -np.log(high), -np.log1p(-low), -np.log(low),
                            -np.log1p(-high)], **tolerance(dtype))
    assert np.all(np.isfinite(value)) and value.max() < 16.2
    assert_array_equal(lj.binary_cross_entropy.grad(y_true, y_pred, reduction="none"), 0)
    assert_array_equal(lj.binary_cross_entropy.hessian(y_true, y_pred, reduction="none"), 0)
    check_pointwise(lj.binary_cross_entropy, y_true, y_pred, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_extreme_logits(dtype):
    z = np.array([1e4, -1e4, 1e4, -1e4, 1e4, -1e4], dtype)
    y_true = np.array([1, 0, 0, 1, 0.25, 0.25], dtype)
    losses = lj.binary_cross_entropy(y_true, z, from_logits=True, reduction="none")
    assert_array_equal(losses, np.array([0, 0, 1e4, 1e4, 7.5e3, 2.5e3], dtype))
    grad = lj.binary_cross_entropy.grad(y_true, z, from_logits=True, reduction="none")
    assert_array_equal(grad, np.array([0, 0, 1, -1, 0.75, -0.25], dtype))
    hessian = lj.binary_cross_entropy.hessian(y_true, z, from_logits=True)
    assert np.all(np.isfinite(hessian)) and np.all(hessian >= 0)
    check_pointwise(lj.binary_cross_entropy, y_true, z, dtype=dtype, from_logits=True)


def test_bce_logits_equal_probabilities_of_sigmoid(rng):
    y_true, z = bce_inputs(rng, 50, from_logits=True)
    assert_allclose(lj.binary_cross_entropy(y_true, z, from_logits=True),
                    lj.binary_cross_entropy(y_true, reference.sigmoid(z)), rtol=1e-9)


@pytest.mark.parametrize("options", BCE)
def test_bce_nan_propagates_where_it_is(options, rng):
    for nan_in in ("y_true", "y_pred"):
        y_true, y_pred = bce_inputs(rng, (3, 4), options["from_logits"])
        {"y_true": y_true, "y_pred": y_pred}[nan_in][2, 1] = np.nan
        affected = np.zeros((3, 4), bool)
        affected[2, 1] = True
        value, grad = lj.binary_cross_entropy.value_and_grad(y_true, y_pred, **options)
        assert np.isnan(value)
        assert_array_equal(np.isnan(grad), affected)
        assert_array_equal(np.isnan(lj.binary_cross_entropy(y_true, y_pred, reduction="none", **options)), affected)
        assert_array_equal(np.isnan(lj.binary_cross_entropy.hessian(y_true, y_pred, **options)), affected)


@pytest.mark.parametrize("options", BCE)
def test_bce_layouts_and_dtypes(options, rng):
    y_true, y_pred = bce_inputs(rng, (8, 6), options["from_logits"])
    for y_t, y_p in [(y_true[::2, ::-2], y_pred[::2, ::-2]), (np.asfortranarray(y_true), np.asfortranarray(y_pred)),
                     (y_true.T, y_pred.T)]:
        check_pointwise(lj.binary_cross_entropy, y_t, y_p, dtype=np.float64, sample_weight=y_p[:, 0] ** 2 + 0.1,
                        **options)
    labels = y_true > 0.5
    check_pointwise(lj.binary_cross_entropy, labels, y_pred, dtype=np.float64, **options)
    check_pointwise(lj.binary_cross_entropy, labels.astype(np.int8), y_pred.astype(np.float32), dtype=np.float32,
                    **options)


@pytest.mark.parametrize("options", BCE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [BLOCK_SIZE * 2 + 77, PARALLEL_THRESHOLD + 5000])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_multi_block_sizes(options, dtype, n, weighted, rng):
    """Several blocks, serial and parallel, weighted and through the unweighted block loops."""
    y_true, y_pred = bce_inputs(rng, n, options["from_logits"], dtype)
    weights = rng.uniform(0, 1, y_true.size) if weighted else None
    check_pointwise(lj.binary_cross_entropy, y_true, y_pred, dtype=dtype, sample_weight=weights, **options)


# ---------------------------------------------------------------- softmax cross-entropy


def skip_float32_without_jit(dtype):
    """Pure Python (NUMBA_DISABLE_JIT) keeps ``float32 + python float`` in float32 (NEP 50); Numba promotes."""
    if numba.config.DISABLE_JIT and dtype == np.float32:
        pytest.skip("float32 promotion differs without the JIT")


def logits_and_labels(rng, shape, axis=-1, dtype=np.float64):
    logits = rng.normal(0, 2, shape).astype(dtype)
    n_classes = shape[axis]
    loss_shape = shape[:axis % len(shape)] + shape[axis % len(shape) + 1:]
    return logits, rng.integers(0, n_classes, loss_shape)


def softmax(z, axis=-1):
    """Probabilities along ``axis`` (float64)."""
    return np.moveaxis(np.exp(reference.log_softmax(np.moveaxis(z, axis, -1))), -1, axis)


def check_cross_entropy(y_true, y_pred, *, dtype, sample_weight=None, **options):
    """Value, grad and value_and_grad of cross_entropy against the reference, every reduction."""
    check_against(lj.cross_entropy, reference.cross_entropy, y_true, y_pred, dtype=dtype, sample_weight=sample_weight,
                  **options)


CE_OPTIONS = [
    pytest.param({}, id="plain"),
    pytest.param({"class_weight": [0.5, 2.0, 1.0, 0.0]}, id="class_weight"),
    pytest.param({"label_smoothing": 0.2}, id="smoothing"),
    pytest.param({"class_weight": [0.5, 2.0, 1.0, 3.0], "label_smoothing": 0.1}, id="weight+smoothing"),
    pytest.param({"ignore_index": 1}, id="ignore_index"),
    pytest.param({"ignore_index": 2, "class_weight": [1, 2, 3, 4], "label_smoothing": 0.3}, id="everything"),
]


@pytest.mark.parametrize("options", CE_OPTIONS)
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighting", [None, "rows"])
def test_cross_entropy_labels_match_reference(options, from_logits, dtype, weighting, rng):
    logits, labels = logits_and_labels(rng, (9, 4))
    labels[:3] = [1, 2, 3]
    y_pred = logits if from_logits else softmax(logits)
    sample_weight = None if weighting is None else rng.uniform(0.2, 2.0, 9)
    check_cross_entropy(labels, y_pred.astype(dtype), dtype=dtype, sample_weight=sample_weight,
                        from_logits=from_logits, **options)


@pytest.mark.parametrize("options", [p for p in CE_OPTIONS if "ignore_index" not in p.values[0]])
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_probability_targets_match_reference(options, from_logits, dtype, rng):
    logits, _ = logits_and_labels(rng, (7, 4))
    targets = softmax(rng.normal(0, 1, (7, 4)))
    y_pred = logits if from_logits else softmax(logits)
    check_cross_entropy(targets.astype(dtype), y_pred.astype(dtype), dtype=dtype,
                        sample_weight=rng.uniform(0.2, 2.0, 7), from_logits=from_logits, **options)


def test_cross_entropy_torch_semantics_by_hand():
    """class weights divide the mean by sum_n w_{y_n}; ignored rows count nothing; smoothing spreads eps/C."""
    logits = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0], [1.0, 2.0, 3.0]])
    labels = np.array([0, 2, 1])
    log_q = reference.log_softmax(logits)
    w = np.array([1.0, 2.0, 4.0])
    by_hand = -(w[0] * log_q[0, 0] + w[2] * log_q[1, 2] + w[1] * log_q[2, 1]) / (w[0] + w[2] + w[1])
    assert_allclose(lj.cross_entropy(labels, logits, from_logits=True, class_weight=w), by_hand, rtol=1e-12)
    ignored = -(log_q[0, 0] + log_q[2, 1]) / 2
    assert_allclose(lj.cross_entropy(labels, logits, from_logits=True, ignore_index=2), ignored, rtol=1e-12)
    eps = 0.3
    smoothed = np.mean([(1 - eps) * -log_q[n, labels[n]] + eps / 3 * -log_q[n].sum() for n in range(3)])
    assert_allclose(lj.cross_entropy(labels, logits, from_logits=True, label_smoothing=eps), smoothed, rtol=1e-12)
    one_hot = np.eye(3)[labels]
    assert_allclose(lj.cross_entropy(one_hot, logits, from_logits=True, label_smoothing=eps), smoothed, rtol=1e-12)


@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.2}, {"class_weight": [0.5, 2.0, 1.0, 3.0]},
                                     {"class_weight": [0.5, 2.0, 0.0, 3.0], "label_smoothing": 0.1}])
def test_cross_entropy_is_shift_invariant_at_large_logits(options, rng):
    """The loss is computed from gaps max(z) - z_c >= 0, not as lse(z) times coefficients minus z: logits
    offset by 1e6 give the loss and gradient of the unshifted ones."""
    logits, labels = logits_and_labels(rng, (9, 4))
    value, grad = lj.cross_entropy.value_and_grad(labels, logits, from_logits=True, **options)
    shifted = lj.cross_entropy.value_and_grad(labels, logits + 1e6, from_logits=True, **options)
    assert_allclose(shifted[0], value, rtol=1e-9)
    assert_allclose(shifted[1], grad, rtol=1e-9, atol=1e-15)


def test_cross_entropy_minus_infinite_logits_of_other_classes():
    """A class at -inf has probability 0 and, unless it is the label (or smoothing spreads onto it), takes no
    part: the general path (class weights) gives the common path's finite loss and gradient, not 0 * inf."""
    logits = np.array([[1.0, -np.inf, 0.5], [0.2, 0.1, -np.inf]])
    labels = np.array([0, 1])
    by_hand = -np.mean([reference.log_softmax(logits[n, np.isfinite(logits[n])])[k] for n, k in ((0, 0), (1, 1))])
    common = lj.cross_entropy.value_and_grad(labels, logits, from_logits=True)
    general = lj.cross_entropy.value_and_grad(labels, logits, from_logits=True, class_weight=np.ones(3))
    assert_allclose(common[0], by_hand, rtol=1e-12)
    assert_allclose(general[0], by_hand, rtol=1e-12)
    assert_allclose(general[1], common[1], rtol=1e-12, atol=1e-15)
    assert np.all(common[1][~np.isfinite(logits)] == 0)
    assert lj.cross_entropy(labels, logits, from_logits=True, label_smoothing=0.1) == np.inf
    logits[0, 1] = np.nan  # NaN is not -inf: it still propagates, also through a zero coefficient
    assert np.isnan(lj.cross_entropy(labels, logits, from_logits=True, class_weight=[1.0, 0.0, 1.0]))
    assert np.isnan(lj.cross_entropy(labels[:1], logits[:1], from_logits=True, class_weight=[0.0, 1.0, 1.0],
                                     reduction="sum"))  # every coefficient of the row is 0


def test_cross_entropy_all_rows_ignored_is_nan_with_zero_gradient():
    logits = np.array([[1.0, 2.0], [3.0, 0.0]])
    value, grad = lj.cross_entropy.value_and_grad([-100, -100], logits, from_logits=True)
    assert np.isnan(value)
    assert_array_equal(grad, 0)
    assert lj.cross_entropy([-100, -100], logits, from_logits=True, reduction="sum") == 0


@given(data=st.data())
def test_cross_entropy_random_inputs(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    dtype = data.draw(st.sampled_from([np.float32, np.float64]), label="dtype")
    from_logits = data.draw(st.booleans(), label="from_logits")
    width = np.dtype(dtype).itemsize * 8
    elements = st.floats(-20, 20, width=width) if from_logits else st.floats(0, 1, width=width)
    y_pred = data.draw(hnp.arrays(dtype, shape, elements=elements), label="y_pred")
    n_classes = shape[axis]
    loss_shape = shape[:axis % len(shape)] + shape[axis % len(shape) + 1:]
    if data.draw(st.booleans(), label="labels"):
        y_true = data.draw(hnp.arrays(np.int64, loss_shape, elements=st.integers(0, n_classes - 1)), label="y_true")
    else:
        y_true = data.draw(hnp.arrays(dtype, shape, elements=st.floats(0, 1, width=width)), label="y_true")
    options = {
        "label_smoothing": data.draw(st.sampled_from([0.0, 0.125, 1.0]), label="label_smoothing"),
        "class_weight": data.draw(st.none() | hnp.arrays(np.float64, n_classes, elements=st.floats(0.25, 4)),
                                  label="class_weight"),
    }
    sample_weight = data.draw(st.none() | hnp.arrays(np.float64, loss_shape[:1], elements=st.floats(0.5, 2)),
                              label="sample_weight")
    check_cross_entropy(y_true, y_pred, dtype=dtype, sample_weight=sample_weight, from_logits=from_logits,
                        axis=axis, **options)


@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("targets", ["labels", "probabilities"])
def test_cross_entropy_gradient_by_finite_differences(from_logits, targets, rng):
    logits, labels = logits_and_labels(rng, (3, 4))
    y_true = labels if targets == "labels" else softmax(rng.normal(size=(3, 4)))
    y_pred = logits if from_logits else rng.uniform(0.05, 0.95, (3, 4))
    options = {"from_logits": from_logits, "class_weight": [1.0, 0.5, 2.0, 1.5], "label_smoothing": 0.1,
               "sample_weight": [1.0, 2.0, 0.5]}
    numerical = reference.numerical_grad(lambda p: float(lj.cross_entropy(y_true, p, **options)), y_pred)
    assert_allclose(lj.cross_entropy.grad(y_true, y_pred, **options), numerical, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("from_logits", [True, False])
def test_cross_entropy_nchw_axis_1(from_logits, rng):
    """Segmentation layout: (N, C, H, W) scores, (N, H, W) labels or (N, C, H, W) probabilities."""
    logits, labels = logits_and_labels(rng, (2, 3, 4, 5), axis=1)
    y_pred = logits if from_logits else softmax(logits, axis=1)
    labels[0, 0, :2] = -100
    for sample_weight in (None, rng.uniform(0.5, 2, 2), rng.uniform(0.5, 2, (2, 4, 5))):
        check_cross_entropy(labels, y_pred, dtype=np.float64, sample_weight=sample_weight, from_logits=from_logits,
                            axis=1)
    targets = softmax(rng.normal(size=(2, 3, 4, 5)), axis=1)
    check_cross_entropy(targets, y_pred, dtype=np.float64, from_logits=from_logits, axis=1, label_smoothing=0.1)
    moved = np.moveaxis(y_pred, 1, -1)
    assert_allclose(lj.cross_entropy(labels, y_pred, from_logits=from_logits, axis=1),
                    lj.cross_entropy(labels, moved, from_logits=from_logits), rtol=1e-12)
    assert_allclose(lj.cross_entropy.grad(labels, y_pred, from_logits=from_logits, axis=1),
                    np.moveaxis(lj.cross_entropy.grad(labels, moved, from_logits=from_logits), -1, 1), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_extreme_logits(dtype):
    skip_float32_without_jit(dtype)
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]], dtype)
    labels = np.array([1, 2, 0])
    losses = lj.cross_entropy(labels, logits, from_logits=True, reduction="none")
    assert_allclose(losses, [2e4, 0.0, np.log(2)], **tolerance(dtype))
    grad = lj.cross_entropy.grad(labels, logits, from_logits=True, reduction="none")
    assert_allclose(grad, [[1, -1, 0], [0, 0, 0], [-0.5, 0.5, 0]], **tolerance(dtype))
    check_cross_entropy(labels, logits, dtype=dtype, from_logits=True, label_smoothing=0.2)
    check_cross_entropy(np.eye(3, dtype=dtype)[labels], logits, dtype=dtype, from_logits=True)


def test_cross_entropy_nan_propagates_to_its_row(rng):
    logits, labels = logits_and_labels(rng, (4, 3))
    for column in range(3):
        poisoned = logits.copy()
        poisoned[2, column] = np.nan
        value, grad = lj.cross_entropy.value_and_grad(labels, poisoned, from_logits=True)
        assert np.isnan(value)
        assert np.all(np.isnan(grad[2])) and np.all(np.isfinite(np.delete(grad, 2, axis=0)))
        rows = lj.cross_entropy(labels, poisoned, from_logits=True, reduction="none")
        assert_array_equal(np.isnan(rows), [False, False, True, False])
    probabilities = softmax(logits)
    probabilities[1, 0] = np.nan
    value, grad = lj.cross_entropy.value_and_grad(labels, probabilities)
    assert np.isnan(value) and np.isnan(lj.cross_entropy(labels, probabilities, reduction="none")[1])
    targets = softmax(rng.normal(size=(4, 3)))
    targets[3, 1] = np.nan
    value, grad = lj.cross_entropy.value_and_grad(targets, logits, from_logits=True)
    assert np.isnan(value) and np.all(np.isnan(grad[3])) and np.all(np.isfinite(grad[:3]))


def test_cross_entropy_layouts_and_dtypes(rng):
    logits, labels = logits_and_labels(rng, (8, 5))
    layouts = [(labels[::2], logits[::2, ::-1]), (labels, np.asfortranarray(logits)), (labels[::-1], logits[::-1])]
    for y_t, y_p in layouts:
        check_cross_entropy(y_t, y_p, dtype=np.float64, from_logits=True, sample_weight=np.linspace(1, 2, len(y_t)))
    check_cross_entropy(labels.T, logits.T, dtype=np.float64, from_logits=True, axis=0)
    check_cross_entropy(labels.astype(np.uint8), logits.astype(np.float32), dtype=np.float32, from_logits=True)
    check_cross_entropy(labels.astype(np.float32), logits, dtype=np.float64, from_logits=True)
    check_cross_entropy(labels.tolist(), np.round(logits).astype(np.int32), dtype=np.float64, from_logits=True)
    one_hot = np.eye(5, dtype=bool)[labels]
    check_cross_entropy(one_hot, one_hot, dtype=np.float64)
    check_cross_entropy(2, logits[0], dtype=np.float64, from_logits=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_rows, n_classes", [(5, 511), (6, 512), (40, 1000), (9, 5000)])
def test_cross_entropy_long_rows(dtype, n_rows, n_classes, rng):
    """Rows of 512 classes and more take their own gradient loops (softmax._long_row_exps); 40x1000
    is past the parallel threshold."""
    skip_float32_without_jit(dtype)
    logits, labels = logits_and_labels(rng, (n_rows, n_classes), dtype=dtype)
    logits[1, ::3] = -1e4  # exp underflows to exactly 0
    labels[1] = 1
    logits[2, 7] = 60.0
    labels[3] = -100
    weights = rng.uniform(0, 2, n_rows)
    check_cross_entropy(labels, logits, dtype=dtype, from_logits=True, sample_weight=weights)
    with_infinities = np.where(logits == -1e4, -np.inf, logits)  # the reference's 0 * -inf is NaN
    value, grad = lj.cross_entropy.value_and_grad(labels, with_infinities, from_logits=True, sample_weight=weights)
    assert_array_equal(value, lj.cross_entropy(labels, logits, from_logits=True, sample_weight=weights))
    assert_array_equal(grad, lj.cross_entropy.grad(labels, logits, from_logits=True, sample_weight=weights))


@pytest.mark.parametrize("n_classes", [3, 100, 600])
def test_cross_entropy_nan_of_either_sign_poisons_its_row(n_classes, rng):
    """The row maximum compares the floats' bits as integers, where a NaN with its sign bit set
    sorts below -inf: the row must still come out NaN, and the others finite."""
    logits, labels = logits_and_labels(rng, (4, n_classes))
    for nan in (np.nan, -np.nan):
        poisoned = logits.copy()
        poisoned[1, n_classes // 2] = nan
        assert np.signbit(poisoned[1, n_classes // 2]) == (nan is not np.nan)
        rows, grad = lj.cross_entropy.value_and_grad(labels, poisoned, from_logits=True, reduction="none")
        assert_array_equal(np.isnan(rows), [False, True, False, False])
        assert np.all(np.isnan(grad[1])) and np.all(np.isfinite(np.delete(grad, 1, axis=0)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [3, 10, 5000])
def test_cross_entropy_parallel_sizes(dtype, n_classes, rng):
    skip_float32_without_jit(dtype)
    n_rows = (PARALLEL_THRESHOLD + 3 * 4096) // n_classes + 3
    logits, labels = logits_and_labels(rng, (n_rows, n_classes), dtype=dtype)
    labels[::7] = -100
    check_cross_entropy(labels, logits, dtype=dtype, from_logits=True, sample_weight=rng.uniform(0, 2, n_rows),
                        label_smoothing=0.1)
    check_cross_entropy(softmax(logits.astype(np.float64)).astype(dtype), logits, dtype=dtype, from_logits=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_rows, n_classes", [(7, 600), (3000, 11), (40, 1000)])
@pytest.mark.parametrize("from_logits, targets", [(True, "probabilities"), (False, "labels"),
                                                  (False, "probabilities")])
def test_cross_entropy_general_paths_at_block_and_parallel_sizes(dtype, n_rows, n_classes, from_logits, targets,
                                                                  rng):
    """Probability targets and probabilities as input run their own blocks (softmax._target_logits,
    _probabilities): rows longer than _LONG_ROW, blocks of rows that do not divide BLOCK_SIZE, and
    (3000x11, 40x1000) sizes past the parallel threshold, with every option."""
    skip_float32_without_jit(dtype)
    logits, labels = logits_and_labels(rng, (n_rows, n_classes), dtype=dtype)
    labels[::5] = -100
    y_true = labels if targets == "labels" else softmax(rng.normal(size=(n_rows, n_classes))).astype(dtype)
    y_pred = logits if from_logits else softmax(logits.astype(np.float64)).astype(dtype)
    options = {"from_logits": from_logits, "class_weight": rng.uniform(0, 2, n_classes), "label_smoothing": 0.1,
               "sample_weight": rng.uniform(0, 2, n_rows)}
    check_cross_entropy(y_true, y_pred, dtype=dtype, **options)
    check_cross_entropy(y_true, y_pred, dtype=dtype, from_logits=from_logits)


def test_cross_entropy_probability_targets_with_minus_infinite_logits():
    """A class at -inf logit with target 0 (and no smoothing) takes no part, as in the labelled path."""
    logits = np.array([[1.0, -np.inf, 0.5], [0.2, 0.1, -np.inf]])
    targets = np.array([[0.7, 0.0, 0.3], [0.4, 0.6, 0.0]])
    value, grad = lj.cross_entropy.value_and_grad(targets, logits, from_logits=True)
    finite = np.where(np.isfinite(logits), logits, -1e4)  # exp(-1e4 - max) is exactly 0
    expected = lj.cross_entropy.value_and_grad(targets, finite, from_logits=True)
    assert_allclose(value, expected[0], rtol=1e-12)
    assert_array_equal(grad, expected[1])
    assert lj.cross_entropy(targets, logits, from_logits=True, label_smoothing=0.1) == np.inf


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(7, 10), (5000, 10)])  # serial, and past the parallel threshold
@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.2}, {"class_weight": "random"},
                                     {"label_smoothing": 0.1, "class_weight": "random"}])
def test_cross_entropy_labelled_logits_value_alone_is_the_value_with_the_gradient(dtype, shape, options, rng):
    """Logits with class indices have a block for the value alone and one for the value with the gradient
    (softmax._labelled_logits, _labelled_logits_and_gradient): the same loss, bitwise, per row and reduced."""
    skip_float32_without_jit(dtype)
    logits, labels = logits_and_labels(rng, shape, dtype=dtype)
    labels[1] = -100  # ignored
    if options.get("class_weight") == "random":
        options = {**options, "class_weight": rng.uniform(0.5, 2.0, shape[1])}
    weights = rng.uniform(0, 2, shape[0])
    for reduction in ("mean", "sum", "none"):
        arguments = dict(from_logits=True, sample_weight=weights, reduction=reduction, **options)
        value, _ = lj.cross_entropy.value_and_grad(labels, logits, **arguments)
        assert_array_equal(lj.cross_entropy(labels, logits, **arguments), value)
