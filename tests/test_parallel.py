"""seenfix.core.parallel: files read and processed in worker processes give what one process gives."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from seenfix.core.model import FileChange
from seenfix.core.parallel import map_files, run_parallel
from seenfix.core.project import Project
from seenfix.core.workspace import Workspace


def shout(path: str, text: str, suffix: str, delay: float = 0.0) -> tuple[tuple[str, int], bool]:
    """Upper-case texts that say "change"; keep the text of those only."""
    time.sleep(delay)  # long enough for every process to get some of the work
    return (text.upper() + suffix, os.getpid()), "change" in text


def _tree(root: Path, n: int = 120) -> list[str]:
    names = []
    for i in range(n):
        rel = f"d{i % 7}/f{i:03d}.txt"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"file {i} {'change' if i % 3 == 0 else 'keep'}\n")
        names.append(rel)
    (root / "binary.txt").write_bytes(b"\0\1\2")
    (root / "latin.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    return sorted(names) + ["binary.txt", "latin.txt", "gone.txt"]


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_map_files_reads_in_workers_and_gives_the_serial_answer(tmp_path: Path, jobs: int) -> None:
    paths = _tree(tmp_path)
    project = Project(Workspace(tmp_path))
    got = map_files(project, paths, shout, ("!", 0.004), jobs=jobs)
    assert [p for p, _ in got] == [p for p in paths if p.endswith("txt") and p not in
                                   ("binary.txt", "latin.txt", "gone.txt")]
    for path, (text, _pid) in got:
        assert text == (tmp_path / path).read_text().upper() + "!"
    pids = {pid for _, (_, pid) in got}
    assert os.getpid() in pids  # the calling process took chunks from the back...
    assert (len(pids) > 1) == (jobs > 1)  # ...and forked workers from the front
    assert sorted(project.workspace.warnings) == ["binary.txt: skipped, binary file",
                                                  "latin.txt: skipped, not valid UTF-8 (line 1)"]
    # the texts of the files that change came back with the results: the runner does not read them
    # again (they are gone from disk now, and still known)
    changing = [p for p, _ in got if "change" in (tmp_path / p).read_text()]
    for path in changing:
        (tmp_path / path).unlink()
    for path in changing:
        assert project.read_text(path) is not None and project.encoding_of(path) is not None


def test_map_files_sends_the_overlay_text_not_the_disk_one(tmp_path: Path) -> None:
    paths = _tree(tmp_path)[:100]
    project = Project(Workspace(tmp_path)).with_changes([FileChange(paths[5], "changed in memory\n")])
    got = dict(map_files(project, paths, shout, ("",), jobs=2))
    assert got[paths[5]][0] == "CHANGED IN MEMORY\n"
    assert got[paths[6]][0] == (tmp_path / paths[6]).read_text().upper()


def test_run_parallel_without_a_reader_keeps_order_and_skips_missing_texts() -> None:
    items = [(f"f{i}", None if i == 7 else f"t{i}") for i in range(100)]
    out = run_parallel(items, shout, ("",), jobs=2)
    assert out[7] is None
    assert [o[0][0] for o in out if o is not None] == [f"T{i}" for i in range(100) if i != 7]


def die_in_workers(path: str, text: str, parent: int, marker: str) -> tuple[tuple[str, int], bool]:
    """Kill any worker process at its first file (a crash, an OOM kill); work in the parent."""
    if os.getpid() != parent:
        with open(marker, "w") as fh:
            fh.write(path)
        os._exit(1)
    time.sleep(0.002)
    return (text.upper(), os.getpid()), False


def test_a_worker_that_dies_leaves_its_files_to_the_calling_process(tmp_path: Path) -> None:
    items = [(f"f{i:03d}", f"t{i}") for i in range(200)]
    marker = tmp_path / "died"
    out = run_parallel(items, die_in_workers, (os.getpid(), str(marker)), jobs=2)
    assert marker.exists()  # a worker did take a chunk, and died on it
    assert [o[0][0] for o in out] == [f"T{i}" for i in range(200)]
    assert {o[0][1] for o in out} == {os.getpid()}  # so its chunk was done here


def test_a_light_pass_answers_changed_texts_in_the_calling_process(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """``FilePass.light``: texts the overlay changed are worked out here, no worker and no cache."""
    from seenfix.core import parallel
    from seenfix.core.filepass import FilePass, run_pass

    for i in range(100):
        (tmp_path / f"f{i:03d}.ts").write_text(f"const x{i} = 1;\n")
    project = Project(Workspace(tmp_path)).with_changes(
        [FileChange(f"f{i:03d}.ts", f"const VITE_{i} = 1;\n") for i in range(0, 100, 2)])

    def mentions(path: str, text: str) -> tuple[bool, bool]:
        return "VITE_" in text, False

    def no_workers(*args: object, **kwargs: object) -> object:
        raise AssertionError("a light pass sent changed texts to workers")

    spec = FilePass("light", [f"f{i:03d}.ts" for i in range(100)], mentions, light=True)
    changed = [f"f{i:03d}.ts" for i in range(0, 100, 2)]
    monkeypatch.setattr(parallel, "run_parallel", no_workers)
    assert dict(run_pass(project, spec, changed)) == {p: True for p in changed}
    assert sorted(spec.computed) == changed


def test_meanwhile_runs_once_here_while_the_workers_work() -> None:
    """``meanwhile`` (what the caller will need after the pass) runs once, in the calling process,
    after the workers started and before it takes its own share: the workers answer files while it
    runs.  Without workers (one job, few files) it is not run: nothing would overlap."""
    items = [(f"f{i:03d}", f"t{i}") for i in range(200)]
    calls: list[int] = []

    def meanwhile() -> None:
        calls.append(os.getpid())
        time.sleep(0.3)  # the workers meanwhile take files

    out = run_parallel(items, shout, ("", 0.002), jobs=2, meanwhile=meanwhile)
    assert calls == [os.getpid()]
    assert [o[0][0] for o in out] == [f"T{i}" for i in range(200)]
    assert len({o[0][1] for o in out}) == 2  # both processes took files...
    here = sum(1 for o in out if o[0][1] == os.getpid())
    assert here < 100  # ... the worker most, having started first
    calls.clear()
    run_parallel(items, shout, ("",), jobs=1, meanwhile=meanwhile)
    run_parallel(items[:10], shout, ("",), jobs=2, meanwhile=meanwhile)
    assert calls == []


def frozen(path: str, text: str) -> tuple[tuple[int, int], bool]:
    """How many objects the cyclic collector leaves alone here, and in which process."""
    import gc

    time.sleep(0.004)  # long enough for every process to get some of the work
    return (gc.get_freeze_count(), os.getpid()), False


def test_the_pass_keeps_what_existed_before_it_out_of_the_collectors_sight() -> None:
    """``gc.freeze()`` before the workers fork (their collections then walk only what the pass
    makes, and never touch the pages they share with the calling process), undone after."""
    import gc

    assert gc.get_freeze_count() == 0
    items = [(f"f{i}.txt", "x") for i in range(120)]
    got = run_parallel(items, frozen, jobs=2)
    assert gc.get_freeze_count() == 0  # the calling process's collector sees everything again
    assert len({pid for (_, pid), _ in got}) == 2  # the calling process and a worker ...
    assert all(count > 1000 for (count, _), _ in got)  # ... each with the objects of before frozen


@pytest.mark.parametrize("total,jobs", [(0, 2), (1, 2), (47, 2), (2032, 2), (5000, 4), (333, 3)])
def test_guided_chunks_cover_every_item_once_and_shrink(total: int, jobs: int) -> None:
    from seenfix.core.parallel import MIN_CHUNK, guided_chunks

    chunks = guided_chunks(total, jobs)
    assert [i for chunk in chunks for i in chunk] == list(range(total))
    sizes = [len(c) for c in chunks]
    assert sizes == sorted(sizes, reverse=True)
    assert all(size >= MIN_CHUNK for size in sizes[:-1])
    if total >= 1000:  # a few large claims first, small ones at the end
        assert sizes[0] >= total // (2 * jobs) and sizes[-2] == MIN_CHUNK and len(chunks) < total // 20


def fail_in_workers(path: str, text: str, parent: int) -> tuple[str, bool]:
    """Raise in any worker process (a bug in a pass); work in the parent."""
    time.sleep(0.002)
    if os.getpid() != parent:
        raise ValueError(f"cannot read {path}")
    return text, False


def test_an_exception_in_a_worker_is_raised_in_the_calling_process() -> None:
    items = [(f"f{i:03d}", f"t{i}") for i in range(200)]
    with pytest.raises(ValueError, match=r"^cannot read f\d{3}$"):
        run_parallel(items, fail_in_workers, (os.getpid(),), jobs=2)


_DONE_HERE: list[str] = []


def stop_in_parent(path: str, text: str, parent: int, pids: str) -> tuple[str, bool]:
    """Workers note their pid and go on slowly; the calling process is interrupted at its 15th file."""
    if os.getpid() != parent:
        with open(pids, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        time.sleep(0.05)
        return text, False
    _DONE_HERE.append(path)
    time.sleep(0.01)
    if len(_DONE_HERE) == 15:
        raise KeyboardInterrupt
    return text, False


def test_an_interrupted_pass_stops_and_reaps_its_workers(tmp_path: Path) -> None:
    """Ctrl-C (or SIGTERM's SystemExit) in the calling process while workers run: it propagates, and
    no worker is left running or unreaped."""
    pids = tmp_path / "pids"
    items = [(f"f{i:03d}", f"t{i}") for i in range(200)]
    with pytest.raises(KeyboardInterrupt):
        run_parallel(items, stop_in_parent, (os.getpid(), str(pids)), jobs=3)
    workers = {int(p) for p in pids.read_text().split()}
    assert len(workers) == 2
    for pid in workers:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped already: not a child any more
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # and gone
