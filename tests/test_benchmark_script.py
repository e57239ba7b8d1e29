"""A smoke test of the benchmark (``benchmarks/run.py``, ``benchmarks/suite/``) on tiny sizes: its timing
and its rows, not its figures; and its NumPy formulas against ``reference.py``.

``make bench`` is run by hand; this keeps the script from breaking unnoticed between runs.
"""

import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
from numpy.testing import assert_allclose

import lossjit as lj
import reference

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))  # where benchmarks/run.py, run as a script, finds its package
from suite import catalogue_two, cases, measure, peers, report  # noqa: E402

# The script compiles STREAM-like kernels from their Python functions; timings without the JIT mean nothing.
pytestmark = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="the benchmark needs the JIT")


def test_command_line():
    result = subprocess.run([sys.executable, str(BENCHMARKS / "run.py"), "--help"], capture_output=True, text=True,
                            check=True)
    assert "[--quick] [--out OUT]" in result.stdout


def test_best_times_interleaves_and_keeps_the_best():
    calls = []
    times = measure.best_times({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, budget=1e-4)
    assert set(times) == {"a", "b"} and all(0 < t < 0.1 for t in times.values())
    assert calls[:2] == ["a", "b"]  # one warm-up call each, then rounds
    rounds = [i for i in range(2, len(calls) - 1) if calls[i] == "a" and calls[i + 1] == "b"]
    assert len(rounds) >= 2, calls  # b's turn comes between a's, more than once


def test_pointwise_and_softmax_rows():
    rng = np.random.default_rng(0)
    rows = cases.bench_pointwise("mse", 1000, np.float64, 1e-3, rng)
    rows += cases.bench_softmax((8, 5), np.float32, 1e-3, rng)
    rows += cases.bench_softmax((8, 5), np.float64, 1e-3, rng, kind="probabilities")
    rows += cases.bench_softmax((8, 5), np.float64, 1e-3, rng, loss="softmax_focal")
    assert [row["mode"] for row in rows] == ["value", "value+grad"] * 4
    # (8, 5): float32 logits (and gradient); float64 logits, targets (and gradient); float64 focal logits
    assert [row["bytes"] for row in rows[2:]] == [160, 320, 640, 960, 320, 640]
    for row in rows:
        assert row["agree"]
        assert {"lossjit", "numpy"} <= set(row["times"]) and all(t > 0 for t in row["times"].values())
    assert cases.OUT in rows[1]["times"] and cases.OUT not in rows[0]["times"]  # mse value+grad into out=
    streams = {("float64", 1000): {"triad": 10.0}, ("float64", measure.MEMORY_ELEMENTS): {"triad": 20.0}}
    assert report._bw_share(rows[1], streams, cases.OUT)[1] == 2 * report._memory_share(rows[1], streams, cases.OUT)


def test_large_rows_time_their_stream_kernel_in_their_own_rounds(monkeypatch):
    """From STREAM_IN_ROUNDS elements a row carries its triad (read2 for the value) timed with it, and
    % bw uses that; the memory bandwidth becomes the best figure of the run at MEMORY_ELEMENTS."""
    monkeypatch.setattr(cases, "STREAM_IN_ROUNDS", 2000)
    monkeypatch.setattr(measure, "MEMORY_ELEMENTS", 2000)
    value, with_grad = cases.bench_pointwise("mse", 2000, np.float32, 1e-3, np.random.default_rng(3))
    assert value["stream"] > 0 and with_grad["stream"] > 0 and cases.STREAM not in with_grad["times"]
    streams = {("float32", 2000): {"triad": 1e-9, "read2": 1e-9}}  # the start-of-run table: not used by % bw
    assert report._bw_share(with_grad, streams, cases.OUT)[1] == with_grad["stream"] / with_grad["times"][cases.OUT]
    best = measure.best_memory_bandwidth(streams, [value, with_grad])[("float32", 2000)]
    assert best == {"triad": with_grad["bytes"] / with_grad["stream"] / 1e9,
                    "read2": value["bytes"] / value["stream"] / 1e9}
    assert "the same-size triad" in report._triad_floor({**with_grad, "times": {"torch": 1.0}}, streams)


def test_catalogue_formulas_agree_with_lossjit():
    """Each catalogue loss's NumPy formula (the benchmark's baseline) gives lossjit's value."""
    rng = np.random.default_rng(1)
    covered = {name.partition("(")[0] for name in (*cases.POINTWISE, *cases.CATALOGUE)}
    assert {name for name, loss in lj.losses.items() if isinstance(loss, lj.PointwiseLoss)} <= covered
    for name in cases.CATALOGUE:
        rows = cases.bench_pointwise(name, 1000, np.float64, 1e-3, rng, cases.CATALOGUE)
        assert all(row["agree"] for row in rows), name


def test_bandwidth_figures():
    figures = measure.bandwidth(1000, np.float64, 1e-3)
    assert set(figures) == {"triad", "copy", "read2"} and all(value > 0 for value in figures.values())


def test_elementwise_rows_agree_and_count_a_written_array():
    """The reduction="none" rows: NumPy's per-element formula gives lossjit's losses, and the row is
    compared with the triad (two arrays read, one written)."""
    rng = np.random.default_rng(2)
    for name in cases.POINTWISE:
        for dtype in (np.float32, np.float64):
            row = cases.bench_elementwise(name, 1000, dtype, 1e-3, rng)
            assert row["agree"], (name, dtype)
            assert row["bytes"] == 3 * 1000 * np.dtype(dtype).itemsize
    streams = {("float64", 1000): {"triad": 10.0, "read2": 1.0}}
    assert report._bw_share(row, streams)[1] == row["bytes"] / row["times"]["lossjit"] / 1e9 / 10.0


def test_torch_target_shows_the_triad_floor():
    row = {"dtype": "float64", "n": 1000, "bytes": 24000, "times": {"lossjit": 2e-6, "torch": 4e-6}}
    assert report._triad_floor(row, {("float64", 1000): {"triad": 24.0}}) == (
        " (4x torch: 1.0 us; the same-size triad: 1.0 us)")
    assert report._triad_floor(row, {}) == ""


def test_softmax_targets_per_kind_of_target():
    """targets() checks cross-entropy against class indices and against probabilities separately, each at
    its worst shape."""
    rows = [{"loss": f"cross_entropy({kind}, logits)", "dtype": "float32", "n": 640, "mode": mode, "bytes": None,
             "times": {"lossjit": 1.0, "torch": torch}}
            for kind, mode, torch in (("labels", "value", 1.5), ("labels", "value+grad", 3.0),
                                      ("labels", "value", 0.9), ("probabilities", "value", 1.2),
                                      ("probabilities", "value+grad", 1.8))]
    over = {"per_call_1000_elements_s": {"lj.mse(y, p)": 2e-6}, "import_lossjit_minus_numba_s": 0.1,
            "first_call_warm_cache_s": {"lj.mse": 0.1}}
    checks = {label: (figure, met) for label, figure, met in report.targets(rows, {}, over)}
    assert checks["cross_entropy(labels, logits) value: >= 1x torch (worst shape)"] == ("0.90x", False)
    assert checks["cross_entropy(labels, logits) value+grad: >= 2x torch (worst shape)"] == ("3.00x", True)
    assert checks["cross_entropy(probabilities, logits) value: >= 1x torch (worst shape)"] == ("1.20x", True)
    assert checks["cross_entropy(probabilities, logits) value+grad: >= 2x torch (worst shape)"] == ("1.80x", False)


@pytest.mark.skipif(peers.torch is None, reason="the catalogue-two rows time lossjit against PyTorch")
def test_catalogue_two_rows_run_and_agree_with_torch():
    """Issue 25's rows at tiny shapes: lossjit's values and every gradient agree with torch's, both timed;
    RESULTS.md gets their section."""
    rows = catalogue_two.run_all(1e-4, np.random.default_rng(6), info_nce_shape=(16, 8), embedding_shape=(64, 8))
    assert [row["loss"] for row in rows] == ["info_nce", "info_nce(symmetric=True)", "triplet_margin",
                                             "cosine_embedding"]
    for row in rows:
        assert row["agree"], row
        assert set(row["times"]) == {"lossjit", "torch"} and all(t > 0 for t in row["times"].values())
        assert row["ratio"] == row["times"]["torch"] / row["times"]["lossjit"]
    section = "\n".join(report._catalogue_two_section(rows))
    assert "issue 25" in section and section.count("| float32 |") == 4


def test_catalogue_two_targets():
    """targets() checks issue 25's shapes only, each row of a target at least as fast as torch and agreeing:
    InfoNCE both its default and its symmetric row."""
    def row(loss, shape, ratio, agree=True):
        return {"loss": loss, "dtype": "float32", "shape": list(shape), "ratio": ratio, "agree": agree}
    over = {"per_call_1000_elements_s": {"lj.mse(y, p)": 2e-6}, "import_lossjit_minus_numba_s": 0.1,
            "first_call_warm_cache_s": {"lj.mse": 0.1}}
    two = [row("info_nce", catalogue_two.INFO_NCE_SHAPE, 1.5), row("info_nce(symmetric=True)",
                                                                  catalogue_two.INFO_NCE_SHAPE, 0.9),
           row("triplet_margin", catalogue_two.EMBEDDING_SHAPE, 2.0), row("triplet_margin", (64, 8), 0.5)]
    checks = {label: (figure, met) for label, figure, met in report.targets([], {}, over, two)}
    assert checks["InfoNCE value+grad (4096, 256) f32 >= torch"] == (
        "info_nce 1.50x, info_nce(symmetric=True) 0.90x", False)
    assert checks["triplet value+grad (65536, 128) f32 >= torch"] == ("triplet_margin 2.00x", True)
    two[2]["agree"] = False
    checks = {label: (figure, met) for label, figure, met in report.targets([], {}, over, two)}
    assert checks["triplet value+grad (65536, 128) f32 >= torch"] == (
        "triplet_margin 2.00x (values disagree!)", False)
    assert not any("InfoNCE" in label for label, _, _ in report.targets([], {}, over))


@pytest.mark.parametrize("name", [*cases.POINTWISE, *cases.CATALOGUE])
def test_numpy_formulas_match_the_references(name):
    """The timed NumPy formulas (the peers to beat) compute the loss the tests check lossjit against:
    mean and gradient, and per element where the benchmark times ``reduction="none"``."""
    _, formula, _, _, data_kind, options = {**cases.POINTWISE, **cases.CATALOGUE}[name]
    lossjit_name = name.partition("(")[0]
    y, p = cases.pointwise_data(data_kind, 1000, np.float64, np.random.default_rng(4))
    loss, grad, _ = reference.pointwise(lossjit_name, y, p, **options)
    value, formula_grad = formula(y, p, True)
    assert_allclose(value, loss, rtol=1e-12)
    assert_allclose(formula_grad, grad, rtol=1e-12, atol=1e-18)
    if name in cases.ELEMENTWISE:
        losses = reference.pointwise(lossjit_name, y, p, reduction="none", **options)[0]
        assert_allclose(cases.ELEMENTWISE[name](y, p), losses, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind, formula", [("labels", peers.cross_entropy),
                                           ("probabilities", peers.soft_cross_entropy)])
