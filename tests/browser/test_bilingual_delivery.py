"""Both languages wherever the course is delivered (issue 22): `make lab COURSE=zh`, the site and the slides of the
English edition (``course/``) and the Chinese one (``course/zh/``), language switches between twins, the bundled
CJK web font, and the link check over both.

The builders first run on a tiny bilingual course in a temporary folder, with stand-ins for the npm assets, so those
tests need neither npm nor a browser. The last tests build the real course's site and decks and open a Chinese
chapter in headless Chromium (skipped without Chromium outside CI, like the other browser tests; skipped while no
Chinese chapter with a figure exists yet).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import build_site  # noqa: E402
import build_slides  # noqa: E402
import check_links  # noqa: E402
import coursebuild  # noqa: E402
from shared_build import make_site, make_vendor  # noqa: E402
from test_notes_and_solutions import stand_in_assets  # noqa: E402
from test_lab_and_site import (ARTIFACTS, IN_CI, PNG_IMAGES, _failed_loads, _free_port,  # noqa: E402
                               _outside_requests, _png_figures, _require_browser, _stop, _wait, _wait_for_http)
import test_lab_and_site  # noqa: E402

browser = test_lab_and_site.browser   # the headless Chromium fixture of the lab and site tests, used here too

FONT_FILES = {"cjk": "noto-sans-sc-50-wght-normal.woff2", "mixed": "noto-sans-sc-119-wght-normal.woff2",
              "latin": "noto-sans-sc-latin-wght-normal.woff2"}


def markdown(source):
    return nbformat.v4.new_markdown_cell(source)


def write(path: Path, *cells) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.v4.new_notebook(cells=list(cells))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)


@pytest.fixture
def course(tmp_path) -> Path:
    """English: an index with a glossary, two chapters and their solutions. Chinese: chapter 1 (linking to chapter
    2, not translated yet, and to its solutions) and its solutions; no index yet."""
    course = tmp_path / "course"
    write(course / "00_index.ipynb", markdown("# Course\n\nStart with [chapter 1](01_first.ipynb)."),
          markdown("## Glossary\n\n**loss**: a number"))
    write(course / "01_first.ipynb", markdown("# Chapter 1\n\n## Objectives\n\nSee [chapter 2](02_second.ipynb)."),
          markdown("## Exercises\n\nAnswers: [solutions](solutions/01_solutions.ipynb)."))
    write(course / "02_second.ipynb", markdown("# Chapter 2\n\nBack to [chapter 1](01_first.ipynb#Objectives)."))
    write(course / "solutions" / "01_solutions.ipynb", markdown("# Solutions 1\n\n[Chapter](../01_first.ipynb)."))
    write(course / "solutions" / "02_solutions.ipynb", markdown("# Solutions 2"))
    write(course / "zh" / "01_first.ipynb",
          markdown("# 第 1 章\n\n## 学习目标\n\n见[第 2 章](02_second.ipynb#Chapter-2)。"),
          markdown("## 练习\n\n答案：[解答](solutions/01_solutions.ipynb)。"))
    write(course / "zh" / "solutions" / "01_solutions.ipynb", markdown("# 第 1 章解答\n\n[本章](../01_first.ipynb)。"))
    (course / "zh" / "teaching").mkdir()
    (course / "zh" / "teaching" / "__init__.py").write_text("")
    return course


def write_font_package(vendor: Path) -> None:
    """A stand-in for the npm package of the CJK font: a CJK face, a face for CJK and Latin, a Latin-only face."""
    package = vendor / coursebuild.CJK_FONT_PACKAGE
    (package / "files").mkdir(parents=True)
    ranges = {"cjk": "U+4e00-4e2f,U+ff0c", "mixed": "U+20-7e,U+3000-303f", "latin": "U+0-ff,U+fffd"}
    faces = []
    for kind, name in FONT_FILES.items():
        (package / "files" / name).write_bytes(b"wOF2" + kind.encode())
        faces.append(f"/* {name} */\n@font-face {{\n  font-family: '{coursebuild.CJK_FONT_FAMILY}';\n"
                     f"  font-weight: 100 900;\n  src: url(./files/{name}) format('woff2-variations');\n"
                     f"  unicode-range: {ranges[kind]};\n}}\n")
    (package / "index.css").write_text("\n".join(faces))
    (package / "LICENSE").write_text("SIL Open Font License 1.1\n")


@pytest.fixture
def vendor(tmp_path) -> Path:
    """The npm assets' stand-ins (:func:`test_notes_and_solutions.stand_in_assets`) and the font package's."""
    vendor = tmp_path / "node_modules"
    stand_in_assets(vendor)
    write_font_package(vendor)
    return vendor


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def switches(page: Path) -> list[tuple[str, str, str]]:
    """(class, href, text) of the page's language-switch links."""
    return re.findall(r'<a class="(language-switch[^"]*)" href="([^"]*)"[^>]*>([^<]*)</a>', read(page))


