"""Every number the course's prose quotes is checked by its notebook's code (tools/check_numbers.py).

The first tests run the checker on the real course; the others pin its extraction and
matching rules on small synthetic notebooks.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import nbformat
import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"
sys.path.insert(0, str(TOOLS))

import check_numbers as cn  # noqa: E402


# ------------------------------------------------------------------- the real course


def test_every_quoted_number_in_the_course_is_checked():
    out = io.StringIO()
    status = cn.run(cn.default_notebooks(), cn.DEFAULT_EXCEPTIONS, out=out)
    assert status == 0, "numbers quoted in the prose but neither asserted nor printed:\n" + out.getvalue()


def test_the_exceptions_file_is_valid():
    exceptions, problems = cn.load_exceptions(cn.DEFAULT_EXCEPTIONS)
    assert cn.DEFAULT_EXCEPTIONS.exists() and not problems, problems
    for exception in exceptions:
        assert (cn.COURSE / exception.notebook).exists(), exception.notebook
        assert len(exception.reason.split()) >= 3, f"give a real reason for {exception.text!r}"


def test_the_whole_course_is_checked_fast():
    import time

    start = time.perf_counter()
    cn.run(cn.default_notebooks(), cn.DEFAULT_EXCEPTIONS, out=io.StringIO())
    assert time.perf_counter() - start < 10


# ------------------------------------------------------------------------- extraction


def quoted(markdown: str) -> list[str]:
    return [f.text.strip() for f in cn.quoted_numbers(markdown)]


def rules(markdown: str) -> dict[str, str | None]:
    return {f.text.strip(): f.rule for f in cn.markdown_numbers(markdown)}


def test_prose_numbers_of_every_form_are_quoted():
    text = "Loss 16.70 after 35 of 243 steps, h = 1e-6, 2.5 % and 96% of 100 000 rows (1,797 images); .5 too."
    assert quoted(text) == ["16.70", "35", "243", "1e-6", "2.5 %", "96%", "100 000", "1,797", ".5"]
    [thousands] = cn.quoted_numbers("a 10k sample")
    assert thousands.text == "10k" and thousands.value == cn.Value(10000, 500)


@pytest.mark.parametrize("text, number, rule", [
    ("as in chapter 6 and §4.2", "6", "reference"),
    ("as in chapter 6 and §4.2", "4.2", "reference"),
    ("Steps 1 to 3 measure", "3", "reference"),
    ("sections 12, 13 and 15", "15", "reference"),
    ("in exercise 3", "3", "reference"),
    ("see section 10.6 of the book", "10.6", "reference"),
    ("the grid (step 0.005)", "0.005", None),
    ("| 04 | chapters 00-08", "04", "chapter label"),
    ("float64 and log1p", "64", "identifier"),
    ("float64 and log1p", "1", "identifier"),
    ("Stanford CS229 and top-10 retrieval", "229", "identifier"),
    ("Stanford CS229 and top-10 retrieval", "10", "identifier"),
    ("the 2nd edition", "2", "identifier"),
    ("reveal.js 4.6.1", "4.6", "version"),
    ("(MIT Press, 2016)", "2016", "year"),
    ("Lin et al. 2017 showed", "2017", "year"),
    ("the (2016 paper)", "2016", "year"),
    ("with 2000 steps", "2000", None),
    ("from 1. 背景介绍 to 4.1 均方误差", "4.1", "article section"),
    ("原文 6. 实际应用场景", "6", "article section"),
    ("用 40 个带噪声的点", "40", None),
    ("损失低于 0.01 就停止", "0.01", None),
    ("见原文第 4.2 节", "4.2", "reference"),
    ("第 3 章讲过", "3", "reference"),
    ("## 4.1 Mean squared error", "4.1", "heading number"),
    ("## Loss 0.0894 in a heading", "0.0894", None),
    ("12. **Largest** learning rate", "12", "list marker"),
    ("**12.** For logits", "12", "list marker"),
    ("the loss falls to\n0.0024. Then", "0.0024", None),
    ("spend 45 minutes, or 10 min, a 0.3 ms call", "45", "duration"),
    ("spend 45 minutes, or 10 min, a 0.3 ms call", "0.3", "duration"),
    ("three rates on 2 cores", "2", "small integer"),
    ("every tenfold increase adds about log 10", "10", "formula constant"),
    ("12 significant digits, 10x faster", "12", None),
    ("12 significant digits, 10x faster", "10", None),
])
def test_prose_rules(text, number, rule):
    assert rules(text)[number] == rule


def test_code_quotes_and_links_are_not_prose():
    text = (
        "Code `lj.mse(y, p, delta=1.35)` and `[::1]`.\n\n"
        "```python\nlearning_rate = 0.01\n```\n\n"
        "> 1. 得到模型预测值 quoted from the article, 0.25\n\n"
        "See [the paper of 2019](https://example.org/v2/0.75.html), <https://d2l.ai/3.14>, "
        "http://x.org/1.5 and <img src='fig12.png' width=300>.\n"
    )
    assert quoted(text) == []


@pytest.mark.parametrize("math, expected", [
    ("$w = 3.0785$", ["3.0785"]),
    ("$x^2 + \\frac{1}{2} + 2/\\lambda + x_{12}$", []),
    ("$\\sum_{i=1}^{n} y_i$", []),
    ("$3^5 = 243$", ["243"]),
    ("$3^4 = 81$", ["81"]),
    ("$z = 40$ and $n = 3$", ["40"]),
    ("$(4 + 1 + 9)/3 = 14/3$", []),
    ("$43/12 \\approx 3.583$", ["3.583"]),
    ("$\\log 19 = 2.9444$", ["2.9444"]),
    ("$(0.1)^2 = 1/100$", ["0.1"]),
    ("$10^{-8}$", ["10^{-8}"]),
    ("about $1.4 \\times 10^{-17}$ apart", ["1.4 \\times 10^{-17}"]),
    ("$e^{-40} \\approx 4 \\cdot 10^{-18}$", ["4 \\cdot 10^{-18}"]),
    ("$2^{-53} \\approx 1.1\\times10^{-16}$", ["1.1\\times10^{-16}"]),
    ("$35$ of $243$", ["35", "243"]),
    ("$\\tfrac12 d^2$", []),
    ("$L_{99}$ and $\\log(10^{-4}/L_{99})$", ["10^{-4}"]),
    ("$10\\%$", ["10\\%"]),
    ("$\\begin{pmatrix} 15 & 5 \\\\ 5 & 2 \\end{pmatrix}$", []),
    ("$$\\frac{1}{16}\\sum_{i,j}(i - j)^2 = 40/16 = 2.5$$", ["2.5"]),
])
def test_math_rules(math, expected):
    assert quoted(math) == expected


def test_values_keep_their_written_precision():
    assert cn.parse_number("0.30") == cn.Value(0.30, 0.005)
    assert cn.parse_number("100 000") == cn.Value(100000, 0.5)
    assert cn.parse_number("3.057e+09") == cn.Value(3.057e9, 0.0005e9)
    assert cn.parse_number("2.5 %") == cn.Value(2.5, 0.05, percent=True)
    [sci] = cn.quoted_numbers("$1.4 \\times 10^{-17}$")
    assert sci.value.value == pytest.approx(1.4e-17) and sci.value.half == pytest.approx(0.05e-17)


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize("prose, output, ok", [
    ("0.30", "0.2996", True),       # printed more precisely, rounds to the prose
    ("0.30", "0.300", True),
    ("0.30", "0.3", False),         # printed less precisely than the prose claims
    ("0.2994", "0.30", False),
    ("0.2994", "0.29944", True),
    ("16.70", "16.7047", True),
    ("16.70", "16.7147", False),
    ("-0.029446", "-0.029446", True),
    ("96.5%", "0.965", True),       # a percentage and a fraction
    ("96.5%", "96.5%", True),
    ("0.965", "96.5%", True),
    ("138", "138", True),
    ("15", "14.6", True),
    ("1e-4", "1.0e-04", True),
])
def test_printed_numbers_confirm_at_the_prose_precision(prose, output, ok):
    [value] = cn.output_values(output)
    assert cn.confirms(cn.parse_number(prose), value, printed=True) is ok


@pytest.mark.parametrize("prose, literal, ok", [
    ("0.2994", 0.29944, True),      # np.isclose(x, 0.29944, atol=1e-5)
    ("0.30", 0.29944, True),
    ("0.2994", 0.3, False),         # assert x < 0.3 does not pin 0.2994
    ("10^9", 1e9, True),
    ("96%", 0.96, True),
    ("40", 40.0, True),
])
def test_assert_literals_confirm(prose, literal, ok):
    value = cn.quoted_numbers(f"${prose}$")[0].value if "^" in prose else cn.parse_number(prose)
    assert cn.confirms(value, literal, printed=False) is ok


def test_assert_literals_are_collected_from_asserts_only():
    source = (
        "%matplotlib inline\n"
        "x = 0.123\n"
        "assert np.isclose(lam, 16.7047, atol=5e-5) and cost > 10**9 and r == 5 / 3\n"
        "np.testing.assert_allclose(p, [0.7856, 0.0391])\n"
        "assert f'{w:.4f}' == '3.0785', 'message 99.9'\n"
    )
    literals = cn.assert_literals(source)
    for value in (16.7047, 5e-5, 1e9, 5 / 3, 0.7856, 0.0391, 3.0785):
        assert any(abs(v - value) <= 1e-12 * value for v in literals), value
    assert 0.123 not in literals and 99.9 not in literals


# ------------------------------------------------------------------ synthetic notebooks


def markdown(source, **metadata):
    return nbformat.v4.new_markdown_cell(source, metadata=metadata)


def code(source, *outputs, **metadata):
    cell = nbformat.v4.new_code_cell(source, metadata=metadata)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text) if isinstance(text, str) else text
                    for text in outputs]
    return cell


def write(path: Path, *cells) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=list(cells)), path)
    return path


def check(*paths, exceptions: str | None = None, tmp: Path):
    exceptions_path = tmp / "number_exceptions.toml"
    if exceptions is not None:
        exceptions_path.write_text(exceptions, encoding="utf-8")
    out = io.StringIO()
    status = cn.run([Path(p) for p in paths], exceptions_path, out=out)
    return status, out.getvalue()


def test_a_notebook_whose_numbers_are_all_checked_passes(tmp_path):
    notebook = write(
        tmp_path / "01_demo.ipynb",
        markdown("# Chapter 1 — Demo\n\nThe critical rate is $0.9957$; accuracy 96.5% on 143 tumours."),
        code("assert np.isclose(critical, 0.99572, atol=1e-5)", "accuracy = 0.965 on 143 test tumours\n"),
    )
    status, out = check(notebook, tmp=tmp_path)
    assert status == 0, out
    assert "3 quoted numbers in 1 notebooks: 1 asserted, 2 printed, 0 excused, 0 unchecked" in out


def test_an_unchecked_number_is_reported_with_its_cell_and_context(tmp_path):
    notebook = write(
        tmp_path / "02_demo.ipynb",
        code("print(f'{loss:.4f}')", "0.0894\n"),
        markdown("The loss reaches $0.0894$ after 100 steps, as printed above."),
    )
    notebook_id = nbformat.read(notebook, as_version=4).cells[1].id
    status, out = check(notebook, tmp=tmp_path)
    assert status == 1
    line = re.escape(f': cell 1 [{notebook_id}]: "The loss reaches $0.0894$ after 100 steps, as printed above." 100')
    assert re.search(line, out), out
    assert "1 unchecked (in 1 notebooks)" in out


def test_ignored_outputs_figures_and_skipped_asserts_prove_nothing(tmp_path):
    figure = nbformat.v4.new_output("display_data", data={"text/plain": "<Figure size 675x288 with 1 Axes>",
                                                          "image/png": "iVBORw0KGgo="})
    notebook = write(
        tmp_path / "03_demo.ipynb",
        markdown("Timing 12.5, size 675, skipped 0.4242, warning 77.7, shown 3.25."),
        code("# NBVAL_IGNORE_OUTPUT\nprint(t)", "12.5\n"),
        code("plt.show()", figure),
        code("# NBVAL_SKIP\nassert x == 0.4242"),
        code("warn()", nbformat.v4.new_output("stream", name="stderr", text="77.7\n")),
        code("x", nbformat.v4.new_output("execute_result", data={"text/plain": "3.25"}, execution_count=1)),
    )
    status, out = check(notebook, tmp=tmp_path)
    assert status == 1
    unchecked = re.findall(r'" (\S+)$', out, re.M)
    assert unchecked == ["12.5", "675", "0.4242", "77.7"], out


def test_output_ignore_tag_counts_like_the_comment(tmp_path):
    notebook = write(
        tmp_path / "04_demo.ipynb",
        markdown("It took 12.5 of them."),
        code("print(t)", "12.5\n", tags=["nbval-ignore-output"]),
    )
    assert check(notebook, tmp=tmp_path)[0] == 1


def test_speaker_notes_are_checked_too(tmp_path):
    notebook = write(
        tmp_path / "05_demo.ipynb",
        markdown("Tell them the rate is 0.9957; give them 10 minutes.", slideshow={"slide_type": "notes"}),
        code("print(1)", "1\n"),
    )
    status, out = check(notebook, tmp=tmp_path)
    assert status == 1 and re.findall(r'" (\S+)$', out, re.M) == ["0.9957"], out


def test_exercise_numbers_may_be_checked_by_the_worked_solutions(tmp_path):
    chapter = write(
        tmp_path / "06_demo.ipynb",
        markdown("Before the exercises: 0.8125 must be checked here."),
        markdown("## Exercises\n\n1. With 2000 steps, show that the loss reaches 0.0894."),
    )
    write(tmp_path / "solutions" / "06_solutions.ipynb",
          code("assert steps == 2000 and np.isclose(loss, 0.0894, atol=5e-5)"),
          code("print(0.8125)", "0.8125\n"))
    status, out = check(chapter, tmp=tmp_path)
    assert status == 1
    assert re.findall(r'" (\S+)$', out, re.M) == ["0.8125"], out
    assert "1 asserted" not in out and "2 asserted" in out


def test_exceptions_excuse_and_go_stale(tmp_path):
    notebook = write(
        tmp_path / "07_demo.ipynb",
        markdown("The article says 38.2 and\nthe hardware has 64 GB; we measure 0.0894."),
        code("assert np.isclose(loss, 0.0894, atol=5e-5)"),
    )
    excused = """
