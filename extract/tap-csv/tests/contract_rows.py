"""Hypothesis strategies of transactions rows: valid, boundary and out-of-range values, each
generated with whether the contract (extract/contracts/transactions.yml) must accept it. Shared
by test_contract_properties.py and the reliability suite's test_no_poison_rows.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st
from tap_runs import HEADER

from tap_csv.contracts import INT64

__all__ = ["FIRST_SALE", "HEADER", "LAST_SALE", "ROWS", "Value", "accepted", "field", "refused"]

Value = tuple[str, bool]  # a field's text, and whether the contract accepts it
FIRST_SALE = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LAST_SALE = dt.datetime(2099, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


def accepted(values: st.SearchStrategy[str]) -> st.SearchStrategy[Value]:
    return values.map(lambda text: (text, True))


def refused(values: st.SearchStrategy[str]) -> st.SearchStrategy[Value]:
    return values.map(lambda text: (text, False))


def field(valid: st.SearchStrategy[Value], invalid: st.SearchStrategy[Value]) -> st.SearchStrategy[Value]:
    """Valid three times in four: a row then often has one bad value among good ones."""
    return st.one_of(valid, valid, valid, invalid)


def integers(low: int, high: int) -> st.SearchStrategy[Value]:
    """An integer field of the bounds [low, high]: inside, on them, just past them, far past int64."""
    return field(
        st.one_of(
            accepted(st.integers(low, high).map(str)),
            accepted(st.sampled_from([str(low), str(high), f"00{low}", f"+{high}"])),
        ),
        st.one_of(
            refused(st.sampled_from([str(low - 1), str(high + 1), str(2**63), str(-(2**63) - 1), "9" * 30])),
            refused(st.sampled_from(["9" * 5000, "1.5", "abc", "1e3", ""])),
        ),
    )


IDS = integers(0, INT64[1])
QUANTITIES = integers(1, 2**31 - 1)
PRICES = field(
    st.one_of(
        accepted(st.decimals(0, Decimal("9999999999.99"), places=2).map(str)),
        accepted(st.sampled_from(["0", "-0.00", "9999999999.99", "0.01", "12", "12.5", "+012.50", "1e2", "1.5e-1"])),
    ),
    refused(st.sampled_from(["-0.01", "10000000000", "1e100", "1" * 30, "12.505", "1.5e-3", "NaN", "inf", "x", ""])),
)
STAMPS = field(
    st.one_of(
        accepted(
            st.datetimes(FIRST_SALE.replace(tzinfo=None), LAST_SALE.replace(tzinfo=None)).map(
                lambda stamp: stamp.isoformat(sep=" ", timespec="seconds")
            )
        ),
        accepted(st.sampled_from(["1970-01-01 00:00:00", "2099-12-31T23:59:59", "2024-07-31T13:00:00+02:00"])),
    ),
    refused(
        st.sampled_from(
            [
                "9999-12-31T23:00:00-05:00",  # past the year 9999 in UTC
                "0001-01-01 00:00:00",
                "1969-12-31 23:59:59",
                "2100-01-01 00:00:00",
                "2099-12-31T23:00:00-05:00",
                "2024-02-30 10:00:00",
                "yesterday",
                "",
            ]
        )
    ),
)
FIELDS = {"transaction_id": IDS, "product_id": IDS, "client_id": IDS, "quantity": QUANTITIES}
FIELDS |= {"price": PRICES, "timestamp": STAMPS}
# Mostly valid rows, so that whole blocks take the column path too.
ROWS = st.lists(
    st.one_of(
        st.tuples(*(accepted(st.just(text)) for text in ("7", "101", "201", "1", "16199.99", "2024-03-05 10:00:00"))),
        st.tuples(*FIELDS.values()),
    ),
    min_size=1,
    max_size=25,
)
