"""Contrastive losses (lossjit/info_nce.py): InfoNCE, CLIP's symmetric form and NT-Xent against float64 NumPy
references (tests/reference_info_nce.py), optax's formula and test figures, torch autograd, and central
differences."""

import tracemalloc

import numba
import numpy as np
import pytest
import reference_info_nce as ref
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from lossjit._config import PARALLEL_THRESHOLD
from lossjit._kernels import info_nce as kernels
from lossjit.info_nce import info_nce, ntxent

EPS64 = np.finfo(np.float64).eps
compiled_only = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="compiled signatures and thread counts mean "
                                   "nothing without the JIT")
#: (loss, options) of every form: InfoNCE plain, symmetric, unnormalised, and NT-Xent.
FORMS = [(info_nce, {}), (info_nce, {"symmetric": True}), (info_nce, {"normalize": False, "temperature": 2.0}),
         (info_nce, {"symmetric": True, "normalize": False, "temperature": 2.0}), (ntxent, {})]
FORM_IDS = ["info_nce", "symmetric", "unnormalised", "unnormalised symmetric", "ntxent"]


def reference(loss, x1, x2, sample_weight=None, epsilon=None, **options):
    """(per-sample weighted losses, grad x1, grad x2) of sum_i w_i l_i, from the float64 reference."""
    if loss is ntxent:
        return ref.ntxent(x1, x2, options.get("temperature", 0.07), sample_weight, epsilon)
    return ref.info_nce(x1, x2, options.get("temperature", 0.07), options.get("symmetric", False),
                        options.get("normalize", True), sample_weight, epsilon)


def reduced(losses, grads, reduction, sample_weight, n):
    """The reference reduced as lossjit reduces: "mean" divides value and gradients by sum w."""
    if reduction == "none":
        return losses, grads
    denominator = n if sample_weight is None or reduction == "sum" else np.sum(sample_weight)
    denominator = 1.0 if reduction == "sum" else denominator
    return losses.sum() / denominator, tuple(g / denominator for g in grads)


def assert_close_to(actual, expected, rtol, atol=0.0):
    """|actual - expected| <= rtol * max |expected| + atol (entries near 0 are judged by the largest; differences
    below 1e-200, rounding among subnormal numbers, pass)."""
    expected = np.asarray(expected, np.float64)
    difference = np.abs(np.asarray(actual, np.float64) - expected).max()
    assert difference <= rtol * np.abs(expected).max() + atol + 1e-200, f"max difference {difference}"


def pair(rng, n, d, dtype=np.float64, correlation=0.5):
    x1 = rng.standard_normal((n, d))
    x2 = x1 * correlation + rng.standard_normal((n, d))
    return x1.astype(dtype), x2.astype(dtype)


# ------------------------------------------------------------------ against the float64 references


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss, options", FORMS, ids=FORM_IDS)
def test_matches_reference(loss, options, weighted, reduction, rng):
    x1, x2 = pair(rng, 7, 5)
    weights = rng.uniform(0.2, 2.0, 7) if weighted else None
    value, grads = loss.value_and_grad(x1, x2, sample_weight=weights, reduction=reduction, **options)
    losses, *ref_grads = reference(loss, x1, x2, weights, **options)
    expected_value, expected_grads = reduced(losses, ref_grads, reduction, weights, 7)
    assert_close_to(value, expected_value, 1e-12)  # a loss near 0 is judged by the batch's largest
    assert value.dtype == np.float64 and np.shape(value) == np.shape(expected_value)
    assert len(grads) == 2
    for grad, expected in zip(grads, expected_grads):
        assert grad.shape == x1.shape and grad.dtype == np.float64
        assert_close_to(grad, expected, 1e-12)


@given(n=st.integers(2, 9), d=st.integers(1, 6), data=st.data(), temperature=st.floats(0.02, 5.0),
       symmetric=st.booleans(), normalize=st.booleans())
