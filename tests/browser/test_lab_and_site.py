"""The course in a real browser: JupyterLab from `make lab`, the site from `make site`, a slide deck.

Headless Chromium through Selenium and Debian's chromium-driver. Outside CI the tests
skip when Chromium is absent; with CI=true they must run. Screenshots go to
artifacts/browser/. Nothing here touches the network: JupyterLab and the site are
served on 127.0.0.1 and the pages must load every resource from there.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from shared_build import make_site

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = "01_background"
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
IN_CI = os.environ.get("CI", "").lower() == "true"
PNG_IMAGES = "img[src^='data:image/png']"

# JupyterLab settings for the test (checkpoints also go to a temporary folder): no autosave (running the
# notebook must not rewrite it),
# every cell attached to the DOM, no requests for news or updates.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def _require_browser():
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if not path]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip)")
    if not missing:
        return
    message = f"browser tests need {', '.join(missing)} (apt-get install chromium chromium-driver)"
    if IN_CI:
        pytest.fail(f"CI=true but {message}")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_http(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} not up after {timeout} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    """Stop the process group this test started (make and its jupyter/http.server child)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab` (the README's command) headless on a free port with a known token."""
    _require_browser()
    settings_dir = tmp_path_factory.mktemp("lab-settings")
    for name, values in LAB_SETTINGS.items():
        (settings_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (settings_dir / name).write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    lab_args = " ".join([
        "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--LabApp.user_settings_dir={settings_dir}",
        f"--LabApp.workspaces_dir={tmp_path_factory.mktemp('lab-workspaces')}", "--LabApp.extension_manager=readonly",
        f"--FileCheckpoints.root_dir={tmp_path_factory.mktemp('lab-checkpoints')}",
    ] + (["--allow-root"] if os.geteuid() == 0 else []))
    environment = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path_factory.mktemp("lab-runtime")))
    log = tmp_path_factory.mktemp("lab-log") / "lab.log"
    with log.open("w") as output:
        process = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_ARGS={lab_args}"], cwd=ROOT,
                                   env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/api/status?token={token}", process, log, timeout=90)
        yield f"http://127.0.0.1:{port}", token
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def site():
    """`make site` (built once per test run: :func:`shared_build.make_site`), served by python -m http.server on a
    free port."""
    _require_browser()
    build = make_site()
    assert build is None or build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    port = _free_port()
    log = ROOT / "artifacts" / "browser" / "http-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                    "--directory", str(ROOT / "_build" / "site")],
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/index.html", process, log, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def _wait(driver, condition, timeout: float, what: str):
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.25).until(lambda d: condition(d))
    except Exception as error:  # the timeout, with a screenshot for the post-mortem
        slug = re.sub(r"\W+", "-", what)
        driver.save_screenshot(str(ARTIFACTS / f"failed-{slug}.png"))
        raise AssertionError(f"timed out after {timeout} s waiting for {what}") from error


def _menu(driver, menu: str, label: str) -> None:
    """Click a JupyterLab main-menu entry by its labels, as a lecturer would."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.XPATH, f"//li[contains(@class, 'lm-MenuBar-item')][normalize-space()='{menu}']").click()
    item = f"//li[contains(@class, 'lm-Menu-item')][.//div[contains(@class, 'lm-Menu-itemLabel')][normalize-space()='{label}']]"
    _wait(driver, lambda d: d.find_element(By.XPATH, item), 10, f"menu item {label}").click()


def _outside_requests(driver, origin: str) -> list[str]:
    """Resources the page loaded from anywhere but ``origin`` (or data:/blob: URLs)."""
    names = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return [name for name in names if not name.startswith((origin, "data:", "blob:", "file:"))]


def _failed_loads(driver) -> list[str]:
    """Resources the page could not load (the browser's own favicon request aside), from the console log since
    the last call."""
    return [message for message in (entry["message"] for entry in driver.get_log("browser"))
            if "Failed to load resource" in message and "/favicon.ico " not in message]


def _png_figures(driver) -> int:
    """How many PNG figures the page shows, decoded (naturalWidth > 0)."""
    return driver.execute_script(
        f"return [...document.querySelectorAll(\"{PNG_IMAGES}\")].filter(i => i.complete && i.naturalWidth > 0).length"
    )


def kernel_idle(driver) -> bool:
    """The status bar reads "<kernel name> | Idle" and no dialog (kernel choice, error) is open."""
    from selenium.webdriver.common.by import By

    status = [item.text for item in driver.find_elements(By.CSS_SELECTOR, ".jp-StatusBar-TextItem")]
    dialogs = driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog")
    return not dialogs and any(re.fullmatch(r"Python 3.*\| Idle", text) for text in status)


def _chapter_has_math() -> bool:
    cells = json.loads((ROOT / "course" / f"{CHAPTER}.ipynb").read_text(encoding="utf-8"))["cells"]
    return any("$" in "".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")


def _math_typeset(driver) -> bool:
    """MathJax 2 is idle and has rendered every formula: each math script has its rendered frame just before it."""
    return driver.execute_script("""
        const queue = window.MathJax && MathJax.Hub && MathJax.Hub.queue;
        const scripts = [...document.querySelectorAll('script[type^="math/tex"]')];
        return Boolean(queue) && queue.pending === 0 && queue.running === 0 && scripts.length > 0 && scripts.every(s => {
            const frame = s.previousElementSibling;
            return frame && (frame.matches('.MathJax_CHTML') || frame.querySelector('.MathJax_CHTML'));
        });""")


def test_chapter_runs_in_jupyterlab(lab, browser):
    """Clear the stored outputs, Run All in a fresh kernel: the figure and the last cell's assert render."""
    from selenium.webdriver.common.by import By

    base, token = lab
    notebook = ROOT / "course" / f"{CHAPTER}.ipynb"
    before = _digest(notebook)
    # `jupyter lab course/00_index.ipynb` serves the course folder as its root.
    browser.get(f"{base}/lab/tree/{CHAPTER}.ipynb?token={token}")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel .jp-CodeCell"), 60,
          "the notebook to open")
    _wait(browser, kernel_idle, 60, "an idle kernel")

    _menu(browser, "Edit", "Clear Outputs of All Cells")
    _wait(browser, lambda d: _png_figures(d) == 0, 10, "the stored outputs to clear")
    _menu(browser, "Run", "Run All Cells")

    def prompts(driver):
        return [p.text.strip() for p in driver.find_elements(By.CSS_SELECTOR, ".jp-CodeCell .jp-InputPrompt")]

    def tracebacks(driver):
        return [o.text for o in driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output") if "Traceback" in o.text]

    # Run All stops at the first error, so wait for the last cell or for a traceback.
    _wait(browser, lambda d: all(re.fullmatch(r"\[\d+\]:", p) for p in prompts(d)) or tracebacks(d), 150,
          "every code cell to run")
    _wait(browser, kernel_idle, 30, "the kernel to finish")
    assert not tracebacks(browser), tracebacks(browser)[0][:2000]
    assert re.fullmatch(r"\[\d+\]:", prompts(browser)[-1]), "the last code cell did not run"
    _wait(browser, lambda d: _png_figures(d) > 0, 20, "a PNG figure")

    figure = browser.find_element(By.CSS_SELECTOR, f".jp-RenderedImage {PNG_IMAGES}")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", figure)
    browser.save_screenshot(str(ARTIFACTS / f"lab-{CHAPTER}-figure.png"))
    last_cell = browser.find_elements(By.CSS_SELECTOR, ".jp-CodeCell")[-1]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", last_cell)
    browser.save_screenshot(str(ARTIFACTS / f"lab-{CHAPTER}-end.png"))
    assert _digest(notebook) == before, "running the chapter in the lab rewrote the notebook"
    assert not (ROOT / "course" / ".ipynb_checkpoints").exists(), "the lab wrote checkpoints into course/"


def test_site_chapter_page(site, browser):
    """The built chapter page shows its figure, its maths typeset by the local MathJax, nothing external."""
    from selenium.webdriver.common.by import By

    _failed_loads(browser)
    browser.get(f"{site}/index.html")
    link = browser.find_element(By.CSS_SELECTOR, f"a[href='{CHAPTER}.html']")
    link.click()
    _wait(browser, lambda d: d.current_url.endswith(f"/{CHAPTER}.html"), 20, "the chapter page")
    _wait(browser, lambda d: d.execute_script("return document.readyState") == "complete", 30, "the page to load")
    assert _png_figures(browser) > 0
    assert browser.find_element(By.TAG_NAME, "h1").text.strip()
    assert browser.find_elements(By.CSS_SELECTOR, "nav.site-nav a[href='index.html']")
    source = (ROOT / "course" / f"{CHAPTER}.ipynb").read_text(encoding="utf-8")
    last_code = [c for c in json.loads(source)["cells"] if c["cell_type"] == "code"][-1]
    last_line = "".join(last_code["source"]).strip().splitlines()[-1].strip()
    page_code = browser.execute_script("return [...document.querySelectorAll('.jp-CodeCell .jp-InputArea')]"
                                       ".map(e => e.textContent).join('\\n')")
    assert last_line in page_code, "the chapter's last code cell is missing from the page"
    if _chapter_has_math():
        _wait(browser, _math_typeset, 30, "MathJax to typeset")
    browser.save_screenshot(str(ARTIFACTS / f"site-{CHAPTER}.png"))
    assert _outside_requests(browser, site) == []
    assert _failed_loads(browser) == []


def test_site_contents_lists_every_chapter_and_the_glossary(site, browser):
    """The contents page links every chapter and solution notebook, and the glossary page of 00_index."""
    from selenium.webdriver.common.by import By

    browser.get(f"{site}/index.html")
    links = {a.get_attribute("href").removeprefix(f"{site}/") for a in browser.find_elements(By.CSS_SELECTOR, "a")}
    notebooks = sorted((ROOT / "course").glob("[0-9][0-9]_*.ipynb")) + sorted(
        (ROOT / "course" / "solutions").glob("[0-9][0-9]_*.ipynb"))
    expected = {str(path.relative_to(ROOT / "course").with_suffix(".html")) for path in notebooks}
    assert expected <= links, f"missing from the contents: {sorted(expected - links)}"
    assert "glossary.html" in links, "no glossary page: 00_index.ipynb needs a markdown heading '## Glossary ...'"
    browser.get(f"{site}/glossary.html")
    assert "glossary" in browser.find_element(By.CSS_SELECTOR, "h1, h2").text.lower()


def test_slides_deck_offline(site, browser, tmp_path):
    """A deck built from the chapter starts reveal.js from the local copy, opened from file://."""
    from selenium.webdriver.common.by import By

    build = subprocess.run([sys.executable, "tools/build_slides.py", "course", "--out", str(tmp_path),
                            "--vendor", "_build/vendor/node_modules", "--only", f"course/{CHAPTER}.ipynb"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr[-3000:]
    _failed_loads(browser)
    browser.get((tmp_path / f"{CHAPTER}.slides.html").as_uri())
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".reveal.ready"), 30, "reveal.js to start")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".reveal .slides > section")) > 1
    figure_slide = browser.execute_script(
        f"return [...document.querySelectorAll('.reveal .slides > section')].findIndex(s => s.querySelector(\"{PNG_IMAGES}\"))"
    )
    assert figure_slide >= 0, "no slide shows a figure"
    browser.execute_script(f"location.hash = '#/{figure_slide}'")
    figure = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, f".reveal section.present {PNG_IMAGES}"), 10,
                   "the figure's slide")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", figure)
    if _chapter_has_math():
        _wait(browser, _math_typeset, 30, "MathJax to typeset")
    browser.save_screenshot(str(ARTIFACTS / f"slides-{CHAPTER}.png"))
    assert _outside_requests(browser, "file:") == []
    assert _failed_loads(browser) == []