# The site --------------------------------------------------------------------------------------------------------


def test_site_builds_both_editions_with_switches(course, vendor, tmp_path):
    out = tmp_path / "site"
    pages = build_site.build(course, out, vendor)
    zh = out / "zh"
    assert {zh / "01_first.html", zh / "solutions" / "01_solutions.html", zh / "index.html"} <= set(pages)
    assert not (zh / "02_second.html").exists() and not (out / "zh" / "zh").exists()
    assert '<html lang="zh-CN"' in read(zh / "01_first.html") and '<html lang="zh-CN"' in read(zh / "index.html")
    assert '<html lang="en"' in read(out / "01_first.html")
    # Twins lead to each other; a page without a twin leads to the other edition's contents, saying so.
    assert switches(out / "01_first.html") == [("language-switch", "zh/01_first.html", "中文")]
    assert switches(zh / "01_first.html") == [("language-switch", "../01_first.html", "English")]
    assert switches(out / "solutions" / "01_solutions.html") == [
        ("language-switch", "../zh/solutions/01_solutions.html", "中文")]
    assert switches(zh / "solutions" / "01_solutions.html") == [
        ("language-switch", "../../solutions/01_solutions.html", "English")]
    assert switches(out / "02_second.html") == [
        ("language-switch no-twin", "zh/index.html", coursebuild.CHINESE.contents_name)]
    assert switches(out / "index.html") == [("language-switch", "zh/index.html", "中文")]
    assert switches(zh / "index.html") == [("language-switch", "../index.html", "English")]
    assert switches(out / "glossary.html")[0][:2] == ("language-switch no-twin", "zh/index.html")
    # The Chinese chapter's own links: its solutions in Chinese, the untranslated chapter in English (no fragment).
    chapter = read(zh / "01_first.html")
    assert 'href="solutions/01_solutions.html"' in chapter and 'href="../02_second.html"' in chapter
    assert 'href="../01_first.html">' in read(zh / "solutions" / "01_solutions.html").split("</nav>", 1)[1]
    assert ">目录</a>" in chapter and ">习题解答</a>" in chapter
    # The Chinese contents page lists its pages, then the English pages it has no twin of.
    contents = read(zh / "index.html")
    assert 'href="01_first.html"' in contents and 'href="solutions/01_solutions.html"' in contents
    untranslated = contents.split('<ul class="untranslated">')[1]
    assert re.findall(r'href="([^"]*)"', untranslated) == ["../00_index.html", "../02_second.html",
                                                           "../solutions/02_solutions.html"]
    assert "Chapter 2" in untranslated
    broken, _ = check_links.check(out)
    assert broken == []


