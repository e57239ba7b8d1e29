"""Every loss on Dask arrays (lossjit._dask): NumPy lossjit's values and gradients, bitwise the same on every
scheduler and at any number of workers, lazy with compute=False, NumPy's errors before (or, for values,
during) the computation, memory-mapped input, a worker lost mid-computation, and no Dask in `import lossjit`."""

import io
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import lossjit as lj

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
from dask.diagnostics import ProgressBar  # noqa: E402 (after the skip)

POINTWISE = [name for name, loss in lj.losses.items() if isinstance(loss, lj.PointwiseLoss)]
#: Weights in eighths: their sums are exact, so the mean's denominator, and with it every gradient element,
#: is NumPy lossjit's to the bit however the weights are chunked.
EIGHTHS = 8


def dyadic_weights(rng, n):
    return rng.integers(0, 2 * EIGHTHS, n) / EIGHTHS


def pointwise_values(name, rng, shape, dtype=np.float64):
    """(y_true, y_pred) in the loss's domain."""
    if name in ("binary_cross_entropy", "focal", "kl_divergence"):
        return rng.random(shape).astype(dtype), rng.uniform(0.02, 0.98, shape).astype(dtype)
    if name in ("hinge", "squared_hinge"):
        return rng.choice([-1.0, 1.0], shape).astype(dtype), rng.normal(size=shape).astype(dtype)
    if name == "poisson":
        return rng.poisson(2.0, shape).astype(dtype), rng.normal(size=shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype), rng.normal(size=shape).astype(dtype)


def case(name, rng):
    """(y_true, y_pred, sample_weight, options, chunks): NumPy arrays, each with its Dask chunks (None: left NumPy)
    in ``chunks``, in several blocks along the rows only where the loss needs whole axes."""
    if name in POINTWISE:
        y_true, y_pred = pointwise_values(name, rng, (40, 25))
        return y_true, y_pred, dyadic_weights(rng, 40), {}, {"y_true": (15, 10), "y_pred": (15, 10),
                                                              "sample_weight": (15,)}
    if name == "cross_entropy":
        labels = rng.integers(0, 5, 60)
        labels[[3, 40]] = -100
        options = {"from_logits": True, "class_weight": np.array([0.5, 1, 1.5, 2, 0.25]), "label_smoothing": 0.1}
        return labels, rng.normal(size=(60, 5)), dyadic_weights(rng, 60), options, {
            "y_true": (25,), "y_pred": (25, 5), "sample_weight": (25,)}
    if name == "softmax_focal":
        options = {"from_logits": True, "alpha": np.array([0.25, 0.5, 0.75, 1.0])}
        return rng.integers(0, 4, 60), rng.normal(size=(60, 4)), dyadic_weights(rng, 60), options, {
            "y_true": (25,), "y_pred": (25, 4), "sample_weight": (25,)}
    if name == "sequence_cross_entropy":
        mask = rng.integers(0, 2, (6, 10))
        return rng.integers(0, 5, (6, 10)), rng.normal(size=(6, 10, 5)), dyadic_weights(rng, 6), {"mask": mask}, {
            "y_true": (3, 4), "y_pred": (3, 4, 5), "sample_weight": (3,), "mask": (3, 4)}
    if name in ("dice", "tversky"):
        options = {"from_logits": True} if name == "dice" else {"from_logits": True, "alpha": 0.3, "beta": 0.7}
        return rng.integers(0, 3, (9, 4, 5)), rng.normal(size=(9, 3, 4, 5)), dyadic_weights(rng, 9), options, {
            "y_true": (4, 4, 5), "y_pred": (4, 3, 4, 5), "sample_weight": (4,)}
    if name == "ctc":
        options = {"input_lengths": rng.integers(8, 13, 9), "target_lengths": rng.integers(1, 4, 9)}
        return rng.integers(1, 5, (9, 3)), rng.normal(size=(12, 9, 5)), dyadic_weights(rng, 9), options, {
            "y_true": (4, 3), "y_pred": (12, 4, 5), "sample_weight": (4,), "input_lengths": (4,),
            "target_lengths": (4,)}
    raise AssertionError(f"no case for {name}")


def on_dask(y_true, y_pred, sample_weight, options, chunks):
    """The case's arrays as Dask arrays of their chunks."""
    arrays = {"y_true": y_true, "y_pred": y_pred, "sample_weight": sample_weight, **options}
    dasked = {name: da.from_array(arrays[name], chunks=chunk) for name, chunk in chunks.items()}
    return (dasked["y_true"], dasked["y_pred"], dasked.get("sample_weight"),
            {**options, **{name: dasked[name] for name in options if name in dasked}})


