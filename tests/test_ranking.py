"""Ranking losses over (Q, L) lists: against float64 NumPy references of optax and Rax, optax's and Rax's own
test values, torch autograd of the same formulas, finite differences, and the engineering checks."""

import math

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import lossjit as lj
from checks import at_threads, check_against
from lossjit._config import PARALLEL_THRESHOLD
from lossjit._kernels import ranking as kernels
from lossjit.ranking import pairwise_logistic, ranking_softmax
from reference_ranking import LISTS, reduce, reference

LOSSES = (ranking_softmax, pairwise_logistic)
exp, log = math.exp, math.log


def logloss(d):
    return log(1.0 + exp(-d))


def ranking_inputs(rng, n_lists, n_items, dtype=np.float64, graded=True, masked=True):
    """Scores, graded labels 0..4 (or reals), a mask with padding at the end of some lists (and holes)."""
    scores = rng.normal(scale=2.0, size=(n_lists, n_items)).astype(dtype)
    labels = rng.integers(0, 5, size=(n_lists, n_items)) if graded else rng.uniform(0, 3, size=(n_lists, n_items))
    labels = labels.astype(dtype)
    if not masked:
        return labels, scores, None
    lengths = rng.integers(0, n_items + 1, size=n_lists)
    mask = np.arange(n_items) < lengths[:, None]
    mask &= rng.random((n_lists, n_items)) > 0.1
    return labels, scores, mask


# ---------------------------------------------------------------- optax's and Rax's own values


def test_optax_docstring_values():
    assert_allclose(ranking_softmax(np.array([[1.0, 0, 0]]), np.array([[2.0, 1, 3]])), 1.40761, atol=5e-6)
    grad = ranking_softmax.grad(np.array([[1.0, 0, 0]]), np.array([[2.0, 1, 3]]))
    assert_allclose(grad, [[-0.755, 0.09, 0.665]], atol=5e-4)
    scores = np.array([[2.0, 1.0, 0.0], [1.0, 0.5, 1.5]])
    labels = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    where = np.array([[True, True, False], [True, True, True]])
    assert_allclose(ranking_softmax(labels, scores, where=where), 0.497, atol=5e-4)


def test_optax_test_values_of_the_ranking_softmax():
    total = exp(0.0) + exp(3.0) + exp(1.0) + exp(2.0)
    scores, labels = np.array([[0.0, 3.0, 1.0, 2.0]]), np.array([[0.0, 0.0, 1.0, 1.0]])
    expected = -(log(exp(2.0) / total) + log(exp(1.0) / total))  # labels summing to 2: not normalised
    assert_allclose(ranking_softmax(labels, scores, reduction="sum"), expected, rtol=1e-12)
    # two lists (optax's vmap test): the second with graded labels 2, 1
    scores = np.array([[0.0, 3.0, 1.0, 2.0], [3.0, 1.0, 4.0, 2.0]])
    labels = np.array([[0.0, 0.0, 1.0, 1.0], [2.0, 0.0, 1.0, 0.0]])
    second = exp(3.0) + exp(1.0) + exp(4.0) + exp(2.0)
    expected = [expected, -(2.0 * log(exp(3.0) / second) + log(exp(4.0) / second))]
    assert_allclose(ranking_softmax(labels, scores, reduction="none"), expected, rtol=1e-12)
    # reduced
    scores = np.array([[2.0, 1.0, 3.0], [1.0, 0.5, 1.5]])
    labels = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    per_list = [-log(exp(2.0) / (exp(2.0) + exp(1.0) + exp(3.0))), -log(exp(1.5) / (exp(1.0) + exp(0.5) + exp(1.5)))]
    assert_allclose(ranking_softmax(labels, scores), sum(per_list) / 2, rtol=1e-12)
    assert_allclose(ranking_softmax(labels, scores, reduction="sum"), sum(per_list), rtol=1e-12)
    assert ranking_softmax(labels, scores, reduction="none").sum() == ranking_softmax(labels, scores, reduction="sum")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_optax_and_rax_extreme_inputs(dtype):
    scores = np.array([[0.0, -2.1e26, 3.4e37, 42.0]], dtype)
    labels = np.array([[0.0, 1.0, 1.0, 0.0]], dtype)
    expected = -((-2.1e26 - (0.0 + -2.1e26 + 3.4e37 + 42.0)) + (3.4e37 - (0.0 + -2.1e26 + 3.4e37 + 42.0)))
    value, grad = ranking_softmax.value_and_grad(labels, scores, reduction="sum")
    assert_allclose(value, expected, rtol=1e-6)
    assert_allclose(grad, [[0.0, -1.0, 1.0, 0.0]], atol=1e-6)  # softmax (0, 0, 1, 0) times 2, minus the labels
    # Rax: sum 2.1e26 + 2.1e26 over 4 pairs; lossjit's list loss is their mean
    value, grad = pairwise_logistic.value_and_grad(labels, scores, reduction="sum")
    assert_allclose(value, (2.1e26 + 2.1e26) / 4, rtol=1e-6)
    assert_allclose(grad, [[0.25, -0.5, 0.0, 0.25]], atol=1e-6)


