"""lj.check_grad: agrees for every registered loss, catches wrong derivatives, documents its limits."""

import copy

import numpy as np
import pytest

import lossjit as lj


def _logits_and_labels(rng):
    return rng.integers(0, 4, size=6), rng.normal(size=(6, 4))


def _segmentation_maps(rng):
    return rng.integers(0, 3, size=(2, 4, 4)), rng.normal(size=(2, 3, 4, 4))


def _ctc_batch(rng):
    return np.array([[1, 2, 2], [3, 1, 0]]), rng.normal(size=(8, 2, 5))


def _padded_tokens(rng):
    return rng.integers(0, 5, size=(2, 4)), rng.normal(size=(2, 4, 5))


def _spread_inputs(rng):
    return rng.normal(size=(5, 3)), rng.normal(size=(5, 3)), rng.uniform(0.2, 2.0, size=5)


def _ranking_lists(rng):
    return rng.integers(0, 3, size=(3, 5)).astype(float), rng.normal(size=(3, 5))


#: name -> (data maker, options): smooth points, valid for the loss, away from its kinks. A maker returns the
#: loss's arrays: (y_true, y_pred), or a loss of several arrays' ``inputs``.
INPUTS = {
    "mse": (lambda rng: (rng.normal(size=20), rng.normal(size=20)), {}),
    "mae": (lambda rng: (np.zeros(20), rng.uniform(0.1, 2, 20) * rng.choice([-1, 1], 20)), {}),
    "huber": (lambda rng: (np.zeros(20), np.linspace(-3, 3, 20) + 0.01), {"delta": 1.0}),
    "binary_cross_entropy": (lambda rng: (rng.random(20), rng.normal(size=20)), {"from_logits": True}),
    "cross_entropy": (_logits_and_labels, {"from_logits": True}),
    "log_cosh": (lambda rng: (rng.normal(size=20), 3 * rng.normal(size=20)), {}),
    "quantile": (lambda rng: (np.zeros(20), np.linspace(-2, 2, 20) + 0.01), {"q": 0.3}),
    "poisson": (lambda rng: (rng.poisson(2, 20).astype(float), rng.normal(size=20)), {}),
    "smooth_l1": (lambda rng: (np.zeros(20), np.linspace(-2, 2, 20) + 0.01), {"beta": 0.5}),
    "focal": (lambda rng: ((rng.random(20) < 0.5) * 1.0, 4 * rng.normal(size=20)),
              {"from_logits": True, "gamma": 0.5, "alpha": 0.25}),
    "hinge": (lambda rng: (rng.choice([-1.0, 1.0], 20), np.linspace(-2, 2, 20) + 0.01), {}),
    "squared_hinge": (lambda rng: (rng.choice([-1.0, 1.0], 20), np.linspace(-2, 2, 20) + 0.01), {}),
    "kl_divergence": (lambda rng: (rng.random(20), rng.uniform(0.05, 1, 20)), {}),
    "dice": (_segmentation_maps, {"from_logits": True}),
    "ctc": (_ctc_batch, {"target_lengths": np.array([3, 2])}),
    "softmax_focal": (_logits_and_labels, {"from_logits": True, "gamma": 0.5, "alpha": [0.5, 2.0, 1.0, 0.25]}),
    "sequence_cross_entropy": (_padded_tokens, {"mask": np.array([[1, 1, 1, 0], [1, 1, 0, 0]])}),
    "gaussian_nll": (_spread_inputs, {"full": True}),
    "laplace_nll": (_spread_inputs, {}),
    "margin_ranking": (lambda rng: (rng.choice([-1.0, 1.0], 20), np.linspace(-2, 2, 20) + 0.01, np.zeros(20)),
                       {"margin": 0.5}),
    "multi_margin": (lambda rng: (np.arange(6) % 4, 0.1 * np.arange(24.0).reshape(6, 4) % 0.7), {"p": 2}),
    "crammer_singer": (lambda rng: (np.arange(6) % 4, np.arange(24.0).reshape(6, 4) % 2.3), {}),
    "categorical_hinge": (lambda rng: (np.arange(6) % 4, np.arange(24.0).reshape(6, 4) % 2.3 * 0.3), {}),
    "poly1_cross_entropy": (_logits_and_labels, {"epsilon": 1.0}),
    "sparsemax_loss": (lambda rng: (rng.integers(0, 4, size=6), 0.3 * rng.normal(size=(6, 4))), {}),
    "tversky": (_segmentation_maps, {"from_logits": True, "alpha": 0.3, "beta": 0.7}),
    "pairwise_logistic": (_ranking_lists, {}),
    "ranking_softmax": (_ranking_lists, {}),
    "triplet_margin": (lambda rng: (rng.normal(size=(5, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 4))),
                       {"margin": 5.0}),
    "contrastive": (lambda rng: (np.array([1, 0, 1, 0, 0]), rng.normal(size=(5, 4)), rng.normal(size=(5, 4))),
                    {"margin": 10.0}),
    "cosine_embedding": (lambda rng: (np.array([1, -1, 1, -1, -1]), rng.normal(size=(5, 4)),
                                      rng.normal(size=(5, 4))), {"margin": -1.0}),
    "info_nce": (lambda rng: (rng.normal(size=(6, 4)), rng.normal(size=(6, 4))),
                 {"temperature": 0.5, "symmetric": True}),
    "ntxent": (lambda rng: (rng.normal(size=(6, 4)), rng.normal(size=(6, 4))), {"temperature": 0.5}),
}


