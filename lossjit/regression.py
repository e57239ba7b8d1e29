"""Regression losses: functions of the residual ``d = p - y`` per element, and the Poisson loss for counts."""

from functools import partial

import numpy as np

from . import _validation as v
from ._config import EPSILON
from ._kernels import elements
from ._loss import PointwiseLoss
from ._pointwise import PointwiseJob, element_kernel

_MSE, _MAE, _HUBER, _QUANTILE, _SMOOTH_L1 = (
    element_kernel(function, has_hessian=True) for function in (
        elements.mse, elements.mae, elements.huber, elements.quantile, elements.smooth_l1))
_LOG_COSH, _POISSON_LOG_RATE, _POISSON_RATE = (  # logs and exponentials: buffered
    element_kernel(function, has_hessian=True, buffered=True) for function in (
        elements.log_cosh, elements.poisson_log_rate, elements.poisson_rate))

mse = PointwiseLoss(
    "mse",
    partial(PointwiseJob, _MSE, ()),  # (y_true, y_pred, sample_weight) -> job
    options={},
    formula=r"\frac{1}{n}\sum_{i=1}^{n} (y_i - \hat{y}_i)^2",
    gradient=r"\frac{\partial L}{\partial \hat{y}_i} = \frac{2}{n}(\hat{y}_i - y_i)",
    properties={"task": "regression", "convex": True, "robust_to_outliers": False, "input": "values"},
    summary="Mean squared error: the Gaussian negative log-likelihood up to constants.",
)

mae = PointwiseLoss(
    "mae",
    partial(PointwiseJob, _MAE, ()),  # (y_true, y_pred, sample_weight) -> job
    options={},
    formula=r"\frac{1}{n}\sum_{i=1}^{n} |y_i - \hat{y}_i|",
    gradient=r"\frac{\partial L}{\partial \hat{y}_i} = \frac{1}{n}\operatorname{sign}(\hat{y}_i - y_i)",
    properties={"task": "regression", "convex": True, "robust_to_outliers": True, "input": "values"},
    summary="Mean absolute error: the Laplace negative log-likelihood; its minimiser is the median.",
)


def _huber_job(y_true, y_pred, sample_weight, delta):
    delta = v.check_positive_number(delta, "delta")
    return PointwiseJob(_HUBER, (delta,), y_true, y_pred, sample_weight)


huber = PointwiseLoss(
    "huber",
    _huber_job,
    options={"delta": 1.0},
    formula=(r"\frac{1}{n}\sum_{i=1}^{n} \begin{cases} \tfrac12 d_i^2 & |d_i| \le \delta \\ "
             r"\delta(|d_i| - \tfrac12\delta) & |d_i| > \delta \end{cases},\quad d_i = \hat{y}_i - y_i"),
    gradient=r"\frac{\partial L}{\partial \hat{y}_i} = \frac{1}{n}\operatorname{clip}(d_i, -\delta, \delta)",
    properties={"task": "regression", "convex": True, "robust_to_outliers": True, "input": "values"},
    summary="Huber loss: quadratic for residuals within delta, linear beyond.",
)


log_cosh = PointwiseLoss(
    "log_cosh",
    partial(PointwiseJob, _LOG_COSH, ()),  # (y_true, y_pred, sample_weight) -> job
    options={},
    formula=r"\frac{1}{n}\sum_{i=1}^{n} \log\cosh(\hat{y}_i - y_i)",
    gradient=r"\frac{\partial L}{\partial \hat{y}_i} = \frac{1}{n}\tanh(\hat{y}_i - y_i)",
    properties={"task": "regression", "convex": True, "robust_to_outliers": True, "input": "values"},
    summary=("Log-cosh loss: about d^2 / 2 for small residuals d and |d| - log 2 for large ones, smooth "
             "everywhere. Computed as log1p(2 sinh(d/2)^2) for |d| < 1 and |d| + log1p(exp(-2|d|)) - log 2 "
             "beyond, so it neither overflows nor loses small values."),
)


def _quantile_job(y_true, y_pred, sample_weight, q):
    q = v.check_positive_number(q, "q")
    if q >= 1:
        raise ValueError(f"q must lie in (0, 1), got {q}")
    return PointwiseJob(_QUANTILE, (q,), y_true, y_pred, sample_weight)


