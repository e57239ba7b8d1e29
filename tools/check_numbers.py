"""Check that every number the course's prose quotes is checked by the notebook's code.

For every markdown cell of every notebook (default: ``course/*.ipynb`` and
``course/solutions/*.ipynb``) the checker finds the numbers the text quotes and fails unless
each one is *checked*: asserted by the notebook's code or shown in a stored output. Numbers
that truly cannot be checked by code are listed, each with its reason, in one file,
``course/number_exceptions.toml``. Pure JSON: no kernel runs, the whole course takes well
under a second.

    python tools/check_numbers.py                      # the whole course
    python tools/check_numbers.py course/03_*.ipynb    # some notebooks
    python tools/check_numbers.py -v course/03_*.ipynb # also how each number was checked or skipped

Exit status 1 if a number is unchecked or an exception is stale or malformed (or the file is
not valid TOML). Every unchecked number is printed as ``notebook: cell N [id]: "...context..."
number`` (N counts all cells from 0), then a summary.

Which cells
-----------
Every markdown cell, speaker notes (``slideshow.slide_type == "notes"``) included: a lecturer
reads them aloud, so a wrong number there is as wrong as on a slide. Raw cells are skipped.

What is not prose (skipped before any number is looked for)
-----------------------------------------------------------
* fenced code blocks (```` ``` ```` or ``~~~``) and inline code spans (`` `float32` ``,
  `` `(4, 1)` ``, `` `lj.mse` ``, `` `[::1]` ``): code, not claims;
* blockquotes (lines starting with ``>``): the course quotes the Chinese article there; the
  article's numbers are its own (step numbers, ...), and the course's claims about them are
  made in its own prose;
* link targets ``[text](target)``, autolinks ``<https://...>``, bare URLs, HTML tags and comments.

Numbers in prose (outside math)
-------------------------------
A number is a run of digits with an optional decimal part (``16.70``, ``.5``), optionally
grouped in thousands (``100 000``, ``1,797``), with an optional exponent (``1e-6``) and an
optional percent sign (``2.5 %``, ``96%``). Its sign is not part of it: in text and formulas a
minus is as often an operator as a sign, so numbers are compared by magnitude. It is
*quoted*, and must be checked, unless one of these rules skips it:

* identifier: glued to a letter or an underscore before it (``float64``, ``CS229``, ``log1p``),
  also across a hyphen (``top-1``, ``Inception-v3``), or to letters after it that are not a
  unit (``2nd``, ``3D``); ``10x``, ``16GB`` and the like are numbers, and ``10k`` and ``2M``
  stand for 10 000 and 2 000 000;
* version: three or more dotted parts (``4.6.1``);
* year: an integer from 1900 to 2099 not followed by a word (``(MIT Press, 2016)``,
  ``in 2022.``; but ``2000 steps`` is quoted), or after ``et al.`` or ``(`` (``Lin et al. 2017
  showed``, ``(2016 paper)``);
* chapter label: an integer with a leading zero (``chapter 04``, ``00-08``, ``| 05 |``);
* reference: after *chapter, section, §, exercise, step, appendix, part, figure, table, cell,
  item, trend, objective, slot, question, lesson, lecture, equation, line, page, row, column,
  version* (singular or plural, any case), including lists and ranges that follow
  (``Steps 1 to 3``, ``sections 1, 3 and 5``, ``chapters 5-8``, ``section 4.2``); a decimal
  starting with ``0.`` is never a reference (``step 0.005`` is quoted);
* article section: a number and a full stop, or ``N.N`` with one digit each side, then Chinese text
  (``1. 背景介绍``, ``4.1 均方误差``; so a quoted ``1.5 倍`` is skipped too); in Chinese prose, a
  reference is ``第 N 章/节/步/题`` or ``N 章/节`` (``第 4.2 节``, ``第 3 章``); other numbers followed
  by Chinese text are quoted (``40 个点``, ``0.01 就停止``) and checked;
* heading number and list marker: the number that opens a heading (``## 4.1 Mean squared
  error``, ``## 2. Image classification``) or a numbered list item (``1. **Largest** ...``,
  ``**2.** For logits``); the rest of a heading is prose;
* duration: followed by a time unit (``10 min``, ``45-minute``, ``2 hours``, ``0.3 ms``,
  ``20 seconds``): lesson times, or timings that differ on every machine (and are printed by
  cells whose output nbval ignores), so no code can check them;
* formula constant: the argument of a function written in words (``log 10``, ``exp(2)``);
* small integer: a bare integer from 0 to 9 (no decimal point, no percent, no exponent). Such
  integers are labels, classes, indices, small counts and parameters ("2 cores", "class 1",
  "$\\delta = 2$", "$C = 3$"); a one-digit result is rare, and a sentence that states one usually
  states a finer number next to it. Integers from 10 up are quoted: data sizes, counts of
  epochs, "35 of 243" are claims the code can assert.
Numbers written as words ("three learning rates") are never extracted.

Numbers in LaTeX math (``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``)
------------------------------------------------------------------------
Inside math most digits are parts of formulas (the 2 of ``x^2``, ``\\frac{1}{2}``,
``2/\\lambda``, indices), so a number is quoted only if it

* has a decimal point (``6.1017``, ``0.5^2``) or a percent (``10\\%``);
* is a power of ten or written in scientific notation (``10^{-8}``, ``1.4 \\times 10^{-17}``,
  ``4 \\cdot 10^{-18}``): one number;
* is an integer with at least 3 significant digits (``243``; not ``100``);
* stands alone: the whole math span is the number (``$35$``), or it follows a relation
  (``=``, ``\\approx``, ``<``, ``\\le``, ...) and is followed by the end of the formula, a
  punctuation mark, another relation or a space command (``$3^4 = 81$``, ``$z = 40$``; not
  ``= 14/3``), and it is 10 or more (smaller ones are small integers, as in prose).

Digits in sub- and superscripts (``x_1``, ``\\sum_{i=1}``, ``2^{-53}``, ``L_{99}``), glued to a
command or a letter (``\\tfrac12``, ``x2``), and every other integer (``43/12``, ``\\log 19``,
``16 \\times 16``) are skipped as formula constants.

When a number is checked
------------------------
A quoted number ``q`` written with ``d`` decimals (``0.30``: 2; ``16``: 0; ``1.4 \\times 10^{-17}``:
a unit of 1e-18) stands for the interval of half a unit of its last digit around it. It is
checked if

* **asserted**: a numeric literal in an ``assert`` statement of the notebook's code (or in a
  call whose name starts with ``assert``, e.g. ``np.testing.assert_allclose``) lies in that
  interval: ``np.isclose(x, 0.29944, atol=1e-5)`` checks ``0.2994`` and ``0.30``; constant
  sub-expressions count (``5 / 3``, ``10**9``), and so do numbers inside string literals
  (``assert f"{x:.4f}" == "0.9957"``). Asserts in cells marked ``# NBVAL_SKIP`` never run and
  do not count;
* **printed**: a number in a stored output (stdout streams, not stderr's warnings; ``text/plain``,
  ``text/markdown`` or ``text/latex`` data; not the ``text/plain`` stand-in of a figure or a
  widget) lies in the interval and is printed with at least the prose's precision: output
  ``0.2996`` or ``0.300`` checks prose ``0.30``; output ``0.3`` does not check prose ``0.30`` and
  output ``0.30`` does not check prose ``0.2994``. Outputs of cells marked
  ``# NBVAL_IGNORE_OUTPUT`` or ``# NBVAL_SKIP`` (or tagged ``nbval-ignore-output`` /
  ``nbval-skip``) do not count: nbval does not compare them, so they prove nothing.

A percentage ``p%`` also matches ``p/100`` (prose ``96.5%``, output ``0.965`` or literal
``0.965``), and an output percentage matches a prose fraction the same way. The evidence is the
whole notebook: an assert or output anywhere in it counts, not only one next to the sentence.

Numbers in a chapter's exercises (from its ``Exercises`` heading to the end of the notebook)
may also be checked by the worked solutions, ``solutions/NN_*.ipynb`` beside the chapter
``NN_*.ipynb``: that is where exercise answers are computed and asserted.

Exceptions
----------
``course/number_exceptions.toml`` lists the numbers that code cannot check::

    [[exception]]
    notebook = "07_tools.ipynb"          # relative to course/ ("solutions/07_solutions.ipynb")
    text = "measured on a 2.5 GHz laptop with 16 GB"   # a snippet of the cell's markdown source
    number = "2.5"                       # optional: only this number within the snippet
    reason = "a hardware figure of the machine the timings were taken on"

An exception excuses the quoted numbers that lie inside an occurrence of ``text`` in a
markdown cell of that notebook (whitespace runs compare equal, so a snippet may span lines);
``number``, if given, narrows it to the numbers written exactly so. Every exception needs a
reason, and an exception that excuses no unchecked number (the text changed, or code now
checks the number) is *stale* and fails the run, so the list stays true.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
DEFAULT_EXCEPTIONS = COURSE / "number_exceptions.toml"

# ----------------------------------------------------------------------------- numbers

#: A number as written: thousands groups (comma or space), decimals, exponent.
NUMBER = re.compile(
    r"(?<![\d.])(?:"
    r"\d{1,3}(?:,\d{3})+(?![\d,])(?:\.\d+)?"                 # 1,797
    r"|\d{1,3}(?:[ \u00a0\u2009\u202f]\d{3})+(?!\d)(?![ \u00a0\u2009\u202f]\d)(?:\.\d+)?"  # 100 000
    r"|\d+(?:\.\d+)?|\.\d+"
    r")(?:[eE][-+\u2212]?\d+(?![\d.]))?"
)
UNITS = {"x", "ms", "s", "us", "\u00b5s", "ns", "kb", "mb", "gb", "tb", "hz", "khz", "mhz", "ghz", "k"}
MULTIPLIERS = {"k": 1e3, "K": 1e3, "M": 1e6}
TIME_UNIT = re.compile(
    r"^[\s\u00a0-]*(?:ns|\u00b5s|us|ms|s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?|days?)\b", re.I)
REFERENCE_WORDS = (
    r"chapters?|ch\.|sections?|exercises?|steps?|appendix|appendices|parts?|figures?|figs?\.|tables?|cells?"
    r"|items?|trends?|objectives?|slots?|questions?|lessons?|lectures?|equations?|eqs?\.|lines?|pages?"
    r"|rows?|columns?|versions?"
)
REFERENCE = re.compile(
    r"(?:\b(?:" + REFERENCE_WORDS + r")|§)\s*"
    r"(?:\d+(?:\.\d+)*\s*(?:,|\band\b|\bor\b|\bto\b|-|\u2013|\u2014|&)\s*(?:§\s*)?)*\Z",
    re.I,
)
CJK = re.compile(r"^\.\s*[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
SPACED_CJK = re.compile(r"^\s+[\u2e80-\u9fff\uf900-\ufaff]")
CHINESE_REFERENCE_BEFORE = re.compile(r"第\s*\Z")
CHINESE_REFERENCE_AFTER = re.compile(r"^\s*(?:章|节|小节|步|题|个练习|号练习)")


@dataclass(frozen=True)
class Value:
    """A number's magnitude and half a unit of its last written digit."""

    value: float
    half: float
    percent: bool = False


