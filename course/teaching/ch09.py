"""Exercise checks of chapter 09 (the loss catalogue): each says right or not yet, with a hint, never the answer."""

import math
from collections.abc import Mapping

import numpy as np

import lossjit as lj

from .feedback import close, reader_language, verdict


def check_balancing_weight(pos_weight, unweighted_probability):
    """Exercise 1: the ``pos_weight`` that makes the best constant probability 1/2 for 5% positives, and the
    best constant probability with ``pos_weight = 1``."""
    share = 0.05
    if not close(pos_weight, (1 - share) / share, rtol=1e-4):
        return verdict(False, "pos_weight: the best constant probability is p* = a pi / (a pi + 1 - pi); "
                              "set it to 1/2 and solve for a with pi = 0.05.",
                              "pos_weight：最佳常数概率为 p* = a pi / (a pi + 1 - pi)；令它等于 1/2，取 pi = 0.05 "
                              "解出 a。")
    if not close(unweighted_probability, share, rtol=1e-4):
        return verdict(False, "unweighted_probability: put a = 1 in p* = a pi / (a pi + 1 - pi); "
                              "without a weight the best constant is a familiar statistic of the labels.",
                              "unweighted_probability：在 p* = a pi / (a pi + 1 - pi) 中令 a = 1；不加权时，"
                              "最佳常数是标签的一个常见统计量。")
    return verdict(True, "", "")


def _matches(function, points, expected):
    """Whether ``function`` gives ``expected(d)`` at every point (False if it is not callable or fails)."""
    if not callable(function):
        return False
    try:
        return all(close(function(d), expected(d), rtol=1e-9, atol=1e-12) for d in points)
    except Exception:  # a student's function may raise anything; the check only reports "not yet"
        return False


def check_log_cosh_asymptotes(small_d, large_d):
    """Exercise 2: ``small_d(d)`` and ``large_d(d)``, the approximations of log cosh d for small and large |d|.

    Each is checked as a formula at points where log cosh itself would differ from it, so returning
    log cosh d does not pass; and each must match ``lj.log_cosh`` where it applies (d = 0.01 and d = 20).
    """
    def log_cosh(d):
        return float(lj.log_cosh(np.zeros(1), np.array([d], dtype=np.float64)))

    if not _matches(small_d, (0.5, -1.0, 2.0), lambda d: d * d / 2):
        return verdict(False, "small_d: expand cosh d = 1 + d^2/2 + ... and use log(1 + u) = u + ...; "
                              "the answer is a polynomial in d (a function of d, not a number).",
                              "small_d：展开 cosh d = 1 + d^2/2 + ...，再利用 log(1 + u) = u + ...；答案是 d "
                              "的多项式（是 d 的函数，而不是一个数）。")
    if not _matches(large_d, (-3.0, 0.5, 2.0), lambda d: abs(d) - math.log(2)):
        return verdict(False, "large_d: for large |d| one exponential in cosh d = (e^d + e^-d) / 2 dominates; "
                              "take its log (a function of d that works for both signs of d).",
                              "large_d：|d| 很大时，cosh d = (e^d + e^-d) / 2 中有一个指数项占主导；"
                              "取它的对数（得到一个对 d 的正负两种符号都适用的函数）。")
    if not (close(small_d(0.01), log_cosh(0.01), rtol=1e-4) and close(large_d(20.0), log_cosh(20.0), rtol=1e-12)):
        return verdict(False, "compare your functions with lj.log_cosh at d = 0.01 and d = 20.",
                              "在 d = 0.01 和 d = 20 处把你的函数与 lj.log_cosh 比较。")
    return verdict(True, "", "")


