"""Metric-learning losses over embeddings: triplet margin, cosine embedding and contrastive, against a float64
NumPy reference, torch's functional forms and central differences for every differentiable input."""

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from lossjit._config import PARALLEL_THRESHOLD
from lossjit._kernels.embedding import embedding_loss
from lossjit.embedding import contrastive, cosine_embedding, triplet_margin
from reference_embedding import contrastive_reference, cosine_reference, reduce, triplet_reference

REDUCTIONS = ("mean", "sum", "none")
NORM_ORDERS = (1.0, 1.5, 2.0, 3.0, np.inf)
TOLERANCE = {np.float32: {"rtol": 2e-5, "atol": 2e-6}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}


def embeddings(rng, n_rows, width, count=3, dtype=np.float64):
    return tuple(rng.standard_normal((n_rows, width)).astype(dtype) for _ in range(count))


def similar_labels(rng, n_rows, dissimilar):
    """Labels 1 (similar) or ``dissimilar`` (-1 for the cosine loss, 0 for the contrastive), both present."""
    labels = np.where(rng.random(n_rows) < 0.5, 1, dissimilar)
    labels[:2] = (1, dissimilar)
    return labels


def _triplet_case(rng, n_rows, width, dtype=np.float64):
    return embeddings(rng, n_rows, width, 3, dtype)


def _cosine_case(rng, n_rows, width, dtype=np.float64):
    return (similar_labels(rng, n_rows, -1),) + embeddings(rng, n_rows, width, 2, dtype)


def _contrastive_case(rng, n_rows, width, dtype=np.float64):
    x1, x2 = embeddings(rng, n_rows, width, 2, dtype)
    return (similar_labels(rng, n_rows, 0), x1, 0.5 * x2)  # distances on both sides of the margin


#: name -> (loss, reference, its arrays from (rng, n_rows, width, dtype), options): the losses, tested alike.
LOSSES = {
    "triplet_margin": (triplet_margin, triplet_reference, _triplet_case, {"margin": 0.8, "p": 2.0, "swap": True}),
    "cosine_embedding": (cosine_embedding, cosine_reference, _cosine_case, {"margin": 0.1}),
    "contrastive": (contrastive, contrastive_reference, _contrastive_case, {"margin": 2.5}),
}


def expected(reference, arrays, reduction, sample_weight=None, **options):
    losses, grads = reference(*arrays, **options)
    return reduce(losses, grads, reduction, sample_weight)


def check_against_reference(loss, reference, arrays, dtype, sample_weight=None, **options):
    """Value, gradients and their agreement between the entry points, every reduction."""
    n_grads = len(loss.differentiable)
    for reduction in REDUCTIONS:
        kwargs = {"sample_weight": sample_weight, "reduction": reduction, **options}
        value, grads = loss.value_and_grad(*arrays, **kwargs)
        want_value, want_grads = expected(reference, [np.asarray(x, np.float64) for x in arrays], reduction,
                                          sample_weight, **options)
        if reduction == "none":
            assert value.dtype == dtype and value.shape == np.shape(arrays[-1])[:-1]
        else:
            assert isinstance(value, dtype)
        assert len(grads) == n_grads
        scale = max(1.0, float(np.max(np.abs(want_value))))
        assert_allclose(value, want_value.reshape(np.shape(value)), rtol=TOLERANCE[dtype]["rtol"],
                        atol=TOLERANCE[dtype]["atol"] * scale)
        for grad, want, x in zip(grads, want_grads, arrays[-n_grads:]):
            assert grad.dtype == dtype and grad.shape == np.shape(x)
            scale = max(1.0, float(np.max(np.abs(want))))
            assert_allclose(grad, want.reshape(grad.shape), rtol=TOLERANCE[dtype]["rtol"],
                            atol=TOLERANCE[dtype]["atol"] * scale)
        assert_array_equal(loss(*arrays, **kwargs), value)  # bitwise: the same kernel without the gradients
        for grad, again in zip(grads, loss.grad(*arrays, **kwargs)):
            assert_array_equal(grad, again)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", LOSSES)
