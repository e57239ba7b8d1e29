"""The one voice of every exercise check: right, or not yet with a hint, never the answer.

Every check gives its hint in English and in Chinese; :func:`reader_language` picks the one the reader
sees: Chinese in a notebook of the Chinese edition (``course/zh/`` and ``course/zh/solutions/``),
English everywhere else, word for word as before.
"""

import pathlib

import numpy as np


def reader_language(directory=None):
    """``"zh"`` if ``directory`` (default: the working directory) lies in the Chinese edition, else ``"en"``.

    Jupyter and nbval start a notebook's kernel in the notebook's folder, so a notebook of the Chinese
    edition runs in ``course/zh`` or ``course/zh/solutions``: the path has a ``course`` component directly
    followed by a ``zh`` one. The test is on whole path components, not on text, so ``course_zh``,
    ``zh/course`` or a folder merely named ``zh`` elsewhere read as English; a working directory that no
    longer exists reads as English too.
    """
    try:
        path = pathlib.Path.cwd() if directory is None else pathlib.Path(directory).absolute()
    except OSError:   # the working directory was deleted
        return "en"
    parts = path.parts
    return "zh" if any(a == "course" and b == "zh" for a, b in zip(parts, parts[1:])) else "en"


def verdict(correct, hint, hint_zh):
    """Print "Correct." or "Not yet: <hint>" and return ``correct`` (a solution can assert it).

    In the Chinese edition (see :func:`reader_language`) print "正确。" or "还不对：<hint_zh>" instead;
    ``hint_zh`` says what ``hint`` says, in Chinese. Both hints are required, even when ``correct`` is
    True (pass ``""``), so that no check can forget one.
    """
    correct = bool(correct)
    if reader_language() == "zh":
        print("正确。" if correct else f"还不对：{hint_zh}")
    else:
        print("Correct." if correct else f"Not yet: {hint}")
    return correct


def close(value, expected, rtol=1e-6, atol=1e-9):
    """Whether ``value`` is a finite number within tolerance of ``expected`` (False for None or text)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return False
    return abs(value - expected) <= atol + rtol * abs(expected)


def whole_number(value):
    """Whether ``value`` is a Python or NumPy integer (not a bool, not a float such as 3.0)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