def _decimals(digits: str) -> int:
    return len(digits.split(".")[1]) if "." in digits else 0


def parse_number(text: str) -> Value:
    """``"16.70"``, ``"1,797"``, ``"100 000"``, ``"3.057e+09"``, ``"2.5 %"`` -> value and half unit."""
    text = text.strip()
    percent = text.endswith("%")
    text = text.rstrip("%").rstrip("\\").strip().replace("\u2212", "-").lstrip("+-")
    mantissa, _, exponent = text.lower().partition("e")
    mantissa = re.sub(r"[,\s\u00a0\u2009\u202f]", "", mantissa)
    power = int(exponent) if exponent else 0
    value = float(mantissa) * 10.0**power
    return Value(abs(value), 0.5 * 10.0 ** (power - _decimals(mantissa)), percent)


def significant_digits(integer: str) -> int:
    """``"243"``: 3, ``"100"``: 1, ``"1,797"``: 4."""
    return len(re.sub(r"\D", "", integer).strip("0"))


def agrees(quoted: Value, value: float, half: float | None) -> bool:
    """Whether ``value`` (printed with half-unit ``half``; None for a literal) confirms ``quoted``."""
    slack = quoted.half * (1 + 1e-9) + 1e-15 * max(1.0, quoted.value)
    if half is not None and half > slack:
        return False
    return abs(abs(value) - quoted.value) <= slack


