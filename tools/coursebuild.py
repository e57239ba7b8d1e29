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

_SKIPPED_DIRS = {"tools", "__pycache__", ".ipynb_checkpoints"}
_HREF = re.compile(r'href="([^"#:?]+\.ipynb)(#[^"]*)?"')
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")


def course_notebooks(course_dir: Path) -> list[Path]:
    """The chapters (``NN_*.ipynb``) then the solutions, relative to ``course_dir``, sorted."""
    chapters = sorted(course_dir.glob("[0-9][0-9]_*.ipynb"))
    solutions = sorted((course_dir / "solutions").glob("[0-9][0-9]_*.ipynb"))
    return [path.relative_to(course_dir) for path in chapters + solutions]


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


def copy_course_files(course_dir: Path, out_dir: Path) -> None:
    """Copy the files notebooks may link to (figures, data, text), skipping notebooks and tools."""
    for path in sorted(course_dir.rglob("*")):
        relative = path.relative_to(course_dir)
        if path.is_dir() or path.suffix == ".ipynb":
            continue
        if any(part in _SKIPPED_DIRS or part.startswith(".") for part in relative.parts):
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
    return parser
