"""What the browser tests share: ``make`` targets that write into ``_build/``, run once at a time.

``make test`` runs these tests in the same pytest-xdist pool as the rest, so two of their files may run
at once in two processes. The npm assets (``_build/vendor``) and the site (``_build/site``) are each built
by one of them while the other waits on a file lock, and the site is built once per test run: the second
process to ask for it finds it built by the same run (``PYTEST_XDIST_TESTRUNUID``) and serves it as it is.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "_build"


@contextlib.contextmanager
def _build_lock():
    """Held while a test process runs a ``make`` target that writes into ``_build/``."""
    BUILD.mkdir(exist_ok=True)
    with open(BUILD / ".tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def make_vendor() -> None:
    """``make _build/vendor/.installed``: the npm assets, installed once (make skips it when they are)."""
    with _build_lock():
        subprocess.run(["make", "--no-print-directory", "_build/vendor/.installed"], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)


def make_site() -> subprocess.CompletedProcess | None:
    """``make site`` into ``_build/site`` (both editions, links checked), unless this test run built it already;
    returns make's result, or None when the site was built earlier in the run."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    stamp = BUILD / "site" / ".test-run"
    with _build_lock():
        if run and stamp.is_file() and stamp.read_text() == run:
            return None
        build = subprocess.run(["make", "--no-print-directory", "site"], cwd=ROOT, capture_output=True, text=True,
                               timeout=300)
        if build.returncode == 0 and run:
            stamp.write_text(run)
        return build
