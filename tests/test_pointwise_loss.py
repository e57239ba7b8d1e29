"""``lj.pointwise_loss``: a user's element function becomes a loss with everything a built-in has; the
built-ins' kernels take read-only and memory-mapped arrays with one compiled signature per dtype."""

import os
import subprocess
import sys
import textwrap

import numba
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import lossjit as lj
from checks import tolerance
from lossjit._kernels.pointwise import fingerprint

compiled_only = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="nothing compiles without the JIT")


@lj.pointwise_loss(formula=r"\log(1 + (d / c)^2),\ d = \hat{y} - y", properties={"task": "regression"})
def cauchy(y, p, c=1.0):
    """Cauchy (Lorentzian) loss: log(1 + (d / c)^2), d = p - y; robust to outliers."""
    d = (p - y) / c
    u = d * d
    return np.log1p(u), 2 * d / (c * (1 + u)), 2 * (1 - u) / (c * c * (1 + u) * (1 + u))


@lj.pointwise_loss
def pseudo_huber(y, p, delta=1.0):
    d = p - y
    root = np.sqrt(1 + (d / delta) ** 2)
    return delta * delta * (root - 1), d / root


def cauchy_reference(y, p, c):
    d = (np.asarray(p, np.float64) - np.asarray(y, np.float64)) / c
    return np.log1p(d * d), 2 * d / (c * (1 + d * d))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [7, 40_000])
@pytest.mark.parametrize("c", [1.0, 2.5])
def test_a_user_loss_matches_its_numpy_formula(dtype, n, c, rng):
    y_true = rng.normal(size=n).astype(dtype)
    y_pred = rng.normal(0, 3, n).astype(dtype)
    weights = rng.uniform(0, 2, n)
    losses, grads = cauchy_reference(y_true, y_pred, c)
    value, grad = cauchy.value_and_grad(y_true, y_pred, c=c)
    assert value.dtype == dtype and grad.dtype == dtype
    assert_allclose(value, losses.mean(), **tolerance(dtype))
    assert_allclose(grad, grads / n, **tolerance(dtype, 1 / n))
    weighted = cauchy(y_true, y_pred, c=c, sample_weight=weights, reduction="sum")
    assert_allclose(weighted, np.sum(weights * losses), **tolerance(dtype, float(np.sum(weights * losses))))
    assert_allclose(cauchy(y_true, y_pred, c=c, reduction="none"), losses, **tolerance(dtype))
    assert cauchy.hessian(y_true, y_pred, c=c).shape == (n,)


def test_a_user_loss_passes_the_gradient_check(rng):
    y_true, y_pred = rng.normal(size=50), rng.normal(size=50)
    lj.check_grad(cauchy, y_true, y_pred, c=1.5)
    lj.check_grad(pseudo_huber, y_true, y_pred, delta=0.7)


def test_a_user_loss_carries_its_description():
    assert cauchy.name == "cauchy"
    assert cauchy.options == {"c": 1.0}
    assert "Cauchy" in cauchy.__doc__ and r"\log(1 + (d / c)^2)" in cauchy.__doc__
    assert cauchy.properties["task"] == "regression"
    assert pseudo_huber.has_hessian is False
    with pytest.raises(TypeError, match="pseudo_huber has no hessian"):
        pseudo_huber.hessian([1.0], [2.0])
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['delta'\]"):
        cauchy([1.0], [2.0], delta=2.0)


def test_registering_a_user_loss_lists_it():
    def tukey_like(y, p, c=2.0):
        d = p - y
        return c * c * (1 - np.exp(-(d / c) ** 2)), 2 * d * np.exp(-(d / c) ** 2)

    loss = lj.pointwise_loss(tukey_like, formula="c^2 (1 - e^{-(d/c)^2})", register=True)
    try:
        rows = {row["name"]: row for row in lj.loss_table()}
        assert rows["tukey_like"]["formula"] == "c^2 (1 - e^{-(d/c)^2})"
        assert rows["tukey_like"]["hessian"] is False and rows["mse"]["hessian"] is True
        assert lj.losses["tukey_like"] is loss
        lj.pointwise_loss(tukey_like, register=True)  # a notebook cell run again replaces it
    finally:
        del lj.losses["tukey_like"]
    with pytest.raises(ValueError, match="mse is a built-in loss"):
        lj.pointwise_loss(lambda y, p: (y, p), name="mse", register=True)


