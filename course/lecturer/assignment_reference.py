"""The lecturer's reference results for the graded assignment (assignment.md); lecturer only.

Runs the data code of the hand-out as it is printed there (between its ``data:begin`` and
``data:end`` markers), fits the linear model with the baselines and with one reference design,
prints every number that assignment_marking.md quotes, and asserts them. About 10 seconds:

    NUMBA_CACHE_DIR=... .venv/bin/python course/lecturer/assignment_reference.py

The baselines use exact solvers where they exist (least squares for MSE, scikit-learn's
``QuantileRegressor`` for MAE and the quantile loss), so the numbers do not depend on a learning
rate; the reference design is trained by plain gradient descent with lossjit's gradients, as the
students are asked to, and checked against the exact 0.75-quantile fit.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from scipy.stats import norm
from sklearn.linear_model import QuantileRegressor

import lossjit as lj

HERE = Path(__file__).resolve().parent


def handout_namespace() -> dict:
    """Execute the hand-out's data code and return its names (delivery_data, promise_cost, X_train, ...)."""
    text = (HERE / "assignment.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- data:begin -->\s*```python\n(.*?)```\s*<!-- data:end -->", text, re.DOTALL)
    assert block, "assignment.md lost its data:begin/data:end markers"
    namespace: dict = {}
    exec(compile(block.group(1), "assignment.md", "exec"), namespace)
    return namespace


@lj.pointwise_loss(formula=r"-r + 4\tau\log(1 + e^{r/\tau}) - 4\tau\log 2,\ r = y - \hat{y}")
def smooth_promise(y, p, tau=1.0):
    """The piecewise-linear part of the cost, 3 max(r, 0) + max(-r, 0) with r = y - p, with its kink
    rounded over about tau minutes (a softplus); 0 at r = 0; its minimiser tends to the 0.75-quantile."""
    x = (y - p) / tau
    if x >= 0.0:
        softplus = x + np.log1p(np.exp(-x))
        late = 1.0 / (1.0 + np.exp(-x))              # sigmoid(x): the "share" of the late slope
    else:
        e = np.exp(x)
        softplus = np.log1p(e)
        late = e / (1.0 + e)
    loss = tau * (-x + 4.0 * softplus - 4.0 * np.log(2.0))
    return loss, 1.0 - 4.0 * late, 4.0 * late * (1.0 - late) / tau


def fit_gradient_descent(loss, X, y, steps=3000, learning_rate=4.0, start=None, **options):
    """Full-batch gradient descent on mean loss(y, X w + b); returns (w, b, final gradient norm)."""
    w = np.zeros(X.shape[1]) if start is None else start[0].copy()
    b = float(np.median(y)) if start is None else start[1]
    for _ in range(steps):
        g = loss.grad(y, X @ w + b, **options)
        w, b = w - learning_rate * (X.T @ g), b - learning_rate * g.sum()
    g = loss.grad(y, X @ w + b, **options)
    return w, b, float(np.sqrt(np.sum((X.T @ g) ** 2) + g.sum() ** 2))


