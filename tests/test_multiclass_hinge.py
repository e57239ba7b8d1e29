"""The multi-class hinge losses (multi_margin, crammer_singer, categorical_hinge) against float64 NumPy
references, torch (multi_margin_loss; Keras's categorical_hinge formula in torch ops) and finite differences."""

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

import lossjit as lj
import reference_multiclass as reference
from checks import REDUCTIONS, at_threads, check_against
from lossjit._config import BLOCK_SIZE, PARALLEL_THRESHOLD
from lossjit._kernels.multiclass_hinge import multiclass_hinge
from lossjit.multiclass import categorical_hinge, crammer_singer, multi_margin

LOSSES = [multi_margin, crammer_singer, categorical_hinge]
#: Options of each loss checked against its reference.
OPTIONS = {
    "multi_margin": [{}, {"p": 2}, {"margin": 0.3, "class_weight": [0.5, 2.0, 1.0, 0.0]},
                     {"p": 2, "margin": 2.5, "class_weight": [1.0, 3.0, 0.25, 2.0]}, {"margin": 0.0}, {"margin": -0.5}],
    "crammer_singer": [{}, {"margin": 0.3}, {"margin": 4.0}, {"margin": 0.0}],
    "categorical_hinge": [{}],
}
CASES = [pytest.param(loss, options, id=f"{loss.name}-{i}") for loss in LOSSES
         for i, options in enumerate(OPTIONS[loss.name])]


def check(loss, y_true, y_pred, *, dtype, sample_weight=None, **options):
    """Value, grad and value_and_grad against the reference, every reduction."""
    check_against(loss, reference.REFERENCES[loss.name], y_true, y_pred, dtype=dtype, sample_weight=sample_weight,
                  **options)


def skip_float32_without_jit(dtype):
    """Pure Python (NUMBA_DISABLE_JIT) keeps ``float32 + python float`` in float32 (NEP 50); Numba promotes."""
    if numba.config.DISABLE_JIT and dtype == np.float32:
        pytest.skip("float32 promotion differs without the JIT")


def inputs(rng, shape, targets="labels", dtype=np.float64):
    """(y_true, scores): class indices of shape[:-1], or class probabilities of ``shape`` for "probabilities"
    (rows of a softmax) and "one-hot"."""
    scores = rng.normal(0, 2, shape).astype(dtype)
    labels = rng.integers(0, shape[-1], shape[:-1])
    if targets == "labels":
        return labels, scores
    if targets == "one-hot":
        return np.eye(shape[-1], dtype=dtype)[labels], scores
    e = np.exp(rng.normal(0, 2, shape))
    return (e / e.sum(axis=-1, keepdims=True)).astype(dtype), scores


def target_forms(loss):
    return ["labels", "one-hot", "probabilities"] if loss is categorical_hinge else ["labels"]


def kink_distance(loss, y_true, y_pred, **options):
    """The smallest |z| of a hinge and the smallest gap between an arg-max and the runner-up, over every row:
    how far the input lies from a point where the loss is not differentiable."""
    x = np.asarray(y_pred, np.float64).reshape(-1, np.shape(y_pred)[-1])
    rows = np.arange(x.shape[0])
    if loss is categorical_hinge and np.shape(y_true) == np.shape(y_pred):
        t = np.asarray(y_true, np.float64).reshape(x.shape)
    else:
        t = np.eye(x.shape[1])[np.asarray(y_true).reshape(-1)]
    if loss is multi_margin:
        y = np.asarray(y_true).reshape(-1)
        z = options.get("margin", 1.0) - x[rows, y][:, None] + x
        return np.min(np.abs(z[t == 0]))
    scores = np.where(t == 1, -np.inf, x) if loss is crammer_singer else (1 - t) * x
    ordered = np.sort(scores, axis=1)
    if loss is crammer_singer:
        z = options.get("margin", 1.0) + ordered[:, -1] - np.sum(t * x, axis=1)
    else:
        z = ordered[:, -1] - np.sum(t * x, axis=1) + 1
    return min(np.min(np.abs(z)), np.min(ordered[:, -1] - ordered[:, -2]))


# ---------------------------------------------------------------- against the reference