def test_losses_match_the_reference(name, dtype, rng):
    loss, reference, case, options = LOSSES[name]
    arrays = case(rng, 9, 6, dtype)
    weights = rng.uniform(0.5, 2.0, size=9)
    for sample_weight in (None, weights):
        check_against_reference(loss, reference, arrays, dtype, sample_weight, **options)


@pytest.mark.parametrize("p", NORM_ORDERS)
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_every_norm_matches_the_reference(p, swap, rng):
    arrays = embeddings(rng, 8, 5)
    check_against_reference(triplet_margin, triplet_reference, arrays, np.float64, rng.uniform(0.5, 2.0, 8),
                            margin=1.5, p=p, swap=swap, eps=1e-6)
    check_against_reference(triplet_margin, triplet_reference, [x.astype(np.float32) for x in arrays], np.float32,
                            margin=1.5, p=p, swap=swap)


# Torch: the peer, in float64, to 1e-10.

def torch_value_and_grads(name, arrays, reduction, **options):
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    if name == "triplet_margin":
        tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in arrays]
        value = functional.triplet_margin_loss(*tensors, reduction=reduction, **options)
    else:
        target = torch.tensor(arrays[0], dtype=torch.float64)
        tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in arrays[1:]]
        value = functional.cosine_embedding_loss(*tensors, target, reduction=reduction, **options)
    grads = torch.autograd.grad(value.sum(), tensors)
    return value.detach().numpy(), [g.numpy() for g in grads]


def agreement(name, arrays, **options):
    """The largest absolute and relative differences from torch over every reduction, value and gradients."""
    loss = LOSSES[name][0]
    worst_abs = worst_rel = 0.0
    for reduction in REDUCTIONS:
        value, grads = loss.value_and_grad(*arrays, reduction=reduction, **options)
        torch_value, torch_grads = torch_value_and_grads(name, arrays, reduction, **options)
        for ours, theirs in zip([np.asarray(value)] + list(grads), [torch_value] + torch_grads):
            assert ours.shape == theirs.shape
            assert np.array_equal(np.isnan(ours), np.isnan(theirs))
            difference = np.abs(ours - theirs)[~np.isnan(ours)]
            scale = np.maximum(np.abs(theirs), 1e-300)[~np.isnan(ours)]
            worst_abs = max(worst_abs, float(np.max(difference, initial=0.0)))
            worst_rel = max(worst_rel, float(np.max(difference / np.maximum(scale, 1.0), initial=0.0)))
    return worst_abs, worst_rel


def triplet_torch_cases(rng):
    """(arrays, options) of the triplet loss: random and extreme inputs."""
    a, p, n = embeddings(rng, 7, 5)
    tiny = 1e-9 * rng.standard_normal((3, 5, 5))
    cases = []
    for norm in NORM_ORDERS:
        for swap in (False, True):
            cases += [
                ((a, p, n), {"p": norm, "swap": swap}),
                ((a, p, n), {"p": norm, "swap": swap, "margin": 1e6, "eps": 0.0}),  # a big margin: all active
                ((a, a.copy(), n), {"p": norm, "swap": swap, "margin": 2.0}),  # anchor = positive: a swap tie
                ((a, a.copy(), n), {"p": norm, "swap": swap, "eps": 0.0}),  # d(a, p) = 0: the subgradient 0
                ((a, p, p.copy()), {"p": norm, "swap": swap, "eps": 0.0}),  # d(p, n) = 0, the swap's minimum
                (tuple(tiny), {"p": norm, "swap": swap, "margin": 1e-6}),  # near-zero vectors, eps dominates
                (tuple(tiny), {"p": norm, "swap": swap, "margin": 1e-9, "eps": 0.0}),
                ((1e5 * a, 1e5 * p, 1e5 * n), {"p": norm, "swap": swap, "margin": 1e5}),
                ((a[0], p[0], n[0]), {"p": norm, "swap": swap, "margin": 3.0}),  # one triplet of shape (D,)
            ]
    return cases


def test_triplet_matches_torch_on_random_and_extreme_inputs(rng):
    for arrays, options in triplet_torch_cases(rng):
        worst_abs, worst_rel = agreement("triplet_margin", arrays, **options)
        assert worst_rel <= 1e-10, (options, worst_abs, worst_rel)


