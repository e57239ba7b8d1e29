"""Loop building blocks that LLVM can vectorise: ``exp``, ``log``, ``log1p``, ``sinh`` and ``max``, in float32
and float64.

The llvmlite wheels on PyPI are built without Intel SVML, so a loop calling
``math.exp`` or ``math.log1p`` calls scalar libm once per element (10-40 ns)
and is never vectorised. These functions use only arithmetic, ``floor``,
comparisons and a bit cast, so loops of them run 4 (float64) or 8 (float32)
lanes at a time. Each takes and returns its argument's dtype; only the ranges
the kernels need are supported (documented per function).

* ``exp_nonpositive(x)``, x <= 0: x = k log 2 + r with |r| <= log(2)/2 (the
  Cody-Waite split of log 2 keeps k log 2 exact), exp(r) by a polynomial
  (float64: the Taylor series to degree 13; float32: degree 6, fitted to the
  relative error, one multiply-add less than Taylor's degree 7 for the same
  accuracy), times 2^k built from its bits; 2^k below the smallest normal
  number is applied in two steps so a subnormal result is rounded once. -inf
  gives 0, NaN stays NaN.
* ``exp_summand(x)``, x <= 0, for the terms of a sum that holds a 1 (a softmax
  row's sum of exp(z - max z)): ``exp_nonpositive`` without its subnormal step,
  x clamped to -87 (float32) or -708 (float64), so results below that come out
  as exp(-87) ~ 1.6e-38 or exp(-708) ~ 3.3e-308 (-inf too). That moves a sum of
  n such terms by at most n times that, far below the sum's rounding, and saves
  a tenth of the time.
* ``exp_any(x)``, any x: the same, with 2^k above 2^1000 (2^120 in float32)
  also applied in two steps, so the result overflows once, to inf.
* ``largest(values)``: the maximum of an array as its largest ``order_key`` (the
  float's bits as an integer with the float order: -0 < +0, NaN past the
  infinities): an integer maximum vectorises, a float ``max`` does not.
* ``log1p_unit(x)``, -1/2 <= x <= 1: log(1 + x) = 2 atanh(s), s = x / (2 + x) in
  [-1/3, 1/3], by the odd series 2 (s + s^3/3 + s^5/5 + ...) (to s^35 in
  float64, s^17 in float32). No 1 + x is formed, so tiny x keeps its digits.
* ``log_positive(x)``, a finite positive normal number: x = 2^k m with m in
  [sqrt(1/2), sqrt(2)) read from the bits, log x = k log 2 + log1p(m - 1)
  (m - 1 is exact), where s lies within 1/5 and a shorter series (to s^21 in
  float64, s^9 in float32) suffices.
* ``log_nonnegative(x)``, x >= 0: ``log_positive`` with subnormal x first
  scaled by 2^54 (2^32 in float32) into the normal numbers; 0 gives -inf, inf
  gives inf, a negative x or NaN gives NaN.
* ``sinh_small(x)``, |x| <= 1/2: x (1 + x^2/3! + x^4/5! + ...) (to x^15 in
  float64, x^9 in float32).
* ``clip_probability(p, eps)``: p clipped to [eps, 1 - eps] for a log, and
  whether it lay inside (a clipped probability has no gradient).
* ``log_one_minus(q)``, 0 <= q < 1: log1p(-q) for q <= 1/2, else log(1 - q) as above (1 - q is
  exact there); -q below -1/4 first becomes 1 - 2q with one power of 2 out (exact), so
  the short series serves both; one division either way.

exp and sinh stay within 2 ulp, log1p and log within 3 ulp of the exact result (tests/test_vector_math.py,
against long double) on any CPU: these functions are compiled without reassociation (``EXACT_FASTMATH`` in
``lossjit/_config.py``), which would let LLVM reorder their operations per target CPU.
Numba's cache keys on a kernel file's contents, not on this module's: after
editing it, empty ``NUMBA_CACHE_DIR`` and run ``python -m lossjit.warmup``.
"""

import math
import operator

import numba
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core.extending import intrinsic, overload

from .._config import EXACT_CALLEE, EXACT_FASTMATH, INLINE

