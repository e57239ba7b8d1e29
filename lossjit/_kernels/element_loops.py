"""A pointwise loss's element loops (``pointwise.py``), written by ``generate_element_loops.py``: do not edit.

``KINDS[kind][n]`` is the loop of ``kind`` for an element function with ``n`` parameters. Each takes
``(y, p, params, scale, values, grads)``, reads the parameters out of ``params`` once, and returns a float64
(0 but for the sums). ``element`` is bound to the loss's element function in each copy (``typed.bind``).
"""

#: The element function, inlined by Numba into each copy of a loop (``typed.bind``). Left to LLVM to inline, a large
#: one such as the focal loss's stayed a call per element and its loop scalar, 5-13x slower.
element = None

#: Elements per chunk, which stay in the L1 cache: the losses of a chunk wait in a buffer this long to be
#: weighed and added up (``pointwise._blocks``), and a loss summed as computed (``sums_*``) reads its chunk again
#: for the gradient, while it is in the L1 cache. There a chunk is CHUNK float64 elements or as many bytes of
#: float32 (1,024 elements): fewer loop starts, 0-9% faster in float32 at 1e5-1e6 elements.
CHUNK = 512


def values_0(y, p, params, scale, values, grads):
    """values_i = l(y_i, p_i)."""
    for i in range(p.size):
        values[i] = element(y[i], p[i])[0]
    return 0.0


def values_1(y, p, params, scale, values, grads):
    """values_i = l(y_i, p_i)."""
    a0 = params[0]
    for i in range(p.size):
        values[i] = element(y[i], p[i], a0)[0]
    return 0.0


def values_2(y, p, params, scale, values, grads):
    """values_i = l(y_i, p_i)."""
    a0, a1 = params[0], params[1]
    for i in range(p.size):
        values[i] = element(y[i], p[i], a0, a1)[0]
    return 0.0


def values_3(y, p, params, scale, values, grads):
    """values_i = l(y_i, p_i)."""
    a0, a1, a2 = params[0], params[1], params[2]
    for i in range(p.size):
        values[i] = element(y[i], p[i], a0, a1, a2)[0]
    return 0.0


def values_4(y, p, params, scale, values, grads):
    """values_i = l(y_i, p_i)."""
    a0, a1, a2, a3 = params[0], params[1], params[2], params[3]
    for i in range(p.size):
        values[i] = element(y[i], p[i], a0, a1, a2, a3)[0]
    return 0.0


def values_5(y, p, params, scale, values, grads):
    """values_i = l(y_i, p_i)."""
    a0, a1, a2, a3, a4 = params[0], params[1], params[2], params[3], params[4]
    for i in range(p.size):
        values[i] = element(y[i], p[i], a0, a1, a2, a3, a4)[0]
    return 0.0


def values_6(y, p, params, scale, values, grads):
    """values_i = l(y_i, p_i)."""
    a0, a1, a2, a3, a4, a5 = params[0], params[1], params[2], params[3], params[4], params[5]
    for i in range(p.size):
        values[i] = element(y[i], p[i], a0, a1, a2, a3, a4, a5)[0]
    return 0.0


def values_and_grads_0(y, p, params, scale, values, grads):
    """values_i = l(y_i, p_i) and grads_i = scale dl/dp(y_i, p_i), in one loop."""
    for i in range(p.size):
        result = element(y[i], p[i])
        values[i] = result[0]
        grads[i] = scale * result[1]
    return 0.0


def values_and_grads_1(y, p, params, scale, values, grads):
    """values_i = l(y_i, p_i) and grads_i = scale dl/dp(y_i, p_i), in one loop."""
    a0 = params[0]
    for i in range(p.size):
        result = element(y[i], p[i], a0)
        values[i] = result[0]
        grads[i] = scale * result[1]
    return 0.0


