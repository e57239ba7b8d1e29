"""Exercise checks of chapter 05 (the article's TensorFlow example): each says right or not yet, with a hint,
never the answer.

The expected values are recomputed here with plain NumPy (float32, like the chapter's loop) and, for
exercise 4, scikit-learn.
"""

from functools import lru_cache

import numpy as np

from .feedback import close, verdict, whole_number

X = np.array([[1], [2], [3], [4]], dtype=np.float32)
Y = np.array([1, 2, 3, 4], dtype=np.float32)


def _initial_weights():
    """The chapter's seeded glorot_uniform draw for the (1, 1) kernel, and the zero bias."""
    rng = np.random.default_rng(0)
    limit = np.sqrt(6.0 / 2)
    return rng.uniform(-limit, limit, size=(1, 1)).astype(np.float32), np.zeros(1, dtype=np.float32)


def _logged_losses(learning_rate, n_epochs):
    """The chapter's loop in float32 (mean reduction): the loss logged before each update."""
    W, b = _initial_weights()
    rate = np.float32(learning_rate)
    losses = np.empty(n_epochs)
    for epoch in range(n_epochs):
        residual = (X @ W + b).reshape(-1) - Y
        losses[epoch] = np.mean(residual.astype(np.float64) ** 2)
        g = np.float32(2.0 / len(Y)) * residual
        W -= rate * (X.T @ g.reshape(-1, 1))
        b -= rate * g.sum(keepdims=True)
    return losses


def _lambda_max():
    design = np.column_stack([X[:, 0].astype(np.float64), np.ones(len(Y))])
    return np.linalg.eigvalsh(2 / len(Y) * design.T @ design).max()


def check_largest_rate(critical, loss_below, loss_above):
    """Exercise 1: 2 / lambda_max, and the loss logged at epoch 99 with learning rates 0.115 and 0.125."""
    if not close(critical, 2 / _lambda_max(), rtol=1e-3):
        return verdict(False, "critical: lambda_max is the largest eigenvalue of the Hessian "
                              "2/n [[sum x^2, sum x], [sum x, n]] (np.linalg.eigvalsh).",
                              "critical：lambda_max 是海森矩阵 2/n [[sum x^2, sum x], [sum x, n]] "
                              "的最大特征值（np.linalg.eigvalsh）。")
    if not close(loss_below, _logged_losses(0.115, 100)[-1], rtol=0.01):
        return verdict(False, "loss_below: run the chapter's loop from the seeded start for 100 epochs with learning "
                              "rate 0.115 and take the last logged loss (the one printed for epoch 99).",
                              "loss_below：从带种子的初始值出发，用学习率 0.115 运行本章的循环 100 轮，"
                              "取最后记录的损失（第 99 轮打印出的那个）。")
    if not close(loss_above, _logged_losses(0.125, 100)[-1], rtol=0.01):
        return verdict(False, "loss_above: the same with learning rate 0.125: the loss logged for epoch 99.",
                              "loss_above：学习率改为 0.125，其余相同：第 99 轮记录的损失。")
    return verdict(True, "", "")


def check_patience(first_epoch):
    """Exercise 2: the first epoch whose logged loss is below 1e-4, learning rate 0.01."""
    if not whole_number(first_epoch):
        return verdict(False, "first_epoch: a whole number, the first epoch (counted from 0, as the log does) whose "
                              "loss is below 1e-4; train for 1000 epochs and use np.argmax(losses < 1e-4).",
                              "first_epoch：一个整数，即损失低于 1e-4 的第一轮（与日志一样从 0 开始计数）；训练 1000 "
                              "轮，再用 np.argmax(losses < 1e-4)。")
    expected = int(np.argmax(_logged_losses(0.01, 1000) < 1e-4))
    if abs(int(first_epoch) - expected) == 1:
        return verdict(False, "first_epoch: off by one; the log counts epochs from 0 and records the loss before "
                              "each update.",
                              "first_epoch：差了一；日志从 0 开始计轮，记录的是每次更新之前的损失。")
    return verdict(int(first_epoch) == expected,
                   "first_epoch: late in training the loss falls by (1 - 0.01 lambda_min)^2 per epoch; check your "
                   "estimate against a run of 1000 epochs.",
                   "first_epoch：训练后期，损失每轮乘以因子 (1 - 0.01 lambda_min)^2；用一次 1000 "
                   "轮的运行检验你的估计。")


def check_sum_reduction(factor, learning_rate):
    """Exercise 3: how many times larger the gradient is with reduction="sum", and the learning rate that then
    reproduces the article's 0.01."""
    if not close(factor, len(Y), rtol=1e-6):
        return verdict(False, 'factor: compare lj.mse.grad(y, p, reduction="sum") with lj.mse.grad(y, p) element '
                              "by element.",
                              'factor：逐个元素比较 lj.mse.grad(y, p, reduction="sum") 与 lj.mse.grad(y, p)。')
    return verdict(close(learning_rate, 0.01 / len(Y), rtol=1e-6),
                   "learning_rate: the step is learning_rate * gradient; with a larger gradient the rate must shrink "
                   "by the same factor.",
                   "learning_rate：一步是 learning_rate * gradient；梯度变大时，学习率必须按同样的倍数缩小。")


@lru_cache(maxsize=1)
def _reference_weights():
    """scikit-learn's L2-penalised logistic regression (C = 1) on the chapter's standardised training set."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    cancer = load_breast_cancer()
    X_train, _, y_train, _ = train_test_split(
        cancer.data, cancer.target, test_size=0.25, random_state=0, stratify=cancer.target)
    X_train = (X_train - X_train.mean(axis=0)) / X_train.std(axis=0)
    model = LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(X_train, y_train)
    return model.coef_[0].copy(), float(model.intercept_[0])


def check_l2_matches_sklearn(w, b):
    """Exercise 4: the 30 weights and the bias after gradient descent on the mean cross-entropy plus
    ||w||^2 / (2 C n), C = 1."""
    try:
        w = np.asarray(w, dtype=float).reshape(-1)
        b = float(b)
    except (TypeError, ValueError):
        return verdict(False, "w, b: the array of 30 weights and the bias, trained on the chapter's standardised "
                              "training set.",
                              "w, b：30 个权重组成的数组和偏置，在本章标准化后的训练集上训练得到。")
    if w.shape != (30,) or not np.all(np.isfinite(w)):
        return verdict(False, "w: one finite weight per feature, 30 in all.",
                              "w：每个特征一个有限的权重，共 30 个。")
    reference_w, reference_b = _reference_weights()
    if np.abs(w).max() > 2 * np.abs(reference_w).max() + 1:
        return verdict(False, "w: the weights are too large; did you add the penalty's gradient w / (C n) to the "
                              "weights' gradient?",
                              "w：权重太大了；你把惩罚项的梯度 w / (C n) 加到权重的梯度上了吗？")
    difference = max(np.abs(w - reference_w).max(), abs(b - reference_b))
    return verdict(difference < 1e-4,
                   "w, b: not within 1e-4 of scikit-learn's weights yet; train longer (thousands of epochs with "
                   "learning rate 1.0), and do not penalise the bias.",
                   "w, b：与 scikit-learn 的权重相差仍超过 1e-4；训练更久一些（学习率 1.0，数千轮），"
                   "并且不要惩罚偏置。")