_LOG2_E = 1.4426950408889634
_LN2_HIGH = 6.93147180369123816490e-01  # log(2) = _LN2_HIGH + _LN2_LOW, _LN2_HIGH * k exact for |k| < 2^20
_LN2_LOW = 1.90821492927058770002e-10
_SQRT2 = 1.4142135623730951
_EXP_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(14))  # exp(r), |r| <= log(2)/2: within 4e-18
_ATANH_SERIES = tuple(2.0 / (2 * k + 1) for k in range(18))  # log1p = sum_k c_k s^(2k+1), |s| <= 1/3
_ATANH_SERIES_SHORT = _ATANH_SERIES[:11]  # |s| <= 1/5: within 2e-17
_SINH_SERIES = tuple(1.0 / math.factorial(2 * k + 1) for k in range(8))  # sinh x / x in x^2, |x| <= 1/2: within 5e-20

_LOG2_E_32 = np.float32(_LOG2_E)
_LN2_HIGH_32 = np.float32(0.693145751953125)  # 12 significant bits: _LN2_HIGH_32 * k exact for |k| < 2^11
_LN2_LOW_32 = np.float32(1.428606765330187e-06)
#: exp(r) for |r| <= log(2)/2 in float32, degree 6 with c0 = c1 = 1: the relative error minimised by Lawson's
#: iterated weighted least squares; within 1.8e-8 of exp (tests/test_vector_math.py), Taylor's degree 6 is 1.2e-7.
_EXP_POLYNOMIAL_32 = tuple(np.float32(c) for c in (1.0, 1.0, 0.4999999403953552, 0.16666431725025177,
                                                    0.04166800156235695, 0.008374152705073357, 0.0013843642082065344))
_ATANH_SERIES_32 = tuple(np.float32(c) for c in _ATANH_SERIES[:9])  # to s^17: within 1e-9
_ATANH_SERIES_SHORT_32 = _ATANH_SERIES_32[:5]  # to s^9, |s| <= 1/5: within 1e-8
_SINH_SERIES_32 = tuple(np.float32(c) for c in _SINH_SERIES[:5])  # to x^9: within 3e-11


if numba.config.DISABLE_JIT:
    def _float64_from_bits(bits):
        return np.int64(bits).view(np.float64)

    def _float32_from_bits(bits):
        return np.int32(bits).view(np.float32)

    def _bits_of_float64(x):
        return np.float64(x).view(np.int64)

    def _bits_of_float32(x):
        return np.float32(x).view(np.int32)
else:
    @intrinsic
    def _float64_from_bits(typingctx, bits):
        """The float64 whose IEEE bits are the int64 ``bits``."""
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.DoubleType())
        return types.float64(types.int64), codegen

    @intrinsic
    def _float32_from_bits(typingctx, bits):
        """The float32 whose IEEE bits are the int32 ``bits``."""
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.FloatType())
        return types.float32(types.int32), codegen

    @intrinsic
    def _bits_of_float64(typingctx, x):
        """The IEEE bits of the float64 ``x`` as an int64."""
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.IntType(64))
        return types.int64(types.float64), codegen

    @intrinsic
    def _bits_of_float32(typingctx, x):
        """The IEEE bits of the float32 ``x`` as an int32."""
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.IntType(32))
        return types.int32(types.float32), codegen