@pytest.mark.parametrize("loss, options", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighting", [None, "rows"])
def test_matches_reference(loss, options, dtype, weighting, rng):
    skip_float32_without_jit(dtype)
    sample_weight = None if weighting is None else rng.uniform(0, 2, 9)
    for targets in target_forms(loss):
        y_true, y_pred = inputs(rng, (9, 4), targets, dtype)
        check(loss, y_true, y_pred, dtype=dtype, sample_weight=sample_weight, **options)


@given(data=st.data())
def test_random_inputs(data):
    loss = data.draw(st.sampled_from(LOSSES), label="loss")
    n_rows = data.draw(st.integers(1, 6), label="n_rows")
    n_classes = data.draw(st.integers(1, 6), label="n_classes")
    options = {}
    if loss is not categorical_hinge:
        options["margin"] = data.draw(st.sampled_from([0.0, 0.5, 1.0, 3.0]), label="margin")
    if loss is multi_margin:
        options["p"] = data.draw(st.sampled_from([1, 2]), label="p")
        options["class_weight"] = data.draw(
            st.none() | hnp.arrays(np.float64, n_classes, elements=st.floats(0, 3)), label="class_weight")
    y_pred = data.draw(hnp.arrays(np.float64, (n_rows, n_classes), elements=st.floats(-30, 30)), label="y_pred")
    if loss is categorical_hinge and data.draw(st.booleans(), label="probabilities"):
        y_true = data.draw(hnp.arrays(np.float64, (n_rows, n_classes), elements=st.floats(0, 1)), label="y_true")
    else:
        y_true = data.draw(hnp.arrays(np.int64, n_rows, elements=st.integers(0, n_classes - 1)), label="y_true")
    sample_weight = data.draw(st.none() | hnp.arrays(np.float64, n_rows, elements=st.floats(0.5, 2.0)),
                              label="sample_weight")
    check(loss, y_true, y_pred, dtype=np.float64, sample_weight=sample_weight, **options)


@pytest.mark.parametrize("loss, options", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [3, 10, 5000])
def test_parallel_sizes(loss, options, dtype, n_classes, rng):
    skip_float32_without_jit(dtype)
    n_rows = (PARALLEL_THRESHOLD + 3 * BLOCK_SIZE) // n_classes + 3
    if "class_weight" in options:
        options = {**options, "class_weight": np.linspace(0.0, 2.0, n_classes)}
    for targets in target_forms(loss):
        y_true, y_pred = inputs(rng, (n_rows, n_classes), targets, dtype)
        assert y_pred.size >= PARALLEL_THRESHOLD
        check(loss, y_true, y_pred, dtype=dtype, sample_weight=rng.uniform(0, 2, n_rows), **options)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_layouts_and_label_forms(loss, rng):
    labels, scores = inputs(rng, (8, 5))
    for y_t, y_p in [(labels[::2], scores[::2, ::-1]), (labels, np.asfortranarray(scores)),
                     (labels.tolist(), scores.tolist()), (labels.astype(np.float32), scores),
                     (labels.astype(np.uint8), scores.astype(np.float32)), (labels, scores.astype(np.int64) * 2)]:
        check(loss, y_t, y_p, dtype=np.float32 if np.asarray(y_p).dtype == np.float32 else np.float64)
    # more leading axes are more rows, weighed by a leading part of their shape
    labels, scores = inputs(rng, (2, 3, 4))
    for sample_weight in (None, rng.uniform(0, 2, 2), rng.uniform(0, 2, (2, 3))):
        check(loss, labels, scores, dtype=np.float64, sample_weight=sample_weight)
    # one row of shape (C,) with a scalar label
    check(loss, 2, scores[0, 0], dtype=np.float64)


def test_integer_scores_compute_in_float64(rng):
    labels, scores = inputs(rng, (6, 4))
    integer_scores = np.round(scores * 3).astype(np.int32)
    for loss in LOSSES:
        value, grad = loss.value_and_grad(labels, integer_scores)
        assert value.dtype == grad.dtype == np.float64
        assert value == loss(labels, integer_scores.astype(np.float64))


# ---------------------------------------------------------------- the peers: torch and Keras


def torch_multi_margin(y_true, y_pred, *, sample_weight=None, reduction="mean", margin=1.0, p=1, class_weight=None):
    """(value, grad) of torch.nn.functional.multi_margin_loss in float64; sample weights as lossjit reduces."""
    torch = pytest.importorskip("torch")
    x = torch.tensor(np.asarray(y_pred, np.float64), requires_grad=True)
    y = torch.tensor(np.asarray(y_true, np.int64))
    weight = None if class_weight is None else torch.tensor(np.asarray(class_weight, np.float64))
    options = {"p": p, "margin": margin, "weight": weight}
    if sample_weight is None and reduction != "none":
        value = torch.nn.functional.multi_margin_loss(x, y, reduction=reduction, **options)
        summed = value
    else:
        rows = torch.nn.functional.multi_margin_loss(x, y, reduction="none", **options)
        s = torch.ones(rows.shape, dtype=torch.float64) if sample_weight is None else torch.tensor(sample_weight)
        value = s * rows if reduction == "none" else (s * rows).sum() / (s.sum() if reduction == "mean" else 1.0)
        summed = value.sum()
    (grad,) = torch.autograd.grad(summed, x)
    return value.detach().numpy(), grad.numpy()


def keras_categorical_hinge(y_true, y_pred, *, sample_weight=None, reduction="mean"):
    """(value, grad) of keras.losses.categorical_hinge's formula (keras/src/losses/losses.py) in torch ops, as
    Keras's torch backend runs it: pos = sum(t x), neg = max((1 - t) x), maximum(neg - pos + 1, 0)."""
    torch = pytest.importorskip("torch")
    x = torch.tensor(np.asarray(y_pred, np.float64), requires_grad=True)
    t = np.asarray(y_true)
    if t.shape != x.shape:
        t = np.eye(x.shape[-1])[t]
    t = torch.tensor(t, dtype=torch.float64)
    pos = torch.sum(t * x, dim=-1)
    neg = torch.amax((1.0 - t) * x, dim=-1)
    rows = torch.maximum(neg - pos + 1.0, torch.tensor(0.0, dtype=torch.float64))
    s = torch.ones(rows.shape, dtype=torch.float64) if sample_weight is None else torch.tensor(sample_weight)
    value = s * rows if reduction == "none" else (s * rows).sum() / (s.sum() if reduction == "mean" else 1.0)
    (grad,) = torch.autograd.grad(value.sum(), x)
    return value.detach().numpy(), grad.numpy()


def assert_agrees(value, grad, expected_value, expected_grad, case):
    """To 1e-10 relative, with an absolute floor of 1e-10 of the largest magnitude (a sum of hinges of
    size M carries rounding of M ulps)."""
    value_scale = max(1.0, float(np.max(np.abs(expected_value))))
    grad_scale = max(1.0, float(np.max(np.abs(expected_grad))))
    assert_allclose(value, expected_value, rtol=1e-10, atol=1e-10 * value_scale, err_msg=case)
    assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-10 * grad_scale, err_msg=case)


