"""Every documented input error: the right exception, naming the argument, raised before any kernel runs."""


import numpy as np
import pytest

import lossjit as lj
from checks import public_kernels, refuse_loss_kernels
from lossjit._config import BLOCK_SIZE, PARALLEL_THRESHOLD

POINTWISE = [
    pytest.param(lj.mse, {}, id="mse"),
    pytest.param(lj.mae, {}, id="mae"),
    pytest.param(lj.huber, {}, id="huber"),
    pytest.param(lj.binary_cross_entropy, {}, id="bce"),
    pytest.param(lj.binary_cross_entropy, {"from_logits": True}, id="bce-logits"),
]

Y = np.array([0.0, 1.0, 1.0, 0.0])
P = np.array([0.25, 0.5, 0.75, 0.5])
LOGITS = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
LABELS = np.array([2, 0])


class KernelRan(AssertionError):
    pass


@pytest.fixture(autouse=True)
def no_kernel_may_run(monkeypatch):
    """Every loss kernel, looked up to run, fails the test instead."""
    def refuse():
        raise KernelRan("a kernel ran before the input was rejected")

    assert public_kernels(), "no kernels found to guard"
    refuse_loss_kernels(monkeypatch, refuse)


def test_guard_catches_a_valid_call():
    with pytest.raises(KernelRan):
        lj.mse(Y, P)
    with pytest.raises(KernelRan):
        lj.cross_entropy(LABELS, LOGITS, from_logits=True)


# ---------------------------------------------------------------- every loss


@pytest.mark.parametrize("loss, options", POINTWISE)
def test_shapes_are_never_broadcast(loss, options):
    with pytest.raises(ValueError, match=r"y_true has shape \(4,\) but y_pred has shape \(4, 1\)"):
        loss(Y, P.reshape(4, 1), **options)
    with pytest.raises(ValueError, match="y_true.*y_pred"):
        loss(Y.reshape(4, 1), P, **options)
    with pytest.raises(ValueError, match="y_true.*y_pred"):
        loss.grad(Y[:3], P, **options)
    with pytest.raises(ValueError, match="y_true.*y_pred"):
        loss.hessian(Y, P.reshape(2, 2), **options)


@pytest.mark.parametrize("loss, options", POINTWISE)
def test_empty_arrays(loss, options):
    with pytest.raises(ValueError, match="y_pred is empty"):
        loss([], [], **options)
    with pytest.raises(ValueError, match="y_pred is empty"):
        loss.value_and_grad(np.zeros((3, 0)), np.zeros((3, 0)), **options)


@pytest.mark.parametrize("loss, options", POINTWISE)
@pytest.mark.parametrize("bad", [np.array(["a", "b", "c", "d"]), np.array([1, 2, 3, None], dtype=object),
                                 P.astype(complex), np.array([b"x"] * 4)], ids=["str", "object", "complex", "bytes"])
def test_non_numeric_dtypes(loss, options, bad):
    with pytest.raises(TypeError, match="y_true must hold real numbers"):
        loss(bad, P, **options)
    with pytest.raises(TypeError, match="y_pred must hold real numbers"):
        loss.grad(Y, bad, **options)
    with pytest.raises(TypeError, match="sample_weight must hold real numbers"):
        loss(Y, P, sample_weight=bad, **options)


@pytest.mark.parametrize("loss, options", POINTWISE)
@pytest.mark.parametrize("weights, message", [
    ([1.0, -1.0, 1.0, 1.0], "sample_weight must be finite and non-negative"),
    ([1.0, np.nan, 1.0, 1.0], "sample_weight must be finite and non-negative"),
    ([1.0, np.inf, 1.0, 1.0], "sample_weight must be finite and non-negative"),
    ([1.0, 1.0, 1.0], r"sample_weight has shape \(3,\)"),
    (np.ones((4, 1)), r"sample_weight has shape \(4, 1\)"),
    (np.zeros(4), "sample_weight sums to zero"),
])
def test_bad_sample_weight(loss, options, weights, message):
    with pytest.raises(ValueError, match=message):
        loss(Y, P, sample_weight=weights, **options)
    with pytest.raises(ValueError, match="sample_weight"):
        loss.value_and_grad(Y.reshape(2, 2), P.reshape(2, 2), sample_weight=np.reshape(weights, -1)[:3], **options)


