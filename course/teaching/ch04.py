"""Exercise checks of chapter 04 (MSE and cross-entropy): each says right or not yet, with a hint, never the answer."""

import math

import numpy as np

from lossjit import EPSILON

from .feedback import close, verdict


def _array(value, size):
    """``value`` as a flat float array of ``size`` finite numbers, or None if it is not one."""
    try:
        array = np.asarray(value, dtype=float).ravel()
    except (TypeError, ValueError):
        return None
    if array.size != size or not np.all(np.isfinite(array)):
        return None
    return array


def check_huber_gradient(huber_gradient):
    """Exercise 1: the per-element Huber gradient (delta = 1) at the residuals -2, -0.5, 0.3, 1.7."""
    residuals = np.array([-2.0, -0.5, 0.3, 1.7])
    expected = np.clip(residuals, -1.0, 1.0)
    values = _array(huber_gradient, residuals.size)
    if values is None:
        return verdict(False, "huber_gradient: an array of four numbers, one per residual: the derivative of each "
                              "residual's own Huber loss (delta = 1).",
                              "huber_gradient：一个由四个数组成的数组，每个残差一个：各残差自身的 Huber 损失（delta = "
                              "1）的导数。")
    if np.allclose(values, expected / residuals.size, rtol=0, atol=1e-8):
        return verdict(False, "huber_gradient: that is the gradient of the mean (divided by n = 4); the exercise asks "
                              "for it per element: reduction='none'.",
                              "huber_gradient：这是均值的梯度（除以了 n = 4）；练习要的是逐元素的梯度："
                              "reduction='none'。")
    if not np.allclose(values, expected, rtol=0, atol=1e-6):
        return verdict(False, "huber_gradient: inside |d| <= delta the loss is d^2 / 2, outside it is "
                              "delta (|d| - delta / 2); differentiate each piece in d.",
                              "huber_gradient：在 |d| <= delta 之内损失是 d^2 / 2，之外是 delta (|d| - delta / 2)；"
                              "对每一段分别关于 d 求导。")
    return verdict(True, "", "")


def check_categorical(categorical_loss, categorical_gradient):
    """Exercise 2: the categorical cross-entropy of logits (2.0, -1.0, 0.5) with true class 0, and its
    gradient in the logits (three numbers, shape (3,) or (1, 3))."""
    logits = np.array([2.0, -1.0, 0.5])
    softmax = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    expected_loss = -math.log(softmax[0])
    if close(categorical_loss, expected_loss / math.log(2), rtol=1e-6):
        return verdict(False, "categorical_loss: that is in bits; lossjit and the chapter use natural logs (nats).",
                              "categorical_loss：这是以比特为单位的值；lossjit 和本章都用自然对数（单位是纳特）。")
    if not close(categorical_loss, expected_loss, rtol=1e-6):
        return verdict(False, "categorical_loss: softmax the logits, then take minus the log of the true class's "
                              "probability.",
                              "categorical_loss：先对 logit 做 softmax，再取真实类别概率的对数的相反数。")
    values = _array(categorical_gradient, logits.size)
    if values is None:
        return verdict(False, "categorical_gradient: three numbers, one per logit.",
                              "categorical_gradient：三个数，每个 logit 一个。")
    if np.allclose(values, np.eye(3)[0] - softmax, rtol=0, atol=1e-6):
        return verdict(False, "categorical_gradient: the sign is flipped; the gradient of a loss points uphill.",
                              "categorical_gradient：符号反了；损失的梯度指向上坡方向。")
    if not np.allclose(values, softmax - np.eye(3)[0], rtol=0, atol=1e-6):
        return verdict(False, "categorical_gradient: differentiate -log softmax(z)_0 in each z_k; the chapter's "
                              "categorical section gives the pattern (prediction minus target).",
                              "categorical_gradient：把 -log softmax(z)_0 对每个 z_k 求导；"
                              "本章讲多类交叉熵的一节给出了规律（预测值减去目标）。")
    return verdict(True, "", "")


def check_two_readings(covers_both, stops_at_plus):
    """Exercise 3: the article's formula on y = (1, 0, 0), y_hat = (0.8, 0.3, 0.6), with the sum covering both
    terms and with the sum stopping at the + (the chapter's two readings)."""
    y = np.array([1.0, 0.0, 0.0])
    p = np.array([0.8, 0.3, 0.6])
    first, second = y * np.log(p), (1 - y) * np.log(1 - p)
    both = float(-np.mean(first + second))
    stops = float(-np.mean(first) + np.mean(second))
    if close(covers_both, stops, rtol=1e-6) and close(stops_at_plus, both, rtol=1e-6):
        return verdict(False, "the two values are the right way round only if you swap them: which reading "
                              "is the binary cross-entropy?",
                              "两个值只有对调之后才对：哪种读法才是二元交叉熵？")
    if not close(covers_both, both, rtol=1e-6):
        return verdict(False, "covers_both: the minus sign, 1/n and the sum apply to both terms; compare with "
                              "lj.binary_cross_entropy(y, y_hat).",
                              "covers_both：负号、1/n 和求和都作用于两项；与 lj.binary_cross_entropy(y, y_hat) 比较。")
    if not close(stops_at_plus, stops, rtol=1e-6):
        return verdict(False, "stops_at_plus: -1/n sum_i y_i log y_hat_i, then + the mean of "
                              "(1 - y_i) log(1 - y_hat_i) (the chapter's sum_stops_at_plus).",
                              "stops_at_plus：先算 -1/n sum_i y_i log y_hat_i，再加上 (1 - y_i) log(1 - y_hat_i) "
                              "的均值（本章的 sum_stops_at_plus）。")
    return verdict(True, "", "")


def check_laplace_constant(constant):
    """Exercise 4: the constant c in Laplace NLL (scale 1) = MAE + c."""
    if close(constant, -math.log(2), rtol=1e-6):
        return verdict(False, "constant: check the sign; the NLL is minus the log of the density.",
                              "constant：检查符号；NLL 是密度的对数的相反数。")
    if close(constant, 1.0, rtol=1e-6):
        return verdict(False, "constant: that is in bits; use natural logs (nats), as lossjit does.",
                              "constant：这是以比特为单位的值；请像 lossjit 一样使用自然对数（单位是纳特）。")
    if not close(constant, math.log(2), rtol=1e-6):
        return verdict(False, "constant: write the Laplace density with location y_hat and scale 1, take minus "
                              "its log, and see what is left besides |y - y_hat|.",
                              "constant：写出位置为 y_hat、尺度为 1 的拉普拉斯密度，取其对数的相反数，看看除了 |y - "
                              "y_hat| 之外还剩下什么。")
    return verdict(True, "", "")


def check_clip_logit(z_limit):
    """Exercise 5: the logit above which the clipped-probability BCE (y = 0) stops growing."""
    expected = math.log((1 - EPSILON) / EPSILON)
    if close(z_limit, -expected, rtol=1e-6):
        return verdict(False, "z_limit: check the sign; for y = 0 the loss grows as z grows.",
                              "z_limit：检查符号；y = 0 时，损失随 z 增大而增大。")
    if not close(z_limit, expected, rtol=1e-6):
        return verdict(False, "z_limit: solve sigmoid(z) = 1 - eps for z (invert the sigmoid: "
                              "z = log(p / (1 - p))), with eps = lj.EPSILON.",
                              "z_limit：解方程 sigmoid(z) = 1 - eps 求出 z（求 sigmoid 函数的反函数：z = log(p / (1 - "
                              "p))），其中 eps = lj.EPSILON。")
    return verdict(True, "", "")