def cosine_torch_cases(rng):
    y = similar_labels(rng, 7, -1)
    x1, x2 = embeddings(rng, 7, 5, 2)
    zero = np.zeros_like(x1)
    return [
        ((y, x1, x2), {}),
        ((y, x1, x2), {"margin": -0.5}),
        ((y, x1, x2), {"margin": 0.5}),
        ((y, x1, x1.copy()), {"margin": 0.2}),  # cos = 1 (up to epsilon)
        ((y, x1, -x1), {"margin": -0.99}),  # cos = -1
        ((y, zero, x2), {"margin": 0.0}),  # a zero vector: epsilon keeps cos finite, cos = 0 = margin
        ((y, 1e-8 * x1, x2), {"margin": -0.1}),  # near zero: epsilon dominates the magnitude
        ((y, 1e-7 * x1, 1e-7 * x2), {}),
        ((y, 1e100 * x1, x2), {"margin": -0.1}),
        ((np.array(-1), x1[0], x2[0]), {"margin": -0.3}),  # one pair of shape (D,), a 0-d label
    ]


def test_cosine_matches_torch_on_random_and_extreme_inputs(rng):
    for arrays, options in cosine_torch_cases(rng):
        worst_abs, worst_rel = agreement("cosine_embedding", arrays, **options)
        assert worst_rel <= 1e-10, (options, worst_abs, worst_rel)


def test_triplet_swap_tie_splits_the_gradient_like_torch(rng):
    a, _, n = embeddings(rng, 4, 6)
    _, (grad_a, grad_p, grad_n) = triplet_margin.value_and_grad(a, a.copy(), n, swap=True, margin=5.0,
                                                                reduction="sum")
    unit_an = triplet_reference(a, a, n, margin=5.0)[1][2]  # the gradient of d(a, n) alone
    assert_allclose(grad_a + grad_p, -unit_an, rtol=1e-12, atol=1e-15)  # half through a, half through p
    assert_allclose(grad_n, unit_an, rtol=1e-12)


# Central differences, one per differentiable input (lj.check_grad takes two arrays).

def central_differences(loss, arrays, position, h=1e-6, **kwargs):
    """d loss / d arrays[position] by central differences, in float64."""
    arrays = [np.array(x, dtype=np.float64) if i == position else x for i, x in enumerate(arrays)]
    x = arrays[position]
    grad = np.empty_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        forward = float(loss(*arrays, **kwargs))
        x[index] = saved - h
        backward = float(loss(*arrays, **kwargs))
        x[index] = saved
        grad[index] = (forward - backward) / (2 * h)
    return grad


@pytest.mark.parametrize("name, options", [
    ("triplet_margin", {"margin": 1.2}), ("triplet_margin", {"margin": 0.9, "swap": True}),
    ("triplet_margin", {"p": 1.0, "margin": 2.0}), ("triplet_margin", {"p": 3.0, "swap": True, "margin": 1.5}),
    ("triplet_margin", {"p": np.inf, "margin": 1.0}), ("cosine_embedding", {"margin": -0.2}),
    ("contrastive", {"margin": 2.0}),
])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradients_match_central_differences(name, options, reduction, rng):
    loss, _, case, _ = LOSSES[name]
    arrays = case(rng, 6, 4)
    kwargs = {"reduction": reduction, "sample_weight": rng.uniform(0.5, 2.0, 6), **options}
    grads = loss.grad(*arrays, **kwargs)
    offset = len(arrays) - len(grads)
    for i, grad in enumerate(grads):
        assert_allclose(grad, central_differences(loss, arrays, offset + i, **kwargs), rtol=1e-6, atol=1e-8)


