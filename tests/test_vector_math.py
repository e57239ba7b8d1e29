"""The vectorisable exp, log1p, log, log(1 - q) and sinh against NumPy's in long double, in ulps of the result's
dtype; the row maximum and the integer order keys behind it."""

import operator

import numba
import numpy as np
import pytest
from numba import njit

from lossjit._config import ERROR_MODEL, FASTMATH
from lossjit._kernels import vector_math
from lossjit._kernels.vector_math import (_EXP_POLYNOMIAL_32, exp_any, exp_nonpositive, exp_summand, from_order_key,
                                         largest, log1p_unit, log_nonnegative, log_one_minus, log_positive, order_key,
                                         sinh_small)

POINTS = 20_000 if numba.config.DISABLE_JIT else 1_000_000
DTYPES = [np.float32, np.float64]


def elementwise(function):
    """A compiled loop ``out[i] = function(x[i])``, as the kernels call these functions."""
    @njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
    def loop(x, out):
        for i in range(x.size):
            out[i] = function(x[i])
    return loop


_exp_all = elementwise(exp_nonpositive)
_exp_summand_all = elementwise(exp_summand)
_log1p_all = elementwise(log1p_unit)
_log_all = elementwise(log_positive)
_log_one_minus_all = elementwise(log_one_minus)
_exp_any_all = elementwise(exp_any)
_log_nonnegative_all = elementwise(log_nonnegative)
_sinh_all = elementwise(sinh_small)


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _keys_and_back(x, keys, back):
    for i in range(x.size):
        keys[i] = order_key(x[i])
        back[i] = from_order_key(keys[i])


@njit(fastmath=FASTMATH, error_model=ERROR_MODEL)
def _row_maxima(x, n_columns, out):
    for r in range(out.size):
        out[r] = largest(x[r * n_columns:(r + 1) * n_columns])


def apply(function, x):
    out = np.empty_like(x)
    function(x, out)
    return out


#: The precision of the references: NumPy's long double, x86-64's 80-bit extended type (a 64-bit significand, 2^11
#: times finer than float64's). Against libm's float64 functions, a float64 result would be measured against their
#: own error too: ``np.sinh`` is 1.8 ulp off in places. (Where long double is float64, as on Windows, the float64
#: bounds are measured against libm's float64.)
EXACT = np.longdouble


def exact(numpy_function, x):
    """``numpy_function(x)`` (a NumPy ufunc) in :data:`EXACT` precision."""
    return numpy_function(x.astype(EXACT))


