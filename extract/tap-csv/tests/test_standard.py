"""singer-sdk's standard tap tests, on sample drops of every supported format."""

from __future__ import annotations

from pathlib import Path

from singer_sdk.testing import get_tap_test_class
from tap_runs import CONTRACTS

from tap_csv.tap import TapCSV

SAMPLES = Path(__file__).parent / "samples"

SAMPLE_CONFIG = {
    "contracts_dir": str(CONTRACTS),
    "files": [
        {"entity": "transactions", "path": str(SAMPLES / "transactions*.csv")},
        {"entity": "clients", "path": str(SAMPLES / "clients*.json")},
        {"entity": "clients_lines", "path": str(SAMPLES / "clients.jsonl"), "contract": str(CONTRACTS / "clients.yml")},
    ],
}

TestTapCSV = get_tap_test_class(tap_class=TapCSV, config=SAMPLE_CONFIG)
