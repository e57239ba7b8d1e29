"""Private Numba kernels. The public API in ``lossjit`` validates input first."""
