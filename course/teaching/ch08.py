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
    """``(function(*arguments) as a float array, None, None)``, or ``(None, why, why_zh)``, the reason in English
    and in Chinese, if it is not callable, raises or gives no finite numbers."""
    if not callable(function):
        return None, "not a function yet", "还不是函数"
    try:
        result = np.asarray(function(*arguments), dtype=float)
    except Exception as error:   # a student's function may fail in any way; the hint says what happened
        return (None, f"it raised {type(error).__name__}: {error}",
                f"它抛出了 {type(error).__name__}：{error}")
    if not np.all(np.isfinite(result)):
        return None, "it returned a value that is not a finite number", "它返回的值不是有限的数"
    return result, None, None


def check_smoothing_gap(predicted_gap, descended_gap):
    """Exercise 1: the optimal logit gap for label smoothing 0.2 over 5 classes, predicted from the formula
    (``predicted_gap``) and reached by gradient descent with ``lj.cross_entropy.grad`` (``descended_gap``,
    within 1e-4)."""
    smoothing, n_classes = 0.2, 5
    expected = math.log((1 - smoothing + smoothing / n_classes) / (smoothing / n_classes))
    if not close(predicted_gap, expected, rtol=1e-9):
        return verdict(False, "predicted_gap: the chapter's formula log((1 - eps + eps / C) / (eps / C)) with "
                              "eps = 0.2 and C = 5.",
                              "predicted_gap：本章的公式 log((1 - eps + eps / C) / (eps / C))，其中 eps = 0.2，C = 5。")
    if not close(descended_gap, expected, rtol=0, atol=1e-4):
        return verdict(False, "descended_gap: start from np.zeros((1, 5)), step against lj.cross_entropy.grad("
                              "np.array([0]), logits, from_logits=True, label_smoothing=0.2) (learning rate 5, as "
                              "in the chapter) until the gap logits[0, 0] - logits[0, 1] stops changing.",
                              "descended_gap：从 np.zeros((1, 5)) 出发，沿 lj.cross_entropy.grad(np.array([0]), "
                              "logits, from_logits=True, label_smoothing=0.2) 的反方向迈步（学习率 5，与本章相同），"
                              "直到差值 logits[0, 0] - logits[0, 1] 不再变化。")
    return verdict(True, "", "")


def check_focal_ratio(ratio):
    """Exercise 2: with gamma = 2, how many times less an example at p_t = 0.9 counts, relative to its
    cross-entropy, than one at p_t = 0.5 (a number greater than 1)."""
    expected = (1 - 0.5) ** 2 / (1 - 0.9) ** 2
    if close(ratio, 1 / expected, rtol=1e-6):
        return verdict(False, "ratio: that is the inverse; 'how many times less' is a number above 1.",
                              "ratio：这是倒数；“少算多少倍”是一个大于 1 的数。")
    if not close(ratio, expected, rtol=1e-6):
        return verdict(False, "ratio: each example keeps the factor (1 - p_t)^gamma of its cross-entropy; "
                              "divide the factor at p_t = 0.5 by the factor at p_t = 0.9.",
                              "ratio：每个样本保留其交叉熵的 (1 - p_t)^gamma 倍；用 p_t = 0.5 处的因子除以 p_t = 0.9 "
                              "处的因子。")
    return verdict(True, "", "")


def check_symmetric_info_nce(loss, grad):
    """Exercise 3: ``loss(S)``, the symmetric InfoNCE of a square similarity matrix S (mean of the row-wise and
    the column-wise cross-entropy with labels 0..N-1), and ``grad(S)``, its gradient with respect to S.
    Both are tried on a matrix of the check's own."""
    similarities = np.random.default_rng(3).normal(size=(12, 12)) + 2.0 * np.eye(12)
    n = len(similarities)
    rows = -np.mean(np.log(np.diag(_softmax(similarities, axis=1))))
    columns = -np.mean(np.log(np.diag(_softmax(similarities, axis=0))))
    value, why, why_zh = _call(loss, similarities)
    if value is None or value.size != 1:
        return verdict(False, f"loss ({why or 'not one number'}, on a 12 x 12 S): a function of S returning one "
                              "number, the mean of lj.cross_entropy(labels, S, from_logits=True) and the same on "
                              "S.T, with labels np.arange(len(S)).",
                              f"loss（{why_zh or '不是一个数'}，在 12 x 12 的 S 上）：应是 S 的函数，返回一个数，"
                              "即 lj.cross_entropy(labels, S, from_logits=True) 与在 S.T 上同样计算的结果的平均，"
                              "标签为 np.arange(len(S))。")
    if close(value, rows + columns, rtol=1e-9):
        return verdict(False, "loss: CLIP averages the two directions; you added them.",
                              "loss：CLIP 对两个方向取平均；你把它们加起来了。")
    if close(value, rows, rtol=1e-9) or close(value, columns, rtol=1e-9):
        return verdict(False, "loss: that is one direction only; average the cross-entropy of the rows of S "
                              "and that of the rows of S.T.",
                              "loss：这只是一个方向；要把 S 各行的交叉熵与 S.T 各行的交叉熵取平均。")
    if not close(value, 0.5 * (rows + columns), rtol=1e-9):
        return verdict(False, "loss: labels np.arange(N), from_logits=True, for S and for S.T.",
                              "loss：标签为 np.arange(N)，from_logits=True，S 和 S.T 都要算。")
    gradient, why, why_zh = _call(grad, similarities)
    eye = np.eye(n)
    row_part, column_part = (_softmax(similarities, axis=1) - eye) / n, (_softmax(similarities, axis=0) - eye) / n
    if gradient is None or gradient.shape != similarities.shape:
        return verdict(False, f"grad ({why or 'not an N x N array'}, on a 12 x 12 S): a function of S returning "
                              "an N x N array, from two calls of lj.cross_entropy.grad with labels np.arange(len(S)).",
                              f"grad（{why_zh or '不是 N x N 数组'}，在 12 x 12 的 S 上）：应是 S 的函数，"
                              "返回 N x N 数组，由两次调用 lj.cross_entropy.grad 得到，标签为 np.arange(len(S))。")
    if np.allclose(gradient, 0.5 * (row_part + column_part.T), rtol=0, atol=1e-10) and \
            not np.allclose(column_part, column_part.T, rtol=0, atol=1e-10):
        return verdict(False, "grad: the gradient of the S.T term with respect to S.T must be transposed back.",
                              "grad：S.T 那一项对 S.T 的梯度必须再转置回来。")
    if np.allclose(gradient, row_part + column_part, rtol=0, atol=1e-10):
        return verdict(False, "grad: the loss is the average of the two directions, so is its gradient.",
                              "grad：损失是两个方向的平均，它的梯度也是。")
    if not np.allclose(gradient, 0.5 * (row_part + column_part), rtol=0, atol=1e-10):
        return verdict(False, "grad: compare each entry with a central finite difference "
                              "(loss(S + h E_ij) - loss(S - h E_ij)) / (2 h).",
                              "grad：把每个元素与中心有限差分 (loss(S + h E_ij) - loss(S - h E_ij)) / (2 h) 比较。")
    return verdict(True, "", "")


