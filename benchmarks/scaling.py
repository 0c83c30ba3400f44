"""Scaling: seenfix's time against the size of its input, with the ratio per doubling.

Run: ``python benchmarks/scaling.py [--quick] [--repeat N] [--series NAME,...]``.  Each series
generates inputs that double in size, runs seenfix's engine on each in this process (the runner and
the fixers; no process start-up), and prints the best of ``--repeat`` times (wall clock and CPU) and
the ratio of CPU times to the previous size: the machine may be shared, and other jobs stretch the
wall clock but not the CPU time a run needs.  A linear scan doubles its time when its input doubles (ratio about 2.0); a quadratic
one quadruples it (about 4.0).  Series:

* ``services``: ``check --select SF007`` on a compose file of N services (target: 8,000 under 3 s);
* ``compose-bytes``: ``check --select SF007,SF011`` on a compose file of N services with comments and
  anchors, by its size in bytes;
* ``env-value``: ``check --select SF004`` on one environment value of N bytes, a database URL
  (target: 250 KB under 0.1 s beyond the parse);
* ``nginx-line``: ``check --select SF003,SF005`` on an nginx config with one line of N bytes;
* ``apply-services``: ``apply --select SF007`` (fix and verify, in memory) on N services;
* ``all-services``: ``check`` with every fixer on N services.

The last column says whether the series looks linear: the largest ratio per doubling under 2.6.
Exit status 1 when a series does not (``--quick`` sizes are too small to judge: it always exits 0).

``--huge`` adds the largest inputs, each in its own ``seenfix check --select SF007`` process (start-up
included), printing seconds and the process's peak memory: a compose file just under seenfix's YAML
size limit (``seenfix.editors.yaml.MAX_CHARS``, 4 MiB: about 50,000 services) and one of 100 MB, which
seenfix refuses with a one-line error (exit 3) instead of parsing it (that would take gigabytes).
With ``--quick`` the first is 200 services and the second just over the limit.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: a ratio per doubling above this is not linear (noise on a shared machine stays well below)
LINEAR = 2.6


def compose_services(n: int) -> str:
    out = ["# generated: many services\n", "x-env: &env\n  TZ: UTC\n", "services:\n"]
    for i in range(n):
        out.append(f"  svc{i}:\n    image: nginx:1.25\n    environment:\n      <<: *env\n      A: \"{i}\"\n")
    return "".join(out)


def compose_with_comments(n: int) -> str:
    out = ["x-env: &env\n  TZ: UTC\n", "services:\n"]
    for i in range(n):
        out.append(f"  # service {i}, kept for the scaling benchmark\n  svc{i}:\n    image: nginx:1.25\n"
                   f"    environment: *env\n    ports:\n      - \"{8000 + i % 1000}:80\"\n\n")
    return "".join(out)


def compose_env_value(n: int) -> str:
    user, password = "u" * (n // 2), "p" * (n - n // 2)
    return ("services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: s3cret-db\n"
            f"  app:\n    image: app:1\n    environment:\n      DATABASE_URL: postgresql://{user}:{password}@db:5432/app\n"
            f"      NOTE: \"{'a' * n}\"\n")


def nginx_long_line(n: int) -> str:
    names = " ".join(f"h{i}.example.com" for i in range(n // 16))
    return ("server {\n    listen 80;\n    server_name " + names + ";\n"
            "    add_header X-Note \"" + "a" * n + "\";\n"
            "    location /api/ {\n        proxy_pass http://backend:8000;\n    }\n}\n")


SERIES: dict[str, tuple[str, Callable[[int], str], str, list[str], bool, list[int], list[int]]] = {
    # name: (file, generator, unit, fixers, fix, sizes, quick sizes)
    "services": ("docker-compose.yml", compose_services, "services", ["SF007"], False,
                 [1000, 2000, 4000, 8000], [50, 100, 200]),
    "compose-bytes": ("docker-compose.yml", compose_with_comments, "services", ["SF007", "SF011"], False,
                      [2000, 4000, 8000, 16000], [50, 100, 200]),
    "env-value": ("docker-compose.yml", compose_env_value, "bytes", ["SF004"], False,
                  [32_000, 64_000, 128_000, 256_000], [2000, 4000, 8000]),
    "nginx-line": ("nginx.conf", nginx_long_line, "bytes", ["SF003", "SF005"], False,
                   [128_000, 256_000, 512_000, 1_024_000], [4000, 8000, 16000]),
    "apply-services": ("docker-compose.yml", compose_services, "services", ["SF007"], True,
                       [500, 1000, 2000, 4000], [50, 100, 200]),
    "all-services": ("docker-compose.yml", compose_services, "services", [f"SF{i:03d}" for i in range(1, 15)], False,
                     [1000, 2000, 4000, 8000], [50, 100, 200]),
}

#: bytes of one generated service (``compose_services``), for sizing the huge inputs
SERVICE_BYTES = len(compose_services(1000)) / 1000


def cpu_seconds() -> float:
    """CPU time of this process and of its children waited for."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def time_once(folder: Path, fixers: list[str], fix: bool) -> tuple[float, float, int]:
    from seenfix.core.config import Config
    from seenfix.core.registry import load
    from seenfix.engine.run import run

    reg = load()
    classes = [c for c in (reg.find(code) for code in fixers) if c is not None]
    start, cpu = time.perf_counter(), cpu_seconds()
    result = run(folder, classes, Config(), fix=fix)
    elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    if result.problems or result.failures:
        raise SystemExit(f"{folder}: {result.problems + result.failures}")
    return cpu, elapsed, len(result.findings)


