"""`python -m lossjit.warmup` compiles every public kernel for float32 and float64, in one process per
dtype with a lock around Numba's cache files."""

import fcntl
import subprocess
import sys

import numba
import numpy as np
import pytest
from numba.core import caching

import lossjit as lj
from checks import public_kernels
from lossjit.warmup import _warm_up_in_processes, cache_lock, first_call, main, warm_up


def test_first_call_is_a_valid_call_of_every_built_in_loss():
    """``first_call`` (what ``benchmarks/cold_calls.py`` times): arrays and options each loss accepts, with
    log-probabilities for a loss whose log_input is on by default."""
    for name in lj.BUILT_IN:
        arrays, options = first_call(lj.losses[name], np.float64)
        assert np.isfinite(lj.losses[name](*arrays, **options)), name
    y_true, y_pred = first_call(lj.poisson, np.float32)[0]
    assert y_pred.dtype == np.float32 and (y_pred <= 0).all() == lj.poisson.options["log_input"]


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="nothing compiles without the JIT")
def test_warm_up_compiles_every_public_kernel_for_both_dtypes():
    assert warm_up() >= 0
    kernels = public_kernels()
    assert kernels, "no kernels found"
    for name, kernel in kernels.items():
        dtypes = {str(arg.dtype) for signature in kernel.signatures for arg in signature
                  if isinstance(arg, numba.types.Array) and arg.dtype in (numba.float32, numba.float64)}
        assert {"float32", "float64"} <= dtypes, f"{name} not warmed for both dtypes: {dtypes}"


@pytest.mark.parametrize("arguments", [[], ["--jobs", "2"], ["--jobs", "1", "--dtype", "float32"]])
def test_warm_up_command_reports_its_time(arguments):
    result = subprocess.run([sys.executable, "-m", "lossjit.warmup", *arguments], capture_output=True, text=True,
                            check=True)
    assert result.stdout.startswith("lossjit kernels compiled or loaded from the cache in ")
    assert result.stdout.count("\n") == 1, result.stdout  # one line, whatever the number of processes


def test_a_failing_warm_up_process_fails_the_command(capfd):
    with pytest.raises(SystemExit, match="lossjit warm-up float16 failed"):
        _warm_up_in_processes([("float16",)])  # no such dtype: the process raises KeyError
    assert "KeyError: 'float16'" in capfd.readouterr().err


@pytest.mark.parametrize("arguments", [["--jobs", "0"], ["--dtype", "float16"]])
def test_warm_up_command_rejects_bad_arguments(arguments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2
    assert "--" in capsys.readouterr().err


def test_cache_lock_holds_a_file_lock_while_numba_reads_or_writes_a_cache_entry(tmp_path, monkeypatch):
    lock_path = tmp_path / "warmup.lock"
    seen = []

    def lock_is_held():
        with open(lock_path, "a") as other:  # a second open file: flock conflicts with the warm-up's
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(other, fcntl.LOCK_UN)
            return False

    def probed(name):
        inner = getattr(caching.IndexDataCacheFile, name)

        def probe(self, *args):
            seen.append((name, lock_is_held()))
            return inner(self, *args)
        return probe

    for name in ("_save_data", "_load_data"):  # called inside save and load, with the data file's name
        monkeypatch.setattr(caching.IndexDataCacheFile, name, probed(name))
    original = caching.IndexDataCacheFile.save, caching.IndexDataCacheFile.load
    cache_file = caching.IndexDataCacheFile(str(tmp_path), "kernel", "source stamp")
    with cache_lock(str(lock_path)):
        cache_file.save("signature", ("compiled",))
        assert cache_file.load("signature") == ("compiled",)
    assert seen == [("_save_data", True), ("_load_data", True)]
    assert (caching.IndexDataCacheFile.save, caching.IndexDataCacheFile.load) == original  # restored
    cache_file.load("signature")
    assert seen[-1] == ("_load_data", False)
