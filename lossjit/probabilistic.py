"""Probabilistic regression: a model predicts a distribution per target, and the loss is its negative
log-likelihood.

* :data:`gaussian_nll`: a mean and a variance per target (torch's ``gaussian_nll_loss``).
* :data:`laplace_nll`: a location and a scale per target, the heavy-tailed counterpart (MAE's likelihood
  with a learned scale).

Both take the target, then the two predictions, and give a gradient for each prediction. The spread
(variance or scale) has the prediction's shape, or that shape without its last axis (or with a last
axis of 1): one spread for each sample's features, whose gradient then sums over them.
"""

import numpy as np

from . import _validation as v
from ._kernels import paired
from ._multi_input import MultiInputLoss, PairedJob


def _nll_job(kernel, names, constant):
    def prepare(y_true, a, b, *, sample_weight=None, eps, full):
        eps = v.check_positive_number(eps, "eps")
        if not isinstance(full, (bool, np.bool_)):
            raise TypeError(f"full must be True or False, got {full!r}")
        return PairedJob(kernel, names, y_true, a, b, sample_weight, (eps, constant if full else 0.0))

    return prepare


gaussian_nll = MultiInputLoss(
    "gaussian_nll",
    _nll_job(paired.GAUSSIAN, ("y_true", "mean", "variance"), paired.HALF_LOG_TWO_PI),
    inputs=("y_true", "mean", "variance"),
    differentiable=("mean", "variance"),
    options={"eps": 1e-6, "full": False},
    formula=(r"\frac{1}{n}\sum_{i=1}^{n} \frac{1}{2}\left(\log v_i + \frac{(\mu_i - y_i)^2}{v_i}\right)"
             r"\ [+ \tfrac12\log 2\pi],\quad v_i = \max(\sigma^2_i, \varepsilon)"),
    gradient=(r"\frac{\partial L}{\partial \mu_i} = \frac{1}{n}\frac{\mu_i - y_i}{v_i},\quad "
              r"\frac{\partial L}{\partial \sigma^2_i} = \frac{1}{2n}\left(\frac{1}{v_i} - "
              r"\frac{(\mu_i - y_i)^2}{v_i^2}\right)"),
    properties={"task": "probabilistic regression", "convex": False, "robust_to_outliers": False,
                "input": "mean and variance"},
    summary=("Gaussian negative log-likelihood of y_true under N(mean, variance), as torch's gaussian_nll_loss: "
             "the variance (the prediction's shape, or one per sample: its shape without the last axis, or with a "
             "last axis of 1) is clamped to at least eps, with the gradient of the unclamped formula; full=True "
             "adds the constant log(2 pi) / 2. Gradients for the mean and the variance."),
)

laplace_nll = MultiInputLoss(
    "laplace_nll",
    _nll_job(paired.LAPLACE, ("y_true", "location", "scale"), paired.LOG_TWO),
    inputs=("y_true", "location", "scale"),
    differentiable=("location", "scale"),
    options={"eps": 1e-6, "full": False},
    formula=(r"\frac{1}{n}\sum_{i=1}^{n} \left(\log b_i + \frac{|m_i - y_i|}{b_i}\right)\ [+ \log 2],\quad "
             r"b_i = \max(s_i, \varepsilon)"),
    gradient=(r"\frac{\partial L}{\partial m_i} = \frac{1}{n}\frac{\operatorname{sign}(m_i - y_i)}{b_i},\quad "
              r"\frac{\partial L}{\partial s_i} = \frac{1}{n}\frac{1}{b_i}\left(1 - \frac{|m_i - y_i|}{b_i}\right)"),
    properties={"task": "probabilistic regression", "convex": False, "robust_to_outliers": True,
                "input": "location and scale"},
    summary=("Laplace negative log-likelihood of y_true under Laplace(location, scale): MAE with a learned scale "
             "per target, so a model can say where it is unsure. The scale is clamped to at least eps (gradient of "
             "the unclamped formula, as for gaussian_nll); full=True adds log 2. Gradients for both predictions."),
)