def test_random_inputs_match_reference(n, d, data, temperature, symmetric, normalize):
    elements = st.floats(-10, 10, allow_nan=False, width=64)
    x1 = data.draw(hnp.arrays(np.float64, (n, d), elements=elements))
    x2 = data.draw(hnp.arrays(np.float64, (n, d), elements=elements))
    weights = data.draw(hnp.arrays(np.float64, (n,), elements=st.floats(0, 3)))
    options = {"temperature": temperature, "symmetric": symmetric, "normalize": normalize}
    for loss, opts in ((info_nce, options), (ntxent, {"temperature": temperature})):
        losses = loss(x1, x2, sample_weight=weights, reduction="none", **opts)
        g1, g2 = loss.grad(x1, x2, sample_weight=weights, reduction="sum", **opts)
        expected, e1, e2 = reference(loss, x1, x2, weights, **opts)
        # A loss is a log-sum-exp minus a logit: a loss near 0 keeps the absolute rounding of the logits' size.
        logits = (1.0 if opts.get("normalize", True) else d * max(1.0, np.abs([x1, x2]).max()) ** 2) / temperature
        assert_close_to(losses, expected, 1e-10, atol=1e-14 * weights.max() * logits)
        # Gradients are sums of terms up to sum(w) / temperature x max|u| / min|x| (|u| <= 1 when normalised),
        # which can cancel to 0: their rounding is judged against that size.
        norms = np.sqrt(np.maximum(np.concatenate([(x1 * x1).sum(1), (x2 * x2).sum(1)]), EPS64))
        size = (weights.sum() / temperature * (1 / norms.min() if opts.get("normalize", True)
                                               else max(1.0, np.abs([x1, x2]).max())))
        assert_close_to(g1, e1, 1e-9, atol=1e-13 * size)
        assert_close_to(g2, e2, 1e-9, atol=1e-13 * size)


@pytest.mark.parametrize("loss, options", FORMS, ids=FORM_IDS)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradients_match_central_differences(loss, options, reduction, rng):
    x1, x2 = pair(rng, 4, 3)
    weights = rng.uniform(0.5, 2.0, 4)
    grads = loss.grad(x1, x2, sample_weight=weights, reduction=reduction, **options)
    step = 1e-6
    for which, grad in enumerate(grads):
        numerical = np.empty_like(grad)
        for index in np.ndindex(x1.shape):
            shifted = []
            for sign in (1, -1):
                arrays = [x1.copy(), x2.copy()]
                arrays[which][index] += sign * step
                shifted.append(loss(*arrays, sample_weight=weights, reduction=reduction, **options))
            numerical[index] = (shifted[0] - shifted[1]) / (2 * step)
        assert_close_to(grad, numerical, 1e-7)