def margin_cases(rng):
    """(name, y_true, scores, options): random and extreme inputs for multi_margin."""
    labels, scores = inputs(rng, (40, 7))
    small_labels, small = inputs(rng, (30, 2))
    many_labels, many = inputs(rng, (20, 1000))
    ties = rng.integers(-1, 2, (50, 4)).astype(np.float64)  # z = 1 - x_y + x_i is often exactly 0: kinks
    tie_labels = rng.integers(0, 4, 50)
    yield "random", labels, scores, {}
    yield "random p=2 weighted", labels, scores, {"p": 2, "margin": 0.7, "class_weight": rng.uniform(0, 2, 7)}
    yield "C=2", small_labels, small, {}
    yield "C=2 p=2", small_labels, small, {"p": 2}
    yield "C=1000", many_labels, many, {"class_weight": rng.uniform(0, 2, 1000)}
    yield "C=1000 p=2", many_labels, many, {"p": 2}
    yield "ties at the kink", tie_labels, ties, {}
    yield "ties at the kink p=2", tie_labels, ties, {"p": 2}
    yield "equal scores", tie_labels, np.zeros((50, 4)), {"margin": 0.0}
    yield "large margin", labels, scores, {"margin": 1e6}
    yield "large margin p=2", labels, scores, {"p": 2, "margin": 1e6}
    yield "large scores", labels, scores * 1e8, {}
    yield "large scores p=2", labels, scores * 1e8, {"p": 2}
    yield "negative margin", labels, scores, {"margin": -2.0}


