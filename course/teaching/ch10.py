"""Exercise checks of chapter 10 (inside the kernels): each says right or not yet, with a hint, never the answer.

The checks compute what they expect with lossjit's own losses, so they hold on any machine. Only
:func:`check_fast_kernel` times anything, and with a wide margin: a compiled loop is hundreds of times
faster than the interpreted one it replaces, and the check asks for ten, on arrays large enough (200 000
elements) that a busy machine's delays cannot eat that margin.
"""

import time

import numpy as np

import lossjit as lj

from .feedback import verdict

#: Exercise 3: the kernels whose bytes per element the reader counts.
BYTES_KERNELS = (
    "lj.mse value, float64",
    "lj.mse value_and_grad into out=, float64",
    "lj.mse value_and_grad into out=, float32",
    "lj.mse value with sample_weight of y_pred's shape, float64",
)
_BYTES = dict(zip(BYTES_KERNELS, (16, 24, 12, 24)))


def _data(size, seed):
    rng = np.random.default_rng(seed)
    y_true = rng.normal(size=size)
    return y_true, y_true + 2.0 * rng.normal(size=size)


def check_log_cosh_loss(my_log_cosh):
    """Exercise 1: a loss made with ``lj.pointwise_loss`` whose values are log cosh(p - y) and whose
    gradient (and hessian, if it has one) passes ``lj.check_grad``."""
    if not isinstance(my_log_cosh, lj.PointwiseLoss):
        return verdict(False, "my_log_cosh: the loss lj.pointwise_loss makes from an element function of (y, p) "
                              "that returns (loss, dloss_dp): apply lj.pointwise_loss to the function (as a "
                              "decorator or a call) and pass what it returns.",
                              "my_log_cosh：由 lj.pointwise_loss 从一个以 (y, p) 为参数、返回 (loss, dloss_dp) "
                              "的单元素函数生成的损失：把 lj.pointwise_loss 作用在这个函数上（用装饰器或直接调用），"
                              "传入它返回的对象。")
    y_true, y_pred = _data(64, 10)
    try:
        values = my_log_cosh(y_true, y_pred, reduction="none")
    except Exception as error:  # a student's element function may fail to compile in any way
        return verdict(False, f"my_log_cosh: calling it raised {type(error).__name__}; an element function may "
                              "use arithmetic and the NumPy functions Numba compiles for numbers (np.log, "
                              "np.cosh, np.tanh, np.exp, abs), on y and p only.",
                              f"my_log_cosh：调用它时抛出了 {type(error).__name__}；单元素函数只能对 y 和 p 使用"
                              "算术运算和 Numba 能为数值编译的 NumPy 函数（np.log、np.cosh、np.tanh、np.exp、abs）。")
    if not np.allclose(values, lj.log_cosh(y_true, y_pred, reduction="none"), rtol=1e-9, atol=1e-12):
        return verdict(False, "my_log_cosh: its values are not log cosh(p - y): the first value the element "
                              "function returns is the loss of one element, with d = p - y.",
                              "my_log_cosh：它的值不是 log cosh(p - y)：单元素函数返回的第一个值是一个元素的损失，"
                              "其中 d = p - y。")
    try:
        lj.check_grad(my_log_cosh, y_true, y_pred, reduction="sum")
    except lj.GradientCheckError as error:
        hessian = "hessian relative error" in str(error)
        which, which_zh = ("hessian", "二阶导数（hessian）") if hessian else ("gradient", "梯度")
        return verdict(False, f"my_log_cosh: its {which} disagrees with finite differences. The second value is "
                              "d loss / d p: differentiate log(cosh(d)) with the chain rule (cosh' = sinh); "
                              "a third value, if you return one, is the derivative of the second.",
                              f"my_log_cosh：它的{which_zh}与有限差分不一致。第二个返回值是 d loss / d p："
                              "用链式法则对 log(cosh(d)) 求导（cosh' = sinh）；如果返回第三个值，"
                              "它应是第二个值的导数。")
    return verdict(True, "", "")


def slow_huber(y, p, delta, out):
    """The deliberately slow kernel of exercise 2: the mean Huber loss of ``p`` against ``y``, returned, and
    its gradient written into ``out``, in two interpreted passes."""
    n = len(p)
    total = 0.0
    for i in range(n):
        d = p[i] - y[i]
        if abs(d) <= delta:
            total += 0.5 * d * d
        else:
            total += delta * (abs(d) - 0.5 * delta)
    for i in range(n):
        d = p[i] - y[i]
        out[i] = min(max(d, -delta), delta) / n
    return total / n


