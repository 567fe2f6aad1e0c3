"""Wall time and peak memory of a subprocess tree.

Meltano starts the tap and the target as its own subprocesses, so a sampler thread walks
the whole tree every SAMPLE_S and keeps, per plugin, the peak of the summed RSS.
"""

from __future__ import annotations

import re
import resource
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SAMPLE_S = 0.1
# .meltano/<kind>/<plugin>/venv/bin/<exe>: the plugin's name is the folder after the kind.
PLUGIN_PATH = re.compile(r"/\.meltano/(?:extractors|loaders|utilities|transformers)/([^/]+)/")


@dataclass
class Run:
    """What one measured command did."""

    args: list[str]
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)

    @property
    def log(self) -> str:
        return self.stdout + "\n" + self.stderr


# Postmaster pids of the bench's own servers (set by bench.run): their CPU is the step's.
SERVER_PIDS: list[int] = []


def server_cpu() -> float:
    """CPU seconds spent so far by the bench's PostgreSQL servers (postmaster, live backends, and
    the backends that already ended, which the postmaster has waited for)."""
    total = 0.0
    for pid in SERVER_PIDS:
        try:
            root = psutil.Process(pid)
            t = root.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
            for child in root.children():
                try:
                    c = child.cpu_times()
                    total += c.user + c.system
                except psutil.Error:
                    continue
        except psutil.Error:
            continue
    return total


def children_cpu() -> float:
    """CPU seconds of this process's finished (waited-for) descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_split(client: float, server: float) -> dict[str, float]:
    """CPU seconds of a step: far less sensitive than wall time to other load on the machine."""
    return {"client": round(client, 2), "server": round(server, 2), "total": round(client + server, 2)}


def label(proc: psutil.Process, root_pid: int) -> str:
    try:
        cmdline = " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return "other"
    found = PLUGIN_PATH.search(cmdline)
    if found:
        return found.group(1)
    return "main" if proc.pid == root_pid else "other"


class TreeSampler(threading.Thread):
    """Peak RSS (MB) per plugin label, and of the whole tree, until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peaks: dict[str, float] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop_event.is_set():
            totals: dict[str, float] = {}
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for proc in procs:
                try:
                    rss = proc.memory_info().rss / 2**20
                except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                    continue
                name = label(proc, self.pid)
                totals[name] = totals.get(name, 0.0) + rss
                totals["tree"] = totals.get("tree", 0.0) + rss
            for name, value in totals.items():
                self.peaks[name] = max(self.peaks.get(name, 0.0), value)
            self._stop_event.wait(SAMPLE_S)

    def stop(self) -> dict[str, float]:
        self._stop_event.set()
        self.join(timeout=5)
        return {k: round(v, 1) for k, v in sorted(self.peaks.items())}


def measure(
    args: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    timeout: float = 7200,
    log: Path | None = None,
    discard_stdout: bool = False,
) -> Run:
    """Run `args` to completion, timing it and sampling the memory of its process tree.

    discard_stdout: send stdout to /dev/null (a tap's Singer stream, measured alone).
    """
    cpu0, server0 = children_cpu(), server_cpu()
    started = time.perf_counter()
    stdout_to = subprocess.DEVNULL if discard_stdout else subprocess.PIPE
    proc = subprocess.Popen(list(args), cwd=cwd, env=env, stdout=stdout_to, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    peaks = sampler.stop()
    cpu = cpu_split(children_cpu() - cpu0, server_cpu() - server0)
    stdout = stdout or ""
    if log is not None:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"\n$ {' '.join(args)}  ({seconds:.2f} s, rc={proc.returncode})\n{stdout}\n{stderr}\n")
    return Run(list(args), seconds, proc.returncode, stdout, stderr, peaks, cpu)


def timed(fn, *args, **kwargs) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - started, value