@given(n_rows=st.integers(1, 4), width=st.integers(1, 7), margin=st.floats(0.01, 5.0),
       p=st.sampled_from(NORM_ORDERS), swap=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_triplet_random_inputs(n_rows, width, margin, p, swap, seed):
    rng = np.random.default_rng(seed)
    arrays = embeddings(rng, n_rows, width)
    value, grads = triplet_margin.value_and_grad(*arrays, margin=margin, p=p, swap=swap)
    want_value, want_grads = expected(triplet_reference, arrays, "mean", margin=margin, p=p, swap=swap)
    assert_allclose(value, want_value, rtol=1e-10, atol=1e-12)
    for grad, want in zip(grads, want_grads):
        assert_allclose(grad, want, rtol=1e-10, atol=1e-12)


@given(n_rows=st.integers(1, 4), width=st.integers(1, 7), margin=st.floats(-1.0, 3.0),
       scale=st.sampled_from([1e-8, 1.0, 1e8]), seed=st.integers(0, 2**32 - 1))
def test_pair_losses_random_inputs(n_rows, width, margin, scale, seed):
    rng = np.random.default_rng(seed)
    x1, x2 = (scale * x for x in embeddings(rng, n_rows, width, 2))
    for loss, reference, labels, margin_used in ((cosine_embedding, cosine_reference, (1, -1), margin),
                                                 (contrastive, contrastive_reference, (1, 0), abs(margin) * scale)):
        y = rng.choice(labels, n_rows)
        value, grads = loss.value_and_grad(y, x1, x2, reduction="sum", margin=margin_used)
        want_value, want_grads = expected(reference, (y, x1, x2), "sum", margin=margin_used)
        assert_allclose(value, want_value, rtol=1e-10, atol=1e-12 * max(1.0, abs(want_value)))
        for grad, want in zip(grads, want_grads):
            assert_allclose(grad, want, rtol=1e-10, atol=1e-12 * max(1.0, np.max(np.abs(want))))


# Edge cases.

def test_contrastive_gradient_at_zero_distance_is_zero():
    x = np.array([[0.5, -1.0, 2.0], [1.0, 1.0, 1.0]])
    value, (g1, g2) = contrastive.value_and_grad(np.array([0, 1]), x, x.copy(), margin=1.5, reduction="none")
    assert_allclose(value, [0.5 * 1.5**2, 0.0])  # the dissimilar pair at d = 0 costs margin^2 / 2
    assert np.all(g1 == 0) and np.all(g2 == 0)  # and gets the subgradient 0; the similar pair its true 0


def test_contrastive_beyond_the_margin_costs_nothing(rng):
    x1, x2 = embeddings(rng, 3, 4, 2)
    value, (g1, g2) = contrastive.value_and_grad(np.zeros(3), x1, x2 + 100.0, margin=1.0)
    assert value == 0 and not g1.any() and not g2.any()


def test_contrastive_formula_by_hand():
    x1, x2 = np.array([[3.0, 0.0], [0.0, 0.0]]), np.array([[0.0, 4.0], [0.0, 1.0]])
    value = contrastive(np.array([1, 0]), x1, x2, margin=2.0, reduction="none")
    assert_allclose(value, [25 / 2, 1 / 2])  # d = 5 (similar): d^2/2; d = 1 (dissimilar): (2 - 1)^2 / 2


def test_triplet_hinge_passes_the_gradient_at_zero_like_torch():
    a, p, n = np.array([[0.0, 0.0]]), np.array([[3.0, 0.0]]), np.array([[0.0, 4.0]])
    value, (grad_a, _, _) = triplet_margin.value_and_grad(a, p, n, margin=1.0, eps=0.0)
    assert value == 0.0 and grad_a.any()  # 1 + 3 - 4 = 0: clamp_min's gradient is 1 at the bound


def test_one_embedding_of_shape_d(rng):
    a, p, n = embeddings(rng, 1, 5)
    value, grads = triplet_margin.value_and_grad(a[0], p[0], n[0], reduction="none", margin=4.0)
    assert value.shape == () and all(g.shape == (5,) for g in grads)
    assert_allclose(value, triplet_margin(a, p, n, margin=4.0, reduction="none")[0])
    value = cosine_embedding(np.array(1), a[0], p[0], reduction="none", sample_weight=np.array(2.0))
    assert value.shape == ()
    assert_allclose(value, 2 * cosine_reference([1], a, p)[0][0], rtol=1e-12)


@pytest.mark.parametrize("name", LOSSES)
def test_nan_propagates_to_its_row(name, rng):
    loss, _, case, options = LOSSES[name]
    arrays = list(case(rng, 4, 5))
    arrays[-1] = arrays[-1].copy()
    arrays[-1][0, 2] = np.nan
    value, grads = loss.value_and_grad(*arrays, **options)
    assert np.isnan(value)
    assert np.isnan(grads[-1][0]).any() and np.all(np.isfinite(grads[-1][1:]))
    losses = loss(*arrays, reduction="none", **options)
    assert np.isnan(losses[0]) and np.all(np.isfinite(losses[1:]))


@pytest.mark.parametrize("name", LOSSES)
def test_non_contiguous_read_only_and_memory_mapped_inputs(name, rng, tmp_path):
    loss, _, case, options = LOSSES[name]
    arrays = case(rng, 6, 8)
    value, grads = loss.value_and_grad(*arrays, **options)
    strided = [x if x.ndim == 1 else np.repeat(x, 2, axis=1)[:, ::2] for x in arrays]
    assert not strided[-1].flags.c_contiguous
    read_only = [x.copy() for x in arrays]
    mapped = []
    for i, x in enumerate(arrays):
        read_only[i].flags.writeable = False
        np.save(tmp_path / f"{i}.npy", x)
        mapped.append(np.load(tmp_path / f"{i}.npy", mmap_mode="r"))
    for inputs in (strided, read_only, mapped):
        again, again_grads = loss.value_and_grad(*inputs, **options)
        assert again == value
        for grad, again_grad in zip(grads, again_grads):
            assert_array_equal(again_grad, grad)
    if not numba.config.DISABLE_JIT:  # without the JIT (the coverage run) the kernels are Python functions
        runner = embedding_loss[np.float64]
        assert all(len(dispatcher.signatures) == 1 for dispatcher in runner.compiled_functions)  # no second compile


@pytest.mark.parametrize("name", LOSSES)
def test_out_receives_the_gradients(name, rng):
    loss, _, case, options = LOSSES[name]
    arrays = case(rng, 5, 3)
    value, grads = loss.value_and_grad(*arrays, **options)
    out = tuple(np.full_like(g, np.nan) for g in grads)
    again, returned = loss.value_and_grad(*arrays, out=out, **options)
    assert again == value and all(r is o for r, o in zip(returned, out))
    for grad, o in zip(grads, out):
        assert_array_equal(o, grad)
    with pytest.raises(ValueError, match="shape"):
        loss.grad(*arrays, out=tuple(np.empty((5, 4)) for _ in grads), **options)
    weights = out[0].reshape(-1)[:5]  # the kernel would read weights it has overwritten
    weights[:] = 1.0
    with pytest.raises(ValueError, match="must not share memory with sample_weight"):
        loss.grad(*arrays, sample_weight=weights, out=out, **options)


@pytest.mark.parametrize("name", LOSSES)
def test_parallel_path_is_bitwise_the_same_at_one_and_two_threads(name, rng, two_threads):
    loss, reference, case, options = LOSSES[name]
    arrays = case(rng, 512, 96, np.float32)
    assert arrays[-1].size >= PARALLEL_THRESHOLD
    weights = rng.uniform(0.5, 2.0, 512)
    results = []
    for threads in (1, two_threads):
        numba.set_num_threads(threads)
        results.append(loss.value_and_grad(*arrays, sample_weight=weights, **options))
        results.append((loss(*arrays, sample_weight=weights, **options), ()))
    for value, grads in results[1:]:
        assert value == results[0][0]
        for grad, first in zip(grads, results[0][1]):
            assert_array_equal(grad, first)
    want_value, want_grads = expected(reference, arrays, "mean", weights, **options)
    assert_allclose(results[0][0], want_value, rtol=2e-5)
    for grad, want in zip(results[0][1], want_grads):
        assert_allclose(grad, want, rtol=2e-5, atol=2e-6 * np.max(np.abs(want)))


def test_labels_may_be_floats_or_bools(rng):
    x1, x2 = embeddings(rng, 4, 3, 2)
    y = np.array([1, 0, 0, 1])
    expected_value = contrastive(y, x1, x2)
    assert contrastive(y.astype(bool), x1, x2) == expected_value
    assert contrastive(y.astype(np.float32), x1, x2) == expected_value
    assert cosine_embedding([1.0, -1.0, -1.0, 1.0], x1, x2) == cosine_embedding(2 * y - 1, x1, x2)


def test_float32_labels_do_not_change_the_compute_dtype(rng):
    x1, x2 = embeddings(rng, 4, 3, 2, np.float32)
    assert cosine_embedding(np.ones(4), x1, x2).dtype == np.float32
    assert triplet_margin(x1, x2, x1.astype(np.float64)).dtype == np.float64


def test_losses_describe_themselves():
    assert triplet_margin.inputs == ("anchor", "positive", "negative")
    assert triplet_margin.differentiable == triplet_margin.inputs
    assert cosine_embedding.differentiable == contrastive.differentiable == ("x1", "x2")
    assert triplet_margin.options == {"margin": 1.0, "p": 2.0, "eps": 1e-6, "swap": False}
    assert cosine_embedding.options == {"margin": 0.0} and contrastive.options == {"margin": 1.0}
    for loss in (triplet_margin, cosine_embedding, contrastive):
        assert loss.formula and loss.gradient and loss.properties["task"] == "metric learning"


X = np.zeros((3, 4))


@pytest.mark.parametrize("loss, arrays, options, error, match", [
    (triplet_margin, (np.zeros((2, 3, 4)),) * 3, {}, ValueError, r"anchor must have shape \(N, D\)"),
    (triplet_margin, (X, np.zeros((3, 5)), X), {}, ValueError, "positive has shape"),
    (triplet_margin, (X, X, np.zeros((2, 4))), {}, ValueError, "negative has shape"),
    (triplet_margin, (np.zeros((0, 4)),) * 3, {}, ValueError, "anchor is empty"),
    (triplet_margin, (X, X, np.array([["a"] * 4] * 3)), {}, TypeError, "negative must hold real numbers"),
    (triplet_margin, (X, X, X), {"margin": 0.0}, ValueError, "margin"),
    (triplet_margin, (X, X, X), {"margin": "1"}, TypeError, "margin"),
    (triplet_margin, (X, X, X), {"p": 0.5}, ValueError, "p must be >= 1"),
    (triplet_margin, (X, X, X), {"p": np.nan}, ValueError, "p must be >= 1"),
    (triplet_margin, (X, X, X), {"p": "2"}, TypeError, "p must be a real number"),
    (triplet_margin, (X, X, X), {"eps": -1e-6}, ValueError, "eps"),
    (triplet_margin, (X, X, X), {"swap": 1}, TypeError, "swap"),
    (triplet_margin, (X, X, X), {"sample_weight": np.ones(4)}, ValueError, "sample_weight"),
    (triplet_margin, (X, X, X), {"sample_weight": np.zeros(3)}, ValueError, "sums to zero"),
    (triplet_margin, (X, X, X), {"reduction": "avg"}, ValueError, "reduction"),
    (triplet_margin, (X, X, X), {"axis": 1}, TypeError, "unexpected keyword"),
    (triplet_margin, (X, X), {}, TypeError, r"takes 3 arrays \(anchor, positive, negative\)"),
    (cosine_embedding, (np.array([1, -1, 0]), X, X), {}, ValueError, "y_true must hold 1 .* or -1"),
    (cosine_embedding, (np.array([1, -1, np.nan]), X, X), {}, ValueError, "y_true must hold"),
    (cosine_embedding, (np.ones((3, 1)), X, X), {}, ValueError, r"y_true has shape \(3, 1\)"),
    (cosine_embedding, (np.ones(3), X, np.zeros((3, 2))), {}, ValueError, "x2 has shape"),
    (cosine_embedding, (np.ones(3), X, X), {"margin": np.inf}, ValueError, "margin must be finite"),
    (cosine_embedding, (np.ones(3), X, X), {"margin": None}, TypeError, "margin must be a real number"),
    (contrastive, (np.array([1, -1, 0]), X, X), {}, ValueError, "y_true must hold 1 .* or 0"),
    (contrastive, (np.ones(3), X, X), {"margin": -1.0}, ValueError, "margin"),
    (contrastive, (np.ones(2), X, X), {}, ValueError, "y_true has shape"),
    (contrastive, (np.ones(3), np.zeros((3, 4, 1)), X), {}, ValueError, r"x1 must have shape \(N, D\)"),
])
def test_bad_input_is_rejected_by_name(loss, arrays, options, error, match):
    with pytest.raises(error, match=match):
        loss(*arrays, **options)
