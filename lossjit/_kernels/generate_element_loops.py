"""Writes ``element_loops.py``: a pointwise loss's element loops, one function per kind and number of parameters.

    python -m lossjit._kernels.generate_element_loops

Each loop calls the element function with its parameters spelled out, ``element(y[i], p[i], a0, a1)``, so that
Numba inlines the element function straight into the loop: it cannot inline a call with ``*params``, and an inline
wrapper per number of parameters in between made Numba copy and process the element's code twice per call site
(each loop compiled 15-25% longer). ``tests/test_pointwise_loss.py`` checks that the file is what this writes.
"""

import pathlib
import textwrap

from .._config import MAX_PARAMETERS

HEADER = '''"""A pointwise loss's element loops (``pointwise.py``), written by ``generate_element_loops.py``: do not edit.

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
'''

#: (name, docstring, body) of each kind, in the order the driver numbers them. In a body, ``{call}`` is the call of
#: the element function on ``y_`` and ``p_`` element ``i``.
KINDS = (
    ("values", "values_i = l(y_i, p_i).", """\
    for i in range(p.size):
        values[i] = {call}[0]
    return 0.0
"""),
    ("values_and_grads", "values_i = l(y_i, p_i) and grads_i = scale dl/dp(y_i, p_i), in one loop.", """\
    for i in range(p.size):
        result = {call}
        values[i] = result[0]
        grads[i] = scale * result[1]
    return 0.0
"""),
    ("second", "values_i = scale d2l/dp2(y_i, p_i) (a loss whose element function returns it).", """\
    for i in range(p.size):
        values[i] = scale * {call}[2]
    return 0.0
"""),
    ("sums", """For a loss summed as computed: the float64 sum of the l_i and, unless ``grads`` is empty,
    grads_i = scale dl/dp(y_i, p_i), a chunk at a time (the sum is the same loop with or without the gradient).""",
     """\
    total = 0.0
    chunk = CHUNK * 8 // p.itemsize
    for start in range(0, p.size, chunk):
        y_chunk = y[start:start + chunk]  # slices indexed from 0: loops LLVM vectorises
        p_chunk = p[start:start + chunk]
        for i in range(p_chunk.size):
            total += {chunk_call}[0]
        if grads.size:
            grads_chunk = grads[start:start + chunk]
            for i in range(p_chunk.size):  # the same elements again, from the L1 cache
                grads_chunk[i] = scale * {chunk_call}[1]
    return total
"""),
)


def loop_source(name, docstring, body, n_parameters):
    """The source of the loop ``{name}_{n_parameters}``."""
    parameters = [f"a{j}" for j in range(n_parameters)]
    arguments = "".join(f", {a}" for a in parameters)
    lines = [f"def {name}_{n_parameters}(y, p, params, scale, values, grads):", f'    """{docstring}"""']
    if parameters:
        lines.append(f"    {', '.join(parameters)} = {', '.join(f'params[{j}]' for j in range(n_parameters))}")
    code = body.format(call=f"element(y[i], p[i]{arguments})", chunk_call=f"element(y_chunk[i], p_chunk[i]{arguments})")
    return "\n".join(lines) + "\n" + code


def source():
    """The text of ``element_loops.py``."""
    parts = [HEADER]
    for name, docstring, body in KINDS:
        parts += ["\n" + loop_source(name, docstring, body, n) for n in range(MAX_PARAMETERS + 1)]
    table = "".join(textwrap.fill(f"({', '.join(f'{name}_{n}' for n in range(MAX_PARAMETERS + 1))}),", width=116,
                                  initial_indent="    ", subsequent_indent="     ") + "\n" for name, _, _ in KINDS)
    parts.append(f"\n#: The loops by kind (in the order of ``pointwise.VALUES`` ...) and number of parameters.\n"
                 f"KINDS = (\n{table})\n")
    return "\n".join(parts)


PATH = pathlib.Path(__file__).with_name("element_loops.py")

if __name__ == "__main__":
    PATH.write_text(source())
