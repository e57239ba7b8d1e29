"""The Chinese edition (``course/zh/``) runs the English edition's code, and is written in Chinese.

For every English notebook (``course/NN_*.ipynb``, ``course/solutions/NN_*.ipynb``) whose twin exists under
``course/zh/`` (same relative path):

* the two have the same cells, one to one: same number, same kinds in the same order (markdown, code or raw;
  speaker notes; nbval tags), same cell ids;
* every code cell equals its English twin once string literals and comments are masked: the code is compared
  token by token (``tokenize``; line breaks inside brackets and indentation widths do not count). A string
  literal may say anything, but the replacement fields of an f-string (``{loss:.4f}``) must be the same ones,
  in any order, with the same expressions and formats; comments are ignored, except nbval's
  (``# NBVAL_SKIP``, ...), which must match;
* at least half of the letters of its markdown prose are Chinese (code, math, links and blockquoted article
  text are left out of the count).

``test_every_english_notebook_has_a_chinese_twin`` lists the notebooks still without a twin (it skips while the
edition is incomplete). The glossary (``course/glossary.csv``, rendered by ``teaching.glossary``) is checked
here too. Pure JSON, ``tokenize`` and ``ast``: no kernel runs. One chapter: ``pytest tests/test_zh_edition.py -k 04``.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
ZH = COURSE / "zh"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
#: The source article: the README's ``../shared/seed/...`` beside the checkout, or LOSSJIT_ARTICLE.
ARTICLE = Path(os.environ.get("LOSSJIT_ARTICLE", ROOT.parent / "shared" / "seed" / "loss-functions-article.zh.md"))
#: Share of the markdown prose's letters that must be Chinese in a Chinese notebook.
MIN_CHINESE = 0.5

sys.path.insert(0, str(COURSE))
from teaching import glossary  # noqa: E402


def english_notebooks() -> list[Path]:
    """Every English chapter and solution notebook, relative to ``course/``."""
    found = sorted(COURSE.glob(NOTEBOOK_GLOB)) + sorted((COURSE / "solutions").glob(NOTEBOOK_GLOB))
    return [path.relative_to(COURSE) for path in found]


def chinese_notebooks() -> list[Path]:
    """Every Chinese chapter and solution notebook, relative to ``course/zh/``."""
    found = sorted(ZH.glob(NOTEBOOK_GLOB)) + sorted((ZH / "solutions").glob(NOTEBOOK_GLOB))
    return [path.relative_to(ZH) for path in found]


TWINS = [path for path in english_notebooks() if (ZH / path).exists()]
TWIN_IDS = [path.with_suffix("").as_posix().replace("/", "-") for path in TWINS]


def read(path: Path) -> dict:
    with open(path, encoding="utf-8") as stream:
        return json.load(stream)


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def first_line(cell: dict) -> str:
    lines = source(cell).strip().splitlines()
    return (lines[0][:70] + ("..." if len(lines[0]) > 70 else "")) if lines else "(empty)"


# --------------------------------------------------------------------------------------------- masking code


@dataclass(frozen=True)
class Token:
    kind: str      # tokenize's token name, "STRING" for a whole string literal, "MAGIC" for an IPython line
    text: str      # what is compared: the token's text; for a string, its f-string replacement fields, sorted
    line: int      # 1-based, within the cell
    column: int

    def __str__(self) -> str:
        text = f"with fields {self.text.replace(FIELD_SEPARATOR, ', ')}" if self.kind == "STRING" and self.text \
            else ("without fields" if self.kind == "STRING" else repr(self.text))
        return f"{self.kind} {text} (line {self.line}, column {self.column + 1})"


#: Joins the replacement fields of a masked string (a translation may reorder them, so they are sorted).
FIELD_SEPARATOR = "\x1f"
# Tokens that are layout, not code: a line break inside brackets, and comments (nbval's are kept, below).
_LAYOUT = {tokenize.NL}
_NBVAL_COMMENT = re.compile(r"#\s*(NBVAL_\w+)")
# Python 3.12+ tokenizes an f-string as FSTRING_START ... FSTRING_END (3.14 adds t-strings alike).
_STRING_START = {number for number, name in tokenize.tok_name.items() if name.endswith("STRING_START")}
_STRING_END = {number for number, name in tokenize.tok_name.items() if name.endswith("STRING_END")}


class _MaskStrings(ast.NodeTransformer):
    """Inside an f-string's replacement field: every string constant becomes ``'…'``, and a nested f-string
    keeps only its own replacement fields."""

    def visit_Constant(self, node):
        return ast.copy_location(ast.Constant("…"), node) if isinstance(node.value, (str, bytes)) else node

    def visit_JoinedStr(self, node):
        node.values = [self.visit(value) for value in node.values if isinstance(value, ast.FormattedValue)]
        return node

    def visit_FormattedValue(self, node):
        node.value = self.visit(node.value)     # the format spec is compared as written
        return node


def _field(value: ast.FormattedValue) -> str:
    """An f-string replacement field as it is written, its own string constants masked: ``{loss:.4f}``."""
    expression = ast.unparse(_MaskStrings().visit(value.value))
    conversion = f"!{chr(value.conversion)}" if value.conversion != -1 else ""
    spec = ""
    if value.format_spec is not None:
        spec = ":" + "".join(part.value if isinstance(part, ast.Constant) else _field(part)
                             for part in value.format_spec.values)
    return "{" + expression + conversion + spec + "}"


def string_fields(literal: str) -> list[str]:
    """The replacement fields of a string literal (none unless it is an f-string)."""
    try:
        node = ast.parse(f"(\n{literal}\n)", mode="eval").body
    except SyntaxError:
        return [f"<unparsable string {literal!r}>"]
    if isinstance(node, ast.JoinedStr):
        return [_field(value) for value in node.values if isinstance(value, ast.FormattedValue)]
    return []


def _strip_magics(code: str) -> tuple[str, list[Token]]:
    """IPython lines (``%time ...``, ``!pip ...``) are not Python: each becomes a MAGIC token, compared as written."""
    lines = code.splitlines(keepends=True)
    magics = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith(("%", "!")):
            magics.append(Token("MAGIC", stripped, number, len(line) - len(line.lstrip())))
            lines[number - 1] = "\n" if line.endswith("\n") else ""
    return "".join(lines), magics


def masked_tokens(code: str) -> list[Token]:
    """The tokens of a code cell with every string literal masked (an f-string keeps its replacement fields)
    and comments dropped (except nbval's); adjacent literals ("a" "b") count as one."""
    code, magics = _strip_magics(code)
    offsets = [0]
    for line in code.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))

    def span(start, end) -> str:
        return code[offsets[start[0] - 1] + start[1]: offsets[end[0] - 1] + end[1]]

    raw = list(tokenize.generate_tokens(io.StringIO(code).readline))
    tokens: list[Token] = []
    strings: list[tuple[tuple[int, int], list[str]]] = []   # the literals of one implicit concatenation

    def close_string():
        if strings:
            (line, column), fields = strings[0][0], [field for _, group in strings for field in group]
            tokens.append(Token("STRING", FIELD_SEPARATOR.join(sorted(fields)), line, column))
            strings.clear()

    index = 0
    while index < len(raw):
        token = raw[index]
        index += 1
        if token.type in _STRING_START:                      # 3.12+: consume the whole (possibly nested) f-string
            depth = 1
            while depth:
                depth += (raw[index].type in _STRING_START) - (raw[index].type in _STRING_END)
                index += 1
            strings.append((token.start, string_fields(span(token.start, raw[index - 1].end))))
        elif token.type == tokenize.STRING:
            strings.append((token.start, string_fields(token.string)))
        elif token.type in _LAYOUT:
            continue
        elif token.type == tokenize.COMMENT:
            match = _NBVAL_COMMENT.match(token.string)
            if match:
                close_string()
                tokens.append(Token("COMMENT", match.group(1), *token.start))
        else:
            close_string()
            kind = tokenize.tok_name[token.type]
            # NEWLINE, INDENT, DEDENT and ENDMARKER: their text is whitespace, which does not count.
            text = "" if token.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER) \
                else token.string
            tokens.append(Token(kind, text, *token.start))
    close_string()
    return sorted(tokens + magics, key=lambda token: (token.line, token.column))


