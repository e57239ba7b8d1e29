"""The margin ranking loss of pairs of scores (lossjit/ranking.py, lossjit/_kernels/paired.py) against its float64
NumPy formula, torch's margin_ranking_loss (when torch is installed) and finite differences."""

import numba
import numpy as np
import pytest
from numpy.testing import assert_allclose

import lossjit as lj
from lossjit._config import PARALLEL_THRESHOLD
from lossjit.ranking import margin_ranking


def pairs(n=300, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return (np.where(rng.random(n) < 0.5, -1, 1).astype(dtype), rng.normal(size=n).astype(dtype),
            rng.normal(size=n).astype(dtype))


def reference(y, x1, x2, margin, weights=None, reduction="mean"):
    y, x1, x2 = (array.astype(np.float64) for array in (y, x1, x2))
    z = margin - y * (x1 - x2)
    w = np.ones_like(z) if weights is None else weights
    scale = 1 / w.sum() if reduction == "mean" else 1.0
    active = z >= 0
    value = w * np.maximum(z, 0)
    return (value.sum() * scale if reduction != "none" else value), -y * active * w * scale, y * active * w * scale


@pytest.mark.parametrize("margin", [0.0, 0.5, -0.2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_matches_the_reference(margin, reduction):
    y, x1, x2 = pairs()
    weights = np.linspace(0, 2, y.size)
    value, (g1, g2) = margin_ranking.value_and_grad(y, x1, x2, margin=margin, reduction=reduction,
                                                    sample_weight=weights)
    expected, e1, e2 = reference(y, x1, x2, margin, weights, reduction)
    assert_allclose(value, expected, rtol=1e-13, atol=1e-15)
    assert_allclose(g1, e1, rtol=1e-13, atol=1e-16)
    assert_allclose(g2, e2, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("margin", [0.0, 0.3, 2.0])
def test_agrees_with_torch_at_the_hinge_too(margin):
    torch = pytest.importorskip("torch")
    y, x1, x2 = pairs(seed=2)
    x1[:20] = x2[:20]                      # margin 0: exactly at the hinge
    a, b = torch.tensor(x1, requires_grad=True), torch.tensor(x2, requires_grad=True)
    expected = torch.nn.functional.margin_ranking_loss(a, b, torch.tensor(y), margin=margin)
    expected.backward()
    value, (g1, g2) = margin_ranking.value_and_grad(y, x1, x2, margin=margin)
    assert abs(value - expected.item()) <= 1e-12
    assert_allclose(g1, a.grad.numpy(), rtol=1e-12, atol=0)
    assert_allclose(g2, b.grad.numpy(), rtol=1e-12, atol=0)


def test_gradients_pass_finite_differences_away_from_the_hinge():
    y, x1, x2 = pairs(seed=4)
    x1 += y * np.where(np.abs(0.5 - y * (x1 - x2)) < 1e-3, 0.01, 0.0)
    assert lj.check_grad(margin_ranking, y, x1, x2, margin=0.5, reduction="sum") < 1e-6


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parallel_bitwise_at_any_thread_count_and_value_with_or_without_gradient(dtype):
    y, x1, x2 = pairs(PARALLEL_THRESHOLD + 5000, dtype)
    threads = numba.get_num_threads()
    results = []
    try:
        for count in (1, threads):
            numba.set_num_threads(count)
            results.append(margin_ranking.value_and_grad(y, x1, x2, margin=0.1))
    finally:
        numba.set_num_threads(threads)
    assert results[0][0] == results[1][0] == margin_ranking(y, x1, x2, margin=0.1)
    assert all(np.array_equal(a, b) for a, b in zip(results[0][1], results[1][1]))
    assert results[0][0].dtype == dtype
    assert_allclose(results[0][0], reference(y, x1, x2, 0.1)[0], rtol=1e-6 if dtype == np.float32 else 1e-12)


def test_read_only_and_strided_inputs():
    y, x1, x2 = pairs(100)
    expected = margin_ranking(y, x1, x2, margin=0.2)
    for array in (y, x1, x2):
        array.flags.writeable = False
    assert margin_ranking(y, x1, x2, margin=0.2) == expected
    assert margin_ranking(*(np.repeat(a, 2)[::2] for a in (y, x1, x2)), margin=0.2) == expected


def test_bad_input_is_named():
    y, x1, x2 = pairs(10)
    with pytest.raises(ValueError, match="y_true must hold 1"):
        margin_ranking(np.zeros(10), x1, x2)
    with pytest.raises(ValueError, match="x2 has shape"):
        margin_ranking(y, x1, x2[:5])
    with pytest.raises(ValueError, match="margin must be finite"):
        margin_ranking(y, x1, x2, margin=np.inf)
    assert np.isnan(margin_ranking(y, np.full(10, np.nan), x2))
