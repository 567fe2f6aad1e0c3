"""The Streamlit cockpit driven by AppTest on the real pipeline's warehouse: every filter moves
the KPI cards exactly as SQL on the marts says, the cards compare with the previous period and
the year before, the ranking tables hold numbers, and the URL carries the view."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from report_pipeline import Pipeline
from streamlit.testing.v1 import AppTest

import infinit_report.cockpit
from infinit_report import fmt, kpis, l10n
from infinit_report.l10n import t

APP = Path(infinit_report.cockpit.__file__).with_name("app.py")
DAILY = [kpi.key for kpi in kpis.DAILY]


def marts_sums(pipeline: Pipeline, start: date, end: date, brands: Sequence[str] = (),
               products: Sequence[int] = (), clients: Sequence[int] = ()) -> dict[str, object]:  # fmt: skip
    """The Daily cockpit's KPIs for the filters, from the marts (not the rpt_* tables it reads)."""
    n, units, turnover, market = pipeline.one(
        """
        select count(*), coalesce(sum(t.quantity), 0), coalesce(sum(t.turnover), 0), coalesce(sum(t.market_value), 0)
        from marts.fct_transactions t join marts.dim_cars c using (product_id)
        where t.sale_date between %(start)s and %(end)s
          and (cardinality(%(brands)s::text[]) = 0 or c.brand = any(%(brands)s::text[]))
          and (cardinality(%(products)s::int[]) = 0 or t.product_id = any(%(products)s::int[]))
          and (cardinality(%(clients)s::int[]) = 0 or t.client_id = any(%(clients)s::int[]))
        """,
        {"start": start, "end": end, "brands": list(brands), "products": list(products), "clients": list(clients)},
    )
    return kpis.derive({"transactions": n, "units": units, "turnover": turnover, "market_value": market})


def marts_kpis(pipeline: Pipeline, start: date, end: date, *filters: Sequence[object]) -> list[str]:
    """The exact values of the Daily cards (transactions, cars, turnover, discount)."""
    sums = marts_sums(pipeline, start, end, *filters)  # type: ignore[arg-type]
    return [kpi.exact(sums[kpi.key]) for kpi in kpis.DAILY]


def cards(at: AppTest) -> dict[str, dict[str, object]]:
    """The KPI cards as shown: short value, exact value (hover), and each change with its tone."""
    assert not at.exception, at.exception
    (grid,) = [m.value for m in at.markdown if "kpi-grid" in m.value]
    found = {}
    for key, body in re.findall(r'data-kpi="(\w+)">(.*?)(?=<div class="kpi-card"|</div>$)', grid, re.S):
        value = re.search(r'class="kpi-value" title="([^"]*)">([^<]*)<', body)
        assert value, body
        found[key] = {
            "exact": html.unescape(value.group(1)).split(" : ", 1)[-1].split(": ", 1)[-1],
            "short": html.unescape(value.group(2)),
            "changes": [
                (tone, html.unescape(text), html.unescape(label))
                for tone, text, label in re.findall(
                    r'<span class="(\w+)">([^<]*)</span> <span class="vs" title="[^"]*">([^<]*)<', body
                )
            ],
        }
    return found


def shown(at: AppTest) -> list[str]:
    found = cards(at)
    return [str(found[key]["exact"]) for key in DAILY]


@pytest.fixture
def app(reader_environ: dict[str, str]) -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=120).run()


def test_daily_cockpit_opens_on_the_last_full_month(app: AppTest, pipeline: Pipeline) -> None:
    assert list(cards(app)) == DAILY
    start, end = app.date_input(key="date_range").value
    assert (start, end) == (date(2024, 7, 1), date(2024, 7, 31))
    assert shown(app) == marts_kpis(pipeline, start, end)
    assert len(app.get("vega_lite_chart")) == 2  # stacked by brand and by model
    assert app.radio(key="grain").options == [t("Day"), t("Week"), t("Month")]


