"""The notebooks' kernels: nbval tries to start one again when it dies while starting (tests/conftest.py)."""

import pytest

import conftest

kernel = pytest.importorskip("nbval.kernel")


def test_a_kernel_that_dies_while_starting_is_started_again(monkeypatch):
    outcomes = [RuntimeError("Kernel died before replying to kernel_info")] * (conftest.KERNEL_START_ATTEMPTS - 1)
    calls = []

    def start(*args, **kwargs):
        calls.append((args, kwargs))
        if outcomes:
            raise outcomes.pop()
        return "manager", "client"

    monkeypatch.setattr(kernel, "start_new_kernel", start)
    conftest._retry_notebook_kernel_start()
    assert kernel.start_new_kernel(kernel_name="python3") == ("manager", "client")
    assert len(calls) == conftest.KERNEL_START_ATTEMPTS and calls[0] == ((), {"kernel_name": "python3"})


def test_a_kernel_that_never_starts_fails_its_notebook(monkeypatch):
    def start(*args, **kwargs):
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(kernel, "start_new_kernel", start)
    conftest._retry_notebook_kernel_start()
    with pytest.raises(RuntimeError, match="Kernel died"):
        kernel.start_new_kernel()
