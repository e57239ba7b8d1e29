"""Build a static HTML site of the executed course: a contents page, every chapter and
solution as a page, and the glossary of ``00_index`` as a page of its own.

The notebooks are stored executed and are not run again. require.js, MathJax and the CJK
web font (Noto Sans SC) are copied from the npm packages into ``<out>/_static``, so the
site works offline. The English edition (``course/``) is the site's root; the Chinese
edition (``course/zh/``, the same file names) is built into ``<out>/zh/`` once it has a
chapter. Every page has a language switch to its twin in the other language (or, while
the twin does not exist, to that language's contents page), and a Chinese page's link to
a chapter not translated yet leads to the English page.
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
INDEX_PAGE = PurePosixPath("index.html")

#: The words of the navigation bar and the contents page, in each edition's language.
TEXT = {
    "en": {
        "contents": "Contents", "previous": "\u2190 Previous", "next": "Next \u2192", "solutions": "Solutions",
        "chapter": "Chapter", "index": "Index",
        "title": "Loss functions: an open course",
        "intro": "The executed chapters of the course, with their figures and outputs. Run them yourself with "
                 "<code>make lab</code>.",
        "glossary": '<a href="{href}">Glossary</a> of the terms used in the course.',
        "chapters": "Chapters", "solutions_heading": "Solutions to the exercises",
        "others_later": f"The other worked solutions are {coursebuild.SOLUTIONS_LATER}.",
        "all_later": f"The worked solutions are {coursebuild.SOLUTIONS_LATER}.",
        "untranslated": "", "untranslated_note": "",
    },
    "zh": {
        "contents": "目录", "previous": "\u2190 上一篇", "next": "下一篇 \u2192", "solutions": "习题解答",
        "chapter": "对应章节", "index": "课程首页",
        "title": "损失函数：开放课程",
        "intro": "课程各章都已运行，附有图和输出。想自己动手运行，请用 <code>make lab COURSE=zh</code>。",
        "glossary": '<a href="{href}">术语表</a>：课程用到的术语，中英对照。',
        "chapters": "章节", "solutions_heading": "习题解答",
        "others_later": "其余习题解答课后发布。", "all_later": "习题解答课后发布。",
        "untranslated": "尚无中文版",
        "untranslated_note": "下面这些页面还没有译成中文，链接指向英文版。",
    },
}
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
    config.HTMLExporter.filters = {"clean_html": coursebuild.trusted_html}
    return HTMLExporter(config=config)


def page_name(notebook: PurePosixPath) -> PurePosixPath:
    return notebook.with_suffix(".html")


def relative_link(source: PurePosixPath, target: PurePosixPath) -> str:
    """The link from page ``source`` to page ``target`` (both relative to the site root)."""
    return coursebuild.relative_prefix(source) + str(target)


def navigation(page: PurePosixPath, previous: PurePosixPath | None, following: PurePosixPath | None,
               extra: list[tuple[str, PurePosixPath]], text: dict[str, str] = TEXT["en"], switch: str = "") -> str:
    """The bar on top of a page: contents, previous, next, the ``extra`` links, then the language ``switch``."""
    links = [(text["contents"], INDEX_PAGE)]
    links += [(text["previous"], previous)] if previous else []
    links += [(text["next"], following)] if following else []
    links += extra
    anchors = " ".join(
        f'<a href="{html.escape(relative_link(page, target))}">{html.escape(label)}</a>' for label, target in links
    )
    return f'<nav class="site-nav">{anchors}{" " + switch if switch else ""}</nav>'


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


def glossary_source(course_dir: Path) -> tuple[PurePosixPath, nbformat.NotebookNode] | None:
    """The index notebook (``00_*.ipynb``) of an edition's folder and its glossary's cells, if it has a glossary."""
    for path in sorted(course_dir.glob("00_*.ipynb")):
        glossary = glossary_notebook(coursebuild.read_notebook(path))
        if glossary is not None:
            return PurePosixPath(path.name), glossary
    return None


def build(course_dir: Path, out_dir: Path, vendor: Path, solutions: coursebuild.Release = True) -> list[Path]:
    """Write every page and the contents page of each edition; return the pages written.

    ``solutions``: True publishes every solution; False or a set of chapter numbers ({"01", "02"}) publishes
    none or those, and the others get no page and no link (see ``coursebuild.withhold_solutions``).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    coursebuild.copy_assets(vendor, out_dir, coursebuild.SITE_ASSETS)
    coursebuild.copy_cjk_font(vendor, out_dir)
    editions = coursebuild.editions(course_dir)
    notebooks = {edition: [PurePosixPath(path.as_posix())
                           for path in coursebuild.course_notebooks(course_dir / edition.folder, solutions)]
                 for edition in editions}
    glossaries = {edition: glossary_source(course_dir / edition.folder) for edition in editions}
    # Every edition's pages, relative to its folder: where each page's language switch can lead.
    pages = {edition: {page_name(path) for path in notebooks[edition]} | {INDEX_PAGE}
             | ({GLOSSARY_PAGE} if glossaries[edition] else set()) for edition in editions}
    titles: dict[PurePosixPath, str] = {}   # the pages' titles, by path from the site root
    written: list[Path] = []
    for edition in editions:

        def switch(page: PurePosixPath, edition=edition) -> str:
            return coursebuild.language_switch(edition.page(page), [
                (other, other.page(page) if page in pages[other] else None, other.page(INDEX_PAGE))
                for other in editions if other != edition])

        written += _build_edition(course_dir, out_dir, edition, notebooks, glossaries[edition], switch, titles,
                                  solutions)
    return written