def confirms(quoted: Value, value: Value | float, printed: bool) -> bool:
    """``value`` (an output number if ``printed``, else a literal) confirms ``quoted``, percent either way."""
    if isinstance(value, Value):
        number, half, percent = value.value, value.half if printed else None, value.percent
    else:
        number, half, percent = value, None, False
    candidates = [(number, half)]
    if quoted.percent and not percent:
        candidates.append((100 * number, None if half is None else 100 * half))
    if percent and not quoted.percent:
        candidates.append((number / 100, None if half is None else half / 100))
    return any(agrees(quoted, v, h) for v, h in candidates)


# ------------------------------------------------------------------ reading markdown


@dataclass
class Found:
    """A number in a markdown cell: where, as written, and why it is skipped (None: quoted)."""

    text: str
    start: int
    end: int
    value: Value | None
    rule: str | None = None
    math: bool = False


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def _mask(chars: list[str], pattern: re.Pattern) -> None:
    for match in pattern.finditer("".join(chars)):
        _blank(chars, *match.span())


FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,}).*?^[ \t]*\1[^\n]*$", re.M | re.S)
BLOCKQUOTE = re.compile(r"^[ \t]*>.*$", re.M)
COMMENT = re.compile(r"<!--.*?-->", re.S)
CODE_SPAN = re.compile(r"(`+)(?:(?!\n[ \t]*\n).)+?\1", re.S)
LINK_TARGET = re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
AUTOLINK = re.compile(r"<(?:https?|ftp|mailto):[^>\s]*>")
BARE_URL = re.compile(r"\b(?:https?://|www\.)[^\s)>\]]+")
HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
MATH = [
    re.compile(r"\$\$(.+?)\$\$", re.S),
    re.compile(r"\\\[(.+?)\\\]", re.S),
    re.compile(r"\\\((.+?)\\\)", re.S),
    re.compile(r"(?<![\\$])\$(?!\$)((?:\\.|[^$\\\n]|\n(?![ \t]*\n))+?)(?<!\\)\$"),
]
EXERCISES = re.compile(r"^[ \t]*#{1,6}[ \t]*(?:exercises\b|练习)", re.I | re.M)


