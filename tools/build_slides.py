"""Build one reveal.js slide deck per course notebook, from the stored (executed) notebooks.

Slide boundaries: a cell's own ``slideshow.slide_type`` metadata wins; otherwise a
markdown cell starting with a ``#``/``##`` heading opens a new slide and one starting
with a deeper heading a vertical sub-slide; every other cell continues the current
slide. The source notebooks are not modified. reveal.js, require.js, jQuery, MathJax
and the CJK web font (Noto Sans SC) are copied from the npm packages into
``<out>/_static`` so the decks work offline.

Languages: the English decks are in ``<out>``, the Chinese edition's (``course/zh/``,
once it has a chapter) in ``<out>/zh``. A switch in the top right corner of every deck
leads to its twin in the other language, at the same slide (while the twin does not
exist, to that language's index page); a Chinese deck's link to a chapter not
translated yet leads to the English deck.

Speaker notes: a cell of slide type "notes" becomes an ``<aside class="notes">`` of the
slide it follows, which reveal.js's notes plugin (copied with reveal.js) shows in the
speaker view (key ``s``), also from ``file://``. MathJax leaves the notes alone, so a
formula in a note reads as its TeX source there. ``--solutions 0`` leaves out the
solutions' decks and turns every link to them into plain text (``make slides
SOLUTIONS=0``); ``--solutions 1,2`` keeps only those chapters' solutions.

    python tools/build_slides.py --vendor _build/vendor/node_modules --out _build/slides course
"""

from __future__ import annotations

import functools
import html
from pathlib import Path, PurePosixPath

import nbformat
from nbconvert import SlidesExporter
from traitlets.config import Config

import coursebuild

# nbconvert's reveal template wraps a notes cell in NOTES_ASIDE; the extra class keeps MathJax out of it, because the
# speaker view shows the aside's HTML without MathJax's styles (a typeset formula would be invisible there).
NOTES_ASIDE = '<aside class="notes">'
NOTES_ASIDE_NO_MATH = '<aside class="notes tex2jax_ignore">'


