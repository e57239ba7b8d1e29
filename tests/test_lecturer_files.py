"""The lecturer's files stay true: the assignment's reference script recomputes and asserts every
number its marking guide quotes."""

import pathlib
import subprocess
import sys

LECTURER = pathlib.Path(__file__).resolve().parents[1] / "course" / "lecturer"


def test_assignment_reference_results_hold():
    run = subprocess.run([sys.executable, str(LECTURER / "assignment_reference.py")], capture_output=True, text=True,
                         cwd=LECTURER, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