def test_site_pages_load_the_bundled_cjk_font(course, vendor, tmp_path):
    """Every page of both editions links the font's stylesheet, which names the copied woff2 files (CJK only)."""
    out = tmp_path / "site"
    build_site.build(course, out, vendor)
    sheet = out / coursebuild.STATIC_DIR / coursebuild.CJK_FONT_CSS
    for page in out.rglob("*.html"):
        href = re.search(r'<link [^>]*href="([^"]*noto-sans-sc\.css)"', read(page))
        assert href and (page.parent / href.group(1)).resolve() == sheet.resolve(), page
    css = read(sheet)
    assert css.count("@font-face") == 2, "the Latin-only face is left out"
    assert "unicode-range: U+4e00-4e2f,U+ff0c;" in css and "unicode-range: U+3000-303f;" in css
    assert "--jp-content-font-family: var(--lossjit-sans)" in css and f'"{coursebuild.CJK_FONT_FAMILY}"' in css
    fonts = sheet.with_suffix("")
    assert sorted(path.name for path in fonts.iterdir()) == sorted(["LICENSE", FONT_FILES["cjk"], FONT_FILES["mixed"]])
    assert "url(noto-sans-sc/" + FONT_FILES["cjk"] + ")" in css
    (fonts / FONT_FILES["cjk"]).unlink()   # the link check follows the stylesheet's url()s
    broken, _ = check_links.check(out)
    assert [message for message in broken if FONT_FILES["cjk"] in message] == [
        f"{coursebuild.STATIC_DIR}/{coursebuild.CJK_FONT_CSS}: noto-sans-sc/{FONT_FILES['cjk']} -> missing "
        f"{coursebuild.STATIC_DIR}/fonts/noto-sans-sc/{FONT_FILES['cjk']}"]


def test_site_without_solutions_in_both_editions(course, vendor, tmp_path):
    out = tmp_path / "site"
    build_site.build(course, out, vendor, solutions=False)
    assert not (out / "solutions").exists() and not (out / "zh" / "solutions").exists()
    chapter = read(out / "zh" / "01_first.html")
    assert "解答（课后发布）" in chapter and not [h for h in re.findall(r'href="([^"]*)"', chapter) if "solutions" in h]
    assert "习题解答课后发布。" in read(out / "zh" / "index.html")
    broken, _ = check_links.check(out)
    assert broken == []


def test_english_only_course_has_no_switch(course, vendor, tmp_path):
    shutil.rmtree(course / "zh")
    out = tmp_path / "site"
    build_site.build(course, out, vendor)
    assert not (out / "zh").exists()
    assert not [page for page in out.rglob("*.html") if switches(page)]


def test_link_check_covers_the_chinese_edition(course, vendor, tmp_path):
    out = tmp_path / "site"
    build_site.build(course, out, vendor)
    (out / "zh" / "solutions" / "01_solutions.html").unlink()
    broken, _ = check_links.check(out)
    assert broken and all(message.startswith(("zh/", "solutions/")) for message in broken), broken


# The slides ------------------------------------------------------------------------------------------------------


def test_slides_build_both_editions_with_switches(course, vendor, tmp_path):
    out = tmp_path / "slides"
    decks = build_slides.build(course, out, vendor, [])
    assert {out / "zh" / "01_first.slides.html", out / "zh" / "solutions" / "01_solutions.slides.html"} <= set(decks)
    deck = read(out / "zh" / "01_first.slides.html")
    assert '<html lang="zh-CN"' in deck and 'href="../02_second.slides.html"' in deck
    assert switches(out / "zh" / "01_first.slides.html") == [("language-switch", "../01_first.slides.html", "English")]
    assert switches(out / "01_first.slides.html") == [("language-switch", "zh/01_first.slides.html", "中文")]
    assert switches(out / "02_second.slides.html")[0][:2] == ("language-switch no-twin", "zh/index.html")
    assert 'class="language-switch-bar"' in deck and "location.hash" in deck, "the switch keeps the slide"
    assert "noto-sans-sc.css" in deck
    index = read(out / "zh" / "index.html")
    assert 'href="01_first.slides.html"' in index and 'href="../02_second.slides.html"' in index
    broken, _ = check_links.check(out)
    assert broken == []


