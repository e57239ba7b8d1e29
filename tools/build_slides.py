"""Build one reveal.js slide deck per course notebook, from the stored (executed) notebooks.

Slide boundaries: a cell's own ``slideshow.slide_type`` metadata wins; otherwise a
markdown cell starting with a ``#``/``##`` heading opens a new slide and one starting
with a deeper heading a vertical sub-slide; every other cell continues the current
slide. The source notebooks are not modified. reveal.js, require.js, jQuery and
MathJax are copied from the npm packages into ``<out>/_static`` so the decks work
offline.

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
    return SlidesExporter(config=config)


def deck_name(page: PurePosixPath) -> PurePosixPath:
    return page.with_suffix(".slides.html")


def build(course_dir: Path, out_dir: Path, vendor: Path, only: list[Path],
          solutions: coursebuild.Release = True) -> list[Path]:
    """Write the decks (all notebooks, or ``only`` those) and an index page; return the decks.

    ``solutions`` as for the site: True (all), False (none) or a set of chapter numbers; the solutions left out
    get no deck and no link (see ``coursebuild.withhold_solutions``).
    """
    pages = coursebuild.course_notebooks(course_dir, solutions)
    built = {PurePosixPath(page.as_posix()) for page in pages}
    released = frozenset(page for page in built if page.parts[0] == coursebuild.SOLUTIONS_DIR)
    if only:
        chosen = {path.resolve() for path in only}
        pages = [page for page in pages if (course_dir / page).resolve() in chosen]
    out_dir.mkdir(parents=True, exist_ok=True)
    coursebuild.copy_assets(vendor, out_dir, coursebuild.SLIDE_ASSETS)
    coursebuild.copy_course_files(course_dir, out_dir, solutions)
    decks = []
    entries = []
    for page in pages:
        page = PurePosixPath(page.as_posix())
        notebook = coursebuild.read_notebook(course_dir / page)
        body, _ = slides_exporter(coursebuild.relative_prefix(page)).from_notebook_node(
            mark_slides(notebook), resources={"metadata": {"name": page.stem}}
        )
        body = coursebuild.rewrite_notebook_links(body, page, built, ".slides.html")
        body = body.replace(NOTES_ASIDE, NOTES_ASIDE_NO_MATH)
        if solutions is not True:
            body = coursebuild.withhold_solutions(body, page, released)
        target = out_dir / deck_name(page)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
        decks.append(target)
        entries.append((deck_name(page), coursebuild.first_heading(notebook, page.stem)))
    (out_dir / "index.html").write_text(index_page(entries), encoding="utf-8")
    return decks


def index_page(entries: list[tuple[PurePosixPath, str]]) -> str:
    items = "\n".join(
        f'<li><a href="{html.escape(str(deck))}">{html.escape(title)}</a></li>' for deck, title in entries
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Loss functions course: slides</title></head>
<body style="font-family: sans-serif; max-width: 50em; margin: 2em auto;">
<h1>Loss functions course: slides</h1>
<p>Arrow keys move, <kbd>Esc</kbd> shows the overview, <kbd>s</kbd> the speaker view, <kbd>f</kbd> full screen.</p>
<ul>
{items}
</ul>
</body>
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