def split_markdown(source: str) -> tuple[str, list[tuple[int, int]]]:
    """The prose of ``source`` (non-prose blanked, offsets kept) and the spans of its math."""
    chars = list(source)
    for pattern in (FENCE, BLOCKQUOTE, COMMENT, CODE_SPAN, LINK_TARGET, AUTOLINK, BARE_URL):
        _mask(chars, pattern)
    math = []
    for pattern in MATH:
        for match in pattern.finditer("".join(chars)):
            math.append(match.span(1))
            _blank(chars, *match.span())
    _mask(chars, HTML_TAG)
    return "".join(chars), sorted(math)


def _line_before(text: str, start: int) -> str:
    return text[text.rfind("\n", 0, start) + 1:start]


def prose_rule(prose: str, start: int, end: int, written: str) -> str | None:
    """Why the prose number ``prose[start:end]`` is skipped, or None if it is quoted."""
    before, after = prose[max(0, start - 80):start], prose[end:end + 40]
    if re.search(r"[A-Za-z_]-?\Z", before) or re.match(r"[A-Za-z_]", after) and not _unit_after(after):
        return "identifier"
    if re.match(r"\.\d", after):
        return "version"
    plain = re.fullmatch(r"\d+", written) is not None
    if plain and len(written) == 4 and 1900 <= int(written) <= 2099 and (
            not re.match(r"\s*[A-Za-z%]", after) or re.search(r"(?:et al\.?|\()\s*\Z", before)):
        return "year"
    if plain and len(written) > 1 and written.startswith("0"):
        return "chapter label"
    if not written.startswith("0.") and REFERENCE.search(before):
        return "reference"
    if CHINESE_REFERENCE_BEFORE.search(before) or CHINESE_REFERENCE_AFTER.match(after):
        return "reference"
    if CJK.match(after) or re.fullmatch(r"[1-9]\.[1-9]", written) and SPACED_CJK.match(after):
        return "article section"
    line = _line_before(prose, start)
    if re.fullmatch(r"[ \t]*#{1,6}[ \t]*", line):
        return "heading number"
    if plain and re.fullmatch(r"[ \t]*(?:[-*+][ \t]+)?[*_]{0,2}", line) and re.match(r"[.)][*_]{0,2}[ \t]", after):
        return "list marker"
    if TIME_UNIT.match(after):
        return "duration"
    if re.search(r"\b(?:log|ln|exp|sqrt|sin|cos|tanh|cosh|sigma|softmax)\s*\(?\s*\Z", before, re.I):
        return "formula constant"
    if plain and len(written) == 1 and not re.match(r"\s?\\?%", after):
        return "small integer"
    return None