def mark_slides(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``notebook`` in which every cell has a ``slideshow.slide_type``.

    Markdown cells without their own slide type are first split before each heading of
    level 1 to 3, so a cell holding a title and its "Objectives" gives two slides.
    """
    marked = nbformat.from_dict(notebook)
    cells = []
    for cell in marked.cells:
        if cell.cell_type == "markdown" and "slide_type" not in cell.metadata.get("slideshow", {}):
            cells += split_at_headings(cell)
        else:
            cells.append(cell)
    for index, cell in enumerate(cells):
        slideshow = cell.metadata.setdefault("slideshow", {})
        if "slide_type" in slideshow:
            continue
        level = coursebuild.leading_heading_level(cell.source) if cell.cell_type == "markdown" else 0
        if index == 0 or level in (1, 2):
            slideshow["slide_type"] = "slide"
        elif level == 3:
            slideshow["slide_type"] = "subslide"
        else:
            slideshow["slide_type"] = "-"
    marked.cells = cells
    return marked


def split_at_headings(cell: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """``cell`` cut before every heading of level 1 to 3 that is not inside a fenced code block."""
    chunks: list[list[str]] = [[]]
    fence = None
    for line in cell.source.splitlines(keepends=True):
        stripped = line.lstrip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif fence is not None and stripped.startswith(fence):
            fence = None
        elif fence is None and 1 <= coursebuild.leading_heading_level(line) <= 3 and "".join(chunks[-1]).strip():
            chunks.append([])
        chunks[-1].append(line)
    pieces = []
    for number, chunk in enumerate(chunks):
        piece = nbformat.from_dict(cell)
        piece.source = "".join(chunk).strip("\n")
        if number and "id" in piece:
            piece.id = f"{cell.id[:58]}-{number}"
        pieces.append(piece)
    return pieces


@functools.lru_cache
def slides_exporter(prefix: str) -> SlidesExporter:
    """A slides exporter that loads every asset from ``<prefix>_static``."""
    static = f"{prefix}{coursebuild.STATIC_DIR}"
    config = Config()
    config.SlidesExporter.extra_template_basedirs = [str(coursebuild.TEMPLATES_DIR)]
    config.SlidesExporter.template_name = "lossjit_slides"
    config.SlidesExporter.reveal_url_prefix = f"{static}/reveal.js"
    config.SlidesExporter.reveal_scroll = True
    config.SlidesExporter.reveal_theme = "white"  # its fonts ship with reveal.js; "simple" imports Google Fonts
    config.SlidesExporter.require_js_url = f"{static}/require.js"
    config.SlidesExporter.jquery_url = f"{static}/jquery.min.js"
    config.SlidesExporter.mathjax_url = f"{static}/mathjax/MathJax.js{coursebuild.MATHJAX_QUERY}"
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    config.SlidesExporter.filters = {"clean_html": coursebuild.trusted_html}
    return SlidesExporter(config=config)


def deck_name(page: PurePosixPath) -> PurePosixPath:
    return page.with_suffix(".slides.html")


INDEX_PAGE = PurePosixPath("index.html")

#: The words of the decks' index page, in each edition's language.
TEXT = {
    "en": {"title": "Loss functions course: slides",
           "keys": "Arrow keys move, <kbd>Esc</kbd> shows the overview, <kbd>s</kbd> the speaker view, "
                   "<kbd>f</kbd> full screen.",
           "untranslated": "", "untranslated_note": ""},
    "zh": {"title": "损失函数课程：幻灯片",
           "keys": "方向键翻页，<kbd>Esc</kbd> 显示总览，<kbd>s</kbd> 打开演讲者视图，<kbd>f</kbd> 全屏。",
           "untranslated": "尚无中文版",
           "untranslated_note": "下面这些幻灯片还没有译成中文，链接指向英文版。"},
}


def build(course_dir: Path, out_dir: Path, vendor: Path, only: list[Path],
          solutions: coursebuild.Release = True) -> list[Path]:
    """Write the decks (all notebooks, or ``only`` those) and an index page of each edition; return the decks.

    The English edition's decks are in ``out_dir``, the Chinese edition's (``course/zh``) in ``out_dir/zh``, each
    deck with a language switch to its twin (or to the other edition's index page while it has none).
    ``solutions`` as for the site: True (all), False (none) or a set of chapter numbers; the solutions left out
    get no deck and no link (see ``coursebuild.withhold_solutions``).
    """
    chosen = {path.resolve() for path in only}
    plan = {}   # edition -> (the notebooks to build, every notebook of the edition), relative to its folder
    for edition in coursebuild.editions(course_dir):
        source_dir = course_dir / edition.folder
        every = [PurePosixPath(page.as_posix()) for page in coursebuild.course_notebooks(source_dir, solutions)]
        pages = [page for page in every if not only or (source_dir / page).resolve() in chosen]
        if pages or edition == coursebuild.ENGLISH:
            plan[edition] = (pages, set(every))
    decks_of = {edition: {deck_name(page) for page in pages} | {INDEX_PAGE} for edition, (pages, _) in plan.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    coursebuild.copy_assets(vendor, out_dir, coursebuild.SLIDE_ASSETS)
    coursebuild.copy_cjk_font(vendor, out_dir)
    titles: dict[PurePosixPath, str] = {}   # the decks' titles, by path from out_dir
    decks = []
    for edition, (pages, built) in plan.items():

        def switch(deck: PurePosixPath, edition=edition) -> str:
            return coursebuild.language_switch(edition.page(deck), [
                (other, other.page(deck) if deck in decks_of[other] else None, other.page(INDEX_PAGE))
                for other in plan if other != edition])

        source_dir, edition_dir = course_dir / edition.folder, out_dir / edition.folder
        coursebuild.copy_course_files(source_dir, edition_dir, solutions, excluded=coursebuild.TRANSLATION_FOLDERS)
        released = frozenset(page for page in built if page.parts[0] == coursebuild.SOLUTIONS_DIR)
        english = coursebuild.ENGLISH
        entries = []
        for page in pages:
            notebook = coursebuild.read_notebook(source_dir / page)
            deck = deck_name(page)
            body, _ = slides_exporter(coursebuild.relative_prefix(edition.page(deck))).from_notebook_node(
                mark_slides(notebook), resources={"metadata": {"name": page.stem}, "language_switch": switch(deck),
                                                  "font_stylesheet": coursebuild.font_stylesheet(edition.page(deck))}
            )
            body = coursebuild.set_html_lang(body, edition.html_lang)
            body = coursebuild.rewrite_notebook_links(body, page, built, ".slides.html")
            body = body.replace(NOTES_ASIDE, NOTES_ASIDE_NO_MATH)
            if solutions is not True:
                body = coursebuild.withhold_solutions(body, page, released, *coursebuild.WITHHELD[edition.code])
            if edition != english:   # links to chapters not translated yet lead to the English decks
                body = coursebuild.link_other_edition(body, page, edition, english, plan[english][1], ".slides.html")
            target = edition_dir / deck
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
            decks.append(target)
            entries.append((deck, coursebuild.first_heading(notebook, page.stem)))
            titles[edition.page(deck)] = entries[-1][1]
        untranslated = []
        if edition != english:
            untranslated = [(coursebuild.relative_link(edition.page(INDEX_PAGE), deck), titles.get(deck, str(deck)))
                            for deck in sorted(decks_of[english] - decks_of[edition])]
        (edition_dir / INDEX_PAGE).write_text(index_page(entries, edition, switch(INDEX_PAGE), untranslated),
                                              encoding="utf-8")
    return decks


def index_page(entries: list[tuple[PurePosixPath, str]], edition: coursebuild.Edition = coursebuild.ENGLISH,
               switch: str = "", untranslated: list[tuple[str, str]] = ()) -> str:
    """The list of an edition's decks; ``untranslated``: (link, title) of the English decks it lacks."""
    text = TEXT[edition.code]
    items = "\n".join(
        f'<li><a href="{html.escape(str(deck))}">{html.escape(title)}</a></li>' for deck, title in entries
    )
    others = coursebuild.untranslated_html(untranslated, text["untranslated"], text["untranslated_note"])
    switch_html = f'<nav style="text-align: right;">{switch}</nav>\n' if switch else ""
    return f"""<!DOCTYPE html>
<html lang="{edition.html_lang}">
<head><meta charset="utf-8"><title>{text["title"]}</title>
{coursebuild.font_stylesheet(edition.page(INDEX_PAGE))}</head>
<body style="font-family: var(--lossjit-sans, sans-serif); max-width: 50em; margin: 2em auto;">
{switch_html}<h1>{text["title"]}</h1>
<p>{text["keys"]}</p>
<ul>
{items}
</ul>
{others}</body>
</html>
"""


def main() -> None:
    parser = coursebuild.argument_parser(__doc__.splitlines()[0])
    parser.add_argument("--only", type=Path, nargs="*", default=[], help="build only these notebooks")
    args = parser.parse_args()
    decks = build(args.course, args.out, args.vendor, args.only, args.solutions)
    print(f"{len(decks)} slide decks in {args.out}/ (open {args.out / 'index.html'})")


if __name__ == "__main__":
    main()