@pytest.fixture(scope="module")
def cluster():
    """A client of two worker processes of one thread each, for the module; not Dask's default scheduler, so
    the other tests compute in this process."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local, \
            distributed.Client(local, set_as_default=False) as client:
        yield client


#: The losses of catalogue II (issue 25) but tversky, which do not run on Dask yet: each refuses a Dask array by name.
NOT_ON_DASK = ("gaussian_nll", "laplace_nll", "margin_ranking", "multi_margin", "crammer_singer", "categorical_hinge",
               "poly1_cross_entropy", "sparsemax_loss", "pairwise_logistic", "ranking_softmax",
               "triplet_margin", "contrastive", "cosine_embedding", "info_nce", "ntxent")
ON_DASK = [name for name in lj.losses if name not in NOT_ON_DASK]


@pytest.mark.parametrize("name", NOT_ON_DASK)
def test_catalogue_two_refuses_dask_arrays_by_name(name, rng):
    loss = lj.losses[name]
    arrays = [da.from_array(rng.normal(size=(4, 3)))] * len(getattr(loss, "inputs", ("y_true", "y_pred")))
    with pytest.raises(TypeError, match="Dask"):
        loss(*arrays)


@pytest.mark.parametrize("name", ON_DASK)
def test_every_loss_matches_numpy(name, rng):
    """Value to rounding (the sums are grouped by chunk); gradient, per-element losses and hessian to the bit."""
    loss = lj.losses[name]
    y_true, y_pred, weights, options, chunks = case(name, rng)
    d_true, d_pred, d_weights, d_options = on_dask(y_true, y_pred, weights, options, chunks)
    for sample_weight, d_sample_weight in ((None, None), (weights, d_weights)):
        for reduction in ("mean", "sum"):
            expected, expected_grad = loss.value_and_grad(y_true, y_pred, sample_weight=sample_weight,
                                                          reduction=reduction, **options)
            value = loss(d_true, d_pred, sample_weight=d_sample_weight, reduction=reduction, **d_options)
            assert type(value) is type(expected)
            assert_allclose(value, expected, rtol=1e-12)
            lazy_value, grad = loss.value_and_grad(d_true, d_pred, sample_weight=d_sample_weight,
                                                   reduction=reduction, compute=False, **d_options)
            assert grad.chunks == d_pred.chunks
            computed_value, computed_grad = dask.compute(lazy_value, grad)
            assert computed_value == value  # the same blocks, summed in the same order, with or without the gradient
            assert_array_equal(computed_grad, expected_grad, strict=True)
            assert_array_equal(loss.grad(d_true, d_pred, sample_weight=d_sample_weight, reduction=reduction,
                                         **d_options).compute(), expected_grad, strict=True)
            if isinstance(loss, lj.PointwiseLoss):
                assert_array_equal(loss.hessian(d_true, d_pred, sample_weight=d_sample_weight, reduction=reduction,
                                                **d_options).compute(),
                                   loss.hessian(y_true, y_pred, sample_weight=sample_weight, reduction=reduction,
                                                **options), strict=True)
        losses, grad = loss.value_and_grad(d_true, d_pred, sample_weight=d_sample_weight, reduction="none", **d_options)
        expected_losses, expected_grad = loss.value_and_grad(y_true, y_pred, sample_weight=sample_weight,
                                                             reduction="none", **options)
        assert_array_equal(losses.compute(), expected_losses, strict=True)
        assert_array_equal(grad.compute(), expected_grad, strict=True)
        assert_array_equal(loss(d_true, d_pred, sample_weight=d_sample_weight, reduction="none", **d_options).compute(),
                           expected_losses, strict=True)


def test_float32_value_and_numpy_arguments_cut_to_match(rng):
    """float32 computes in float32 (the value is a np.float32); NumPy arguments are cut like the Dask ones,
    class weights and other options are passed to every block as they are."""
    labels = rng.integers(0, 5, 100)
    logits = rng.normal(size=(100, 5)).astype(np.float32)
    weights = rng.uniform(0, 2, 100).astype(np.float32)
    options = {"from_logits": True, "class_weight": np.linspace(0.5, 2, 5, dtype=np.float32)}
    value = lj.cross_entropy(labels, da.from_array(logits, chunks=(100, 5)), sample_weight=weights, **options)
    expected = lj.cross_entropy(labels, logits, sample_weight=weights, **options)
    assert type(value) is np.float32 and value == expected  # one chunk: the same sum
    chunked = lj.cross_entropy(labels, da.from_array(logits, chunks=(30, 5)), sample_weight=weights, **options)
    assert_allclose(chunked, expected, rtol=1e-6)
    y_true, y_pred = pointwise_values("mse", rng, (1000,), np.float32)
    grad = lj.mse.grad(da.from_array(y_true, chunks=300), y_pred)
    assert grad.dtype == np.float32 and grad.chunks == ((300, 300, 300, 100),)
    assert_array_equal(grad.compute(), lj.mse.grad(y_true, y_pred), strict=True)


def test_axis_and_probability_targets(rng):
    """Classes on axis 0, chunked along axis 1; class probabilities as targets."""
    logits = rng.normal(size=(5, 70))
    labels = rng.integers(0, 5, 70)
    d_logits = da.from_array(logits, chunks=(5, 20))
    assert_allclose(lj.cross_entropy(labels, d_logits, axis=0, from_logits=True),
                    lj.cross_entropy(labels, logits, axis=0, from_logits=True), rtol=1e-12)
    assert_array_equal(lj.cross_entropy.grad(labels, d_logits, axis=0, from_logits=True).compute(),
                       lj.cross_entropy.grad(labels, logits, axis=0, from_logits=True), strict=True)
    targets = rng.dirichlet(np.ones(5), 70).T
    assert_array_equal(lj.softmax_focal.grad(da.from_array(targets, chunks=(5, 20)), d_logits, axis=0,
                                             from_logits=True).compute(),
                       lj.softmax_focal.grad(targets, logits, axis=0, from_logits=True), strict=True)


def test_users_pointwise_loss_runs_on_workers(rng, cluster):
    """A user's loss, made inside a function (as in a notebook), travels to the workers as its element function."""

    @lj.pointwise_loss
    def cauchy(y, p, c=1.0):
        d = (p - y) / c
        u = d * d
        return np.log1p(u), 2 * d / (c * (1 + u))

    y_true, y_pred = pointwise_values("mse", rng, (1000,))
    d_pred = da.from_array(y_pred, chunks=300)
    local = cauchy(y_true, d_pred, c=2.0, compute=False)
    on_workers = cluster.compute(local).result()
    assert on_workers == local.compute(scheduler="sync")
    assert_allclose(on_workers, cauchy(y_true, y_pred, c=2.0), rtol=1e-12)


