#!/usr/bin/env python3
"""How fast is a whole seenfix run (every fixer) next to Biome, a bare interpreter and itself?

usage: python benchmarks/whole_run.py [--files N] [--rounds R] [--copies A,B,C] [--jobs J]
                                      [--no-biome] [--against REV] [--npm-dir DIR] [--work-dir DIR]
                                      [--keep-work]

The tree: the bundled SEEN layout (``fixtures/seen``: compose file, nginx, a FastAPI backend, a Solid
frontend) with N real-shaped TypeScript files (default 2000) under ``frontend/src/corpus/``: the
shared TS corpus's ``mutated/`` files replicated under ``copyNNN/`` (built with
``../shared/corpus/ts/build.py`` into ``$SEENFIX_CACHE/ts-corpus``, as ``unused_imports.py`` does).
Every timed command runs as a whole process on its own fresh copy, and every ratio is against a
baseline measured in the same run, rounds taken round-robin, median of ``--rounds`` (default 3):

- ``check``: ``seenfix check`` with every fixer, cache off, next to ``biome lint`` with only
  ``noUnusedImports`` on the same tree (target <= 1.0x);
- ``warm``: ``seenfix check`` again, cache on, on a copy checked once before (untimed, its files
  more than 2 s old then, outside the cache's racy window), with its findings still present: next to
  ``biome lint`` (target <= 0.25x); nothing changed, so the run cache answers.  Its output must be
  the same as the cold check's (printed: ``output = cold output: yes``);
- ``apply``: ``seenfix apply --quick-wins``, cache off, next to ``biome lint --write --unsafe``
  (target <= 1.0x);
- ``warm, 1 file edited``: the same, with one TypeScript file edited after that check (the run
  cache misses; the per-file caches answer for the other files): printed next to ``biome lint``, no
  target;
- ``compose-heavy``: ``seenfix check`` on the fixture copied A, B and C times (default 25, 50, 100)
  into one tree: the time per doubling (target 1.9-2.1: linear), both raw and after subtracting the
  check of one copy (the full path's start-up: click, the fixers, the parsers, the process pool; an
  empty folder takes the fast path and no longer measures it), per doubling of the other copies;
- ``parse floor``: a Python process that only reads and tree-sitter-parses every TypeScript file of
  the same tree, in as many processes as seenfix (``unused_imports.py``'s floor): what any analysis
  on tree-sitter costs at least; printed next to Biome and to ``check``, no target;
- ``startup``: ``seenfix check`` on an empty folder (target <= 4x) and ``seenfix --help`` (target
  <= 2x) next to ``python -c pass``;
- peak memory of every seenfix run (the sum of the resident sets of its process tree, sampled every
  5 ms; target < 150 MiB);
- with ``--against REV``: ``check`` and ``apply --quick-wins`` of seenfix as it was at the git
  revision REV (its ``seenfix/`` package and ``templates/``, extracted with ``git archive``, first on
  the path), each run right next to this tree's (first in even rounds, second in odd ones) on its
  own copy: the ratio of this tree's code to REV's, no target (what a change gained, measured in
  one run where the host's load varies between runs; use an even number of rounds).

Every line with a target ends in ``ok`` or ``MISSED``; the exit status is 0 either way (the numbers
are for people: the machine's load varies), 2 when a run failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import unused_imports as ui  # noqa: E402  (the corpus, Biome's installation and the memory probe)

FIXTURE = REPO / "fixtures" / "seen"
MEMORY_TARGET_MIB = 150.0
BIOME_CONFIG = {**ui.BIOME_CONFIG, "files": {"ignoreUnknown": True, "includes": ["**/*.ts", "**/*.tsx"]}}


# -- trees -----------------------------------------------------------------------------------------
def frontend_tree(dest: Path, files: int) -> int:
    """``fixtures/seen`` with ``files`` corpus files under ``frontend/src/corpus``; returns the number
    of TypeScript files in the tree."""
    shutil.copytree(FIXTURE, dest)
    directory, corpus = ui.corpus_files(None)
    ui.make_master(directory, corpus, files, dest / "frontend" / "src" / "corpus")
    return sum(1 for p in dest.rglob("*") if p.suffix in (".ts", ".tsx"))


def compose_tree(dest: Path, copies: int) -> None:
    """The fixture copied ``copies`` times, ``seenNNN/`` each (a compose file, nginx, backend, frontend)."""
    dest.mkdir(parents=True)
    for k in range(copies):
        shutil.copytree(FIXTURE, dest / f"seen{k:03d}")


# -- measuring -------------------------------------------------------------------------------------
class Run:
    """One timed process: wall seconds, peak MiB of its process tree, exit code, what it printed."""

    def __init__(self, cmd: Sequence[str], cwd: Path, env: dict[str, str]) -> None:
        peak = 0
        done = threading.Event()
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def poll() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, ui.tree_rss_kib(proc.pid))
                done.wait(0.005)

        watcher = threading.Thread(target=poll, daemon=True)
        watcher.start()
        out, err = proc.communicate()
        self.wall = time.perf_counter() - start
        done.set()
        watcher.join()
        self.peak_mib = peak / 1024
        self.code = proc.returncode
        self.stdout = out.decode(errors="replace")
        self.stderr = err.decode(errors="replace")


def changed_files(root: Path, original: dict[str, bytes]) -> int:
    now = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    return sum(1 for k, v in now.items() if original.get(k) != v) + sum(1 for k in original if k not in now)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--files", type=int, default=2000, help="TypeScript corpus files in the tree (default 2000)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds; the median is kept (default 3)")
    ap.add_argument("--copies", default="25,50,100", help="fixture copies of the compose-heavy trees")
    ap.add_argument("--jobs", type=int, help="processes for seenfix (SEENFIX_JOBS)")
    ap.add_argument("--no-biome", action="store_true", help="skip Biome (its ratios are not printed)")
    ap.add_argument("--against", metavar="REV", help="also time check and apply of seenfix at this git revision")
    ap.add_argument("--npm-dir", type=Path, default=None)
    ap.add_argument("--work-dir", type=Path, help="make the copies in this folder (default: the system's temp)")
    ap.add_argument("--keep-work", action="store_true", help="keep the copies")
    args = ap.parse_args(argv)
    rounds = max(1, args.rounds)
    copies = [int(c) for c in args.copies.split(",") if c.strip()]
    jobs = args.jobs or ui.worker_count()
    npm_bin = None if args.no_biome else ui.ensure_npm(args.npm_dir or ui.cache_root() / "bench-npm")

    work = Path(tempfile.mkdtemp(prefix="whole-run-bench-", dir=args.work_dir))
    failed = False
    try:
        master = work / "master"
        n_ts = frontend_tree(master, args.files)
        original = {p.relative_to(master).as_posix(): p.read_bytes() for p in master.rglob("*") if p.is_file()}
        (work / "empty").mkdir()
        sizes = sorted({1, *copies})  # one copy: the full path's start-up, subtracted for growth
        for c in sizes:
            compose_tree(work / f"compose-{c}", c)
        py = sys.executable
        base_env = {**os.environ, "SEENFIX_JOBS": str(jobs), "NO_COLOR": "1",
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        base_env.pop("SEENFIX_NO_CACHE", None)
        # measured as installed: with byte-compiled modules (pip writes them), not compiling each run
        base_env.pop("PYTHONDONTWRITEBYTECODE", None)
        cold = {**base_env, "SEENFIX_NO_CACHE": "1"}
        warm_env = {**base_env, "XDG_CACHE_HOME": str(work / "xdg-cache")}
        seenfix = [py, "-m", "seenfix"]
        against_env: dict[str, str] | None = None
        if args.against:  # the revision's package, first on the path
            old = work / "against"
            old.mkdir()
            archive = subprocess.run(["git", "-C", str(REPO), "archive", args.against, "seenfix", "templates"],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
            subprocess.run([py, "-m", "compileall", "-q", str(old / "seenfix")], check=False,
                           stdout=subprocess.DEVNULL)
            against_env = {**cold, "PYTHONPATH": os.pathsep.join([str(old), cold["PYTHONPATH"]])}
        biome = [str(npm_bin / "biome"), "lint", "--max-diagnostics=0", "--no-errors-on-unmatched"] \
            if npm_bin is not None else None

        def checked_once(d: Path) -> None:  # the warm run's copy has been checked before
            subprocess.run([*seenfix, "check", str(d)], cwd=d, env=warm_env, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def checked_then_edited(d: Path) -> None:  # ... and then one file edited (the run cache misses)
            checked_once(d)
            edited = sorted((d / "frontend" / "src" / "corpus").rglob("*.ts"))[0]
            with open(edited, "a", encoding="utf-8") as fh:
                fh.write("\n// edited after the last check\n")

        # name -> (command for a copy, copy made from, environment, prepare the copy untimed)
        Job = tuple[Callable[[Path], list[str]], Path | None, dict[str, str], Callable[[Path], None] | None]
        jobs_: dict[str, Job] = {
            "python -c pass": (lambda d: [py, "-c", "pass"], None, cold, None),
            "seenfix --help": (lambda d: [*seenfix, "--help"], None, cold, None),
            "check empty folder": (lambda d: [*seenfix, "check", str(work / "empty")], None, cold, None),
            "check": (lambda d: [*seenfix, "check", str(d)], master, cold, None),
            # the floor of any analysis on tree-sitter: read and parse every TypeScript file, nothing else
            "parse floor": (lambda d: [py, "-c", ui.FLOOR, str(d), str(jobs)], master, cold, None),
            "warm": (lambda d: [*seenfix, "check", str(d)], master, warm_env, checked_once),
            "warm, 1 file edited": (lambda d: [*seenfix, "check", str(d)], master, warm_env, checked_then_edited),
            "apply --quick-wins": (lambda d: [*seenfix, "apply", "--quick-wins", str(d)], master, cold, None),
        }
        for c in sizes:
            jobs_[f"check x{c}"] = (lambda d: [*seenfix, "check", str(d)], work / f"compose-{c}", cold, None)
        # this tree's run -> the same at the other revision (--against)
        pairs: dict[str, str] = {}
        if against_env is not None:
            pairs = {"check": f"check ({args.against})", "apply --quick-wins": f"apply ({args.against})"}
            for mine, theirs in pairs.items():
                jobs_[theirs] = (jobs_[mine][0], master, against_env, None)
        if biome is not None:
            def with_config(d: Path) -> None:
                (d / "biome.json").write_text(json.dumps(BIOME_CONFIG))
            jobs_["biome lint"] = (lambda d: [*biome, str(d)], master, cold, with_config)
            jobs_["biome lint --write"] = (lambda d: [*biome, "--write", "--unsafe", str(d)], master, cold,
                                           with_config)

        # every copy is made before the first timed run (see unused_imports.py: deleting thousands of
        # files slows down creating files nearby on ext4, which would charge the clean-up to a tool)
        places: dict[tuple[int, str], Path] = {}
        for r in range(rounds):
            for name, (_, source, _, _) in jobs_.items():
                if source is None:
                    places[(r, name)] = work
                    continue
                place = places[(r, name)] = work / f"r{r}-{name.replace(' ', '_').replace('/', '')}"
                shutil.copytree(source, place)
        # the warm copies are checked once when their files are older than the cache's racy window
        # (seenfix.core.cache.StatIndex: a file changed in the last 2 s is read again by the next run,
        # as git does), as a re-run's files usually are; a copy made just now would be read again
        time.sleep(2.1)
        for r in range(rounds):
            for name, (_, _, _, prepare) in jobs_.items():
                if prepare is not None:
                    prepare(places[(r, name)])
        os.sync()
        print(f"tree: fixtures/seen + {args.files} corpus files = {n_ts} TypeScript files, "
              f"{len(original)} files in all; {jobs} process(es) for seenfix; median of {rounds} round(s)")

        runs: dict[str, list[Run]] = {name: [] for name in jobs_}
        subprocess.run([py, "-m", "compileall", "-q", str(REPO / "seenfix")], check=False, env=base_env,
                       stdout=subprocess.DEVNULL)  # as pip installs it: byte-compiled
        for name in ("python -c pass", "seenfix --help", "check empty folder"):  # warm the page cache
            cmd, _, env, _ = jobs_[name]
            Run(cmd(work), work, env)
        # each revision's run next to this tree's, which goes first in even rounds and second in odd
        # ones: a run's writes are flushed while the next one runs, and the host's load drifts
        base_order = [name for name in jobs_ if name not in pairs.values()]
        for r in range(rounds):
            order: list[str] = []
            for name in base_order:
                if name in pairs:
                    order.extend((name, pairs[name]) if r % 2 == 0 else (pairs[name], name))
                else:
                    order.append(name)
            for name in order:
                cmd, _, env, _ = jobs_[name]
                place = places[(r, name)]
                run = Run(cmd(place), place, env)
                if run.code not in (0, 1):
                    print(f"  {name} exited {run.code}: {run.stderr[-800:]}", file=sys.stderr)
                    failed = True
                runs[name].append(run)

        def med(name: str) -> float:
            return statistics.median(r.wall for r in runs[name])

        def peak(name: str) -> float:
            return max(r.peak_mib for r in runs[name])

        cold_out = runs["check"][0].stdout
        findings = sum(1 for line in cold_out.splitlines() if line.strip())
        biome_changed = changed_files(places[(0, "biome lint --write")], {**original}) if biome else None
        print(f"{'run':<24} {'median s':>9} {'peak MiB':>9}  notes")
        for name in jobs_:
            note = ""
            if name == "check":
                note = f"{findings} findings"
            elif name.startswith("warm"):
                same = all(r.stdout == cold_out for r in runs[name])
                note = f"output = cold output: {'yes' if same else 'NO'}"
                failed |= not same
            elif name in ("apply --quick-wins", pairs.get("apply --quick-wins")):
                note = f"{changed_files(places[(0, name)], original)} files changed"
            elif name == "biome lint --write" and biome_changed is not None:
                note = f"{biome_changed - 1} files changed"  # biome.json is new
            print(f"{name:<24} {med(name):9.3f} {peak(name):9.1f}  {note}")

        print()
        if biome is not None:
            for mine, theirs, limit in (("check", "biome lint", 1.0), ("warm", "biome lint", 0.25),
                                        ("apply --quick-wins", "biome lint --write", 1.0)):
                ratio = med(mine) / med(theirs)
                print(f"target: {mine} / {theirs} <= {limit}: {ratio:.2f} {verdict(ratio <= limit)}")
            print(f"no target: warm, 1 file edited / biome lint: {med('warm, 1 file edited') / med('biome lint'):.2f}"
                  " (the run cache misses; the per-file caches answer the other files)")
            print(f"no target: parse floor / biome lint: {med('parse floor') / med('biome lint'):.2f} (reading and "
                  "parsing the TypeScript files alone, in as many processes)")
        else:
            print("biome: skipped (--no-biome or npm missing): no Biome ratios")
        print(f"no target: check / parse floor: {med('check') / med('parse floor'):.2f} (everything seenfix does "
              "beyond reading and parsing the TypeScript files: start-up, every fixer, the report)")
        base = med("python -c pass")
        for mine, limit in (("check empty folder", 4.0), ("seenfix --help", 2.0)):
            ratio = med(mine) / base
            print(f"target: {mine} / python -c pass <= {limit}: {ratio:.2f} {verdict(ratio <= limit)}")
        # start-up of the full path: the check of one copy (an empty folder takes the fast path, which
        # loads no fixer, no parser and no process pool); what grows is the work on the other copies
        one = med("check x1")
        for a, b in zip(copies, copies[1:]):
            ta, tb = med(f"check x{a}"), med(f"check x{b}")
            per_doubling = (tb / ta) ** (1 / _log2(b / a))
            if a > 1 and ta > one and tb > one:
                net = ((tb - one) / (ta - one)) ** (1 / _log2((b - 1) / (a - 1)))
                less = f"less the check of one copy {net:.2f}"
            else:  # on a tiny tree the copies cost less than the timer's noise: only the raw ratio
                net, less = per_doubling, "less the check of one copy n/a"
            print(f"target: check x{b} / check x{a} per doubling in 1.9-2.1: raw {per_doubling:.2f}, "
                  f"{less} {verdict(1.9 <= net <= 2.1)}")
        for ours, theirs in pairs.items():
            print(f"no target: {ours} / {theirs}: {med(ours) / med(theirs):.2f} (this tree's code against "
                  f"{args.against}'s, side by side in every round)")
        worst = max(peak(name) for name in jobs_
                    if name.startswith(("check", "warm", "apply")) and name not in pairs.values())
        print(f"target: seenfix peak memory < {MEMORY_TARGET_MIB:.0f} MiB: {worst:.1f} "
              f"{verdict(worst < MEMORY_TARGET_MIB)}")
    finally:
        if args.keep_work:
            print(f"copies kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 2 if failed else 0


def _log2(x: float) -> float:
    import math

    return math.log2(x)


if __name__ == "__main__":
    sys.exit(main())
