"""Bounds in contracts: a number outside `minimum`/`maximum` is an `out_of_range` reject."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tap_csv.contracts import ContractError, Field


def test_bounds_are_inclusive_and_name_the_field() -> None:
    quantity = Field(name="quantity", type="integer", required=True, minimum=1, maximum=99)
    convert = quantity.converter
    assert convert("1") == 1 and convert("99") == 99
    for text, word in (("0", "below the minimum 1"), ("-1", "below the minimum 1"), ("100", "above the maximum 99")):
        with pytest.raises(ValueError, match=f"^out_of_range: quantity .* {word}$"):
            convert(text)


def test_decimal_bounds_stay_exact() -> None:
    price = Field(name="price", type="decimal", minimum=0.01)
    assert price.minimum == Decimal("0.01")
    assert price.converter("0.01") == Decimal("0.01")
    with pytest.raises(ValueError, match="out_of_range"):
        price.converter("0.009")


def test_bounds_on_a_non_number_are_a_contract_error() -> None:
    with pytest.raises(ContractError, match="only applies to integer, decimal, date and timestamp"):
        Field(name="email", type="string", minimum=1)
