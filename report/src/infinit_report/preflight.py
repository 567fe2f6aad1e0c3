"""The prod environment's start-up check, run by the reports and the cockpit before they connect.

environments/environments.meltano.yml sets INFINIT_PREFLIGHT=prod in the `prod` environment;
the check itself is the project's src/infinit/preflight.py (standard library only), run with this
plugin's Python. It exits when a password is empty, an example value or too short, or TLS cannot
verify the server; the message names variables, never values.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def enforce() -> None:
    mode = os.environ.get("INFINIT_PREFLIGHT")
    if not mode:
        return
    root = Path(os.environ.get("MELTANO_PROJECT_ROOT") or Path.cwd())
    code = subprocess.call([sys.executable, str(root / "src" / "infinit" / "preflight.py"), mode])
    if code:
        sys.exit(code)
