"""Interrupts: real signals sent to a real ``seenfix apply`` at random moments (issue 15, item 6).

SIGINT/SIGTERM: the tree is wholly old or wholly new, every file wholly old or wholly new, and no
temporary file remains.  ``kill -9``: every file is wholly old or wholly new; temporary files may remain,
and the next run removes them.  Each case runs a bounded number of times (``TRIES``), at moments drawn
over the length of an uninterrupted run, with a fixed seed (printed on failure) so a failure repeats.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURE_SEEN, PLUGINS, init_repo

TRIES = 6
DOCS = 200
ARGS = ["apply", "--select", "SF901,SF001,SF003", "--unsafe-fixes", "--force"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["PYTHONPATH"] = os.pathsep.join([str(PLUGINS), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """The SEEN fixture plus many Markdown files the demo plugin fixes (so the write phase takes a
    while), as a git repository; with every file's bytes before and after an uninterrupted run."""
    base = tmp_path_factory.mktemp("interrupts")
    root = base / "pristine"
    shutil.copytree(FIXTURE_SEEN, root)
    docs = root / "docs"
    docs.mkdir()
    for i in range(DOCS):
        (docs / f"page{i:03d}.md").write_text("".join(f"line {n} of page {i}   \n" for n in range(400)))
    init_repo(root)
    old = _files(root)
    done = base / "done"
    shutil.copytree(root, done, symlinks=True)
    proc = subprocess.run([sys.executable, "-m", "seenfix", *ARGS, str(done)], capture_output=True, text=True,
                          env=_env())
    assert proc.returncode == 1, proc.stderr
    new = _files(done)
    assert ".env" in new and sum(new[p] != old.get(p) for p in new) > DOCS
    return root, old, new


def _files(root: Path) -> dict[str, bytes]:
    """Every file's bytes, the generated secret (random in each run) replaced by ``<secret>``."""
    out = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
           if p.is_file() and ".git" not in p.relative_to(root).parts}
    if ".env" in out:
        out[".env"] = re.sub(rb"(?m)^(JWT_SECRET=).*$", rb"\1<secret>", out[".env"])
    return out


def _run_and_signal(copy: Path, sig: int, delay: float, *, in_write: bool) -> subprocess.CompletedProcess[str]:
    """Start seenfix on ``copy`` and send ``sig`` after ``delay`` seconds; with ``in_write``, ``delay``
    seconds after the first temporary file appears (the write phase is a small part of a run)."""
    proc = subprocess.Popen([sys.executable, "-m", "seenfix", *ARGS, str(copy)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env())
    if in_write:
        docs = str(copy / "docs")
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if any(name.endswith(".seenfix-tmp") for name in os.listdir(docs)):
                break
            time.sleep(0.0005)
    time.sleep(delay)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _duration(pristine: tuple[Path, dict[str, bytes], dict[str, bytes]], tmp_path: Path) -> float:
    copy = tmp_path / "timing"
    shutil.copytree(pristine[0], copy, symlinks=True)
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "seenfix", *ARGS, str(copy)], capture_output=True, env=_env())
    return time.monotonic() - start


def _check_each_file(copy: Path, old: dict[str, bytes], new: dict[str, bytes], seed: int) -> dict[str, bytes]:
    now = _files(copy)
    temps = [p for p in now if p.endswith(".seenfix-tmp")]
    for path, data in now.items():
        if path in temps:
            continue
        assert data in (old.get(path), new.get(path)), f"{path} is torn (seed {seed})"
    for path in old:
        assert path in now, f"{path} was lost (seed {seed})"
    return now


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_sigint_and_sigterm_leave_the_tree_old_or_new_and_no_temporary_file(
        pristine: tuple[Path, dict[str, bytes], dict[str, bytes]], tmp_path: Path, sig: int) -> None:
    root, old, new = pristine
    duration = _duration(pristine, tmp_path)
    seed = 15_000 + int(sig)
    rng = random.Random(seed)
    outcomes = set()
    for i in range(TRIES):
        copy = tmp_path / f"try{i}"
        shutil.copytree(root, copy, symlinks=True)
        in_write = i % 2 == 1  # every other try aims at the write phase
        proc = _run_and_signal(copy, sig, rng.uniform(0, 0.05) if in_write else rng.uniform(0.05, duration * 1.1),
                               in_write=in_write)
        now = _check_each_file(copy, old, new, seed)
        assert not [p for p in now if p.endswith(".seenfix-tmp")], f"temporary files remain (seed {seed})"
        state = "new" if now == new else "old" if now == old else "mixed"
        assert state != "mixed", f"a half-applied tree after {signal.Signals(sig).name} (seed {seed})"
        assert proc.returncode in (1, 128 + sig, -sig), proc.stderr
        if proc.returncode == 128 + sig:
            assert "seenfix: interrupted" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        outcomes.add(state)
        shutil.rmtree(copy)
    assert outcomes, "no run was interrupted"


def test_kill_9_leaves_whole_files_and_the_next_run_removes_temporary_files(
        pristine: tuple[Path, dict[str, bytes], dict[str, bytes]], tmp_path: Path) -> None:
    root, old, new = pristine
    duration = _duration(pristine, tmp_path)
    seed = 15_009
    rng = random.Random(seed)
    for i in range(TRIES):
        copy = tmp_path / f"try{i}"
        shutil.copytree(root, copy, symlinks=True)
        in_write = i % 4 != 0  # most tries aim at the write phase
        _run_and_signal(copy, signal.SIGKILL, rng.uniform(0, 0.05) if in_write else rng.uniform(0.05, duration),
                        in_write=in_write)
        now = _check_each_file(copy, old, new, seed)
        status = subprocess.run(["git", "-C", str(copy), "status", "--porcelain", "--untracked-files=all"],
                                capture_output=True, text=True, check=True).stdout
        assert ".seenfix-tmp" not in status, f"git would commit a temporary file (seed {seed})"
        again = subprocess.run([sys.executable, "-m", "seenfix", *ARGS, str(copy)], capture_output=True, text=True,
                               env=_env())
        assert "Traceback" not in again.stderr, again.stderr
        after = _check_each_file(copy, old, new, seed)
        assert not [p for p in after if p.endswith(".seenfix-tmp")], f"temporary files remain (seed {seed})"
        assert not list((copy / ".git").glob("seenfix-pending.*")), "a journal of a dead run remains"
        assert after == new, f"the next run did not finish the job (seed {seed})"
        if any(p.endswith(".seenfix-tmp") for p in now):
            assert "a temporary file an interrupted run left" in again.stderr
        shutil.rmtree(copy)


def test_a_stop_that_python_turned_into_an_error_still_writes_nothing(tmp_path: Path) -> None:
    """SIGTERM while a class is being built (a library imported at that moment): Python 3.11 wraps the
    handler's SystemExit in a RuntimeError, which reads as one fixer's crash. The run must still stop
    before writing the other fixers' changes, with the signal's exit code."""
    root = tmp_path / "proj"
    shutil.copytree(FIXTURE_SEEN, root)
    (root / "NOTES.md").write_text("trailing   \n")
    (root / ".seenfix.toml").write_text("[fixers.SF901]\nsigterm_in_set_name = true\n")
    init_repo(root)
    before = _files(root)
    proc = subprocess.run([sys.executable, "-m", "seenfix", "apply", "--select", "SF007,SF011,SF901", str(root)],
                          capture_output=True, text=True, env=_env(), timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, proc.stdout + proc.stderr
    assert "interrupted (SIGTERM)" in proc.stderr
    assert "crashed" not in proc.stderr and "Traceback" not in proc.stderr
    assert _files(root) == before
