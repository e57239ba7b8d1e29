"""Where a cold call's compile time goes: each Numba function's own compile time, from Numba's events.

    NUMBA_CACHE_DIR=$(mktemp -d) python benchmarks/compile_profile.py "lj.ctc([[1], [2]], np.full((3, 2, 3), -1.0))"

Runs the statement once (``lj`` is lossjit, ``np`` NumPy), with an empty Numba cache for a cold call, and
prints the wall time, then per compiled function: its own time (without the functions compiled inside its
compile), its time with them, and how often it was compiled (once per signature and set of compile
options). The allocation functions (``np.empty``, ``np.zeros``, ``np.full``) are counted apart: each form and
each set of compile options compiles one (``typed.FLOAT64`` in ``lossjit/_kernels/typed.py``). The count of
compiled functions is exact; the times move with the machine, so compare them within one run.

``--count-calls`` instead counts the Python function calls the statement makes, Numba's compile among them: most
of a compile is Numba's typing and lowering in Python, so the count follows the compile work (not LLVM's), and it
moves by about 1% between runs (hash ordering), where the times move by 20-40% on a shared machine. Two checkouts
compared by it need the same Numba and NumPy. The profile hook slows the run several times, so this mode prints
the count only.
"""

import argparse
import sys
import time

from numba.core import event

ALLOCATION_PREFIXES = ("ol_np_", "impl_np_", "ol_array_zero", "_ol_array_allocate")


class CompileTimes(event.Listener):
    """(function name, own seconds, seconds with nested compiles) for each ``numba:compile`` event."""

    def __init__(self):
        self.open = []  # [start, seconds of the compiles nested in it]
        self.records = []

    def on_start(self, ev):
        self.open.append([time.perf_counter(), 0.0])

    def on_end(self, ev):
        start, nested = self.open.pop()
        seconds = time.perf_counter() - start
        if self.open:
            self.open[-1][1] += seconds
        function = getattr(ev.data.get("dispatcher"), "py_func", None)
        self.records.append((getattr(function, "__qualname__", "?"), seconds - nested, seconds))


def _scope():
    """The globals a statement runs with: lossjit as ``lj``, NumPy as ``np``."""
    import numpy as np

    import lossjit as lj

    return {"lj": lj, "np": np}


def profile(statement):
    """(wall seconds, records) of running ``statement`` with ``lj`` and ``np`` in scope."""
    times = CompileTimes()
    scope = _scope()
    with event.install_listener("numba:compile", times):
        start = time.perf_counter()
        exec(statement, scope)
        wall = time.perf_counter() - start
    return wall, times.records


def count_calls(statement):
    """The Python function calls made by running ``statement`` with ``lj`` and ``np`` in scope."""
    scope = _scope()
    calls = 0

    def count(frame, event, argument):
        nonlocal calls
        calls += event == "call"

    sys.setprofile(count)
    try:
        exec(statement, scope)
    finally:
        sys.setprofile(None)
    return calls


def report(wall, records, top):
    """The summary line, the allocation functions' line, and the ``top`` functions by their own time."""
    by_name = {}
    for name, own, total in records:
        entry = by_name.setdefault(name, [0, 0.0, 0.0])
        entry[0] += 1
        entry[1] += own
        entry[2] += total
    allocation = [own for name, own, _ in records if name.startswith(ALLOCATION_PREFIXES)]
    lines = [f"wall {wall:.3f} s; {len(records)} functions compiled, {sum(own for _, own, _ in records):.3f} s",
             f"allocation functions: {len(allocation)}, {sum(allocation):.3f} s",
             f"{'own s':>7} {'with nested':>11} {'times':>5}  function"]
    for name, (count, own, total) in sorted(by_name.items(), key=lambda item: -item[1][1])[:top]:
        lines.append(f"{own:7.3f} {total:11.3f} {count:5d}  {name}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("statement", help='Python run once, e.g. "lj.mse(np.ones(3), np.zeros(3))"')
    parser.add_argument("--top", type=int, default=20, help="functions listed (default 20)")
    parser.add_argument("--count-calls", action="store_true", help="print the Python calls made, not the times")
    options = parser.parse_args(argv)
    if options.count_calls:
        print(f"{count_calls(options.statement):,} Python calls")
    else:
        print(report(*profile(options.statement), options.top))


if __name__ == "__main__":
    sys.exit(main())
