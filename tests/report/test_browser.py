"""Real browser: Debian's headless Chromium (driven by /usr/bin/chromedriver through Selenium)
opens the running cockpit and an HTML report, waits for the charts, saves screenshots under the
test's tmp dir and fails on any browser console error."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.report.conftest import Pipeline, need
from tests.support.stack import MELTANO, ROOT, free_port

webdriver = pytest.importorskip("selenium.webdriver", reason="pip install -e 'report[test]' (selenium)")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHARTS_JS = "return document.querySelectorAll('.vega-embed canvas, .vega-embed svg.marks').length"


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = need("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1100", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-extensions"):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(need("chromedriver")), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def cockpit_url(pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`meltano invoke cockpit` on a free port, with the pipeline stack's settings."""
    port = free_port()
    log = tmp_path_factory.mktemp("cockpit") / "cockpit.log"
    env = {**pipeline.stack.env, "COCKPIT_PORT": str(port), "COCKPIT_ADDRESS": "127.0.0.1"}
    with log.open("w") as out:
        # Own process group: meltano and the streamlit it starts are stopped together.
        server = subprocess.Popen([MELTANO, "invoke", "cockpit"], cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # readiness poll, not a timing assertion
            if server.poll() is not None:
                pytest.fail(f"cockpit exited {server.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def console_errors(driver: webdriver.Chrome) -> list[dict[str, object]]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def wait_for(driver: webdriver.Chrome, script: str, at_least: int) -> None:
    WebDriverWait(driver, 120, poll_frequency=0.5).until(lambda d: d.execute_script(script) >= at_least)


def test_cockpit_in_chromium(browser: webdriver.Chrome, cockpit_url: str, tmp_path: Path) -> None:
    browser.get_log("browser")  # start clean
    browser.get(cockpit_url)
    wait_for(browser, "return document.querySelectorAll('[data-testid=\"stMetric\"]').length", 3)
    wait_for(browser, CHARTS_JS, 2)
    metrics = [e.text for e in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stMetric"]')]
    assert [m.splitlines()[0] for m in metrics] == ["Transactions", "Products sold", "Turnover"]
    browser.save_screenshot(str(tmp_path / "cockpit-daily.png"))

    browser.find_element(By.XPATH, "//label[.//p[normalize-space()='Monthly analysis']]").click()
    wait_for(browser, "return document.querySelectorAll('[data-testid=\"stMetric\"]').length", 8)
    wait_for(browser, CHARTS_JS, 3)
    browser.save_screenshot(str(tmp_path / "cockpit-monthly.png"))
    assert (tmp_path / "cockpit-daily.png").stat().st_size > 10_000
    assert console_errors(browser) == []


def test_html_report_in_chromium(browser: webdriver.Chrome, pipeline: Pipeline, tmp_path: Path) -> None:
    report = pipeline.reports / "sales-2024-07.html"
    browser.get_log("browser")
    browser.get(report.resolve().as_uri())
    wait_for(browser, "return document.querySelectorAll('section svg, div.chart svg').length", 4)
    sizes = browser.execute_script(
        "return [...document.querySelectorAll('svg.marks')].map(s => s.getBoundingClientRect().height)"
    )
    assert len(sizes) == 4 and min(sizes) > 50, sizes  # every chart laid out, not collapsed
    browser.save_screenshot(str(tmp_path / "report-2024-07.png"))
    assert console_errors(browser) == []