def _build_edition(course_dir, out_dir, edition, notebooks, glossary, switch, titles,
                   solutions: coursebuild.Release) -> list[Path]:
    """The pages of one edition, in ``out_dir/<edition folder>``; ``titles`` gains their titles. ``glossary``: what
    ``glossary_source`` found in the edition's folder; ``switch``: a page's language switch."""
    text = TEXT[edition.code]
    source_dir, edition_dir = course_dir / edition.folder, out_dir / edition.folder
    coursebuild.copy_course_files(source_dir, edition_dir, solutions, excluded=coursebuild.TRANSLATION_FOLDERS)
    built = set(notebooks[edition])
    # A link to a notebook this edition lacks leads to the English edition's page.
    fallback = None if edition == coursebuild.ENGLISH else (coursebuild.ENGLISH, set(notebooks[coursebuild.ENGLISH]))
    chapters = [path for path in notebooks[edition] if len(path.parts) == 1]
    solution_pages = {path.name[:2]: path for path in notebooks[edition] if len(path.parts) > 1}

    contents: list[tuple[PurePosixPath, str, list[tuple[int, str, str]]]] = []
    written: list[Path] = []
    for notebook_path in notebooks[edition]:
        notebook = coursebuild.read_notebook(source_dir / notebook_path)
        page = page_name(notebook_path)
        sequence = chapters if notebook_path in chapters else sorted(solution_pages.values())
        position = sequence.index(notebook_path)
        previous = page_name(sequence[position - 1]) if position > 0 else None
        following = page_name(sequence[position + 1]) if position + 1 < len(sequence) else None
        extra = []
        if notebook_path in chapters and notebook_path.name[:2] in solution_pages:
            extra.append((text["solutions"], page_name(solution_pages[notebook_path.name[:2]])))
        if notebook_path not in chapters:
            chapter = next((c for c in chapters if c.name[:2] == notebook_path.name[:2]), None)
            extra += [(text["chapter"], page_name(chapter))] if chapter else []
        written.append(_write_page(notebook, notebook_path, page, edition_dir, built,
                                   navigation(page, previous, following, extra, text, switch(page)), solutions,
                                   edition, fallback))
        parser = Headings()
        parser.feed(written[-1].read_text(encoding="utf-8"))
        title = coursebuild.first_heading(notebook, notebook_path.stem)
        contents.append((page, title, parser.headings))
        titles[edition.page(page)] = title

    glossary_link = None
    if glossary is not None:
        source_path, glossary_cells = glossary
        # Links inside the glossary are relative to the notebook's folder, which is the edition's root.
        written.append(_write_page(glossary_cells, source_path, GLOSSARY_PAGE, edition_dir, built,
                                   navigation(GLOSSARY_PAGE, None, None, [(text["index"], page_name(source_path))],
                                              text, switch(GLOSSARY_PAGE)),
                                   solutions, edition, fallback))
        glossary_link = GLOSSARY_PAGE
    elif edition == coursebuild.ENGLISH:
        print("warning: no glossary heading (\"## Glossary ...\") found in 00_index", file=sys.stderr)
    untranslated = []
    if fallback is not None:   # the English pages this edition has no twin of, linked from its contents page
        translated = {page for page, _, _ in contents}
        untranslated = [(coursebuild.relative_link(edition.page(INDEX_PAGE), page), titles.get(page, str(page)))
                        for page in map(page_name, notebooks[coursebuild.ENGLISH]) if page not in translated]
    (edition_dir / INDEX_PAGE).write_text(
        contents_page(contents, glossary_link, solutions, edition=edition, switch=switch(INDEX_PAGE),
                      untranslated=untranslated),
        encoding="utf-8")
    written.append(edition_dir / INDEX_PAGE)
    return written


