"""The one voice of every exercise check: right, or not yet with a hint, never the answer."""


def verdict(correct, hint):
    """Print "Correct." or "Not yet: <hint>" and return ``correct`` (a solution can assert it)."""
    correct = bool(correct)
    print("Correct." if correct else f"Not yet: {hint}")
    return correct


def close(value, expected, rtol=1e-6, atol=1e-9):
    """Whether ``value`` is a finite number within tolerance of ``expected`` (False for None or text)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return False
    return abs(value - expected) <= atol + rtol * abs(expected)
