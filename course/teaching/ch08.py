"""Exercise checks of chapter 08 (summary and trends): each says right or not yet, with a hint, never the answer."""

import math

import numpy as np

from .feedback import close, verdict

#: The sample of exercise 4 (the chapter's starter cell draws the same).
PINBALL_SAMPLE = np.random.default_rng(4).exponential(scale=2.0, size=1000)


def _softmax(logits, axis):
    shifted = np.exp(logits - logits.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def _call(function, *arguments):
    """``(function(*arguments) as a float array, None)``, or ``(None, why)`` if it is not callable, raises or
    gives no finite numbers."""
    if not callable(function):
        return None, "not a function yet"
    try:
        result = np.asarray(function(*arguments), dtype=float)
    except Exception as error:   # a student's function may fail in any way; the hint says what happened
        return None, f"it raised {type(error).__name__}: {error}"
    if not np.all(np.isfinite(result)):
        return None, "it returned a value that is not a finite number"
    return result, None


def check_smoothing_gap(predicted_gap, descended_gap):
    """Exercise 1: the optimal logit gap for label smoothing 0.2 over 5 classes, predicted from the formula
    (``predicted_gap``) and reached by gradient descent with ``lj.cross_entropy.grad`` (``descended_gap``,
    within 1e-4)."""
    smoothing, n_classes = 0.2, 5
    expected = math.log((1 - smoothing + smoothing / n_classes) / (smoothing / n_classes))
    if not close(predicted_gap, expected, rtol=1e-9):
        return verdict(False, "predicted_gap: the chapter's formula log((1 - eps + eps / C) / (eps / C)) with "
                              "eps = 0.2 and C = 5.")
    if not close(descended_gap, expected, rtol=0, atol=1e-4):
        return verdict(False, "descended_gap: start from np.zeros((1, 5)), step against lj.cross_entropy.grad("
                              "np.array([0]), logits, from_logits=True, label_smoothing=0.2) (learning rate 5, as "
                              "in the chapter) until the gap logits[0, 0] - logits[0, 1] stops changing.")
    return verdict(True, "")


def check_focal_ratio(ratio):
    """Exercise 2: with gamma = 2, how many times less an example at p_t = 0.9 counts, relative to its
    cross-entropy, than one at p_t = 0.5 (a number greater than 1)."""
    expected = (1 - 0.5) ** 2 / (1 - 0.9) ** 2
    if close(ratio, 1 / expected, rtol=1e-6):
        return verdict(False, "ratio: that is the inverse; 'how many times less' is a number above 1.")
    if not close(ratio, expected, rtol=1e-6):
        return verdict(False, "ratio: each example keeps the factor (1 - p_t)^gamma of its cross-entropy; "
                              "divide the factor at p_t = 0.5 by the factor at p_t = 0.9.")
    return verdict(True, "")


def check_symmetric_info_nce(loss, grad):
    """Exercise 3: ``loss(S)``, the symmetric InfoNCE of a square similarity matrix S (mean of the row-wise and
    the column-wise cross-entropy with labels 0..N-1), and ``grad(S)``, its gradient with respect to S.
    Both are tried on a matrix of the check's own."""
    similarities = np.random.default_rng(3).normal(size=(12, 12)) + 2.0 * np.eye(12)
    n = len(similarities)
    rows = -np.mean(np.log(np.diag(_softmax(similarities, axis=1))))
    columns = -np.mean(np.log(np.diag(_softmax(similarities, axis=0))))
    value, why = _call(loss, similarities)
    if value is None or value.size != 1:
        return verdict(False, f"loss ({why or 'not one number'}, on a 12 x 12 S): a function of S returning one "
                              "number, the mean of lj.cross_entropy(labels, S, from_logits=True) and the same on "
                              "S.T, with labels np.arange(len(S)).")
    if close(value, rows + columns, rtol=1e-9):
        return verdict(False, "loss: CLIP averages the two directions; you added them.")
    if close(value, rows, rtol=1e-9) or close(value, columns, rtol=1e-9):
        return verdict(False, "loss: that is one direction only; average the cross-entropy of the rows of S "
                              "and that of the rows of S.T.")
    if not close(value, 0.5 * (rows + columns), rtol=1e-9):
        return verdict(False, "loss: labels np.arange(N), from_logits=True, for S and for S.T.")
    gradient, why = _call(grad, similarities)
    eye = np.eye(n)
    row_part, column_part = (_softmax(similarities, axis=1) - eye) / n, (_softmax(similarities, axis=0) - eye) / n
    if gradient is None or gradient.shape != similarities.shape:
        return verdict(False, f"grad ({why or 'not an N x N array'}, on a 12 x 12 S): a function of S returning "
                              "an N x N array, from two calls of lj.cross_entropy.grad with labels np.arange(len(S)).")
    if np.allclose(gradient, 0.5 * (row_part + column_part.T), rtol=0, atol=1e-10) and \
            not np.allclose(column_part, column_part.T, rtol=0, atol=1e-10):
        return verdict(False, "grad: the gradient of the S.T term with respect to S.T must be transposed back.")
    if np.allclose(gradient, row_part + column_part, rtol=0, atol=1e-10):
        return verdict(False, "grad: the loss is the average of the two directions, so is its gradient.")
    if not np.allclose(gradient, 0.5 * (row_part + column_part), rtol=0, atol=1e-10):
        return verdict(False, "grad: compare each entry with a central finite difference "
                              "(loss(S + h E_ij) - loss(S - h E_ij)) / (2 h).")
    return verdict(True, "")


def check_pinball(pinball, minimiser):
    """Exercise 4: ``pinball(y, c, q)``, the mean pinball loss of the constant prediction c, and ``minimiser``,
    the constant minimising it at q = 0.9 on ``PINBALL_SAMPLE`` (any minimiser, to within 2e-3)."""
    sample = PINBALL_SAMPLE
    for q in (0.1, 0.5, 0.9):
        for c in (0.5, 2.0, 6.0):
            residual = sample - c
            expected = float(np.mean(np.maximum(q * residual, (q - 1) * residual)))
            value, why = _call(pinball, sample, c, q)
            if value is None or value.size != 1:
                return verdict(False, f"pinball ({why or 'not one number'}): a function of (y, c, q) returning the "
                                      "mean loss of the constant prediction c, one number.")
            if close(value, float(np.mean(np.maximum(q * -residual, (q - 1) * -residual))), rtol=1e-9) and \
                    not close(value, expected, rtol=1e-9):
                return verdict(False, "pinball: under-prediction (y above c) should cost q per unit; you have "
                                      "the residual's sign reversed.")
            if not close(value, expected, rtol=1e-9):
                return verdict(False, "pinball: np.mean(np.maximum(q * (y - c), (q - 1) * (y - c))); compare "
                                      "with lj.quantile(y, np.full_like(y, c), q=q).")
    ordered = np.sort(sample)
    k = int(np.ceil(0.9 * len(sample)))   # every c between the k-th and the (k + 1)-th value minimises it
    try:
        inside = ordered[k - 1] - 2e-3 <= float(minimiser) <= ordered[k] + 2e-3
    except (TypeError, ValueError):
        inside = False
    if not inside:
        return verdict(False, "minimiser: evaluate pinball(sample, c, 0.9) on a grid of c (step 1e-3 or finer) "
                              "and take the argmin; then compare it with np.quantile(sample, 0.9).")
    return verdict(True, "")


def check_base_rate(ece, accuracy, y_train, y_test):
    """Exercise 5: the expected calibration error (10 equal bins) and the accuracy, on ``y_test``, of the model
    that predicts the training set's fraction of positives, ``y_train.mean()``, for every example."""
    y_train, y_test = np.asarray(y_train, dtype=float), np.asarray(y_test, dtype=float)
    base_rate = float(y_train.mean())
    if close(ece, 0.0, rtol=0, atol=1e-12) and not close(abs(y_test.mean() - base_rate), 0.0, rtol=0, atol=1e-12):
        return verdict(False, "ece: on the training labels it would be 0; the exercise asks for the test labels.")
    if not close(ece, abs(float(y_test.mean()) - base_rate), rtol=1e-6, atol=1e-12):
        return verdict(False, "ece: every prediction falls in one bin; the ECE is the gap between that bin's "
                              "fraction of positives and its mean prediction (the chapter's expected_calibration_error "
                              "with np.full(len(y_test), base_rate)).")
    if not close(accuracy, float(np.mean((base_rate > 0.5) == y_test)), rtol=1e-9):
        return verdict(False, "accuracy: threshold the constant prediction at 0.5 and compare with y_test.")
    return verdict(True, "")