def test_bitwise_the_same_on_every_scheduler_and_worker_count(rng, cluster):
    """Values and gradients of one chunking, to the bit: synchronous, threads, processes, a cluster of two
    workers and of one."""
    results = []
    for name in ("mse", "cross_entropy", "ctc"):
        y_true, y_pred, weights, options, chunks = case(name, rng)
        d_true, d_pred, d_weights, d_options = on_dask(y_true, y_pred, rng.uniform(0, 2, len(weights)), options,
                                                       chunks)
        results += lj.losses[name].value_and_grad(d_true, d_pred, sample_weight=d_weights, compute=False,
                                                  **d_options)
    first_worker = sorted(cluster.scheduler_info()["workers"])[0]
    runs = {scheduler: dask.compute(*results, scheduler=scheduler) for scheduler in ("sync", "threads", "processes")}
    runs["two workers"] = cluster.gather(cluster.compute(results))
    runs["one worker"] = cluster.gather(cluster.compute(results, workers=[first_worker], allow_other_workers=False))
    expected = [result.tobytes() for result in runs.pop("sync")]
    for scheduler, run in runs.items():
        assert [result.tobytes() for result in run] == expected, scheduler


def test_nothing_is_computed_before_compute(rng):
    """compute=False, grad, hessian and reduction="none" only build graphs; the blocks run at .compute()."""
    calls = []

    def counted(block):
        calls.append(block.shape)
        return block

    y_true, y_pred = pointwise_values("huber", rng, (1000,))
    d_pred = da.from_array(y_pred, chunks=250).map_blocks(counted, dtype=y_pred.dtype, meta=np.empty(0))
    lazy = [lj.huber(y_true, d_pred, compute=False), lj.huber.grad(y_true, d_pred), lj.huber.hessian(y_true, d_pred),
            lj.huber(y_true, d_pred, reduction="none"), *lj.huber.value_and_grad(y_true, d_pred, compute=False)]
    assert calls == []
    assert all(isinstance(result, da.Array) for result in lazy)
    assert lazy[0].shape == () and lazy[0].dtype == np.float64
    value, grad = dask.compute(lazy[4], lazy[5])
    assert len(calls) == 4  # one pass: each block read once for the value and the gradient
    assert value == lazy[0].compute()
    assert_array_equal(grad, lj.huber.grad(y_true, y_pred), strict=True)