def test_slides_of_one_chinese_notebook(course, vendor, tmp_path):
    """`--only` a Chinese notebook: its deck and the indexes; its switch leads to the English index (no twin built)."""
    out = tmp_path / "slides"
    decks = build_slides.build(course, out, vendor, [course / "zh" / "01_first.ipynb"])
    assert decks == [out / "zh" / "01_first.slides.html"]
    assert switches(decks[0])[0][:2] == ("language-switch no-twin", "../index.html")
    assert (out / "index.html").is_file() and (out / "zh" / "index.html").is_file()


# make --------------------------------------------------------------------------------------------------------------


def _make_dry_run(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-n", "-o", ".venv/.installed", *arguments], cwd=ROOT,
                          capture_output=True, text=True)


@pytest.mark.parametrize("setting, index", [(None, "course/00_index.ipynb"), ("en", "course/00_index.ipynb"),
                                            ("zh", "course/zh/00_index.ipynb")])
def test_make_lab_opens_either_edition(setting, index):
    printed = _make_dry_run("lab", *([f"COURSE={setting}"] if setting else [])).stdout
    lab = [line for line in printed.splitlines() if "jupyter lab" in line]
    assert lab == [f".venv/bin/jupyter lab --ServerApp.root_dir=course {index} "], printed


def test_make_lab_rejects_another_course():
    result = _make_dry_run("lab", "COURSE=fr")
    assert result.returncode != 0 and "COURSE=en" in result.stderr and "COURSE=zh" in result.stderr


def test_make_fetches_the_cjk_font_with_the_other_assets():
    printed = _make_dry_run("-B", "_build/vendor/.installed").stdout
    assert re.search(rf"npm install .*{re.escape(coursebuild.CJK_FONT_PACKAGE)}@", printed), printed


# The real course in a browser -------------------------------------------------------------------------------------


def _real_vendor() -> Path:
    vendor = ROOT / "_build" / "vendor" / "node_modules"
    if not (vendor / coursebuild.CJK_FONT_PACKAGE / "index.css").is_file() and shutil.which("npm"):
        make_vendor()
    if not (vendor / coursebuild.CJK_FONT_PACKAGE / "index.css").is_file():
        message = "the npm assets with the CJK font (make site, which needs npm once)"
        if IN_CI:
            pytest.fail(f"CI=true but missing {message}")
        pytest.skip(f"missing {message}")
    return vendor


def _chinese_chapter() -> str:
    """A Chinese chapter that shows a figure (chapter 1 when it does)."""
    def has_figure(path: Path) -> bool:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return any("image/png" in output.get("data", {}) for cell in cells for output in cell.get("outputs", []))

    chapters = sorted((ROOT / "course" / "zh").glob("[0-9][0-9]_*.ipynb"), key=lambda p: not p.name.startswith("01_"))
    chapter = next((path for path in chapters if has_figure(path)), None)
    if chapter is None:
        pytest.skip("no Chinese chapter with a figure in course/zh yet")
    return chapter.stem


def _cjk_font_loaded(driver, sample: str) -> bool:
    """The bundled font has loaded the faces for ``sample`` (document.fonts.check), and at least one face has loaded."""
    return driver.execute_script(f"""
        const family = '{coursebuild.CJK_FONT_FAMILY}';
        const loaded = [...document.fonts].filter(f => f.family.replace(/["']/g, '') === family
                                                       && f.status === 'loaded');
        return document.fonts.status === 'loaded' && loaded.length > 0
            && document.fonts.check('16px "' + family + '"', arguments[0]);
    """, sample)


