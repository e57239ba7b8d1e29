"""Shared helpers for the slide and site builders: which notebooks, offline assets, links.

The builders only read the stored notebooks (they are kept executed) and never
execute them. Browser assets come from the npm packages that `make slides` and
`make site` install into `_build/vendor/node_modules` and are copied next to the
output, so the result works offline and from any folder.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import nbformat

STATIC_DIR = "_static"
MATHJAX_QUERY = "?config=TeX-AMS_CHTML-full,Safe"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

# What each output needs from the npm packages: (package path, destination under _static).
MATHJAX_FILES = [
    "MathJax.js",
    "config/TeX-AMS_CHTML-full.js",
    "config/Safe.js",
    "extensions",
    "jax/element",
    "jax/input/TeX",
    "jax/output/CommonHTML",
    "fonts/HTML-CSS/TeX/woff",
]
SITE_ASSETS = [("requirejs/require.js", "require.js")] + [
    (f"mathjax/{name}", f"mathjax/{name}") for name in MATHJAX_FILES
]
SLIDE_ASSETS = SITE_ASSETS + [
    ("jquery/dist/jquery.min.js", "jquery.min.js"),
    ("reveal.js/dist", "reveal.js/dist"),
    ("reveal.js/plugin/notes", "reveal.js/plugin/notes"),
]

SOLUTIONS_DIR = "solutions"
#: What a link to a withheld solution becomes: its text, then this note (``--solutions``).
SOLUTIONS_LATER = "released after class"
#: Which solutions are published: True (all), False (none) or the chapter numbers ({"01", "02"}).
Release = bool | frozenset

# lecturer/ holds the plan, the assignment and the quiz answers: never copied next to the pages.
_SKIPPED_DIRS = {"tools", "__pycache__", ".ipynb_checkpoints", "lecturer"}
_HREF = re.compile(r'href="([^"#:?]+\.ipynb)(#[^"]*)?"')
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
# An anchor (anchors do not nest, so the first </a> closes it), or inline code naming the solutions folder.
_ANCHOR_OR_CODE = re.compile(r'<a(?:\s[^>]*)?\shref="([^"]*)"[^>]*>(.*?)</a>'
                             r"|<code>((?:[\w.-]+/)*%s/[^<]*)</code>" % SOLUTIONS_DIR, re.DOTALL)


def trusted_html(html: str | bytes) -> str:
    """nbconvert's ``clean_html`` filter for the course's own notebooks: their cells and outputs as they are.
    nbconvert's own passes each through bleach's sanitiser, a guard against untrusted notebooks that took two
    fifths of ``make site`` (the pages come out the same, byte for byte)."""
    return html.decode() if isinstance(html, bytes) else str(html)


def course_notebooks(course_dir: Path, solutions: Release = True) -> list[Path]:
    """The chapters (``NN_*.ipynb``) then the released solutions (all, none, or those of the chapter
    numbers in ``solutions``), relative to ``course_dir``, sorted."""
    chapters = sorted(course_dir.glob("[0-9][0-9]_*.ipynb"))
    answers = [path for path in sorted((course_dir / SOLUTIONS_DIR).glob("[0-9][0-9]_*.ipynb"))
               if solutions is True or (solutions and path.name[:2] in solutions)]
    return [path.relative_to(course_dir) for path in chapters + answers]


def parse_solutions(text: str) -> Release:
    """``--solutions``/``SOLUTIONS=``: "all" every solution, "0" (or none) none, or chapter numbers separated
    by commas, e.g. "1,2,03", for those chapters' solutions only. "1" is chapter 1 alone, not "all": a
    mistake then publishes too little rather than every answer."""
    words = text.strip().lower()
    if words in ("all", "yes", "true"):
        return True
    if words in ("0", "none", "no", "false", ""):
        return False
    numbers = [word for word in re.split(r"[,\s]+", words) if word]
    if not all(word.isdigit() and len(word) <= 2 for word in numbers):
        raise argparse.ArgumentTypeError(f"expected all, 0 or chapter numbers such as 1,2,03; got {text!r}")
    return frozenset(word.zfill(2) for word in numbers)


def is_notes_cell(cell: nbformat.NotebookNode) -> bool:
    """A speaker-notes cell: slide type "notes" (shown in reveal.js's speaker view only)."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type") == "notes"


def read_notebook(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def relative_prefix(page: PurePosixPath) -> str:
    """``"../"`` once per folder between the output root and ``page``."""
    return "../" * (len(page.parts) - 1)


def copy_assets(vendor: Path, out_dir: Path, assets: list[tuple[str, str]]) -> None:
    """Copy the npm files the pages load into ``out_dir/_static``."""
    missing = [source for source, _ in assets if not (vendor / source).exists()]
    if missing:
        raise SystemExit(f"missing browser assets in {vendor}: {', '.join(missing)} (run the make target)")
    for source, destination in assets:
        target = out_dir / STATIC_DIR / destination
        target.parent.mkdir(parents=True, exist_ok=True)
        if (vendor / source).is_dir():
            shutil.copytree(vendor / source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(vendor / source, target)


def copy_course_files(course_dir: Path, out_dir: Path, solutions: Release = True,
                      excluded: frozenset[str] = frozenset()) -> None:
    """Copy the files notebooks may link to (figures, data, text), skipping notebooks, tools and the
    lecturer's files; and the solutions folder too when no solution is released. ``excluded``: top-level
    folders left out too (the translations' folders, which their own editions copy)."""
    skipped = _SKIPPED_DIRS if solutions else _SKIPPED_DIRS | {SOLUTIONS_DIR}
    for path in sorted(course_dir.rglob("*")):
        relative = path.relative_to(course_dir)
        if path.is_dir() or path.suffix == ".ipynb" or relative.parts[0] in excluded:
            continue
        if any(part in skipped or part.startswith(".") for part in relative.parts):
            continue
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def rewrite_notebook_links(page_html: str, page: PurePosixPath, built: set[PurePosixPath], suffix: str) -> str:
    """Point relative links to built notebooks (``x.ipynb#a``) at their pages (``x<suffix>#a``).

    ``page`` is the notebook's path relative to the course folder, ``built`` all
    such paths; links to notebooks that were not built are left for the link check.
    """

    def replace(match: re.Match) -> str:
        target, fragment = match.group(1), match.group(2) or ""
        resolved = _normalise(page.parent / html.unescape(target))
        if resolved not in built:
            return match.group(0)
        return f'href="{target[: -len(".ipynb")]}{suffix}{fragment}"'

    return _HREF.sub(replace, page_html)


def withhold_solutions(page_html: str, page: PurePosixPath, released: frozenset = frozenset(),
                       later: str = f" ({SOLUTIONS_LATER})",
                       title: str = f"The worked solutions are {SOLUTIONS_LATER}") -> str:
    """``page_html`` without a link into the solutions folder, except to the ``released`` solutions.

    Each withheld link becomes its text followed by "(released after class)", and so does inline code
    naming the folder (``solutions/01_x.ipynb``) unless it names a released solution. ``page`` is the
    page's path relative to the output root (the course folder's layout); links are resolved from its
    folder, whatever their suffix (``.ipynb``, ``.html``, ``.slides.html``). External links are left alone.
    ``released`` holds the released solutions' notebook paths (``solutions/01_x.ipynb``). ``later`` is the note
    after the text and ``title`` its tooltip (the Chinese edition's read "（课后发布）" and "习题解答课后发布").
    """
    released_stems = {path.parent / path.name.split(".")[0] for path in released}

    def is_released(path: PurePosixPath) -> bool:
        return path.parent / path.name.split(".")[0] in released_stems

    def withheld(inner: str) -> str:
        return f'<span class="solutions-later" title="{html.escape(title)}">{inner}{later}</span>'

    def replace(match: re.Match) -> str:
        href, text, code = match.groups()
        if code is not None:
            named = PurePosixPath(SOLUTIONS_DIR + code.split(SOLUTIONS_DIR, 1)[1])
            return match.group(0) if is_released(named) else withheld(match.group(0))
        target = urlsplit(html.unescape(href))
        if target.scheme or target.netloc or not target.path:
            return match.group(0)
        resolved = _normalise(page.parent / target.path)
        if resolved.parts[:1] != (SOLUTIONS_DIR,) or is_released(resolved):
            return match.group(0)
        return withheld(text)

    return _ANCHOR_OR_CODE.sub(replace, page_html)


def _normalise(path: PurePosixPath) -> PurePosixPath:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return PurePosixPath(*parts)


def first_heading(notebook: nbformat.NotebookNode, fallback: str) -> str:
    """The text of the notebook's first markdown heading, else ``fallback``."""
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            match = _HEADING.match(line)
            if match:
                return match.group(2)
    return fallback


def leading_heading_level(source: str) -> int:
    """The level of the heading a markdown cell starts with (0 if it starts otherwise)."""
    lines = source.strip("\n").splitlines()
    match = _HEADING.match(lines[0]) if lines else None
    return len(match.group(1)) if match else 0


def argument_parser(description: str) -> argparse.ArgumentParser:
    """The arguments every builder takes: the course folder, --out and --vendor."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("course", type=Path, help="the course folder")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--vendor", type=Path, required=True, help="node_modules with the npm assets")
    parser.add_argument("--solutions", type=parse_solutions, default=True, metavar="all|0|1,2,...",
                        help="publish every worked solution (all, the default), none (0), or those of these chapters "
                             "(1,2,3); links to the others read 'released after class'")
    return parser


# Editions: the English course at the root of the output, each translation in a folder of its own ---------------


@dataclass(frozen=True)
class Edition:
    """One language of the course: its notebooks in ``<course>/<folder>``, its pages in ``<out>/<folder>``, with the
    same file names in every edition (the English edition's folder is the root, "")."""

    code: str
    html_lang: str
    folder: str
    #: The language switch's link to this edition, in this edition's language.
    name: str
    #: The switch's link when a page has no twin in this edition: to this edition's contents page.
    contents_name: str

    def page(self, path: PurePosixPath) -> PurePosixPath:
        """``path`` (relative to this edition's folder) relative to the output root."""
        return PurePosixPath(self.folder, path) if self.folder else path


ENGLISH = Edition("en", "en", "", "English", "English: contents (this page is not in English)")
CHINESE = Edition("zh", "zh-CN", "zh", "中文", "中文目录（本页尚无中文版）")
TRANSLATIONS = (CHINESE,)
#: What a withheld solution's link becomes in each edition: the note after its text, and its tooltip.
WITHHELD = {"en": (f" ({SOLUTIONS_LATER})", f"The worked solutions are {SOLUTIONS_LATER}"),
            "zh": ("（课后发布）", "习题解答课后发布")}
#: The translations' folders in the course folder, left out of the English edition's copied files.
TRANSLATION_FOLDERS = frozenset(edition.folder for edition in TRANSLATIONS)


def editions(course_dir: Path) -> list[Edition]:
    """The English edition, then every translation whose folder holds a chapter (``<course>/zh/NN_*.ipynb``)."""
    return [ENGLISH] + [edition for edition in TRANSLATIONS
                        if any((course_dir / edition.folder).glob("[0-9][0-9]_*.ipynb"))]


def relative_link(source: PurePosixPath, target: PurePosixPath) -> str:
    """The link from page ``source`` to file ``target`` (both relative to the output root)."""
    return relative_prefix(source) + str(target)


def language_switch(page: PurePosixPath,
                    others: list[tuple[Edition, PurePosixPath | None, PurePosixPath]]) -> str:
    """The links from ``page`` to the same page in the other editions (all paths relative to the output root).

    ``others``: for each other edition, the twin page (None when that edition has none) and the edition's contents
    page, which the link leads to instead when there is no twin (saying so, and with the class "no-twin").
    """
    links = []
    for edition, twin, contents in others:
        target, label, kind = ((twin, edition.name, "language-switch") if twin is not None
                               else (contents, edition.contents_name, "language-switch no-twin"))
        links.append(f'<a class="{kind}" href="{html.escape(relative_link(page, target))}" '
                     f'hreflang="{edition.html_lang}" lang="{edition.html_lang}">{html.escape(label)}</a>')
    return " ".join(links)


def untranslated_html(untranslated: list[tuple[str, str]], heading: str, note: str) -> str:
    """The contents page's list of the English pages an edition lacks: (link, title) each."""
    if not untranslated:
        return ""
    items = "\n".join(f'<li><a href="{html.escape(link)}" hreflang="en" lang="en">{html.escape(title)}</a></li>'
                      for link, title in untranslated)
    return f'<h2>{heading}</h2>\n<p>{note}</p>\n<ul class="untranslated">\n{items}\n</ul>\n'


def set_html_lang(page_html: str, lang: str) -> str:
    """The page with ``<html lang="<lang>">`` (nbconvert takes ISO 639-1 codes only, so "zh", not "zh-CN")."""
    return re.sub(r'<html lang="[^"]*"', f'<html lang="{lang}"', page_html, count=1)


def link_other_edition(page_html: str, page: PurePosixPath, edition: Edition, other: Edition,
                       other_built: set[PurePosixPath], suffix: str) -> str:
    """Point the links to notebooks that ``edition`` lacks (still ``x.ipynb#a``) at the ``other`` edition's pages.

    Run after ``rewrite_notebook_links``: a Chinese chapter that links to a chapter not translated yet leads to
    the English page (``../02_x.html``). ``page`` is relative to ``edition``'s folder, ``other_built`` holds the
    other edition's notebooks (relative to its folder). The fragment is dropped: the two languages' headings have
    different anchors. Links to notebooks neither edition built are left for the link check.
    """

    def replace(match: re.Match) -> str:
        resolved = _normalise(page.parent / html.unescape(match.group(1)))
        if resolved not in other_built:
            return match.group(0)
        target = other.page(resolved.with_suffix(""))
        return f'href="{html.escape(relative_link(edition.page(page), target))}{suffix}"'

    return _HREF.sub(replace, page_html)


# The CJK web font: Noto Sans SC from the npm package @fontsource-variable/noto-sans-sc, bundled with the pages ------

CJK_FONT_PACKAGE = "@fontsource-variable/noto-sans-sc"
CJK_FONT_FAMILY = "Noto Sans SC Variable"
#: The stylesheet every page links, under ``_static``; the woff2 files are in ``_static/fonts/noto-sans-sc/``.
CJK_FONT_CSS = "fonts/noto-sans-sc.css"
#: The blocks the font serves (CJK radicals and punctuation, kana, ideographs, compatibility and full-width forms):
#: Latin text and emoji keep the page's own fonts, every Chinese character comes from the bundled font.
CJK_BLOCKS = ((0x2E80, 0x9FFF), (0xF900, 0xFAFF), (0xFE10, 0xFE1F), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF),
              (0x20000, 0x3FFFF))
_FONT_FACE = re.compile(r"@font-face\s*\{(.*?)\}", re.DOTALL)
_UNICODE_RANGE = re.compile(r"unicode-range:\s*([^;]*);")
_FONT_URL = re.compile(r"url\(\s*['\"]?\./files/([^)'\"]+)['\"]?\s*\)")
_SANS = 'system-ui, -apple-system, blinkmacsystemfont, "Segoe UI", helvetica, arial, sans-serif'
_FONT_STACKS = f"""
/* The bundled CJK font first in every font stack of the pages (JupyterLab's, reveal.js's): its unicode-range
   leaves Latin text to the fonts after it. html:root outranks the :root of the stylesheets loaded later. */
html:root {{
  --lossjit-sans: "{CJK_FONT_FAMILY}", {_SANS};
  --jp-ui-font-family: var(--lossjit-sans);
  --jp-content-font-family: var(--lossjit-sans);
  --jp-code-font-family-default: "{CJK_FONT_FAMILY}", menlo, consolas, "DejaVu Sans Mono", monospace;
  --r-main-font: "{CJK_FONT_FAMILY}", "Source Sans Pro", helvetica, sans-serif;
  --r-heading-font: "{CJK_FONT_FAMILY}", "Source Sans Pro", helvetica, sans-serif;
  --r-code-font: "{CJK_FONT_FAMILY}", monospace;
}}
"""


def _cjk_ranges(unicode_range: str) -> list[str]:
    """The parts of a CSS unicode-range (``U+4e00-4e2f,U+20``) inside ``CJK_BLOCKS``."""
    kept = []
    for part in unicode_range.split(","):
        first, _, last = part.strip().upper().removeprefix("U+").partition("-")
        start, stop = int(first, 16), int(last or first, 16)
        for block_start, block_stop in CJK_BLOCKS:
            low, high = max(start, block_start), min(stop, block_stop)
            if low <= high:
                kept.append(f"U+{low:x}" + (f"-{high:x}" if high > low else ""))
    return kept


def copy_cjk_font(vendor: Path, out_dir: Path) -> int:
    """Write ``<out>/_static/fonts/noto-sans-sc.css`` and copy the woff2 files it names (and the font's licence);
    return the bytes of the font files.

    The npm package splits the variable font (weights 100 to 900) into about a hundred woff2 files, each for a
    unicode-range; a browser fetches only the files of the characters a page shows. The stylesheet keeps the
    package's @font-face rules with their ranges cut to ``CJK_BLOCKS`` (the files serving Latin, Cyrillic,
    Vietnamese or emoji alone are left out), and sets the pages' font stacks (``_FONT_STACKS``).
    """
    package = vendor / CJK_FONT_PACKAGE
    if not (package / "index.css").is_file():
        raise SystemExit(f"missing browser assets in {vendor}: {CJK_FONT_PACKAGE} (run the make target)")
    target = out_dir / STATIC_DIR / CJK_FONT_CSS
    files_dir = target.with_suffix("")
    files_dir.mkdir(parents=True, exist_ok=True)
    faces, size = [], 0
    for face in _FONT_FACE.findall((package / "index.css").read_text(encoding="utf-8")):
        ranges = _UNICODE_RANGE.search(face)
        if ranges is None or _FONT_URL.search(face) is None or f"'{CJK_FONT_FAMILY}'" not in face.replace('"', "'"):
            continue
        kept = _cjk_ranges(ranges.group(1))
        if not kept:
            continue
        for name in _FONT_URL.findall(face):
            shutil.copy2(package / "files" / name, files_dir / name)
            size += (files_dir / name).stat().st_size
        face = _FONT_URL.sub(lambda match: f"url({files_dir.name}/{match.group(1)})", face)
        face = _UNICODE_RANGE.sub(f"unicode-range: {','.join(kept)};", face)
        faces.append(f"@font-face {{{face}}}")
    if not faces:
        raise SystemExit(f"no @font-face for {CJK_FONT_FAMILY!r} in {package / 'index.css'}")
    if (package / "LICENSE").is_file():
        shutil.copy2(package / "LICENSE", files_dir / "LICENSE")
    header = (f"/* {CJK_FONT_FAMILY} (SIL Open Font License 1.1, see {files_dir.name}/LICENSE), from the npm package "
              f"{CJK_FONT_PACKAGE}: its CJK unicode-ranges only. */\n")
    target.write_text(header + "\n".join(faces) + "\n" + _FONT_STACKS, encoding="utf-8")
    return size


def font_stylesheet(page: PurePosixPath) -> str:
    """The ``<link>`` of the CJK font's stylesheet for ``page`` (relative to the output root)."""
    return f'<link rel="stylesheet" href="{relative_prefix(page)}{STATIC_DIR}/{CJK_FONT_CSS}">'
