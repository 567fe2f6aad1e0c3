"""The result table (each figure as a ratio to COPY) and the targets of issue #7."""

from __future__ import annotations

from typing import Any

LABELS = {
    "copy": "floor: COPY clean CSV -> typed table",
    "pandas": "original: pandas read_csv + to_sql",
    "dlt": "dlt, default settings",
    "el_cars": "project: tap-postgres -> target (cars)",
    "el_backfill": "project: backfill tap-csv -> target-postgres",
    "dbt_full": "project: dbt build (first, full)",
    "elt_incremental": "project: +1% rows, meltano run elt",
    "el_incremental": "project: +1% rows, meltano run el",
    "el_no_change": "project: no new rows, meltano run el",
    "dbt_no_change": "project: no new rows, dbt build",
    "el_csv_no_change": "project: start-up: tap-csv EL, nothing to read",
    "dbt_start": "project: start-up: dbt, no node selected",
    "dbt_incremental": "project: dbt build (incremental, +1%)",
    "el_incremental_2": "project: +1% rows, meltano run el (again)",
    "dbt_incremental_lookback24h": "project: dbt build (incr., lookback 24 h)",
    "dbt_full_refresh": "project: dbt build --full-refresh",
}


def _rows(step: dict[str, Any]) -> int | None:
    if "rows" in step:
        return int(step["rows"])
    extracted = step.get("records_extracted") or {}
    tx = sum(v for k, v in extracted.items() if k.endswith("/transactions"))
    if tx:
        return tx
    landed = step.get("raw_rows_landed") or {}
    return landed.get("transactions")


def _cpu(step: dict[str, Any]) -> float | None:
    cpu = step.get("cpu_s") or {}
    return cpu.get("total")


def _cpu_cell(step: dict[str, Any], copy_cpu: float | None) -> tuple[str, str]:
    cpu = _cpu(step)
    if cpu is None:
        return "", ""
    return f"{cpu:.1f}", (f"{cpu / copy_cpu:.1f}" if copy_cpu else "")


def _rss(step: dict[str, Any]) -> str:
    peaks = step.get("peak_rss_mb") or {}
    parts = [f"{k} {v:.0f}" for k, v in peaks.items() if k.startswith(("tap-", "target-"))]
    if not parts and "main" in peaks:
        parts = [f"{peaks['main']:.0f}"]
    return ", ".join(parts)


def table(result: dict[str, Any]) -> str:
    steps = result.get("steps", {})
    copy_s = steps.get("copy", {}).get("seconds") or None
    copy_cpu = _cpu(steps.get("copy", {})) or None
    lines = [
        f"N = {result['transactions']:,} transactions, {result.get('clients', 20):,} clients "
        f"({result.get('csv_mb', '?')} MB CSV), Meltano environment {result.get('environment', 'dev')}; "
        f"{result['machine']['nproc']} cores, {result['machine']['ram_gib']} GiB; "
        f"load {result.get('load_before')} -> {result.get('load_after')}",
        "",
        f"| {'step':<46} | {'wall s':>8} | {'x COPY':>7} | {'CPU s':>7} | {'x COPY':>7} | {'tx rows':>9} | peak RSS MB",
        f"|{'-' * 48}|{'-' * 10}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 11}|{'-' * 30}",
    ]
    rows = list(steps.items()) + [(f"variant: {k}", v) for k, v in (result.get("variants") or {}).items()]
    for key, step in rows:
        seconds = step.get("seconds")
        if seconds is None:
            continue
        n = _rows(step)
        ratio = f"{seconds / copy_s:.1f}" if copy_s else ""
        cpu, cpu_ratio = _cpu_cell(step, copy_cpu)
        lines.append(
            f"| {LABELS.get(key, key):<46} | {seconds:>8.2f} | {ratio:>7} | {cpu:>7} | {cpu_ratio:>7} | "
            f"{n or '':>9} | {_rss(step)}"
        )
    q = result.get("queries")
    if q:
        lines += [
            "",
            f"queries ({q['runs']} runs each, {len(q['scenarios'])} scenarios): p50 {q['p50_ms']} ms, "
            f"p95 {q['p95_ms']} ms, worst scenario p95 {q['worst_p95_ms']} ms ({q['worst_p95_scenario']})",
        ]
    targets = result.get("targets") or {}
    if targets:
        lines += ["", "targets:"]
        for name, target in targets.items():
            mark = {True: "reached", False: "NOT reached", None: "not measured"}[target["reached"]]
            lines.append(f"  - {name}: {mark} ({target['detail']})")
    return "\n".join(lines)


