"""poly1_cross_entropy and sparsemax_loss against float64 NumPy references, optax's test values, torch and
finite differences."""

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

import lossjit as lj
import reference
import reference_softmax_variants as ref
from checks import REDUCTIONS, at_threads, check_against, tolerance
from lossjit._config import BLOCK_SIZE, PARALLEL_THRESHOLD
from lossjit._kernels import poly1 as poly1_kernels
from lossjit._kernels import sparsemax as sparsemax_kernels
from lossjit.softmax_variants import poly1_cross_entropy, sparsemax_loss

LOSSES = {"poly1": (poly1_cross_entropy, ref.poly1), "sparsemax": (sparsemax_loss, ref.sparsemax_loss)}
KERNELS = {"poly1": poly1_kernels.poly1_cross_entropy, "sparsemax": sparsemax_kernels.sparsemax_loss}


def skip_float32_without_jit(dtype):
    """Pure Python (NUMBA_DISABLE_JIT) keeps ``float32 + python float`` in float32 (NEP 50); Numba promotes."""
    if numba.config.DISABLE_JIT and dtype == np.float32:
        pytest.skip("float32 promotion differs without the JIT")


def softmax(z):
    return np.exp(reference.log_softmax(z))


def inputs(rng, shape, targets, dtype=np.float64, scale=2.0):
    """(y_true, logits): class indices, or probability rows (softmax of random logits, some zero) of y_pred's
    shape."""
    logits = rng.normal(0, scale, shape)
    if targets == "labels":
        y_true = rng.integers(0, shape[-1], shape[:-1])
    else:
        y_true = softmax(rng.normal(0, 2, shape))
        y_true[..., 0] += y_true[..., -1]  # a zero target in every row (of two or more classes)
        y_true[..., -1] = 0.0
        y_true = y_true.astype(dtype)
    return y_true, logits.astype(dtype)


def check(name, y_true, y_pred, *, dtype, sample_weight=None, **options):
    loss, reference_loss = LOSSES[name]
    check_against(loss, reference_loss, y_true, y_pred, dtype=dtype, sample_weight=sample_weight, **options)


POLY_OPTIONS = [{}, {"epsilon": 1.0}, {"epsilon": -1.0}, {"epsilon": 0.0}, {"epsilon": 5.45}]


# ---------------------------------------------------------------- against the reference


