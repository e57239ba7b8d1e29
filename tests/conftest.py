"""Shared test settings: Numba performance warnings are errors; hypothesis is deterministic; threads that wait
sleep instead of spinning."""

import os

# Before any parallel kernel loads OpenMP, which reads this once: the test processes (two pytest-xdist workers, the
# notebooks' kernels, Dask's workers, which inherit it) share the cores, and OpenMP threads that spin while they
# wait take the cores from the one doing the work (the tests took twice as long).
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numba  # noqa: E402
import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from numba.core.errors import NumbaPerformanceWarning

from checks import refuse_loss_kernels

#: pyproject.toml names the class by this dotted path; tests/test_threads.py
#: checks that the path resolves and that the filter turns the warning into an error.
PERFORMANCE_WARNING_PATH = "numba.core.errors.NumbaPerformanceWarning"

settings.register_profile(
    "lossjit",
    derandomize=True,
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile("lossjit")


def pytest_configure(config):
    # Also when pytest runs from another directory and misses pyproject.toml's ini options.
    config.addinivalue_line("filterwarnings", f"error::{PERFORMANCE_WARNING_PATH}")
    assert NumbaPerformanceWarning.__module__ + "." + NumbaPerformanceWarning.__qualname__ == PERFORMANCE_WARNING_PATH
    _retry_notebook_kernel_start()


#: How many times nbval may start a notebook's Jupyter kernel before its cells error.
KERNEL_START_ATTEMPTS = 3


def _retry_notebook_kernel_start():
    """nbval starts one Jupyter kernel per notebook. In a CI run on 2026-12-06 one died while starting, before any
    cell ran ("Kernel died before replying to kernel_info"), and every cell of its notebook errored: a kernel that
    fails to start is tried again, up to KERNEL_START_ATTEMPTS times. A notebook's own failures are untouched."""
    try:
        from nbval import kernel
    except ImportError:  # nbval not installed: no notebooks to run
        return
    start = getattr(kernel.start_new_kernel, "__wrapped__", kernel.start_new_kernel)

    def start_with_retries(*args, **kwargs):
        for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
            try:
                return start(*args, **kwargs)
            except RuntimeError:  # nbval has logged it, and shut the dead kernel down
                if attempt == KERNEL_START_ATTEMPTS:
                    raise

    start_with_retries.__wrapped__ = start
    kernel.start_new_kernel = start_with_retries


@pytest.fixture
def rng():
    return np.random.default_rng(20260601)


@pytest.fixture
def no_kernel(monkeypatch):
    """Until the test ends, any loss kernel about to run fails it: the input must be rejected first."""
    def refuse():
        raise AssertionError("the kernel ran before the input was rejected")

    refuse_loss_kernels(monkeypatch, refuse)


@pytest.fixture
def two_threads():
    """Numba's thread count set back to its default after the test."""
    default = numba.get_num_threads()
    yield numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(default)
