"""Sequence losses: CTC against brute force and a NumPy forward DP; token cross-entropy with a mask."""

import functools
import itertools
import types

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import lossjit as lj
from lossjit._config import PARALLEL_THRESHOLD
from reference import numerical_grad


@functools.cache
def ctc_helpers():
    """The CTC kernel's float64 helpers, which only compiled code calls (they have no Python wrapper), each called
    from Python through a compiled function of its own: directly, or at its address as the blocks call it."""
    from lossjit._kernels import ctc

    def from_python(helper):
        return numba.njit(lambda *args: helper(*args))

    def at_address(address, call):
        return numba.njit(lambda *args: call(address, *args))

    log_probabilities_at, forward_at, backward_at, _ = ctc.helper_addresses(np.dtype(np.float64), True)
    forward = at_address(forward_at, ctc._call_scaled_forward)
    backward = at_address(backward_at, ctc._call_scaled_backward)

    def scaled_posteriors(emissions, top, skip, n_states, want_posterior):
        """(log p, posterior or an empty array) by the scaled recursions as the scaled block runs them: NaN where
        either recursion fails."""
        log_likelihood, alpha = forward(emissions, top, skip, n_states)
        if log_likelihood != log_likelihood or not want_posterior:
            return log_likelihood, alpha[:0, :0]
        posterior = backward(emissions, skip, alpha, n_states)
        return (log_likelihood if posterior.size else np.nan), posterior

    return types.SimpleNamespace(
        _log_probabilities=at_address(log_probabilities_at, ctc._call_log_probabilities),
        _scaled_posteriors=scaled_posteriors,
        _states=from_python(ctc._states), _log_space_posteriors=from_python(ctc._log_space_posteriors))


def log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def collapse(path, blank):
    """B(path): merge repeated symbols, then drop blanks."""
    return [k for t, k in enumerate(path) if k != blank and (t == 0 or k != path[t - 1])]


def ctc_brute_force(log_probs, target, blank=0):
    """-log sum over every path of T symbols that collapses to ``target`` (tiny T and C only)."""
    n_steps, n_classes = log_probs.shape
    total = -np.inf
    for path in itertools.product(range(n_classes), repeat=n_steps):
        if collapse(path, blank) == list(target):
            total = np.logaddexp(total, log_probs[np.arange(n_steps), list(path)].sum())
    return -total


def ctc_dynamic_programming(log_probs, target, blank=0):
    """-log p(target) by the forward recursion over the extended target, vectorised over states."""
    extended = np.full(2 * len(target) + 1, blank)
    extended[1::2] = target
    n_states = extended.size
    can_skip = np.zeros(n_states, bool)
    can_skip[2:] = (extended[2:] != blank) & (extended[2:] != extended[:-2])
    if log_probs.shape[0] == 0:
        return 0.0 if len(target) == 0 else np.inf
    alpha = np.full(n_states, -np.inf)
    alpha[:2] = log_probs[0, extended[:2]]
    for t in range(1, log_probs.shape[0]):
        stay = alpha
        step = np.concatenate(([-np.inf], alpha[:-1]))
        skip = np.full(n_states, -np.inf)
        skip[2:] = np.where(can_skip[2:], alpha[:-2], -np.inf)
        alpha = np.logaddexp(np.logaddexp(stay, step), skip) + log_probs[t, extended]
    return -np.logaddexp.reduce(alpha[-2:])


def ctc_reference(log_probs, padded_targets, input_lengths, target_lengths, blank=0, reduction="mean",
                  weights=None, zero_infinity=False):
    """The reduced CTC loss of (T, N, C) log-probabilities, in float64."""
    losses = np.array([ctc_dynamic_programming(log_probs[:input_lengths[n], n], padded_targets[n, :target_lengths[n]],
                                               blank) for n in range(log_probs.shape[1])])
    if zero_infinity:
        losses = np.where(np.isinf(losses), 0.0, losses)
    weights = np.ones(losses.size) if weights is None else weights
    if reduction == "none":
        return weights * losses
    if reduction == "sum":
        return np.sum(weights * losses)
    return np.sum(weights * losses / np.maximum(target_lengths, 1)) / weights.sum()


@pytest.fixture
def batch(rng):
    """Logits (T=5, N=3, C=3), padded targets with a repeat, and lengths."""
    logits = rng.normal(size=(5, 3, 3))
    targets = np.array([[1, 2, -1], [1, 1, -1], [2, -1, -1]])  # -1 pads past the target lengths
    return logits, targets, np.array([5, 4, 3]), np.array([2, 2, 1])


