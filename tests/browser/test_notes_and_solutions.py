"""Speaker notes in the slides, and the site and slides without the solutions (`make site SOLUTIONS=0`) or with
some of them (`make site SOLUTIONS=1,2`).

The builders run on a tiny course in a temporary folder, with empty stand-ins for the npm assets,
so these tests need neither npm nor a browser. The last test opens the speaker view of a real
deck from file:// in headless Chromium (skipped without Chromium outside CI, like the other
browser tests).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"
sys.path.insert(0, str(TOOLS))

import build_site  # noqa: E402
import build_slides  # noqa: E402
import check_links  # noqa: E402
import coursebuild  # noqa: E402
from shared_build import make_vendor  # noqa: E402

NOTE = "Ask the room which constant is best before running the cell."
SOLUTION_TEXT = "The worked answer is 3.5."
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
IN_CI = os.environ.get("CI", "").lower() == "true"


def markdown(source, **metadata):
    return nbformat.v4.new_markdown_cell(source, metadata=metadata)


def notes(source):
    return markdown(source, slideshow={"slide_type": "notes"})


def write(path: Path, *cells) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.v4.new_notebook(cells=list(cells))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)


@pytest.fixture
def course(tmp_path) -> Path:
    """An index with a glossary; two chapters linking to their solutions, the first with speaker notes; the two
    solutions, linking to each other; a file beside the solutions; and a lecturer's file."""
    course = tmp_path / "course"
    write(course / "00_index.ipynb",
          markdown("# Course\n\nWorked answers live in `solutions/`; start with [chapter 1](01_first.ipynb)."),
          markdown("## Glossary\n\n**loss**: a number"))
    write(course / "01_first.ipynb",
          markdown("# Chapter 1\n\n## Objectives\n\nSay what a loss is."),
          notes(NOTE),
          markdown("## The maths\n\n$c^\\star$ is the median."),
          nbformat.v4.new_code_cell("x = 1"),
          notes("The median is $3.5$ here."),
          markdown("## Exercises\n\nAnswers: [`solutions/01_solutions.ipynb`](solutions/01_solutions.ipynb); "
                   "exercise 1 is [here](solutions/01_solutions.ipynb#Exercise-1), see also "
                   "`solutions/01_solutions.ipynb` and [the maths](#The-maths)."))
    write(course / "solutions" / "01_solutions.ipynb",
          markdown("# Solutions to chapter 1\n\nBack to [the chapter](../01_first.ipynb); "
                   "see also [chapter 2's](02_solutions.ipynb)."),
          markdown(f"## Exercise 1\n\n{SOLUTION_TEXT}"))
    write(course / "02_second.ipynb",
          markdown("# Chapter 2\n\n## Exercises\n\n"
                   "Answers: [`solutions/02_solutions.ipynb`](solutions/02_solutions.ipynb); "
                   "those of chapter 1 are in `solutions/01_solutions.ipynb`."))
    write(course / "solutions" / "02_solutions.ipynb",
          markdown("# Solutions to chapter 2\n\nBack to [the chapter](../02_second.ipynb)."))
    (course / "solutions" / "answer-figure.png").write_bytes(b"png")
    (course / "lecturer").mkdir()
    (course / "lecturer" / "quiz-answers.md").write_text("1. (b)\n")
    return course


def stand_in_assets(vendor: Path) -> None:
    """Empty stand-ins for every npm asset the builders copy but the font: a file per file, a folder with a
    file per folder."""
    for source, _ in coursebuild.SLIDE_ASSETS:
        path = vendor / source
        if path.suffix == ".js":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")
        else:
            path.mkdir(parents=True, exist_ok=True)
            (path / "placeholder.txt").write_text("")
    for extra in ("reveal.js/dist/reveal.css", "reveal.js/dist/theme/white.css"):   # the decks' stylesheets
        (vendor / extra).parent.mkdir(parents=True, exist_ok=True)
        (vendor / extra).write_text("")