def values_and_grads_2(y, p, params, scale, values, grads):
    """values_i = l(y_i, p_i) and grads_i = scale dl/dp(y_i, p_i), in one loop."""
    a0, a1 = params[0], params[1]
    for i in range(p.size):
        result = element(y[i], p[i], a0, a1)
        values[i] = result[0]
        grads[i] = scale * result[1]
    return 0.0


def values_and_grads_3(y, p, params, scale, values, grads):
    """values_i = l(y_i, p_i) and grads_i = scale dl/dp(y_i, p_i), in one loop."""
    a0, a1, a2 = params[0], params[1], params[2]
    for i in range(p.size):
        result = element(y[i], p[i], a0, a1, a2)
        values[i] = result[0]
        grads[i] = scale * result[1]
    return 0.0


def values_and_grads_4(y, p, params, scale, values, grads):
    """values_i = l(y_i, p_i) and grads_i = scale dl/dp(y_i, p_i), in one loop."""
    a0, a1, a2, a3 = params[0], params[1], params[2], params[3]
    for i in range(p.size):
        result = element(y[i], p[i], a0, a1, a2, a3)
        values[i] = result[0]
        grads[i] = scale * result[1]
    return 0.0


def values_and_grads_5(y, p, params, scale, values, grads):
    """values_i = l(y_i, p_i) and grads_i = scale dl/dp(y_i, p_i), in one loop."""
    a0, a1, a2, a3, a4 = params[0], params[1], params[2], params[3], params[4]
    for i in range(p.size):
        result = element(y[i], p[i], a0, a1, a2, a3, a4)
        values[i] = result[0]
        grads[i] = scale * result[1]
    return 0.0


def values_and_grads_6(y, p, params, scale, values, grads):
    """values_i = l(y_i, p_i) and grads_i = scale dl/dp(y_i, p_i), in one loop."""
    a0, a1, a2, a3, a4, a5 = params[0], params[1], params[2], params[3], params[4], params[5]
    for i in range(p.size):
        result = element(y[i], p[i], a0, a1, a2, a3, a4, a5)
        values[i] = result[0]
        grads[i] = scale * result[1]
    return 0.0


def second_0(y, p, params, scale, values, grads):
    """values_i = scale d2l/dp2(y_i, p_i) (a loss whose element function returns it)."""
    for i in range(p.size):
        values[i] = scale * element(y[i], p[i])[2]
    return 0.0


def second_1(y, p, params, scale, values, grads):
    """values_i = scale d2l/dp2(y_i, p_i) (a loss whose element function returns it)."""
    a0 = params[0]
    for i in range(p.size):
        values[i] = scale * element(y[i], p[i], a0)[2]
    return 0.0


def second_2(y, p, params, scale, values, grads):
    """values_i = scale d2l/dp2(y_i, p_i) (a loss whose element function returns it)."""
    a0, a1 = params[0], params[1]
    for i in range(p.size):
        values[i] = scale * element(y[i], p[i], a0, a1)[2]
    return 0.0


def second_3(y, p, params, scale, values, grads):
    """values_i = scale d2l/dp2(y_i, p_i) (a loss whose element function returns it)."""
    a0, a1, a2 = params[0], params[1], params[2]
    for i in range(p.size):
        values[i] = scale * element(y[i], p[i], a0, a1, a2)[2]
    return 0.0


def second_4(y, p, params, scale, values, grads):
    """values_i = scale d2l/dp2(y_i, p_i) (a loss whose element function returns it)."""
    a0, a1, a2, a3 = params[0], params[1], params[2], params[3]
    for i in range(p.size):
        values[i] = scale * element(y[i], p[i], a0, a1, a2, a3)[2]
    return 0.0


def second_5(y, p, params, scale, values, grads):
    """values_i = scale d2l/dp2(y_i, p_i) (a loss whose element function returns it)."""
    a0, a1, a2, a3, a4 = params[0], params[1], params[2], params[3], params[4]
    for i in range(p.size):
        values[i] = scale * element(y[i], p[i], a0, a1, a2, a3, a4)[2]
    return 0.0