def check_pinball(pinball, minimiser):
    """Exercise 4: ``pinball(y, c, q)``, the mean pinball loss of the constant prediction c, and ``minimiser``,
    the constant minimising it at q = 0.9 on ``PINBALL_SAMPLE`` (any minimiser, to within 2e-3)."""
    sample = PINBALL_SAMPLE
    for q in (0.1, 0.5, 0.9):
        for c in (0.5, 2.0, 6.0):
            residual = sample - c
            expected = float(np.mean(np.maximum(q * residual, (q - 1) * residual)))
            value, why, why_zh = _call(pinball, sample, c, q)
            if value is None or value.size != 1:
                return verdict(False, f"pinball ({why or 'not one number'}): a function of (y, c, q) returning the "
                                      "mean loss of the constant prediction c, one number.",
                                      f"pinball（{why_zh or '不是一个数'}）：应是 (y, c, q) 的函数，"
                                      "返回常数预测 c 的平均损失，一个数。")
            if close(value, float(np.mean(np.maximum(q * -residual, (q - 1) * -residual))), rtol=1e-9) and \
                    not close(value, expected, rtol=1e-9):
                return verdict(False, "pinball: under-prediction (y above c) should cost q per unit; you have "
                                      "the residual's sign reversed.",
                                      "pinball：预测偏低（y 高于 c）时每单位的代价应为 q；你把残差的符号弄反了。")
            if not close(value, expected, rtol=1e-9):
                return verdict(False, "pinball: np.mean(np.maximum(q * (y - c), (q - 1) * (y - c))); compare "
                                      "with lj.quantile(y, np.full_like(y, c), q=q).",
                                      "pinball：np.mean(np.maximum(q * (y - c), (q - 1) * (y - c)))；与 "
                                      "lj.quantile(y, np.full_like(y, c), q=q) 比较。")
    ordered = np.sort(sample)
    k = int(np.ceil(0.9 * len(sample)))   # every c between the k-th and the (k + 1)-th value minimises it
    try:
        inside = ordered[k - 1] - 2e-3 <= float(minimiser) <= ordered[k] + 2e-3
    except (TypeError, ValueError):
        inside = False
    if not inside:
        return verdict(False, "minimiser: evaluate pinball(sample, c, 0.9) on a grid of c (step 1e-3 or finer) "
                              "and take the argmin; then compare it with np.quantile(sample, 0.9).",
                              "minimiser：在 c 的网格上（步长 1e-3 或更细）计算 pinball(sample, c, 0.9)，取 argmin；"
                              "再与 np.quantile(sample, 0.9) 比较。")
    return verdict(True, "", "")


def check_base_rate(ece, accuracy, y_train, y_test):
    """Exercise 5: the expected calibration error (10 equal bins) and the accuracy, on ``y_test``, of the model
    that predicts the training set's fraction of positives, ``y_train.mean()``, for every example."""
    y_train, y_test = np.asarray(y_train, dtype=float), np.asarray(y_test, dtype=float)
    base_rate = float(y_train.mean())
    if close(ece, 0.0, rtol=0, atol=1e-12) and not close(abs(y_test.mean() - base_rate), 0.0, rtol=0, atol=1e-12):
        return verdict(False, "ece: on the training labels it would be 0; the exercise asks for the test labels.",
                              "ece：在训练标签上它会是 0；练习要的是测试标签上的值。")
    if not close(ece, abs(float(y_test.mean()) - base_rate), rtol=1e-6, atol=1e-12):
        return verdict(False, "ece: every prediction falls in one bin; the ECE is the gap between that bin's "
                              "fraction of positives and its mean prediction (the chapter's expected_calibration_error "
                              "with np.full(len(y_test), base_rate)).",
                              "ece：所有预测都落在同一个区间；ECE 就是该区间内正样本的比例与其平均预测之间的差距（即本"
                              "章的 expected_calibration_error 配上 np.full(len(y_test), base_rate)）。")
    if not close(accuracy, float(np.mean((base_rate > 0.5) == y_test)), rtol=1e-9):
        return verdict(False, "accuracy: threshold the constant prediction at 0.5 and compare with y_test.",
                              "accuracy：以 0.5 为阈值对常数预测做判定，再与 y_test 比较。")
    return verdict(True, "", "")