@pytest.fixture
def vendor(tmp_path) -> Path:
    """:func:`stand_in_assets`, and the CJK web font as one @font-face and its file."""
    vendor = tmp_path / "node_modules"
    stand_in_assets(vendor)
    font = vendor / coursebuild.CJK_FONT_PACKAGE   # the CJK web font: one @font-face and its file
    (font / "files").mkdir(parents=True)
    (font / "files" / "cjk.woff2").write_bytes(b"wOF2")
    (font / "index.css").write_text(f"@font-face {{ font-family: '{coursebuild.CJK_FONT_FAMILY}'; "
                                    "src: url(./files/cjk.woff2) format('woff2'); unicode-range: U+4e00-9fff; }")
    return vendor


def hrefs(page: Path) -> list[str]:
    return re.findall(r'href="([^"]*)"', page.read_text(encoding="utf-8"))


# Speaker notes ------------------------------------------------------------------------------------------------


def test_notes_cells_keep_their_slide_type():
    notebook = nbformat.v4.new_notebook(cells=[markdown("# Title"), notes("## Not a slide\n\nSay this.")])
    marked = build_slides.mark_slides(notebook)
    assert [cell.metadata["slideshow"]["slide_type"] for cell in marked.cells] == ["slide", "notes"]
    assert len(marked.cells) == 2, "a notes cell must not be split at its headings"


def test_notes_cell_becomes_speaker_notes_of_its_slide(course, vendor, tmp_path):
    """A cell of slide type "notes" is an <aside class="notes"> inside the slide it follows, kept from MathJax."""
    out = tmp_path / "slides"
    decks = build_slides.build(course, out, vendor, [])
    deck = (out / "01_first.slides.html").read_text(encoding="utf-8")
    assert out / "01_first.slides.html" in decks
    asides = re.findall(r'<aside class="([^"]*)">(.*?)</aside>', deck, re.DOTALL)
    assert len(asides) == 2
    assert all(classes.split() == ["notes", "tex2jax_ignore"] for classes, _ in asides)
    assert NOTE in asides[0][1] and "$3.5$" in asides[1][1]
    # The first note belongs to the "Objectives" slide: after its heading, before the next <section>.
    objectives = deck.index('id="Objectives"')
    assert objectives < deck.index(NOTE) < deck.index("<section", objectives)
    # reveal.js's notes plugin, which shows the asides on `s`, is loaded and copied with the deck.
    assert "plugin/notes/notes.js" in deck and "RevealNotes" in deck
    assert (out / coursebuild.STATIC_DIR / "reveal.js" / "plugin" / "notes").is_dir()


def test_site_pages_leave_out_speaker_notes(course, vendor, tmp_path):
    out = tmp_path / "site"
    build_site.build(course, out, vendor)
    page = (out / "01_first.html").read_text(encoding="utf-8")
    assert NOTE not in page and "The median is" not in page
    assert "Say what a loss is." in page


# Solutions withheld ---------------------------------------------------------------------------------------------


def test_site_with_solutions_links_them(course, vendor, tmp_path):
    """The control: by default the solutions have pages, the chapter links to them and every link resolves."""
    out = tmp_path / "site"
    build_site.build(course, out, vendor)
    assert (out / "solutions" / "01_solutions.html").is_file()
    assert "solutions/01_solutions.html" in hrefs(out / "01_first.html")
    assert "solutions/01_solutions.html" in hrefs(out / "index.html")
    broken, _ = check_links.check(out)
    assert broken == []
    assert not (out / "lecturer").exists(), "the lecturer's files (quiz answers) must never be copied"


def test_site_without_solutions(course, vendor, tmp_path):
    """No page for the solutions, no file of theirs, no link to them, a note instead; the link check passes."""
    out = tmp_path / "site"
    pages = build_site.build(course, out, vendor, solutions=False)
    assert not (out / "solutions").exists()
    assert all("solutions" not in page.relative_to(out).parts for page in pages)
    built = sorted(str(path.relative_to(out)) for path in out.rglob("*.html"))
    assert built == ["00_index.html", "01_first.html", "02_second.html", "glossary.html", "index.html"]
    for page in out.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not [href for href in hrefs(page) if "solutions" in href], page.name
        assert SOLUTION_TEXT not in text and ">Solutions</a>" not in text
    chapter = (out / "01_first.html").read_text(encoding="utf-8")
    assert chapter.count(f"({coursebuild.SOLUTIONS_LATER})") == 3   # two links and one code span
    assert "<code>solutions/01_solutions.ipynb</code> (released after class)" in chapter
    assert "here (released after class)" in chapter
    assert 'href="#The-maths"' in chapter, "links elsewhere stay"
    assert "(released after class)" in (out / "00_index.html").read_text(encoding="utf-8")
    contents = (out / "index.html").read_text(encoding="utf-8")
    assert "Solutions to the exercises" in contents and f"solutions are {coursebuild.SOLUTIONS_LATER}" in contents
    broken, _ = check_links.check(out)
    assert broken == []
    assert not (out / "lecturer").exists()