@pytest.mark.parametrize("name, options", [("poly1", options) for options in POLY_OPTIONS] + [("sparsemax", {})])
@pytest.mark.parametrize("targets", ["labels", "probabilities"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighting", [None, "rows"])
def test_matches_reference(name, options, targets, dtype, weighting, rng):
    skip_float32_without_jit(dtype)
    for n_classes, scale in [(4, 2.0), (7, 0.3), (1, 1.0), (300, 1.0)]:
        y_true, y_pred = inputs(rng, (9, n_classes), targets, dtype, scale)
        sample_weight = None if weighting is None else rng.uniform(0, 2, 9)
        check(name, y_true, y_pred, dtype=dtype, sample_weight=sample_weight, **options)


@pytest.mark.parametrize("name", LOSSES)
@given(data=st.data())
def test_random_inputs(name, data):
    n_rows = data.draw(st.integers(1, 6), label="n_rows")
    n_classes = data.draw(st.integers(1, 8), label="n_classes")
    y_pred = data.draw(hnp.arrays(np.float64, (n_rows, n_classes), elements=st.floats(-30, 30)), label="y_pred")
    if data.draw(st.booleans(), label="labels"):
        y_true = data.draw(hnp.arrays(np.int64, n_rows, elements=st.integers(0, n_classes - 1)), label="y_true")
    else:
        raw = data.draw(hnp.arrays(np.float64, (n_rows, n_classes), elements=st.floats(0, 1)), label="y_true")
        normalise = data.draw(st.booleans(), label="normalise")
        y_true = raw / np.maximum(raw.sum(axis=1, keepdims=True), 1e-300) if normalise else raw
        y_true = np.where(raw.sum(axis=1, keepdims=True) > 0, y_true, 1.0 / n_classes)
    sample_weight = data.draw(st.none() | hnp.arrays(np.float64, n_rows, elements=st.floats(0.5, 2.0)),
                              label="sample_weight")
    options = {} if name == "sparsemax" else {"epsilon": data.draw(st.floats(-1, 5), label="epsilon")}
    check(name, y_true, y_pred, dtype=np.float64, sample_weight=sample_weight, **options)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [3, 10, 5000])
def test_parallel_sizes(name, dtype, n_classes, rng):
    skip_float32_without_jit(dtype)
    n_rows = (PARALLEL_THRESHOLD + 3 * BLOCK_SIZE) // n_classes + 3
    assert n_rows * n_classes >= PARALLEL_THRESHOLD
    for targets in ("labels", "probabilities"):
        y_true, logits = inputs(rng, (n_rows, n_classes), targets, dtype)
        check(name, y_true, logits, dtype=dtype, sample_weight=rng.uniform(0, 2, n_rows))


@pytest.mark.parametrize("name", LOSSES)
def test_axis_and_layouts(name, rng):
    loss = LOSSES[name][0]
    labels, logits = inputs(rng, (2, 5, 3, 4), "labels")
    on_axis_1 = np.moveaxis(logits, -1, 1)
    check(name, labels, on_axis_1, dtype=np.float64, axis=1)
    assert_allclose(loss(labels, on_axis_1, axis=1), loss(labels, logits), rtol=1e-15)
    assert_allclose(loss.grad(labels, on_axis_1, axis=1), np.moveaxis(loss.grad(labels, logits), -1, 1), rtol=1e-15)
    labels, logits = inputs(rng, (8, 5), "labels")
    targets = softmax(logits * 0.5)
    for y_t, y_p in [(labels[::2], logits[::2, ::-1]), (labels, np.asfortranarray(logits)), (labels.tolist(), logits),
                     (targets[:, ::2], logits[:, ::2]), (labels.astype(np.float32), logits)]:
        check(name, y_t, y_p, dtype=np.float64)
    check(name, 2, logits[0], dtype=np.float64)  # one row: a class axis alone
    check(name, labels, logits.astype(np.float32), dtype=np.float32)
    check(name, targets.astype(np.float32), logits.astype(np.float32), dtype=np.float32)
    check(name, targets, logits.astype(np.float32), dtype=np.float64)  # a float64 target: float64


@pytest.mark.parametrize("name", LOSSES)
def test_read_only_and_memory_mapped_inputs(name, rng, tmp_path):
    loss = LOSSES[name][0]
    for targets in ("labels", "probabilities"):
        y_true, y_pred = inputs(rng, (6, 5), targets)
        expected = loss.value_and_grad(y_true, y_pred, sample_weight=np.arange(1.0, 7.0))
        frozen = [np.array(a) for a in (y_true, y_pred, np.arange(1.0, 7.0))]
        for a in frozen:
            a.flags.writeable = False
        mapped = []
        for i, a in enumerate(frozen):
            np.save(tmp_path / f"{targets}{i}.npy", a)
            mapped.append(np.load(tmp_path / f"{targets}{i}.npy", mmap_mode="r"))
        for y_t, y_p, w in (frozen, mapped):
            value, grad = loss.value_and_grad(y_t, y_p, sample_weight=w)
            assert value == expected[0]
            assert_array_equal(grad, expected[1])
    if not numba.config.DISABLE_JIT:  # one signature per compiled function: no second compile for these arrays
        functions = KERNELS[name].compiled_functions(np.float64)  # the drivers used, then the two blocks
        assert len(functions) >= 3 and all(len(f.signatures) == 1 for f in functions)


# ---------------------------------------------------------------- optax's numbers and semantics


@pytest.mark.parametrize("epsilon, expected", [(2, 4.5317), (1, 3.7153), (-1, 2.0827), (0, 2.8990), (-0.5, 2.4908),
                                               (1.15, 3.8378), (1.214, 3.8900), (5.45, 7.3480)])
def test_poly1_matches_optax_scalar_case(epsilon, expected):
    """optax's PolyLossTest.test_scalar (values from the TF reference implementation, to 1e-4)."""
    logits = np.array([0.14, 1.456, 2.356, -0.124, -2.47])
    labels = np.array([0.1, 0.15, 0.2, 0.25, 0.3])
    assert_allclose(poly1_cross_entropy(labels, logits, epsilon=epsilon), expected, atol=1e-4)
    assert_allclose(poly1_cross_entropy(labels.astype(np.float32), logits.astype(np.float32), epsilon=epsilon),
                    expected, atol=1e-4)


@pytest.mark.parametrize("epsilon, expected", [(2, [0.4823, 1.2567]), (1, [0.3261, 1.0407]), (0, [0.1698, 0.8247]),
                                               (-0.5, [0.0917, 0.7168]), (1.15, [0.3495, 1.0731]),
                                               (1.214, [0.3595, 1.0870]), (5.45, [1.0211, 2.0018])])
def test_poly1_matches_optax_batched_case(epsilon, expected):
    """optax's PolyLossTest.test_batched."""
    logits = np.array([[4.0, 2.0, 1.0], [0.0, 5.0, 1.0]])
    labels = np.array([[1.0, 0.0, 0.0], [0.0, 0.8, 0.2]])
    assert_allclose(poly1_cross_entropy(labels, logits, epsilon=epsilon, reduction="none"), expected, atol=1e-4)
    assert_allclose(poly1_cross_entropy([0], logits[:1], epsilon=epsilon, reduction="none"), expected[:1], atol=1e-4)


def test_poly1_default_epsilon_is_optax_s():
    assert poly1_cross_entropy.options["epsilon"] == 2.0


@pytest.mark.parametrize("targets", ["labels", "probabilities"])
def test_poly1_epsilon_zero_is_cross_entropy(targets, rng):
    y_true, logits = inputs(rng, (7, 5), targets)
    weights = rng.uniform(0.5, 2, 7)
    for reduction in REDUCTIONS:
        options = {"sample_weight": weights, "reduction": reduction}
        value, grad = poly1_cross_entropy.value_and_grad(y_true, logits, epsilon=0.0, **options)
        expected_value, expected_grad = lj.cross_entropy.value_and_grad(y_true, logits, from_logits=True, **options)
        assert_allclose(value, expected_value, rtol=1e-13, atol=1e-15)
        assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)