def _best_seconds(function, repeats=5):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def check_fast_kernel(fast_huber):
    """Exercise 2: ``fast_huber(y, p, delta, out)``, compiled by Numba, with ``slow_huber``'s results (the
    mean Huber loss returned, its gradient written into ``out``) and at least 10 times faster."""
    if not (callable(fast_huber) and hasattr(fast_huber, "py_func") and hasattr(fast_huber, "signatures")):
        return verdict(False, "fast_huber: a function compiled by Numba (decorated with @njit, or "
                              "@njit(parallel=True) with prange), taking (y, p, delta, out) like slow_huber.",
                              "fast_huber：一个由 Numba 编译的函数（用 @njit 装饰，或用 @njit(parallel=True) 配合 "
                              "prange），和 slow_huber 一样接受 (y, p, delta, out)。")
    y_true, y_pred = _data(200_000, 11)
    out = np.full_like(y_pred, np.nan)
    try:
        value = fast_huber(y_true, y_pred, 1.0, out)
    except Exception as error:  # a student's kernel may fail to compile or run in any way
        return verdict(False, f"fast_huber: calling it on float64 arrays raised {type(error).__name__}; read the "
                              "first lines of the error (the chapter's section on typing errors shows how).",
                              f"fast_huber：在 float64 数组上调用它时抛出了 {type(error).__name__}；"
                              "读一读错误信息的前几行（本章讲类型错误的一节演示了怎么读）。")
    try:
        value = float(value)
    except (TypeError, ValueError):
        value = float("nan")
    if not np.isclose(value, lj.huber(y_true, y_pred, delta=1.0), rtol=1e-12, atol=0):
        return verdict(False, "fast_huber: return the mean Huber loss, as slow_huber does (the sum of the "
                              "element losses divided by the number of elements).",
                              "fast_huber：像 slow_huber 一样返回 Huber 损失的平均值（各元素损失之和除以元素个数）。")
    if not np.allclose(out, lj.huber.grad(y_true, y_pred, delta=1.0), rtol=1e-12, atol=0):
        return verdict(False, "fast_huber: write the gradient of the mean into out, element by element, as "
                              "slow_huber does (out is allocated by the caller; do not return a new array).",
                              "fast_huber：像 slow_huber 一样把平均损失的梯度逐个元素写入 out（out 由调用者分配；"
                              "不要返回新数组）。")
    # On all 200 000 elements: the interpreted loop takes a tenth of a second or more, so a compiled kernel
    # passes even when a busy machine delays a parallel launch by milliseconds.
    slow = _best_seconds(lambda: slow_huber(y_true, y_pred, 1.0, out), repeats=1)
    fast = _best_seconds(lambda: fast_huber(y_true, y_pred, 1.0, out))
    if fast * 10 > slow:
        return verdict(False, "fast_huber: right results, but not 10 times faster than slow_huber yet: one "
                              "compiled loop that computes each residual once, adds the loss and writes the "
                              "gradient, with no arrays created inside it.",
                              "fast_huber：结果正确，但还没有比 slow_huber 快 10 倍：只用一个编译过的循环，"
                              "每个残差只算一次，同时累加损失并写入梯度，循环里不创建任何数组。")
    return verdict(True, "", "")


def check_bytes_per_element(bytes_per_element, predicted_seconds):
    """Exercise 3: ``{kernel: bytes read and written per element}`` for the kernels of ``BYTES_KERNELS``, and
    ``predicted_seconds(bytes_per_element, n_elements, bandwidth_gbs)``, the time of a memory-bound kernel."""
    if not isinstance(bytes_per_element, dict) or set(bytes_per_element) != set(BYTES_KERNELS):
        return verdict(False, "bytes_per_element: a dict with the keys of BYTES_KERNELS (print it), each value "
                              "the bytes the kernel reads and writes per element.",
                              "bytes_per_element：一个字典，键为 BYTES_KERNELS 中的各项（把它打印出来看），"
                              "每个值是该内核每个元素读写的字节数。")
    for kernel in BYTES_KERNELS:
        try:
            right = float(bytes_per_element[kernel]) == _BYTES[kernel]
        except (TypeError, ValueError):
            right = False
        if not right:
            return verdict(False, f"bytes_per_element['{kernel}']: list the arrays of n elements this kernel reads "
                                  "and the ones it writes (a sum is a number, not an array), and give each "
                                  "element its size: 8 bytes in float64, 4 in float32.",
                                  f"bytes_per_element['{kernel}']：列出这个内核读取的和写入的长度为 n 的数组"
                                  "（求和得到的是一个数，不是数组），每个元素按其大小计：float64 为 8 字节，"
                                  "float32 为 4 字节。")
    try:
        right = all(np.isclose(float(predicted_seconds(b, n, gbs)), b * n / (gbs * 1e9), rtol=1e-9, atol=0)
                    for b, n, gbs in ((24, 10 ** 7, 40.0), (12, 10 ** 6, 12.5), (16, 3 * 10 ** 8, 100.0)))
    except Exception:  # not a function, or a function that fails: the same hint
        right = False
    if not right:
        return verdict(False, "predicted_seconds: a function of (bytes_per_element, n_elements, bandwidth_gbs) "
                              "returning seconds; a memory-bound kernel moves all its bytes at the bandwidth, "
                              "and 1 GB/s is 1e9 bytes per second.",
                              "predicted_seconds：一个以 (bytes_per_element, n_elements, bandwidth_gbs) 为参数、"
                              "返回秒数的函数；受内存带宽限制的内核以带宽的速度搬运它的全部字节，"
                              "1 GB/s 即每秒 1e9 字节。")
    return verdict(True, "", "")
