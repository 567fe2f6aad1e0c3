#!/usr/bin/env bash
# bench/run.sh [N] [extra bench.run args]: the benchmark of issue #7 (docs/performance.md).
# Builds bench/.venv (pandas, dlt: the peers, never the project's runtime) when requirements change,
# then runs bench.run in the project's venv.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"; shift || true
PY="${PYTHON:-python3}"
if [[ ! -f bench/.venv/.installed || bench/requirements.txt -nt bench/.venv/.installed ]]; then
    "$PY" -m venv bench/.venv
    bench/.venv/bin/pip install -q -r bench/requirements.txt
    touch bench/.venv/.installed
fi
exec .venv/bin/python -m bench.run --transactions "$N" "$@"