def test_rax_test_values_of_the_pairwise_logistic_loss():
    scores, labels = np.array([[0.0, 3.0, 1.0, 2.0]]), np.array([[0.0, 0.0, 1.0, 1.0]])
    rax_sum = logloss(1.0 - 0.0) + logloss(1.0 - 3.0) + logloss(2.0 - 3.0) + logloss(2.0 - 0.0)
    assert_allclose(pairwise_logistic(labels, scores), rax_sum / 4, rtol=1e-12)  # Rax's jnp.mean of 4 pairs
    # reduced: two lists of two pairs, so the mean of list means is Rax's mean over the 4 pairs
    scores = np.array([[2.0, 1.0, 3.0], [1.0, 0.5, 1.5]])
    labels = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    per_list = [logloss(2.0 - 1.0) + logloss(2.0 - 3.0), logloss(1.5 - 1.0) + logloss(1.5 - 0.5)]
    assert_allclose(pairwise_logistic(labels, scores), sum(per_list) / 4, rtol=1e-12)
    assert_allclose(pairwise_logistic(labels, scores, reduction="none"), np.array(per_list) / 2, rtol=1e-12)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_optax_and_rax_mask_tests(loss):
    # where drops an item: the same as the list without it
    scores, labels = np.array([[0.0, 3.0, 1.0, 2.0]]), np.array([[0.0, 0.0, 2.0, 1.0]])
    where = np.array([[True, True, True, False]])
    assert_allclose(loss(labels, scores, where=where), loss(labels[:, :3], scores[:, :3]), rtol=1e-14)
    # all masked: 0 and a zero gradient
    labels = np.array([[0.0, 0.0, 1.0, 1.0]])
    value, grad = loss.value_and_grad(labels, scores, where=np.zeros((1, 4), bool))
    assert value == 0.0 and np.all(grad == 0.0)
    # a list with only invalid items is left out of the mean
    scores = np.array([[0.0, 3.0, 1.0, 2.0], [3.0, 1.0, 4.0, 2.0]])
    labels = np.array([[0.0, 0.0, 1.0, 1.0], [2.0, 0.0, 1.0, 0.0]])
    mask = np.array([[1, 1, 1, 1], [0, 0, 0, 0]], bool)
    assert_allclose(loss(labels, scores, where=mask), loss(labels[:1], scores[:1]), rtol=1e-14)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_zero_labels_cost_zero_with_a_zero_gradient(loss):
    scores = np.array([[0.0, 3.0, 1.0, 2.0]])
    value, grad = loss.value_and_grad(np.zeros((1, 4)), scores)
    assert value == 0.0 and np.all(grad == 0.0)


# ---------------------------------------------------------------- against the references


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
@pytest.mark.parametrize("masked", [False, True])
def test_matches_reference_every_reduction(loss, dtype, masked, rng):
    labels, scores, mask = ranking_inputs(rng, 7, 9, dtype, masked=masked)
    weights = rng.uniform(0.5, 2.0, size=7)
    check_against(loss, reference(loss.name), labels, scores, dtype=dtype, where=mask)
    check_against(loss, reference(loss.name), labels, scores, dtype=dtype, sample_weight=weights, where=mask)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_real_valued_labels_and_long_lists(loss, rng):
    labels, scores, mask = ranking_inputs(rng, 3, 300, graded=False)
    check_against(loss, reference(loss.name), labels, scores, dtype=np.float64, where=mask)