def second_6(y, p, params, scale, values, grads):
    """values_i = scale d2l/dp2(y_i, p_i) (a loss whose element function returns it)."""
    a0, a1, a2, a3, a4, a5 = params[0], params[1], params[2], params[3], params[4], params[5]
    for i in range(p.size):
        values[i] = scale * element(y[i], p[i], a0, a1, a2, a3, a4, a5)[2]
    return 0.0


def sums_0(y, p, params, scale, values, grads):
    """For a loss summed as computed: the float64 sum of the l_i and, unless ``grads`` is empty,
    grads_i = scale dl/dp(y_i, p_i), a chunk at a time (the sum is the same loop with or without the gradient)."""
    total = 0.0
    chunk = CHUNK * 8 // p.itemsize
    for start in range(0, p.size, chunk):
        y_chunk = y[start:start + chunk]  # slices indexed from 0: loops LLVM vectorises
        p_chunk = p[start:start + chunk]
        for i in range(p_chunk.size):
            total += element(y_chunk[i], p_chunk[i])[0]
        if grads.size:
            grads_chunk = grads[start:start + chunk]
            for i in range(p_chunk.size):  # the same elements again, from the L1 cache
                grads_chunk[i] = scale * element(y_chunk[i], p_chunk[i])[1]
    return total


def sums_1(y, p, params, scale, values, grads):
    """For a loss summed as computed: the float64 sum of the l_i and, unless ``grads`` is empty,
    grads_i = scale dl/dp(y_i, p_i), a chunk at a time (the sum is the same loop with or without the gradient)."""
    a0 = params[0]
    total = 0.0
    chunk = CHUNK * 8 // p.itemsize
    for start in range(0, p.size, chunk):
        y_chunk = y[start:start + chunk]  # slices indexed from 0: loops LLVM vectorises
        p_chunk = p[start:start + chunk]
        for i in range(p_chunk.size):
            total += element(y_chunk[i], p_chunk[i], a0)[0]
        if grads.size:
            grads_chunk = grads[start:start + chunk]
            for i in range(p_chunk.size):  # the same elements again, from the L1 cache
                grads_chunk[i] = scale * element(y_chunk[i], p_chunk[i], a0)[1]
    return total


def sums_2(y, p, params, scale, values, grads):
    """For a loss summed as computed: the float64 sum of the l_i and, unless ``grads`` is empty,
    grads_i = scale dl/dp(y_i, p_i), a chunk at a time (the sum is the same loop with or without the gradient)."""
    a0, a1 = params[0], params[1]
    total = 0.0
    chunk = CHUNK * 8 // p.itemsize
    for start in range(0, p.size, chunk):
        y_chunk = y[start:start + chunk]  # slices indexed from 0: loops LLVM vectorises
        p_chunk = p[start:start + chunk]
        for i in range(p_chunk.size):
            total += element(y_chunk[i], p_chunk[i], a0, a1)[0]
        if grads.size:
            grads_chunk = grads[start:start + chunk]
            for i in range(p_chunk.size):  # the same elements again, from the L1 cache
                grads_chunk[i] = scale * element(y_chunk[i], p_chunk[i], a0, a1)[1]
    return total


def sums_3(y, p, params, scale, values, grads):
    """For a loss summed as computed: the float64 sum of the l_i and, unless ``grads`` is empty,
    grads_i = scale dl/dp(y_i, p_i), a chunk at a time (the sum is the same loop with or without the gradient)."""
    a0, a1, a2 = params[0], params[1], params[2]
    total = 0.0
    chunk = CHUNK * 8 // p.itemsize
    for start in range(0, p.size, chunk):
        y_chunk = y[start:start + chunk]  # slices indexed from 0: loops LLVM vectorises
        p_chunk = p[start:start + chunk]
        for i in range(p_chunk.size):
            total += element(y_chunk[i], p_chunk[i], a0, a1, a2)[0]
        if grads.size:
            grads_chunk = grads[start:start + chunk]
            for i in range(p_chunk.size):  # the same elements again, from the L1 cache
                grads_chunk[i] = scale * element(y_chunk[i], p_chunk[i], a0, a1, a2)[1]
    return total