def test_sparsemax_matches_optax_multiclass_tests():
    """optax's SparsemaxTest: a large score on the right class gives a zero loss and a zero gradient."""
    labels = np.array([1, 0, 2])
    scores = np.array([[0.0, 1e5, 0.0], [1e5, 0.0, 0.0], [0.0, 0.0, 1e5]])
    for dtype in (np.float64, np.float32):
        value, grad = sparsemax_loss.value_and_grad(labels, scores.astype(dtype), reduction="none")
        assert_array_equal(value, [0.0, 0.0, 0.0])
        assert_array_equal(grad, np.zeros((3, 3)))
        assert_array_equal(sparsemax_loss.grad(np.eye(3)[labels], scores.astype(dtype)), np.zeros((3, 3)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparsemax_matches_optax_s_own_formula(dtype, rng):
    skip_float32_without_jit(dtype)
    for n_classes, scale in [(2, 1.0), (5, 0.5), (5, 3.0), (40, 0.2)]:
        labels, logits = inputs(rng, (50, n_classes), "labels", dtype, scale)
        expected = ref.optax_multiclass_sparsemax(labels, logits)
        assert_allclose(sparsemax_loss(labels, logits, reduction="none"), expected, **tolerance(dtype))


def test_two_classes_are_optax_s_binary_sparsemax_loss():
    """optax.losses.sparsemax_loss(x, y) is the two-class loss of logits [0, x]; its test values included."""
    x = np.array([10.0, 20.0, 0.3, -0.5, -0.99, 1.0, -1.0, 0.0, -7.0])
    y = np.array([1, 0, 1, 0, 1, 0, 0, 1, 0])
    logits = np.stack([np.zeros_like(x), x], axis=1)
    value, grad = sparsemax_loss.value_and_grad(y, logits, reduction="none")
    expected = ref.optax_binary_sparsemax(y, x)
    assert_allclose(expected[:2], [0.0, 20.0])  # optax's test_binary and test_batched_binary
    assert_allclose(value, expected, rtol=1e-15, atol=1e-16)
    assert_allclose(grad[:, 1], -grad[:, 0], rtol=0, atol=1e-16)
    x_mid = x[2]  # d/dx (1 - x)^2 / 4 at label 1
    assert_allclose(grad[2, 1], -(1 - x_mid) / 2, rtol=1e-15)


def test_sparsemax_projection_properties(rng):
    """sparsemax(z) - t is the gradient: p sums to 1, has exact zeros, and is the simplex projection."""
    logits = np.concatenate([rng.normal(0, 1, (20, 7)), rng.normal(0, 0.01, (5, 7)), np.zeros((1, 7)),
                             [[3.0, 3.0, 3.0, -5.0, -5.0, -5.0, 2.5]]])
    target = np.zeros_like(logits)
    p = sparsemax_loss.grad(target, logits, reduction="sum")  # sparsemax(z) - 0
    assert_allclose(p.sum(axis=1), 1.0, rtol=1e-14)
    assert np.all(p >= 0) and np.any(p == 0)
    assert_allclose(p, ref.sparsemax(logits)[0], rtol=1e-13, atol=1e-15)
    assert_allclose(p[-2], 1 / 7, rtol=1e-15)  # equal logits: uniform
    assert_array_equal(p[-1] > 0, [True, True, True, False, False, False, False])
    # the loss is 0 where the target is the projection, and >= 0 elsewhere; shifting a row changes nothing
    assert_allclose(sparsemax_loss(p, logits, reduction="none"), 0.0, atol=1e-15)
    targets = softmax(rng.normal(size=logits.shape))
    losses = sparsemax_loss(targets, logits, reduction="none")
    assert np.all(losses >= 0)
    assert_allclose(sparsemax_loss(targets, logits + 123.25, reduction="none"), losses, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 20000), (2, 4096)])
