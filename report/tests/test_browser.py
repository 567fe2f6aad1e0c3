"""Real browser: Debian's headless Chromium (driven by /usr/bin/chromedriver through Selenium)
opens the running cockpit and an HTML report, and checks what a reader sees on the page itself:
KPI values that fit their cards at 1280 px, one visible label per bar in the order the chart
says, a ranking sorted by turnover in numeric order, a shared URL that restores the view,
table headers aligned with their values. Screenshots go to the test's tmp dir; any browser
console error fails."""

from __future__ import annotations

import itertools
import os
import re
import secrets
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from infinit.stack import MELTANO, ROOT, free_port
from report_pipeline import Pipeline, need

from infinit_report import fmt, kpis
from infinit_report.cockpit import auth
from infinit_report.l10n import t

webdriver = pytest.importorskip("selenium.webdriver", reason="pip install -e 'report[test]' (selenium)")
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHARTS_JS = "return document.querySelectorAll('.vega-embed canvas, .vega-embed svg.marks').length"
CARDS_JS = "return document.querySelectorAll('.kpi-card').length"
PASSWORD_JS = "return document.querySelectorAll('input[type=password]').length"
# Per card: does its value fit (nothing clipped, inside the card)?
FIT_JS = """return [...document.querySelectorAll('.kpi-card')].map(card => {
  const value = card.querySelector('.kpi-value'), c = card.getBoundingClientRect(), v = value.getBoundingClientRect();
  return [card.dataset.kpi, value.textContent, value.scrollWidth <= value.clientWidth && v.right <= c.right + 0.5,
          value.title];
})"""
# The y-axis labels of a horizontal bar chart, top to bottom, with their boxes and opacity.
CHART_JS = (  # the chart whose text holds arguments[0] (its title)
    "const svg = [...document.querySelectorAll('.vega-embed svg.marks')]"
    ".find(s => s.textContent.includes(arguments[0]));"
)
CHART_LABELS_JS = CHART_JS + "return svg ? svg.querySelectorAll('.role-axis-label text').length : 0;"
BAR_LABELS_JS = (
    CHART_JS
    + """
const axis = [...svg.querySelectorAll('g.role-axis')]
  .find(g => (g.getAttribute('aria-label') || '').startsWith('Y-axis'));
const labels = [...axis.querySelectorAll('.role-axis-label text')].map(t => {
  const r = t.getBoundingClientRect(), style = getComputedStyle(t);
  return {text: t.textContent, top: r.top, bottom: r.bottom, visible: r.width > 0 && style.opacity !== '0'
          && (t.getAttribute('opacity') ?? '1') !== '0' && style.visibility !== 'hidden'};
});
const bars = [...svg.querySelectorAll('.mark-rect.role-mark path')].map(p => p.getBoundingClientRect().top);
return {labels: labels.sort((a, b) => a.top - b.top), bars: bars.length};"""
)
# The accessible copy of a Streamlit data grid: its rows as shown (sorted or not).
GRID_ROWS_JS = """const grid = document.querySelectorAll('[data-testid="stDataFrame"]')[arguments[0]];
return [...grid.querySelectorAll('tbody tr')].map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent));"""


