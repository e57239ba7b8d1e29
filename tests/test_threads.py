"""Threading layer checks and the performance-warning filter."""

import warnings

import numba
import numpy as np
import pytest
from numba.core.errors import NumbaPerformanceWarning

import lossjit as lj
from lossjit import _threads
from lossjit._config import PARALLEL_THRESHOLD

compiled_only = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="no threading layer without the JIT")


@compiled_only
def test_threading_layer_is_not_workqueue_after_a_parallel_call():
    values = np.linspace(0, 1, PARALLEL_THRESHOLD + 1)
    lj.mse(values, values[::-1])
    assert numba.threading_layer() in ("omp", "tbb")


@pytest.fixture
def workqueue(monkeypatch):
    """numba reports the workqueue layer, and lossjit has not checked yet."""
    monkeypatch.setattr(_threads, "_checked", False)
    monkeypatch.setattr(numba, "threading_layer", lambda: "workqueue")


def test_warn_if_workqueue_warns_once(workqueue):
    with pytest.warns(RuntimeWarning, match="workqueue"):
        _threads.warn_if_workqueue()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _threads.warn_if_workqueue()


def test_warn_if_workqueue_is_quiet_on_good_layers_and_before_any_launch(monkeypatch):
    monkeypatch.setattr(_threads, "_checked", False)

    def not_launched():
        raise ValueError("Threading layer is not initialized.")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        monkeypatch.setattr(numba, "threading_layer", not_launched)
        _threads.warn_if_workqueue()
        assert not _threads._checked  # checks again after the first launch
        monkeypatch.setattr(numba, "threading_layer", lambda: "omp")
        _threads.warn_if_workqueue()
        assert _threads._checked


@pytest.mark.parametrize("call", [
    lambda x: lj.mse(x, x),
    lambda x: lj.huber.value_and_grad(x, x),
    lambda x: lj.binary_cross_entropy(x, x, reduction="none"),
    lambda x: lj.mae.hessian(x, x),
    lambda x: lj.cross_entropy(x.reshape(-1, 4), x.reshape(-1, 4)),
    lambda x: lj.cross_entropy.grad(np.zeros(x.size // 4, int), x.reshape(-1, 4), from_logits=True),
], ids=["mse", "huber-value-and-grad", "bce-none", "mae-hessian", "ce-probabilities", "ce-grad"])
def test_public_api_warns_after_a_parallel_sized_call(workqueue, call):
    small = np.full(64, 0.25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        call(small)  # serial: the layer is not asked
    with pytest.warns(RuntimeWarning, match="workqueue"):
        call(np.full(PARALLEL_THRESHOLD, 0.25))


def test_performance_warning_is_an_error():
    """pyproject.toml's filter names a class that exists, and turns the warning into an error."""
    assert f"{NumbaPerformanceWarning.__module__}.{NumbaPerformanceWarning.__qualname__}" == \
        "numba.core.errors.NumbaPerformanceWarning"
    with pytest.raises(NumbaPerformanceWarning):
        warnings.warn("slow", NumbaPerformanceWarning)


@compiled_only
def test_numba_emits_performance_warnings_as_errors():
    """A parallel=True function with nothing to parallelise warns at compile time: here it fails."""

    @numba.njit(parallel=True)
    def nothing_parallel(x):
        return x + 1

    with pytest.raises(NumbaPerformanceWarning, match="parallel"):
        nothing_parallel(1.0)