def arrays_of(loss):
    """Y and P, and P again for each further array of a loss of several arrays (the checks below come first)."""
    return (Y, P) + (P,) * (len(getattr(loss, "inputs", ("y_true", "y_pred"))) - 2)


@pytest.mark.parametrize("loss", list(lj.losses.values()), ids=list(lj.losses))
@pytest.mark.parametrize("reduction", ["avg", "MEAN", None, "", 1])
def test_unknown_reduction(loss, reduction):
    with pytest.raises(ValueError, match="reduction must be one of"):
        loss(*arrays_of(loss), reduction=reduction)
    with pytest.raises(ValueError, match="reduction must be one of"):
        loss.value_and_grad(*arrays_of(loss), reduction=reduction)


@pytest.mark.parametrize("loss", list(lj.losses.values()), ids=list(lj.losses))
def test_unknown_keyword_option(loss):
    with pytest.raises(TypeError, match="unexpected keyword argument.*'no_such_option'"):
        loss(*arrays_of(loss), no_such_option=1)
    with pytest.raises(TypeError, match="no_such_option"):
        loss.grad(*arrays_of(loss), no_such_option=1)


def test_options_of_one_loss_are_unknown_to_another():
    with pytest.raises(TypeError, match="'delta'"):
        lj.mse(Y, P, delta=1.0)
    with pytest.raises(TypeError, match="'from_logits'"):
        lj.huber(Y, P, from_logits=True)
    with pytest.raises(TypeError, match="'axis'"):
        lj.binary_cross_entropy(Y, P, axis=0)
    with pytest.raises(TypeError):
        lj.mse(Y, P, 1.0)  # sample_weight is keyword-only


# ---------------------------------------------------------------- regression and binary options


@pytest.mark.parametrize("delta, error", [(0, ValueError), (-1.0, ValueError), (np.nan, ValueError),
                                          (np.inf, ValueError), ("1", TypeError), (None, TypeError),
                                          (True, TypeError), ([1.0], TypeError)])
def test_bad_delta(delta, error):
    with pytest.raises(error, match="delta"):
        lj.huber(Y, P, delta=delta)
    with pytest.raises(error, match="delta"):
        lj.huber.hessian(Y, P, delta=delta)


@pytest.mark.parametrize("options", [{}, {"from_logits": True}], ids=["probabilities", "logits"])
def test_bce_targets_outside_unit_interval(options):
    for bad in ([0.0, 1.5, 1.0, 0.0], [-0.1, 1.0, 1.0, 0.0]):
        with pytest.raises(ValueError, match=r"y_true must lie in \[0, 1\]"):
            lj.binary_cross_entropy(bad, P, **options)


def test_bce_probabilities_outside_unit_interval():
    for bad in ([0.5, 1.01, 0.5, 0.5], [-1e-9, 0.5, 0.5, 0.5], [np.inf, 0.5, 0.5, 0.5]):
        with pytest.raises(ValueError, match=r"y_pred must lie in \[0, 1\]"):
            lj.binary_cross_entropy.grad(Y, bad)
    with pytest.raises(KernelRan):  # logits may be any real number
        lj.binary_cross_entropy(Y, [5.0, -3.0, 0.5, 2.0], from_logits=True)