def test_sparsemax_threshold_on_wide_rows(shape, rng):
    """Michelot's search on rows with many near-equal logits (many passes) against the sort."""
    n_rows, n_classes = shape
    rows = np.stack([rng.normal(0, 1e-3, n_classes), rng.uniform(-1, 0, n_classes),
                     -np.sqrt(np.arange(n_classes) / n_classes)][:n_rows])
    labels = rng.integers(0, n_classes, n_rows)
    check("sparsemax", labels, rows, dtype=np.float64)
    assert_allclose(sparsemax_loss.grad(np.zeros_like(rows), rows, reduction="sum"), ref.sparsemax(rows)[0],
                    rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- torch, the peer of poly-1


def torch_poly1(torch, y_true, logits, epsilon):
    """optax's formula built from torch: F.cross_entropy + epsilon * sum_c t_c (1 - softmax_c), and its autograd
    gradient of the sum."""
    functional = torch.nn.functional
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    if np.ndim(y_true) == 1:
        target = torch.tensor(y_true, dtype=torch.int64)
        t = functional.one_hot(target, logits.shape[1]).to(torch.float64)
    else:
        target = t = torch.tensor(y_true, dtype=torch.float64)
    losses = (functional.cross_entropy(z, target, reduction="none")
              + epsilon * (t * (1 - torch.softmax(z, dim=1))).sum(dim=1))
    losses.sum().backward()
    return losses.detach().numpy(), z.grad.numpy()


def extreme_logits(rng, n_rows, n_classes):
    logits = rng.choice([-1e4, 0.0, 1e4, 1e4 - 0.5, -3.0], size=(n_rows, n_classes))
    logits[:, 0] = 1e4  # one class at the maximum in every row
    return logits


@pytest.mark.parametrize("epsilon", [2.0, 1.0, -1.0, 0.5])
@pytest.mark.parametrize("targets", ["labels", "probabilities"])
def test_poly1_matches_torch(epsilon, targets, rng):
    torch = pytest.importorskip("torch")
    for y_true, logits in [inputs(rng, (64, 10), targets), inputs(rng, (16, 3), targets, scale=8.0)]:
        expected, expected_grad = torch_poly1(torch, y_true, logits, epsilon)
        value, grad = poly1_cross_entropy.value_and_grad(y_true, logits, epsilon=epsilon, reduction="none")
        assert_allclose(value, expected, rtol=1e-10, atol=1e-12)
        grad = poly1_cross_entropy.grad(y_true, logits, epsilon=epsilon, reduction="sum")
        assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-12)
    logits = extreme_logits(rng, 32, 6)
    y_true = rng.integers(0, 6, 32) if targets == "labels" else softmax(rng.normal(size=(32, 6)))
    expected, expected_grad = torch_poly1(torch, y_true, logits, epsilon)
    value = poly1_cross_entropy(y_true, logits, epsilon=epsilon, reduction="none")
    grad = poly1_cross_entropy.grad(y_true, logits, epsilon=epsilon, reduction="sum")
    assert_allclose(value, expected, rtol=1e-10, atol=1e-10)
    assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-12)


