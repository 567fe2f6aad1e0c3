"""SeenKeys, the in-file duplicate-key check: an array for dense integer ids, a dict for the rest,
the same answers as the dict of every key it replaces (issue #7, bounded memory at 10M rows)."""

from __future__ import annotations

import random
from array import array
from collections.abc import Hashable
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

from tap_csv.seen_keys import DENSE_LIMIT, MIN_CAPACITY, SPARSITY, SeenKeys

from tests.tap_csv.conftest import config_for, run_tap

LINE_LIMIT = 2 ** (8 * array("I").itemsize) - 1  # the first line number a slot cannot hold
HEADER = "transaction_id,product_id,client_id,quantity,price,timestamp\n"


class DictSeen:
    """The check as it was before SeenKeys: a dict of every key tuple to its first line."""

    def __init__(self) -> None:
        self.lines: dict[tuple[Hashable, ...], int] = {}

    def add(self, key: tuple[Hashable, ...], line: int) -> int | None:
        if key in self.lines:
            return self.lines[key]
        self.lines[key] = line
        return None


# --- the class ---------------------------------------------------------------------------


def test_dense_ids_live_in_the_array_and_give_back_their_first_line() -> None:
    seen = SeenKeys()
    for i in range(10_000):
        assert seen.add((i,), i + 2) is None
    assert seen.fallback_keys == 0 and len(seen) == 10_000
    assert 10_000 <= seen.dense_slots < 15_000  # 4 bytes a key, not a dict entry
    assert seen.add((0,), 99_999) == 2
    assert seen.add((9_999,), 99_999) == 10_001
    assert seen.add((0,), 5) == 2  # a duplicate records nothing: the first line stays
    assert len(seen) == 10_000


def test_every_other_key_uses_the_dict() -> None:
    seen = SeenKeys()
    keys: list[tuple[Hashable, ...]] = [
        (1, 2),  # composite
        ("a", 1),
        ("7",),  # a string, even of digits
        (-1,),
        (DENSE_LIMIT,),
        (2**70,),
        (Decimal("1.5"),),
        (None,),
        (),
    ]
    for line, key in enumerate(keys, start=2):
        assert seen.add(key, line) is None
    assert (seen.dense_slots, seen.fallback_keys) == (0, len(keys))
    for line, key in enumerate(keys, start=2):
        assert seen.add(key, 1_000) == line
    assert seen.add((7,), 3) is None  # "7" is not 7, as in a dict
    assert seen.add((2, 1), 4) is None


def test_bool_is_the_int_it_equals_as_in_a_dict() -> None:
    seen = SeenKeys()
    assert seen.add((1,), 3) is None
    assert seen.add((True,), 4) == 3
    assert seen.add((False,), 5) is None
    assert seen.add((0,), 6) == 5


def test_a_line_too_big_for_a_slot_goes_to_the_dict() -> None:
    seen = SeenKeys()
    assert seen.add((5,), LINE_LIMIT - 1) is None  # the largest line a slot holds (as line + 1)
    assert seen.add((6,), LINE_LIMIT) is None
    assert seen.add((7,), 10 * LINE_LIMIT) is None
    assert (seen.fallback_keys, len(seen)) == (2, 3)
    assert seen.add((5,), 1) == LINE_LIMIT - 1
    assert seen.add((6,), 1) == LINE_LIMIT
    assert seen.add((7,), 1) == 10 * LINE_LIMIT


def test_the_array_grows_geometrically_up_to_the_limit() -> None:
    seen = SeenKeys(dense_limit=200_000)
    sizes = [seen.dense_slots]
    for i in range(250_000):
        assert seen.add((i,), i + 2) is None
        if seen.dense_slots != sizes[-1]:
            sizes.append(seen.dense_slots)
    assert sizes[:2] == [0, MIN_CAPACITY]
    assert sizes[-1] == 200_000  # capped: ids from the limit on are in the dict
    for before, after in pairwise(sizes[1:-1]):  # x1.5 each time, until the cap
        assert after == before + before // 2
    assert seen.fallback_keys == 50_000 and len(seen) == 250_000
    assert seen.add((199_999,), 0) == 200_001 and seen.add((200_000,), 0) == 200_002


def test_scattered_big_ids_do_not_allocate_the_array() -> None:
    seen = SeenKeys()
    for line, key in enumerate((10_000_000, 20_000_000, DENSE_LIMIT - 1), start=2):
        assert seen.add((key,), line) is None
    assert (seen.dense_slots, seen.fallback_keys) == (0, 3)
    assert seen.add((20_000_000,), 9) == 3