def test_cross_entropy_formulas_match_the_reference(kind, formula):
    rng = np.random.default_rng(5)
    z = 2 * rng.standard_normal((8, 5))
    y_true = rng.integers(0, 5, 8) if kind == "labels" else rng.dirichlet(np.ones(5), 8)
    loss, grad = reference.cross_entropy(y_true, z, from_logits=True)
    value, formula_grad = formula(y_true, z, True)
    assert_allclose(value, loss, rtol=1e-12)
    assert_allclose(formula_grad, grad, rtol=1e-12, atol=1e-18)


def test_side_by_side_times_each_row(monkeypatch):
    """``benchmarks/side_by_side.py``'s rows, on one small size and shape: a time per loss, dtype and kind of
    call."""
    import side_by_side

    monkeypatch.setattr(side_by_side, "SIZES", (1_000,))
    monkeypatch.setattr(side_by_side, "SHAPES", ((100, 10),))
    times = side_by_side.measure()
    assert len(times) == (len(side_by_side.CHEAP + side_by_side.COSTLY) + len(side_by_side.ROWS)) * 2 * 2
    assert all(0 < t < 0.1 for t in times.values())
    assert "mse float32 1000 value+grad" in times
    assert "cross_entropy_probabilities float64 100x10 value" in times


def test_compile_profile_counts_functions_and_allocations(tmp_path):
    """``benchmarks/compile_profile.py`` on a cold call: the compiled functions and the allocation functions."""
    import compile_profile

    records = [("ol_np_empty.<locals>.impl", 0.1, 0.1), ("_block", 0.5, 0.7), ("_block", 0.25, 0.25)]
    lines = compile_profile.report(1.5, records, top=5).splitlines()
    assert lines[0] == "wall 1.500 s; 3 functions compiled, 0.850 s"
    assert lines[1] == "allocation functions: 1, 0.100 s"
    assert lines[3].split() == ["0.750", "0.950", "2", "_block"]

    result = subprocess.run([sys.executable, str(BENCHMARKS / "compile_profile.py"), "lj.mse(np.ones(3), np.zeros(3))"],
                            capture_output=True, text=True, check=True,
                            env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)})
    summary = result.stdout.splitlines()[0]
    assert summary.startswith("wall ") and int(summary.split("; ")[1].split()[0]) > 0  # a cold call compiles


