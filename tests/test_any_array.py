"""The row losses take read-only, memory-mapped and non-contiguous arrays, with the results of ordinary
ones to the bit, and compile one signature per kernel and dtype (lossjit._kernels.typed)."""

from functools import partial

import numba
import numpy as np
import pytest
from numpy.testing import assert_array_equal

import lossjit as lj
from lossjit import _validation
from lossjit._config import PARALLEL_THRESHOLD
from lossjit._kernels.ctc import ctc_loss
from lossjit._kernels.dice import dice_loss
from lossjit._kernels.softmax import softmax_cross_entropy
from lossjit._kernels.softmax_focal import softmax_focal

DTYPES = [np.float32, np.float64]
REDUCTIONS = ("mean", "sum", "none")


def softmax(logits, axis=-1):
    e = np.exp(logits - logits.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def cross_entropy_case(rng, dtype, targets, inputs, n_rows=6):
    """(loss, y_true, y_pred, sample_weight, options) of cross_entropy, with class weights and smoothing."""
    n_classes = 5
    logits = rng.normal(size=(n_rows, n_classes))
    y_true = (rng.integers(0, n_classes, n_rows) if targets == "indices"
              else softmax(rng.normal(size=logits.shape)).astype(dtype))
    if targets == "indices":
        y_true[1] = -100  # ignored
    y_pred = logits if inputs == "logits" else softmax(logits)
    options = {"from_logits": inputs == "logits", "class_weight": rng.uniform(0.5, 2, n_classes).astype(dtype),
               "label_smoothing": 0.1}
    return lj.cross_entropy, y_true, y_pred.astype(dtype), rng.uniform(0, 2, n_rows).astype(dtype), options


def softmax_focal_case(rng, dtype, targets, inputs):
    n_rows, n_classes = 6, 4
    logits = rng.normal(size=(n_rows, n_classes))
    y_true = (rng.integers(0, n_classes, n_rows) if targets == "indices"
              else softmax(rng.normal(size=logits.shape)).astype(dtype))
    y_pred = logits if inputs == "logits" else softmax(logits)
    options = {"from_logits": inputs == "logits", "alpha": rng.uniform(0.2, 1, n_classes).astype(dtype)}
    return lj.softmax_focal, y_true, y_pred.astype(dtype), rng.uniform(0, 2, n_rows).astype(dtype), options


def sequence_cross_entropy_case(rng, dtype):
    n_sequences, n_steps, n_classes = 3, 4, 5
    mask = np.ones((n_sequences, n_steps), np.int64)
    mask[0, 3:] = mask[2, 2:] = 0
    options = {"mask": mask, "class_weight": rng.uniform(0.5, 2, n_classes).astype(dtype)}
    logits = rng.normal(size=(n_sequences, n_steps, n_classes)).astype(dtype)
    return (lj.sequence_cross_entropy, rng.integers(0, n_classes, (n_sequences, n_steps)), logits,
            rng.uniform(0, 2, n_sequences).astype(dtype), options)


def dice_case(rng, dtype, targets):
    n_samples, n_classes = 3, 4
    logits = rng.normal(size=(n_samples, n_classes, 5, 6))
    weights = rng.uniform(0, 2, n_samples).astype(dtype)
    if targets == "indices":  # against logits
        labels = rng.integers(0, n_classes, (n_samples, 5, 6))
        return lj.dice, labels, logits.astype(dtype), weights, {"from_logits": True}
    y_true = softmax(rng.normal(size=logits.shape), axis=1).astype(dtype)
    return lj.dice, y_true, softmax(logits, axis=1).astype(dtype), weights, {}


def ctc_case(rng, dtype, inputs):
    n_steps, n_samples, n_classes = 8, 3, 5
    logits = rng.normal(size=(n_steps, n_samples, n_classes))
    y_pred = logits if inputs == "logits" else logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    options = {"input_lengths": np.array([8, 6, 7]), "target_lengths": np.array([3, 1, 2]),
               "from_logits": inputs == "logits"}
    return (lj.ctc, rng.integers(1, n_classes, (n_samples, 3)), y_pred.astype(dtype),
            rng.uniform(0, 2, n_samples).astype(dtype), options)


#: name -> case(rng, dtype)
CASES = {
    "cross_entropy indices logits": partial(cross_entropy_case, targets="indices", inputs="logits"),
    "cross_entropy indices probabilities": partial(cross_entropy_case, targets="indices", inputs="probabilities"),
    "cross_entropy probabilities logits": partial(cross_entropy_case, targets="probabilities", inputs="logits"),
    "cross_entropy probabilities probabilities":
        partial(cross_entropy_case, targets="probabilities", inputs="probabilities"),
    "cross_entropy in parallel":  # the prange loops, and the parallel range check of the probabilities
        partial(cross_entropy_case, targets="probabilities", inputs="probabilities",
                n_rows=PARALLEL_THRESHOLD // 5 + 7),
    "softmax_focal indices logits": partial(softmax_focal_case, targets="indices", inputs="logits"),
    "softmax_focal probabilities probabilities":
        partial(softmax_focal_case, targets="probabilities", inputs="probabilities"),
    "sequence_cross_entropy": sequence_cross_entropy_case,
    "dice indices logits": partial(dice_case, targets="indices"),
    "dice probabilities": partial(dice_case, targets="probabilities"),
    "ctc logits": partial(ctc_case, inputs="logits"),
    "ctc log-probabilities": partial(ctc_case, inputs="log-probabilities"),
}


def read_only(array, tmp_path, name):
    copy = array.copy()
    copy.flags.writeable = False
    return copy


def memory_mapped(array, tmp_path, name):
    path = tmp_path / f"{name}.npy"
    np.save(path, array)
    return np.load(path, mmap_mode="r")


def strided(array, tmp_path, name):
    """A view of every other element of a twice-as-long last axis: not contiguous."""
    wide = np.zeros(array.shape + (2,), array.dtype)
    wide[..., 0] = array
    view = wide[..., 0]
    assert not view.flags.c_contiguous or view.size <= 1
    return view


def read_only_int32(array, tmp_path, name):
    """Read-only, integers as int32 (converted to int64 before the kernels)."""
    return read_only(array.astype(np.int32) if array.dtype.kind == "i" else array, tmp_path, name)


VARIANTS = [read_only, memory_mapped, strided, read_only_int32]


def every_result(loss, y_true, y_pred, sample_weight, options):
    """The loss, grad and value_and_grad of every reduction."""
    results = []
    for reduction in REDUCTIONS:
        kwargs = {"sample_weight": sample_weight, "reduction": reduction, **options}
        results += [loss(y_true, y_pred, **kwargs), loss.grad(y_true, y_pred, **kwargs),
                    *loss.value_and_grad(y_true, y_pred, **kwargs)]
    return results


def run_case(case, dtype, variant, tmp_path):
    """(results on ordinary arrays, results on the variant's arrays) of one case."""
    loss, y_true, y_pred, sample_weight, options = CASES[case](np.random.default_rng(5), dtype)
    expected = every_result(loss, y_true, y_pred, sample_weight, options)
    arrays = {"y_true": y_true, "y_pred": y_pred, "sample_weight": sample_weight,
              **{name: value for name, value in options.items() if isinstance(value, np.ndarray)}}
    changed = {name: variant(value, tmp_path, name) for name, value in arrays.items()}
    actual = every_result(loss, changed.pop("y_true"), changed.pop("y_pred"), changed.pop("sample_weight"),
                          {**options, **changed})
    return expected, actual


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda variant: variant.__name__)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_results_equal_those_of_writeable_arrays_to_the_bit(case, dtype, variant, tmp_path):
    expected, actual = run_case(case, dtype, variant, tmp_path)
    for got, want in zip(actual, expected):
        assert got.dtype == want.dtype == dtype
        assert_array_equal(got, want)
        assert np.asarray(got).tobytes() == np.asarray(want).tobytes()  # -0.0 too


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="nothing compiles without the JIT")
def test_one_compiled_signature_per_kernel_and_dtype(tmp_path):
    """After every case in every dtype and variant, each kernel holds one signature per dtype: read-only,
    memory-mapped and writeable arrays share it."""
    for case in CASES:
        for dtype in DTYPES:
            for variant in VARIANTS:
                folder = tmp_path / f"{case} {np.dtype(dtype)} {variant.__name__}"  # no file is written twice
                folder.mkdir()
                run_case(case, dtype, variant, folder)
    floats = {np.dtype(np.float32), np.dtype(np.float64)}
    expected_dtypes = {
        softmax_cross_entropy: floats, softmax_focal: floats, dice_loss: floats, ctc_loss: floats,
        _validation.label_weight_total: floats, _validation.count_outside: floats,
        _validation.count_outside_serial: floats,
        _validation.label_range: {np.dtype(np.int64)}, _validation.count_equal: {np.dtype(np.int64)},
    }
    for kernel, dtypes in expected_dtypes.items():
        assert dtypes <= set(kernel.compiled_dtypes()), kernel
        for dtype in kernel.compiled_dtypes():
            for function in kernel.compiled_functions(dtype):  # the kernel and its blocks
                assert len(function.signatures) == 1, (kernel, dtype, function.signatures)
