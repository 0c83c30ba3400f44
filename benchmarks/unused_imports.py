#!/usr/bin/env python3
"""How fast is SF009 (unused TypeScript imports) next to a parse floor, Biome and ESLint?

usage: python benchmarks/unused_imports.py [--files N] [--dir DIR] [--jobs J] [--tools LIST]
                                           [--npm-dir DIR] [--repeat R] [--keep-work] [--work-dir DIR]

Builds a corpus of N files (default 2000) by replicating the shared TS corpus's ``mutated/`` files
under distinct paths (``copyNNN/...``; the corpus is built with ``../shared/corpus/ts/build.py`` into
``$SEENFIX_CACHE/ts-corpus``, default ``.cache/ts-corpus``), or takes the ``.ts``/``.tsx`` files of
DIR.  Every tool then runs, as a whole process, on its own fresh copy:

- ``seenfix``: ``python -m seenfix apply --select SF009 COPY``;
- ``check``: ``python -m seenfix check --select SF009 COPY``: the same analysis, nothing written (the
  difference to ``seenfix`` is the cost of writing the changed files atomically);
- ``warm``: the same ``check`` once more on a copy it has already checked, with seenfix's cache on
  (files found clean before are not parsed again: a pre-commit hook's second run);
- ``clean``: ``check`` with the cache on, on a copy that ``apply`` has fixed and ``check`` has seen
  once (untimed; its "changed" column counts what that ``apply`` changed): a pre-commit hook on a
  repository seenfix keeps clean.  Every other seenfix run has
  the cache off (``SEENFIX_NO_CACHE=1``): they measure the work, not the cache;
- ``sf009``: SF009 alone, through a small ``python -c`` entry: discovery, ``check()``, ``fix()`` and
  plain in-place writes, without the runner's verification and its atomic writes (a temporary file
  and a rename per file): what the fixer itself costs;
- ``floor``: a Python process reading and tree-sitter-parsing every file, with the same number of
  processes as seenfix uses (``SEENFIX_JOBS`` or the CPUs this process may run on);
- ``biome``: ``biome lint --write --unsafe`` with only ``noUnusedImports`` enabled;
- ``eslint``: ``eslint --fix`` with only ``unused-imports/no-unused-imports`` (typescript-eslint parser).

Every copy (one per tool and round) is made before the first timed run and flushed to disk, and
none is deleted before the end: deleting thousands of files makes creating files near them slow on
ext4 for about a minute (see the comment in ``main``), which would charge the benchmark's own clean-up
to the tools that create files.  Each round also times a disk probe: replacing 1,000 existing 2 KiB files
by writing a temporary file and renaming it over each, which is what seenfix's atomic writes cost on
this disk at that moment (on a shared virtual disk it varies by an order of magnitude from run to
run; Biome and ESLint write in place, which needs no new file).

Biome and ESLint are installed with npm into ``--npm-dir`` (default ``$SEENFIX_CACHE/bench-npm``) on
first use.  Printed for each tool: wall time (best of ``--repeat``, runs taken round-robin), the CPU
time of that run (all processes), files/second, the ratios of seenfix's and of sf009's wall time to
the tool's, the files it changed, and its peak memory: the largest sum of the
resident set sizes of the tool's process and all its descendants, sampled from ``/proc`` every 5 ms
(``getrusage`` would only give the largest single process).

Targets (issue 18), for ``seenfix`` (SF009's ``apply``): at most 0.8x Biome's wall time, and at most
1.5x the bound: the floor plus atomic writes of the files it changed, at the disk probe's best rate
in the same run (the time of a tool that did no work beyond reading and parsing, but wrote as
seenfix writes).  Every other ratio is printed without a target.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / ".." / "shared" / "corpus" / "ts"
NPM_PACKAGES = ("@biomejs/biome@2.6.8", "eslint@9.39.5", "eslint-plugin-unused-imports@4.4.1",
                "@typescript-eslint/parser@8.73.0", "@typescript-eslint/eslint-plugin@8.73.0",
                "typescript@5.9.3")
#: ``seenfix`` (SF009's ``apply``) next to Biome ``--write``, and next to the bound (the parse floor
#: plus atomic writes of the files it changed, measured by the disk probe in the same run)
TARGETS = {"biome": 0.8, "bound": 1.5}
MEMORY_TARGET_MIB = 150

BIOME_CONFIG = {
    "files": {"ignoreUnknown": True},
    "formatter": {"enabled": False},
    "assist": {"enabled": False},
    "linter": {"enabled": True, "rules": {"recommended": False, "correctness": {"noUnusedImports": "error"}}},
}
ESLINT_CONFIG = """\
import tsParser from "@typescript-eslint/parser";
import unusedImports from "eslint-plugin-unused-imports";
export default [{
  files: ["**/*.ts", "**/*.tsx"],
  languageOptions: { parser: tsParser, parserOptions: { ecmaFeatures: { jsx: true } } },
  plugins: { "unused-imports": unusedImports },
  rules: { "unused-imports/no-unused-imports": "error" },
}];
"""

FLOOR = """\
import os, sys
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
root, jobs = sys.argv[1], int(sys.argv[2])
paths = []
for d, dirs, files in os.walk(root):
    dirs[:] = [x for x in dirs if x not in ("node_modules", ".git")]
    paths += [os.path.join(d, f) for f in files if f.endswith((".ts", ".tsx")) and not f.endswith(".d.ts")]
