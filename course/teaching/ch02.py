"""Exercise checks of chapter 02 (core concepts): each says right or not yet, with a hint, never the answer."""

import math

import numpy as np

from .feedback import close, verdict

#: The data of exercises 1 and 2.
X = np.array([1.0, 2.0, 3.0])
Y = np.array([2.0, 4.0, 7.0])


def _w_star():
    """The MSE minimiser of y_hat = w x on (X, Y): sum x y / sum x^2."""
    return float(np.dot(X, Y) / np.dot(X, X))


def check_w_star(w_star, derivative):
    """Exercise 1: the closed-form MSE minimiser ``w_star`` of y_hat = w x on x = (1, 2, 3), y = (2, 4, 7), and
    ``derivative``, dR/dw at ``w_star`` computed with ``lj.mse.grad`` and the chain rule."""
    if not close(w_star, _w_star(), rtol=1e-9):
        return verdict(False, "w_star: set dR/dw = (2/n) sum_i x_i (w x_i - y_i) to zero and solve for w "
                              "(the loss-surface section of the chapter writes the solution).",
                              "w_star：令 dR/dw = (2/n) sum_i x_i (w x_i - y_i) 等于零，解出 "
                              "w（本章讲损失曲面的一节写出了解）。")
    if not close(derivative, 0.0, rtol=0.0, atol=1e-9):
        return verdict(False, "derivative: dR/dw = sum_i (dR/dy_hat_i) x_i, with dR/dy_hat from "
                              "lj.mse.grad(y_exercise, w_star * x_exercise); at the minimiser it should vanish "
                              "(to rounding).",
                              "derivative：dR/dw = sum_i (dR/dy_hat_i) x_i，其中 dR/dy_hat 来自 lj.mse.grad(y_exercise"
                              ", w_star * x_exercise)；在最小值点它应当为零（在舍入误差范围内）。")
    return verdict(True, "", "")


def check_sum_reduction(argmin_sum, ratio):
    """Exercise 2: ``argmin_sum``, the minimiser of the cost with ``reduction="sum"`` (a grid search is close
    enough: within 1e-3), and ``ratio``, its derivative divided by that of ``"mean"`` at a w where they are not 0."""
    if not close(argmin_sum, _w_star(), rtol=0.0, atol=1e-3):
        return verdict(False, "argmin_sum: minimise lj.mse(y_exercise, w * x_exercise, reduction='sum') over a "
                              "fine grid of w (or set its derivative to zero), and compare with exercise 1.",
                              "argmin_sum：在 w 的细网格上最小化 lj.mse(y_exercise, w * x_exercise, reduction='sum')"
                              "（或令它的导数为零），再与练习 1 比较。")
    if close(ratio, 1 / len(X), rtol=1e-9):
        return verdict(False, "ratio: that is the 'mean' derivative over the 'sum' one; the exercise asks the other "
                              "way round.",
                              "ratio：这是 'mean' 的导数除以 'sum' 的导数；练习要的是反过来的比值。")
    if not close(ratio, len(X), rtol=1e-9):
        return verdict(False, "ratio: divide dR/dw of the 'sum' cost by that of the 'mean' cost, both from "
                              "lj.mse.grad and the chain rule, at some w other than w* (where both are 0).",
                              "ratio：在某个不等于 w* 的 w 处（在 w* 处两者都为 0），用 lj.mse.grad "
                              "和链式法则分别求出 'sum' 代价和 'mean' 代价的 dR/dw，用前者除以后者。")
    return verdict(True, "", "")


def check_soft_target(best_prediction, minimum):
    """Exercise 3: the prediction that minimises the binary cross-entropy of the soft target 0.8 (within 1e-3,
    so a grid search passes), and the minimum value (in nats, as lossjit computes it)."""
    target = 0.8
    floor = -(target * math.log(target) + (1 - target) * math.log(1 - target))
    if not close(best_prediction, target, rtol=0.0, atol=1e-3):
        return verdict(False, "best_prediction: set the derivative -0.8/p + 0.2/(1 - p) to zero, or evaluate "
                              "lj.binary_cross_entropy(np.full_like(p, 0.8), p, reduction='none') on a grid of p.",
                              "best_prediction：令导数 -0.8/p + 0.2/(1 - p) 等于零，或者在 p 的网格上计算 "
                              "lj.binary_cross_entropy(np.full_like(p, 0.8), p, reduction='none')。")
    if close(minimum, floor / math.log(2), rtol=1e-5):
        return verdict(False, "minimum: that is in bits; lossjit and the chapter use natural logs (nats).",
                              "minimum：这是以比特为单位的值；lossjit 和本章都用自然对数（单位是纳特）。")
    if not close(minimum, floor, rtol=1e-5):
        return verdict(False, "minimum: evaluate the loss at best_prediction; the chapter says what a "
                              "soft-target cross-entropy's floor is.",
                              "minimum：在 best_prediction 处计算损失；本章讲过软标签交叉熵的下限是什么。")
    return verdict(True, "", "")


def check_gaussian_nll(best_sigma, minimum, negative):
    """Exercise 4: at residual 0.5, the sigma that minimises the Gaussian NLL (within 1e-3), the minimum value,
    and ``negative``, True or False: is that minimum below 0?"""
    residual = 0.5
    lowest = 0.5 * math.log(2 * math.pi * residual**2) + 0.5
    if not close(best_sigma, residual, rtol=0.0, atol=1e-3):
        return verdict(False, "best_sigma: differentiate log(sigma) + d^2 / (2 sigma^2) in sigma and set it to "
                              "zero, or search a grid of sigma with the chapter's gaussian_nll.",
                              "best_sigma：把 log(sigma) + d^2 / (2 sigma^2) 对 sigma 求导并令其为零，或者用本章的 "
                              "gaussian_nll 在 sigma 的网格上搜索。")
    if not close(minimum, lowest, rtol=1e-5):
        return verdict(False, "minimum: evaluate 0.5 log(2 pi sigma^2) + d^2 / (2 sigma^2) at d = 0.5 and "
                              "your best sigma.",
                              "minimum：在 d = 0.5 和你求出的最佳 sigma 处计算 0.5 log(2 pi sigma^2) + d^2 / (2 "
                              "sigma^2)。")
    if not isinstance(negative, (bool, np.bool_)):
        return verdict(False, "negative: answer True or False (for example, minimum < 0).",
                              "negative：回答 True 或 False（例如 minimum < 0）。")
    if negative:
        return verdict(False, "negative: compare your minimum with 0 again.",
                              "negative：再把你的最小值和 0 比较一下。")
    return verdict(True, "", "")