def test_slides_without_solutions(course, vendor, tmp_path):
    out = tmp_path / "slides"
    decks = build_slides.build(course, out, vendor, [], solutions=False)
    assert [deck.name for deck in decks] == ["00_index.slides.html", "01_first.slides.html", "02_second.slides.html"]
    assert not (out / "solutions").exists()
    for page in out.glob("*.html"):
        assert not [href for href in hrefs(page) if "solutions" in href], page.name
    assert "(released after class)" in (out / "01_first.slides.html").read_text(encoding="utf-8")


def test_site_with_some_solutions_released(course, vendor, tmp_path):
    """`SOLUTIONS=1`: chapter 1's solutions are published and linked, chapter 2's are withheld."""
    assert coursebuild.parse_solutions("1") == frozenset({"01"})
    out = tmp_path / "site"
    build_site.build(course, out, vendor, solutions=frozenset({"01"}))
    assert (out / "solutions" / "01_solutions.html").is_file()
    assert not (out / "solutions" / "02_solutions.html").exists()
    assert "solutions/01_solutions.html" in hrefs(out / "01_first.html")
    assert "Solutions" in [label for label in re.findall(r"<a [^>]*>([^<]*)</a>", (out / "01_first.html").read_text())]
    second = (out / "02_second.html").read_text(encoding="utf-8")
    assert not [href for href in hrefs(out / "02_second.html") if "solutions" in href]
    assert "<code>solutions/02_solutions.ipynb</code> (released after class)" in second
    assert "<code>solutions/01_solutions.ipynb</code>." in second, "a released solution named in code stays as it is"
    contents = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="solutions/01_solutions.html"' in contents and "02_solutions" not in contents
    assert "The other worked solutions are released after class." in contents
    released = (out / "solutions" / "01_solutions.html").read_text(encoding="utf-8")
    assert "chapter 2's (released after class)" in released and 'href="../01_first.html"' in released
    broken, _ = check_links.check(out)
    assert broken == []


@pytest.mark.parametrize("text, release", [("all", True), ("0", False), ("none", False), ("1", frozenset({"01"})),
                                           ("1,2", frozenset({"01", "02"})), ("03, 9", frozenset({"03", "09"}))])
def test_solutions_setting(text, release):
    assert coursebuild.parse_solutions(text) == release


@pytest.mark.parametrize("text", ["some", "1;2", "123"])
def test_solutions_setting_rejects_other_words(text):
    with pytest.raises(Exception, match="chapter numbers"):
        coursebuild.parse_solutions(text)


@pytest.mark.parametrize("page, link, withheld", [
    ("01_a.html", '<a href="solutions/01_s.html">x</a>', True),
    ("01_a.html", '<a href="solutions/01_s.ipynb#Exercise-2">x</a>', True),
    ("01_a.html", '<a href="./solutions/">x</a>', True),
    ("solutions/01_s.html", '<a href="../solutions/02_s.html">x</a>', True),
    ("solutions/01_s.html", '<a href="02_s.html">x</a>', True),
    ("01_a.html", '<a class="anchor-link" href="#Solutions">x</a>', False),
    ("01_a.html", '<a href="https://example.org/solutions/x.html">x</a>', False),
    ("01_a.html", '<a href="other/solutions/x.html">x</a>', False),
    ("01_a.html", '<a href="02_b.html#solutions">x</a>', False),
    ("01_a.html", '<a href="solutions/03_s.slides.html#Exercise-1">x</a>', False),   # a released one
    ("solutions/01_s.html", '<a href="03_s.html">x</a>', False),
])
def test_withhold_solutions_resolves_each_link_from_its_page(page, link, withheld):
    result = coursebuild.withhold_solutions(f"<p>{link}</p>", PurePosixPath(page),
                                            frozenset({PurePosixPath("solutions/03_s.ipynb")}))
    if withheld:
        assert result == ('<p><span class="solutions-later" title="The worked solutions are released after class">'
                          "x (released after class)</span></p>")
    else:
        assert result == f"<p>{link}</p>"