@pytest.mark.parametrize("n", [1000, PARALLEL_THRESHOLD + 5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_range_check_finds_one_bad_value_anywhere(n, dtype):
    """The [0, 1] check counts in parallel blocks from PARALLEL_THRESHOLD elements: a single value
    outside, at either end or on either side of a block edge, is found (and NaN is not counted)."""
    probabilities = np.full(n, 0.5, dtype)
    probabilities[1] = np.nan
    for position in sorted({0, BLOCK_SIZE - 1, BLOCK_SIZE, n - 1} & set(range(n))):
        bad = probabilities.copy()
        bad[position] = 1.5 if position % 2 else -0.5
        with pytest.raises(ValueError, match=r"y_pred must lie in \[0, 1\]"):
            lj.binary_cross_entropy(probabilities, bad)
    with pytest.raises(KernelRan):
        lj.binary_cross_entropy(probabilities, probabilities)


# ---------------------------------------------------------------- softmax cross-entropy


@pytest.mark.parametrize("labels, message", [
    ([2, 3], r"y_true class indices must lie in \[0, 3\)"),
    ([-1, 0], r"y_true class indices must lie in \[0, 3\)"),
    ([0.0, 1.5], "y_true holds class indices.*integers"),
    ([0.0, np.nan], "y_true holds class indices.*integers"),
    ([0.0, np.inf], "y_true holds class indices.*integers"),
])
def test_bad_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        lj.cross_entropy(labels, LOGITS, from_logits=True)


def test_bool_labels_and_ignore_index_out_of_range():
    with pytest.raises(TypeError, match="y_true class indices must be integers, got bool"):
        lj.cross_entropy(np.array([True, False]), LOGITS, from_logits=True)
    with pytest.raises(ValueError, match="y_true class indices"):
        lj.cross_entropy([-100, 5], LOGITS, from_logits=True)
    with pytest.raises(KernelRan):  # -100 is ignored, so it is not out of range
        lj.cross_entropy([-100, 2], LOGITS, from_logits=True)


@pytest.mark.parametrize("y_true", [np.zeros(3, int), np.zeros((2, 1), int), np.zeros((2, 4)), np.zeros((3, 2))],
                         ids=["labels-3", "labels-2x1", "probs-2x4", "probs-3x2"])
def test_y_true_of_the_wrong_shape(y_true):
    with pytest.raises(ValueError, match=r"y_true has shape .* class indices of shape \(2,\)"):
        lj.cross_entropy(y_true, LOGITS, from_logits=True)


def test_cross_entropy_probabilities_outside_unit_interval():
    probabilities = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    with pytest.raises(ValueError, match=r"y_pred must lie in \[0, 1\]"):
        lj.cross_entropy(LABELS, LOGITS)  # from_logits=False: logits are not probabilities
    with pytest.raises(ValueError, match=r"y_true must lie in \[0, 1\]"):
        lj.cross_entropy(probabilities * 2, probabilities)
    with pytest.raises(ValueError, match=r"y_true must lie in \[0, 1\]"):
        lj.cross_entropy(-probabilities, LOGITS, from_logits=True)


def test_cross_entropy_empty_and_scalar():
    with pytest.raises(ValueError, match="y_pred is empty"):
        lj.cross_entropy(np.zeros(0, int), np.zeros((0, 3)), from_logits=True)
    with pytest.raises(ValueError, match="y_pred is empty"):
        lj.cross_entropy(np.zeros(2, int), np.zeros((2, 0)), from_logits=True)
    with pytest.raises(ValueError, match="y_pred must have a class axis"):
        lj.cross_entropy(0, 1.0, from_logits=True)


@pytest.mark.parametrize("axis", [2, -3, 1.0, "1", True, None])
def test_bad_axis(axis):
    with pytest.raises(ValueError, match=r"axis must be an integer in \[-2, 2\)"):
        lj.cross_entropy(LABELS, LOGITS, from_logits=True, axis=axis)


@pytest.mark.parametrize("class_weight, error, message", [
    ([1.0, 2.0], ValueError, r"class_weight must have shape \(3,\)"),
    ([[1.0, 2.0, 3.0]], ValueError, r"class_weight must have shape \(3,\)"),
    ([1.0, -2.0, 3.0], ValueError, "class_weight must be finite and non-negative"),
    ([1.0, np.nan, 3.0], ValueError, "class_weight must be finite and non-negative"),
    ([1.0, np.inf, 3.0], ValueError, "class_weight must be finite and non-negative"),
    (np.ones(3, complex), TypeError, "class_weight must hold real numbers"),
    (["a", "b", "c"], TypeError, "class_weight must hold real numbers"),
])
def test_bad_class_weight(class_weight, error, message):
    with pytest.raises(error, match=message):
        lj.cross_entropy(LABELS, LOGITS, from_logits=True, class_weight=class_weight)


@pytest.mark.parametrize("label_smoothing, error", [(-0.1, ValueError), (1.5, ValueError), (np.nan, ValueError),
                                                    ("0.1", TypeError), (None, TypeError)])
def test_bad_label_smoothing(label_smoothing, error):
    with pytest.raises(error, match="label_smoothing"):
        lj.cross_entropy(LABELS, LOGITS, from_logits=True, label_smoothing=label_smoothing)


@pytest.mark.parametrize("ignore_index", [1.5, "x", None, True, 2**70])
@pytest.mark.parametrize("targets", ["labels", "probabilities"])
def test_bad_ignore_index(ignore_index, targets):
    y_true = LABELS if targets == "labels" else np.eye(3)[LABELS]
    with pytest.raises(TypeError, match="ignore_index must be an integer"):
        lj.cross_entropy(y_true, LOGITS, from_logits=True, ignore_index=ignore_index)


@pytest.mark.parametrize("weights, message", [
    (np.ones((2, 3)), r"sample_weight has shape \(2, 3\)"),
    (np.ones(3), r"sample_weight has shape \(3,\)"),
    ([1.0, -1.0], "sample_weight must be finite and non-negative"),
    (np.array([1j, 1]), "sample_weight must hold real numbers"),
])
def test_cross_entropy_bad_sample_weight(weights, message):
    with pytest.raises((ValueError, TypeError), match=message):
        lj.cross_entropy(LABELS, LOGITS, from_logits=True, sample_weight=weights)


def test_cross_entropy_non_numeric():
    with pytest.raises(TypeError, match="y_pred must hold real numbers"):
        lj.cross_entropy(LABELS, LOGITS.astype(complex), from_logits=True)
    with pytest.raises(TypeError, match="y_true must hold real numbers"):
        lj.cross_entropy(np.array(["2", "0"]), LOGITS, from_logits=True)
    with pytest.raises(TypeError, match="y_true must hold real numbers"):
        lj.cross_entropy(np.array([2, None], dtype=object), LOGITS, from_logits=True)


# ---------------------------------------------------------------- integers beyond int64, ragged lists, zero weights

#: A uint64 label that NumPy's cast to int64 wraps to -100, the default ignore_index.
BEYOND = 2**64 - 100
SCORES = np.zeros((5, 2, 4))  # ctc's (T, N, C)
TOKENS = np.zeros((2, 3, 4))  # sequence_cross_entropy's (N, T, C)
RAGGED = [[1.0, 2.0], [3.0]]


def uint64(values):
    return np.array(values, np.uint64)


@pytest.mark.parametrize("call, name", [
    (lambda: lj.cross_entropy(uint64([BEYOND, 0]), LOGITS, from_logits=True), "y_true"),
    (lambda: lj.cross_entropy.grad(uint64([BEYOND, 0]), LOGITS, from_logits=True, ignore_index=0), "y_true"),
    (lambda: lj.sequence_cross_entropy(uint64([[BEYOND, 0, 1], [0, 1, 2]]), TOKENS), "y_true"),
    (lambda: lj.sequence_cross_entropy(uint64([[BEYOND, 0, 1], [0, 1, 2]]), TOKENS, mask=np.ones((2, 3))), "y_true"),
    (lambda: lj.dice(uint64([[BEYOND, 0]]), np.full((1, 3, 2), 0.5)), "y_true"),
    (lambda: lj.ctc(uint64([[1, BEYOND], [1, 2]]), SCORES), "y_true"),
    (lambda: lj.ctc(uint64([1, BEYOND, 1, 2]), SCORES, target_lengths=[2, 2]), "y_true"),
    (lambda: lj.ctc([[1, 2], [1, 2]], SCORES, target_lengths=uint64([BEYOND, 2])), "target_lengths"),
    (lambda: lj.ctc([[1, 2], [1, 2]], SCORES, input_lengths=uint64([BEYOND, 2])), "input_lengths"),
], ids=["cross_entropy", "cross_entropy-grad", "sequence_cross_entropy", "sequence_cross_entropy-mask", "dice",
        "ctc-targets", "ctc-concatenated", "ctc-target_lengths", "ctc-input_lengths"])
def test_uint64_beyond_int64_is_an_error_naming_the_argument(call, name):
    """NumPy's cast to int64 would wrap the value (to the ignore_index -100 here): refused, value shown exactly."""
    with pytest.raises(ValueError, match=rf"^{name} .*{BEYOND}"):
        call()


def test_float_labels_beyond_int64():
    with pytest.raises(ValueError, match=r"y_true holds values up to 1e\+20, beyond int64"):
        lj.cross_entropy([1e20, 0.0], LOGITS, from_logits=True, ignore_index=-2**63)  # the cast gives -2**63
    with pytest.raises(ValueError, match=r"y_true holds values down to -1e\+20, beyond int64"):
        lj.cross_entropy([-1e20, 0.0], LOGITS, from_logits=True)
    with pytest.raises(ValueError, match=r"target_lengths holds values up to 1e\+19, beyond int64"):
        lj.ctc([[1, 2], [1, 2]], SCORES, target_lengths=[1e19, 2.0])


def test_ragged_lists_name_the_argument():
    with pytest.raises(ValueError, match="y_true is ragged.*not a rectangular array of numbers") as error:
        lj.mse(RAGGED, RAGGED)
    assert "inhomogeneous" in str(error.value.__cause__)  # NumPy's message is kept as the cause
    with pytest.raises(ValueError, match="y_pred is ragged"):
        lj.mse.grad(np.ones((2, 2)), RAGGED)
    with pytest.raises(ValueError, match="sample_weight is ragged"):
        lj.mse(np.ones((2, 2)), np.ones((2, 2)), sample_weight=RAGGED)
    with pytest.raises(ValueError, match="y_pred is ragged"):
        lj.huber.hessian(np.ones((2, 2)), RAGGED)
    with pytest.raises(ValueError, match="y_true is ragged"):
        lj.cross_entropy([[0, 1], [2]], LOGITS, from_logits=True)
    with pytest.raises(ValueError, match="y_pred is ragged"):
        lj.cross_entropy(LABELS, [[1.0, 2.0, 0.5], [0.0, -1.0]], from_logits=True)
    with pytest.raises(ValueError, match="sample_weight is ragged"):
        lj.cross_entropy(LABELS, LOGITS, from_logits=True, sample_weight=RAGGED)
    with pytest.raises(ValueError, match="class_weight is ragged"):
        lj.cross_entropy(LABELS, LOGITS, from_logits=True, class_weight=[[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match="alpha is ragged"):
        lj.softmax_focal(LABELS, LOGITS, from_logits=True, alpha=[[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match="mask is ragged"):
        lj.sequence_cross_entropy(np.zeros((2, 3), int), TOKENS, mask=[[1, 1, 1], [1, 1]])
    with pytest.raises(ValueError, match="y_true is ragged"):
        lj.ctc([[1, 2], [1]], SCORES)
    with pytest.raises(ValueError, match="input_lengths is ragged"):
        lj.ctc([[1, 2], [1, 2]], SCORES, input_lengths=[[5], [5, 5]])
    with pytest.raises(ValueError, match="y_true is ragged"):
        lj.check_grad(lj.mse, RAGGED, np.ones((2, 2)))


def test_object_arrays_and_strings_stay_type_errors():
    with pytest.raises(TypeError, match="y_true must hold real numbers"):
        lj.mse(np.array([[1.0, 2.0], [3.0]], dtype=object), np.ones(2))
    with pytest.raises(TypeError, match="y_pred must hold real numbers"):
        lj.mse(np.ones(2), ["1", "2"])
    with pytest.raises(TypeError, match="class_weight must hold real numbers"):
        lj.cross_entropy(LABELS, LOGITS, from_logits=True, class_weight=np.array([1, [2, 3], 4], dtype=object))
    with pytest.raises(TypeError, match="alpha must"):
        lj.softmax_focal(LABELS, LOGITS, from_logits=True, alpha="0.5")


@pytest.mark.parametrize("call", [
    lambda: lj.mse(Y, P, sample_weight=np.zeros(4)),
    lambda: lj.mse.hessian(Y, P, sample_weight=np.zeros(4)),
    lambda: lj.cross_entropy(LABELS, LOGITS, from_logits=True, sample_weight=np.zeros(2)),
    lambda: lj.softmax_focal.grad(LABELS, LOGITS, from_logits=True, sample_weight=np.zeros(2)),
    lambda: lj.sequence_cross_entropy(np.zeros((2, 3), int), TOKENS, sample_weight=np.zeros(2)),
    lambda: lj.dice(np.zeros((2, 4), int), np.full((2, 3, 4), 0.5), sample_weight=np.zeros(2)),
    lambda: lj.ctc([[1, 2], [1, 2]], SCORES, sample_weight=np.zeros(2)),
], ids=["mse", "mse-hessian", "cross_entropy", "softmax_focal", "sequence_cross_entropy", "dice", "ctc"])
def test_zero_sample_weight_has_no_mean(call):
    """Only the mean divides by the weights' sum; "sum" and "none" are in test_validation_conformance.py."""
    with pytest.raises(ValueError, match="sample_weight sums to zero, so the weighted mean is undefined"):
        call()