def _unit_after(after: str) -> bool:
    word = re.match(r"[A-Za-z\u00b5]+", after)
    return word is not None and (word.group().lower() in UNITS or word.group() == "M")


def _percent_after(text: str, end: int) -> int:
    """The end of a percent sign (``%``, `` %``, ``\\%``) right after ``end``, or ``end``."""
    match = re.match(r"[ \u00a0\u2009\u202f]?\\?%", text[end:])
    return end + match.end() if match else end


def prose_numbers(prose: str) -> list[Found]:
    found = []
    for match in NUMBER.finditer(prose):
        start, end = match.span()
        written = match.group()
        rule = prose_rule(prose, start, end, written)
        end_pct = _percent_after(prose, end)
        text = prose[start:end_pct]
        value = parse_number(text)
        multiplier = re.match(r"([kKM])(?![A-Za-z])", prose[end:])
        if multiplier:                                   # 10k samples, 2M rows
            factor = MULTIPLIERS[multiplier.group(1)]
            value = Value(value.value * factor, value.half * factor)
            text, end_pct = prose[start:end + 1], end + 1
        found.append(Found(text, start, end_pct, value, rule))
    return found


# ------------------------------------------------------------------------------ math

SCIENTIFIC = re.compile(
    r"(?<![\w.\\])(?:(\d+(?:\.\d+)?)\s*(?:\\times|\\cdot|\u00d7|\u00b7)\s*)?"
    r"10\s*\^\s*(?:\{\s*([-+\u2212]?\s*\d+)\s*\}|([-+\u2212]?\d))"
)
RELATION = re.compile(
    r"(?:=|\\approx|\u2248|<|>|\\le|\\leq|\\ge|\\geq|\\lt|\\gt|\\sim|\\simeq|\\equiv|\\ne|\\neq|\\to|\u2264|\u2265)"
    r"\s*[-\u2212]?\s*\Z"
)
TERMINATOR = re.compile(
    r"\s*(?:\Z|[,;:.)\]|&=<>]"
    r"|\\(?:quad|qquad|text|,|;|!|\\|right|big|Big|approx|le|ge|leq|geq|lt|gt|ne|neq|%|\}|rangle))"
)


def _scripts(content: str) -> list[bool]:
    """Which characters of a formula are in a sub- or superscript."""
    inside = [False] * len(content)
    i = 0
    while i < len(content):
        if content[i] in "_^" and (i == 0 or content[i - 1] != "\\"):
            j = i + 1
            while j < len(content) and content[j] == " ":
                j += 1
            if j < len(content) and content[j] == "{":
                depth, k = 0, j
                while k < len(content):
                    depth += {"{": 1, "}": -1}.get(content[k], 0)
                    if depth == 0:
                        break
                    k += 1
                end = k + 1
            elif j < len(content) and content[j] == "\\":
                command = re.match(r"\\[A-Za-z]+|\\.", content[j:])
                end = j + (command.end() if command else 1)
            else:
                end = j + 1
            for k in range(i, min(end, len(content))):
                inside[k] = True
            i = end
        else:
            i += 1
    return inside


def math_numbers(content: str, offset: int) -> list[Found]:
    found: list[Found] = []
    taken = [False] * len(content)
    for match in SCIENTIFIC.finditer(content):
        start, end = match.span()
        if match.group(1) is None and re.search(r"[\^_]\s*\{?\s*\Z", content[:start]):
            continue                                 # 10 inside a script is handled below
        mantissa = match.group(1) or "1"
        exponent = (match.group(2) or match.group(3)).replace(" ", "")
        value = parse_number(f"{mantissa}e{exponent.replace(chr(0x2212), '-')}")
        found.append(Found(content[start:end], offset + start, offset + end, value, None, True))
        for k in range(start, end):
            taken[k] = True
    scripts = _scripts(content)
    whole = re.fullmatch(r"\s*[-\u2212+]?\s*(\S.*?)\s*(?:\\%)?\s*[.,;:]?\s*", content, re.S)
    for match in NUMBER.finditer(content):
        start, end = match.span()
        if any(taken[start:end]):
            continue
        written = match.group()
        end_pct = _percent_after(content, end)
        text = content[start:end_pct]
        before, after = content[:start], content[end:]
        if scripts[start]:
            rule = "index or exponent"
        elif re.search(r"[A-Za-z_]\Z", before) or re.match(r"[A-Za-z_]", after) and not after.startswith("\\"):
            rule = "identifier"
        elif "." in written or end_pct > end:
            rule = None
        elif significant_digits(written) >= 3:
            rule = None
        elif (whole is not None and whole.group(1) == written) or (
                RELATION.search(before) and TERMINATOR.match(content, end)):
            rule = "small integer" if len(written) == 1 else None
        else:
            rule = "formula constant"
        found.append(Found(text, offset + start, offset + end_pct, parse_number(text), rule, True))
    return sorted(found, key=lambda f: f.start)


