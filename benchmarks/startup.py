"""Start-up speed: ``seenfix --help``, ``list``, ``check`` of an empty folder and ``check fixtures/seen``
next to a bare interpreter.

Run: ``python benchmarks/startup.py [--runs N]``.  Every command is timed in this one run (median of
N wall-clock runs), and the ratios are against ``python -c pass`` measured in the same run.
Targets: ``--help`` within 2x of the bare interpreter, ``list`` and ``check`` of an empty folder
within 4x.  Exit status 1 if one is missed.  seenfix runs byte-compiled, as installed
(``PYTHONDONTWRITEBYTECODE`` is dropped and the package compiled first).
``list`` is answered from its cache while the installed fixers are unchanged (seenfix/cli/fastpath.py);
the row "cache disabled" shows the cost of loading every plugin, for comparison.  ``check`` of a folder
that holds no file is answered there too, without click or a fixer; the row "one text file" shows
what ``check`` costs once the folder holds a file (click, the engine and every fixer class loaded).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = 4.0
HELP_TARGET = 2.0


def wall(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       env={**os.environ, **(env or {})})
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    exe = shutil.which("seenfix", path=str(Path(sys.executable).parent)) or "seenfix"
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="seenfix-bench-")  # a cold cache of our own
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "seenfix")], check=False,
                   stdout=subprocess.DEVNULL)
    empty = tempfile.mkdtemp(prefix="seenfix-empty-")
    one_file = tempfile.mkdtemp(prefix="seenfix-one-file-")  # no fast path: click and every fixer
    Path(one_file, "notes.txt").write_text("nothing for a fixer here\n")
    wall([sys.executable, "-c", "pass"], 3)  # warm the page cache
    wall([exe, "--help"], 3)
    wall([exe, "list"], 1)  # fills the list cache, as the first run on a machine does
    wall([exe, "check", empty], 1)
    base = wall([sys.executable, "-c", "pass"], args.runs)
    rows = [
        ("python -c pass", base, None),
        ("seenfix --help", wall([exe, "--help"], args.runs), HELP_TARGET),
        ("seenfix list", wall([exe, "list"], args.runs), TARGET),
        ("seenfix list (cache disabled)", wall([exe, "list"], args.runs, {"SEENFIX_NO_CACHE": "1"}), None),
        ("seenfix check (empty folder)", wall([exe, "check", empty], args.runs), TARGET),
        ("seenfix check (one text file)", wall([exe, "check", one_file], args.runs), None),
        ("seenfix check fixtures/seen", wall([exe, "check", str(REPO / "fixtures" / "seen")], max(3, args.runs // 3)),
         None),
    ]
    ok = True
    print(f"{'command':<32} {'median s':>9} {'x python':>9}  target")
    for name, seconds, target in rows:
        ratio = seconds / base
        verdict = "" if target is None else (f"<= {target:.0f}x  {'ok' if ratio <= target else 'MISSED'}")
        ok &= target is None or ratio <= target
        print(f"{name:<32} {seconds:>9.3f} {ratio:>9.2f}  {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
