"""The load generators and the CPU accounting of `manage.py benchmark`.

Two generators drive one URL for a number of seconds over N connections and report the
requests, their median and 95th-percentile latency and the failures: `wrk` (Debian's package;
the Makefile installs it when missing) and a Python one with threads, for a machine without wrk
and for the test. Both send every request to 127.0.0.1 only, bounded by the duration.

CPU time is read from /proc/<pid>/stat (user + system) of the processes that serve the requests:
the gunicorn workers and their PostgreSQL backends. Unlike latency and throughput it hardly
depends on what else the machine runs, which is why the benchmark reports it per request.
"""

import http.client
import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Load:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0–100) of `values`; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# wrk prints percentiles 50/75/90/99 only; its `done` hook gives the 95th too.
_WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("KC-RESULT %d %d %d %.3f %.3f\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


def wrk_path() -> str | None:
    return shutil.which("wrk")


def run_wrk(url: str, headers: dict[str, str], *, seconds: float, connections: int) -> Load:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_WRK_SCRIPT)
        script.flush()
        command = [
            wrk_path() or "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "60s",
            "-s",
            script.name,
        ]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        output = subprocess.run(
            [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 90
        ).stdout
    match = re.search(r"KC-RESULT (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+)", output)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    requests, micros, errors = (int(match.group(i)) for i in (1, 2, 3))
    return Load(requests, micros / 1e6, errors, float(match.group(4)), float(match.group(5)))


def run_python(url: str, headers: dict[str, str], *, seconds: float, connections: int) -> Load:
    """`connections` threads, each sending requests one after another until the time is up.
    gunicorn's sync workers close the connection after each response; http.client reopens it."""
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker():
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        mine, failed = [], 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", target, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
                if response.will_close:
                    connection.close()
            except OSError:
                failed += 1
                connection.close()
            mine.append((time.perf_counter() - started) * 1000)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return Load(
        len(latencies), elapsed, errors[0], percentile(latencies, 50), percentile(latencies, 95)
    )


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process, None when it is gone (or not on this host)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    # After "pid (comm)": state is field 3, utime 14 and stime 15 (proc(5)).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def snapshot(pids) -> dict[int, float]:
    return {pid: cpu for pid in pids if (cpu := cpu_seconds(pid)) is not None}


def spent(before: dict[int, float], after: dict[int, float]) -> tuple[float, int]:
    """CPU seconds spent between two snapshots, and how many processes ended in between (their
    last share is lost: the benchmark keeps workers and connections for the whole run)."""
    total = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
    return total, len(set(before) - set(after))