def markdown_numbers(source: str) -> list[Found]:
    """Every number of a markdown cell's source, each with the rule that skips it (or None)."""
    prose, math = split_markdown(source)
    found = prose_numbers(prose)
    for start, end in math:
        found += math_numbers(source[start:end], start)
    return sorted(found, key=lambda f: f.start)


def quoted_numbers(source: str) -> list[Found]:
    return [f for f in markdown_numbers(source) if f.rule is None]


# --------------------------------------------------------------------- what code checks

OUTPUT_NUMBER = re.compile(NUMBER.pattern + r"(?:[ \u00a0]?%)?")
IGNORE_MARKERS = ("NBVAL_IGNORE_OUTPUT", "PYTEST_VALIDATE_IGNORE_OUTPUT", "NBVAL_SKIP")


def output_values(text: str) -> list[Value]:
    values = []
    for match in OUTPUT_NUMBER.finditer(text):
        start, end = match.span()
        if re.search(r"[A-Za-z_]\Z", text[:start]):
            continue                                     # float64, lambda_2
        try:
            values.append(parse_number(match.group()))
        except ValueError:
            continue
        parts = re.split(r"[, \u00a0\u2009\u202f]", match.group().rstrip("% "))
        if len(parts) > 1:                               # 1,797 or [ 12 345]: also each part
            values += [parse_number(part) for part in parts if part]
    return values


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _marked(cell: dict, markers: tuple[str, ...]) -> bool:
    """Whether nbval reads one of ``markers`` in the cell: a comment line or a metadata tag."""
    lines = [line.strip() for line in _source(cell).splitlines()]
    comments = {line.lstrip("#").strip() for line in lines if line.startswith("#")}
    tags = set(cell.get("metadata", {}).get("tags", []) or [])
    return any(m in comments or m.lower().replace("_", "-") in tags for m in markers)


def cell_outputs(cell: dict) -> str:
    """The stored text a code cell shows, if nbval compares it."""
    if _marked(cell, IGNORE_MARKERS):
        return ""
    texts = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream" and output.get("name", "stdout") == "stdout":
            texts.append(_source({"source": output.get("text", "")}))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            for mime in ("text/markdown", "text/latex"):
                if mime in data:
                    texts.append(_source({"source": data[mime]}))
            pictures = any(m.startswith("image/") or "widget" in m for m in data)
            if "text/plain" in data and not pictures:
                texts.append(_source({"source": data["text/plain"]}))
    return "\n".join(texts)


def _python(source: str) -> str:
    """Cell source with IPython magics and shell lines commented out."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        lines = lines[1:]
    return "\n".join("# " + line if line.lstrip()[:1] in ("%", "!", "?") else line for line in lines)


def _is_assert_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    return name.startswith("assert")


def _literals(tree: ast.AST) -> list[float]:
    values = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
                values.append(abs(float(node.value)))
            elif isinstance(node.value, str):
                values += [v.value for v in output_values(node.value)]
        elif isinstance(node, (ast.BinOp, ast.UnaryOp)):
            try:
                value = eval(compile(ast.Expression(node), "<literal>", "eval"), {"__builtins__": {}})  # noqa: S307
            except Exception:                                                   # noqa: BLE001
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e300:
                values.append(abs(float(value)))
    return values


def assert_literals(source: str) -> list[float]:
    """The numeric literals (and constant sub-expressions) of the asserts in ``source``."""
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        lines = [line for line in source.splitlines() if line.lstrip().startswith("assert")]
        return [v.value for line in lines for v in output_values(line.partition("assert")[2])]
    values = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            values += _literals(node.test)
        elif _is_assert_call(node):
            values += [v for arg in [*node.args, *(k.value for k in node.keywords)] for v in _literals(arg)]
    return values


@dataclass
class Evidence:
    """What one notebook's code checks: assert literals and printed numbers."""

    literals: list[float] = field(default_factory=list)
    printed: list[Value] = field(default_factory=list)

    @classmethod
    def of(cls, notebook: dict) -> Evidence:
        evidence = cls()
        for cell in notebook.get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            if not _marked(cell, ("NBVAL_SKIP",)):
                evidence.literals += assert_literals(_source(cell))
            evidence.printed += output_values(cell_outputs(cell))
        return evidence

    def check(self, quoted: Value) -> str | None:
        if any(confirms(quoted, v, printed=False) for v in self.literals):
            return "asserted"
        if any(confirms(quoted, v, printed=True) for v in self.printed):
            return "printed"
        return None