def test_compute_is_ignored_for_numpy(rng):
    y_true, y_pred = pointwise_values("mse", rng, (100,))
    assert lj.mse(y_true, y_pred, compute=False) == lj.mse(y_true, y_pred)
    value, grad = lj.mse.value_and_grad(y_true, y_pred, compute=False)
    assert type(value) is np.float64 and type(grad) is np.ndarray


def numpy_error(function, *args, **kwargs):
    with pytest.raises((ValueError, TypeError)) as error:
        function(*args, **kwargs)
    return error.type, str(error.value)


def never_computed(array):
    """``array`` as a Dask array (of one chunk) that fails if computed."""

    def fail(block):
        raise AssertionError("a block was computed")

    return da.from_array(array, chunks=-1).map_blocks(fail, dtype=array.dtype,
                                                      meta=np.empty((0,) * array.ndim, array.dtype))


@pytest.mark.parametrize("call", [
    pytest.param(lambda x, rng: (lj.mse, rng.normal(size=4), x(rng.normal(size=(4, 1))), {}), id="broadcast shape"),
    pytest.param(lambda x, rng: (lj.mse, rng.normal(size=(4, 3)), x(rng.normal(size=(4, 3))),
                                 {"sample_weight": np.ones(3)}), id="sample_weight shape"),
    pytest.param(lambda x, rng: (lj.mse, np.array(["a"] * 4), x(rng.normal(size=4)), {}), id="dtype"),
    pytest.param(lambda x, rng: (lj.mse, rng.normal(size=4), x(rng.normal(size=4)), {"reduction": "avg"}),
                 id="reduction"),
    pytest.param(lambda x, rng: (lj.huber, rng.normal(size=4), x(rng.normal(size=4)), {"delta": -1.0}), id="delta"),
    pytest.param(lambda x, rng: (lj.mse, rng.normal(size=4), x(rng.normal(size=4)), {"delta": 1.0}),
                 id="unknown option"),
    pytest.param(lambda x, rng: (lj.cross_entropy, np.zeros(3, int), x(rng.random((4, 5))), {}),
                 id="cross_entropy targets shape"),
    pytest.param(lambda x, rng: (lj.cross_entropy, np.zeros(4, int), x(rng.normal(size=(4, 5))), {"axis": 2}),
                 id="cross_entropy axis"),
    pytest.param(lambda x, rng: (lj.cross_entropy, np.zeros(4, int), x(rng.random((4, 5))),
                                 {"class_weight": np.ones(4)}), id="class_weight shape"),
    pytest.param(lambda x, rng: (lj.cross_entropy, np.zeros(4, bool), x(rng.random((4, 5))), {}),
                 id="bool labels"),
    pytest.param(lambda x, rng: (lj.sequence_cross_entropy, np.zeros((2, 3), int), x(rng.normal(size=(2, 3, 4))),
                                 {"mask": np.ones((2, 2))}), id="mask shape"),
    pytest.param(lambda x, rng: (lj.dice, np.zeros((2, 5)), x(rng.random((2, 3, 4))), {}), id="dice targets shape"),
    pytest.param(lambda x, rng: (lj.ctc, np.ones((2, 2), int), x(rng.normal(size=(6, 2))), {}), id="ctc ndim"),
    pytest.param(lambda x, rng: (lj.ctc, np.ones((2, 2), int), x(rng.normal(size=(6, 2, 4))),
                                 {"input_lengths": np.ones(3, int)}), id="ctc lengths shape"),
    pytest.param(lambda x, rng: (lj.ctc, np.ones((2, 2), int), x(rng.normal(size=(6, 2, 4))), {"blank": 4}),
                 id="ctc blank"),
])
def test_errors_before_compute_are_numpys(call, rng):
    """Shapes, dtypes and options fail as the graph is built (no block runs), with NumPy's messages."""
    loss, y_true, y_pred, kwargs = call(never_computed, rng)
    _, _, numpy_pred, _ = call(lambda array: array, np.random.default_rng(20260601))
    assert numpy_error(loss, y_true, y_pred, **kwargs) == numpy_error(loss, y_true, numpy_pred, **kwargs)
    if kwargs.get("reduction", "mean") != "avg":
        assert numpy_error(loss.grad, y_true, y_pred, **kwargs) == numpy_error(loss, y_true, numpy_pred, **kwargs)