[[exception]]
notebook = "07_demo.ipynb"
text = "The article says 38.2 and the hardware"
reason = "quoted from the article, which shows no code for it"

[[exception]]
notebook = "07_demo.ipynb"
text = "the hardware has 64 GB; we measure 0.0894"
number = "64"
reason = "a hardware figure of the author's machine"
"""
    status, out = check(notebook, exceptions=excused, tmp=tmp_path)
    assert status == 0, out
    assert "2 excused, 0 unchecked" in out

    stale = excused + """
[[exception]]
notebook = "07_demo.ipynb"
text = "we measure 0.0894"
reason = "checked by code, so this entry excuses nothing"
"""
    status, out = check(notebook, exceptions=stale, tmp=tmp_path)
    assert status == 1 and "stale exception (07_demo.ipynb: 'we measure 0.0894')" in out, out


def test_malformed_exceptions_fail(tmp_path):
    notebook = write(tmp_path / "08_demo.ipynb", markdown("Nothing to check."))
    status, out = check(notebook, tmp=tmp_path, exceptions="""
[[exception]]
notebook = "08_demo.ipynb"
text = "Nothing"
reason = ""

[[exception]]
notebook = "missing.ipynb"
text = "x"
reason = "a notebook that does not exist"
""")
    assert status == 1
    assert "exception 1: missing reason" in out and "unknown notebook 'missing.ipynb'" in out


def test_command_line(tmp_path, capsys):
    notebook = write(tmp_path / "09_demo.ipynb", markdown("Loss 0.0894, chapter 3."),
                     code("print(0.0894)", "0.0894\n"))
    assert cn.main([str(notebook), "--exceptions", str(tmp_path / "none.toml"), "-v"]) == 0
    out = capsys.readouterr().out
    assert "cell 0: printed: '0.0894'" in out and "cell 0: skipped (reference): '3'" in out