def no_prediction(y):
    return y, y


def no_default(y, p, c):
    return y, p


def three_outputs_short(y, p):
    return p - y


def keyword_only(y, p, *, c=1.0):
    return y, p


def seven_parameters(y, p, a=1.0, b=1.0, c=1.0, d=1.0, e=1.0, f=1.0, g=1.0):
    return y, p


@pytest.mark.parametrize("function, message", [
    (no_prediction, r"no_prediction must be a function of the target and the prediction .* got no_prediction\(y\)"),
    (no_default, "its parameter 'c' has no default"),
    (keyword_only, "its parameter 'c' has no default"),
    (seven_parameters, "seven_parameters has 7 parameters; at most 6"),
    (three_outputs_short, r"three_outputs_short must return \(loss, dloss_dp\) or \(loss, dloss_dp, d2loss_dp2\)"),
])
def test_a_wrong_element_function_is_named(function, message):
    with pytest.raises(TypeError, match=message):
        lj.pointwise_loss(function)


def test_a_parameter_must_be_a_number():
    with pytest.raises(TypeError, match="c must be a real number, got str"):
        cauchy([1.0], [2.0], c="2")
    with pytest.raises(TypeError, match="c must be a real number, got bool"):
        cauchy([1.0], [2.0], c=True)


def test_the_fingerprint_follows_the_maths():
    def first(y, p):
        d = p - y
        return d * d, d + d

    def second(y, p):
        d = p - y
        return d * d * 2, 4 * d

    assert fingerprint(first) != fingerprint(second)
    assert fingerprint(first) == fingerprint(first)


POINTWISE = [loss for loss in lj.losses.values() if isinstance(loss, lj.PointwiseLoss)]


def valid_inputs(loss, n, dtype, rng):
    """(y_true, y_pred) in the loss's domain: labels and probabilities in [0, 1], counts >= 0."""
    y_true = rng.integers(0, 2, n).astype(dtype)
    y_pred = rng.uniform(0.05, 0.95, n).astype(dtype)
    return y_true, y_pred


@pytest.mark.parametrize("loss", POINTWISE, ids=lambda loss: loss.name)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 7, 255, 256, 257, 1000, 4099, 50_001])
def test_the_value_is_the_same_with_or_without_the_gradient(loss, dtype, n, rng):
    y_true, y_pred = valid_inputs(loss, n, dtype, rng)
    weights = rng.uniform(0, 2, n)
    for sample_weight in (None, weights):
        value, _ = loss.value_and_grad(y_true, y_pred, sample_weight=sample_weight)
        assert value.tobytes() == loss(y_true, y_pred, sample_weight=sample_weight).tobytes()


@compiled_only
@pytest.mark.parametrize("loss", POINTWISE, ids=lambda loss: loss.name)
def test_read_only_and_memory_mapped_inputs_share_one_kernel(loss, tmp_path, rng):
    for dtype in (np.float32, np.float64):
        y_true, y_pred = valid_inputs(loss, 40_000, dtype, rng)
        weights = rng.uniform(0, 2, 40_000).astype(dtype)
        expected = loss.value_and_grad(y_true, y_pred, sample_weight=weights)
        np.save(tmp_path / "y_true.npy", y_true)
        np.save(tmp_path / "y_pred.npy", y_pred)
        np.save(tmp_path / "weights.npy", weights)
        mapped = [np.load(tmp_path / f"{name}.npy", mmap_mode="r") for name in ("y_true", "y_pred", "weights")]
        read_only = [array.copy() for array in (y_true, y_pred, weights)]
        for array in read_only:
            array.flags.writeable = False
        for y, p, w in (mapped, read_only):
            value, grad = loss.value_and_grad(y, p, sample_weight=w)
            assert value == expected[0]
            assert_array_equal(grad, expected[1])
            assert_array_equal(loss.hessian(y, p, sample_weight=w), loss.hessian(y_true, y_pred, sample_weight=weights))
    for kernel in _kernels_of(loss):
        for dtype in kernel.compiled_dtypes():
            for function in kernel.compiled_functions(dtype):  # the shared driver and the loss's block
                assert len(function.signatures) == 1, (loss.name, dtype)