def check_ctc_repeated_label(shortest_steps, n_alignments, loss_at_two_steps):
    """Exercise 3: for the target (1, 1) and C = 3, the smallest feasible T, the number of alignments at
    T = 4 and what ``lj.ctc`` returns at T = 2 (``reduction="sum"``, default options)."""
    if not close(shortest_steps, 3):
        return verdict(False, "shortest_steps: collapsing merges repeats, so what must stand between the two 1s "
                              "of an alignment of (1, 1)?",
                              "shortest_steps：合并会把相邻的重复符号并成一个，那么在 (1, 1) 的一个对齐中，两个 1 "
                              "之间必须有什么？")
    if not close(n_alignments, 5):
        return verdict(False, "n_alignments: enumerate itertools.product(range(3), repeat=4) and keep the paths "
                              "that collapse (merge repeats, then drop blanks) to (1, 1).",
                              "n_alignments：枚举 itertools.product(range(3), repeat=4)，保留合并（先合并重复，"
                              "再删去空白符）后得到 (1, 1) 的路径。")
    try:
        infinite = float(loss_at_two_steps) == math.inf
    except (TypeError, ValueError):
        infinite = False
    if not infinite:
        return verdict(False, "loss_at_two_steps: call lj.ctc with T = 2 logits (shape (2, 1, 3)) and default "
                              "options; what is -log p when no alignment exists?",
                              "loss_at_two_steps：用 T = 2 步的 logit（形状 (2, 1, 3)）和默认选项调用 lj.ctc；"
                              "不存在任何对齐时，-log p 是多少？")
    return verdict(True, "", "")


class _ReaderText(Mapping):
    """A dict of texts in the reader's language: English, or Chinese in the Chinese edition (see
    :func:`feedback.reader_language`), looked up at each use; the keys are the same in both."""

    def __init__(self, en, zh):
        assert en.keys() == zh.keys()
        self._texts = {"en": dict(en), "zh": dict(zh)}

    def _current(self):
        return self._texts[reader_language()]

    def __getitem__(self, key):
        return self._current()[key]

    def __iter__(self):
        return iter(self._current())

    def __len__(self):
        return len(self._current())

    def __repr__(self):
        return repr(self._current())


NEWTON_REASONS = _ReaderText(
    {
        "a": "the gradient is zero at the median, so Newton's method stops too early",
        "b": "the hessian is zero away from the kinks, so the Newton step -sum(g) / sum(h) divides by zero",
        "c": "MAE is not convex, so Newton's method may climb instead of descend",
    },
    {
        "a": "中位数处的梯度为零，所以牛顿法停得太早",
        "b": "在折点以外海森矩阵为零，所以牛顿法的一步 -sum(g) / sum(h) 要除以零",
        "c": "MAE 不是凸函数，所以牛顿法可能往上爬而不是往下走",
    },
)
_NEWTON_REASON = "b"


def check_no_curvature(largest_hessian, reason):
    """Exercise 4: the largest |hessian| of MAE, the quantile loss and the hinge loss away from their kinks,
    and the letter of the reason (see ``NEWTON_REASONS``) Newton's method cannot fit a median."""
    if not close(largest_hessian, 0.0, rtol=0.0, atol=0.0):
        return verdict(False, "largest_hessian: take np.max(np.abs(...)) of lj.mae.hessian, lj.quantile.hessian "
                              "and lj.hinge.hessian on predictions away from the kinks; what is the second "
                              "derivative of a piecewise-linear function?",
                              "largest_hessian：在远离折点的预测值上，对 lj.mae.hessian、lj.quantile.hessian 和 "
                              "lj.hinge.hessian 取 np.max(np.abs(...))；分段线性函数的二阶导数是什么？")
    if reason not in NEWTON_REASONS:
        return verdict(False, "reason: give one of the letters " + ", ".join(sorted(NEWTON_REASONS))
                              + " (print(NEWTON_REASONS) lists them).",
                              "reason：给出字母 " + "、".join(sorted(NEWTON_REASONS))
                              + " 之一（print(NEWTON_REASONS) 会列出它们）。")
    if reason != _NEWTON_REASON:
        return verdict(False, "reason: write down Newton's step for a constant, -sum(g) / sum(h), and look at "
                              "what the hessian you just computed does to it.",
                              "reason：写出拟合常数时牛顿法的一步 -sum(g) / sum(h)，"
                              "看看你刚才算出的海森矩阵对它有什么影响。")
    return verdict(True, "", "")