def test_sparsemax_gradient_matches_torch_autograd(rng):
    """optax's formula in torch, differentiated through a sorting projection: the gradient is p - onehot."""
    torch = pytest.importorskip("torch")
    labels, logits = inputs(rng, (40, 6), "labels", scale=0.7)
    z = torch.tensor(logits, requires_grad=True)
    u = torch.sort(z, dim=1, descending=True).values
    cumulative = torch.cumsum(u, dim=1)
    k = torch.arange(1, 7, dtype=torch.float64)
    support = (1 + k * u > cumulative).sum(dim=1, keepdim=True)
    tau = (torch.gather(cumulative, 1, support - 1) - 1) / support
    p = torch.clamp(z - tau, min=0)
    relative = z - torch.gather(z, 1, torch.tensor(labels)[:, None])
    losses = (p * relative).sum(dim=1) + 0.5 * (1 - (p * p).sum(dim=1))
    losses.sum().backward()
    value, grad = sparsemax_loss.value_and_grad(labels, logits, reduction="sum")
    assert_allclose(value, losses.sum().item(), rtol=1e-12)
    assert_allclose(grad, z.grad.numpy(), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- gradients and stability


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("targets", ["labels", "probabilities"])
def test_gradient_by_finite_differences(name, targets, rng):
    loss = LOSSES[name][0]
    y_true, logits = inputs(rng, (3, 5), targets, scale=0.6)
    options = [{}] if name == "sparsemax" else [{"epsilon": 2.0}, {"epsilon": -1.0}, {"epsilon": 0.3}]
    for option in options:
        for reduction in REDUCTIONS:
            lj.check_grad(loss, y_true, logits, reduction=reduction, sample_weight=rng.uniform(0.5, 2, 3), **option)
        flat = lambda x: float(loss(y_true, x, reduction="sum", **option))  # noqa: E731
        assert_allclose(loss.grad(y_true, logits, reduction="sum", **option), reference.numerical_grad(flat, logits),
                        rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("epsilon", [2.0, -1.0])
def test_poly1_extreme_logits(dtype, epsilon):
    skip_float32_without_jit(dtype)
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4], [-1e4, 0.0, -np.inf]], dtype)
    labels = np.array([1, 2, 0, 1])
    value, grad = poly1_cross_entropy.value_and_grad(labels, logits, epsilon=epsilon, reduction="none")
    assert_allclose(value, [2e4 + epsilon, 0.0, np.log(2) + epsilon / 2, 0.0], **tolerance(dtype, 1e4))
    assert np.all(np.isfinite(grad))
    half = (1 + epsilon / 2) / 2
    assert_allclose(grad, [[1, -1, 0], [0, 0, 0], [-half, half, 0], [0, 0, 0]], **tolerance(dtype))
    check("poly1", labels, logits, dtype=dtype, epsilon=epsilon)
    check("poly1", np.eye(3, dtype=dtype)[labels], logits, dtype=dtype, epsilon=epsilon)
    # a tiny 1 - p_t keeps its digits: 1 - q_0 = q_1 = e / (1 + e), e = exp(-30); the gradient at class 1 is
    # q_1 (1 + epsilon q_0) = q_1 ((1 + epsilon) - epsilon q_1), ~ exp(-60) at epsilon = -1
    close = np.array([[30.0, 0.0]], dtype)
    e = np.exp(-30.0)
    q_1 = e / (1 + e)
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    assert_allclose(poly1_cross_entropy([0], close, epsilon=epsilon), np.log1p(e) + epsilon * q_1, rtol=rtol,
                    atol=1e-25)  # at epsilon = -1 the two terms of ~1e-13 cancel to ~e^2 / 2
    assert_allclose(poly1_cross_entropy.grad([0], close, epsilon=epsilon), [[-q_1 * ((1 + epsilon) - epsilon * q_1),
                                                                             q_1 * ((1 + epsilon) - epsilon * q_1)]],
                    rtol=rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparsemax_extreme_logits(dtype):
    skip_float32_without_jit(dtype)
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4], [-1e4, 0.0, -np.inf],
                       [1e4, 1e4 - 0.5, -np.inf]], dtype)
    labels = np.array([1, 2, 0, 1, 1])
    value, grad = sparsemax_loss.value_and_grad(labels, logits, reduction="none")
    # z_y 2e4 below the max: 1/2 |p - e_y|^2 = 1 plus tau - z_y = (1e4 - 1) + 1e4; ties: p = (1/2, 1/2)
    assert_allclose(value, [1 + 2e4 - 1, 0.0, 0.25, 0.0, 0.75**2], **tolerance(dtype, 1e4))
    assert_allclose(grad, [[1, -1, 0], [0, 0, 0], [-0.5, 0.5, 0], [0, 0, 0], [0.75, -0.75, 0]], **tolerance(dtype))
    check("sparsemax", labels, logits, dtype=dtype)
    check("sparsemax", np.eye(3, dtype=dtype)[labels], logits, dtype=dtype)