def _kernels_of(loss):
    """The element kernels a built-in pointwise loss's module defines for it (bound at import)."""
    import lossjit.classification
    import lossjit.regression
    from lossjit._kernels.pointwise import PointwiseKernel

    for module in (lossjit.regression, lossjit.classification):
        for value in vars(module).values():
            if isinstance(value, PointwiseKernel) and value.compiled_dtypes():
                yield value


@compiled_only
def test_a_second_process_loads_the_kernels_from_the_cache(tmp_path):
    """A built-in and a user's loss defined in a module: compiled by the first process, loaded by the second
    (the shared driver, counted once per loss, and each loss's element loops)."""
    (tmp_path / "my_losses.py").write_text(textwrap.dedent('''
        import lossjit as lj

        @lj.pointwise_loss
        def cauchy(y, p, c=1.0):
            d = (p - y) / c
            return d * d / (1 + d * d), 2 * d / (c * (1 + d * d) ** 2)
    '''))
    script = textwrap.dedent('''
        import numpy as np
        import lossjit as lj
        from lossjit.regression import _MSE
        from my_losses import cauchy
        y = np.ones(5)
        lj.mse(y, y)
        cauchy(y, y)
        stats = [function.stats for kernel in (_MSE, cauchy.kernel) for function in kernel.compiled_functions(np.float64)]
        print(sum(s.cache_hits.get(sig, 0) for s in stats for sig in s.cache_hits),
              sum(s.cache_misses.get(sig, 0) for s in stats for sig in s.cache_misses))
    ''')
    environment = {"NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           env={**os.environ, **environment}).stdout.split() for _ in range(2)]
    assert runs == [["0", "4"], ["4", "0"]]  # the driver (in each loss's list) and each loss's element loops


def test_element_loops_are_what_their_generator_writes():
    """``element_loops.py`` is generated (``python -m lossjit._kernels.generate_element_loops``): edit the generator."""
    from lossjit._kernels import generate_element_loops

    assert generate_element_loops.PATH.read_text() == generate_element_loops.source()


@pytest.mark.parametrize("n_parameters", range(lj._config.MAX_PARAMETERS + 1))
def test_every_number_of_parameters_reaches_the_element_function(n_parameters):
    """Each generated copy of the loops passes the parameters in order: l = sum_j (j + 1) a_j (p - y)^2."""
    names = [f"a{j}" for j in range(n_parameters)]
    source = (f"def weighted_square(y, p{''.join(f', {name}=1.0' for name in names)}):\n"
              f"    c = 1.0{''.join(f' + {j + 1} * {name}' for j, name in enumerate(names))}\n"
              f"    return c * (p - y) ** 2, 2 * c * (p - y), 2 * c\n")
    scope = {}
    exec(source, scope)
    loss = lj.pointwise_loss(scope["weighted_square"])
    options = {name: 0.5 ** (j + 1) for j, name in enumerate(names)}
    c = 1.0 + sum((j + 1) * value for j, value in enumerate(options.values()))
    y, p = np.zeros(5), np.arange(5.0)
    value, grad = loss.value_and_grad(y, p, reduction="sum", **options)
    assert_allclose(value, c * np.sum(p ** 2), rtol=1e-12)
    assert_allclose(grad, 2 * c * p, rtol=1e-12)
    assert_allclose(loss(y, p, reduction="none", **options), c * p ** 2, rtol=1e-12)
    assert_allclose(loss.hessian(y, p, reduction="sum", **options), np.full(5, 2 * c), rtol=1e-12)
    weighted = loss.value_and_grad(y, p, sample_weight=np.ones(5), reduction="sum", **options)
    assert_allclose(weighted[0], value, rtol=1e-12)