def test_multi_margin_matches_torch(rng):
    pytest.importorskip("torch")
    for name, y_true, scores, options in margin_cases(rng):
        weights = rng.uniform(0, 2, len(y_true))
        for sample_weight in (None, weights):
            for reduction in REDUCTIONS:
                kwargs = {"sample_weight": sample_weight, "reduction": reduction, **options}
                value, grad = multi_margin.value_and_grad(y_true, scores, **kwargs)
                expected_value, expected_grad = torch_multi_margin(y_true, scores, **kwargs)
                assert_agrees(value, grad, expected_value, expected_grad, f"{name} {reduction}")


def test_multi_margin_derivative_at_the_kink_is_torchs():
    """z = margin - x_y + x_i = 0 exactly: torch tests z > 0, so the hinge's derivative there is 0."""
    pytest.importorskip("torch")
    scores = np.array([[1.0, 0.0, 0.5], [2.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    labels = np.array([0, 0, 1])
    for p in (1, 2):
        grad = multi_margin.grad(labels, scores, reduction="sum", p=p)
        assert_array_equal(grad[0], [-1 / 3, 0.0, 1 / 3])  # z_1 = 0; z_2 = 0.5 (p = 2: 2 z_2 / 3)
        assert_array_equal(grad[1], [0.0, 0.0, 0.0])
        assert_array_equal(grad, torch_multi_margin(labels, scores, reduction="sum", p=p)[1])


def keras_cases(rng):
    """(name, y_true, scores): inputs away from ties of the max (torch's amax splits a tie, lossjit takes the
    first), random and extreme."""
    for n_classes in (2, 5, 1000):
        labels, scores = inputs(rng, (30, n_classes))
        yield f"labels C={n_classes}", labels, scores
        yield f"one-hot C={n_classes}", np.eye(n_classes)[labels], scores
        yield f"probabilities C={n_classes}", inputs(rng, (30, n_classes), "probabilities")[0], scores
    labels, scores = inputs(rng, (30, 5))
    yield "large scores", labels, scores * 1e8
    yield "scores all negative (the quirk: neg = 0)", labels, -np.abs(scores) - 0.5
    yield "confident rows (hinge inactive)", labels, scores + 10 * np.eye(5)[labels]


def test_categorical_hinge_matches_keras_formula(rng):
    pytest.importorskip("torch")
    for name, y_true, scores in keras_cases(rng):
        for sample_weight in (None, rng.uniform(0, 2, len(scores))):
            for reduction in REDUCTIONS:
                kwargs = {"sample_weight": sample_weight, "reduction": reduction}
                value, grad = categorical_hinge.value_and_grad(y_true, scores, **kwargs)
                expected_value, expected_grad = keras_categorical_hinge(y_true, scores, **kwargs)
                assert_agrees(value, grad, expected_value, expected_grad, f"{name} {reduction}")


def test_categorical_hinge_quirk():
    """(1 - t) x is 0 at a one-hot's true class, so neg >= 0: with every other score negative the loss is
    max(0, 1 - x_y), not crammer_singer's margin to the best other class."""
    scores = np.array([[0.5, -3.0, -2.0], [-1.0, -3.0, -2.0], [2.0, -3.0, -2.0]])
    labels = np.array([0, 0, 0])
    losses = categorical_hinge(labels, scores, reduction="none")
    assert_array_equal(losses, [0.5, 2.0, 0.0])
    assert_array_equal(crammer_singer(labels, scores, reduction="none"), [0.0, 0.0, 0.0])
    assert_array_equal(categorical_hinge.grad(labels, scores, reduction="sum"),
                       [[-1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    # class indices and their one-hot rows are the same targets
    for reduction in REDUCTIONS:
        assert_array_equal(categorical_hinge(labels, scores, reduction=reduction),
                           categorical_hinge(np.eye(3)[labels], scores, reduction=reduction))
        assert_array_equal(categorical_hinge.grad(labels, scores, reduction=reduction),
                           categorical_hinge.grad(np.eye(3)[labels], scores, reduction=reduction))


def test_crammer_singer_ties_take_the_first_arg_max():
    scores = np.array([[0.0, 2.0, 2.0, 1.0], [3.0, 3.0, 3.0, 3.0], [5.0, 1.0, 0.0, 1.0]])
    labels = np.array([0, 2, 0])
    value, grad = crammer_singer.value_and_grad(labels, scores, reduction="none")
    assert_array_equal(value, [3.0, 1.0, 0.0])
    assert_array_equal(grad, [[-1.0, 1.0, 0.0, 0.0], [1.0, 0.0, -1.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    # at the kink z = 0 the subgradient is 0
    assert_array_equal(crammer_singer.grad([0], [[1.0, 0.0]], reduction="sum"), [[0.0, 0.0]])
    assert_array_equal(categorical_hinge.grad([0], [[1.0, 0.0]], reduction="sum"), [[0.0, 0.0]])


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_one_class(loss):
    """C = 1: no other class. multi_margin and crammer_singer cost 0; categorical_hinge max(0, 1 - x)."""
    scores = np.array([[2.0], [-1.0], [0.5]])
    labels = np.zeros(3, np.int64)
    value, grad = loss.value_and_grad(labels, scores, reduction="none")
    if loss is categorical_hinge:
        assert_array_equal(value, [0.0, 2.0, 0.5])
        assert_array_equal(grad, [[0.0], [-1.0], [-1.0]])
    else:
        assert_array_equal(value, np.zeros(3))
        assert_array_equal(grad, np.zeros((3, 1)))


# ---------------------------------------------------------------- gradients, extremes, NaN


@pytest.mark.parametrize("loss, options", CASES)
def test_gradient_by_finite_differences(loss, options, rng):
    for targets in target_forms(loss):
        y_true, y_pred = inputs(rng, (6, 4), targets)
        assert kink_distance(loss, y_true, y_pred, **options) > 1e-4  # finite differences need a smooth loss
        for reduction in REDUCTIONS:
            lj.check_grad(loss, y_true, y_pred, reduction=reduction, sample_weight=rng.uniform(0.5, 2, 6),
                          **options)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_infinite_and_huge_scores(loss, dtype):
    skip_float32_without_jit(dtype)
    big = np.finfo(dtype).max / 4
    scores = np.array([[np.inf, 0.0, 1.0], [0.0, np.inf, 1.0], [-np.inf, 0.0, 1.0], [big, -big, 0.0],
                       [-big, big, 0.0]], dtype)
    labels = np.zeros(5, np.int64)
    losses = loss(labels, scores, reduction="none")
    expected = reference.REFERENCES[loss.name](labels, scores, reduction="none", dtype=dtype)[0]
    assert_allclose(losses, expected, rtol=1e-6)
    assert losses[0] == 0 and np.isinf(losses[1]) and np.isinf(losses[2])
    grad = loss.grad(labels, scores, reduction="none")
    assert np.all(np.isfinite(grad[[0, 3, 4]]))


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_nan_propagates_to_its_row(loss, rng):
    labels, scores = inputs(rng, (4, 3))
    for column in range(3):
        poisoned = scores.copy()
        poisoned[2, column] = np.nan
        value, grad = loss.value_and_grad(labels, poisoned)
        assert np.isnan(value)
        rows = loss(labels, poisoned, reduction="none")
        assert_array_equal(np.isnan(rows), [False, False, True, False])
        assert np.isnan(grad[2, labels[2]])
        assert np.all(np.isfinite(np.delete(grad, 2, axis=0)))
    if loss is categorical_hinge:
        targets = inputs(rng, (4, 3), "probabilities")[0]
        targets[1, 0] = np.nan
        rows = loss(targets, scores, reduction="none")
        assert_array_equal(np.isnan(rows), [False, True, False, False])


# ---------------------------------------------------------------- the Loss interface


@pytest.mark.parametrize("loss, options", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_value_is_the_same_with_or_without_the_gradient_and_out_receives_it(loss, options, dtype, rng):
    skip_float32_without_jit(dtype)
    for n_rows, targets in ((n_rows, targets) for n_rows in (7, PARALLEL_THRESHOLD // 4 + 5)
                            for targets in target_forms(loss)):
        y_true, y_pred = inputs(rng, (n_rows, 4), targets, dtype)
        for sample_weight in (None, rng.uniform(0, 2, n_rows)):
            for reduction in REDUCTIONS:
                kwargs = {"sample_weight": sample_weight, "reduction": reduction, **options}
                value, grad = loss.value_and_grad(y_true, y_pred, **kwargs)
                assert np.asarray(value).tobytes() == np.asarray(loss(y_true, y_pred, **kwargs)).tobytes()
                out = np.full(y_pred.shape, np.nan, dtype)
                out_value, out_grad = loss.value_and_grad(y_true, y_pred, out=out, **kwargs)
                assert out_grad is out and out_value.tobytes() == value.tobytes()
                assert out.tobytes() == grad.tobytes()
                assert loss.grad(y_true, y_pred, out=out, **kwargs) is out
                assert out.tobytes() == grad.tobytes()


def test_reductions_relate_as_documented(rng):
    labels, scores = inputs(rng, (10, 4))
    weights = rng.uniform(0, 2, 10)
    for loss in LOSSES:
        rows = loss(labels, scores, reduction="none", sample_weight=weights)
        assert rows.shape == (10,)
        assert_allclose(loss(labels, scores, reduction="sum", sample_weight=weights), rows.sum(), rtol=1e-12)
        assert_allclose(loss(labels, scores, sample_weight=weights), rows.sum() / weights.sum(), rtol=1e-12)
        assert_allclose(loss(labels, scores), loss(labels, scores, reduction="none").mean(), rtol=1e-12)


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="compiled signatures mean nothing without the JIT")
@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_read_only_and_memory_mapped_inputs_share_one_kernel(loss, tmp_path, rng):
    for dtype, targets in ((dtype, targets) for dtype in (np.float32, np.float64) for targets in target_forms(loss)):
        y_true, y_pred = inputs(rng, (PARALLEL_THRESHOLD // 8 + 3, 10), targets, dtype)
        weights = rng.uniform(0, 2, len(y_pred)).astype(dtype)
        expected = loss.value_and_grad(y_true, y_pred, sample_weight=weights)
        arrays = {"y_true": y_true, "y_pred": y_pred, "weights": weights}
        for name, array in arrays.items():
            np.save(tmp_path / f"{name}.npy", array)
        mapped = [np.load(tmp_path / f"{name}.npy", mmap_mode="r") for name in arrays]
        read_only = [array.copy() for array in arrays.values()]
        for array in read_only:
            array.flags.writeable = False
        for y, p, w in (mapped, read_only):
            value, grad = loss.value_and_grad(y, p, sample_weight=w)
            assert value == expected[0]
            assert_array_equal(grad, expected[1])
    for dtype in multiclass_hinge.compiled_dtypes():
        for function in multiclass_hinge.compiled_functions(dtype):  # the shared driver and the blocks used
            assert len(function.signatures) == 1, dtype


def every_output(loss, y_true, y_pred, sample_weight, options):
    outputs = []
    for weights in (None, sample_weight):
        for reduction in REDUCTIONS:
            kwargs = {"sample_weight": weights, "reduction": reduction, **options}
            value, grad = loss.value_and_grad(y_true, y_pred, **kwargs)
            outputs += [np.asarray(value).tobytes(), grad.tobytes(),
                        np.asarray(loss(y_true, y_pred, **kwargs)).tobytes()]
    return outputs


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="thread counts mean nothing without the JIT")
@pytest.mark.parametrize("loss, options", CASES)
@pytest.mark.parametrize("n_classes", [10, 5000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_identical_at_one_and_two_threads(loss, options, n_classes, dtype):
    assert numba.config.NUMBA_NUM_THREADS >= 2
    rng = np.random.default_rng(8)
    n_rows = (PARALLEL_THRESHOLD + 2 * BLOCK_SIZE + 123) // n_classes + 5
    if "class_weight" in options:
        options = {**options, "class_weight": np.linspace(0.0, 2.0, n_classes)}
    weights = rng.uniform(0, 2, n_rows)
    for targets in target_forms(loss):
        y_true, y_pred = inputs(rng, (n_rows, n_classes), targets, dtype)
        one = at_threads(1, lambda: every_output(loss, y_true, y_pred, weights, options))
        two = at_threads(2, lambda: every_output(loss, y_true, y_pred, weights, options))
        assert one == two
        assert every_output(loss, y_true, y_pred, weights, options) == two  # and on a repeat


def test_descriptions():
    for loss in LOSSES:
        assert loss.formula and loss.gradient and loss.__doc__
        assert loss.properties == {"task": "multi-class classification", "convex": True, "robust_to_outliers": True,
                                   "input": "scores"}
    assert multi_margin.options == {"margin": 1.0, "p": 1, "class_weight": None}
    assert crammer_singer.options == {"margin": 1.0}
    assert categorical_hinge.options == {}


# ---------------------------------------------------------------- errors, before any kernel


LABELS = np.array([2, 0])
SCORES = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])


@pytest.mark.parametrize("loss, kwargs, error, match", [
    (multi_margin, {"p": 3}, ValueError, "p must be 1 or 2, got 3"),
    (multi_margin, {"p": 1.5}, ValueError, "p must be 1 or 2"),
    (multi_margin, {"p": True}, TypeError, "p must be 1 or 2"),
    (multi_margin, {"p": "2"}, TypeError, "p must be 1 or 2"),
    (multi_margin, {"margin": np.nan}, ValueError, "margin must be finite"),
    (multi_margin, {"margin": np.inf}, ValueError, "margin must be finite"),
    (multi_margin, {"margin": "1"}, TypeError, "margin must be a real number"),
    (crammer_singer, {"margin": None}, TypeError, "margin must be a real number"),
    (crammer_singer, {"margin": True}, TypeError, "margin"),
    (multi_margin, {"class_weight": [1.0, 2.0]}, ValueError, r"class_weight must have shape \(3,\), got \(2,\)"),
    (multi_margin, {"class_weight": [1.0, -2.0, 3.0]}, ValueError, "class_weight must be finite and non-negative"),
    (multi_margin, {"class_weight": [1.0, np.nan, 3.0]}, ValueError, "class_weight must be finite and non-negative"),
    (crammer_singer, {"class_weight": [1.0, 1.0, 1.0]}, TypeError, "unexpected keyword"),
    (categorical_hinge, {"margin": 2.0}, TypeError, "unexpected keyword"),
    (multi_margin, {"reduction": "batchmean"}, ValueError, "reduction"),
    (crammer_singer, {"sample_weight": [1.0, -1.0]}, ValueError, "sample_weight"),
    (categorical_hinge, {"sample_weight": [1.0, 1.0, 1.0]}, ValueError, "sample_weight"),
    (multi_margin, {"sample_weight": [0.0, 0.0]}, ValueError, "sums to zero"),
])
def test_bad_options_are_rejected(no_kernel, loss, kwargs, error, match):
    for method in (loss, loss.grad, loss.value_and_grad):
        with pytest.raises(error, match=match):
            method(LABELS, SCORES, **kwargs)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
@pytest.mark.parametrize("y_true, error, match", [
    (np.array([3, 0]), ValueError, r"class indices must lie in \[0, 3\); found 0 to 3"),
    (np.array([-1, 0]), ValueError, r"class indices must lie in \[0, 3\)"),
    (np.array([0.5, 1.0]), ValueError, "must be integers"),
    (np.array([np.nan, 1.0]), ValueError, "must be integers"),
    (np.array([True, False]), TypeError, "got bool"),
    (np.array([0, 1, 2]), ValueError, r"y_true has shape \(3,\)"),
    (np.array(["a", "b"]), TypeError, "y_true must hold real numbers"),
    (np.array([2**64 - 1, 0], np.uint64), ValueError, "beyond int64"),
])
def test_bad_labels_are_rejected(no_kernel, loss, y_true, error, match):
    with pytest.raises(error, match=match):
        loss(y_true, SCORES)


@pytest.mark.parametrize("y_true, match", [
    (np.full((2, 3), 2.0), r"y_true must lie in \[0, 1\]"),
    (np.full((2, 3), -1.0), r"y_true must lie in \[0, 1\]"),
    (np.zeros((2, 4)), r"y_true has shape \(2, 4\)"),
])
def test_bad_categorical_targets_are_rejected(no_kernel, y_true, match):
    with pytest.raises(ValueError, match=match):
        categorical_hinge(y_true, SCORES)


@pytest.mark.parametrize("loss", [multi_margin, crammer_singer], ids=lambda loss: loss.name)
def test_label_losses_refuse_probability_targets(no_kernel, loss):
    with pytest.raises(ValueError, match=r"y_true has shape \(2, 3\); .* takes class indices of shape \(2,\)"):
        loss(np.eye(3)[LABELS], SCORES)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_bad_scores_are_rejected(no_kernel, loss):
    with pytest.raises(ValueError, match="y_pred is empty"):
        loss(np.zeros(0, np.int64), np.zeros((0, 3)))
    with pytest.raises(ValueError, match="y_pred is empty"):
        loss(np.zeros(2, np.int64), np.zeros((2, 0)))
    with pytest.raises(ValueError, match="class axis"):
        loss(0, 1.0)
    with pytest.raises(TypeError, match="y_pred must hold real numbers"):
        loss(LABELS, SCORES.astype(complex))
    with pytest.raises(ValueError, match="ragged"):
        loss(LABELS, [[1.0, 2.0], [3.0]])