def test_compile_profile_counts_about_the_same_calls_in_each_run(tmp_path):
    """``--count-calls``: a cold call's Python calls, within 3% in two processes with empty caches, and far fewer
    once the cache holds the kernel."""
    def calls(cache):
        result = subprocess.run([sys.executable, str(BENCHMARKS / "compile_profile.py"), "--count-calls",
                                 "lj.huber(np.ones(3), np.zeros(3))"], capture_output=True, text=True, check=True,
                                env={**os.environ, "NUMBA_CACHE_DIR": str(cache)})
        count, words = result.stdout.split(maxsplit=1)
        assert words.strip() == "Python calls"
        return int(count.replace(",", ""))

    cold = [calls(tmp_path / "first"), calls(tmp_path / "second")]
    assert min(cold) > 100_000 and abs(cold[0] - cold[1]) < 0.03 * cold[0]
    assert calls(tmp_path / "first") < cold[0] / 2  # loaded from the cache


def test_cold_calls_table_and_one_cold_call():
    """``benchmarks/cold_calls.py``: its table from given times, and one real round for one loss."""
    import cold_calls

    lines = cold_calls.table({("mse", "float64"): [(1.0, 1.0), (3.0, 2.0)],
                              ("ctc", "float32"): [(4.0, 1.0), (5.0, 2.0)]})
    assert lines[0] == "yardstick (plain parallel MSE value+grad), before each loss: median 1.50 s, 1.00-2.00 s"
    assert lines[2].split() == ["mse", "float64", "2.00", "1.25", "1.50"]
    assert lines[3].split() == ["ctc", "float32", "4.50", "3.25", "4.00"]
    assert lines[4] == "at most 2x the yardstick: 1 of 2 by the median, 1 in every round"

    result = subprocess.run([sys.executable, str(BENCHMARKS / "cold_calls.py"), "--losses", "mse", "--dtypes",
                             "float32"], capture_output=True, text=True, check=True)
    row = result.stdout.splitlines()[2].split()
    assert row[:2] == ["mse", "float32"] and float(row[2]) > 0
    assert "round 1/1: mse float32" in result.stderr


