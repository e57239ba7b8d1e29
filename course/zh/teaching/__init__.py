"""The Chinese edition's notebooks import ``teaching`` as the English ones do; its modules are the
English edition's (``course/teaching``), so both editions run the same code."""

import pathlib

__path__ = [str(pathlib.Path(__file__).resolve().parents[2] / "teaching")]
