"""Real browser: Debian's headless Chromium (driven by /usr/bin/chromedriver through Selenium)
opens the running cockpit and an HTML report, waits for the charts, saves screenshots under the
test's tmp dir and fails on any browser console error."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from infinit_report.cockpit import auth

from tests.report.conftest import Pipeline, need
from tests.support.stack import MELTANO, ROOT, free_port

webdriver = pytest.importorskip("selenium.webdriver", reason="pip install -e 'report[test]' (selenium)")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHARTS_JS = "return document.querySelectorAll('.vega-embed canvas, .vega-embed svg.marks').length"
METRICS_JS = "return document.querySelectorAll('[data-testid=\"stMetric\"]').length"
PASSWORD_JS = "return document.querySelectorAll('input[type=password]').length"


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


@contextmanager
def running_cockpit(pipeline: Pipeline, log: Path, **settings: str) -> Iterator[str]:
    """`meltano invoke cockpit` on a free loopback port, with the pipeline stack's settings."""
    port = free_port()
    env = {**pipeline.stack.env, "COCKPIT_PORT": str(port), "COCKPIT_ADDRESS": "127.0.0.1", **settings}
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


@pytest.fixture(scope="module")
def cockpit_url(pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_cockpit(pipeline, tmp_path_factory.mktemp("cockpit") / "cockpit.log") as url:
        yield url


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


def test_cockpit_off_loopback_shows_nothing_before_a_login(
    browser: webdriver.Chrome, pipeline: Pipeline, tmp_path: Path
) -> None:
    """Served as docker compose serves it with PUBLISH_ADDRESS=0.0.0.0 (the server itself stays on
    127.0.0.1 here): a password gate, no figure and no client before the right password, a
    wrong one refused, the right one admitted, and a log-out that hides everything again."""
    password = secrets.token_urlsafe(12)
    clients = [name for (name,) in pipeline.query("select client_name from marts.dim_clients") if len(name) > 3]
    assert clients

    def nothing_shown() -> None:
        page = browser.page_source
        assert browser.execute_script(METRICS_JS) == 0
        assert browser.execute_script(CHARTS_JS) == 0
        assert not [name for name in clients if name in page]
        assert "Daily cockpit" not in page and "Turnover" not in page

    def log_in(typed: str) -> None:
        field = browser.find_element(By.CSS_SELECTOR, "input[type=password]")
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(typed, Keys.ENTER)

    gate = {"COCKPIT_PUBLISHED_ADDRESS": "0.0.0.0", "COCKPIT_PASSWORD_HASH": auth.hash_password(password)}
    with running_cockpit(pipeline, tmp_path / "cockpit.log", **gate) as url:
        browser.get_log("browser")
        browser.get(url)
        wait_for(browser, PASSWORD_JS, 1)
        nothing_shown()
        browser.save_screenshot(str(tmp_path / "login.png"))

        log_in("not-" + password)
        WebDriverWait(browser, 60, poll_frequency=0.5).until(lambda d: "Wrong password." in d.page_source)
        nothing_shown()
        browser.save_screenshot(str(tmp_path / "login-refused.png"))

        log_in(password)
        wait_for(browser, METRICS_JS, 3)
        wait_for(browser, CHARTS_JS, 2)
        assert "Wrong password." not in browser.page_source
        assert browser.execute_script(PASSWORD_JS) == 0
        browser.save_screenshot(str(tmp_path / "logged-in.png"))

        browser.find_element(By.XPATH, "//button[.//p[normalize-space()='Log out']]").click()
        wait_for(browser, PASSWORD_JS, 1)
        nothing_shown()
        browser.save_screenshot(str(tmp_path / "logged-out.png"))
        assert console_errors(browser) == []  # while the server runs: afterwards the page polls it