@pytest.fixture(scope="module")
def real_site(tmp_path_factory):
    """Both editions of the real course built by `make site` (once per test run: :func:`shared_build.make_site`),
    links checked, served on 127.0.0.1."""
    _require_browser()
    _real_vendor()
    build = make_site()
    assert build is None or build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    out = ROOT / "_build" / "site"
    port = _free_port()
    log = tmp_path_factory.mktemp("bilingual-site") / "http-server.log"
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                    "--directory", str(out)],
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/zh/index.html", process, log, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def test_chinese_chapter_page_renders_with_the_bundled_font(real_site, browser):
    """A Chinese chapter from the contents page: Chinese text in Noto Sans SC from the site itself, its figure
    decoded, and the language switch to the English twin and back."""
    from selenium.webdriver.common.by import By

    chapter = _chinese_chapter()
    _failed_loads(browser)
    browser.get(f"{real_site}/zh/index.html")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    browser.find_element(By.CSS_SELECTOR, f"a[href='{chapter}.html']").click()
    _wait(browser, lambda d: d.current_url.endswith(f"/zh/{chapter}.html"), 20, "the Chinese chapter page")
    _wait(browser, lambda d: d.execute_script("return document.readyState") == "complete", 30, "the page to load")
    heading = browser.find_element(By.TAG_NAME, "h1").text
    sample = "".join(re.findall(r"[\u4e00-\u9fff]", heading))[:8]
    assert sample, f"the Chinese chapter's title has no Chinese character: {heading!r}"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    _wait(browser, lambda d: _cjk_font_loaded(d, sample), 30, "the bundled CJK font to load")
    fonts = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)"
                                   ".filter(n => n.endsWith('.woff2') && n.includes('noto-sans-sc'))")
    assert fonts and all(name.startswith(f"{real_site}/_static/fonts/") for name in fonts), fonts
    family = browser.execute_script("return getComputedStyle(document.querySelector('.jp-RenderedHTMLCommon p'))"
                                    ".fontFamily")
    assert family.startswith(f'"{coursebuild.CJK_FONT_FAMILY}"'), family
    _wait(browser, lambda d: _png_figures(d) > 0, 20, "a figure to render")
    figure = browser.find_element(By.CSS_SELECTOR, PNG_IMAGES)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", figure)
    browser.save_screenshot(str(ARTIFACTS / f"site-zh-{chapter}.png"))
    assert _outside_requests(browser, real_site) == []
    assert _failed_loads(browser) == []

    browser.find_element(By.CSS_SELECTOR, "nav.site-nav a.language-switch").click()
    _wait(browser, lambda d: d.current_url == f"{real_site}/{chapter}.html", 20, "the English twin")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    switch = browser.find_element(By.CSS_SELECTOR, "nav.site-nav a.language-switch")
    assert switch.text == "中文"
    switch.click()
    _wait(browser, lambda d: d.current_url == f"{real_site}/zh/{chapter}.html", 20, "back to the Chinese page")


def test_chinese_deck_offline_with_the_bundled_font(browser, tmp_path):
    """The Chinese deck and its English twin opened from file://: the font loads, the switch keeps the slide."""
    from selenium.webdriver.common.by import By

    _require_browser()
    vendor = _real_vendor()
    chapter = _chinese_chapter()
    build = subprocess.run([sys.executable, "tools/build_slides.py", "course", "--out", str(tmp_path), "--vendor",
                            str(vendor), "--only", f"course/{chapter}.ipynb", f"course/zh/{chapter}.ipynb"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-3000:]
    _failed_loads(browser)
    browser.get((tmp_path / "zh" / f"{chapter}.slides.html").as_uri())
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".reveal.ready"), 30, "reveal.js to start")
    heading = browser.find_element(By.CSS_SELECTOR, ".reveal section.present h1, .reveal section.present h2").text
    sample = "".join(re.findall(r"[\u4e00-\u9fff]", heading))[:8]
    assert sample, heading
    _wait(browser, lambda d: _cjk_font_loaded(d, sample), 30, "the bundled CJK font to load from file://")
    browser.save_screenshot(str(ARTIFACTS / f"slides-zh-{chapter}.png"))
    assert _outside_requests(browser, "file:") == []
    assert _failed_loads(browser) == []
    browser.execute_script("location.hash = '#/2'")
    browser.find_element(By.CSS_SELECTOR, ".language-switch-bar a.language-switch").click()
    _wait(browser, lambda d: d.current_url == (tmp_path / f"{chapter}.slides.html").as_uri() + "#/2", 20,
          "the English twin at the same slide")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".reveal.ready"), 30, "the English deck to start")
