"""Regression losses: a residual ``d = p - y`` per element."""

from . import _validation as v
from ._kernels import pointwise as kernels
from ._loss import PointwiseLoss
from ._pointwise import PointwiseJob

mse = PointwiseLoss(
    "mse",
    lambda y_true, y_pred, sample_weight: PointwiseJob(kernels.MSE, (), y_true, y_pred, sample_weight),
    options={},
    formula=r"\frac{1}{n}\sum_{i=1}^{n} (y_i - \hat{y}_i)^2",
    gradient=r"\frac{\partial L}{\partial \hat{y}_i} = \frac{2}{n}(\hat{y}_i - y_i)",
    properties={"task": "regression", "convex": True, "robust_to_outliers": False, "input": "values"},
    summary="Mean squared error: the Gaussian negative log-likelihood up to constants.",
)

mae = PointwiseLoss(
    "mae",
    lambda y_true, y_pred, sample_weight: PointwiseJob(kernels.MAE, (), y_true, y_pred, sample_weight),
    options={},
    formula=r"\frac{1}{n}\sum_{i=1}^{n} |y_i - \hat{y}_i|",
    gradient=r"\frac{\partial L}{\partial \hat{y}_i} = \frac{1}{n}\operatorname{sign}(\hat{y}_i - y_i)",
    properties={"task": "regression", "convex": True, "robust_to_outliers": True, "input": "values"},
    summary="Mean absolute error: the Laplace negative log-likelihood; its minimiser is the median.",
)


def _huber_job(y_true, y_pred, sample_weight, delta):
    delta = v.check_positive_number(delta, "delta")
    return PointwiseJob(kernels.HUBER, (delta,), y_true, y_pred, sample_weight)


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