# ------------------------------------------------------------------------ exceptions


@dataclass
class Excuse:
    notebook: str
    text: str
    reason: str
    number: str | None = None
    used: int = 0


def load_exceptions(path: Path) -> tuple[list[Excuse], list[str]]:
    """The exceptions of ``path`` and the problems with the file itself."""
    if not path.exists():
        return [], []
    problems, exceptions = [], []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        return [], [f"{path}: not valid TOML: {error}"]
    for index, entry in enumerate(data.get("exception", [])):
        missing = [key for key in ("notebook", "text", "reason") if not str(entry.get(key, "")).strip()]
        unknown = set(entry) - {"notebook", "text", "reason", "number"}
        if missing or unknown:
            problems.append(f"{path}: exception {index + 1}: "
                            + (f"missing {', '.join(missing)}" if missing else f"unknown keys {sorted(unknown)}"))
            continue
        exceptions.append(Excuse(entry["notebook"], entry["text"], entry["reason"], entry.get("number")))
    return exceptions, problems


def _normalised(source: str) -> tuple[str, list[int]]:
    """``source`` with whitespace runs as one space, and each character's original offset."""
    chars, offsets = [], []
    for match in re.finditer(r"\s+|\S", source):
        chars.append(" " if match.group().isspace() else match.group())
        offsets.append(match.start())
    offsets.append(len(source))
    return "".join(chars), offsets


def excuses(exception: Excuse, source: str, number: Found) -> bool:
    if exception.number is not None and number.text.strip() != exception.number.strip():
        return False
    text, offsets = _normalised(source)
    snippet = re.sub(r"\s+", " ", exception.text.strip())
    for match in re.finditer(re.escape(snippet), text):
        start, end = offsets[match.start()], offsets[match.end()]
        if start <= number.start and number.end <= end:
            return True
    return False


# --------------------------------------------------------------------------- checking


def notebook_key(path: Path) -> str:
    """How exceptions name a notebook: relative to the course folder (``solutions/...``, ``zh/...``)."""
    path = Path(path).resolve()
    try:
        return path.relative_to(COURSE.resolve()).as_posix()
    except ValueError:  # a notebook outside the course (the tests' made-up ones)
        return f"solutions/{path.name}" if path.parent.name == "solutions" else path.name


def solutions_of(path: Path) -> Path | None:
    path = Path(path)
    prefix = re.match(r"\d+", path.name)
    if path.parent.name == "solutions" or prefix is None:
        return None
    matches = sorted((path.parent / "solutions").glob(f"{prefix.group()}_*.ipynb"))
    return matches[0] if matches else None


@dataclass
class Result:
    notebook: str
    cell: int
    cell_id: str
    number: Found
    context: str
    status: str            # "asserted", "printed", "solutions asserted", "solutions printed", "excused", "unchecked"
    reason: str = ""


def _context(source: str, number: Found, width: int = 45) -> str:
    start, end = max(0, number.start - width), min(len(source), number.end + width)
    text = re.sub(r"\s+", " ", source[start:end]).strip()
    return ("..." if start > 0 else "") + text + ("..." if end < len(source) else "")


