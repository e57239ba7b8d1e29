"""Build a static HTML site of the executed course: a contents page, every chapter and
solution as a page, and the glossary of ``00_index`` as a page of its own.

The notebooks are stored executed and are not run again. require.js and MathJax are
copied from the npm packages into ``<out>/_static``, so the site works offline.
Speaker-notes cells (slide type "notes") are for the slides' speaker view and are left
out of the pages. ``--solutions 0`` leaves out the solutions' pages and turns every
link to them into plain text saying they are released after class (``make site
SOLUTIONS=0``); ``--solutions 1,2`` publishes only those chapters' solutions.

    python tools/build_site.py --vendor _build/vendor/node_modules --out _build/site course
"""

from __future__ import annotations

import functools
import html
import re
import sys
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

import nbformat
from nbconvert import HTMLExporter
from traitlets.config import Config

import coursebuild

GLOSSARY_PAGE = PurePosixPath("glossary.html")
GLOSSARY_HEADING = re.compile(r"^#+\s+(glossary\b|.*术语表)", re.IGNORECASE)


class Headings(HTMLParser):
    """Collects ``(level, id, text)`` of the h1/h2 headings of an nbconvert page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[int, str, str]] = []
        self._open: tuple[int, str] | None = None
        self._text: list[str] = []
        self._in_anchor = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("h1", "h2") and attributes.get("id"):
            self._open, self._text = (int(tag[1]), attributes["id"]), []
        elif tag == "a" and "anchor-link" in (attributes.get("class") or ""):
            self._in_anchor = True

    def handle_endtag(self, tag):
        if tag == "a":
            self._in_anchor = False
        elif self._open and tag == f"h{self._open[0]}":
            self.headings.append((*self._open, "".join(self._text).strip()))
            self._open = None

    def handle_data(self, data):
        if self._open and not self._in_anchor:
            self._text.append(data)


@functools.lru_cache
def page_exporter(prefix: str) -> HTMLExporter:
    """An HTML exporter whose pages load their scripts from ``<prefix>_static``."""
    static = f"{prefix}{coursebuild.STATIC_DIR}"
    config = Config()
    config.HTMLExporter.extra_template_basedirs = [str(coursebuild.TEMPLATES_DIR)]
    config.HTMLExporter.template_name = "lossjit_page"
    config.HTMLExporter.require_js_url = f"{static}/require.js"
    config.HTMLExporter.mathjax_url = f"{static}/mathjax/MathJax.js{coursebuild.MATHJAX_QUERY}"
    return HTMLExporter(config=config)


def page_name(notebook: PurePosixPath) -> PurePosixPath:
    return notebook.with_suffix(".html")


def relative_link(source: PurePosixPath, target: PurePosixPath) -> str:
    """The link from page ``source`` to page ``target`` (both relative to the site root)."""
    return coursebuild.relative_prefix(source) + str(target)


def navigation(page: PurePosixPath, previous: PurePosixPath | None, following: PurePosixPath | None,
               extra: list[tuple[str, PurePosixPath]]) -> str:
    links = [("Contents", PurePosixPath("index.html"))]
    links += [("\u2190 Previous", previous)] if previous else []
    links += [("Next \u2192", following)] if following else []
    links += extra
    anchors = " ".join(
        f'<a href="{html.escape(relative_link(page, target))}">{html.escape(label)}</a>' for label, target in links
    )
    return f'<nav class="site-nav">{anchors}</nav>'


def glossary_notebook(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    """The cells from the glossary heading up to the next heading of the same or a higher level."""
    start = None
    for index, cell in enumerate(notebook.cells):
        level = coursebuild.leading_heading_level(cell.source) if cell.cell_type == "markdown" else 0
        if start is None:
            if level and GLOSSARY_HEADING.match(cell.source.strip().splitlines()[0]):
                start, start_level = index, level
        elif level and level <= start_level:
            return _subset(notebook, start, index)
    return None if start is None else _subset(notebook, start, len(notebook.cells))


def _subset(notebook: nbformat.NotebookNode, start: int, stop: int) -> nbformat.NotebookNode:
    subset = nbformat.from_dict(notebook)
    subset.cells = subset.cells[start:stop]
    return subset


def build(course_dir: Path, out_dir: Path, vendor: Path, solutions: coursebuild.Release = True) -> list[Path]:
    """Write every page and the contents page; return the pages written.

    ``solutions``: True publishes every solution; False or a set of chapter numbers ({"01", "02"}) publishes
    none or those, and the others get no page and no link (see ``coursebuild.withhold_solutions``).
    """
    notebooks = [PurePosixPath(path.as_posix()) for path in coursebuild.course_notebooks(course_dir, solutions)]
    built = set(notebooks)
    chapters = [path for path in notebooks if len(path.parts) == 1]
    solution_pages = {path.name[:2]: path for path in notebooks if len(path.parts) > 1}
    out_dir.mkdir(parents=True, exist_ok=True)
    coursebuild.copy_assets(vendor, out_dir, coursebuild.SITE_ASSETS)
    coursebuild.copy_course_files(course_dir, out_dir, solutions)

    contents: list[tuple[PurePosixPath, str, list[tuple[int, str, str]]]] = []
    written: list[Path] = []
    glossary_source = None
    for notebook_path in notebooks:
        notebook = coursebuild.read_notebook(course_dir / notebook_path)
        page = page_name(notebook_path)
        sequence = chapters if notebook_path in chapters else sorted(solution_pages.values())
        position = sequence.index(notebook_path)
        previous = page_name(sequence[position - 1]) if position > 0 else None
        following = page_name(sequence[position + 1]) if position + 1 < len(sequence) else None
        extra = []
        if notebook_path in chapters and notebook_path.name[:2] in solution_pages:
            extra.append(("Solutions", page_name(solution_pages[notebook_path.name[:2]])))
        if notebook_path not in chapters:
            chapter = next((c for c in chapters if c.name[:2] == notebook_path.name[:2]), None)
            extra += [("Chapter", page_name(chapter))] if chapter else []
        written.append(_write_page(notebook, notebook_path, page, out_dir, built,
                                   navigation(page, previous, following, extra), solutions))
        parser = Headings()
        parser.feed(written[-1].read_text(encoding="utf-8"))
        contents.append((page, coursebuild.first_heading(notebook, notebook_path.stem), parser.headings))
        if notebook_path.name.startswith("00_"):
            glossary_source = (notebook_path, glossary_notebook(notebook))

    glossary_link = None
    if glossary_source and glossary_source[1] is not None:
        source_path, glossary = glossary_source
        # Links inside the glossary are relative to the notebook's folder, which is the site root.
        written.append(_write_page(glossary, source_path, GLOSSARY_PAGE, out_dir, built,
                                   navigation(GLOSSARY_PAGE, None, None, [("Index", page_name(source_path))]),
                                   solutions))
        glossary_link = GLOSSARY_PAGE
    else:
        print("warning: no glossary heading (\"## Glossary ...\") found in 00_index", file=sys.stderr)
    (out_dir / "index.html").write_text(contents_page(contents, glossary_link, solutions), encoding="utf-8")
    written.append(out_dir / "index.html")
    return written


def _write_page(notebook, notebook_path, page, out_dir, built, nav, solutions: coursebuild.Release = True) -> Path:
    exporter = page_exporter(coursebuild.relative_prefix(page))
    title = coursebuild.first_heading(notebook, notebook_path.stem)
    notebook = nbformat.from_dict(notebook)
    notebook.metadata["title"] = title
    notebook.cells = [cell for cell in notebook.cells if not coursebuild.is_notes_cell(cell)]
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": page.stem}, "site_nav": nav})
    body = coursebuild.rewrite_notebook_links(body, notebook_path, built, ".html")
    if solutions is not True:
        released = frozenset(path for path in built if path.parts[0] == coursebuild.SOLUTIONS_DIR)
        body = coursebuild.withhold_solutions(body, page, released)
    target = out_dir / page
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target


def contents_page(contents, glossary: PurePosixPath | None, solutions: coursebuild.Release = True) -> str:
    """The table of contents: every page with its top-level sections (and a note if the solutions are withheld)."""
    chapters = [entry for entry in contents if len(entry[0].parts) == 1]
    solution_entries = [entry for entry in contents if len(entry[0].parts) > 1]

    def entry_html(page: PurePosixPath, title: str, headings: list[tuple[int, str, str]]) -> str:
        sections = "".join(
            f'<li><a href="{html.escape(str(page))}#{html.escape(anchor)}">{html.escape(text)}</a></li>'
            for level, anchor, text in headings
            if level == 2
        )
        sections = f"<ul>{sections}</ul>" if sections else ""
        return f'<li><a href="{html.escape(str(page))}">{html.escape(title)}</a>{sections}</li>'

    glossary_html = (
        f'<p><a href="{html.escape(str(glossary))}">Glossary</a> of the terms used in the course.</p>'
        if glossary
        else ""
    )
    chapter_list = "\n".join(entry_html(*entry) for entry in chapters)
    solution_list = "\n".join(
        f'<li><a href="{html.escape(str(page))}">{html.escape(title)}</a></li>' for page, title, _ in solution_entries
    )
    later = ""
    if solutions is not True:
        others = "The other worked solutions are" if solution_list else "The worked solutions are"
        later = f'<p class="solutions-later">{others} {coursebuild.SOLUTIONS_LATER}.</p>\n'
    solution_list = f"<ul>\n{solution_list}\n</ul>\n" if solution_list else ""
    solutions_html = f"<h2>Solutions to the exercises</h2>\n{solution_list}{later}" if solution_list or later else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Loss functions: an open course</title>
<style>
body {{ font-family: sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }}
li ul {{ font-size: 0.92em; }}
</style>
</head>
<body>
<h1>Loss functions: an open course</h1>
<p>The executed chapters of the course, with their figures and outputs. Run them yourself with
<code>make lab</code>.</p>
{glossary_html}
<h2>Chapters</h2>
<ul>
{chapter_list}
</ul>
{solutions_html}
</body>
</html>
"""


def main() -> None:
    parser = coursebuild.argument_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    pages = build(args.course, args.out, args.vendor, args.solutions)
    published = "" if args.solutions is True else ", ".join(sorted(args.solutions or ())) or "none"
    withheld = f", solutions published: {published}" if published else ""
    print(f"{len(pages)} pages in {args.out}/{withheld} (open {args.out / 'index.html'})")


if __name__ == "__main__":
    main()
