"""Exercise checks of chapter 03 (computing and minimising a loss): each says right or not yet, with a hint,
never the answer.

The expected values are recomputed here from the chapter's data (same seed, same order of draws) with plain
NumPy, independently of lossjit.
"""

import numpy as np

from .feedback import close, verdict, whole_number

N_SAMPLES = 50


def _data():
    """The chapter's x and y: 50 points on y = 1.5 + 3x with noise 0.3, seed 0."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, N_SAMPLES)
    y = 1.5 + 3.0 * x + 0.3 * rng.standard_normal(N_SAMPLES)
    return x, y


def _loss(w, b):
    x, y = _data()
    return np.mean((w * x + b - y) ** 2)


def _train(learning_rate, steps, reduction="mean"):
    """The chapter's gradient descent from (0, 0): final w, b and the loss before each step."""
    x, y = _data()
    scale = 1.0 if reduction == "sum" else 1.0 / len(x)
    w = b = 0.0
    history = np.empty(steps)
    for step in range(steps):
        residual = w * x + b - y
        history[step] = np.mean(residual ** 2)
        g = 2.0 * scale * residual
        w, b = w - learning_rate * np.dot(g, x), b - learning_rate * np.sum(g)
    return w, b, history


def _least_squares_loss():
    x, y = _data()
    w, b = np.linalg.lstsq(np.column_stack([x, np.ones(len(x))]), y, rcond=None)[0]
    return _loss(w, b)


def _eigenvalues():
    x, _ = _data()
    design = np.column_stack([x, np.ones(len(x))])
    return np.linalg.eigvalsh(2 / len(x) * design.T @ design)


def _steps_to_tolerance(learning_rate, tolerance=1e-10):
    history = _train(learning_rate, 200)[2]
    return int(np.argmax(history - _least_squares_loss() < tolerance))


def check_critical_rate(loss_at_099, loss_at_100):
    """Exercise 1: the loss after 2000 steps of gradient descent with learning rate 0.99, and with 1.0."""
    if not close(loss_at_099, _least_squares_loss(), rtol=1e-4):
        return verdict(False, "loss_at_099: run train(0.99, steps=2000) and evaluate cost(w, b) at the w, b it "
                              "returns; below the critical rate it should end at the least-squares loss.",
                              "loss_at_099：运行 train(0.99, steps=2000)，在它返回的 w、b 处计算 cost(w, b)；"
                              "学习率低于临界值时，损失最终应等于最小二乘损失。")
    expected = _loss(*_train(1.0, 2000)[:2])
    if not close(loss_at_100, expected, rtol=0.05):
        return verdict(False, "loss_at_100: the same with learning rate 1.0 (2000 steps, the mean reduction); "
                              "report the loss, not w or b.",
                              "loss_at_100：学习率改为 1.0，其余相同（2000 步，mean 归约）；报告的是损失，而不是 w 或 "
                              "b。")
    return verdict(loss_at_100 > _loss(0.0, 0.0), "loss_at_100 should end above the loss at the start (0, 0).",
                                                  "loss_at_100 最终应高于起点 (0, 0) 处的损失。")


def check_steps_to_tolerance(steps):
    """Exercise 2: the first step, counted from 0, whose loss is within 1e-10 of the least-squares loss (eta = 0.5)."""
    if not whole_number(steps):
        return verdict(False, "steps: a whole number, the index of the first entry of train(0.5, steps=200)'s loss "
                              "history with history - best_loss < 1e-10 (np.argmax finds the first True).",
                              "steps：一个整数，即 train(0.5, steps=200) 的损失历史中第一个满足 history - best_loss < "
                              "1e-10 的下标（np.argmax 会找出第一个 True）。")
    expected = _steps_to_tolerance(0.5)
    if abs(int(steps) - expected) == 1:
        return verdict(False, "steps: off by one; the history holds the loss *before* each step, and index 0 is the "
                              "loss at the start.",
                              "steps：差了一；历史记录的是每一步*之前*的损失，下标 0 是起点处的损失。")
    return verdict(int(steps) == expected, "steps: compare history - best_loss with 1e-10 element by element and "
                                           "take the first index where it holds.",
                                           "steps：逐个元素比较 history - best_loss 与 1e-10，取第一个满足条件的下标。")


def check_sum_learning_rate(learning_rate):
    """Exercise 3: the learning rate that, with reduction="sum", reproduces eta = 0.5 with "mean"."""
    if close(learning_rate, 0.5 * N_SAMPLES, rtol=1e-9):
        return verdict(False, "learning_rate: the sum's gradient is larger, so the rate must be smaller, not larger.",
                              "learning_rate：sum 归约的梯度更大，所以学习率必须更小，而不是更大。")
    if not close(learning_rate, 0.5 / N_SAMPLES, rtol=1e-9):
        return verdict(False, 'learning_rate: with reduction="sum" the gradient is n = len(x) times the mean\'s; '
                              "which rate makes learning_rate * gradient the same step as 0.5 with the mean?",
                              'learning_rate：reduction="sum" 时的梯度是 mean 时的 n = len(x) 倍；哪个学习率能让 '
                              "learning_rate * gradient 与 mean 归约下学习率 0.5 的一步相同？")
    w_mean, b_mean, _ = _train(0.5, 100)
    w_sum, b_sum, _ = _train(float(learning_rate), 100, reduction="sum")
    return verdict(np.allclose([w_mean, b_mean], [w_sum, b_sum], rtol=0, atol=1e-12),
                   "learning_rate: the two runs should end at the same w and b.",
                   "learning_rate：两次运行最终应得到相同的 w 和 b。")


def check_optimal_rate(learning_rate, steps):
    """Exercise 4: the learning rate 2 / (lambda_min + lambda_max) and the steps it needs for exercise 2's tolerance."""
    optimal = 2 / _eigenvalues().sum()
    if not close(learning_rate, optimal, rtol=1e-4):
        return verdict(False, "learning_rate: the eigenvalues are those of hessian = 2 / n * design.T @ design "
                              "(np.linalg.eigvalsh); divide 2 by their sum.",
                              "learning_rate：特征值是 hessian = 2 / n * design.T @ design 的特征值（np.linalg.eigvals"
                              "h）；用 2 除以它们的和。")
    if not whole_number(steps):
        return verdict(False, "steps: a whole number, counted as in exercise 2.",
                              "steps：一个整数，按练习 2 的方式计数。")
    return verdict(int(steps) == _steps_to_tolerance(optimal),
                   "steps: count as in exercise 2, with the new learning rate and the same tolerance 1e-10.",
                   "steps：按练习 2 的方式计数，换用新的学习率，容差仍为 1e-10。")