@pytest.mark.parametrize("name", LOSSES)
def test_certain_prediction_has_zero_loss_and_gradient(name):
    loss, options = LOSSES[name][0], ({"epsilon": 2.0} if name == "poly1" else {})
    logits = np.array([[1e4, 0.0, -5.0], [0.0, 1e4, -np.inf]])
    for y_true in ([0, 1], np.eye(3)[[0, 1]]):
        value, grad = loss.value_and_grad(y_true, logits, **options)
        assert value == 0
        assert_array_equal(grad, np.zeros((2, 3)))


@pytest.mark.parametrize("name", LOSSES)
def test_nan_propagates_to_its_row(name, rng):
    loss = LOSSES[name][0]
    labels, logits = inputs(rng, (4, 3), "labels")
    for column in range(3):
        for poison in (np.nan, -np.nan):
            poisoned = logits.copy()
            poisoned[2, column] = poison
            value, grad = loss.value_and_grad(labels, poisoned)
            assert np.isnan(value)
            assert np.all(np.isnan(grad[2])) and np.all(np.isfinite(np.delete(grad, 2, axis=0)))
            assert_array_equal(np.isnan(loss(labels, poisoned, reduction="none")), [False, False, True, False])
    targets = softmax(rng.normal(size=(4, 3)))
    targets[3, 1] = np.nan
    value, grad = loss.value_and_grad(targets, logits)
    assert np.isnan(value) and np.all(np.isnan(grad[3])) and np.all(np.isfinite(grad[:3]))
    assert np.isnan(loss(0, [np.nan]))  # one class: sparsemax is 1 whatever the logit, but NaN stays NaN
    value, grad = loss.value_and_grad([0, 1], [[np.inf, 0.0], [1.0, 0.0]])  # inf - inf, as cross_entropy
    assert np.isnan(value) and np.all(np.isnan(grad[0])) and np.all(np.isfinite(grad[1]))
    value, grad = loss.value_and_grad(np.eye(2), [[np.inf, 0.0], [1.0, 0.0]])
    assert np.isnan(value) and np.all(np.isnan(grad[0])) and np.all(np.isfinite(grad[1]))


