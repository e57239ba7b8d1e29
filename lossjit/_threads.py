"""A warning when Numba runs parallel kernels on its slow, non-threadsafe layer."""

import warnings

import numba

from ._config import PARALLEL_THRESHOLD

_checked = False


def after_kernel(n_elements):
    """Check the threading layer once, after the first kernel that ran in parallel."""
    if n_elements >= PARALLEL_THRESHOLD and not _checked:
        warn_if_workqueue()


def warn_if_workqueue():
    """Warn once if the threading layer in use is ``workqueue``.

    Numba picks its layer at the first parallel launch, so call this after one.
    """
    global _checked
    if _checked:
        return
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel launch yet
        return
    _checked = True
    if layer == "workqueue":
        warnings.warn(
            "Numba is using the 'workqueue' threading layer, which is slow and not threadsafe; "
            "install the 'tbb' package or an OpenMP runtime (libgomp), or set NUMBA_THREADING_LAYER",
            RuntimeWarning,
            stacklevel=3,
        )