quantile = PointwiseLoss(
    "quantile",
    _quantile_job,
    options={"q": 0.5},
    formula=(r"\frac{1}{n}\sum_{i=1}^{n} \max\left(q\,(y_i - \hat{y}_i),\ (q - 1)(y_i - \hat{y}_i)\right)"),
    gradient=(r"\frac{\partial L}{\partial \hat{y}_i} = \frac{1}{n}\begin{cases} -q & y_i > \hat{y}_i \\ "
              r"1 - q & y_i < \hat{y}_i \\ 0 & y_i = \hat{y}_i \end{cases}"),
    properties={"task": "regression", "convex": True, "robust_to_outliers": True, "input": "values"},
    summary=("Quantile (pinball) loss: its minimiser is the q-th quantile of y; q = 0.5 gives half the "
             "MAE. Under-prediction costs q per unit, over-prediction 1 - q."),
)


def _poisson_job(y_true, y_pred, sample_weight, log_input):
    y_true = v.as_array(y_true, "y_true")
    v.check_in_range(y_true, "y_true", 0, np.inf)
    if log_input:
        return PointwiseJob(_POISSON_LOG_RATE, (), y_true, y_pred, sample_weight)
    y_pred = v.as_array(y_pred, "y_pred")
    v.check_in_range(y_pred, "y_pred", 0, np.inf)
    return PointwiseJob(_POISSON_RATE, (EPSILON,), y_true, y_pred, sample_weight)


poisson = PointwiseLoss(
    "poisson",
    _poisson_job,
    options={"log_input": True},
    formula=(r"\frac{1}{n}\sum_{i=1}^{n} \left(e^{r_i} - y_i r_i\right)\ \text{(log\_input)};\quad "
             r"\frac{1}{n}\sum_{i=1}^{n} \left(\hat{y}_i - y_i \log(\hat{y}_i + \epsilon)\right)"),
    gradient=(r"\frac{\partial L}{\partial r_i} = \frac{1}{n}\left(e^{r_i} - y_i\right);\quad "
              r"\frac{\partial L}{\partial \hat{y}_i} = \frac{1}{n}\left(1 - \frac{y_i}{\hat{y}_i + \epsilon}\right)"),
    properties={"task": "count regression", "convex": True, "robust_to_outliers": False, "input": "values"},
    summary=("Poisson negative log-likelihood without the log(y!) constant, for counts y >= 0. With "
             "log_input=True (the default, as torch's PoissonNLLLoss) y_pred is the log-rate r and the loss "
             "is exp(r) - y r; with log_input=False y_pred is the rate p >= 0 and the loss is "
             "p - y log(p + EPSILON), which is Keras's Poisson loss (torch's eps defaults to 1e-8)."),
)


def _smooth_l1_job(y_true, y_pred, sample_weight, beta):
    beta = v.check_positive_number(beta, "beta", allow_zero=True)
    return PointwiseJob(_SMOOTH_L1, (beta,), y_true, y_pred, sample_weight)


smooth_l1 = PointwiseLoss(
    "smooth_l1",
    _smooth_l1_job,
    options={"beta": 1.0},
    formula=(r"\frac{1}{n}\sum_{i=1}^{n} \begin{cases} \tfrac{1}{2\beta} d_i^2 & |d_i| < \beta \\ "
             r"|d_i| - \tfrac12\beta & |d_i| \ge \beta \end{cases},\quad d_i = \hat{y}_i - y_i"),
    gradient=(r"\frac{\partial L}{\partial \hat{y}_i} = \frac{1}{n}\begin{cases} d_i / \beta & |d_i| < \beta \\ "
              r"\operatorname{sign}(d_i) & |d_i| \ge \beta \end{cases}"),
    properties={"task": "regression", "convex": True, "robust_to_outliers": True, "input": "values"},
    summary=("Smooth L1 loss, as torch's SmoothL1Loss: quadratic below beta, linear beyond, with slope 1 "
             "(beta = 0 gives the MAE). It is Huber scaled: huber(d, delta) = delta * smooth_l1(d, beta=delta)."),
)