@given(n_lists=st.integers(1, 4), n_items=st.integers(1, 8), scale=st.sampled_from([0.1, 3.0, 30.0]),
       seed=st.integers(0, 2**32 - 1), graded=st.booleans(), masked=st.booleans())
def test_random_inputs(n_lists, n_items, scale, seed, graded, masked):
    rng = np.random.default_rng(seed)
    labels, scores, mask = ranking_inputs(rng, n_lists, n_items, graded=graded, masked=masked)
    scores *= scale
    weights = rng.uniform(0.0, 2.0, size=n_lists)
    for loss in LOSSES:
        for reduction in ("mean", "sum", "none"):
            expected = reduce(*LISTS[loss.name](labels, scores, mask), reduction, weights)
            value, grad = loss.value_and_grad(labels, scores, where=mask, sample_weight=weights, reduction=reduction)
            assert_allclose(value, expected[0], rtol=1e-12, atol=1e-12)
            assert_allclose(grad, expected[1], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_gradient_matches_finite_differences(loss, reduction, rng):
    labels, scores, mask = ranking_inputs(rng, 5, 7, graded=False)
    weights = rng.uniform(0.5, 2.0, size=5)
    lj.check_grad(loss, labels, scores, where=mask, sample_weight=weights, reduction=reduction, n_elements=35)
    lj.check_grad(loss, np.round(labels), scores, reduction=reduction, n_elements=35)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_gradient_sums_to_zero_per_list_and_scores_shift_freely(loss, rng):
    """Both losses see only score differences within a list."""
    labels, scores, mask = ranking_inputs(rng, 6, 10)
    value, grad = loss.value_and_grad(labels, scores, where=mask)
    assert_allclose(grad.sum(axis=1), 0.0, atol=1e-15)
    shifted = scores + rng.uniform(-5, 5, size=(6, 1))
    assert_allclose(loss(labels, shifted, where=mask), value, rtol=1e-12)


# ---------------------------------------------------------------- torch, the same formulas by autograd


def torch_ranking_softmax(torch, labels, scores, mask):
    """optax's formula by torch.nn.functional.cross_entropy with label targets (not normalised)."""
    lowest = torch.finfo(scores.dtype).min  # exp underflows to 0 and 0 * lowest stays finite
    logits = torch.where(mask, scores, torch.full_like(scores, lowest))
    targets = torch.where(mask, labels, torch.zeros_like(labels))
    return torch.nn.functional.cross_entropy(logits, targets, reduction="none"), mask.any(dim=1)


def torch_pairwise_logistic(torch, labels, scores, mask):
    """RankNet's form: binary cross-entropy with logits s_i - s_j and target 1, per list the mean over pairs."""
    d = scores[:, :, None] - scores[:, None, :]
    pairs = (labels[:, :, None] > labels[:, None, :]) & mask[:, :, None] & mask[:, None, :]
    pair_losses = torch.nn.functional.binary_cross_entropy_with_logits(d, torch.ones_like(d), reduction="none")
    n_pairs = pairs.sum(dim=(1, 2))
    sums = torch.where(pairs, pair_losses, torch.zeros_like(pair_losses)).sum(dim=(1, 2))
    return sums / n_pairs.clamp(min=1), n_pairs > 0


TORCH_PEERS = {"ranking_softmax": torch_ranking_softmax, "pairwise_logistic": torch_pairwise_logistic}


def torch_value_and_grad(torch, loss, labels, scores, mask, weights):
    """The mean reduction over the counted lists, and its gradient by autograd, in float64."""
    scores_t = torch.tensor(scores, dtype=torch.float64, requires_grad=True)
    per_list, counted = TORCH_PEERS[loss.name](torch, torch.tensor(labels, dtype=torch.float64), scores_t,
                                               torch.tensor(mask))
    w = torch.tensor(weights, dtype=torch.float64)
    value = (w * per_list).sum() / w[counted].sum()
    value.backward()
    return value.item(), scores_t.grad.numpy()


def relative_error(actual, expected):
    return np.max(np.abs(actual - expected) / np.maximum(np.abs(expected), 1e-300)) if np.size(expected) else 0.0


@pytest.mark.parametrize("extreme", [False, True])
@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_matches_torch_autograd(loss, extreme, rng):
    torch = pytest.importorskip("torch")
    labels, scores, mask = ranking_inputs(rng, 20, 12)
    mask[0] = True  # one list counts
    labels[0, 0] = 4.0
    labels[0, 1] = 0.0
    if extreme:
        scores = scores * 10.0 ** rng.integers(-3, 30, size=scores.shape)  # |s_i - s_j| up to 1e30 both ways
    weights = rng.uniform(0.5, 2.0, size=20)
    value, grad = loss.value_and_grad(labels, scores, where=mask, sample_weight=weights)
    expected_value, expected_grad = torch_value_and_grad(torch, loss, labels, scores, mask, weights)
    assert_allclose(value, expected_value, rtol=1e-12)
    assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-15 * np.max(np.abs(expected_grad)))