def test_cards_compare_with_the_previous_period_and_the_year_before(app: AppTest, pipeline: Pipeline) -> None:
    start, end = date(2024, 3, 1), date(2024, 3, 20)
    app.date_input(key="date_range").set_value((start, end)).run()
    now = marts_sums(pipeline, start, end)
    before = marts_sums(pipeline, start - timedelta(days=20), start - timedelta(days=1))
    year = marts_sums(pipeline, date(2023, 3, 1), date(2023, 3, 20))
    found = cards(app)
    for kpi in kpis.DAILY:
        expected = [
            (kpis.change(kpi, now[kpi.key], before[kpi.key]), t("vs previous period")),
            (kpis.change(kpi, now[kpi.key], year[kpi.key]), t("vs a year before")),
        ]
        assert found[kpi.key]["changes"] == [(c.tone, c.text, label) for c, label in expected], kpi.key
        assert found[kpi.key]["short"] == kpi.short(now[kpi.key])
    assert str(found["discount_pct"]["changes"][0][1]).endswith("pt")  # a ratio moves in points


def test_date_range_filter_and_long_ranges_by_week_or_month(app: AppTest, pipeline: Pipeline) -> None:
    app.date_input(key="date_range").set_value((date(2023, 3, 1), date(2023, 5, 15))).run()
    assert shown(app) == marts_kpis(pipeline, date(2023, 3, 1), date(2023, 5, 15))
    assert app.radio(key="grain").options == [t("Week"), t("Month")]  # 76 days: no daily bars
    first, last = pipeline.one("select min(sale_date), max(sale_date) from marts.fct_transactions")
    app.date_input(key="date_range").set_value((first, last)).run()  # the filter's bounds
    everything = shown(app)
    assert everything == marts_kpis(pipeline, first, last)
    assert everything[0] == fmt.number(4000)  # every demo transaction
    app.radio(key="grain").set_value("month").run()
    spec = app.get("vega_lite_chart")[0].proto.spec
    assert spec.count('"start"') and "%b %Y" in spec  # monthly bars on an axis that shows the year
    assert app.query_params["grain"] == "month"


def test_brand_filter(app: AppTest, pipeline: Pipeline) -> None:
    app.date_input(key="date_range").set_value((date(2024, 1, 1), date(2024, 6, 30)))
    app.multiselect(key="brand").set_value(["Peugeot", "Toyota"]).run()
    assert shown(app) == marts_kpis(pipeline, date(2024, 1, 1), date(2024, 6, 30), ["Peugeot", "Toyota"])
    # the model filter now offers the models of those brands only
    assert sorted(app.multiselect(key="model").options) == ["Peugeot 207", "Peugeot 208", "Toyota Corolla"]


def test_model_and_client_filters(app: AppTest, pipeline: Pipeline) -> None:
    app.multiselect(key="model").set_value([107, 110]).run()  # Nissan Qashqai, Volkswagen Polo
    assert shown(app) == marts_kpis(pipeline, date(2024, 7, 1), date(2024, 7, 31), [], [107, 110])
    app.multiselect(key="model").set_value([]).run()
    top = [row[0] for row in pipeline.query(
        "select client_id from marts.fct_transactions group by 1 order by sum(turnover) desc limit 2")]  # fmt: skip
    app.multiselect(key="client").set_value(top).run()
    assert shown(app) == marts_kpis(pipeline, date(2024, 7, 1), date(2024, 7, 31), [], [], top)
    app.multiselect(key="brand").set_value(["Volkswagen"]).run()
    assert shown(app) == marts_kpis(pipeline, date(2024, 7, 1), date(2024, 7, 31), ["Volkswagen"], [], top)


def test_filters_go_to_the_url_and_come_back_from_it(reader_environ: dict[str, str], pipeline: Pipeline) -> None:
    app = AppTest.from_file(str(APP), default_timeout=120).run()
    app.date_input(key="date_range").set_value((date(2024, 1, 1), date(2024, 3, 31)))
    app.multiselect(key="brand").set_value(["Peugeot"]).run()
    params = dict(app.query_params)
    assert params["from"] == "2024-01-01" and params["to"] == "2024-03-31" and params["brand"] == "Peugeot"
    assert params["page"] == "daily"
    shared = AppTest.from_file(str(APP), default_timeout=120)  # a colleague opens the shared link
    shared.query_params.update(params)
    shared.run()
    assert shared.date_input(key="date_range").value == (date(2024, 1, 1), date(2024, 3, 31))
    assert shared.multiselect(key="brand").value == ["Peugeot"]
    assert shown(shared) == marts_kpis(pipeline, date(2024, 1, 1), date(2024, 3, 31), ["Peugeot"])
    broken = AppTest.from_file(str(APP), default_timeout=120)  # a hand-edited link: defaults, no error
    broken.query_params.update({"from": "yesterday", "brand": "Tesla", "page": "nowhere"})
    broken.run()
    assert shown(broken) == marts_kpis(pipeline, date(2024, 7, 1), date(2024, 7, 31))


