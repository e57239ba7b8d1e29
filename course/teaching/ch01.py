"""Exercise checks of chapter 01 (background): each says right or not yet, with a hint, never the answer."""

import math

import numpy as np

from .feedback import close, verdict

#: The data of exercises 1 and 2, and the chapter's seven measurements (exercise 3).
Y_SMALL = np.array([1.0, 2.0, 6.0])
Y_OUTLIER = 100.0
Y_SEVEN = np.array([2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 20.0])
#: The labels and the third classifier's probabilities of exercise 4.
LABELS = np.array([1.0, 1.0, 0.0, 0.0])
THIRD = np.array([0.99, 0.99, 0.99, 0.01])

#: A grid search is close enough: its step may be up to 2e-3.
GRID = 1e-3


def check_constants(mse_constant, mae_constant, mse_at_best, mae_at_best):
    """Exercise 1: for y = (1, 2, 6), the constants minimising MSE and MAE (within 1e-3, so a grid search
    passes), and lossjit's MSE and MAE at those constants."""
    mean, median = float(np.mean(Y_SMALL)), float(np.median(Y_SMALL))
    if close(mse_constant, median, rtol=0, atol=GRID) and close(mae_constant, mean, rtol=0, atol=GRID):
        return verdict(False, "the two constants are swapped: which loss is minimised by the mean, which by "
                              "the median (the chapter's maths section)?",
                              "两个常数的位置对调了：哪个损失由均值最小化，哪个由中位数最小化（见本章“数学”一节）？")
    if not close(mse_constant, mean, rtol=0, atol=GRID):
        return verdict(False, "mse_constant: set the derivative (2/n) sum_i (c - y_i) to zero, or search a grid "
                              "of c with lj.mse(y, np.full_like(y, c)).",
                              "mse_constant：令导数 (2/n) sum_i (c - y_i) 等于零，或者用 lj.mse(y, np.full_like(y, c))"
                              " 在 c 的网格上搜索。")
    if not close(mae_constant, median, rtol=0, atol=GRID):
        return verdict(False, "mae_constant: the MAE is smallest where as many points lie above c as below.",
                              "mae_constant：在 c 上方和下方的点一样多的地方，MAE 最小。")
    expected_mse = float(np.mean((Y_SMALL - mean) ** 2))
    if close(mse_at_best, math.sqrt(expected_mse), rtol=1e-6):
        return verdict(False, "mse_at_best: that is the root of the MSE (RMSE); lj.mse does not take a root.",
                              "mse_at_best：这是 MSE 的平方根（RMSE）；lj.mse 不开平方。")
    if not close(mse_at_best, expected_mse, rtol=1e-6):
        return verdict(False, "mse_at_best: evaluate lj.mse(y, np.full_like(y, mse_constant)).",
                              "mse_at_best：计算 lj.mse(y, np.full_like(y, mse_constant))。")
    if not close(mae_at_best, float(np.mean(np.abs(Y_SMALL - median))), rtol=1e-6):
        return verdict(False, "mae_at_best: evaluate lj.mae(y, np.full_like(y, mae_constant)).",
                              "mae_at_best：计算 lj.mae(y, np.full_like(y, mae_constant))。")
    return verdict(True, "", "")


def check_outlier_shift(mse_shift, mae_shift, mae_unique):
    """Exercise 2: with y_4 = 100 added, how far the MSE minimiser moves (``mse_shift``), how far an MAE
    minimiser moves (``mae_shift``: any minimiser of the four points, from the one of exercise 1), and
    ``mae_unique``, True or False: is the MAE minimiser of the four points unique?"""
    y4 = np.append(Y_SMALL, Y_OUTLIER)
    if not close(mse_shift, float(np.mean(y4) - np.mean(Y_SMALL)), rtol=1e-6):
        return verdict(False, "mse_shift: the new mean minus the old one (a shift up is positive).",
                              "mse_shift：新的均值减去旧的均值（向上移动为正）。")
    middle = np.sort(y4)[1:3]   # every c between the two middle values minimises the MAE
    old = float(np.median(Y_SMALL))
    try:
        shift = float(mae_shift)
    except (TypeError, ValueError):
        shift = math.nan
    if not (middle[0] - old - GRID <= shift <= middle[1] - old + GRID):
        return verdict(False, "mae_shift: search lj.mae(y4, np.full(4, c)) over a grid of c and subtract the "
                              "exercise-1 answer; look at the whole set of c with the smallest value.",
                              "mae_shift：在 c 的网格上搜索 lj.mae(y4, np.full(4, c))，再减去练习 1 的答案；"
                              "要看取到最小值的所有 c 组成的整个集合。")
    if not isinstance(mae_unique, (bool, np.bool_)):
        return verdict(False, "mae_unique: answer True or False.",
                              "mae_unique：回答 True 或 False。")
    if mae_unique:
        return verdict(False, "mae_unique: with an even number of points, count the points above and below a c "
                              "that lies between the two middle values, and move c a little.",
                              "mae_unique：点数为偶数时，在两个中间值之间取一个 c，数一数它上方和下方各有几个点，再把 "
                              "c 稍微移动一下。")
    return verdict(True, "", "")