def _write_page(notebook, notebook_path, page, out_dir, built, nav, solutions: coursebuild.Release = True,
                edition: coursebuild.Edition = coursebuild.ENGLISH, fallback=None) -> Path:
    """Write the page of ``notebook`` as ``out_dir/page`` (``out_dir``: the edition's folder). ``fallback``: the
    other edition and its notebooks, where links to notebooks this edition lacks lead (or None)."""
    root_page = edition.page(page)
    exporter = page_exporter(coursebuild.relative_prefix(root_page))
    title = coursebuild.first_heading(notebook, notebook_path.stem)
    notebook = nbformat.from_dict(notebook)
    notebook.metadata["title"] = title
    notebook.cells = [cell for cell in notebook.cells if not coursebuild.is_notes_cell(cell)]
    body, _ = exporter.from_notebook_node(notebook, resources={
        "metadata": {"name": page.stem}, "site_nav": nav, "font_stylesheet": coursebuild.font_stylesheet(root_page)})
    body = coursebuild.set_html_lang(body, edition.html_lang)
    body = coursebuild.rewrite_notebook_links(body, notebook_path, built, ".html")
    if solutions is not True:
        released = frozenset(path for path in built if path.parts[0] == coursebuild.SOLUTIONS_DIR)
        body = coursebuild.withhold_solutions(body, page, released, *coursebuild.WITHHELD[edition.code])
    if fallback is not None:
        body = coursebuild.link_other_edition(body, notebook_path, edition, *fallback, ".html")
    target = out_dir / page
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target


def contents_page(contents, glossary: PurePosixPath | None, solutions: coursebuild.Release = True,
                  edition: coursebuild.Edition = coursebuild.ENGLISH, switch: str = "",
                  untranslated: list[tuple[str, str]] = ()) -> str:
    """The table of contents: every page with its top-level sections (and a note if the solutions are withheld).

    ``switch``: the language switch; ``untranslated``: (link, title) of the English pages this edition lacks.
    """
    text = TEXT[edition.code]
    chapters = [entry for entry in contents if len(entry[0].parts) == 1]
    solution_entries = [entry for entry in contents if len(entry[0].parts) > 1]

    def entry_html(page: PurePosixPath, title: str, headings: list[tuple[int, str, str]]) -> str:
        sections = "".join(
            f'<li><a href="{html.escape(str(page))}#{html.escape(anchor)}">{html.escape(heading)}</a></li>'
            for level, anchor, heading in headings
            if level == 2
        )
        sections = f"<ul>{sections}</ul>" if sections else ""
        return f'<li><a href="{html.escape(str(page))}">{html.escape(title)}</a>{sections}</li>'

    glossary_html = f"<p>{text['glossary'].format(href=html.escape(str(glossary)))}</p>" if glossary else ""
    chapter_list = "\n".join(entry_html(*entry) for entry in chapters)
    solution_list = "\n".join(
        f'<li><a href="{html.escape(str(page))}">{html.escape(title)}</a></li>' for page, title, _ in solution_entries
    )
    later = ""
    if solutions is not True:
        later = f'<p class="solutions-later">{text["others_later"] if solution_list else text["all_later"]}</p>\n'
    solution_list = f"<ul>\n{solution_list}\n</ul>\n" if solution_list else ""
    solutions_html = (f"<h2>{text['solutions_heading']}</h2>\n{solution_list}{later}"
                      if solution_list or later else "")
    untranslated_html = coursebuild.untranslated_html(untranslated, text["untranslated"], text["untranslated_note"])
    switch_html = f'<nav class="site-nav">{switch}</nav>\n' if switch else ""
    return f"""<!DOCTYPE html>
<html lang="{edition.html_lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{text["title"]}</title>
{coursebuild.font_stylesheet(edition.page(INDEX_PAGE))}
<style>
body {{ font-family: var(--lossjit-sans, sans-serif); max-width: 52em; margin: 2em auto; padding: 0 1em;
       line-height: 1.5; }}
li ul {{ font-size: 0.92em; }}
nav.site-nav {{ text-align: right; }}
</style>
</head>
<body>
{switch_html}<h1>{text["title"]}</h1>
<p>{text["intro"]}</p>
{glossary_html}
<h2>{text["chapters"]}</h2>
<ul>
{chapter_list}
</ul>
{solutions_html}{untranslated_html}</body>
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