def test_ids_starting_high_move_to_the_array_once_dense_enough() -> None:
    """A file resumed half-way: its ids start at 100,000. The first few thousand go to the dict,
    the rest to the array; duplicates are found in both."""
    seen = SeenKeys()
    for i in range(20_000):
        assert seen.add((100_000 + i,), i + 2) is None
    assert 0 < seen.fallback_keys <= 100_000 // (SPARSITY - 1) + 1
    assert seen.dense_slots >= 120_000
    assert seen.add((100_000,), 0) == 2  # in the dict
    assert seen.add((119_999,), 0) == 20_001  # in the array
    assert len(seen) == 20_000


def test_mixed_keys_answer_exactly_as_the_dict_did() -> None:
    rng = random.Random(7)
    seen, reference = SeenKeys(dense_limit=5_000), DictSeen()
    choices = [
        lambda: rng.randrange(6_000),  # dense, and some beyond the limit
        lambda: rng.randrange(20_000_000),  # sparse
        lambda: -rng.randrange(1, 50),
        lambda: rng.choice((True, False)),
        lambda: str(rng.randrange(100)),
        lambda: (rng.randrange(30), rng.choice("ab")),  # composite (a tuple key of two)
    ]
    for line in range(2, 40_000):
        value = rng.choice(choices)()
        key = value if isinstance(value, tuple) else (value,)
        at = line + LINE_LIMIT if rng.random() < 0.01 else line  # now and then a line too big for a slot
        assert seen.add(key, at) == reference.add(key, at), key
    assert len(seen) == len(reference.lines)
    assert seen.dense_slots and seen.fallback_keys


# --- in the tap: the reject still names the first line -----------------------------------


def _tx(drops: Path, ids: list[int]) -> list[dict]:
    rows = [f"{i},101,201,1,1.00,2024-01-01" for i in ids]
    (drops / "transactions.csv").write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    run = run_tap(config_for({"entity": "transactions", "path": str(drops / "transactions*.csv")}))
    assert len(run.rows("transactions")) + len(run.rows("file_rejects")) == len(ids)
    return run.rows("file_rejects")


def test_tap_dense_ids_reject_names_the_first_line(drops: Path) -> None:
    rejects = _tx(drops, [*range(3_000), 2_500, 0, 2_999])
    assert [(r["reason"], r["_sdc_source_lineno"]) for r in rejects] == [
        ("duplicate_key: transaction_id=2500 already at line 2502 of this file", 3_002),
        ("duplicate_key: transaction_id=0 already at line 2 of this file", 3_003),
        ("duplicate_key: transaction_id=2999 already at line 3001 of this file", 3_004),
    ]
    assert {r["column_name"] for r in rejects} == {"transaction_id"}


def test_tap_huge_and_negative_ids_reject_names_the_first_line(drops: Path) -> None:
    rejects = _tx(drops, [2**40, -3, 5, 2**40, -3, 5])
    assert [r["reason"] for r in rejects] == [
        f"duplicate_key: transaction_id={2**40} already at line 2 of this file",
        "duplicate_key: transaction_id=-3 already at line 3 of this file",
        "duplicate_key: transaction_id=5 already at line 4 of this file",
    ]


def test_tap_composite_string_key_reject_names_the_first_line(drops: Path, tmp_path: Path) -> None:
    contract = tmp_path / "tickets.yml"
    contract.write_text(
        "entity: tickets\nprimary_key: [shop, ticket]\nfields:\n"
        "  - {name: shop, type: string, required: true}\n  - {name: ticket, type: integer, required: true}\n",
        encoding="utf-8",
    )
    (drops / "tickets.csv").write_text("shop,ticket\nA,1\nB,1\nA,2\nB,1\n", encoding="utf-8")
    run = run_tap(config_for({"entity": "tickets", "path": str(drops / "tickets.csv"), "contract": str(contract)}))
    assert [(r["shop"], r["ticket"]) for r in run.rows("tickets")] == [("A", 1), ("B", 1), ("A", 2)]
    (reject,) = run.rows("file_rejects")
    assert reject["reason"] == "duplicate_key: shop=B, ticket=1 already at line 3 of this file"
    assert (reject["_sdc_source_lineno"], reject["column_name"]) == (5, None)