def series(name: str, quick: bool, repeat: int) -> bool:
    filename, make, unit, fixers, fix, sizes, quick_sizes = SERIES[name]
    print(f"{name}: {'apply' if fix else 'check'} --select {','.join(fixers)}, {filename} by {unit}")
    print(f"  {'size':>10}  {'bytes':>11}  {'seconds':>8}  {'cpu s':>8}  {'ratio':>6}  findings")
    previous = None
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="seenfix-scaling-") as tmp:
        for size in quick_sizes if quick else sizes:
            folder = Path(tmp) / f"{name}-{size}"
            folder.mkdir()
            text = make(size)
            (folder / filename).write_text(text)
            best, wall, findings = min(time_once(folder, fixers, fix) for _ in range(repeat))
            ratio = "" if previous is None else f"{best / previous:6.2f}"
            if previous is not None:
                worst = max(worst, best / previous)
            print(f"  {size:>10}  {len(text.encode()):>11}  {wall:8.3f}  {best:8.3f}  {ratio:>6}  {findings}")
            previous = best
    linear = worst < LINEAR
    print(f"  largest ratio per doubling: {worst:.2f} ({'linear' if linear else 'NOT linear'}; "
          f"about 2.0 is linear, 4.0 quadratic)\n")
    return linear


def huge_one(label: str, text: str, tmp: Path) -> None:
    """``seenfix check --select SF007`` on ``text`` in a process of its own: seconds, peak memory."""
    folder = tmp / label
    folder.mkdir()
    (folder / "docker-compose.yml").write_text(text)
    del text
    # peak memory: the child's VmHWM (its ru_maxrss would start from this process's size: it survives exec)
    code = ("import sys, runpy; sys.argv = ['seenfix', 'check', '--select', 'SF007', sys.argv[1]]\n"
            "try:\n    runpy.run_module('seenfix', run_name='__main__')\n"
            "finally:\n    hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
            "    print('peak-kib', hwm[0], file=sys.stderr)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "SEENFIX_NO_CACHE": "1"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    peak = next((int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("peak-kib ")), 0)
    size = (folder / "docker-compose.yml").stat().st_size
    error = next((line for line in proc.stderr.splitlines() if line.startswith("error: ")), None)
    found = re.search(r"^Found (\d+) problem", proc.stderr, re.MULTILINE)
    said = error or f"{found.group(1) if found else 0} findings"
    print(f"  {label:<12} {size:>11}  {elapsed:8.2f}  {peak / 1024:8.0f}  {proc.returncode:>4}  {said}")
    (folder / "docker-compose.yml").unlink()


def huge(quick: bool) -> None:
    from seenfix.editors.yaml import MAX_CHARS

    print("huge: check --select SF007 in its own process (start-up included), docker-compose.yml")
    print(f"  {'input':<12} {'bytes':>11}  {'seconds':>8}  {'peak MiB':>8}  exit  result")
    under = 200 if quick else int(MAX_CHARS / SERVICE_BYTES)
    while not quick and len(compose_services(under)) > MAX_CHARS:
        under = int(under * 0.99)
    over = MAX_CHARS + 1 if quick else 100_000_000
    with tempfile.TemporaryDirectory(prefix="seenfix-scaling-") as tmp:
        huge_one(f"{under} svc", compose_services(under), Path(tmp))
        head = compose_services(1000)
        body = head * (over // len(head) + 1)
        huge_one(f"{over / 1e6:.0f} MB" if not quick else "over limit", body[:over - 1] + "\n", Path(tmp))
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (checks that the benchmark runs)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best is kept")
    parser.add_argument("--series", default=",".join(SERIES), help="comma-separated: " + ", ".join(SERIES))
    parser.add_argument("--huge", action="store_true", help="also the largest inputs (a 100 MB compose file)")
    args = parser.parse_args()
    ok = True
    for name in filter(None, args.series.split(",")):
        if name not in SERIES:
            parser.error(f"unknown series {name!r}")
        ok &= series(name, args.quick, args.repeat)
    if args.huge:
        huge(args.quick)
    return 0 if ok or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