def check_notebook(path: Path, exceptions: list[Excuse] = (),
                   display: str | None = None) -> tuple[list[Result], list[Result]]:
    """Every quoted number of one notebook with its status, and the numbers the rules skip."""
    path = Path(path)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    evidence = Evidence.of(notebook)
    solution_path = solutions_of(path)
    solution = Evidence.of(json.loads(solution_path.read_text(encoding="utf-8"))) if solution_path else None
    key = notebook_key(path)
    own = [e for e in exceptions if e.notebook == key]
    results, skipped = [], []
    in_exercises = False
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "markdown":
            continue
        source = _source(cell)
        heading = EXERCISES.search(split_markdown(source)[0])
        exercises_from = 0 if in_exercises else (heading.start() if heading else len(source) + 1)
        in_exercises = in_exercises or heading is not None
        for number in markdown_numbers(source):
            if number.rule is not None:
                skipped.append(Result(display or str(path), index, cell.get("id", ""), number,
                                      _context(source, number), f"skipped ({number.rule})"))
                continue
            status = evidence.check(number.value)
            if status is None and solution is not None and number.start >= exercises_from:
                found = solution.check(number.value)
                status = f"solutions {found}" if found else None
            reason = ""
            if status is None:
                for exception in own:
                    if excuses(exception, source, number):
                        exception.used += 1
                        status, reason = "excused", exception.reason
                        break
            results.append(Result(display or str(path), index, cell.get("id", ""), number,
                                  _context(source, number), status or "unchecked", reason))
    return results, skipped


def default_notebooks() -> list[Path]:
    return [path for folder in (COURSE, COURSE / "solutions", COURSE / "zh", COURSE / "zh" / "solutions")
            for path in sorted(folder.glob("*.ipynb"))]


def _display(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run(notebooks: list[Path], exceptions_path: Path = DEFAULT_EXCEPTIONS, verbose: bool = False,
        out=None) -> int:
    """Check ``notebooks``; print unchecked numbers, stale exceptions and a summary; return the exit status."""
    out = out or sys.stdout
    exceptions, problems = load_exceptions(exceptions_path)
    keys = {notebook_key(p): p for p in notebooks}
    course_dir = exceptions_path.parent
    for exception in exceptions:
        if exception.notebook not in keys and not (course_dir / exception.notebook).exists():
            problems.append(f"{exceptions_path}: exception for unknown notebook {exception.notebook!r}")
    everything: list[Result] = []
    for path in notebooks:
        results, skipped = check_notebook(path, exceptions, _display(path))
        everything += results
        if verbose:
            for r in sorted(results + skipped, key=lambda r: (r.cell, r.number.start)):
                why = f" ({r.reason})" if r.reason else ""
                print(f"{r.notebook}: cell {r.cell}: {r.status}{why}: {r.number.text.strip()!r} in \"{r.context}\"",
                      file=out)
    unchecked = [r for r in everything if r.status == "unchecked"]
    for r in unchecked:
        print(f"{r.notebook}: cell {r.cell} [{r.cell_id}]: \"{r.context}\" {r.number.text.strip()}", file=out)
    stale = [e for e in exceptions if e.notebook in keys and e.used == 0]
    for e in stale:
        problems.append(f"{exceptions_path}: stale exception ({e.notebook}: {e.text!r}"
                        + (f", number {e.number!r}" if e.number else "") + "): it excuses no unchecked number")
    for problem in problems:
        print(problem, file=out)
    counts = {s: sum(r.status.endswith(s) for r in everything) for s in ("asserted", "printed")}
    excused = sum(r.status == "excused" for r in everything)
    print(f"{len(everything)} quoted numbers in {len(notebooks)} notebooks: {counts['asserted']} asserted, "
          f"{counts['printed']} printed, {excused} excused, {len(unchecked)} unchecked"
          + (f" (in {len({r.notebook for r in unchecked})} notebooks)" if unchecked else "")
          + (f"; {len(problems)} problem(s) with the exceptions" if problems else ""), file=out)
    if unchecked:
        print("Assert each unchecked number in the notebook's code (e.g. np.isclose(value, 0.2994, atol=5e-5)) or "
              "print it at the prose's precision; list it in course/number_exceptions.toml, with its reason, only "
              "if no code can check it. `-v` shows how every number was checked or skipped.", file=out)
    return 1 if unchecked or problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to check (default: course/*.ipynb and course/solutions/*.ipynb)")
    parser.add_argument("--exceptions", type=Path, default=DEFAULT_EXCEPTIONS,
                        help="the exceptions file (default: course/number_exceptions.toml)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also list every number found: how it was checked, or which rule skipped it")
    args = parser.parse_args(argv)
    return run(args.notebooks or default_notebooks(), args.exceptions, args.verbose)


if __name__ == "__main__":
    sys.exit(main())