def targets(result: dict[str, Any]) -> dict[str, Any]:
    steps = result.get("steps", {})
    out: dict[str, Any] = {}

    def sec(key: str) -> float | None:
        return steps.get(key, {}).get("seconds")

    el, copy_s = sec("el_backfill"), sec("copy")
    peers = {k: sec(k) for k in ("pandas", "dlt") if sec(k)}
    if el and peers:
        best = min(peers.values())
        cpus = {k: _cpu(steps[k]) for k in ("el_backfill", *peers)}
        detail = f"wall: EL {el:.1f} s vs best peer {best:.1f} s ({el / best:.2f}x)"
        reached = el <= best
        if all(cpus.values()):
            # CPU seconds decide when known: wall time on a shared machine says more about the
            # other load during each step than about the loader.
            best_cpu = min(v for k, v in cpus.items() if k != "el_backfill")  # type: ignore[type-var]
            reached = cpus["el_backfill"] <= best_cpu  # type: ignore[operator]
            detail += "; CPU s: " + ", ".join(f"{k} {v}" for k, v in cpus.items()) + " (decides)"
        out["EL >= best of pandas and dlt"] = {"reached": reached, "detail": detail}
    else:
        out["EL >= best of pandas and dlt"] = {"reached": None, "detail": "EL or peers not run"}
    if el and copy_s:
        el_cpu, copy_cpu = _cpu(steps["el_backfill"]), _cpu(steps["copy"])
        cpu_note = f"; CPU {el_cpu / copy_cpu:.1f}x COPY's" if el_cpu and copy_cpu else ""
        idle_el = sec("el_csv_no_change")
        start_note = (
            f"; the same command with nothing to read {idle_el:.1f} s = {idle_el / copy_s:.1f}x COPY,"
            f" the rest (the rows) {el - idle_el:.1f} s = {(el - idle_el) / copy_s:.1f}x COPY"
            if idle_el
            else ""
        )
        out["EL <= 8x COPY"] = {
            "reached": el <= 8 * copy_s,
            "detail": f"wall {el / copy_s:.1f}x COPY{cpu_note}{start_note}",
        }

    backfill = [sec(k) for k in ("el_cars", "el_backfill", "dbt_full")]
    inc = steps.get("elt_incremental")
    if inc and all(backfill):
        total = sum(backfill)  # type: ignore[arg-type]
        share = inc["seconds"] / total
        floor = (sec("el_no_change") or 0) + (sec("dbt_no_change") or 0)
        floor_note = (
            f"; with no new rows, el + dbt build {floor:.1f} s = {floor / total:.1%}"
            if sec("el_no_change") and sec("dbt_no_change")
            else ""
        )
        starts = (sec("el_no_change") or 0) + (sec("dbt_start") or 0)
        start_note = (
            f"; el with no new rows + dbt with no node selected (two commands: Meltano starts twice)"
            f" {starts:.1f} s = {starts / total:.1%}"
            if sec("el_no_change") and sec("dbt_start")
            else ""
        )
        out["incremental elt <= 15% of backfill EL+T"] = {
            "reached": share <= 0.15,
            "detail": f"{inc['seconds']:.1f} s / {total:.1f} s = {share:.1%}{floor_note}{start_note}",
        }
        extracted = inc.get("records_extracted") or {}
        tx = sum(v for k, v in extracted.items() if k.endswith("/transactions"))
        if not tx:
            tx = (inc.get("raw_rows_landed") or {}).get("transactions", 0)
        out["incremental extracts only the new rows"] = {
            "reached": tx == inc["delta_rows"],
            "detail": f"{tx} transactions extracted for {inc['delta_rows']} new; all streams: {extracted}",
        }
    dbt_inc, dbt_full = sec("dbt_incremental"), sec("dbt_full_refresh") or sec("dbt_full")
    if dbt_inc and dbt_full:
        share = dbt_inc / dbt_full
        idle = sec("dbt_no_change")
        idle_note = f"; with no new rows {idle:.1f} s = {idle / dbt_full:.1%}" if idle else ""
        start = sec("dbt_start")
        if start:
            idle_note += f"; with no node selected {start:.1f} s = {start / dbt_full:.1%}"
            # Beyond that start: what the incremental build does, over what the full one does.
            # Not when the incremental build is a block of the elt (--short): it has no start of
            # Meltano's own to take away.
            if "last block" not in steps["dbt_incremental"].get("command", ""):
                beyond = (dbt_inc - start) / (dbt_full - start)
                idle_note += f"; beyond that start, {dbt_inc - start:.1f} s / {dbt_full - start:.1f} s = {beyond:.1%}"
        out["incremental dbt build <= 25% of full"] = {
            "reached": share <= 0.25,
            "detail": f"{dbt_inc:.1f} s / {dbt_full:.1f} s = {share:.1%}{idle_note}",
        }
    q = result.get("queries")
    if q:
        out["query p95 <= 100 ms"] = {
            "reached": q["worst_p95_ms"] <= 100,
            "detail": f"worst scenario p95 {q['worst_p95_ms']} ms ({q['worst_p95_scenario']}), "
            f"all calls p95 {q['p95_ms']} ms",
        }
    peaks: dict[str, float] = {}
    for step in [*steps.values(), *(result.get("variants") or {}).values()]:
        for name, value in (step.get("peak_rss_mb") or {}).items():
            if name.startswith(("tap-", "target-")):
                peaks[name] = max(peaks.get(name, 0.0), value)
    if peaks:
        out["peak RSS tap/target <= 500 MB"] = {
            "reached": max(peaks.values()) <= 500,
            "detail": ", ".join(f"{k} {v:.0f} MB" for k, v in sorted(peaks.items())),
        }
    return out


