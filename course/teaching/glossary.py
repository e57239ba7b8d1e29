"""The course's glossary, one table for both editions: ``course/glossary.csv`` rendered as Markdown.

Each row of the CSV is one term: the chapter that introduces it (``chapter``, two digits), whether the
article uses its Chinese term (``source``: ``article``) or only the course does (``course``), the English
and Chinese terms (``en``, ``zh``), the Chinese term's pinyin without tones (``pinyin``, one syllable per
Chinese character, Latin words as written: ``KL san du``), an optional symbol (``symbol``, LaTeX) and a
short definition in each language (``en_def``, ``zh_def``). The file is kept in English alphabetical
order; the renderer sorts for each language.

``show_glossary("en")`` draws English → Chinese, sorted alphabetically; ``show_glossary("zh")`` draws
Chinese → English, sorted by pinyin (the ``pinyin`` column, so no dictionary is needed; a Latin word
sorts as if it were pinyin, ties go to the characters' code points). Both editions' ``00_index`` call it.
"""

from __future__ import annotations

import csv
import pathlib
import re

from IPython.display import Markdown, display

#: The glossary's data file, shared by both editions.
GLOSSARY_CSV = pathlib.Path(__file__).resolve().parents[1] / "glossary.csv"
FIELDS = ("chapter", "source", "en", "zh", "pinyin", "symbol", "en_def", "zh_def")
#: Fields every row must fill (``symbol`` may be empty).
REQUIRED = ("chapter", "source", "en", "zh", "pinyin", "en_def", "zh_def")
SOURCES = ("article", "course")
LANGUAGES = ("en", "zh")

_HEADERS = {
    "en": ("English", "中文", "meaning", "chapter"),
    "zh": ("中文", "English", "释义", "章"),
}
#: How a term the article does not use is marked, in each edition.
COURSE_MARK = {"en": "*course*: ", "zh": "*课程*："}


def load_glossary(path: pathlib.Path = GLOSSARY_CSV) -> list[dict[str, str]]:
    """The glossary's rows, in the file's order; raises ``ValueError`` on a malformed file."""
    with open(path, encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        if tuple(reader.fieldnames or ()) != FIELDS:
            raise ValueError(f"{path.name}: the columns must be {', '.join(FIELDS)}; got {reader.fieldnames}")
        rows = [{key: (value or "").strip() for key, value in row.items()} for row in reader]
    for number, row in enumerate(rows, start=2):   # line 1 is the header
        missing = [field for field in REQUIRED if not row[field]]
        if missing:
            raise ValueError(f"{path.name}, line {number} ({row['en'] or row['zh']!r}): empty {', '.join(missing)}")
        if row["source"] not in SOURCES:
            raise ValueError(f"{path.name}, line {number}: source must be one of {SOURCES}, not {row['source']!r}")
        if not re.fullmatch(r"\d\d", row["chapter"]):
            raise ValueError(f"{path.name}, line {number}: chapter must be two digits, not {row['chapter']!r}")
    return rows


def chapter_notebooks(course_dir: pathlib.Path = GLOSSARY_CSV.parent) -> dict[str, str]:
    """Chapter number → notebook file name (``"04"`` → ``"04_mse_and_cross_entropy.ipynb"``). Both editions use
    the same file names, so a link from ``00_index`` works in ``course/`` and in ``course/zh/``."""
    return {path.name[:2]: path.name for path in sorted(course_dir.glob("[0-9][0-9]_*.ipynb"))}


def sort_key(row: dict[str, str], language: str) -> tuple:
    """English: alphabetical, ignoring case. Chinese: by pinyin syllable (no tones; ü after u), then by the
    characters' code points."""
    if language == "en":
        return (row["en"].casefold(), row["en"])
    return (row["pinyin"].casefold().split(), row["zh"])


def _cell(text: str) -> str:
    return text.replace("|", r"\|").replace("\n", " ")


def glossary_table(language: str, rows: list[dict[str, str]] | None = None) -> str:
    """The glossary as a Markdown table: English → Chinese (``"en"``) or Chinese → English (``"zh"``)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    rows = load_glossary() if rows is None else rows
    other = "zh" if language == "en" else "en"
    notebooks = chapter_notebooks()
    lines = ["| " + " | ".join(_HEADERS[language]) + " |", "| --- | --- | --- | --- |"]
    for row in sorted(rows, key=lambda row: sort_key(row, language)):
        term = row[language] + (f" {row['symbol']}" if row["symbol"] else "")
        meaning = (COURSE_MARK[language] if row["source"] == "course" else "") + row[f"{language}_def"]
        chapter = row["chapter"]
        where = f"[{chapter}]({notebooks[chapter]})" if chapter in notebooks else chapter
        lines.append(f"| {_cell(term)} | {_cell(row[other])} | {_cell(meaning)} | {where} |")
    return "\n".join(lines)


def show_glossary(language: str) -> None:
    """Display the glossary table of the ``"en"`` or the ``"zh"`` edition."""
    display(Markdown(glossary_table(language)))