@pytest.mark.parametrize("call, message", [
    (lambda rng: lj.mse(da.ones(100, chunks=30), da.ones(100, chunks=25)), r"y_true = y_true\.rechunk\("),
    (lambda rng: lj.mse(np.ones((10, 4)), da.ones((10, 4), chunks=5), sample_weight=da.ones(10, chunks=4)),
     r"sample_weight = sample_weight\.rechunk\(\{0: y_pred\.chunks\[0\]\}\)"),
    (lambda rng: lj.cross_entropy(np.zeros(10, int), da.ones((10, 6), chunks=(5, 3))),
     r"the class axis, is split into 2 chunks \(3, 3\); a softmax needs .* y_pred = y_pred\.rechunk\(\{1: -1\}\)"),
    (lambda rng: lj.sequence_cross_entropy(np.zeros((2, 3), int), da.ones((2, 3, 4), chunks=(1, 3, 2))),
     r"y_pred\.rechunk\(\{2: -1\}\)"),
    (lambda rng: lj.dice(np.zeros((4, 6), int), da.ones((4, 2, 6), chunks=(2, 2, 3))),
     r"a spatial axis, is split .* Dice runs per sample: .* y_pred\.rechunk\(\{2: -1\}\)"),
    (lambda rng: lj.ctc(np.ones((4, 2), int), da.zeros((6, 4, 3), chunks=(3, 2, 3))),
     r"the time axis, is split .* CTC runs per sample: .* y_pred\.rechunk\(\{0: -1\}\)"),
    (lambda rng: lj.ctc(da.ones(4, int, chunks=2), da.zeros((6, 4, 3), chunks=(6, 2, 3)),
                        target_lengths=np.ones(4, int)), r"give the targets padded"),
    (lambda rng: lj.mse.grad(np.ones(4), da.ones(4), out=np.empty(4)), r"dask\.array\.store"),
])
def test_chunk_errors_name_rechunk(call, message, rng):
    with pytest.raises((ValueError, TypeError), match=message):
        call(rng)


@pytest.mark.parametrize("call", [
    pytest.param(lambda x: (lj.cross_entropy, np.array([1, 2, 3, 0, 4, 7]), x(np.zeros((6, 5)), (3, 5)), {}),
                 id="label out of range"),
    pytest.param(lambda x: (lj.binary_cross_entropy, np.array([0.5, 1, 0, 1.5]), x(np.full(4, 0.5), 2), {}),
                 id="probability above 1"),
    pytest.param(lambda x: (lj.mse, np.zeros(4), x(np.zeros(4), 2), {"sample_weight": np.array([1, 1, -1, 0.5])}),
                 id="negative weight"),
    pytest.param(lambda x: (lj.mse, np.zeros(4), x(np.zeros(4), 2), {"sample_weight": np.zeros(4)}),
                 id="weights sum to zero"),
    pytest.param(lambda x: (lj.sequence_cross_entropy, np.zeros((2, 2), int), x(np.zeros((2, 2, 3)), (1, 2, 3)),
                            {"mask": np.array([[1, 0], [2, 1]])}), id="mask not 0/1"),
])
def test_value_errors_fail_the_computation_with_numpys_message(call):
    """Values are checked in the blocks: compute=False builds the graph, .compute() raises NumPy's error (each
    case's bad block holds the array's extremes, which NumPy's message quotes)."""
    loss, y_true, y_pred, kwargs = call(lambda array, chunks: da.from_array(array, chunks=chunks))
    _, _, numpy_pred, _ = call(lambda array, chunks: array)
    lazy = loss(y_true, y_pred, compute=False, **kwargs)
    assert numpy_error(lazy.compute) == numpy_error(loss, y_true, numpy_pred, **kwargs)


