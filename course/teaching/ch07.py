"""Exercise checks of chapter 07 (tools): each says right or not yet, with a hint, never the answer.

The checks take the exercise's data as arguments and compute what they expect from it with NumPy and
scikit-learn, so they hold on any machine (float32 sums and solver paths can differ between CPUs).
Exercise 5's check takes NumPy arrays too: what it expects is NumPy lossjit's value on them.
"""

import math

import numpy as np

import lossjit as lj

from .feedback import close, verdict

#: Exercise 2: the names of the three ways to compute the float32 MSE.
FLOAT32_METHODS = ("lossjit", "np.mean", "running sum")


def check_keras_mean(keras_mean, weight_statistic, y_true, y_pred, weights):
    """Exercise 1: Keras's ``sum_over_batch_size`` weighted MSE, and ``keras_mean`` divided by lossjit's
    weighted mean expressed as a statistic of the weights."""
    weighted_sum = np.sum(weights * (y_true - y_pred) ** 2)
    if not close(keras_mean, weighted_sum / len(y_true), rtol=1e-9):
        return verdict(False, "keras_mean: Keras divides sum_i w_i l_i by the number of samples, not by the total "
                              "weight; lossjit's reduction='sum' gives the numerator.",
                              "keras_mean：Keras 把 sum_i w_i l_i 除以样本数量，而不是除以权重总和；lossjit 的 "
                              "reduction='sum' 给出的是分子。")
    if not close(weight_statistic, np.mean(weights), rtol=1e-9):
        return verdict(False, "weight_statistic: write both means as fractions with the same numerator "
                              "sum_i w_i l_i; their ratio depends on the weights only.",
                              "weight_statistic：把两种平均都写成分子同为 sum_i w_i l_i 的分数；"
                              "它们的比值只取决于权重。")
    return verdict(True, "", "")


def check_float32_sums(relative_errors, worst, y_true, y_pred):
    """Exercise 2: ``{method: relative error}`` for the methods of ``FLOAT32_METHODS`` against a float64
    reference, and the name of the worst one."""
    if not isinstance(relative_errors, dict) or set(relative_errors) != set(FLOAT32_METHODS):
        return verdict(False, f"relative_errors: a dict with the keys {FLOAT32_METHODS}, each |value / reference - 1|.",
                              f"relative_errors：一个字典，键为 {FLOAT32_METHODS}，"
                              "每个值为 |value / reference - 1|。")
    reference = np.mean((y_pred.astype(np.float64) - y_true.astype(np.float64)) ** 2)
    squares = (y_pred - y_true) ** 2
    expected = {
        "lossjit": abs(float(lj.mse(y_true, y_pred)) / reference - 1),
        "np.mean": abs(float(np.mean(squares)) / reference - 1),
        "running sum": abs(float(np.cumsum(squares)[-1]) / y_true.size / reference - 1),
    }
    for name in FLOAT32_METHODS:
        # 1e-12: a reference computed another way in float64 moves each error by about 1e-16
        if not close(relative_errors[name], expected[name], rtol=1e-2, atol=1e-12):
            return verdict(False, f"relative_errors['{name}']: compute the MSE of the float32 arrays that way, "
                                  "then abs(value / reference - 1), the reference being the MSE of the arrays "
                                  "converted to float64.",
                                  f"relative_errors['{name}']：用这种方式计算 float32 数组的 MSE，"
                                  "再算 abs(value / reference - 1)，其中 reference 是把数组转换为 float64 "
                                  "后算出的 MSE。")
    if worst != max(expected, key=expected.get):
        return verdict(False, f"worst: the key of the largest relative error, one of {FLOAT32_METHODS}.",
                              f"worst：相对误差最大的那个键，取 {FLOAT32_METHODS} 之一。")
    return verdict(True, "", "")


def check_clipping(lossjit_cost, sklearn_cost):
    """Exercise 3: the cost of one positive example predicted with probability exactly 0, in lossjit and in
    scikit-learn's ``log_loss``."""
    if not close(lossjit_cost, -math.log(1e-7), rtol=1e-6):
        return verdict(False, "lossjit_cost: the loss lossjit computes for one example of label 1 predicted with "
                              "probability 0.0 (arrays of one element); why is it finite?",
                              "lossjit_cost：lossjit 对一个标签为 1、预测概率为 0.0 的样本（单元素数组）算出的损失；"
                              "它为什么是有限的？")
    if not close(sklearn_cost, -math.log(np.finfo(np.float64).eps), rtol=1e-6):
        return verdict(False, "sklearn_cost: log_loss needs both classes (pass labels=[0, 1]) and averages over "
                              "the examples: the cost of the one positive example, not a mean with others.",
                              "sklearn_cost：log_loss 需要两个类别（传入 labels=[0, 1]），并对样本取平均："
                              "要的是这一个正样本的代价，而不是它与其他样本的平均。")
    return verdict(True, "", "")