def sums_4(y, p, params, scale, values, grads):
    """For a loss summed as computed: the float64 sum of the l_i and, unless ``grads`` is empty,
    grads_i = scale dl/dp(y_i, p_i), a chunk at a time (the sum is the same loop with or without the gradient)."""
    a0, a1, a2, a3 = params[0], params[1], params[2], params[3]
    total = 0.0
    chunk = CHUNK * 8 // p.itemsize
    for start in range(0, p.size, chunk):
        y_chunk = y[start:start + chunk]  # slices indexed from 0: loops LLVM vectorises
        p_chunk = p[start:start + chunk]
        for i in range(p_chunk.size):
            total += element(y_chunk[i], p_chunk[i], a0, a1, a2, a3)[0]
        if grads.size:
            grads_chunk = grads[start:start + chunk]
            for i in range(p_chunk.size):  # the same elements again, from the L1 cache
                grads_chunk[i] = scale * element(y_chunk[i], p_chunk[i], a0, a1, a2, a3)[1]
    return total


def sums_5(y, p, params, scale, values, grads):
    """For a loss summed as computed: the float64 sum of the l_i and, unless ``grads`` is empty,
    grads_i = scale dl/dp(y_i, p_i), a chunk at a time (the sum is the same loop with or without the gradient)."""
    a0, a1, a2, a3, a4 = params[0], params[1], params[2], params[3], params[4]
    total = 0.0
    chunk = CHUNK * 8 // p.itemsize
    for start in range(0, p.size, chunk):
        y_chunk = y[start:start + chunk]  # slices indexed from 0: loops LLVM vectorises
        p_chunk = p[start:start + chunk]
        for i in range(p_chunk.size):
            total += element(y_chunk[i], p_chunk[i], a0, a1, a2, a3, a4)[0]
        if grads.size:
            grads_chunk = grads[start:start + chunk]
            for i in range(p_chunk.size):  # the same elements again, from the L1 cache
                grads_chunk[i] = scale * element(y_chunk[i], p_chunk[i], a0, a1, a2, a3, a4)[1]
    return total


def sums_6(y, p, params, scale, values, grads):
    """For a loss summed as computed: the float64 sum of the l_i and, unless ``grads`` is empty,
    grads_i = scale dl/dp(y_i, p_i), a chunk at a time (the sum is the same loop with or without the gradient)."""
    a0, a1, a2, a3, a4, a5 = params[0], params[1], params[2], params[3], params[4], params[5]
    total = 0.0
    chunk = CHUNK * 8 // p.itemsize
    for start in range(0, p.size, chunk):
        y_chunk = y[start:start + chunk]  # slices indexed from 0: loops LLVM vectorises
        p_chunk = p[start:start + chunk]
        for i in range(p_chunk.size):
            total += element(y_chunk[i], p_chunk[i], a0, a1, a2, a3, a4, a5)[0]
        if grads.size:
            grads_chunk = grads[start:start + chunk]
            for i in range(p_chunk.size):  # the same elements again, from the L1 cache
                grads_chunk[i] = scale * element(y_chunk[i], p_chunk[i], a0, a1, a2, a3, a4, a5)[1]
    return total


#: The loops by kind (in the order of ``pointwise.VALUES`` ...) and number of parameters.
KINDS = (
    (values_0, values_1, values_2, values_3, values_4, values_5, values_6),
    (values_and_grads_0, values_and_grads_1, values_and_grads_2, values_and_grads_3, values_and_grads_4,
     values_and_grads_5, values_and_grads_6),
    (second_0, second_1, second_2, second_3, second_4, second_5, second_6),
    (sums_0, sums_1, sums_2, sums_3, sums_4, sums_5, sums_6),
)