# ---------------------------------------------------------------- calls: reductions, out=, fused value


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_value_is_the_loss_and_out_receives_the_gradient(name, dtype, rng):
    loss = LOSSES[name][0]
    for targets in ("labels", "probabilities"):
        y_true, logits = inputs(rng, (40, 7), targets, dtype)
        weights = rng.uniform(0, 2, 40)
        for reduction in REDUCTIONS:
            kwargs = {"sample_weight": weights, "reduction": reduction}
            value, grad = loss.value_and_grad(y_true, logits, **kwargs)
            assert_array_equal(np.asarray(loss(y_true, logits, **kwargs)).tobytes(), np.asarray(value).tobytes())
            out = np.full(logits.shape, np.nan, dtype)
            assert loss.grad(y_true, logits, out=out, **kwargs) is out
            assert_array_equal(out, grad)
            out[:] = np.nan
            fused = loss.value_and_grad(y_true, logits, out=out, **kwargs)
            assert fused[1] is out and np.asarray(fused[0]).tobytes() == np.asarray(value).tobytes()
            assert_array_equal(out, grad)


@pytest.mark.parametrize("name", LOSSES)
def test_zero_weights(name, rng):
    loss = LOSSES[name][0]
    labels, logits = inputs(rng, (3, 4), "labels")
    weights = np.array([0.0, 2.0, 0.0])
    assert_allclose(loss(labels, logits, sample_weight=weights), loss(labels[1:2], logits[1:2]), rtol=1e-15)
    assert loss(labels, logits, sample_weight=np.zeros(3), reduction="sum") == 0
    with pytest.raises(ValueError, match="sample_weight sums to zero"):
        loss(labels, logits, sample_weight=np.zeros(3))


# ---------------------------------------------------------------- errors, before any kernel


LABELS = np.array([2, 0])
LOGITS = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])