def parse(chunk):
    import tree_sitter_typescript as tst
    from tree_sitter import Language, Parser
    parsers = {True: Parser(Language(tst.language_tsx())), False: Parser(Language(tst.language_typescript()))}
    bad = 0
    for p in chunk:
        with open(p, "rb") as fh:
            bad += parsers[p.endswith(".tsx")].parse(fh.read()).root_node.has_error
    return bad
if jobs == 1:
    parse(paths)
else:
    chunks = [paths[k::jobs] for k in range(jobs)]
    with ProcessPoolExecutor(jobs - 1, mp_context=multiprocessing.get_context("fork")) as pool:
        futs = [pool.submit(parse, c) for c in chunks[1:]]
        parse(chunks[0])
        [f.result() for f in futs]
"""

CORE = """\
import sys
from pathlib import Path
from seenfix.fixers.unused_typescript_import import UnusedTypescriptImport
from seenfix.core.project import Project
from seenfix.core.workspace import Workspace
root = Path(sys.argv[1])
project = Project(Workspace(root))
fixer = UnusedTypescriptImport()
list(fixer.check(project))
for change in fixer.fix(project):
    (root / change.path).write_bytes(change.content.encode("utf-8"))
"""


# -- corpus ----------------------------------------------------------------------------------------
def cache_root() -> Path:
    base = os.environ.get("SEENFIX_CACHE")
    return Path(base) if base else REPO / ".cache"


def corpus_files(directory: Path | None) -> tuple[Path, list[Path]]:
    if directory is None:
        out = cache_root() / "ts-corpus"
        if not (CORPUS / "build.py").is_file():
            sys.exit(f"the shared TypeScript corpus is absent ({CORPUS}); pass --dir")
        subprocess.run([sys.executable, str(CORPUS / "build.py"), str(out)], check=True,
                       stdout=subprocess.DEVNULL)
        directory = out / "mutated"
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".ts", ".tsx") and p.is_file()
                   and "node_modules" not in p.parts and not p.name.endswith(".d.ts"))
    return directory, files


def make_master(directory: Path, files: list[Path], n: int | None, dest: Path) -> int:
    """Copy ``files`` into ``dest`` (replicated under copyNNN/ up to ``n`` files when ``n`` is set)."""
    count = 0
    if n is None:
        for f in files:
            target = dest / f.relative_to(directory)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target)
            count += 1
        return count
    copy = 0
    while count < n:
        for f in files:
            if count >= n:
                break
            target = dest / f"copy{copy:03d}" / f.relative_to(directory)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target)
            count += 1
        copy += 1
    return count


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and p.suffix in (".ts", ".tsx") and "node_modules" not in p.parts}


# -- measuring -------------------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
    except OSError:
        pass
    return out


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss_kib(pid: int) -> int:
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _rss_kib(p)
        todo.extend(_children(p))
    return total


def timed(cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, float, int]:
    """Run ``cmd``; return (wall seconds, CPU seconds, peak MiB of the process tree, exit code)."""
    peak = 0
    done = threading.Event()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kib(proc.pid))
            done.wait(0.005)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    done.set()
    watcher.join()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        print(f"  {cmd[0]} exited {proc.returncode}: {err.decode(errors='replace')[-500:]}", file=sys.stderr)
    return wall, cpu, peak / 1024, proc.returncode


PROBE_FILES = 1000


def prepare_probe(scratch: Path) -> None:
    scratch.mkdir()
    for i in range(PROBE_FILES):
        (scratch / f"f{i}.ts").write_bytes(b"export const x = 1;\n" * 100)


def disk_probe(scratch: Path) -> float:
    """Seconds to replace the ``PROBE_FILES`` files of ``scratch`` atomically (temporary file and
    rename), as seenfix writes a changed file."""
    os.sync()
    start = time.perf_counter()
    for i in range(PROBE_FILES):
        tmp = scratch / f".f{i}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(b"export const y = 2;\n" * 100)
        os.replace(tmp, scratch / f"f{i}.ts")
    return time.perf_counter() - start


def ensure_npm(npm_dir: Path) -> Path | None:
    bin_dir = npm_dir / "node_modules" / ".bin"
    if (bin_dir / "biome").exists() and (bin_dir / "eslint").exists():
        return bin_dir
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found: Biome and ESLint are skipped", file=sys.stderr)
        return None
    npm_dir.mkdir(parents=True, exist_ok=True)
    print(f"installing {' '.join(NPM_PACKAGES)} into {npm_dir}", file=sys.stderr)
    subprocess.run([npm, "install", "--prefix", str(npm_dir), "--no-audit", "--no-fund", *NPM_PACKAGES],
                   check=True, stdout=subprocess.DEVNULL)
    return bin_dir


def worker_count() -> int:
    sys.path.insert(0, str(REPO))
    from seenfix.core.parallel import worker_count as wc

    return wc()


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--files", type=int, default=2000, help="number of files to replicate (default 2000)")
    ap.add_argument("--dir", type=Path, help="benchmark on this directory's .ts/.tsx files instead")
    ap.add_argument("--jobs", type=int, help="processes for seenfix and the floor (SEENFIX_JOBS)")
    ap.add_argument("--tools", default="seenfix,check,warm,clean,sf009,floor,biome,eslint")
    ap.add_argument("--npm-dir", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool; the best is kept (default 3)")
    ap.add_argument("--keep-work", action="store_true", help="keep the temporary copies")
    ap.add_argument("--work-dir", type=Path, help="make the copies in this folder (default: the system's temp)")
    args = ap.parse_args(argv)

    jobs = args.jobs or worker_count()
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    directory, files = corpus_files(args.dir)
    npm_bin = ensure_npm(args.npm_dir or cache_root() / "bench-npm") if {"biome", "eslint"} & set(tools) else None
    work = Path(tempfile.mkdtemp(prefix="sf009-bench-", dir=args.work_dir))
    try:
        master = work / "master"
        n = make_master(directory, files, None if args.dir else args.files, master)
        original = snapshot(master)
        env = {**os.environ, "SEENFIX_JOBS": str(jobs), "NO_COLOR": "1", "SEENFIX_NO_CACHE": "1",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        commands = {
            "seenfix": lambda d: [sys.executable, "-m", "seenfix", "apply", "--select", "SF009", str(d)],
            "check": lambda d: [sys.executable, "-m", "seenfix", "check", "--select", "SF009", str(d)],
            "warm": lambda d: [sys.executable, "-m", "seenfix", "check", "--select", "SF009", str(d)],
            "clean": lambda d: [sys.executable, "-m", "seenfix", "check", "--select", "SF009", str(d)],
            "sf009": lambda d: [sys.executable, "-c", CORE, str(d)],
            "floor": lambda d: [sys.executable, "-c", FLOOR, str(d), str(jobs)],
        }
        if npm_bin is not None:
            commands["biome"] = lambda d: [str(npm_bin / "biome"), "lint", "--write", "--unsafe",
                                           "--max-diagnostics=0", "--no-errors-on-unmatched", str(d)]
            commands["eslint"] = lambda d: [str(npm_bin / "eslint"), "--fix", "--no-warn-ignored", str(d)]
        print(f"{n} files ({sum(map(len, original.values())) // 1024} KiB) from {directory}; "
              f"{jobs} process(es) for seenfix and the floor; best of {args.repeat}")
        runnable = [t for t in tools if t in commands]
        for tool in tools:
            if tool not in commands:
                print(f"  {tool}: skipped (not available)")
        # Every copy is made before the first run and none is deleted until the end: on ext4 a new
        # file's inode is not taken from those deleted in the last minute, and skipping past them
        # (ext4's recently_deleted(), which `perf` shows taking most of the time) makes creating files
        # in a folder whose previous copy was just deleted cost ~0.5 ms each, a cost of the
        # benchmark's own clean-up that would fall on the tools that create files (seenfix's atomic
        # writes), not on those that write in place.
        rounds = max(1, args.repeat)
        copies: dict[tuple[int, str], Path] = {}
        for r in range(rounds):
            prepare_probe(work / f"probe-{r}")
            for tool in runnable:
                copy = copies[(r, tool)] = work / f"run-{r}-{tool}"
                shutil.copytree(master, copy)
                if tool == "biome":
                    (copy / "biome.json").write_text(json.dumps(BIOME_CONFIG))
                elif tool == "eslint":
                    (copy / "eslint.config.mjs").write_text(ESLINT_CONFIG)
                    os.symlink(npm_bin.parent if npm_bin else work, copy / "node_modules")
        os.sync()
        # (wall, cpu, peak MiB, changed files); runs go round-robin so that load from other
        # processes on the machine spreads over every tool; the best wall time is kept
        results: dict[str, tuple[float, float, float, int]] = {}
        probes: list[float] = []
        for r in range(rounds):
            probes.append(disk_probe(work / f"probe-{r}"))
            for tool in runnable:
                copy = copies[(r, tool)]
                os.sync()
                run_env = env
                if tool in ("warm", "clean"):  # the cache on, in the work folder, filled untimed
                    run_env = {k: v for k, v in env.items() if k != "SEENFIX_NO_CACHE"}
                    run_env["XDG_CACHE_HOME"] = str(work / "xdg-cache")
                    before = [commands["seenfix"](copy)] if tool == "clean" else []
                    for cmd in [*before, commands[tool](copy)]:
                        subprocess.run(cmd, cwd=copy, env=run_env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, check=False)
                wall, cpu, mem, _ = timed(commands[tool](copy), copy, run_env)
                changed = sum(1 for k, v in snapshot(copy).items() if original.get(k) != v)
                old = results.get(tool)
                if old is None or wall < old[0]:
                    results[tool] = (wall, cpu, max(mem, old[2] if old else 0.0), changed)
                else:
                    results[tool] = (old[0], old[1], max(mem, old[2]), old[3])
        seen = results.get("seenfix")
        print(f"disk probe (atomic replace of {PROBE_FILES} 2 KiB files, one process): best {min(probes):.2f} s, "
              f"worst {max(probes):.2f} s")
        print(f"{'tool':8s} {'wall s':>8s} {'cpu s':>7s} {'files/s':>9s} {'seenfix/x':>10s} {'sf009/x':>8s} "
              f"{'changed':>8s} {'peak MiB':>9s}")
        core = results.get("sf009")
        for tool, (wall, cpu, mem, changed) in results.items():
            ratio = f"{seen[0] / wall:10.2f}" if seen else f"{'':>10s}"
            ratio2 = f"{core[0] / wall:8.2f}" if core else f"{'':>8s}"
            print(f"{tool:8s} {wall:8.2f} {cpu:7.2f} {n / wall:9.0f} {ratio} {ratio2} {changed:8d} {mem:9.1f}")
        floor, seen = results.get("floor"), results.get("seenfix")
        times = {tool: r[0] for tool, r in results.items()}
        if floor is not None and seen is not None and probes:
            # what a tool that did no work beyond the floor's but wrote seenfix's changed files
            # atomically would take: the floor's time plus the probe's time for that many files
            bound = floor[0] + min(probes) * seen[3] / PROBE_FILES
            times["bound"] = bound
            print(f"bound: floor + atomic writes of {seen[3]} files (probe) = {bound:.2f} s = "
                  f"{bound / floor[0]:.2f} x floor; seenfix's work beyond that: {seen[0] - bound:.2f} s")
        for name, mine in (("seenfix", seen), ("check", results.get("check")), ("warm", results.get("warm")),
                           ("clean", results.get("clean")), ("sf009", core)):
            if mine is None:
                continue
            for tool in ("biome", "floor", "bound"):
                if tool not in times or (tool == "bound" and name != "seenfix"):
                    continue
                ratio = mine[0] / times[tool]
                limit = TARGETS.get(tool) if name == "seenfix" else None
                if limit is None:
                    print(f"no target: {name} / {tool}: {ratio:.2f}")
                else:
                    print(f"target: {name} / {tool} <= {limit}: {ratio:.2f} {'ok' if ratio <= limit else 'MISSED'}")
            print(f"target: {name} peak memory < {MEMORY_TARGET_MIB} MiB: {mine[2]:.1f} "
                  f"{'ok' if mine[2] < MEMORY_TARGET_MIB else 'MISSED'}")
    finally:
        if args.keep_work:
            print(f"copies kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
