"""The Streamlit cockpit driven by AppTest on the real pipeline's warehouse: every filter moves
the KPI cards exactly as SQL on the marts says."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import infinit_report.cockpit
import pytest
from infinit_report import fmt
from streamlit.testing.v1 import AppTest

from tests.report.conftest import Pipeline

APP = Path(infinit_report.cockpit.__file__).with_name("app.py")


def marts_kpis(pipeline: Pipeline, start: date, end: date, brands: Sequence[str] = (),
               products: Sequence[int] = (), clients: Sequence[int] = ()) -> list[str]:  # fmt: skip
    """Transactions, products sold, turnover of the filters, formatted as the cards show them."""
    n, units, turnover = pipeline.one(
        """
        select count(*), coalesce(sum(t.quantity), 0), coalesce(sum(t.turnover), 0)
        from marts.fct_transactions t join marts.dim_cars c using (product_id)
        where t.sale_date between %(start)s and %(end)s
          and (cardinality(%(brands)s::text[]) = 0 or c.brand = any(%(brands)s::text[]))
          and (cardinality(%(products)s::int[]) = 0 or t.product_id = any(%(products)s::int[]))
          and (cardinality(%(clients)s::int[]) = 0 or t.client_id = any(%(clients)s::int[]))
        """,
        {"start": start, "end": end, "brands": list(brands), "products": list(products), "clients": list(clients)},
    )
    return [fmt.number(n), fmt.number(units), fmt.money(turnover)]


def shown(at: AppTest) -> list[str]:
    assert not at.exception, at.exception
    return [m.value for m in at.metric]


@pytest.fixture
def app(reader_environ: dict[str, str]) -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=120).run()


def test_daily_cockpit_opens_on_the_last_full_month(app: AppTest, pipeline: Pipeline) -> None:
    assert [m.label for m in app.metric] == ["Transactions", "Products sold", "Turnover"]
    start, end = app.date_input(key="date_range").value
    assert (start, end) == (date(2024, 7, 1), date(2024, 7, 31))
    assert shown(app) == marts_kpis(pipeline, start, end)
    assert len(app.get("vega_lite_chart")) == 2  # stacked by brand and by model


def test_date_range_filter(app: AppTest, pipeline: Pipeline) -> None:
    app.date_input(key="date_range").set_value((date(2023, 3, 1), date(2023, 5, 15))).run()
    assert shown(app) == marts_kpis(pipeline, date(2023, 3, 1), date(2023, 5, 15))
    first, last = pipeline.one("select min(sale_date), max(sale_date) from marts.fct_transactions")
    app.date_input(key="date_range").set_value((first, last)).run()  # the filter's bounds
    everything = shown(app)
    assert everything == marts_kpis(pipeline, first, last)
    assert everything[0] == fmt.number(4000)  # every demo transaction


def test_brand_filter(app: AppTest, pipeline: Pipeline) -> None:
    app.date_input(key="date_range").set_value((date(2024, 1, 1), date(2024, 6, 30)))
    app.multiselect(key="brand").set_value(["Peugeot", "Toyota"]).run()
    assert shown(app) == marts_kpis(pipeline, date(2024, 1, 1), date(2024, 6, 30), brands=["Peugeot", "Toyota"])
    # the model filter now offers the models of those brands only
    assert sorted(app.multiselect(key="model").options) == ["Peugeot 207", "Peugeot 208", "Toyota Corolla"]


def test_model_filter(app: AppTest, pipeline: Pipeline) -> None:
    app.multiselect(key="model").set_value([107, 110]).run()  # Nissan Qashqai, Volkswagen Polo
    assert shown(app) == marts_kpis(pipeline, date(2024, 7, 1), date(2024, 7, 31), products=[107, 110])


def test_client_filter(app: AppTest, pipeline: Pipeline) -> None:
    top = [row[0] for row in pipeline.query(
        "select client_id from marts.fct_transactions group by 1 order by sum(turnover) desc limit 2")]  # fmt: skip
    app.multiselect(key="client").set_value(top).run()
    assert shown(app) == marts_kpis(pipeline, date(2024, 7, 1), date(2024, 7, 31), clients=top)
    app.multiselect(key="brand").set_value(["Volkswagen"]).run()
    assert shown(app) == marts_kpis(pipeline, date(2024, 7, 1), date(2024, 7, 31), ["Volkswagen"], clients=top)


def test_monthly_analysis(app: AppTest, pipeline: Pipeline) -> None:
    app.radio(key="page").set_value("Monthly analysis").run()
    assert app.selectbox(key="month").value == date(2024, 7, 1)  # opens on the last full month
    app.selectbox(key="month").set_value(date(2023, 7, 1)).run()
    assert app.metric[0].value == fmt.number(
        pipeline.one("select count(*) from marts.fct_transactions where sale_month = '2023-07-01'")[0]
    )
    app.selectbox(key="month").set_value(date(2024, 7, 1)).run()
    assert not app.exception
    cards = {m.label: m for m in app.metric}
    turnover, prev = (
        pipeline.one("select sum(turnover) from marts.fct_transactions where sale_month = %s", (month,))[0]
        for month in (date(2024, 7, 1), date(2024, 6, 1))
    )
    assert cards["Turnover"].value == fmt.money(turnover)
    assert cards["Turnover"].delta == fmt.signed_pct((turnover - prev) / prev).replace(fmt.MINUS, "-")
    (transactions,) = pipeline.one("select count(*) from marts.fct_transactions where sale_month = '2024-07-01'")
    assert cards["Transactions"].value == fmt.number(transactions)
    assert len(app.get("vega_lite_chart")) == 3  # two trends, brand share
    brands = app.dataframe[0].value
    expected = pipeline.query(
        """select c.brand, sum(t.turnover) from marts.fct_transactions t join marts.dim_cars c using (product_id)
           where t.sale_month = '2024-07-01' group by 1 order by 2 desc"""
    )
    assert list(brands["Brand"]) == [b for b, _ in expected]
    assert list(brands["Turnover"]) == [fmt.money(t) for _, t in expected]
    assert len(app.dataframe) == 3  # brand, model and client rankings