def main() -> None:
    data = handout_namespace()
    X_train, y_train, corrupted = data["X_train"], data["y_train"], data["corrupted_train"]
    X_test, y_test, promise_cost = data["X_test"], data["y_test"], data["promise_cost"]
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    Z_train, Z_test = (X_train - mean) / std, (X_test - mean) / std

    print(f"training records {len(y_train)}, corrupted {corrupted.sum()} ({corrupted.mean():.1%}); "
          f"test records {len(y_test)}")
    print(f"training minutes: mean {y_train.mean():.2f}, median {np.median(y_train):.2f}; "
          f"test: mean {y_test.mean():.2f}, median {np.median(y_test):.2f}")

    results = {}

    def report(name, prediction):
        late = y_test - prediction
        results[name] = (promise_cost(y_test, prediction), np.mean(late > 0), np.mean(late > 15))
        cost, late_share, very_late = results[name]
        print(f"{name:34s} test cost {cost:6.2f}   late {late_share:6.1%}   over 15 min late {very_late:6.1%}")

    design = np.column_stack([Z_train, np.ones(len(Z_train))])
    for subset, tag in ((np.ones(len(y_train), bool), ""), (~corrupted, ", clean")):
        theta = np.linalg.lstsq(design[subset], y_train[subset], rcond=None)[0]
        report(f"mse{tag}", Z_test @ theta[:-1] + theta[-1])
        for q in (0.5, 0.75, 0.8):
            fitted = QuantileRegressor(quantile=q, alpha=0.0, solver="highs").fit(Z_train[subset], y_train[subset])
            report(f"quantile q={q}{tag}", fitted.predict(Z_test))

    # The reference design, by gradient descent from the least-squares fit, with and without corrupted records.
    for subset, tag in ((np.ones(len(y_train), bool), ""), (~corrupted, ", clean")):
        w, b, gradient_norm = fit_gradient_descent(smooth_promise, Z_train[subset], y_train[subset])
        report(f"smooth_promise tau=1{tag}", Z_test @ w + b)
        print(f"{'':34s} gradient norm after 3000 steps {gradient_norm:.1e}")
        assert gradient_norm < 1e-6

    # The population optimum: the model is well specified, so the true conditional quantiles are linear.
    typical = 12.0 + 3.0 * X_test[:, 0] + 0.15 * X_test[:, 1] + 6.0 * X_test[:, 2] + 4.0 * X_test[:, 3]
    report("true 0.75-quantile (oracle)", typical * np.exp(0.3 * norm.ppf(0.75)))
    factors = np.linspace(1.0, 1.6, 601)
    costs = np.array([promise_cost(y_test, typical * k) for k in factors])
    best = factors[np.argmin(costs)]
    print(f"best multiple of the typical time (oracle, voucher included): {best:.3f}, "
          f"the {norm.cdf(np.log(best) / 0.3):.3f}-quantile, test cost {costs.min():.2f}")

    rng = np.random.default_rng(0)
    y_check = rng.uniform(10.0, 80.0, 64)
    error = lj.check_grad(smooth_promise, y_check, y_check + rng.normal(0.0, 10.0, 64), n_elements=64)
    print(f"check_grad of smooth_promise: largest relative error {error:.1e}")

    # The numbers assignment_marking.md quotes: its table (cost to 2 decimals, shares in % to 1 decimal) and text.
    table = {
        "mse": (13.76, 23.8, 3.8), "mse, clean": (15.57, 43.8, 7.1), "quantile q=0.5": (16.60, 48.0, 8.2),
        "quantile q=0.75": (13.47, 23.4, 3.0), "quantile q=0.75, clean": (13.51, 25.2, 3.6),
        "quantile q=0.8": (13.76, 17.8, 2.1), "smooth_promise tau=1": (13.49, 22.5, 3.0),
        "smooth_promise tau=1, clean": (13.49, 25.0, 3.5), "true 0.75-quantile (oracle)": (13.47, 24.9, 3.4),
    }
    for name, (cost, late_share, very_late) in table.items():
        measured = results[name]
        printed = (f"{measured[0]:.2f}", f"{measured[1]:.1%}", f"{measured[2]:.1%}")   # as report() prints them
        assert printed == (f"{cost:.2f}", f"{late_share:.1f}%", f"{very_late:.1f}%"), (name, printed)
    assert len(y_train) == 4000 and corrupted.sum() == 224 and len(y_test) == 2000
    assert round(y_train.mean(), 2) == 36.07 and round(float(np.median(y_train)), 2) == 28.58
    assert round(best, 3) == 1.247 and round(norm.cdf(np.log(best) / 0.3), 3) == 0.769
    assert round(costs.min(), 2) == 13.46
    assert abs(results["smooth_promise tau=1"][0] - results["quantile q=0.75"][0]) < 0.03
    assert error < 1e-9
    print("all quoted numbers check")


if __name__ == "__main__":
    main()
