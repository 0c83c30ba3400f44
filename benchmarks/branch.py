"""Building the fix branch vs ``git worktree add`` of the same commit, on a 100,000-file repository.

    python benchmarks/branch.py [--files 100000] [--changed 5] [--keep DIR]

The repository is generated with ``git fast-import`` (seconds, not minutes) and checked out once,
untimed (seenfix checks that the files it commits are in the working tree as in the base).  The fix
branch (two fixer steps touching ``--changed`` files) is built with
``seenfix.gitops.branch.sync_branch``, which must not check anything out; ``git worktree add``
writes every file.  Both are timed in the same run
and the ratio must stay well under 0.1 (exit code 1 otherwise).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seenfix.gitops import branch as br  # noqa: E402
from seenfix.core.model import (  # noqa: E402
    Applicability,
    FileChange,
    FixAvailability,
    FixerInfo,
    Severity,
    Step,
)

LIMIT = 0.1


def generate(repo: Path, files: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    per_dir = 100
    chunks = ["commit refs/heads/main\ncommitter Bench <bench@example.com> 1700000000 +0000\n"
              "data 8\ngenerate\n"]
    for i in range(files):
        data = f"file {i}\nline two of {i}\n".encode()
        chunks.append(f"M 100644 inline d{i // per_dir:04d}/f{i % per_dir:03d}.txt\ndata {len(data)}\n")
        chunks.append(data.decode() + "\n")
    stream = "".join(chunks).encode()
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=stream, check=True)
    subprocess.run(["git", "-C", str(repo), "symbolic-ref", "HEAD", "refs/heads/main"], check=True)
    # a working tree and an index, as every repository seenfix runs in has (untimed)
    subprocess.run(["git", "-C", str(repo), "reset", "-q", "--hard"], check=True)


def steps(files: int, changed: int, salt: str) -> list[Step]:
    def info(code: str) -> FixerInfo:
        return FixerInfo(code, code.lower(), f"Bench {code}", 1, "bench", Severity.LOW,
                         FixAvailability.ALWAYS, Applicability.SAFE, frozenset({"all"}),
                         "## Why is this bad?\nBenchmark.\n")

    picks = [(k * 7919) % files for k in range(changed)]
    paths = [f"d{i // 100:04d}/f{i % 100:03d}.txt" for i in picks]
    half = max(1, changed // 2)
    return [
        Step(info("SF101"), tuple(FileChange(p, f"fixed once {salt}\n") for p in paths[:half]), ()),
        Step(info("SF102"), tuple(FileChange(p, f"fixed twice {salt}\n") for p in paths[half:]), ()),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--changed", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="seenfix-bench-") as tmp:
        work = args.keep or Path(tmp)
        repo = work / "repo"
        t0 = time.perf_counter()
        generate(repo, args.files)
        print(f"generated {args.files} tracked files in {time.perf_counter() - t0:.2f} s")

        git = br.Git(repo)
        me = br.Identity("Bench", "bench@example.com")
        times = []
        for run in range(3):
            t0 = time.perf_counter()
            result = br.sync_branch(git, steps(args.files, args.changed, str(run)), branch=f"seenfix/bench{run}",
                                    base=None, remote="origin", identity=me, push_remote=False)
            times.append(time.perf_counter() - t0)
            assert result.commits == 2, result
        branch_s = statistics.median(times)

        t0 = time.perf_counter()
        subprocess.run(["git", "-C", str(repo), "worktree", "add", "-q", "--detach", str(work / "wt"), "main"],
                       check=True)
        worktree_s = time.perf_counter() - t0
        checked_out = sum(1 for p in (work / "wt").rglob("*.txt"))

    ratio = branch_s / worktree_s
    print(f"fix branch ({args.changed} changed files, 2 commits): {branch_s * 1000:.0f} ms (median of 3)")
    print(f"git worktree add ({checked_out} files):               {worktree_s * 1000:.0f} ms")
    print(f"ratio: {ratio:.3f} (must be < {LIMIT})")
    return 0 if ratio < LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