# ---------------------------------------------------------------- edge cases


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pairwise_logistic_is_stable_for_any_score_difference(dtype):
    big = float(np.finfo(dtype).max) / 1000  # differences up to 2 big, and their sum, stay finite
    scores = np.array([[big, -big, 0.0, 1e4, -1e4, 50.0, -50.0]], dtype)
    labels = np.array([[0.0, 1.0, 2.0, 3.0, 0.0, 1.0, 2.0]], dtype)
    value, grad = pairwise_logistic.value_and_grad(labels, scores, reduction="none")
    expected, expected_grad, _ = LISTS["pairwise_logistic"](labels, scores)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    assert_allclose(value, expected, rtol=1e-6)
    assert_allclose(grad, expected_grad, rtol=1e-5, atol=1e-7)
    # infinite differences: a pair ranked infinitely right costs 0, infinitely wrong costs inf
    value, grad = pairwise_logistic.value_and_grad(np.array([[1.0, 0.0]]), np.array([[np.inf, 0.0]]))
    assert value == 0.0 and np.all(grad == 0.0)
    value, grad = pairwise_logistic.value_and_grad(np.array([[1.0, 0.0]]), np.array([[-np.inf, 0.0]]))
    assert value == np.inf
    assert_array_equal(grad, [[-1.0, 1.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ranking_softmax_is_stable_for_far_apart_scores(dtype):
    scores = np.array([[1e30, -1e30, 0.0, 80.0, -80.0], [1e4, 1e4 + 1, -1e4, 0.0, 3.0]], dtype)
    labels = np.array([[0.0, 1.0, 2.0, 3.0, 4.0], [1.0, 0.0, 2.0, 0.0, 3.0]], dtype)
    value, grad = ranking_softmax.value_and_grad(labels, scores, reduction="none")
    expected, expected_grad, _ = LISTS["ranking_softmax"](labels, scores)
    assert_allclose(value, expected, rtol=1e-6)
    assert_allclose(grad, expected_grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_nan_scores_propagate_in_their_list_only_and_are_ignored_when_masked(loss):
    scores = np.array([[1.0, np.nan, 0.0], [0.5, 2.0, -1.0]])
    labels = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 2.0]])
    losses = loss(labels, scores, reduction="none")
    grad = loss.grad(labels, scores)
    assert np.isnan(losses[0]) and np.isfinite(losses[1]) and np.isnan(loss(labels, scores))
    assert np.isnan(grad[0, 1]) and np.all(np.isfinite(grad[1]))
    where = np.array([[True, False, True], [True, True, True]])
    garbage = np.where(where, labels, np.nan)  # masked labels may hold anything, NaN and negative included
    garbage[0, 1] = -7.0
    value, grad = loss.value_and_grad(garbage, scores, where=where)
    expected = reduce(*LISTS[loss.name](labels, np.nan_to_num(scores), where), "mean")
    assert_allclose(value, expected[0], rtol=1e-14)
    assert_allclose(grad, expected[1], rtol=1e-14, atol=1e-16)


def test_lists_of_one_item_and_the_means_counted_lists():
    single = ranking_softmax.value_and_grad(np.array([[3.0]]), np.array([[0.7]]))
    assert single[0] == 0.0 and single[1][0, 0] == 0.0  # softmax of one item is 1: -3 log 1
    labels = np.array([[1.0, 1.0, 1.0], [2.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    scores = np.array([[0.3, 0.1, 0.2], [1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    pairwise = pairwise_logistic(labels, scores, reduction="none")
    assert pairwise[0] == 0.0 and pairwise[2] == 0.0  # equal labels: no pair
    assert_allclose(pairwise_logistic(labels, scores), pairwise[1], rtol=1e-15)  # only list 1 counts
    weights = np.array([5.0, 2.0, 7.0])
    assert_allclose(pairwise_logistic(labels, scores, sample_weight=weights), pairwise[1], rtol=1e-15)
    softmax = ranking_softmax(labels, scores, reduction="none")
    assert_allclose(ranking_softmax(labels, scores), softmax.sum() / 3, rtol=1e-15)  # zero labels still count
    # no list with a pair: the mean of nothing is 0
    assert pairwise_logistic(np.ones((2, 3)), scores[:2]) == 0.0
    assert pairwise_logistic(labels, scores, sample_weight=np.array([1.0, 0.0, 1.0])) == 0.0


def test_label_and_mask_dtypes(rng):
    labels, scores, mask = ranking_inputs(rng, 4, 6, np.float32)
    for loss in LOSSES:
        expected = loss(labels, scores, where=mask)
        assert expected.dtype == np.float32
        assert loss(labels.astype(np.int64), scores, where=mask) == expected
        assert loss(labels.astype(np.float64), scores, where=mask).dtype == np.float64
        assert loss((labels > 2).astype(bool), scores, where=mask).dtype == np.float32
        assert loss(labels, scores, where=mask.tolist()) == expected
        assert loss(labels, scores, where=np.ones_like(mask)) == loss(labels, scores)


# ---------------------------------------------------------------- engineering


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_value_and_grad_out_and_grad_agree(loss, rng):
    labels, scores, mask = ranking_inputs(rng, 5, 8, np.float32)
    weights = rng.uniform(0.5, 2.0, size=5).astype(np.float32)
    for reduction in ("mean", "sum", "none"):
        kwargs = {"where": mask, "sample_weight": weights, "reduction": reduction}
        value, grad = loss.value_and_grad(labels, scores, **kwargs)
        assert_array_equal(loss(labels, scores, **kwargs), value)
        assert_array_equal(loss.grad(labels, scores, **kwargs), grad)
        out = np.full(scores.shape, np.nan, np.float32)
        assert loss.value_and_grad(labels, scores, out=out, **kwargs)[1] is out
        assert_array_equal(out, grad)
        out[:] = np.nan
        assert loss.grad(labels, scores, out=out, **kwargs) is out
        assert_array_equal(out, grad)
        assert np.shape(value) == ((5,) if reduction == "none" else ())


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_non_contiguous_read_only_and_memory_mapped_inputs(loss, rng, tmp_path):
    labels, scores, mask = ranking_inputs(rng, 6, 20)
    expected = loss.value_and_grad(labels[::2, 1::2], scores[::2, 1::2], where=mask[::2, 1::2])
    assert_allclose(expected[0], reduce(*LISTS[loss.name](labels[::2, 1::2], scores[::2, 1::2], mask[::2, 1::2]),
                                        "mean")[0], rtol=1e-13)
    expected = loss.value_and_grad(labels, scores, where=mask)
    arrays = {"labels": labels, "scores": scores, "mask": mask}
    for name, array in arrays.items():
        np.save(tmp_path / f"{name}.npy", array)
    mapped = [np.load(tmp_path / f"{name}.npy", mmap_mode="r") for name in arrays]
    read_only = [array.copy() for array in arrays.values()]
    for array in read_only:
        array.flags.writeable = False
    for y, s, m in (mapped, read_only):
        value, grad = loss.value_and_grad(y, s, where=m)
        assert value == expected[0]
        assert_array_equal(grad, expected[1])


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="compiled signatures mean nothing without the JIT")
def test_one_compiled_signature_per_dtype():
    for dtype in kernels.ranking_loss.compiled_dtypes():
        for function in kernels.ranking_loss.compiled_functions(dtype):  # the driver and the blocks used
            assert len(function.signatures) == 1, dtype


@pytest.mark.parametrize("loss, shape", [(ranking_softmax, (520, 70)), (pairwise_logistic, (40, 48))],
                         ids=["ranking_softmax", "pairwise_logistic"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parallel_path_is_identical_at_one_and_two_threads(loss, shape, dtype, rng, two_threads):
    labels, scores, mask = ranking_inputs(rng, *shape, dtype)
    work = scores.size * (shape[1] if loss is pairwise_logistic else 1)
    assert work >= PARALLEL_THRESHOLD
    weights = rng.uniform(0.5, 2.0, size=shape[0])
    results = [at_threads(threads, lambda: loss.value_and_grad(labels, scores, where=mask, sample_weight=weights))
               for threads in (1, two_threads)]
    assert results[0][0] == results[1][0]
    assert_array_equal(results[0][1], results[1][1])
    expected = reduce(*LISTS[loss.name](labels, scores, mask), "mean", weights)
    tol = {"rtol": 2e-5, "atol": 1e-7} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-16}
    assert_allclose(results[0][0], expected[0], rtol=tol["rtol"])
    assert_allclose(results[0][1], expected[1], **tol)


@pytest.mark.parametrize("y_true, y_pred, options, error, match", [
    (np.zeros(3), np.zeros(3), {}, ValueError, r"y_pred must have shape \(Q, L\)"),
    (np.zeros((1, 2, 3)), np.zeros((1, 2, 3)), {}, ValueError, r"y_pred must have shape \(Q, L\)"),
    (np.zeros((2, 4)), np.zeros((2, 3)), {}, ValueError, "y_true has shape"),
    (np.zeros((0, 3)), np.zeros((0, 3)), {}, ValueError, "y_pred is empty"),
    (np.zeros((2, 0)), np.zeros((2, 0)), {}, ValueError, "y_pred is empty"),
    (np.full((2, 3), -1.0), np.zeros((2, 3)), {}, ValueError, "y_true .* must be >= 0"),
    (np.full((2, 3), np.nan), np.zeros((2, 3)), {}, ValueError, "y_true .* must be finite"),
    (np.full((2, 3), np.inf), np.zeros((2, 3)), {}, ValueError, "y_true .* must be finite"),
    (np.array([[1.0, -1.0]]), np.zeros((1, 2)), {"where": np.array([[True, True]])}, ValueError,
     "y_true .* must be >= 0 at the items where `where` is True"),
    (np.zeros((2, 3)), np.zeros((2, 3)), {"where": np.ones((2, 3))}, TypeError, "where must be a boolean mask"),
    (np.zeros((2, 3)), np.zeros((2, 3)), {"where": np.ones((3, 2), bool)}, ValueError, "where has shape"),
    (np.zeros((2, 3)), np.zeros((2, 3)), {"where": np.ones(3, bool)}, ValueError, "where has shape"),
    (np.zeros((2, 3)), np.zeros((2, 3)), {"where": [["a"]]}, TypeError, "where must hold real numbers"),
    (np.zeros((2, 3)), np.zeros((2, 3)), {"sample_weight": np.ones((2, 3))}, ValueError, "sample_weight"),
    (np.zeros((2, 3)), np.zeros((2, 3)), {"sample_weight": np.ones(3)}, ValueError, "sample_weight"),
    (np.zeros((2, 3)), np.zeros((2, 3)), {"sample_weight": -np.ones(2)}, ValueError, "sample_weight"),
    (np.zeros((2, 3)), np.zeros((2, 3)), {"sample_weight": np.zeros(2)}, ValueError, "sums to zero"),
    (np.zeros((2, 3)), np.zeros((2, 3)), {"reduction": "avg"}, ValueError, "reduction"),
    (np.zeros((2, 3)), np.zeros((2, 3)), {"axis": 1}, TypeError, "unexpected keyword"),
    (np.zeros((2, 3)), np.array([["a", "b", "c"]] * 2), {}, TypeError, "y_pred must hold real numbers"),
    ([[1, 2], [3]], np.zeros((2, 2)), {}, ValueError, "y_true is ragged"),
])
@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_rejects_bad_input_by_name(loss, y_true, y_pred, options, error, match):
    with pytest.raises(error, match=match):
        loss(y_true, y_pred, **options)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_metadata(loss):
    assert loss.properties == {"task": "ranking", "convex": True, "robust_to_outliers": False, "input": "scores"}
    assert loss.options == {"where": None}
    assert r"\ell_q" in loss.formula and r"\partial" in loss.gradient
    assert ("optax" if loss is ranking_softmax else "Rax") in loss.__doc__
