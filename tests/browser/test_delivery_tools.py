"""The slide and site tooling without a browser: slide boundaries, link rewriting, the link check."""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath

import nbformat
import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"
sys.path.insert(0, str(TOOLS))

import build_site  # noqa: E402
import build_slides  # noqa: E402
import check_links  # noqa: E402
import coursebuild  # noqa: E402


def markdown(source, **metadata):
    return nbformat.v4.new_markdown_cell(source, metadata=metadata)


def test_headings_open_slides_and_cells_are_split_at_headings():
    notebook = nbformat.v4.new_notebook(cells=[
        markdown("# Title\n\n> quote\n\n## Objectives\n\n```python\n# a comment, not a heading\n```\n### Detail\n#### Deep"),
        nbformat.v4.new_code_cell("x = 1"),
        markdown("## Skipped on purpose", slideshow={"slide_type": "skip"}),
        markdown("Plain text."),
    ])
    marked = build_slides.mark_slides(notebook)
    kinds = [(cell.source.splitlines()[0], cell.metadata["slideshow"]["slide_type"]) for cell in marked.cells]
    assert kinds == [
        ("# Title", "slide"),
        ("## Objectives", "slide"),
        ("### Detail", "subslide"),
        ("x = 1", "-"),
        ("## Skipped on purpose", "skip"),
        ("Plain text.", "-"),
    ]
    assert "slideshow" not in notebook.cells[0].metadata, "the source notebook must stay untouched"


@pytest.mark.parametrize("line, level", [("## A", 2), ("   ### B", 3), ("    ## code block", 0), ("#no space", 0),
                                         ("text", 0), ("", 0)])
def test_leading_heading_level(line, level):
    assert coursebuild.leading_heading_level(line) == level


def test_links_to_built_notebooks_are_rewritten():
    built = {PurePosixPath("01_a.ipynb"), PurePosixPath("solutions/01_a.ipynb")}
    page = '<a href="01_a.ipynb#Sec-1">x</a> <a href="02_missing.ipynb">y</a> <a href="https://e.org/n.ipynb">z</a>'
    assert coursebuild.rewrite_notebook_links(page, PurePosixPath("other/x.ipynb"), built, ".html") == page
    rewritten = coursebuild.rewrite_notebook_links(page, PurePosixPath("00_index.ipynb"), built, ".html")
    assert '<a href="01_a.html#Sec-1">' in rewritten and 'href="02_missing.ipynb"' in rewritten
    solution = coursebuild.rewrite_notebook_links('<a href="../01_a.ipynb">', PurePosixPath("solutions/01_a.ipynb"),
                                                 built, ".slides.html")
    assert solution == '<a href="../01_a.slides.html">'


def test_glossary_is_cut_at_the_next_heading_of_its_level():
    notebook = nbformat.v4.new_notebook(cells=[
        markdown("# Course"), markdown("## Glossary\n\n**loss**: a number"), markdown("### Terms in Chinese"),
        markdown("## Conventions"),
    ])
    glossary = build_site.glossary_notebook(notebook)
    assert [cell.source.splitlines()[0] for cell in glossary.cells] == ["## Glossary", "### Terms in Chinese"]
    assert build_site.glossary_notebook(nbformat.v4.new_notebook(cells=[markdown("# Course"), markdown("## No glossary here")])) is None


def test_link_check_finds_every_kind_of_broken_link(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "figure.png").write_bytes(b"png")
    (tmp_path / "index.html").write_text(
        '<h2 id="Top">t</h2><a name="old"></a>'
        '<a href="#Top">ok</a> <a href="#old">ok</a> <a href="sub/page.html#Sec%201">ok</a> <img src="figure.png">'
        '<script src="app.js?v=1"></script> <a href="https://example.org/x">external</a>'
        '<a href="data:text/plain,x">data</a> <a href="sub/">folder</a>'
    )
    (tmp_path / "app.js").write_text("")
    (tmp_path / "sub" / "index.html").write_text("<p>folder index</p>")
    (tmp_path / "sub" / "page.html").write_text(
        '<h1 id="Sec 1">s</h1><a href="../index.html#Nowhere">bad anchor</a> <img src="missing.png">'
        '<a href="../../outside.html">outside</a> <a href="#Sec 1">ok</a> <a href="">empty</a>'
    )
    broken, external = check_links.check(tmp_path)
    assert sorted(external) == ["https://example.org/x"]
    assert len(broken) == 4, broken
    assert any("#Nowhere" in message for message in broken)
    assert any("missing sub/missing.png" in message for message in broken)
    assert any("outside.html" in message and "leaves" in message for message in broken)
    assert any("empty link" in message for message in broken)


@pytest.mark.parametrize("chapter", ["04_mse_and_cross_entropy.ipynb", "zh/07_tools.ipynb"])
def test_pages_are_the_same_without_nbconvert_sanitising_them(chapter):
    """The site and the slides pass the course's own HTML through as it is (``coursebuild.trusted_html`` in
    place of nbconvert's ``clean_html``, which took two fifths of the build): the same page, byte for byte."""
    from nbconvert.filters import clean_html

    notebook = coursebuild.read_notebook(TOOLS.parent / "course" / chapter)
    for exporter in (build_site.page_exporter(""), build_slides.slides_exporter("")):
        trusted = exporter.from_notebook_node(notebook)[0]
        exporter.register_filter("clean_html", clean_html)
        try:
            sanitised = exporter.from_notebook_node(notebook)[0]
        finally:
            exporter.register_filter("clean_html", coursebuild.trusted_html)
        assert trusted == sanitised