@pytest.mark.parametrize("name, kwargs, error, match", [
    ("poly1", {"epsilon": np.nan}, ValueError, "epsilon must be finite"),
    ("poly1", {"epsilon": np.inf}, ValueError, "epsilon must be finite"),
    ("poly1", {"epsilon": "2"}, TypeError, "epsilon must be a real number"),
    ("poly1", {"epsilon": True}, TypeError, "epsilon must be a real number"),
    ("poly1", {"epsilon": None}, TypeError, "epsilon must be a real number"),
    ("poly1", {"from_logits": True}, TypeError, "unexpected keyword"),
    ("sparsemax", {"epsilon": 1.0}, TypeError, "unexpected keyword"),
    ("sparsemax", {"axis": 2}, ValueError, "axis must be an integer"),
    ("poly1", {"axis": 1.0}, ValueError, "axis must be an integer"),
    ("sparsemax", {"reduction": "batchmean"}, ValueError, "reduction"),
])
def test_bad_options_are_rejected(no_kernel, name, kwargs, error, match):
    loss = LOSSES[name][0]
    for method in (loss, loss.grad, loss.value_and_grad):
        with pytest.raises(error, match=match):
            method(LABELS, LOGITS, **kwargs)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("y_true, error, match", [
    (np.array([3, 0]), ValueError, r"y_true class indices must lie in \[0, 3\); found 0 to 3"),
    (np.array([-1, 0]), ValueError, r"y_true class indices must lie in \[0, 3\)"),
    (np.array([0.5, 1.0]), ValueError, "y_true holds class indices .* must be integers"),
    (np.array([np.nan, 1.0]), ValueError, "y_true holds class indices .* must be integers"),
    (np.array([True, False]), TypeError, "y_true class indices must be integers, got bool"),
    (np.array([0, 1, 2]), ValueError, r"y_true has shape \(3,\)"),
    (np.full((2, 3), 2.0), ValueError, r"y_true must lie in \[0, 1\]"),
    (np.full((2, 3), -0.5), ValueError, r"y_true must lie in \[0, 1\]"),
    (np.array(["a", "b"]), TypeError, "y_true must hold real numbers"),
    ([[0.5, 0.5, 0.0], [1.0]], ValueError, "y_true is ragged"),
])
def test_bad_targets_are_rejected(no_kernel, name, y_true, error, match):
    with pytest.raises(error, match=match):
        LOSSES[name][0](y_true, LOGITS)


@pytest.mark.parametrize("name", LOSSES)
def test_bad_logits_and_weights_are_rejected(no_kernel, name):
    loss = LOSSES[name][0]
    with pytest.raises(ValueError, match="y_pred is empty"):
        loss(np.zeros(0, np.int64), np.zeros((0, 3)))
    with pytest.raises(ValueError, match="y_pred must have a class axis"):
        loss(0, 1.0)
    with pytest.raises(TypeError, match="y_pred must hold real numbers"):
        loss(LABELS, LOGITS.astype(complex))
    with pytest.raises(ValueError, match="sample_weight must be finite and non-negative"):
        loss(LABELS, LOGITS, sample_weight=[1.0, -1.0])
    with pytest.raises(ValueError, match="sample_weight has shape"):
        loss(LABELS, LOGITS, sample_weight=[1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="out must have y_pred's shape"):
        loss.grad(LABELS, LOGITS, out=np.empty(6))


# ---------------------------------------------------------------- determinism


def every_output(loss, y_true, y_pred, sample_weight):
    outputs = []
    for weights in (None, sample_weight):
        for reduction in REDUCTIONS:
            kwargs = {"sample_weight": weights, "reduction": reduction}
            value, grad = loss.value_and_grad(y_true, y_pred, **kwargs)
            separate = loss(y_true, y_pred, **kwargs)
            outputs += [np.asarray(value).tobytes(), grad.tobytes(), np.asarray(separate).tobytes()]
    return outputs


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="thread counts mean nothing without the JIT")
@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("targets", ["labels", "probabilities"])
@pytest.mark.parametrize("n_classes", [10, 5000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_identical_at_one_and_two_threads(name, targets, n_classes, dtype):
    assert numba.config.NUMBA_NUM_THREADS >= 2
    loss = LOSSES[name][0]
    rng = np.random.default_rng(8)
    n_rows = (PARALLEL_THRESHOLD + 2 * BLOCK_SIZE + 123) // n_classes + 5
    y_true, y_pred = inputs(rng, (n_rows, n_classes), targets, dtype)
    weights = rng.uniform(0, 2, n_rows)
    one = at_threads(1, lambda: every_output(loss, y_true, y_pred, weights))
    two = at_threads(2, lambda: every_output(loss, y_true, y_pred, weights))
    assert one == two
    assert every_output(loss, y_true, y_pred, weights) == two  # and on a repeat