def check_huber_stationarity(model, gradient, X, y):
    """Exercise 4: a ``HuberRegressor(epsilon=1.35, alpha=0)`` fitted to ``X, y``, and the gradient, with
    ``lj.huber.grad`` on the residuals divided by ``model.scale_``, of the summed Huber loss with respect to
    ``(w_1, ..., w_d, b)``: a vector of ``d + 1`` numbers that should be zero up to the solver's tolerance.
    Any positive constant factor (1 / scale_, a mean instead of a sum) is accepted."""
    if not (hasattr(model, "scale_") and getattr(model, "epsilon", None) == 1.35 and getattr(model, "alpha", None) == 0):
        return verdict(False, "model: HuberRegressor(epsilon=1.35, alpha=0.0), fitted with .fit(X, y).",
                              "model：HuberRegressor(epsilon=1.35, alpha=0.0)，用 .fit(X, y) 拟合。")
    sigma = model.scale_
    g = lj.huber.grad(y / sigma, (X @ model.coef_ + model.intercept_) / sigma, delta=1.35, reduction="sum")
    expected = np.append(X.T @ g, g.sum())
    size_of_terms = np.abs(X).sum(axis=0).max() * 1.35   # what one gradient component could reach
    if np.abs(expected).max() > 1e-4 * size_of_terms:
        return verdict(False, "model: the solver stopped early; pass max_iter=1000 and tol=1e-10 to HuberRegressor.",
                              "model：求解器提前停止了；给 HuberRegressor 传入 max_iter=1000 和 tol=1e-10。")
    try:
        gradient = np.asarray(gradient, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        gradient = np.empty(0)
    if gradient.shape != expected.shape or not np.all(np.isfinite(gradient)) or not np.any(gradient):
        return verdict(False, f"gradient: {expected.size} computed numbers (one per weight, then the intercept), "
                              "from g = lj.huber.grad(...) by the chain rule: X.T @ g and g.sum(). Exact zeros "
                              "are not what floating point gives.",
                              f"gradient：{expected.size} 个计算出来的数（每个权重一个，最后是截距），"
                              "由 g = lj.huber.grad(...) 经链式法则得到：X.T @ g 和 g.sum()。"
                              "浮点运算给出的不会是精确的零。")
    cosine = gradient @ expected / (np.linalg.norm(gradient) * np.linalg.norm(expected))
    if cosine < 0.999:
        return verdict(False, "gradient: divide both y and the predictions by model.scale_, use delta=1.35, and "
                              "order it as (w_1, ..., w_d, b); the chain rule gives X.T @ g and g.sum().",
                              "gradient：把 y 和预测值都除以 model.scale_，使用 delta=1.35，并按 (w_1, ..., w_d, b) "
                              "排列；链式法则给出 X.T @ g 和 g.sum()。")
    return verdict(True, "", "")


def check_dask_weighted_mse(lazy_loss, weighted_mse, y_true, y_pred, weights):
    """Exercise 5: the weighted mean MSE of ``y_true, y_pred`` with ``sample_weight=weights``, computed by
    lossjit on Dask arrays: ``lazy_loss`` the lazy 0-d Dask array (``compute=False``), ``weighted_mse`` its
    value. The data come as NumPy arrays; the value must equal NumPy lossjit's to float32 rounding (the sums
    are grouped by chunk as well as by lossjit's blocks)."""
    if type(lazy_loss).__module__.split(".")[0] != "dask" or getattr(lazy_loss, "ndim", None) != 0:
        return verdict(False, "lazy_loss: a 0-d Dask array: call lj.mse on the Dask arrays with compute=False "
                              "(without it, the call computes the value and returns a NumPy number).",
                              "lazy_loss：一个 0 维的 Dask 数组：在 Dask 数组上调用 lj.mse 并传入 compute=False"
                              "（不传时，调用会直接算出值，返回一个 NumPy 数）。")
    expected = float(lj.mse(y_true, y_pred, sample_weight=weights))
    lazy_value = float(lazy_loss.compute())
    if close(lazy_value, float(lj.mse(y_true, y_pred)), rtol=1e-6) and not close(lazy_value, expected, rtol=1e-6):
        return verdict(False, "lazy_loss: this is the unweighted mean; pass the weights as sample_weight, as a Dask "
                              "array chunked like y_pred (the ValueError of other chunks says how to rechunk).",
                              "lazy_loss：这是不加权的平均；把权重作为 sample_weight 传入，它应是与 y_pred 分块方式"
                              "相同的 Dask 数组（分块方式不同时，ValueError 会说明如何 rechunk）。")
    if not close(lazy_value, expected, rtol=1e-6):
        return verdict(False, "lazy_loss: lj.mse(y_true, y_pred, sample_weight=..., compute=False) on the Dask "
                              "arrays, with the default reduction (the weighted mean, sum_i w_i l_i / sum_i w_i).",
                              "lazy_loss：在 Dask 数组上调用 lj.mse(y_true, y_pred, sample_weight=..., compute=False)，"
                              "使用默认的归约（加权平均 sum_i w_i l_i / sum_i w_i）。")
    if not close(weighted_mse, lazy_value, rtol=1e-6):
        return verdict(False, "weighted_mse: the value of lazy_loss, a number: lazy_loss.compute() (or "
                              "dask.compute(lazy_loss)[0]).",
                              "weighted_mse：lazy_loss 的值，是一个数：lazy_loss.compute()（或 "
                              "dask.compute(lazy_loss)[0]）。")
    return verdict(True, "", "")