def browser_options(width: int) -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = need("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},1400", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-extensions"):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    driver = webdriver.Chrome(service=Service(need("chromedriver")), options=browser_options(1280))
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


@contextmanager
def running_cockpit(pipeline: Pipeline, log: Path, **settings: str) -> Iterator[str]:
    """`meltano invoke cockpit` on a free loopback port, with the pipeline stack's settings."""
    port = free_port()
    env = {
        **pipeline.stack.env,
        "COCKPIT_PORT": str(port),
        "COCKPIT_ADDRESS": "127.0.0.1",
        "REPORTS_LOCALE": "fr",
        **settings,
    }
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


def wait_for(driver: webdriver.Chrome, script: str, at_least: int, *args: object) -> None:
    WebDriverWait(driver, 120, poll_frequency=0.5).until(lambda d: d.execute_script(script, *args) >= at_least)


def open_page(driver: webdriver.Chrome, url: str, cards: int, charts: int) -> None:
    driver.get(url)
    wait_for(driver, CARDS_JS, cards)
    wait_for(driver, CHARTS_JS, charts)
    time.sleep(1)  # charts draw their marks after the embed appears


def test_cockpit_pages_fit_at_1280_and_1400(browser: webdriver.Chrome, cockpit_url: str, tmp_path: Path) -> None:
    browser.get_log("browser")  # start clean
    for width in (1280, 1400):
        browser.set_window_size(width, 1400)
        open_page(browser, f"{cockpit_url}/?page=daily", 4, 2)
        daily = browser.execute_script(FIT_JS)
        assert [key for key, *_ in daily] == [kpi.key for kpi in kpis.DAILY]
        assert all(fits for _, _, fits, _ in daily), daily
        browser.save_screenshot(str(tmp_path / f"cockpit-daily-{width}.png"))
        open_page(browser, f"{cockpit_url}/?page=monthly&month=2024-07", 8, 3)
        monthly = browser.execute_script(FIT_JS)
        assert [key for key, *_ in monthly] == [kpi.key for kpi in kpis.MONTHLY]
        assert all(fits for _, _, fits, _ in monthly), monthly
        turnover = next(card for card in monthly if card[0] == "turnover")
        assert re.fullmatch(r"\d+,\d+\u00a0M€", turnover[1]), turnover  # compact on the card
        assert re.search(r"\d\u00a0\d{3}\u00a0\d{3},\d\d\u00a0€", turnover[3]), turnover  # exact on hover
        browser.save_screenshot(str(tmp_path / f"cockpit-monthly-{width}.png"))
    assert console_errors(browser) == []


def test_brand_share_bars_are_sorted_and_each_labelled(
    browser: webdriver.Chrome, cockpit_url: str, pipeline: Pipeline
) -> None:
    browser.set_window_size(1280, 1400)
    open_page(browser, f"{cockpit_url}/?page=monthly&month=2024-07", 8, 3)
    title = t("Brand share of turnover")
    wait_for(browser, CHART_LABELS_JS, 1, title)
    found = browser.execute_script(BAR_LABELS_JS, title)
    expected = [brand for (brand,) in pipeline.query(
        """select c.brand from marts.fct_transactions t join marts.dim_cars c using (product_id)
           where t.sale_month = '2024-07-01' group by 1 order by sum(t.turnover) desc, 1""")]  # fmt: skip
    labels = found["labels"]
    assert [label["text"] for label in labels] == expected  # biggest first, one label per brand
    assert found["bars"] == len(expected)
    assert all(label["visible"] for label in labels), labels
    for upper, lower in itertools.pairwise(labels):
        assert upper["bottom"] <= lower["top"] + 1, (upper, lower)  # none hidden under another


def test_ranking_sorted_by_turnover_is_in_numeric_order(browser: webdriver.Chrome, cockpit_url: str) -> None:
    """A click on the brand ranking's turnover header sorts it as numbers (text would put
    `1 215 989,89 €` before `328 486,61 €`); the cells hold plain numbers, as the CSV download."""
    browser.set_window_size(1280, 1400)
    open_page(browser, f"{cockpit_url}/?page=monthly&month=2024-07", 8, 3)
    wait_for(browser, "return document.querySelectorAll('[data-testid=\"stDataFrame\"] tbody tr').length", 2)
    grid = browser.find_elements(By.CSS_SELECTOR, '[data-testid="stDataFrame"] canvas')[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", grid)
    time.sleep(0.5)  # let the scroll settle before reading where the grid is
    box = grid.rect
    heads = browser.execute_script(
        "return [...document.querySelectorAll('[data-testid=\"stDataFrame\"]')[0].querySelectorAll('th')]"
        ".map(th => th.textContent)"
    )
    turnover_column = heads.index(t("Turnover"))

    def click(x: float, y: float) -> None:
        offset = (x - box["width"] / 2, y - box["height"] / 2)  # from the grid's centre
        ActionChains(browser).move_to_element_with_offset(grid, *offset).click().perform()

    def column_at(x: float) -> int | None:
        """Click the first row's cell at x and read which column the grid focused."""
        click(x, 55)
        try:
            focused = WebDriverWait(browser, 3, poll_frequency=0.1).until(
                lambda d: re.fullmatch(r"glide-cell-(\d+)-0", d.execute_script("return document.activeElement.id"))
            )
        except TimeoutException:
            return None
        return int(focused.group(1))

    columns = {x: column_at(x) for x in range(10, int(box["width"]) - 5, 20)}
    hits = [x for x, column in columns.items() if column == turnover_column]
    assert hits, f"turnover column {turnover_column} not found: {columns}"
    header = (
        "return document.querySelectorAll('[data-testid=\"stDataFrame\"]')[0].querySelectorAll('th')"
        f"[{turnover_column}].textContent"
    )
    for _ in range(3):  # a click too soon after the last one is taken as a double click: try again
        time.sleep(0.6)
        click(min(hits) + 5, 17)  # the column's header, on its name (its right end opens a menu)
        try:
            WebDriverWait(browser, 5, poll_frequency=0.2).until(lambda d: d.execute_script(header)[0] in "↑↓")
            break
        except TimeoutException:
            continue
    else:
        pytest.fail(f"a click on the header did not sort: {browser.execute_script(header)!r}")
    cells = [row[turnover_column] for row in browser.execute_script(GRID_ROWS_JS, 0)]
    assert all(re.fullmatch(r"\d+(\.\d+)?", cell) for cell in cells), cells  # numbers, not `1 333 175,57 €`
    shown = [Decimal(cell) for cell in cells]
    assert shown in (sorted(shown), sorted(shown, reverse=True)), cells
    assert shown != sorted(shown, key=str) or shown == sorted(shown)  # numeric order, not text order


def test_shared_url_restores_a_filtered_view(browser: webdriver.Chrome, cockpit_url: str, pipeline: Pipeline) -> None:
    browser.set_window_size(1280, 1400)
    open_page(browser, f"{cockpit_url}/?page=daily&from=2024-01-01&to=2024-03-31&brand=Peugeot&grain=month", 4, 2)
    n, turnover = pipeline.one(
        """select count(*), sum(t.turnover) from marts.fct_transactions t join marts.dim_cars c using (product_id)
           where t.sale_date between '2024-01-01' and '2024-03-31' and c.brand = 'Peugeot'"""
    )
    cards = {key: title for key, _, _, title in browser.execute_script(FIT_JS)}
    assert cards["transactions"].endswith(fmt.number(n)) and cards["turnover"].endswith(fmt.money(turnover))
    sidebar = browser.find_element(By.CSS_SELECTOR, '[data-testid="stSidebar"]')
    assert "Peugeot" in sidebar.find_element(By.CSS_SELECTOR, '[data-testid="stMultiSelect"]').text
    dates = [
        e.get_attribute("value") for e in sidebar.find_elements(By.CSS_SELECTOR, '[data-testid="stDateInput"] input')
    ]
    assert dates == ["2024-01-01", "2024-03-31"], dates
    checked = browser.execute_script(
        "return [...document.querySelectorAll('[data-testid=\"stRadio\"] input:checked')]"
        ".map(i => i.closest('label').textContent.trim())"
    )
    assert checked == [t("Daily cockpit"), t("Month")], checked  # the page and the bars per month
    assert "from=2024-01-01" in browser.current_url and "brand=Peugeot" in browser.current_url


def test_html_report_in_chromium(browser: webdriver.Chrome, pipeline: Pipeline, tmp_path: Path) -> None:
    browser.set_window_size(1280, 1400)
    report = pipeline.reports / "sales-2024-07.html"
    browser.get_log("browser")
    browser.get(report.resolve().as_uri())
    wait_for(browser, "return document.querySelectorAll('section svg, div.chart svg').length", 4)
    sizes = browser.execute_script(
        "return [...document.querySelectorAll('svg.marks')].map(s => s.getBoundingClientRect().height)"
    )
    assert len(sizes) == 4 and min(sizes) > 50, sizes  # every chart laid out, not collapsed
    # number columns: header and values end on the same right edge
    offsets = browser.execute_script(
        """const right = el => { const r = document.createRange(); r.selectNodeContents(el);
                                 return r.getBoundingClientRect().right; };
           return [...document.querySelectorAll('table.rank')].flatMap(table => {
             const heads = [...table.querySelectorAll('thead th')];
             return [...table.querySelectorAll('tbody tr')].flatMap(tr => [...tr.children]
               .map((td, i) => [table.id, heads[i].textContent, td.classList.contains('n'),
                                Math.abs(right(td) - right(heads[i]))]));
           });"""
    )
    numeric = [o for o in offsets if o[2]]
    assert numeric and all(gap <= 1 for *_, gap in numeric), [o for o in numeric if o[3] > 1][:5]
    assert {table for table, *_ in numeric} >= {"table-brands", "table-models", "table-clients", "table-quality"}
    browser.save_screenshot(str(tmp_path / "report-2024-07.png"))
    assert console_errors(browser) == []


def test_first_month_trend_is_not_one_bar_across(browser: webdriver.Chrome, pipeline: Pipeline) -> None:
    browser.get((pipeline.reports / f"sales-{date(2023, 1, 1):%Y-%m}.html").resolve().as_uri())
    wait_for(browser, "return document.querySelectorAll('#chart-trend svg.marks').length", 1)
    widths = browser.execute_script(
        """const svg = document.querySelector('#chart-trend svg.marks');
           const bars = [...svg.querySelectorAll('.mark-rect.role-mark path')]
             .map(p => p.getBoundingClientRect().width);
           return [bars, svg.getBoundingClientRect().width];"""
    )
    bars, chart = widths
    assert len(bars) >= 1 and max(bars) < chart / 12, widths  # one slot of 13


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
        assert browser.execute_script(CARDS_JS) == 0
        assert browser.execute_script(CHARTS_JS) == 0
        assert not [name for name in clients if name in page]
        assert t("Daily cockpit") not in page and t("Turnover") not in page

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
        WebDriverWait(browser, 60, poll_frequency=0.5).until(lambda d: t("Wrong password.") in d.page_source)
        nothing_shown()
        browser.save_screenshot(str(tmp_path / "login-refused.png"))

        log_in(password)
        wait_for(browser, CARDS_JS, 3)
        wait_for(browser, CHARTS_JS, 2)
        assert t("Wrong password.") not in browser.page_source
        assert browser.execute_script(PASSWORD_JS) == 0
        browser.save_screenshot(str(tmp_path / "logged-in.png"))

        browser.find_element(By.XPATH, f"//button[.//p[normalize-space()='{t('Log out')}']]").click()
        wait_for(browser, PASSWORD_JS, 1)
        nothing_shown()
        browser.save_screenshot(str(tmp_path / "logged-out.png"))
        assert console_errors(browser) == []  # while the server runs: afterwards the page polls it
