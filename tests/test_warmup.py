"""`python -m lossjit.warmup` compiles every public kernel for float32 and float64."""

import importlib
import pkgutil
import subprocess
import sys

import numba
import pytest
from numba.core.registry import CPUDispatcher

import lossjit._kernels
from lossjit.warmup import warm_up


def public_kernels():
    """Every dispatcher without a leading underscore defined in lossjit._kernels' modules, except the
    building blocks of vector_math (inlined into the kernels, never called from Python)."""
    for module_info in pkgutil.iter_modules(lossjit._kernels.__path__):
        if module_info.name == "vector_math":
            continue
        module = importlib.import_module(f"lossjit._kernels.{module_info.name}")
        for name, value in vars(module).items():
            if isinstance(value, CPUDispatcher) and not name.startswith("_") and value.py_func.__module__ == module.__name__:
                yield f"{module_info.name}.{name}", value


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="nothing compiles without the JIT")
def test_warm_up_compiles_every_public_kernel_for_both_dtypes():
    assert warm_up() >= 0
    kernels = dict(public_kernels())
    assert kernels, "no kernels found"
    for name, kernel in kernels.items():
        dtypes = {str(arg.dtype) for signature in kernel.signatures for arg in signature
                  if isinstance(arg, numba.types.Array) and arg.dtype in (numba.float32, numba.float64)}
        assert {"float32", "float64"} <= dtypes, f"{name} not warmed for both dtypes: {dtypes}"


def test_warm_up_command_reports_its_time():
    result = subprocess.run([sys.executable, "-m", "lossjit.warmup"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("lossjit kernels compiled or loaded from the cache in ")