def code_difference(english: str, chinese: str) -> str | None:
    """None if the two cells are the same code once strings and comments are masked; else a description of
    the first difference."""
    try:
        ours, theirs = masked_tokens(english), masked_tokens(chinese)
    except (tokenize.TokenError, SyntaxError) as error:    # SyntaxError: 3.12+ tokenizer errors
        return f"cannot tokenize: {error}"
    for position, (a, b) in enumerate(zip(ours, theirs)):
        if (a.kind, a.text) != (b.kind, b.text):
            english_line = english.splitlines()[a.line - 1] if a.line <= len(english.splitlines()) else ""
            chinese_line = chinese.splitlines()[b.line - 1] if b.line <= len(chinese.splitlines()) else ""
            return (f"first difference at token {position}: English {a} != Chinese {b}\n"
                    f"    English: {english_line.strip()}\n    Chinese: {chinese_line.strip()}")
    if len(ours) != len(theirs):
        longer, name = (ours, "English") if len(ours) > len(theirs) else (theirs, "Chinese")
        return f"the {name} cell goes on with {longer[min(len(ours), len(theirs))]}"
    return None


# ------------------------------------------------------------------------------------------- measuring prose

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1[ \t]*$", re.MULTILINE | re.DOTALL)
_BLOCKQUOTE = re.compile(r"^ {0,3}>.*$", re.MULTILINE)
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
_MATH = re.compile(r"\$\$.*?\$\$|\\\[.*?\\\]|\\\(.*?\\\)|(?<![\\$])\$(?!\s)[^$\n]*?(?<![\s\\])\$", re.DOTALL)
_HTML = re.compile(r"<!--.*?-->|<[^>\n]+>", re.DOTALL)
_LINK_TARGET = re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_URL = re.compile(r"https?://\S+")
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def prose(markdown: str) -> str:
    """The markdown's prose: without fenced code, blockquotes (the article's own words), code spans, math,
    HTML, link targets and URLs."""
    for pattern in (_FENCE, _BLOCKQUOTE, _CODE_SPAN, _MATH, _HTML, _LINK_TARGET, _URL):
        markdown = pattern.sub(" ", markdown)
    return markdown


