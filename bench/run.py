"""Benchmark of issue #7: the same N transactions, the same warehouse, every loader.

    bench/run.sh [N]                        (creates bench/.venv, then runs this module)
    .venv/bin/python -m bench.run --transactions N [--skip-peers] [--variants LIST] [--keep]

Starts throwaway embedded servers on free ports (src/infinit/stack.py) under bench/.work/,
so the demo warehouse, its state and its drop folder are never touched. Writes
bench/results/<timestamp>.json and bench/results/latest.json (under --out DIR instead: DIR/results/),
and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import data, floor, measure, project
from infinit.stack import ROOT, Stack, start_stack

BENCH_DIR = Path(__file__).resolve().parent


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(mem_kb / 2**20, 1),
        "cpu": next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "?"),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def server_pids(stack: Stack) -> list[int]:
    """Postmaster pids of the stack's two servers (first line of postmaster.pid)."""
    pids = []
    for pidfile in Path(stack.env["LOCALDB_DIR"]).glob("*/pgdata/postmaster.pid"):
        pids.append(int(pidfile.read_text().split()[0]))
    return pids


def shown(path: Path) -> Path:
    """A path as the log shows it: relative to the project when inside it."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


# A dbt selection that matches no node: dbt starts, parses and exits ("Nothing to do").
NO_NODE = "fqn:no_such_node"


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def project_pipeline(
    stack: Stack, legacy: Path, n: int, clients: int, delta_pct: float, log: Path, short: bool
) -> dict[str, Any]:
    """Backfill EL, full dbt build, then +delta and the incremental job, then +delta and dbt alone."""
    steps: dict[str, Any] = {}
    dbt = project.Dbt(stack, log)
    say("project: tap-postgres target-postgres (cars)")
    steps["el_cars"] = project.step(stack, "run", "tap-postgres", "target-postgres", log=log)
    say("project: backfill tap-csv target-postgres")
    steps["el_backfill"] = project.step(stack, "run", "tap-csv", "target-postgres", log=log)
    say("project: dbt build (full)")
    steps["dbt_full"] = dbt("build")
    if not dbt.via_meltano:
        say("project: Meltano's dbt env does not resolve (/transform): dbt runs from its plugin venv")

    delta = max(1, round(n * delta_pct / 100))
    first, last = data.append_delta(legacy, delta, step=1, clients=clients)
    if dbt.via_meltano:
        say(f"project: +{delta} rows (ids {first}..{last}), meltano run elt")
        steps["elt_incremental"] = {**project.step(stack, "run", "elt", log=log), "delta_rows": delta}
    else:
        say(f"project: +{delta} rows (ids {first}..{last}), meltano run el + dbt build (the elt job's steps)")
        el = project.step(stack, "run", "el", log=log)
        t = dbt("build")
        steps["elt_incremental"] = {
            **el,
            "command": "meltano run el; dbt build",
            "seconds": round(el["seconds"] + t["seconds"], 2),
            "el_seconds": el["seconds"],
            "dbt_seconds": t["seconds"],
            "delta_rows": delta,
        }

    # The same two steps with nothing new: what a daily run costs before its delta (process
    # starts, dbt's parse and per-node work, the tests). The floor the ratios above sit on.
    say("project: no new rows, meltano run el, then dbt build")
    steps["el_no_change"] = project.step(stack, "run", "el", log=log)
    steps["dbt_no_change"] = dbt("build")
    # Below that floor, the process starts alone: the file EL with nothing to read (Meltano,
    # tap-csv's discovery, the tap's and the target's starts, the state), and dbt started
    # through Meltano with a selection that matches no node (dbt's import, the parse, the
    # manifest). No run of either command costs less, whatever the size of the delta.
    say("project: start-up only: meltano run tap-csv target-postgres with nothing to read, dbt with nothing selected")
    steps["el_csv_no_change"] = project.step(stack, "run", "tap-csv", "target-postgres", log=log)
    steps["dbt_start"] = dbt("build", "--select", NO_NODE)

    if short:
        dbt_part = steps["elt_incremental"].get("dbt_seconds") or (steps["elt_incremental"]["blocks_s"] or [None])[-1]
        if dbt_part:  # the elt's own dbt step, timed apart
            steps["dbt_incremental"] = {"command": "dbt build (last block of the incremental elt)", "seconds": dbt_part}
        return steps
    first, last = data.append_delta(legacy, delta, step=2, clients=clients)
    say(f"project: +{delta} rows (ids {first}..{last}), meltano run el, then dbt build alone")
    steps["el_incremental"] = {**project.step(stack, "run", "el", log=log), "delta_rows": delta}
    steps["dbt_incremental"] = dbt("build")
    # With a 24 h lookback (load_lookback_minutes, default 0) every load of the last day is
    # re-read: in this bench that is all of them. Shows what such a safety margin costs.
    first, last = data.append_delta(legacy, delta, step=3, clients=clients)
    say(f"project: +{delta} rows (ids {first}..{last}), meltano run el, dbt build with lookback 24 h")
    steps["el_incremental_2"] = {**project.step(stack, "run", "el", log=log), "delta_rows": delta}
    steps["dbt_incremental_lookback24h"] = dbt("build", "--vars", '{"load_lookback_minutes": 1440}')
    say("project: dbt build --full-refresh (same data, for the ratio)")
    steps["dbt_full_refresh"] = dbt("build", "--full-refresh")
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--transactions", "-n", type=int, default=1_000_000)
    parser.add_argument(
        "--clients",
        type=int,
        default=20,
        help="clients in clients.json (default 20, the source's today): the client-grain tables grow with it",
    )
    parser.add_argument("--delta-pct", type=float, default=1.0, help="size of each incremental delta, %% of N")
    parser.add_argument("--query-runs", type=int, default=30)
    parser.add_argument("--skip-peers", action="store_true", help="skip pandas and dlt (quick iterations)")
    parser.add_argument("--skip-project", action="store_true", help="skip the meltano pipeline")
    parser.add_argument(
        "--variants",
        default="",
        help="comma list of EL variants to compare on fresh databases (see bench/variants.py), or 'all'",
    )
    parser.add_argument(
        "--short",
        action="store_true",
        help="one incremental cycle only (no second/third +delta, no --full-refresh): for a loaded machine",
    )
    parser.add_argument(
        "--environment",
        choices=("prod", "dev"),
        default="prod",
        help="Meltano environment of every meltano command: prod (default), as a deployment's schedule runs"
        " the job (dbt's unit tests left out); dev keeps them, as development and CI do",
    )
    parser.add_argument("--keep", action="store_true", help="keep .work/<stamp> (data, logs, servers' files)")
    parser.add_argument("--no-latest", action="store_true", help="do not overwrite results/latest.json")
    parser.add_argument(
        "--out",
        type=Path,
        default=BENCH_DIR,
        help="folder of results/ and .work/ (default bench/, where results/latest.json is committed)",
    )
    args = parser.parse_args(argv)

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results_dir = args.out.resolve() / "results"
    work = args.out.resolve() / ".work" / stamp
    work.mkdir(parents=True)
    log = work / "bench.log"
    n = args.transactions
    result: dict[str, Any] = {
        "started_at": stamp,
        "transactions": n,
        "clients": args.clients,
        "environment": args.environment,
        "machine": machine(),
        "load_before": loadavg(),
        "steps": {},
    }
    say(
        f"N={n}, {args.clients} clients, Meltano environment {args.environment}, work dir {shown(work)},"
        f" load {result['load_before']}"
    )
    try:
        with start_stack(work / "stack") as stack:
            stack.env["MELTANO_PROJECT_ROOT"] = str(ROOT)  # as tests/orchestrate does
            stack.env["MELTANO_ENVIRONMENT"] = args.environment
            # The bench's embedded servers have no certificate: prod's TLS (environments/) is off.
            stack.env.update(PG_SSLMODE="disable", TAP_POSTGRES_SSL_ENABLE="false", TARGET_POSTGRES_SSL_ENABLE="false")
            measure.SERVER_PIDS[:] = server_pids(stack)
            drops = stack.drops
            t0 = time.perf_counter()
            stack.python(
                "-m", "infinit.demo_data", "--transactions", str(n), "--clients", str(args.clients), "--out", str(drops)
            )
            legacy = drops / "transactions.csv"
            clean = work / "clean" / "transactions.csv"
            clean.parent.mkdir()
            rows = data.clean_copy(legacy, clean)
            result["generate_seconds"] = round(time.perf_counter() - t0, 2)
            result["csv_mb"] = round(legacy.stat().st_size / 2**20, 1)
            say(f"generated {rows} rows ({result['csv_mb']} MB) in {result['generate_seconds']} s")
            peers_csv = work / "peers" / "transactions.csv"  # a copy: the project's file will grow
            peers_csv.parent.mkdir()
            shutil.copy(legacy, peers_csv)
            shutil.copy(drops / "clients.json", peers_csv.parent / "clients.json")  # for the variants

            steps = result["steps"]
            say("floor: COPY")
            steps["copy"] = floor.copy_floor(stack, clean)
            if not args.skip_peers:
                say("peer: pandas read_csv + to_sql")
                steps["pandas"] = floor.pandas_load(stack, peers_csv, log)
                say("peer: dlt (defaults)")
                steps["dlt"] = floor.dlt_load(stack, peers_csv, log, work)
            if not args.skip_project:
                steps.update(project_pipeline(stack, legacy, n, args.clients, args.delta_pct, log, args.short))
                say(f"queries: {args.query_runs} runs of each report/cockpit query")
                try:
                    # Imported when reached (a long run picks up fixes made meanwhile).
                    from bench import queries

                    result["queries"] = queries.run(stack.env, args.query_runs)
                except Exception as exc:  # a broken query must not lose the run's other figures
                    result["queries_error"] = repr(exc)[-2000:]
                    say(f"queries failed: {exc!r}")
            if args.variants:
                from bench import variants

                result["variants"] = variants.run(stack, args.variants, peers_csv, log, say)
    except Exception as exc:
        result["error"] = repr(exc)[-4000:]
        raise
    finally:
        from bench import report

        result["load_after"] = loadavg()
        results_dir.mkdir(parents=True, exist_ok=True)
        result["targets"] = report.targets(result)
        out = results_dir / f"{stamp}.json"
        out.write_text(json.dumps(result, indent=2) + "\n")
        if not args.no_latest:
            shutil.copy(out, results_dir / "latest.json")
        if not args.keep:
            shutil.rmtree(work / "stack", ignore_errors=True)
            shutil.rmtree(work / "clean", ignore_errors=True)
            shutil.rmtree(work / "peers", ignore_errors=True)
            shutil.rmtree(work / "dlt", ignore_errors=True)
    print(report.table(result))
    say(f"wrote {shown(out)} (log: {shown(log)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
