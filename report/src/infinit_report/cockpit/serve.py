"""`infinit-cockpit`: serve the Streamlit sales cockpit (what `meltano invoke cockpit` runs).

Headless, telemetry off, on COCKPIT_ADDRESS:COCKPIT_PORT (default 127.0.0.1:8501).
Extra arguments are passed to `streamlit run`. Refuses to start on another address than loopback
without a login configured (auth.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

APP = Path(__file__).with_name("app.py")


def streamlit_args(extra: Sequence[str] = ()) -> list[str]:
    return [
        "run",
        str(APP),
        "--server.port",
        os.environ.get("COCKPIT_PORT", "8501"),
        "--server.address",
        os.environ.get("COCKPIT_ADDRESS", "127.0.0.1"),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--theme.base",
        "light",
        *extra,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    from streamlit.web import cli

    from infinit_report import preflight
    from infinit_report.cockpit import auth

    preflight.enforce()
    refused = auth.refusal()
    if refused:
        print(refused, file=sys.stderr)
        return 78  # EX_CONFIG
    # Also as env: a config file of the user cannot switch the telemetry back on.
    os.environ["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    sys.argv = ["streamlit", *streamlit_args(sys.argv[1:] if argv is None else argv)]
    return int(cli.main() or 0)


if __name__ == "__main__":
    sys.exit(main())