def chinese_share(notebook: dict) -> tuple[float, int]:
    """The share of Chinese characters among the letters of the notebook's markdown prose, and the letter count."""
    text = "\n".join(prose(source(cell)) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    letters = [character for character in text if character.isalpha()]
    chinese = sum(1 for character in letters if _CJK.match(character))
    return (chinese / len(letters) if letters else 0.0), len(letters)


# ----------------------------------------------------------------------------------------- the two editions


def cell_kind(cell: dict) -> tuple:
    metadata = cell.get("metadata", {})
    return (cell["cell_type"], metadata.get("slideshow", {}).get("slide_type", ""), tuple(sorted(metadata.get("tags", []))))


def test_every_english_notebook_has_a_chinese_twin():
    """Lists the notebooks (and the lecturer's guide) not yet translated; skips while there are any."""
    missing = [path.as_posix() for path in english_notebooks() if not (ZH / path).exists()]
    if not (ZH / "README.md").exists():
        missing.append("README.md")
    if missing:
        pytest.skip(f"the Chinese edition is incomplete: no course/zh/ twin yet for {len(missing)} of "
                    f"{len(english_notebooks()) + 1} files: {', '.join(missing)}")


def test_every_chinese_notebook_has_an_english_original():
    orphans = [path.as_posix() for path in chinese_notebooks() if not (COURSE / path).exists()]
    assert not orphans, f"Chinese notebooks without an English original (same path under course/): {orphans}"


@pytest.mark.parametrize("relative", TWINS, ids=TWIN_IDS)
def test_same_cells_in_the_same_order(relative):
    english, chinese = read(COURSE / relative)["cells"], read(ZH / relative)["cells"]
    for index, (ours, theirs) in enumerate(zip(english, chinese)):
        assert cell_kind(ours) == cell_kind(theirs), (
            f"zh/{relative.as_posix()}: cell {index} is {cell_kind(theirs)}, its English twin {cell_kind(ours)} "
            f"(kind, slide type, tags)\n    English: {first_line(ours)}\n    Chinese: {first_line(theirs)}")
    assert len(english) == len(chinese), (
        f"zh/{relative.as_posix()} has {len(chinese)} cells, the English notebook {len(english)}; the first "
        f"unmatched cell ({min(len(english), len(chinese))}) starts: "
        f"{first_line((english if len(english) > len(chinese) else chinese)[min(len(english), len(chinese))])}")


@pytest.mark.parametrize("relative", TWINS, ids=TWIN_IDS)
def test_same_cell_ids(relative):
    english, chinese = read(COURSE / relative)["cells"], read(ZH / relative)["cells"]
    different = [(index, ours.get("id"), theirs.get("id")) for index, (ours, theirs) in enumerate(zip(english, chinese))
                 if ours.get("id") != theirs.get("id")]
    assert not different, (f"zh/{relative.as_posix()}: cell ids differ from the English notebook's "
                           f"(cell, English id, Chinese id): {different[:5]}")


@pytest.mark.parametrize("relative", TWINS, ids=TWIN_IDS)
def test_code_cells_are_the_english_code(relative):
    english, chinese = read(COURSE / relative)["cells"], read(ZH / relative)["cells"]
    problems = []
    for index, (ours, theirs) in enumerate(zip(english, chinese)):
        if ours["cell_type"] == theirs["cell_type"] == "code":
            difference = code_difference(source(ours), source(theirs))
            if difference:
                problems.append(f"cell {index} [{ours.get('id', '?')}]: {difference}")
    assert not problems, (f"zh/{relative.as_posix()}: code cells differ from the English ones beyond strings and "
                          f"comments ({len(problems)}):\n" + "\n".join(problems))


@pytest.mark.parametrize("relative", TWINS, ids=TWIN_IDS)
def test_the_prose_is_mostly_chinese(relative):
    share, letters = chinese_share(read(ZH / relative))
    assert share >= MIN_CHINESE, (f"zh/{relative.as_posix()}: only {share:.0%} of the {letters} letters of its "
                                  f"markdown prose are Chinese (at least {MIN_CHINESE:.0%} expected)")


# ------------------------------------------------------------------------------- the checks check what they say


def test_the_english_edition_is_not_counted_as_chinese():
    """The measure itself: every English notebook is far below the threshold."""
    for relative in english_notebooks():
        share, _ = chinese_share(read(COURSE / relative))
        assert share < 0.2, f"{relative}: {share:.0%} Chinese by this measure"


def test_prose_leaves_out_code_math_quotes_and_links():
    text = ("Chinese 中文 `代码` $损失$ $$\\text{熵}$$\n> 文章原文\n[链接](01_背景.ipynb) <b>x</b>\n"
            "```python\nprint('代码')\n```\nend")
    kept = prose(text)
    assert "中文" in kept and "Chinese" in kept and "end" in kept
    assert not re.search("代码|损失|熵|文章|背景", kept), kept


def test_strings_and_comments_are_masked_but_code_is_not():
    english = ('x = 1.5  # the step\nprint(f"loss = {loss:.4f} after {n} steps", "done")\n'
               'ax.set(title="Loss", xlabel=f"{name!r}")\n')
    chinese = ('x = 1.5  # 步长\nprint(f"经过 {n} 步后损失 = {loss:.4f}", "完成")\n'
               'ax.set(title="损失", xlabel=f"{name!r}")\n')
    assert code_difference(english, chinese) is None
    assert code_difference(english, english.replace("1.5", "2.5")) is not None
    assert code_difference(english, english.replace("{loss:.4f}", "{loss:.3f}")) is not None
    assert code_difference(english, english.replace("{n}", "{m}")) is not None
    assert code_difference(english, english.replace("title=", "label=")) is not None
    # Line breaks inside brackets, a string split in two, and comments on their own lines do not count.
    assert code_difference('print("a b",\n      x)\n', '# 注释\nprint("甲"\n      "乙", x)\n') is None
    # nbval's comments do.
    assert code_difference("# NBVAL_IGNORE_OUTPUT\nx = 1\n", "x = 1\n") is not None
    # String constants inside a replacement field are strings too.
    assert code_difference("print(f\"{'name':<22}{n}\")\n", "print(f\"{'名称':<22}{n}\")\n") is None


def test_difference_message_names_the_first_differing_token():
    message = code_difference("y = f(x, 2)\n", "y = f(x, 3)\n")
    assert "NUMBER '2'" in message and "NUMBER '3'" in message and "line 1" in message


# ------------------------------------------------------------------------------------------------ glossary


def test_every_glossary_row_is_complete():
    rows = glossary.load_glossary()          # raises on an empty field, a bad source or chapter
    chapters = {path.name[:2] for path in english_notebooks() if len(path.parts) == 1}
    for row in rows:
        assert row["chapter"] in chapters, f"{row['en']}: no chapter {row['chapter']}"
        assert _CJK.search(row["zh"]) or row["zh"] == row["en"], f"{row['en']}: the Chinese term {row['zh']!r}"
        assert _CJK.search(row["zh_def"]), f"{row['en']}: the Chinese definition has no Chinese"
        # One pinyin syllable per Chinese character; Latin words as written.
        words = re.findall(r"[\u3400-\u9fff]|[A-Za-z0-9]+", row["zh"])
        syllables = row["pinyin"].split()
        assert len(words) == len(syllables), f"{row['zh']}: pinyin {row['pinyin']!r} has {len(syllables)} syllables"
        for word, syllable in zip(words, syllables):
            if _CJK.match(word):
                assert re.fullmatch("[a-zü]+", syllable), f"{row['zh']}: {syllable!r} is not toneless pinyin"
            else:
                assert word.lower() == syllable.lower(), f"{row['zh']}: {syllable!r} should be {word!r}"
    for language in ("en", "zh"):
        terms = [row[language] for row in rows]
        assert len(terms) == len(set(terms)), f"duplicate terms: {sorted({t for t in terms if terms.count(t) > 1})}"


def test_glossary_article_terms_are_the_articles():
    """A term marked ``article`` is used by the article; a ``course`` term is not (except inside an article
    term: 熵 inside 交叉熵)."""
    if not ARTICLE.exists():
        pytest.skip(f"the source article is not at {ARTICLE} (set LOSSJIT_ARTICLE)")
    article = ARTICLE.read_text(encoding="utf-8")
    rows = glossary.load_glossary()
    article_terms = [row["zh"] for row in rows if row["source"] == "article"]
    absent = [term for term in article_terms if term not in article]
    assert not absent, f"marked 'article' but not in the article: {absent}"
    covered = set()
    for term in article_terms:
        covered |= {start + offset for start in _occurrences(article, term) for offset in range(len(term))}
    used = [row["zh"] for row in rows if row["source"] == "course"
            and any(set(range(start, start + len(row["zh"]))) - covered for start in _occurrences(article, row["zh"]))]
    assert not used, f"marked 'course' but used by the article (mark them 'article'): {used}"


def _occurrences(text: str, term: str) -> list[int]:
    return [match.start() for match in re.finditer(re.escape(term), text)]


def test_glossary_is_sorted_for_each_language():
    english = glossary.glossary_table("en").splitlines()[2:]
    chinese = glossary.glossary_table("zh").splitlines()[2:]
    assert len(english) == len(chinese) == len(glossary.load_glossary())
    first = [line.split(" | ")[0].lstrip("| ") for line in english]
    assert first == sorted(first, key=str.casefold)
    rows = sorted(glossary.load_glossary(), key=lambda row: glossary.sort_key(row, "zh"))
    assert [row["zh"] for row in rows][:3] == [line.split(" | ")[0].lstrip("| ").split(" $")[0] for line in chinese[:3]]
    pinyin = [row["pinyin"].casefold().split() for row in rows]
    assert pinyin == sorted(pinyin)


@pytest.mark.parametrize("folder, language", [(COURSE, "en"), (ZH, "zh")], ids=["en", "zh"])
def test_index_shows_the_glossary_from_the_data_file(folder, language):
    """Both editions' 00_index render the glossary with the same code; the stored table is the CSV's."""
    index = folder / "00_index.ipynb"
    if not index.exists():
        pytest.skip(f"{index.relative_to(ROOT)} not written yet")
    cells = [cell for cell in read(index)["cells"] if cell["cell_type"] == "code" and "show_glossary(" in source(cell)]
    assert len(cells) == 1, f"{index.relative_to(ROOT)}: expected one code cell calling show_glossary"
    assert re.search(rf"^LANGUAGE = \"{language}\"", source(cells[0]), re.MULTILINE), source(cells[0])
    shown = [output["data"]["text/markdown"] for output in cells[0].get("outputs", [])
             if "text/markdown" in output.get("data", {})]
    stored = "".join(shown[0]) if shown else ""
    assert stored == glossary.glossary_table(language), (
        f"{index.relative_to(ROOT)}: the stored glossary differs from course/glossary.csv: run the notebook again")