def test_ntxent_is_optax_formula(rng):
    """concat(x1, x2) with labels concat(arange(N), arange(N)), optax's computation transcribed."""
    for n, d in ((2, 2), (5, 3), (9, 16)):
        x1, x2 = pair(rng, n, d)
        labels = np.concatenate([np.arange(n), np.arange(n)])
        for temperature in (0.07, 0.5, 3.0):
            expected = ref.ntxent_optax(np.concatenate([x1, x2]), labels, temperature)
            assert_allclose(ntxent(x1, x2, temperature=temperature), expected, rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ntxent_reproduces_optax_test_figures(dtype):
    """optax/losses/_self_supervised_test.py: ys with labels [0, 0, 1, 1] give 14.01032, and 9.2889 with a zero
    first row (atol 1e-4 there). Pairs (0, 1) and (2, 3) are x1 = ys[[0, 2]], x2 = ys[[1, 3]] here: a
    reordering of the rows, which NT-Xent's mean does not see. (Its third figure, labels [0, 0, 0, 1], is not
    a set of pairs.)"""
    ys = np.array([[-1.9540, 1.0780], [0.2380, -0.5703], [1.8745, -0.0195], [-0.6719, -1.9210]], dtype)
    assert_allclose(ntxent(ys[[0, 2]], ys[[1, 3]]), 14.01032, atol=1e-4)
    assert_allclose(ref.ntxent_optax(ys, [0, 0, 1, 1]), 14.01032, atol=1e-4)
    ys[0] = 0
    assert_allclose(ntxent(ys[[0, 2]], ys[[1, 3]]), 9.2889, atol=1e-4)
    assert_allclose(ref.ntxent_optax(ys, [0, 0, 1, 1], epsilon=np.finfo(dtype).eps), 9.2889, atol=1e-4)


def test_symmetric_is_mean_of_both_directions(rng):
    """CLIP: (InfoNCE(x1 -> x2) + InfoNCE(x2 -> x1)) / 2, with gradients to match."""
    x1, x2 = pair(rng, 6, 4)
    forward = info_nce.value_and_grad(x1, x2)
    backward = info_nce.value_and_grad(x2, x1)
    value, (g1, g2) = info_nce.value_and_grad(x1, x2, symmetric=True)
    assert_allclose(value, (forward[0] + backward[0]) / 2, rtol=1e-13)
    assert_allclose(g1, (forward[1][0] + backward[1][1]) / 2, rtol=1e-10, atol=1e-14)
    assert_allclose(g2, (forward[1][1] + backward[1][0]) / 2, rtol=1e-10, atol=1e-14)


def test_zero_rows_use_optax_epsilon(rng):
    """A row of zeros: its squared norm is clipped at the dtype's epsilon (similarity 0, gradient g / sqrt(eps))."""
    x1, x2 = pair(rng, 5, 3)
    x1[1] = 0
    x2[3] = 1e-10  # squared norm 3e-20 < eps: clipped too
    for loss, options in FORMS:
        value, grads = loss.value_and_grad(x1, x2, reduction="sum", **options)
        losses, *expected = reference(loss, x1, x2, **options)
        assert_allclose(value, losses.sum(), rtol=1e-12)
        for grad, e in zip(grads, expected):
            assert np.all(np.isfinite(grad))
            assert_close_to(grad, e, 1e-12)


# ------------------------------------------------------------------ torch autograd


def torch_losses(torch, loss, x1, x2, sample_weight=None, temperature=0.07, symmetric=False, normalize=True,
                 reduction="mean"):
    """The same formulas through torch's functional forms; returns (value, grad x1, grad x2) as NumPy."""
    functional = torch.nn.functional
    a = torch.tensor(x1, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(x2, dtype=torch.float64, requires_grad=True)
    n = a.shape[0]
    eps = torch.finfo(torch.float64).eps

    def unit(x):
        return x / torch.sqrt(torch.clamp((x * x).sum(1, keepdim=True), min=eps)) if normalize else x

    labels = torch.arange(n)
    if loss is ntxent:
        e = unit(torch.cat([a, b]))
        logits = (e @ e.T / temperature).masked_fill(torch.eye(2 * n, dtype=torch.bool), -torch.inf)
        rows = functional.cross_entropy(logits, torch.cat([labels + n, labels]), reduction="none")
        losses = (rows[:n] + rows[n:]) / 2
    else:
        logits = unit(a) @ unit(b).T / temperature
        losses = functional.cross_entropy(logits, labels, reduction="none")
        if symmetric:
            losses = (losses + functional.cross_entropy(logits.T, labels, reduction="none")) / 2
    weights = torch.ones(n, dtype=torch.float64) if sample_weight is None else torch.tensor(sample_weight)
    weighted = weights * losses
    value = weighted.sum() / (weights.sum() if reduction == "mean" else 1.0)
    value.backward()
    return value.item(), a.grad.numpy(), b.grad.numpy()


def extreme_inputs(rng):
    """(name, x1, x2, options): large and tiny magnitudes, near-duplicate pairs, a saturated softmax."""
    x1, x2 = pair(rng, 9, 6)
    near = x1 + 1e-9 * rng.standard_normal(x1.shape)
    return [
        ("random", x1, x2, {}),
        ("large and small magnitudes", 1e100 * x1, 1e-6 * x2, {}),  # at 1e150, torch's backward underflows
        ("near-duplicate pairs", x1, near, {}),
        ("temperature 1e-3", x1, x2, {"temperature": 1e-3}),
        ("temperature 1e3", x1, x2, {"temperature": 1e3}),
        ("unnormalised logits near 1e3", 10 * x1, 10 * x2, {"normalize": False, "temperature": 1.0}),
    ]


@pytest.mark.parametrize("form", ["info_nce", "symmetric", "ntxent"])
def test_matches_torch_autograd(form, rng):
    torch = pytest.importorskip("torch")
    loss = ntxent if form == "ntxent" else info_nce
    for name, x1, x2, options in extreme_inputs(rng):
        if loss is ntxent and "normalize" in options:
            continue
        if form == "symmetric":
            options = {**options, "symmetric": True}
        for weights in (None, rng.uniform(0, 2, len(x1))):
            value, (g1, g2) = loss.value_and_grad(x1, x2, sample_weight=weights, **options)
            expected, e1, e2 = torch_losses(torch, loss, x1, x2, weights, **options)
            assert_allclose(value, expected, rtol=1e-10, err_msg=name)
            assert_close_to(g1, e1, 1e-10)
            assert_close_to(g2, e2, 1e-10)


# ------------------------------------------------------------------ dtypes, layouts, special values


@pytest.mark.parametrize("loss, options", FORMS, ids=FORM_IDS)
def test_float32_stays_float32_at_float32_accuracy(loss, options, rng):
    x1, x2 = pair(rng, 40, 8, np.float32)
    value, grads = loss.value_and_grad(x1, x2, **options)
    assert value.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    losses, *expected = reference(loss, x1, x2, epsilon=np.finfo(np.float32).eps, **options)
    assert_allclose(value, losses.mean(), rtol=2e-6)
    for grad, e in zip(grads, expected):
        assert_close_to(grad, e / 40, 2e-5)


@compiled_only  # pure Python (NUMBA_DISABLE_JIT) keeps float32 + python float in float32 (NEP 50), and is slow
@pytest.mark.parametrize("loss, options", FORMS, ids=FORM_IDS)
def test_float32_large_batch_at_float32_accuracy(loss, options, rng):
    """Sums over 2,048 rows and columns (the column pass in 64 chunks of rows) stay at float32 accuracy, also for
    pairs as close as a trained model's (losses near 0.01, logits near their maxima: a rescaling of the column
    sums by exp of a rounding error in every chunk once gave 1.6e-5 relative error in the value, 4e-4 in the
    gradients)."""
    n = 1024 if loss is ntxent else 2048
    for correlation in (0.5, 3.0) if options.get("normalize", True) else (0.5,):  # unnormalised: logits ~ 100
        x1, x2 = pair(rng, n, 64, np.float32, correlation)
        value, grads = loss.value_and_grad(x1, x2, **options)
        losses, *expected = reference(loss, x1, x2, epsilon=np.finfo(np.float32).eps, **options)
        assert_allclose(value, losses.mean(), rtol=1e-6)
        for grad, e in zip(grads, expected):
            assert_close_to(grad, e / n, 2e-5)


def test_dtype_rules(rng):
    x1, x2 = pair(rng, 4, 3)
    assert info_nce(x1.astype(np.float32), x2).dtype == np.float64
    assert info_nce(x1.astype(np.float16), x2.astype(np.float32)).dtype == np.float32
    integers = (np.arange(12).reshape(4, 3), np.arange(12)[::-1].reshape(4, 3))
    assert_allclose(ntxent(*integers), ntxent(*(a.astype(np.float64) for a in integers)), rtol=0)


def test_nan_propagates(rng):
    x1, x2 = pair(rng, 5, 3)
    x1[2, 1] = np.nan
    for loss, options in FORMS:
        value, grads = loss.value_and_grad(x1, x2, **options)
        assert np.isnan(value)
        assert np.isnan(grads[0]).any() and np.isnan(grads[1]).any()
    x2[0, 0] = np.inf
    assert np.isnan(info_nce(x2, x1))


def test_non_contiguous_read_only_and_memory_mapped_inputs(rng, tmp_path):
    x1, x2 = pair(rng, 6, 4)
    for loss, options in FORMS:
        expected = loss.value_and_grad(x1, x2, **options)
        wide = np.zeros((6, 8))
        wide[:, ::2] = x1
        strided = wide[:, ::2]
        read_only = x2.copy()
        read_only.flags.writeable = False
        np.save(tmp_path / "x1.npy", x1)
        mapped = np.load(tmp_path / "x1.npy", mmap_mode="r")
        for a, b in ((strided, read_only), (mapped, read_only), (np.asfortranarray(x1), x2)):
            value, grads = loss.value_and_grad(a, b, **options)
            assert value == expected[0]
            assert_array_equal(grads[0], expected[1][0])
            assert_array_equal(grads[1], expected[1][1])


@compiled_only
def test_read_only_inputs_compile_nothing_more(rng, tmp_path):
    """One compiled signature per kernel and dtype, read-only and memory-mapped inputs included."""
    for dtype in (np.float32, np.float64):
        x1, x2 = pair(rng, 6, 4, dtype)
        np.save(tmp_path / "x1.npy", x1)
        x2.flags.writeable = False
        for loss, options in FORMS:
            loss.grad(np.load(tmp_path / "x1.npy", mmap_mode="r"), x2, **options)
            loss.grad(x1.copy(), x2.copy(), **options)
        assert len([s for s in kernels.contrastive_pass.signatures if str(s[1].dtype) == np.dtype(dtype).name]) == 1
    for kernel in (kernels.normalize_rows, kernels.normalize_rows_backward):
        assert len(kernel.signatures) == len(kernel.compiled_dtypes())


# ------------------------------------------------------------------ API: reductions, out=, determinism, memory


@pytest.mark.parametrize("loss, options", FORMS, ids=FORM_IDS)
def test_value_and_grad_agree_with_loss_and_grad_bitwise(loss, options, rng):
    x1, x2 = pair(rng, 8, 3)
    weights = rng.uniform(0, 2, 8)
    for reduction in ("mean", "sum", "none"):
        value, grads = loss.value_and_grad(x1, x2, sample_weight=weights, reduction=reduction, **options)
        assert_array_equal(loss(x1, x2, sample_weight=weights, reduction=reduction, **options), value)
        for grad, alone in zip(grads, loss.grad(x1, x2, sample_weight=weights, reduction=reduction, **options)):
            assert_array_equal(grad, alone)


def test_out_receives_the_gradients(rng):
    x1, x2 = pair(rng, 6, 4, np.float32)
    for loss, options in FORMS:
        out = (np.full_like(x1, np.nan), np.full_like(x2, np.nan))
        value, grads = loss.value_and_grad(x1, x2, out=out, **options)
        assert grads[0] is out[0] and grads[1] is out[1]
        expected = loss.grad(x1, x2, **options)
        assert_array_equal(out[0], expected[0])
        assert_array_equal(out[1], expected[1])
        assert loss.grad(x1, x2, out=out, **options)[0] is out[0]


def test_sample_weights_scale_pairs(rng):
    """Integer weights repeat a pair's term; zero weights drop it from the mean (its pair stays a negative)."""
    x1, x2 = pair(rng, 5, 3)
    weights = np.array([1.0, 0.0, 2.0, 1.0, 0.0])
    for loss, options in FORMS:
        per_pair = loss(x1, x2, reduction="none", **options)
        assert_allclose(loss(x1, x2, sample_weight=weights, reduction="none", **options), weights * per_pair)
        assert_allclose(loss(x1, x2, sample_weight=weights, **options), (weights * per_pair).sum() / 4, rtol=1e-14)
    with pytest.raises(ValueError, match="sums to zero"):
        info_nce(x1, x2, sample_weight=np.zeros(5))
    assert info_nce(x1, x2, sample_weight=np.zeros(5), reduction="sum") == 0


@pytest.mark.parametrize("loss, options", FORMS, ids=FORM_IDS)
def test_parallel_path_matches_reference(loss, options, rng):
    n = 100 if loss is ntxent else 200  # scores (2N)^2 or N^2 = 40,000 above PARALLEL_THRESHOLD
    assert (2 * n if loss is ntxent else n) ** 2 >= PARALLEL_THRESHOLD
    x1, x2 = pair(rng, n, 6)
    value, grads = loss.value_and_grad(x1, x2, reduction="sum", **options)
    losses, *expected = reference(loss, x1, x2, **options)
    assert_allclose(value, losses.sum(), rtol=1e-12)
    for grad, e in zip(grads, expected):
        assert_close_to(grad, e, 1e-12)


@compiled_only
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_identical_at_one_and_two_threads(dtype, rng, two_threads):
    x1, x2 = pair(rng, 300, 5, dtype)
    results = []
    for threads in (1, two_threads):
        numba.set_num_threads(threads)
        results.append([loss.value_and_grad(x1, x2, reduction=r, **options)
                        for loss, options in FORMS for r in ("mean", "none")])
    for (value, grads), (value_again, grads_again) in zip(*results):
        assert_array_equal(value, value_again)
        assert_array_equal(grads[0], grads_again[0])
        assert_array_equal(grads[1], grads_again[1])


@pytest.mark.parametrize("loss, options", FORMS, ids=FORM_IDS)
def test_similarity_matrix_exists_once(loss, options, rng):
    """The gradient's coefficients overwrite the scores: the peak of NumPy's allocations stays below 1.5 score
    matrices (Numba's scratch rows are not NumPy's, and are small)."""
    n = 64 if loss is ntxent else 128
    x1, x2 = pair(rng, n, 4)
    loss.value_and_grad(x1, x2, **options)  # compiled before tracing
    rows = 2 * n if loss is ntxent else n
    tracemalloc.start()
    loss.value_and_grad(x1, x2, **options)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert rows * rows * 8 <= peak < 1.5 * rows * rows * 8


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("loss", [info_nce, ntxent], ids=["info_nce", "ntxent"])
def test_bad_input_names_the_argument(loss):
    x = np.ones((4, 3))
    cases = [
        ((np.ones(4), x), {}, ValueError, "x1 must be a 2-D array"),
        ((x, np.ones((4, 3, 1))), {}, ValueError, "x2 must be a 2-D array"),
        ((x, np.ones((4, 2))), {}, ValueError, "x1 has shape .4, 3. but x2 has shape .4, 2."),
        ((x, np.ones((5, 3))), {}, ValueError, "x2 has shape"),
        ((np.ones((1, 3)), np.ones((1, 3))), {}, ValueError, "at least 2 pairs"),
        ((np.ones((4, 0)), np.ones((4, 0))), {}, ValueError, "no features"),
        ((x, np.array([["a"] * 3] * 4)), {}, TypeError, "x2 must hold real numbers"),
        ((x, x), {"temperature": 0.0}, ValueError, "temperature must be finite and > 0"),
        ((x, x), {"temperature": -1.0}, ValueError, "temperature"),
        ((x, x), {"temperature": np.inf}, ValueError, "temperature"),
        ((x, x), {"temperature": np.nan}, ValueError, "temperature"),
        ((x, x), {"temperature": "0.1"}, TypeError, "temperature must be a real number"),
        ((x, x), {"sample_weight": np.ones(3)}, ValueError, "sample_weight has shape"),
        ((x, x), {"sample_weight": -np.ones(4)}, ValueError, "sample_weight must be finite and non-negative"),
        ((x, x), {"reduction": "avg"}, ValueError, "reduction must be one of"),
        ((x, x), {"margin": 1.0}, TypeError, "unexpected keyword argument"),
        ((x,), {}, TypeError, r"takes 2 arrays \(x1, x2\)"),
    ]
    if loss is info_nce:
        cases += [((x, x), {"symmetric": 1}, TypeError, "symmetric must be True or False"),
                  ((x, x), {"normalize": "yes"}, TypeError, "normalize must be True or False")]
    for arrays, keywords, error, message in cases:
        with pytest.raises(error, match=message):
            loss(*arrays, **keywords)
    with pytest.raises(ValueError, match="out for x2 must have x2's shape"):
        loss.grad(x, x, out=(np.empty((4, 3)), np.empty((3, 4))))


def test_signature_and_description():
    assert info_nce.inputs == ("x1", "x2") and info_nce.differentiable == ("x1", "x2")
    assert info_nce.options == {"temperature": 0.07, "symmetric": False, "normalize": True}
    assert ntxent.options == {"temperature": 0.07}
    assert str(info_nce.__signature__) == ("(x1, x2, *, sample_weight=None, reduction='mean', temperature=0.07, "
                                           "symmetric=False, normalize=True)")
    for loss in (info_nce, ntxent):
        assert set(loss.properties) == {"task", "convex", "robust_to_outliers", "input"}