def markdown(result: dict[str, Any]) -> str:
    """The result as the Markdown tables of docs/performance.md."""
    steps = result.get("steps", {})
    copy_s = steps.get("copy", {}).get("seconds") or None
    copy_cpu = _cpu(steps.get("copy", {})) or None
    m = result["machine"]
    lines = [
        f"{result['transactions']:,} transactions, {result.get('clients', 20):,} clients "
        f"({result.get('csv_mb', '?')} MB CSV), Meltano environment `{result.get('environment', 'dev')}`, "
        f"run {result['started_at']}; "
        f"{m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB; load average {result.get('load_before')} before, "
        f"{result.get('load_after')} after.",
        "",
        "| step | wall s | x COPY | CPU s (client+server) | x COPY | transactions | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    rows = list(steps.items()) + [(f"variant: {k}", v) for k, v in (result.get("variants") or {}).items()]
    for key, step in rows:
        seconds = step.get("seconds")
        if seconds is None:
            continue
        n = _rows(step)
        ratio = f"{seconds / copy_s:.1f}" if copy_s else ""
        cpu, cpu_ratio = _cpu_cell(step, copy_cpu)
        lines.append(
            f"| {LABELS.get(key, key)} | {seconds:.1f} | {ratio} | {cpu} | {cpu_ratio} | {n or ''} | {_rss(step)} |"
        )
    q = result.get("queries")
    if q:
        lines += [
            "",
            f"Report and cockpit queries ({len(q['scenarios'])} scenarios x {q['runs']} runs, reader role): "
            f"p50 {q['p50_ms']} ms, p95 {q['p95_ms']} ms; worst scenario p95 {q['worst_p95_ms']} ms "
            f"({q['worst_p95_scenario']}).",
        ]
    targets = result.get("targets") or {}
    if targets:
        lines += ["", "| target | reached | measured |", "|---|---|---|"]
        for name, target in targets.items():
            mark = {True: "yes", False: "**no**", None: "not measured"}[target["reached"]]
            lines.append(f"| {name} | {mark} | {target['detail']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys

    loaded = json.loads(open(sys.argv[1]).read())  # noqa: SIM115
    print(markdown(loaded) if "--markdown" in sys.argv else table(loaded))
