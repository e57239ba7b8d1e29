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


def copy_course_files(course_dir: Path, out_dir: Path, solutions: Release = True) -> None:
    """Copy the files notebooks may link to (figures, data, text), skipping notebooks, tools and the
    lecturer's files; and the solutions folder too when no solution is released."""
    skipped = _SKIPPED_DIRS if solutions else _SKIPPED_DIRS | {SOLUTIONS_DIR}
    for path in sorted(course_dir.rglob("*")):
        relative = path.relative_to(course_dir)
        if path.is_dir() or path.suffix == ".ipynb":
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


def withhold_solutions(page_html: str, page: PurePosixPath, released: frozenset = frozenset()) -> str:
    """``page_html`` without a link into the solutions folder, except to the ``released`` solutions.

    Each withheld link becomes its text followed by "(released after class)", and so does inline code
    naming the folder (``solutions/01_x.ipynb``) unless it names a released solution. ``page`` is the
    page's path relative to the output root (the course folder's layout); links are resolved from its
    folder, whatever their suffix (``.ipynb``, ``.html``, ``.slides.html``). External links are left alone.
    ``released`` holds the released solutions' notebook paths (``solutions/01_x.ipynb``).
    """
    released_stems = {path.parent / path.name.split(".")[0] for path in released}

    def is_released(path: PurePosixPath) -> bool:
        return path.parent / path.name.split(".")[0] in released_stems

    def withheld(inner: str) -> str:
        return (f'<span class="solutions-later" title="The worked solutions are {SOLUTIONS_LATER}">'
                f"{inner} ({SOLUTIONS_LATER})</span>")

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