def ulps(result, reference):
    """|result - reference| in units of the last place of ``result``'s dtype at ``reference``."""
    spacing = np.spacing(np.abs(reference).astype(result.dtype)).astype(EXACT)
    return np.abs(result.astype(EXACT) - reference) / spacing


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_within_two_ulp_down_to_underflow(dtype):
    lowest = -745.0 if dtype == np.float64 else -103.0
    x = np.concatenate([np.linspace(lowest, 0.0, POINTS), -np.logspace(-30, 1, POINTS // 10)]).astype(dtype)
    result = apply(_exp_all, x)
    assert result.dtype == dtype
    assert ulps(result, exact(np.exp, x)).max() <= 2


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_special_values(dtype):
    x = np.array([0.0, -0.0, -np.inf, np.nan, -1e6, -800.0, -120.0], dtype)
    assert apply(_exp_all, x)[:3].tolist() == [1.0, 1.0, 0.0]
    assert np.isnan(apply(_exp_all, x)[3])
    assert apply(_exp_all, x)[4:].tolist() == np.exp(x[4:]).tolist()  # 0 or a subnormal, rounded once


def test_float32_exp_polynomial_within_its_stated_error():
    r = np.linspace(-np.log(2) / 2, np.log(2) / 2, 200_001)
    polynomial = np.polynomial.polynomial.polyval(r, np.array(_EXP_POLYNOMIAL_32, np.float64))
    assert np.abs(polynomial / np.exp(r) - 1).max() <= 1.8e-8


@pytest.mark.parametrize("length", [3, 14])
def test_polynomial_is_its_sum_of_powers_in_its_arguments_type(length):
    """Compiled, the polynomial's multiply-adds are emitted into the caller (an intrinsic): the sum of powers of the
    Python evaluation, for Horner's rule (under 12 terms) and the split tail; coefficients of another type than x are
    a typing error, not mixed-precision code."""
    coefficients = tuple(1.0 / (k + 1) for k in range(length))
    x = 0.3
    expected = sum(c * x**k for k, c in enumerate(coefficients))
    assert vector_math._sum_of_powers(coefficients, x, operator.mul, operator.add) == pytest.approx(expected, 1e-15)
    if numba.config.DISABLE_JIT:
        return
    polynomial = njit(lambda x: vector_math._polynomial(coefficients, x))
    assert polynomial(x) == pytest.approx(expected, rel=1e-15)
    with pytest.raises(numba.core.errors.TypingError):
        polynomial(np.float32(x))


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_summand_is_exp_down_to_its_floor(dtype):
    floor = -87.0 if dtype == np.float32 else -708.0
    x = np.concatenate([np.linspace(floor, 0.0, POINTS), -np.logspace(-30, 1, POINTS // 10)]).astype(dtype)
    assert_bits_equal(apply(_exp_summand_all, x), apply(_exp_all, x))
    below = np.array([floor - 1e-3 * abs(floor), -800.0, -1e6, -np.inf], dtype)
    assert apply(_exp_summand_all, below).tolist() == [apply(_exp_all, np.array([floor], dtype))[0]] * 4
    assert np.isnan(apply(_exp_summand_all, np.array([np.nan], dtype))[0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_of_any_argument_within_two_ulp_up_to_overflow(dtype):
    lowest, highest = (-745.0, 709.78) if dtype == np.float64 else (-103.0, 88.72)
    x = np.concatenate([np.linspace(lowest, highest, POINTS), np.logspace(-30, np.log10(highest), POINTS // 10),
                        -np.logspace(-30, 1, POINTS // 10)]).astype(dtype)
    result = apply(_exp_any_all, x)
    assert result.dtype == dtype
    reference = exact(np.exp, x)
    finite = np.isfinite(reference.astype(dtype))
    assert ulps(result[finite], reference[finite]).max() <= 2
    assert np.all(np.isposinf(result[~finite]))  # the largest few rounded up to overflow, as np.exp does


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_of_any_argument_special_values(dtype):
    x = np.array([0.0, -0.0, np.inf, -np.inf, 1e6, -1e6, 720.0, 100.0, -800.0, -120.0], dtype)
    with np.errstate(over="ignore"):  # NUMBA_DISABLE_JIT: the Python version warns as NumPy does
        expected = np.exp(x)
        assert_bits_equal(apply(_exp_any_all, x), expected)  # inf and subnormals rounded once, as np.exp
    assert np.isnan(apply(_exp_any_all, np.array([np.nan], dtype))[0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_of_nonnegative_numbers_within_three_ulp_subnormals_included(dtype):
    info = np.finfo(dtype)
    x = np.concatenate([np.logspace(np.log10(info.smallest_subnormal), np.log10(info.max / 2), POINTS),
                        np.linspace(0.0, 2.0, POINTS // 10)[1:]]).astype(dtype)
    x = x[(x > 0) & np.isfinite(x)]
    result = apply(_log_nonnegative_all, x)
    assert result.dtype == dtype
    assert ulps(result, exact(np.log, x)).max() <= 3
    special = apply(_log_nonnegative_all, np.array([0.0, -0.0, np.inf, 1.0, -1.0, -np.inf, np.nan], dtype))
    assert special[:4].tolist() == [-np.inf, -np.inf, np.inf, 0.0]
    assert np.all(np.isnan(special[4:]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_sinh_within_two_ulp_up_to_one_half(dtype):
    x = np.concatenate([np.linspace(-0.5, 0.5, POINTS), np.logspace(-40, np.log10(0.5), POINTS // 10)]).astype(dtype)
    result = apply(_sinh_all, x)
    assert result.dtype == dtype
    assert ulps(result, exact(np.sinh, x)).max() <= 2
    assert apply(_sinh_all, np.array([0.0, 1e-30], dtype)).tolist() == [0.0, dtype(1e-30)]


@pytest.mark.parametrize("dtype", DTYPES)
def test_log1p_within_three_ulp(dtype):
    x = np.concatenate([np.linspace(0.0, 1.0, POINTS), np.logspace(-40, 0, POINTS // 10)]).astype(dtype)
    result = apply(_log1p_all, x)
    assert result.dtype == dtype
    assert ulps(result, exact(np.log1p, x)).max() <= 3


@pytest.mark.parametrize("dtype", DTYPES)
def test_log1p_special_values(dtype):
    result = apply(_log1p_all, np.array([0.0, 1.0, np.nan, 1e-30], dtype))
    assert result[0] == 0.0 and np.isclose(result[1], np.log(2.0), rtol=0, atol=np.finfo(dtype).eps)
    assert np.isnan(result[2]) and result[3] == dtype(1e-30)


@pytest.mark.parametrize("dtype", DTYPES)
def test_log1p_down_to_minus_one_half(dtype):
    x = np.concatenate([np.linspace(-0.5, 0.0, POINTS), -np.logspace(-40, np.log10(0.5), POINTS // 10)]).astype(dtype)
    assert ulps(apply(_log1p_all, x), exact(np.log1p, x)).max() <= 3


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_of_positive_numbers_within_three_ulp(dtype):
    tiny, huge = np.finfo(dtype).tiny, np.finfo(dtype).max / 2
    x = np.concatenate([np.linspace(tiny, 1.0, POINTS), np.logspace(np.log10(tiny), np.log10(huge), POINTS // 10),
                        1.0 - np.logspace(-7, -1, 1000), np.linspace(1.0, 1000.0, POINTS // 10)]).astype(dtype)
    result = apply(_log_all, x)
    assert result.dtype == dtype
    assert ulps(result, exact(np.log, x)).max() <= 3
    assert apply(_log_all, np.array([1.0, 0.5], dtype)).tolist() == [0.0, dtype(np.log(0.5))]
    assert np.isnan(apply(_log_all, np.array([np.nan], dtype))[0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_one_minus_within_three_ulp(dtype):
    """log(1 - q) on [0, 1): log1p(-q) below 1/2 (tiny q keep their digits), log of the exact 1 - q above."""
    eps = np.finfo(dtype).eps
    q = np.concatenate([np.linspace(0.0, 1.0 - eps, POINTS), np.logspace(-40, np.log10(0.5), POINTS // 10),
                        1.0 - np.logspace(np.log10(eps), np.log10(0.5), POINTS // 10)]).astype(dtype)
    q = q[q < 1]
    result = apply(_log_one_minus_all, q)
    assert result.dtype == dtype
    assert ulps(result, exact(np.log1p, -q)).max() <= 3
    special = apply(_log_one_minus_all, np.array([0.0, 1e-30, np.nan], dtype))
    assert special[:2].tolist() == [0.0, dtype(-1e-30)]
    assert np.isnan(special[2])


@pytest.mark.parametrize("dtype", DTYPES)
def test_order_keys_sort_like_the_floats_and_round_trip(dtype):
    info = np.finfo(dtype)
    x = np.array([-np.inf, -info.max, -1.5, -info.tiny, -info.smallest_subnormal, -0.0, 0.0,
                  info.smallest_subnormal, info.tiny, 1.0, 1.5, info.max, np.inf], dtype)
    keys = np.empty(x.size, np.int32 if dtype == np.float32 else np.int64)
    back = np.empty_like(x)
    _keys_and_back(x, keys, back)
    assert np.all(np.diff(keys) > 0)  # strictly increasing, -0 below +0
    assert_bits_equal(back, x)
    nans = np.array([np.nan, -np.nan], dtype)
    nan_keys = np.empty(2, keys.dtype)
    _keys_and_back(nans, nan_keys, np.empty_like(nans))
    assert nan_keys[0] > keys[-1] and nan_keys[1] < keys[0]  # NaN past the infinities, by its sign bit


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_columns", [1, 3, 10, 31, 100, 1000])
def test_largest_is_the_row_maximum(dtype, n_columns):
    rng = np.random.default_rng(n_columns)
    x = (rng.standard_normal((50, n_columns)) * 10.0 ** rng.integers(-30, 30, (50, 1))).astype(dtype)
    x[0] = -np.inf
    x[1, ::2] = -np.inf
    x[2, -1] = np.inf
    x[3] = -0.0
    x[4] = -0.0
    x[4, -1] = 0.0
    out = np.empty(50, dtype)
    _row_maxima(x.ravel(), n_columns, out)
    assert_bits_equal(out[5:], x[5:].max(axis=1))
    assert out[:3].tolist() == [-np.inf, x[1].max(), np.inf]
    assert np.signbit(out[3]) and out[3] == 0 and not np.signbit(out[4]) and out[4] == 0
    x[6, n_columns // 2] = np.nan
    _row_maxima(x.ravel(), n_columns, out)
    assert np.isnan(out[6])


def assert_bits_equal(result, expected):
    assert result.dtype == expected.dtype
    assert result.tobytes() == expected.tobytes()