def test_monthly_analysis(reader_environ: dict[str, str], pipeline: Pipeline) -> None:
    app = AppTest.from_file(str(APP), default_timeout=120)
    app.query_params.update({"page": "monthly", "month": "2023-07"})
    app.run()
    assert app.selectbox(key="month").value == date(2023, 7, 1)  # from the URL
    found = cards(app)
    assert list(found) == [kpi.key for kpi in kpis.MONTHLY]
    assert found["transactions"]["exact"] == fmt.number(
        pipeline.one("select count(*) from marts.fct_transactions where sale_month = '2023-07-01'")[0]
    )
    app.selectbox(key="month").set_value(date(2024, 7, 1)).run()
    assert app.query_params["month"] == "2024-07"
    found = cards(app)
    turnover, prev = (
        pipeline.one("select sum(turnover) from marts.fct_transactions where sale_month = %s", (month,))[0]
        for month in (date(2024, 7, 1), date(2024, 6, 1))
    )
    assert found["turnover"]["exact"] == fmt.money(turnover)
    assert found["turnover"]["short"] == fmt.compact_money(turnover)
    change = kpis.change(kpis.TURNOVER, turnover, prev)
    assert found["turnover"]["changes"][0] == (change.tone, change.text, t("vs {period}", period="juin 2024"))
    assert t(kpis.NEW.note) in next(m.value for m in app.markdown if "kpi-grid" in m.value)  # defined on the card
    assert len(app.get("vega_lite_chart")) == 3  # two trends, brand share
    assert len(app.dataframe) == 3  # brand, model and client rankings

    brands = app.dataframe[0].value
    expected = pipeline.query(
        """select c.brand, sum(t.turnover) from marts.fct_transactions t join marts.dim_cars c using (product_id)
           where t.sale_month = '2024-07-01' group by 1 order by 2 desc"""
    )
    assert list(brands[t("Brand")]) == [b for b, _ in expected]
    # numbers, not text: they sort as numbers and download as plain numbers
    for column in (t("Transactions"), t("Cars"), t("Turnover"), t("Share")):
        assert pd.api.types.is_numeric_dtype(brands[column]), column
    assert [Decimal(str(v)) for v in brands[t("Turnover")]] == [Decimal(str(float(v))) for _, v in expected]
    clients = app.dataframe[2].value
    assert list(clients[t("Turnover")]) == sorted(clients[t("Turnover")], reverse=True)


def test_the_cockpit_speaks_one_locale(reader_environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """REPORTS_LOCALE=en: English words, numbers and chart formats; fr: French ones; never both."""
    for code, words, number in (
        ("en", ("Turnover", "Cars sold"), re.compile(r"€\d+(\.\d+)?[kM]|\d,\d{3}")),
        ("fr", ("Chiffre d'affaires", "Voitures vendues"), re.compile(r"\d+(,\d+)?\u00a0[kM]€|\d\u00a0\d{3}")),
    ):
        monkeypatch.setenv("REPORTS_LOCALE", code)
        app = AppTest.from_file(str(APP), default_timeout=120).run()
        grid = html.unescape(next(m.value for m in app.markdown if "kpi-grid" in m.value))
        assert all(word in grid for word in words) and number.search(grid), grid
        other = "fr" if code == "en" else "en"
        assert "Chiffre d'affaires" not in grid if code == "en" else "Turnover" not in grid
        spec = app.get("vega_lite_chart")[0].proto.spec
        assert f'"decimal": "{l10n.get(code).decimal}"' in spec.replace('":"', '": "'), other
        l10n.use("fr")
