"""The catalogue II losses whose peer is optax, against optax itself under JAX in float64: values and gradients
(jax.grad), on random and extreme inputs. Skipped without optax (``pip install jax optax``: not a dependency, and
not installed by ``make test``; the float64 NumPy transcriptions in the other tests stand in for it there)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import lossjit as lj

optax = pytest.importorskip("optax")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

SCALES = [1.0, 30.0]  # random logits, and extreme ones


def logits_and_labels(seed, scale, n=40, n_classes=7):
    rng = np.random.default_rng(seed)
    return scale * rng.normal(size=(n, n_classes)), rng.integers(0, n_classes, n)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("epsilon", [2.0, -1.0, 0.5])
def test_poly1_cross_entropy(scale, epsilon):
    logits, labels = logits_and_labels(1, scale)
    one_hot = np.eye(logits.shape[1])[labels]

    def peer(z):
        return jnp.mean(optax.losses.poly_loss_cross_entropy(z, one_hot, epsilon=epsilon))

    value, grad = lj.poly1_cross_entropy.value_and_grad(labels, logits, epsilon=epsilon)
    assert_allclose(value, peer(logits), rtol=1e-10)
    assert_allclose(grad, jax.grad(peer)(logits), rtol=1e-10, atol=1e-14)
    soft = np.random.default_rng(2).dirichlet(np.ones(logits.shape[1]), size=len(logits))
    assert_allclose(lj.poly1_cross_entropy(soft, logits, epsilon=epsilon),
                    jnp.mean(optax.losses.poly_loss_cross_entropy(logits, soft, epsilon=epsilon)), rtol=1e-10)


@pytest.mark.parametrize("scale", SCALES)
def test_sparsemax_loss(scale):
    logits, labels = logits_and_labels(3, scale)

    def peer(z):
        return jnp.mean(optax.losses.multiclass_sparsemax_loss(z, labels))

    value, grad = lj.sparsemax_loss.value_and_grad(labels, logits)
    assert_allclose(value, peer(logits), rtol=1e-10, atol=1e-12)
    assert_allclose(grad, jax.grad(peer)(logits), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("masked", [False, True])
def test_ranking_softmax(scale, masked):
    rng = np.random.default_rng(4)
    scores, relevance = scale * rng.normal(size=(12, 9)), rng.integers(0, 5, (12, 9)).astype(np.float64)
    where = rng.random((12, 9)) < 0.8 if masked else None
    options = {} if where is None else {"where": where}

    def peer(s):
        return optax.losses.ranking_softmax_loss(s, relevance, **options)

    value, grad = lj.ranking_softmax.value_and_grad(relevance, scores, **options)
    assert_allclose(value, peer(scores), rtol=1e-10)
    assert_allclose(grad, jax.grad(peer)(scores), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("temperature", [0.07, 0.5])
@pytest.mark.parametrize("scale", [1.0, 1e-3, 1e3])
def test_ntxent(temperature, scale):
    rng = np.random.default_rng(5)
    x1, x2 = scale * rng.normal(size=(16, 8)), scale * rng.normal(size=(16, 8))
    labels = np.concatenate([np.arange(16), np.arange(16)])

    def peer(a, b):
        return optax.losses.ntxent(jnp.concatenate([a, b]), labels, temperature)

    value, (grad1, grad2) = lj.ntxent.value_and_grad(x1, x2, temperature=temperature)
    expected1, expected2 = jax.grad(peer, argnums=(0, 1))(x1, x2)
    assert_allclose(value, peer(x1, x2), rtol=1e-10)
    assert_allclose(grad1, expected1, rtol=1e-9, atol=1e-12 / scale)
    assert_allclose(grad2, expected2, rtol=1e-9, atol=1e-12 / scale)
