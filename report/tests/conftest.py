"""One real pipeline run for all report tests: demo data → tap-postgres + tap-csv →
target-postgres → dbt build, then `meltano run reports:all` into a temporary folder.

`demo_stack` is function-scoped; the pipeline is the slow part, so this folder builds the same
thing once per session (stack.fresh + the demo generator, exactly what demo_stack does).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from infinit.stack import ROOT, Stack
from report_pipeline import Pipeline

from infinit_report import l10n


@pytest.fixture(autouse=True)
def french() -> Iterator[None]:
    """The reports of the pipeline are in the default locale, French: expected values too."""
    l10n.use("fr")
    yield
    l10n.use("fr")


def _plugin_defined(name: str) -> bool:
    return any(name in path.read_text() for path in ROOT.glob("*/*.meltano.yml"))


@pytest.fixture(scope="session")
def pipeline(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    if not _plugin_defined("name: tap-csv"):
        pytest.skip("tap-csv is not defined yet (extract/tap-csv.meltano.yml): the demo files cannot be loaded")
    if not (ROOT / "transform" / "models" / "reports").is_dir():
        pytest.skip("the dbt report models (transform/models/reports) do not exist yet")
    demo = stack.fresh("report_pipeline")
    demo.python("-m", "infinit.demo_data", "--out", str(demo.drops))
    demo.meltano("run", "tap-postgres", "target-postgres", "tap-csv", "target-postgres", "dbt:build")
    for plugin in ("reports", "cockpit"):
        if not (ROOT / ".meltano" / "utilities" / plugin / "venv").is_dir():
            demo.meltano("install", "--plugin-type", "utility", plugin)
    reports = tmp_path_factory.mktemp("reports")
    demo.meltano("run", "reports:all", env={"REPORTS_DIR": str(reports), "REPORTS_LOCALE": "fr"})
    keep = ("WAREHOUSE_HOST", "WAREHOUSE_PORT", "WAREHOUSE_DB", "WAREHOUSE_READER_USER", "WAREHOUSE_READER_PASSWORD")
    reader_env = {k: demo.env[k] for k in keep}  # the reader role only: no other credential
    return Pipeline(demo, reports, reader_env)


@pytest.fixture(scope="session")
def reader_environ(pipeline: Pipeline) -> Iterator[dict[str, str]]:
    """os.environ pointed at the pipeline's warehouse as the reader (AppTest runs in-process)."""
    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("WAREHOUSE_")]:
            patch.delenv(key)
        for key, value in pipeline.reader_env.items():
            patch.setenv(key, value)
        yield pipeline.reader_env