def _sum_of_powers(c, x, multiply, add):
    """sum_k c[k] x^k for small x, by ``multiply`` and ``add``: on numbers, or emitting LLVM IR (:func:`_polynomial`).

    Loops of these polynomials are latency-bound: one long chain of dependent multiply-adds per element.
    From 12 coefficients (float64) the sum is c0 + (c1 x + x^2 t(x)), with the tail
    t = sum_k c_(k+2) x^k as four Horner chains in x^4 joined by (t0 + x t1) + x^2 (t2 + x t3): a
    third of Horner's dependent steps, and the tail is small next to c0 + c1 x, so its extra
    roundings barely reach the result. Shorter (float32) series gain nothing from it and keep Horner.
    """
    def horner(first, step, variable):  # sum_j c[first + step j] variable^j
        top = first + step * ((len(c) - 1 - first) // step)
        total = c[top]
        for k in range(top - step, first - 1, -step):
            total = add(multiply(total, variable), c[k])
        return total

    if len(c) < 12:
        return horner(0, 1, x)
    x2 = multiply(x, x)
    x4 = multiply(x2, x2)
    t0, t1, t2, t3 = (horner(first, 4, x4) for first in (2, 3, 4, 5))
    return add(c[0], add(multiply(c[1], x), multiply(x2, add(add(t0, multiply(x, t1)),
                                                             multiply(x2, add(t2, multiply(x, t3)))))))


if numba.config.DISABLE_JIT:
    def _polynomial(coefficients, x):
        """sum_k coefficients[k] x^k for small x (:func:`_sum_of_powers`)."""
        return _sum_of_powers(coefficients, x, operator.mul, operator.add)
else:
    @intrinsic
    def _polynomial(typingctx, coefficients, x):
        """sum_k coefficients[k] x^k for small x (:func:`_sum_of_powers`), a constant tuple of x's type, emitted as
        LLVM IR into the caller with ``EXACT_FASTMATH``'s flags: the multiply-adds Numba compiled from the expression
        written out, the same bits, without a function of its own per length to compile (0.05-0.08 s each in a cold
        call)."""
        if not (isinstance(coefficients, types.UniTuple) and coefficients.dtype == x):
            return None  # the coefficients in x's type, or a typing error
        flags = tuple(sorted(EXACT_FASTMATH))

        def codegen(context, builder, signature, args):
            tuple_value, value = args
            terms = [builder.extract_value(tuple_value, k) for k in range(len(coefficients))]
            return _sum_of_powers(terms, value, lambda a, b: builder.fmul(a, b, flags=flags),
                                  lambda a, b: builder.fadd(a, b, flags=flags))

        return x(coefficients, x), codegen


@njit(**EXACT_CALLEE)
def _exp_reduced_64(clamped):
    """(exp(r), k) with x = k log 2 + r, |r| <= log(2)/2, for x clamped to a finite range (or NaN)."""
    finite = clamped if clamped == clamped else 0.0  # k from NaN would be an undefined integer
    k = np.floor(finite * _LOG2_E + 0.5)
    r = (clamped - k * _LN2_HIGH) - k * _LN2_LOW  # NaN stays NaN through r, poly and the result
    return _polynomial(_EXP_TAYLOR, r), np.int64(k)


@njit(**EXACT_CALLEE)
def _exp_reduced_32(clamped):
    finite = clamped if clamped == clamped else np.float32(0.0)
    k = np.floor(finite * _LOG2_E_32 + np.float32(0.5))
    r = (clamped - k * _LN2_HIGH_32) - k * _LN2_LOW_32
    return _polynomial(_EXP_POLYNOMIAL_32, r), np.int32(k)


def _exp_nonpositive_64(x):
    poly, exponent = _exp_reduced_64(-746.0 if x < -746.0 else x)  # exp(-745.2) rounds to 0; -inf -> 0
    tiny = exponent < -1000
    power = _float64_from_bits((exponent + (1023 + 64 if tiny else 1023)) << 52)
    return poly * power * (5.421010862427522e-20 if tiny else 1.0)  # 2^-64


def _exp_nonpositive_32(x):
    poly, exponent = _exp_reduced_32(np.float32(-104.0) if x < np.float32(-104.0) else x)  # exp(-103.98) -> 0
    tiny = exponent < np.int32(-120)
    power = _float32_from_bits((exponent + np.int32(127 + 32 if tiny else 127)) << np.int32(23))
    return poly * power * (np.float32(2.3283064365386963e-10) if tiny else np.float32(1.0))  # 2^-32


def _exp_summand_64(x):
    poly, exponent = _exp_reduced_64(-708.0 if x < -708.0 else x)  # 2^k normal: k >= -1022
    return poly * _float64_from_bits((exponent + 1023) << 52)


def _exp_summand_32(x):
    poly, exponent = _exp_reduced_32(np.float32(-87.0) if x < np.float32(-87.0) else x)  # k >= -126
    return poly * _float32_from_bits((exponent + np.int32(127)) << np.int32(23))


def _exp_64(x):
    clamped = -746.0 if x < -746.0 else (710.0 if x > 710.0 else x)  # exp(709.8) overflows
    poly, exponent = _exp_reduced_64(clamped)
    tiny = exponent < -1000
    huge = exponent > 1000  # 2^1024 is not a float64: 2^(k - 64) 2^64, which overflows once, to inf
    power = _float64_from_bits((exponent + (1023 + 64 if tiny else (1023 - 64 if huge else 1023))) << 52)
    return poly * power * (5.421010862427522e-20 if tiny else (1.8446744073709552e19 if huge else 1.0))


def _exp_32(x):
    clamped = np.float32(-104.0) if x < np.float32(-104.0) else (np.float32(89.0) if x > np.float32(89.0) else x)
    poly, exponent = _exp_reduced_32(clamped)
    tiny = exponent < np.int32(-120)
    huge = exponent > np.int32(120)
    power = _float32_from_bits((exponent + np.int32(127 + 32 if tiny else (127 - 32 if huge else 127)))
                               << np.int32(23))
    return poly * power * (np.float32(2.3283064365386963e-10) if tiny
                           else (np.float32(4294967296.0) if huge else np.float32(1.0)))


@njit(**EXACT_CALLEE)
def _atanh_log1p(x, two, series):
    """log(1 + x) = 2 atanh(s), s = x / (2 + x), by ``series`` in s^2 (``two`` = 2 in x's dtype).

    The long series serves |s| <= 1/3 (-1/2 <= x <= 1), the short one |s| <= 1/5 (-1/4 <= x <= 1/2).
    """
    s = x / (two + x)
    return s * _polynomial(series, s * s)


@njit(**EXACT_CALLEE)
def _log1p_reduce_64(x):
    """(k, f) with 1 + x = 2^k (1 + f) exactly, k in {-1, 0}, -1/4 <= f <= 1/2, for -1/2 <= x <= 1/2
    (f fit for the short series of :func:`_atanh_log1p`). Below -1/4, f = 2 x + 1, exact by Sterbenz's lemma."""
    low = x < -0.25
    return (-1.0 if low else 0.0), (x * 2.0 + 1.0 if low else x)


@njit(**EXACT_CALLEE)
def _log1p_reduce_32(x):
    low = x < np.float32(-0.25)
    return (np.float32(-1.0) if low else np.float32(0.0)), (x * np.float32(2.0) + np.float32(1.0) if low else x)


def _log1p_unit_64(x):
    return _atanh_log1p(x, 2.0, _ATANH_SERIES)  # the long series: reducing x first measured 0.91-1.0x in bce


def _log1p_unit_32(x):
    return _atanh_log1p(x, np.float32(2.0), _ATANH_SERIES_32)


def _sinh_small_64(x):
    return x * _polynomial(_SINH_SERIES, x * x)


def _sinh_small_32(x):
    return x * _polynomial(_SINH_SERIES_32, x * x)


@njit(**EXACT_CALLEE)
def _log_parts_64(x):
    """(k, f) with x = 2^k (1 + f), 1 + f in [sqrt(1/2), sqrt(2)) (f exact), for a positive normal x."""
    bits = _bits_of_float64(x)
    exponent = (bits >> 52) - 1023
    mantissa = _float64_from_bits((bits & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000)  # in [1, 2)
    above = mantissa > _SQRT2
    mantissa = mantissa * 0.5 if above else mantissa
    return np.float64(exponent + 1 if above else exponent), mantissa - 1.0


@njit(**EXACT_CALLEE)
def _log_parts_32(x):
    bits = _bits_of_float32(x)
    exponent = (bits >> np.int32(23)) - np.int32(127)
    mantissa = _float32_from_bits((bits & np.int32(0x7FFFFF)) | np.int32(0x3F800000))
    above = mantissa > np.float32(_SQRT2)
    mantissa = mantissa * np.float32(0.5) if above else mantissa
    return np.float32(exponent + np.int32(1) if above else exponent), mantissa - np.float32(1.0)


def _log_positive_64(x):
    k, f = _log_parts_64(x)
    result = k * _LN2_HIGH + (_atanh_log1p(f, 2.0, _ATANH_SERIES_SHORT) + k * _LN2_LOW)
    return result if x == x else x


def _log_positive_32(x):
    k, f = _log_parts_32(x)
    result = k * _LN2_HIGH_32 + (_atanh_log1p(f, np.float32(2.0), _ATANH_SERIES_SHORT_32) + k * _LN2_LOW_32)
    return result if x == x else x


def _log_nonnegative_64(x):
    tiny = x < 2.2250738585072014e-308  # subnormal (or 0, or negative): scaled by 2^54 into the normals
    k, f = _log_parts_64(x * 1.8014398509481984e16 if tiny else x)
    k = k - 54.0 if tiny else k
    result = k * _LN2_HIGH + (_atanh_log1p(f, 2.0, _ATANH_SERIES_SHORT) + k * _LN2_LOW)
    result = -np.inf if x == 0.0 else (np.inf if x == np.inf else result)
    return result if x >= 0.0 else np.nan  # NaN for NaN and negative x


def _log_nonnegative_32(x):
    tiny = x < np.float32(1.1754943508222875e-38)
    k, f = _log_parts_32(x * np.float32(4294967296.0) if tiny else x)  # 2^32
    k = k - np.float32(32.0) if tiny else k
    result = k * _LN2_HIGH_32 + (_atanh_log1p(f, np.float32(2.0), _ATANH_SERIES_SHORT_32) + k * _LN2_LOW_32)
    infinite = np.float32(np.inf)
    result = -infinite if x == np.float32(0.0) else (infinite if x == infinite else result)
    return result if x >= np.float32(0.0) else np.float32(np.nan)


def _log_one_minus_64(x):
    k, f = _log_parts_64(1.0 - x)  # 1 - x is exact for x >= 1/2
    small = x <= 0.5
    f = -x if small else f  # log1p(-x) keeps the digits that 1 - x rounds away
    k = 0.0 if small else k
    k_more, f = _log1p_reduce_64(f)
    k = k + k_more
    result = k * _LN2_HIGH + (_atanh_log1p(f, 2.0, _ATANH_SERIES_SHORT) + k * _LN2_LOW)
    return result if x == x else x


def _log_one_minus_32(x):
    k, f = _log_parts_32(np.float32(1.0) - x)
    small = x <= np.float32(0.5)
    f = -x if small else f
    k = np.float32(0.0) if small else k
    k_more, f = _log1p_reduce_32(f)
    k = k + k_more
    result = k * _LN2_HIGH_32 + (_atanh_log1p(f, np.float32(2.0), _ATANH_SERIES_SHORT_32) + k * _LN2_LOW_32)
    return result if x == x else x


_ONE_32 = np.float32(1.0)  # 1 - eps keeps eps's dtype (float32 - float64 is float64, exact)


@njit(**EXACT_CALLEE)
def clip_probability(p, eps):
    """(p clipped to [eps, 1 - eps], whether p lay inside), in p's dtype; NaN stays NaN and counts as inside."""
    below = p < eps
    above = p > _ONE_32 - eps
    return (eps if below else (_ONE_32 - eps if above else p)), not (below or above)


if numba.config.DISABLE_JIT:
    def _flip_magnitudes(bits):
        """bits ^ ((bits >> (width - 1)) & (2^(width - 1) - 1)) on a NumPy int32 or int64, in its type."""
        integer = type(bits)
        width = 8 * bits.itemsize
        return integer(bits ^ ((bits >> integer(width - 1)) & integer((1 << (width - 1)) - 1)))

    def order_key(x):
        """An integer whose order is x's order as a float (-0 < +0; NaN past the infinities), in x's width."""
        return _flip_magnitudes(_bits_of_float32(x) if isinstance(x, np.float32) else _bits_of_float64(x))

    def from_order_key(x):
        """The float whose :func:`order_key` is ``x``."""
        return (_float32_from_bits if isinstance(x, np.int32) else _float64_from_bits)(_flip_magnitudes(x))
else:
    def _flip_magnitudes(builder, bits):
        """bits ^ ((bits >> (width - 1)) & (2^(width - 1) - 1)): a negative float's magnitude bits inverted, so
        that its bits order as the float does; it undoes itself."""
        width = bits.type.width
        sign = builder.ashr(bits, ir.Constant(bits.type, width - 1))
        return builder.xor(bits, builder.and_(sign, ir.Constant(bits.type, (1 << (width - 1)) - 1)))

    _INTEGER_OF = {types.float32: types.int32, types.float64: types.int64}
    _FLOAT_OF = {types.int32: types.float32, types.int64: types.float64}

    @intrinsic
    def order_key(typingctx, x):
        """An integer whose order is x's order as a float (-0 < +0; NaN past the infinities), in x's width: a few
        instructions emitted into the caller, where a function per width took 0.02-0.04 s to compile."""
        if x not in _INTEGER_OF:
            return None

        def codegen(context, builder, signature, args):
            return _flip_magnitudes(builder, builder.bitcast(args[0], context.get_value_type(signature.return_type)))

        return _INTEGER_OF[x](x), codegen

    @intrinsic
    def from_order_key(typingctx, x):
        """The float whose :func:`order_key` is ``x``."""
        if x not in _FLOAT_OF:
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(_flip_magnitudes(builder, args[0]), context.get_value_type(signature.return_type))

        return _FLOAT_OF[x](x), codegen


@njit(**INLINE)
def largest(values):
    """max(values) of a non-empty array, as its largest ``order_key``.

    An integer maximum vectorises where a float ``max`` does not (its NaN rule fixes the order):
    rows of 100 and 1,000 float32 in 16 and 150 ns instead of 27 and 270 with eight running float
    maxima (10 classes: 6 ns instead of 5.4). A NaN with a clear sign bit is the maximum; one with
    a set sign bit is not, but a shift by the result keeps it NaN. Inlined by Numba: called per
    row, a real call (passing a row slice) costs ~30 ns.
    """
    peak = order_key(values[0])
    for c in range(1, values.size):
        key = order_key(values[c])
        peak = key if key > peak else peak
    return from_order_key(peak)


def _dtype_dispatched(name, doc, narrow, narrow_version, wide_version):
    """A function of one scalar that runs ``narrow_version`` for a 32-bit argument (``narrow``:
    ``np.float32`` or ``np.int32``) and ``wide_version`` otherwise: in Python (``NUMBA_DISABLE_JIT``)
    by ``isinstance``, in compiled code by a Numba ``overload`` that picks one at typing time."""
    def function(x):
        return narrow_version(x) if isinstance(x, narrow) else wide_version(x)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    narrow_type = numba.from_dtype(np.dtype(narrow))

    def select(x):  # the implementation itself (named x, as ``function``'s argument): no wrapper to compile
        return narrow_version if x == narrow_type else wide_version
    overload(function, jit_options=EXACT_CALLEE)(select)
    return function


exp_nonpositive = _dtype_dispatched(
    "exp_nonpositive", "exp(x) for x <= 0 (and -inf, NaN), in x's dtype, vectorisable.",
    np.float32, _exp_nonpositive_32, _exp_nonpositive_64)
exp_summand = _dtype_dispatched(
    "exp_summand", "exp(x) for x <= 0 (and NaN), at least exp(-87) in float32 (exp(-708) in float64), in x's dtype, "
    "vectorisable: for the terms of a sum that holds a 1.",
    np.float32, _exp_summand_32, _exp_summand_64)
exp_any = _dtype_dispatched(
    "exp_any", "exp(x) for any x (and +-inf, NaN), in x's dtype, vectorisable.",
    np.float32, _exp_32, _exp_64)
log1p_unit = _dtype_dispatched(
    "log1p_unit", "log(1 + x) for -1/2 <= x <= 1, in x's dtype, vectorisable.",
    np.float32, _log1p_unit_32, _log1p_unit_64)
sinh_small = _dtype_dispatched(
    "sinh_small", "sinh(x) for |x| <= 1/2, in x's dtype, vectorisable.",
    np.float32, _sinh_small_32, _sinh_small_64)
log_positive = _dtype_dispatched(
    "log_positive", "log(x) for a finite positive normal number x (and NaN), in x's dtype, vectorisable.",
    np.float32, _log_positive_32, _log_positive_64)
log_nonnegative = _dtype_dispatched(
    "log_nonnegative", "log(x) for any x >= 0 (0 -> -inf, subnormals, inf), NaN for NaN and x < 0, in x's dtype, "
    "vectorisable.",
    np.float32, _log_nonnegative_32, _log_nonnegative_64)
log_one_minus = _dtype_dispatched(
    "log_one_minus", "log(1 - x) for 0 <= x <= 1/2 or 1 - x a positive normal number (and NaN), in x's dtype, "
    "vectorisable, with one division (log1p(-x) below 1/2, log(1 - x) above, where 1 - x is exact).",
    np.float32, _log_one_minus_32, _log_one_minus_64)