def test_plain_ctc_kernel_and_its_table():
    """``benchmarks/plain_ctc.py``: its textbook kernel (run as Python) gives lj.ctc's per-sample losses, and its
    table from given times."""
    import plain_ctc

    rng = np.random.default_rng(7)
    logits = rng.normal(size=(6, 3, 4))
    targets = np.array([[1, 2, 2], [3, 1, 1], [1, 1, 1]])  # padded past each target length
    target_lengths, input_lengths = np.array([3, 1, 2]), np.array([6, 4, 5])
    expected = lj.ctc(targets, logits, input_lengths=input_lengths, target_lengths=target_lengths, reduction="none")
    assert_allclose(plain_ctc.ctc_values(logits, targets, target_lengths, input_lengths, 0), expected, rtol=1e-12)

    times = [{"yardstick": 1.0, "lj.ctc, float64": 4.0, "plain CTC kernel, serial": 2.0,
              "plain CTC kernel, parallel": 3.0},
             {"yardstick": 2.0, "lj.ctc, float64": 5.0, "plain CTC kernel, serial": 3.0,
              "plain CTC kernel, parallel": 5.0}]
    lines = plain_ctc.table(times)
    assert lines[1].split() == ["yardstick", "1.50", "1.00"]
    assert lines[2].split() == ["lj.ctc,", "float64", "4.50", "3.25"]
    assert lines[4].split()[-2:] == ["4.00", "2.75"]