def test_every_registered_loss_has_check_inputs():
    assert sorted(lj.losses) == sorted(INPUTS), "add data for each new loss to INPUTS"


@pytest.mark.parametrize("name", sorted(INPUTS))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_every_registered_loss_passes(name, reduction, rng):
    make, options = INPUTS[name]
    error = lj.check_grad(lj.losses[name], *make(rng), reduction=reduction, **options)
    assert 0 <= error < 1e-6


def test_float32_inputs_are_checked_in_float64(rng):
    y_true, y_pred = rng.normal(size=30).astype(np.float32), rng.normal(size=30).astype(np.float32)
    assert lj.check_grad(lj.log_cosh, y_true, y_pred) < 1e-7


def test_sample_weight_and_options_pass_through(rng):
    y_true, y_pred = (rng.random(12) < 0.5) * 1.0, rng.normal(size=12)
    weights = rng.uniform(0.5, 2, 12)
    assert lj.check_grad(lj.binary_cross_entropy, y_true, y_pred, sample_weight=weights, from_logits=True,
                         pos_weight=3.0, label_smoothing=0.1) < 1e-6


def test_wrong_gradient_is_caught(rng):
    broken = copy.copy(lj.mse)
    broken.grad = lambda *args, **kwargs: 1.01 * lj.mse.grad(*args, **kwargs)
    y_true, y_pred = rng.normal(size=10), rng.normal(size=10)
    # The hessian, checked by differences of this gradient, fails as well.
    with pytest.raises(lj.GradientCheckError, match="mse: (gradient|hessian) relative error"):
        lj.check_grad(broken, y_true, y_pred)
    assert abs(lj.check_grad(broken, y_true, y_pred, tolerance=None) - 0.01 / 1.01) < 1e-6


def test_wrong_hessian_is_caught(rng):
    broken = copy.copy(lj.log_cosh)
    broken.hessian = lambda *args, **kwargs: 0.5 * lj.log_cosh.hessian(*args, **kwargs)
    with pytest.raises(lj.GradientCheckError, match="hessian"):
        lj.check_grad(broken, rng.normal(size=10), rng.normal(size=10))


def test_a_kink_fails_as_documented():
    # mae at p = y: the subgradient 0 against the central difference (1 - (-1)) / 2 = 0 agrees,
    # but one step to the side the difference straddles the kink.
    y_pred = np.array([0.5e-6, 1.0, -1.0])
    assert lj.check_grad(lj.mae, np.zeros(3), y_pred, tolerance=None) > 0.1


def test_subset_is_random_but_seeded(rng):
    y_true, y_pred = rng.normal(size=500), rng.normal(size=500)
    first = lj.check_grad(lj.log_cosh, y_true, y_pred, n_elements=5, seed=3, tolerance=None)
    assert first == lj.check_grad(lj.log_cosh, y_true, y_pred, n_elements=5, seed=3, tolerance=None)


def test_nan_fails_the_check():
    with pytest.raises(lj.GradientCheckError):
        lj.check_grad(lj.mse, [0.0, 1.0], [np.nan, 2.0])


def test_bad_input_raises_before_differencing():
    with pytest.raises(ValueError, match="shape"):
        lj.check_grad(lj.mse, np.zeros(3), np.zeros(4))
    with pytest.raises(TypeError, match="delta"):
        lj.check_grad(lj.mse, np.zeros(3), np.zeros(3), delta=1.0)
