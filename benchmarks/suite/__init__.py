"""The benchmark behind ``benchmarks/run.py``, one module per responsibility.

- ``measure``: interleaved best-of rounds, and the STREAM-like kernels that measure bandwidth;
- ``peers``: what lossjit is timed against, NumPy's formulas and PyTorch's and scikit-learn's calls;
- ``cases``: which losses, sizes and shapes, and the rows of times each case gives;
- ``catalogue_two``: issue 25's rows, embedding losses' value and every gradient against PyTorch;
- ``overheads``: import time, first call with a warm cache, time per call;
- ``environment``: the machine and the library versions;
- ``report``: the targets table, ``RESULTS.md``, ``results.json`` and ``speed.png``.
"""