def from_npy(path, chunks="auto"):
    """The README's recipe: a .npy file as a Dask array whose blocks are read where their tasks run."""
    mapped = np.load(path, mmap_mode="r")

    def read(block_info=None):
        return np.load(path, mmap_mode="r")[tuple(slice(*where) for where in block_info[None]["array-location"])]

    return da.map_blocks(read, chunks=da.core.normalize_chunks(chunks, mapped.shape, dtype=mapped.dtype),
                         dtype=mapped.dtype, meta=np.empty((0,) * mapped.ndim, mapped.dtype))


def test_memory_mapped_input(rng, tmp_path, cluster):
    """.npy files opened with mmap_mode="r": through dask.array.from_array, and through the README's reader of
    blocks, in this process with a progress bar and on the workers."""
    y_true, y_pred = pointwise_values("binary_cross_entropy", rng, (50_000,), np.float32)
    paths = {name: tmp_path / f"{name}.npy" for name in ("y_true", "y_pred")}
    np.save(paths["y_true"], y_true)
    np.save(paths["y_pred"], y_pred)
    mapped = {name: np.load(path, mmap_mode="r") for name, path in paths.items()}
    expected_value = lj.binary_cross_entropy(mapped["y_true"], mapped["y_pred"])
    expected_grad = lj.binary_cross_entropy.grad(y_true, y_pred)
    from_array = [da.from_array(mapped[name], chunks=12_500) for name in ("y_true", "y_pred")]
    read_in_tasks = [from_npy(paths[name], chunks=12_500) for name in ("y_true", "y_pred")]
    progress = io.StringIO()
    with ProgressBar(out=progress):
        for d_true, d_pred in (from_array, read_in_tasks):
            value, grad = dask.compute(*lj.binary_cross_entropy.value_and_grad(d_true, d_pred, compute=False))
            assert_allclose(value, expected_value, rtol=1e-6)
            assert_array_equal(grad, expected_grad, strict=True)
    assert "100%" in progress.getvalue()
    on_workers = cluster.compute(lj.binary_cross_entropy(*read_in_tasks, compute=False)).result()
    assert on_workers == value


def test_a_worker_lost_mid_computation_changes_nothing(rng, cluster):
    """One of two workers dies while the blocks run; the scheduler runs its blocks again, and the value is the
    same to the bit."""
    y_true, y_pred = pointwise_values("log_cosh", rng, (2000,))
    slow_pred = da.from_array(y_pred, chunks=250).map_blocks(lambda block: (time.sleep(0.25), block)[1],
                                                             dtype=y_pred.dtype, meta=np.empty(0))
    lazy = lj.log_cosh(y_true, slow_pred, compute=False)
    expected = lazy.compute(scheduler="sync")
    future = cluster.compute(lazy)
    deadline = time.monotonic() + 30
    while not any(cluster.processing().values()) and time.monotonic() < deadline:
        time.sleep(0.02)
    victim = next(worker for worker, tasks in cluster.processing().items() if tasks)
    cluster.run(os._exit, 1, workers=[victim], on_error="ignore")  # its connection drops: no answer
    assert future.result(timeout=60) == expected
    cluster.wait_for_workers(2, timeout=60)


def test_workers_load_kernels_from_the_numba_cache(rng, cluster):
    """Workers load each kernel from Numba's on-disk cache (NUMBA_CACHE_DIR, which they inherit, or the
    checkout's __pycache__), once per process: Numba compiles nothing on them (its "numba:compile" event
    fires on compiling, not on loading from the cache)."""
    y_true, y_pred = pointwise_values("smooth_l1", rng, (4000,), np.float32)
    expected = lj.smooth_l1(y_true, y_pred)  # compiled here first if the cache was cold

    def record_compiles(dask_worker):
        from numba.core import event

        dask_worker.numba_compiles = event.RecordingListener()
        event.register("numba:compile", dask_worker.numba_compiles)

    def count_compiles(dask_worker):
        from numba.core import event

        event.unregister("numba:compile", dask_worker.numba_compiles)
        return len(dask_worker.numba_compiles.buffer)

    cluster.run(record_compiles)
    for chunks in (500, 400):
        lazy = lj.smooth_l1(y_true, da.from_array(y_pred, chunks=chunks), compute=False)
        assert_allclose(cluster.compute(lazy).result(), expected, rtol=1e-6)
    assert set(cluster.run(count_compiles).values()) == {0}


def test_import_lossjit_imports_no_dask():
    code = ("import sys, numpy, lossjit; lossjit.mse(numpy.ones(3), numpy.ones(3)); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