def test_dynamic_programming_reference_matches_brute_force(rng):
    for target in ([], [1], [1, 1], [2, 1], [1, 2, 1]):
        log_probs = log_softmax(rng.normal(size=(5, 3)))
        assert_allclose(ctc_dynamic_programming(log_probs, np.array(target, int)), ctc_brute_force(log_probs, target),
                        rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_ctc_matches_brute_force(batch, reduction, rng):
    logits, targets, input_lengths, target_lengths = batch
    log_probs = log_softmax(logits)
    weights = rng.uniform(0.5, 2.0, size=3)
    losses = np.array([ctc_brute_force(log_probs[:input_lengths[n], n], targets[n, :target_lengths[n]])
                       for n in range(3)])
    expected = {"none": weights * losses, "sum": np.sum(weights * losses),
                "mean": np.sum(weights * losses / target_lengths) / weights.sum()}[reduction]
    kwargs = {"input_lengths": input_lengths, "target_lengths": target_lengths, "sample_weight": weights,
              "reduction": reduction}
    value, grad = lj.ctc.value_and_grad(targets, logits, **kwargs)
    assert value.dtype == np.float64 and grad.shape == logits.shape
    assert_allclose(value, expected, rtol=1e-12)
    assert_array_equal(lj.ctc(targets, logits, **kwargs), value)
    assert_allclose(lj.ctc(targets, log_probs, from_logits=False, **kwargs), expected, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_ctc_gradients_match_finite_differences(batch, reduction):
    logits, targets, input_lengths, target_lengths = batch
    kwargs = {"input_lengths": input_lengths, "target_lengths": target_lengths, "reduction": reduction}

    def loss_of_log_probs(log_probs):
        return ctc_reference(log_probs, targets, input_lengths, target_lengths, reduction=reduction)

    grad = lj.ctc.grad(targets, logits, **kwargs)
    assert_allclose(grad, numerical_grad(lambda z: loss_of_log_probs(log_softmax(z)), logits),
                    rtol=1e-6, atol=1e-9)
    log_probs = log_softmax(logits)
    grad = lj.ctc.grad(targets, log_probs, from_logits=False, **kwargs)
    assert_allclose(grad, numerical_grad(loss_of_log_probs, log_probs), rtol=1e-6, atol=1e-9)


def test_ctc_gradient_is_softmax_minus_occupation(batch):
    logits, targets, input_lengths, target_lengths = batch
    kwargs = {"input_lengths": input_lengths, "target_lengths": target_lengths, "reduction": "sum"}
    logit_grad = lj.ctc.grad(targets, logits, **kwargs)
    occupation = -lj.ctc.grad(targets, log_softmax(logits), from_logits=False, **kwargs)
    for n, length in enumerate(input_lengths):
        softmax = np.exp(log_softmax(logits[:length, n]))
        assert_allclose(logit_grad[:length, n], softmax - occupation[:length, n], atol=1e-12)
        assert_allclose(occupation[:length, n].sum(axis=-1), 1.0, rtol=1e-12)  # one state per time step
        assert_array_equal(logit_grad[length:, n], 0.0)  # past the input length


def test_padded_and_concatenated_targets_agree(batch):
    logits, targets, input_lengths, target_lengths = batch
    concatenated = np.concatenate([targets[n, :target_lengths[n]] for n in range(3)])
    kwargs = {"input_lengths": input_lengths, "target_lengths": target_lengths}
    padded = lj.ctc.value_and_grad(targets, logits, **kwargs)
    flat = lj.ctc.value_and_grad(concatenated, logits, **kwargs)
    assert padded[0] == flat[0]
    assert_array_equal(padded[1], flat[1])


def test_lengths_default_to_the_full_arrays(rng):
    logits = rng.normal(size=(4, 2, 3))
    targets = np.array([[1, 2], [2, 2]])
    expected = ctc_reference(log_softmax(logits), targets, [4, 4], [2, 2])
    assert_allclose(lj.ctc(targets, logits), expected, rtol=1e-12)


def test_other_blank_index(rng):
    logits = rng.normal(size=(5, 1, 3))
    targets = np.array([[0, 1, 0]])
    expected = ctc_brute_force(log_softmax(logits[:, 0]), [0, 1, 0], blank=2)
    assert_allclose(lj.ctc(targets, logits, blank=2, reduction="sum"), expected, rtol=1e-12)


def test_infeasible_targets_give_inf_or_zero_with_zero_infinity(rng):
    logits = rng.normal(size=(3, 2, 3))
    targets = np.array([[1, 1], [1, 2]])  # "1 1" needs 3 steps (1 blank 1); "1 2" needs 2
    input_lengths = np.array([2, 2])
    kwargs = {"input_lengths": input_lengths, "reduction": "none"}
    value, grad = lj.ctc.value_and_grad(targets, logits, **kwargs)
    assert value[0] == np.inf and np.isfinite(value[1])
    assert np.all(np.isnan(grad[:2, 0])) and np.all(grad[2:, 0] == 0) and np.all(np.isfinite(grad[:, 1]))
    value, grad = lj.ctc.value_and_grad(targets, logits, zero_infinity=True, **kwargs)
    assert value[0] == 0 and np.all(grad[:, 0] == 0) and np.all(np.isfinite(grad))
    # "mean" still counts the zeroed sample, as torch does
    mean = lj.ctc(targets, logits, input_lengths=input_lengths, zero_infinity=True)
    assert_allclose(mean, value[1] / 2 / 2, rtol=1e-12)
    assert lj.ctc(targets, logits, input_lengths=np.array([3, 2]), reduction="none")[0] < np.inf


def test_empty_targets_and_empty_inputs(rng):
    logits = rng.normal(size=(4, 3, 3))
    log_probs = log_softmax(logits)
    targets = np.array([[0], [0], [1]])
    value = lj.ctc(targets, logits, input_lengths=np.array([4, 0, 0]), target_lengths=np.array([0, 0, 1]),
                   reduction="none")
    assert_allclose(value[0], -log_probs[:, 0, 0].sum(), rtol=1e-12)  # blank at every step
    assert value[1] == 0.0 and value[2] == np.inf
    grad = lj.ctc.grad(targets, logits, input_lengths=np.array([4, 0, 0]), target_lengths=np.array([0, 0, 1]),
                       zero_infinity=True)
    assert np.all(grad[:, 1:] == 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ctc_float32_and_extreme_logits(batch, dtype):
    logits, targets, input_lengths, target_lengths = batch
    kwargs = {"input_lengths": input_lengths, "target_lengths": target_lengths}
    value, grad = lj.ctc.value_and_grad(targets, logits.astype(dtype), **kwargs)
    assert value.dtype == dtype and grad.dtype == dtype
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert_allclose(value, ctc_reference(log_softmax(logits), targets, input_lengths, target_lengths), rtol=rtol)
    extreme = (logits * 1e4).astype(dtype)
    value, grad = lj.ctc.value_and_grad(targets, extreme, **kwargs)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    expected = ctc_reference(log_softmax(extreme.astype(np.float64)), targets, input_lengths, target_lengths)
    assert_allclose(value, expected, rtol=1e-5)


@given(n_steps=st.integers(1, 6), n_samples=st.integers(1, 3), n_classes=st.integers(2, 4),
       seed=st.integers(0, 2**32 - 1))
def test_ctc_random_inputs(n_steps, n_samples, n_classes, seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=2.0, size=(n_steps, n_samples, n_classes))
    input_lengths = rng.integers(0, n_steps + 1, size=n_samples)
    target_lengths = rng.integers(0, 4, size=n_samples)
    targets = rng.integers(1, n_classes, size=(n_samples, 3))
    kwargs = {"input_lengths": input_lengths, "target_lengths": target_lengths, "zero_infinity": True}
    value, grad = lj.ctc.value_and_grad(targets, logits, **kwargs)
    expected = ctc_reference(log_softmax(logits), targets, input_lengths, target_lengths, zero_infinity=True)
    assert_allclose(value, expected, rtol=1e-10, atol=1e-12)
    for n in range(n_samples):
        if input_lengths[n] <= 4:  # brute force only where it is cheap
            log_probs = log_softmax(logits[:input_lengths[n], n])
            brute = ctc_brute_force(log_probs, list(targets[n, :target_lengths[n]]))
            single = lj.ctc(targets[n:n + 1], logits[:, n:n + 1], input_lengths=input_lengths[n:n + 1],
                            target_lengths=target_lengths[n:n + 1], reduction="none")[0]
            assert_allclose(single, brute, rtol=1e-10)

    def loss_of_logits(z):
        return ctc_reference(log_softmax(z), targets, input_lengths, target_lengths, zero_infinity=True)

    finite = np.isfinite([ctc_reference(log_softmax(logits), targets, input_lengths, target_lengths, reduction="none")])
    if finite.all():
        assert_allclose(grad, numerical_grad(loss_of_logits, logits), rtol=1e-5, atol=1e-8)


def test_ctc_is_identical_at_one_and_two_threads(rng, two_threads):
    n_steps, n_samples, n_classes = 50, 64, 20  # 64000 scores and 50 * 21 states each: the parallel path
    logits = rng.normal(size=(n_steps, n_samples, n_classes)).astype(np.float32)
    targets = rng.integers(1, n_classes, size=(n_samples, 10))
    target_lengths = rng.integers(1, 11, size=n_samples)
    input_lengths = rng.integers(30, 51, size=n_samples)
    kwargs = {"input_lengths": input_lengths, "target_lengths": target_lengths}
    assert lj.ctc._job(targets, logits, None, "mean", kwargs).work >= PARALLEL_THRESHOLD
    results = []
    for threads in (1, two_threads):
        numba.set_num_threads(threads)
        results.append(lj.ctc.value_and_grad(targets, logits, **kwargs))
    assert results[0][0] == results[1][0]
    assert_array_equal(results[0][1], results[1][1])
    expected = ctc_reference(log_softmax(logits.astype(np.float64)), targets, input_lengths, target_lengths)
    assert_allclose(results[0][0], expected, rtol=1e-5)


def test_ctc_non_contiguous_scores(batch):
    logits, targets, input_lengths, target_lengths = batch
    wide = np.repeat(logits, 2, axis=2)[:, :, ::2]
    assert not wide.flags.c_contiguous
    kwargs = {"input_lengths": input_lengths, "target_lengths": target_lengths}
    assert lj.ctc(targets, wide, **kwargs) == lj.ctc(targets, np.ascontiguousarray(wide), **kwargs)


SCORES = np.zeros((4, 2, 3))


@pytest.mark.parametrize("targets, scores, options, error, match", [
    (np.ones((2, 2)), np.zeros((4, 3)), {}, ValueError, r"y_pred must have shape \(T, N, C\)"),
    (np.ones((2, 2)), np.zeros((0, 2, 3)), {}, ValueError, "y_pred is empty"),
    (np.ones((2, 2)), SCORES, {"blank": 3}, ValueError, r"blank must lie in \[0, 3\)"),
    (np.ones((2, 2)), SCORES, {"blank": 1.0}, TypeError, "blank must be an integer"),
    (np.ones((2, 2)), SCORES + 0.5, {"from_logits": False}, ValueError, "log-probabilities"),
    (np.ones((2, 2)), SCORES, {"input_lengths": [4, 5]}, ValueError, r"input_lengths must lie in \[0, 4\]"),
    (np.ones((2, 2)), SCORES, {"input_lengths": [4]}, ValueError, r"input_lengths must have shape \(2,\)"),
    (np.ones((2, 2)), SCORES, {"input_lengths": [4.5, 4]}, ValueError, "input_lengths must hold integers"),
    (np.ones((2, 2)), SCORES, {"target_lengths": [3, 1]}, ValueError, r"target_lengths must lie in \[0, 2\]"),
    (np.ones((2, 2)), SCORES, {"target_lengths": [-1, 1]}, ValueError, "target_lengths must lie in"),
    (np.ones(3), SCORES, {}, ValueError, "target_lengths is required"),
    (np.ones(3), SCORES, {"target_lengths": [1, 1]}, ValueError, "sum to 2"),
    (np.ones((3, 2)), SCORES, {}, ValueError, r"must have shape \(2, S\)"),
    (np.ones((2, 2, 1)), SCORES, {}, ValueError, "padded"),
    (np.array([[1, 3], [1, 1]]), SCORES, {}, ValueError, r"must lie in \[0, 3\)"),
    (np.array([[1, 0], [1, 1]]), SCORES, {}, ValueError, "must not contain the blank class 0"),
    (np.array([[1.5, 1], [1, 1]]), SCORES, {}, ValueError, "y_true must hold integers"),
    (np.ones((2, 2), bool), SCORES, {}, TypeError, "y_true must hold integers, got bool"),
    (np.ones((2, 2)), SCORES, {"sample_weight": np.ones(3)}, ValueError, "sample_weight"),
    (np.ones((2, 2)), SCORES, {"reduction": "avg"}, ValueError, "reduction"),
    (np.ones((2, 2)), SCORES, {"padding": 0}, TypeError, "unexpected keyword"),
])
def test_ctc_rejects_bad_input_by_name(targets, scores, options, error, match):
    with pytest.raises(error, match=match):
        lj.ctc(targets, scores, **options)


def test_padding_past_the_target_length_is_never_read(batch):
    logits, targets, input_lengths, target_lengths = batch
    kwargs = {"input_lengths": input_lengths, "target_lengths": target_lengths}
    other_padding = np.where(targets < 0, 99, targets)
    assert lj.ctc(targets, logits, **kwargs) == lj.ctc(other_padding, logits, **kwargs)


# --- sequence_cross_entropy -------------------------------------------------------------------------------


@pytest.fixture
def tokens(rng):
    """Logits (N=3, T=4, C=5), labels with padding -1, and the mask of real tokens."""
    logits = rng.normal(size=(3, 4, 5))
    lengths = np.array([4, 2, 1])
    mask = (np.arange(4) < lengths[:, None]).astype(np.int64)
    labels = np.where(mask == 1, rng.integers(0, 5, size=(3, 4)), -1)
    return logits, labels, mask


def token_losses(logits, labels):
    return -np.take_along_axis(log_softmax(logits), np.maximum(labels, 0)[..., None], axis=-1)[..., 0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sequence_cross_entropy_is_the_mean_over_kept_tokens(tokens, dtype):
    logits, labels, mask = tokens
    per_token = token_losses(logits, labels)
    expected = (mask * per_token).sum() / mask.sum()
    value, grad = lj.sequence_cross_entropy.value_and_grad(labels, logits.astype(dtype), mask=mask)
    assert value.dtype == dtype
    assert_allclose(value, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)
    one_hot = np.eye(5)[np.maximum(labels, 0)]
    expected_grad = mask[..., None] * (np.exp(log_softmax(logits)) - one_hot) / mask.sum()
    assert_allclose(grad, expected_grad, rtol=1e-5 if dtype == np.float32 else 1e-10, atol=1e-7)
    assert np.all(grad[mask == 0] == 0)
    assert_allclose(lj.sequence_cross_entropy(labels, logits, mask=mask, reduction="none"), mask * per_token,
                    rtol=1e-12)
    assert_allclose(lj.sequence_cross_entropy(labels, logits, mask=mask, reduction="sum"), (mask * per_token).sum(),
                    rtol=1e-12)


def test_sequence_cross_entropy_equals_cross_entropy_with_the_mask_as_weight(tokens, rng):
    logits, labels, mask = tokens
    clean = np.where(mask == 1, labels, 0)
    weights = rng.uniform(0.5, 2.0, size=3)
    for sample_weight in (None, weights):
        combined = mask if sample_weight is None else mask * sample_weight[:, None]
        expected = lj.cross_entropy.value_and_grad(clean, logits, from_logits=True, sample_weight=combined)
        value, grad = lj.sequence_cross_entropy.value_and_grad(labels, logits, mask=mask, sample_weight=sample_weight)
        assert_allclose(value, expected[0], rtol=1e-12)
        assert_allclose(grad, expected[1], rtol=1e-12, atol=1e-15)
    probabilities = np.eye(5)[clean]
    assert_allclose(lj.sequence_cross_entropy(probabilities, logits, mask=mask),
                    lj.sequence_cross_entropy(labels, logits, mask=mask), rtol=1e-12)


def test_sequence_cross_entropy_without_mask_and_with_ignore_index(tokens):
    logits, labels, mask = tokens
    clean = np.where(mask == 1, labels, 0)
    assert_allclose(lj.sequence_cross_entropy(clean, logits), token_losses(logits, clean).mean(), rtol=1e-12)
    padded = np.where(mask == 1, labels, -100)
    assert_allclose(lj.sequence_cross_entropy(padded, logits), lj.sequence_cross_entropy(labels, logits, mask=mask),
                    rtol=1e-12)


def test_sequence_cross_entropy_gradient_matches_finite_differences(tokens):
    logits, labels, mask = tokens
    grad = lj.sequence_cross_entropy.grad(labels, logits, mask=mask)
    expected = numerical_grad(lambda z: (mask * token_losses(z, labels)).sum() / mask.sum(), logits)
    assert_allclose(grad, expected, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("labels, scores, options, error, match", [
    (np.zeros((3, 4)), np.zeros((3, 4)), {}, ValueError, r"y_pred must have shape \(N, T, C\)"),
    (np.zeros((3, 4)), np.zeros((3, 4, 5)), {"mask": np.ones((3, 5))}, ValueError, r"mask must have shape \(3, 4\)"),
    (np.zeros((3, 4)), np.zeros((3, 4, 5)), {"mask": np.full((3, 4), 0.5)}, ValueError, "mask must hold only 0 and 1"),
    (np.full((3, 4), 5), np.zeros((3, 4, 5)), {"mask": np.ones((3, 4))}, ValueError, r"must lie in \[0, 5\)"),
    (np.zeros((3, 4)), np.zeros((3, 4, 5)), {"mask": np.ones((3, 4)), "sample_weight": np.ones(4)}, ValueError,
     "sample_weight"),
    (np.zeros((3, 4)), np.zeros((3, 4, 5)), {"mask": np.array([["x"] * 4] * 3)}, TypeError, "mask must hold real"),
])
def test_sequence_cross_entropy_rejects_bad_input_by_name(labels, scores, options, error, match):
    with pytest.raises(error, match=match):
        lj.sequence_cross_entropy(labels, scores, **options)


def test_sequence_losses_are_registered():
    for name in ("ctc", "sequence_cross_entropy"):
        loss = lj.losses[name]
        assert loss is getattr(lj, name) and loss.formula and loss.gradient
        assert set(loss.properties) == {"task", "convex", "robust_to_outliers", "input"}
    assert list(lj.ctc.options) == ["input_lengths", "target_lengths", "blank", "from_logits", "zero_infinity"]


@pytest.mark.parametrize("from_logits", [True, False])
def test_scaled_and_log_space_recursions_agree(from_logits, rng):
    """The probability-space recursion with rescaling and the log-space one give one loss and posterior."""
    kernel = ctc_helpers()

    n_steps, n_classes, length = 30, 6, 8
    scores = rng.normal(scale=3.0, size=(n_steps, 1, n_classes))
    if not from_logits:
        scores = log_softmax(scores)
    labels = rng.integers(1, n_classes, length)
    log_probs, top, exps, sums = kernel._log_probabilities(scores.reshape(-1), 1, n_classes, 0, n_steps,
                                                           from_logits)
    assert_allclose(log_probs, log_softmax(scores[:, 0]), rtol=1e-13, atol=1e-13)
    if from_logits:  # the exps the kernel reuses as emissions and, over their sums, as the softmax
        assert_allclose(exps, np.exp(log_probs - top[:, None]), rtol=1e-13)
        assert_allclose(exps / sums[:, None], np.exp(log_softmax(scores[:, 0])), rtol=1e-13)
    else:
        assert exps.size == 0 and sums.size == 0
    extended, skip = kernel._states(labels, 0, length, 0)
    n_states = 2 * length + 1
    emissions = np.ascontiguousarray(np.exp(log_probs[:, extended[:n_states]] - top[:, None]))
    scaled = kernel._scaled_posteriors(emissions, top, skip, n_states, True)
    log_space = kernel._log_space_posteriors(log_probs, extended, skip, n_states, True)
    assert np.isfinite(scaled[0])
    assert_allclose(scaled[0], log_space[0], rtol=1e-13)
    assert_allclose(scaled[1], log_space[1], rtol=1e-10, atol=1e-14)
    assert_allclose(scaled[1].sum(axis=1), 1.0, rtol=1e-13)


def test_underflowing_emissions_fall_back_to_log_space():
    """Class 2 wins every step by 2000 nats, but the target needs blank and class 1: in probability space
    every emission underflows to 0, so the kernel must take the log-space fallback, which stays exact."""
    kernel = ctc_helpers()

    logits = np.zeros((4, 1, 3))
    logits[:, :, :2] = -2000.0
    logits[1, 0, 1] = -1990.0
    labels = np.array([[1]])
    log_probs, top = kernel._log_probabilities(logits.reshape(-1), 1, 3, 0, 4, True)[:2]
    extended, skip = kernel._states(labels[0], 0, 1, 0)
    emissions = np.ascontiguousarray(np.exp(log_probs[:, extended[:3]] - top[:, None]))
    assert np.isnan(kernel._scaled_posteriors(emissions, top, skip, 3, False)[0])
    value, grad = lj.ctc.value_and_grad(labels, logits, reduction="sum")
    expected = ctc_reference(log_softmax(logits), labels, np.array([4]), np.array([1]), reduction="sum")
    assert 7000 < expected < 8000
    assert_allclose(value, expected, rtol=1e-12)
    assert np.all(np.isfinite(grad))


def ctc_brute_force_occupation(log_probs, target, blank=0):
    """gamma_t(k): the posterior probability of class k at step t over every path that collapses to ``target``
    (tiny T and C only), in float64."""
    n_steps, n_classes = log_probs.shape
    paths = [path for path in itertools.product(range(n_classes), repeat=n_steps)
             if collapse(path, blank) == list(target)]
    log_weights = np.array([log_probs[np.arange(n_steps), list(path)].sum() for path in paths])
    weights = np.exp(log_weights - np.logaddexp.reduce(log_weights))
    occupation = np.zeros((n_steps, n_classes))
    for path, weight in zip(paths, weights):
        occupation[np.arange(n_steps), list(path)] += weight
    return occupation


# exp(-5000) underflows to 0 (and no alignment through it counts); exp(-450) and exp(-500) do not, but
# products such as exp(-900) do.
GONE = -5000.0

# Inputs on which the rescaled recursion fails after some steps succeed, where a product underflows.
#   beta: target [1, 2]. At t = 1 only class 1 has a non-zero emission (class 3 wins that step), so alpha_1
#     sits on state 1 alone. From state 1 the path must still emit class 2 (-450 nats), so the normalised
#     beta_1 gives it weight ~exp(-450) beside the states past class 2, whose emissions at t = 1 are 0;
#     times class 1's exp(-450) at t = 1 every term of beta_0 underflows to 0. (The underflow checks now
#     stop the forward pass already, where alpha's products of such weights underflow.)
#   posterior: target [1, 1], T = 3: the only alignment is 1, blank, 1. alpha_0 sits on state 1 alone (the
#     blank is gone at t = 0), while beta_0 keeps only states 3 and 4: its weight on state 1 (blank at -400
#     nats at t = 1, then class 1 at -500 at t = 2) underflows. alpha_0 beta_0 is 0 in every state.
LATE_FAILURES = [
    pytest.param([[0, 0, GONE, GONE], [GONE, -450, GONE, 0], [0, -450, -450, GONE], [0, -450, -450, GONE]], [1, 2],
                 id="beta"),
    pytest.param([[GONE, 0, -500], [-400, GONE, 0], [0, -500, GONE]], [1, 1], id="posterior"),
]


@pytest.mark.parametrize("scores, target", LATE_FAILURES)
@pytest.mark.parametrize("from_logits", [True, False])
def test_backward_or_posterior_underflow_falls_back_to_log_space(scores, target, from_logits):
    """When a product in the recursions or the posterior normalisation underflows, the kernel takes the log-space
    recursion: loss and gradient match it and a float64 brute force over every alignment."""
    kernel = ctc_helpers()

    scores = np.array(scores, dtype=np.float64)
    n_steps, n_classes = scores.shape
    labels = np.array(target)
    log_probs, top = kernel._log_probabilities(scores.reshape(-1), 1, n_classes, 0, n_steps, from_logits)[:2]
    extended, skip = kernel._states(labels, 0, labels.size, 0)
    n_states = 2 * labels.size + 1
    emissions = np.ascontiguousarray(np.exp(log_probs[:, extended[:n_states]] - top[:, None]))
    log_space = kernel._log_space_posteriors(log_probs, extended, skip, n_states, True)
    assert np.isnan(kernel._scaled_posteriors(emissions, top, skip, n_states, True)[0])  # the fallback is taken

    value, grad = lj.ctc.value_and_grad(labels[None], scores[:, None], from_logits=from_logits, reduction="sum")
    exact = log_softmax(scores) if from_logits else scores
    expected = ctc_brute_force(exact, target)
    assert 800 < expected < 1000
    assert_allclose([value, -log_space[0]], expected, rtol=1e-12)
    assert_allclose(lj.ctc(labels[None], scores[:, None], from_logits=from_logits, reduction="sum"), expected,
                    rtol=1e-12)
    occupation = ctc_brute_force_occupation(exact, target)
    assert_allclose(log_space[1] @ np.eye(n_classes)[extended[:n_states]], occupation, atol=1e-12)
    expected_grad = np.exp(exact) - occupation if from_logits else -occupation
    assert_allclose(grad[:, 0], expected_grad, atol=1e-12)


def test_an_alignment_through_an_underflowing_emission_still_counts():
    """Class 1 at t = 0 is 800 nats below that step's best class, so exp(lp - top) underflows; yet the
    best alignment (1, blank) goes through it. The kernel must not drop it (it did: 1200 instead of 1000)."""
    scores = np.array([[-400.0, -800.0, 0.0], [-200.0, -800.0, -400.0]])
    for from_logits in (False, True):
        exact = log_softmax(scores) if from_logits else scores
        expected = ctc_brute_force(exact, [1])
        value, grad = lj.ctc.value_and_grad([[1]], scores[:, None], from_logits=from_logits, reduction="sum")
        assert_allclose([value, lj.ctc([[1]], scores[:, None], from_logits=from_logits, reduction="sum")],
                        expected, rtol=1e-12)
        occupation = ctc_brute_force_occupation(exact, [1])
        assert_allclose(grad[:, 0], (np.exp(exact) if from_logits else 0.0) - occupation, atol=1e-12)


@pytest.mark.parametrize("gap", [700.0, 709.0, 740.0, 744.0])
def test_emissions_near_float64_underflow_are_exact(gap):
    """Only the blank can be emitted, ``gap`` nats below the other class: exp(-gap) is normal at 700 and
    subnormal (digits lost) from 708.4 on. The loss is exactly ``gap``, by value and by value_and_grad."""
    scores = np.array([[[-gap, 0.0]]])
    empty_target = np.zeros((1, 0), dtype=int)
    assert_allclose(lj.ctc(empty_target, scores, from_logits=False), gap, rtol=1e-14)
    value, grad = lj.ctc.value_and_grad(empty_target, scores, from_logits=False)
    assert_allclose(value, gap, rtol=1e-14)
    assert_array_equal(grad[0, 0], [-1.0, 0.0])


def test_scores_thousands_of_nats_apart_match_the_brute_force(rng):
    """Random tiny problems whose scores span 0 to -3000 nats (some -inf): loss and gradient from both
    entry points match a float64 sum over every alignment, whichever recursion the kernel takes."""
    for _ in range(40):
        n_steps, n_classes = rng.integers(2, 6), rng.integers(2, 4)
        target = list(rng.integers(1, n_classes, rng.integers(1, 3)))
        scores = -rng.choice([3.0, 300.0, 800.0, 3000.0], size=(n_steps, n_classes)) * rng.random((n_steps, n_classes))
        scores[rng.random((n_steps, n_classes)) < 0.1] = -np.inf
        expected = ctc_brute_force(scores, target)
        value = lj.ctc([target], scores[:, None], from_logits=False, reduction="sum")
        both, grad = lj.ctc.value_and_grad([target], scores[:, None], from_logits=False, reduction="sum")
        if not np.isfinite(expected):
            assert value == both == np.inf
            continue
        assert_allclose([value, both], expected, rtol=1e-12)
        assert_allclose(grad[:, 0], -ctc_brute_force_occupation(scores, target), atol=1e-12)


@pytest.mark.parametrize("from_logits", [True, False])
def test_log_space_block_recomputes_only_the_samples_that_need_it(from_logits, rng):
    """The scaled block leaves NaN where its recursions cannot be used, and the log-space block then runs on those
    samples only: in a batch, each sample's loss and gradient are the ones it has alone."""
    failing = np.array([[GONE, 0, -500], [-400, GONE, 0], [0, -500, GONE]])  # LATE_FAILURES' "posterior"
    scores = rng.normal(size=(3, 3, 3))
    scores[:, 1] = failing
    if not from_logits:
        scores = scores - np.log(np.exp(scores).sum(-1, keepdims=True))
    targets = np.array([[1, 2], [1, 1], [2, 1]])
    losses = lj.ctc(targets, scores, from_logits=from_logits, reduction="none")
    grad = lj.ctc.grad(targets, scores, from_logits=from_logits, reduction="sum")
    for n in range(3):
        alone = scores[:, n:n + 1]
        assert_array_equal(losses[n], lj.ctc(targets[n:n + 1], alone, from_logits=from_logits, reduction="none")[0])
        assert_array_equal(grad[:, n:n + 1], lj.ctc.grad(targets[n:n + 1], alone, from_logits=from_logits,
                                                           reduction="sum"))
    assert 800 < losses[1] < 1000 and np.all(np.isfinite(grad))