@pytest.mark.parametrize("setting, passed", [(None, "all"), ("0", "0"), ("1,2", "1,2")])
def test_make_passes_solutions_setting_to_both_builders(setting, passed):
    """`make site SOLUTIONS=0` (and slides) hand the setting to both builders; the default publishes every solution."""
    command = ["make", "--no-print-directory", "-n", "site", "slides"] + ([f"SOLUTIONS={setting}"] if setting else [])
    printed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    printed = re.sub(r"\\\n\s*", " ", printed)   # join the recipe's continued lines
    builders = [line for line in printed.splitlines() if "tools/build_s" in line]
    assert len(builders) == 2
    assert all(line.endswith(f'--solutions "{passed}"') for line in builders), builders


# The speaker view in a browser ----------------------------------------------------------------------------------


def _require_browser_and_assets() -> Path:
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if not path]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip)")
    vendor = ROOT / "_build" / "vendor" / "node_modules"
    if not (ROOT / "_build" / "vendor" / ".installed").exists() and shutil.which("npm"):
        make_vendor()
    if not (vendor / "reveal.js" / "plugin" / "notes" / "notes.js").is_file():
        missing.append("the npm assets (make slides, which needs npm once)")
    if missing:
        message = f"the speaker-view test needs {', '.join(missing)}"
        if IN_CI:
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    return vendor


def test_speaker_view_shows_the_notes_from_file_url(course, tmp_path):
    """Built from a notebook with notes cells, a deck opened from file:// shows them in reveal.js's speaker view."""
    vendor = _require_browser_and_assets()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    out = tmp_path / "slides"
    build_slides.build(course, out, vendor, [course / "01_first.ipynb"])
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # The speaker view is an about:blank pop-up written by document.write that never finishes "loading":
    # with the default strategy every command in it would wait for the load forever.
    options.page_load_strategy = "none"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    artifacts = ROOT / "artifacts" / "browser"
    artifacts.mkdir(parents=True, exist_ok=True)

    def wait(condition, what, timeout=30):
        try:
            return WebDriverWait(driver, timeout, poll_frequency=0.25).until(lambda d: condition(d))
        except Exception as error:
            slug = re.sub(r"\W+", "-", what)
            driver.save_screenshot(str(artifacts / f"failed-speaker-view-{slug}.png"))
            raise AssertionError(f"timed out after {timeout} s waiting for {what}") from error

    def speaker_notes(d):
        return d.execute_script("const n = document.querySelector('.speaker-controls-notes .value');"
                                "return n ? n.innerText : null;")

    try:
        driver.get((out / "01_first.slides.html").as_uri())
        wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".reveal.ready"), "reveal.js to start")
        deck = driver.current_window_handle
        driver.execute_script("location.hash = '#/1'")   # the "Objectives" slide, which has the first note
        wait(lambda d: "objectives" in d.find_element(By.CSS_SELECTOR, ".reveal section.present").text.lower(),
             "the Objectives slide")
        assert not driver.find_element(By.CSS_SELECTOR, "aside.notes").is_displayed(), "a note showed on its slide"
        ActionChains(driver).send_keys("s").perform()
        wait(lambda d: len(d.window_handles) == 2, "the speaker view to open", 10)
        driver.switch_to.window(next(handle for handle in driver.window_handles if handle != deck))
        wait(lambda d: NOTE in (speaker_notes(d) or ""), "the first note in the speaker view")
        previews = "return document.querySelectorAll('.speaker-controls-time, iframe').length"
        wait(lambda d: d.execute_script(previews) >= 3, "the speaker view's timer and slide previews")
        driver.save_screenshot(str(artifacts / "slides-speaker-view.png"))

        driver.switch_to.window(deck)
        ActionChains(driver).send_keys(Keys.ARROW_RIGHT).perform()   # to "The maths", whose note has a formula
        driver.switch_to.window(next(handle for handle in driver.window_handles if handle != deck))
        wait(lambda d: "The median is $3.5$ here." in (speaker_notes(d) or ""), "the next slide's note, TeX as typed")
    finally:
        driver.quit()
