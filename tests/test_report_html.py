"""fastntk report --html: one self-contained page of the committed results — every claim row
of every summary.md, every figure inlined and decodable; in a real headless browser where one
is installed (Chromium and chromedriver, driven by selenium), otherwise that part skips."""
import base64
import io
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from fastntk.experiments import verdict_table

RESULTS = os.path.join(os.path.dirname(__file__), "..", "docs", "results")
FOLDERS = sorted(os.path.join(RESULTS, d) for d in os.listdir(RESULTS)
                 if os.path.isfile(os.path.join(RESULTS, d, "config.json")))


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.verdicts, self._in_verdict = [], [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a.get("src", ""))
        self._in_verdict = tag == "td" and "verdict" in (a.get("class") or "").split()

    def handle_data(self, data):
        if self._in_verdict:
            self.verdicts.append(data)
            self._in_verdict = False


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "results.html"
    proc = subprocess.run([sys.executable, "-m", "fastntk.cli", "report", "--html", str(out), *FOLDERS],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out


def test_every_claim_row_and_figure_is_on_the_page(page):
    parsed = _Page()
    parsed.feed(page.read_text(encoding="utf-8"))
    rows = [line for line in verdict_table(FOLDERS)[4:] if line.startswith("|")]
    assert len(parsed.verdicts) == len(rows)
    pngs = [f for d in FOLDERS for f in os.listdir(d) if f.endswith(".png")]
    assert len(parsed.images) == len(pngs)
    image = pytest.importorskip("matplotlib.image")
    for src in parsed.images:
        assert src.startswith("data:image/png;base64,")
        pixels = image.imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])), format="png")
        assert pixels.shape[0] > 0 and pixels.shape[1] > 0
    assert "src=\"http" not in page.read_text(encoding="utf-8")  # self-contained


def test_a_folder_without_a_summary_is_a_one_line_error(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = subprocess.run([sys.executable, "-m", "fastntk.cli", "report", "--html", str(tmp_path / "x.html"),
                           str(tmp_path / "empty")], capture_output=True, text=True, timeout=120)
    assert proc.returncode in (1, 2) and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "x.html").exists()


def _browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed: the browser test skipped")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (binary and driver):
        pytest.skip("no Chromium and chromedriver installed: the browser test skipped")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    try:
        return webdriver.Chrome(service=Service(driver), options=options)
    except WebDriverException as e:  # a browser that cannot start here is no verdict on the page
        pytest.skip(f"Chromium did not start: {str(e).splitlines()[0][:200]}")


def test_the_page_renders_in_a_headless_browser(page):
    browser = _browser()
    try:
        browser.get(page.as_uri())
        widths = browser.execute_script("return Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0)")
        assert widths and all(w > 0 for w in widths)
        rows = browser.execute_script("return document.querySelectorAll('td.verdict').length")
        assert rows == len([line for line in verdict_table(FOLDERS)[4:] if line.startswith("|")])
        errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
        assert not errors, errors
    finally:
        browser.quit()