def check_huber_deltas(c_small, c_large, clipped_large):
    """Exercise 3: on the chapter's seven measurements, the Huber minimisers for delta = 0.5 (``c_small``) and
    delta = 20 (``c_large``), within 1e-3, and ``clipped_large``, how many residuals c_large - y_i exceed
    delta = 20 in size (are clipped)."""
    def huber_root(delta):
        low, high = Y_SEVEN.min(), Y_SEVEN.max()
        for _ in range(200):   # the sum of clipped residuals increases with c: bisection
            middle = (low + high) / 2
            low, high = (middle, high) if np.sum(np.clip(middle - Y_SEVEN, -delta, delta)) < 0 else (low, middle)
        return (low + high) / 2

    if close(c_small, 43 / 12, rtol=0, atol=GRID) or close(c_large, 43 / 12, rtol=0, atol=GRID):
        return verdict(False, "that is the chapter's answer for delta = 2; pass delta=0.5 and delta=20.0 to lj.huber.",
                              "这是本章 delta = 2 时的答案；请把 delta=0.5 和 delta=20.0 传给 lj.huber。")
    if not close(c_small, huber_root(0.5), rtol=0, atol=GRID):
        return verdict(False, "c_small: search a grid of c with lj.huber(y, np.full_like(y, c), delta=0.5), or "
                              "solve sum_i clip(c - y_i, -0.5, 0.5) = 0.",
                              "c_small：用 lj.huber(y, np.full_like(y, c), delta=0.5) 在 c 的网格上搜索，或者解方程 "
                              "sum_i clip(c - y_i, -0.5, 0.5) = 0。")
    if not close(c_large, huber_root(20.0), rtol=0, atol=GRID):
        return verdict(False, "c_large: search a grid of c with lj.huber(y, np.full_like(y, c), delta=20.0); the "
                              "grid must reach beyond the median.",
                              "c_large：用 lj.huber(y, np.full_like(y, c), delta=20.0) 在 c 的网格上搜索；"
                              "网格必须延伸到中位数以外。")
    expected = int(np.sum(np.abs(huber_root(20.0) - Y_SEVEN) > 20.0))
    if isinstance(clipped_large, (bool, np.bool_)) or not close(clipped_large, expected, rtol=0, atol=0):
        return verdict(False, "clipped_large: count them with np.sum(np.abs(c_large - y) > 20.0), then read "
                              "the maths section again: what is Huber when nothing is clipped?",
                              "clipped_large：用 np.sum(np.abs(c_large - y) > 20.0) 数一数，再重读“数学”一节："
                              "没有残差被裁剪时，Huber 损失是什么？")
    return verdict(True, "", "")


def check_third_classifier(accuracy, bce, ship):
    """Exercise 4: the third classifier's accuracy at threshold 0.5, its binary cross-entropy (nats), and
    ``ship``, the classifier to ship: "hesitant", "confident" or "third"."""
    if not close(accuracy, float(np.mean((THIRD > 0.5) == LABELS)), rtol=1e-9):
        return verdict(False, "accuracy: the share of examples whose probability is on the right side of 0.5.",
                              "accuracy：概率落在 0.5 正确一侧的样本所占的比例。")
    expected = float(-np.mean(LABELS * np.log(THIRD) + (1 - LABELS) * np.log(1 - THIRD)))
    if close(bce, expected / math.log(2), rtol=1e-6):
        return verdict(False, "bce: that is in bits; lossjit and the chapter use natural logs (nats).",
                              "bce：这是以比特为单位的值；lossjit 和本章都用自然对数（单位是纳特）。")
    if not close(bce, expected, rtol=1e-6):
        return verdict(False, "bce: lj.binary_cross_entropy(labels, probabilities), labels first.",
                              "bce：lj.binary_cross_entropy(labels, probabilities)，标签在前。")
    choices = ("hesitant", "confident", "third")
    if not isinstance(ship, str) or ship.strip().lower() not in choices:
        return verdict(False, 'ship: one of "hesitant", "confident" or "third".',
                              'ship："hesitant"、"confident" 或 "third" 之一。')
    if ship.strip().lower() != "confident":
        return verdict(False, "ship: compare the three accuracies first, then the three cross-entropies.",
                              "ship：先比较三个分类器的准确率，再比较三者的交叉熵。")
    return verdict(True, "", "")
