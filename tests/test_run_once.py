"""One run parses each file once and reads each file once, however many fixers want it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seenfix.core import memo as memo_mod
from seenfix.core.config import load_config
from seenfix.core.memo import Memo
from seenfix.core.model import InputError
from seenfix.core.registry import load
from seenfix.core.workspace import Workspace
from seenfix.editors import yaml as Y
from seenfix.engine.run import RunResult, run
from tests.conftest import FIXTURE_SEEN


def _run_all(root: Path, *, fix: bool = False) -> RunResult:
    reg = load()
    return run(root, [reg.find(code) for code in reg.codes()], load_config(root, reg, None), fix=fix)  # type: ignore[misc]


def test_each_compose_file_is_parsed_once_per_run_however_many(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """40 copies of the SEEN layout (more than the 32 parses the old global cache held): the compose
    fixers and SF001 share one parse of each compose file, one composed node tree, and SF001 and SF006
    one CPython tree of each Python file (a check parses none with libcst).  In one process, so that its
    memo sees every parse (in parallel, the passes that read a file run in the same process, and so
    share its parse there: SF001's and SF006's of a Python file), and without the cache (whose
    answers would leave nothing to parse)."""
    monkeypatch.setenv("SEENFIX_JOBS", "1")
    monkeypatch.setenv("SEENFIX_NO_CACHE", "1")
    for k in range(40):
        shutil.copytree(FIXTURE_SEEN, tmp_path / f"seen{k:02d}")
    asked: dict[str, set[tuple[str, str]]] = {}
    real = Memo.get

    def get(self: Memo, kind: str, path: str, text: str, compute: object) -> object:
        asked.setdefault(kind, set()).add((path, text))
        return real(self, kind, path, text, compute)  # type: ignore[arg-type]

    monkeypatch.setattr(Memo, "get", get)
    result = _run_all(tmp_path)
    assert result.final is not None
    assert len(result.final.layout.compose_files) == 40
    computed = result.final.memo.computed
    assert computed["yaml"] == computed["yaml-nodes"] == 40
    assert computed["python-ast"] >= 40 and "python" not in computed and "python-metadata" not in computed
    assert computed == {kind: len(keys) for kind, keys in asked.items()}  # each text parsed once
    assert {f.code for f in result.findings} >= {"SF001", "SF004", "SF007", "SF010", "SF011", "SF012"}
    assert len(result.final.memo) == 0  # dropped once the run is over


def test_apply_parses_each_compose_text_once_verification_included(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Each text a fixer writes is parsed once: the engine's syntax check of the output and the next
    fixer's read of it share the parse (no separate multi-document load of a one-document file)."""
    from ruamel.yaml import YAML

    for k in range(3):
        shutil.copytree(FIXTURE_SEEN, tmp_path / f"seen{k}")
    asked: dict[str, list[tuple[str, str]]] = {}
    real = Memo.get

    def get(self: Memo, kind: str, path: str, text: str, compute: object) -> object:
        asked.setdefault(kind, []).append((path, text))
        return real(self, kind, path, text, compute)  # type: ignore[arg-type]

    monkeypatch.setattr(Memo, "get", get)
    load_all = []
    real_all = YAML.load_all
    monkeypatch.setattr(YAML, "load_all", lambda self, *a: load_all.append(1) or real_all(self, *a))
    result = _run_all(tmp_path, fix=True)
    assert result.final is not None and not result.failures
    assert sum(1 for p in result.changes if p.endswith("docker-compose.yml")) == 3
    computed = result.final.memo.computed
    assert computed["yaml"] == len(set(asked["yaml"])) > 3  # the fixed texts too, each once
    assert load_all == []


def test_a_file_the_grammar_rejects_is_parsed_once_and_reported_by_every_fixer(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE_SEEN, tmp_path / "seen")
    compose = tmp_path / "seen" / "docker-compose.yml"
    compose.write_text(compose.read_text() + "  broken: [\n")
    result = _run_all(tmp_path)
    assert result.final is not None and result.final.memo.computed.get("yaml", 0) <= 1
    assert result.final.memo.computed.get("yaml-nodes", 0) <= 1
    codes = {p.split(": ")[1] for p in result.problems if p.startswith("seen/docker-compose.yml:")}
    assert {"SF007", "SF011", "SF012"} <= codes, result.problems


def test_the_memo_is_bounded_and_keyed_by_path_and_text() -> None:
    calls: list[str] = []

    def parse(text: str) -> str:
        calls.append(text)
        return text.upper()

    m = Memo(limit=10)
    assert m.get("k", "a", "abcd", lambda: parse("abcd")) == "ABCD"
    assert m.get("k", "a", "abcd", lambda: parse("abcd")) == "ABCD"
    assert m.get("k", "b", "abcd", lambda: parse("abcd")) == "ABCD"  # another path: parsed again
    assert calls == ["abcd", "abcd"] and m.size == 10  # a text costs its length and one
    m.get("k", "c", "xyz", lambda: parse("xyz"))  # over the limit: the least recently used goes
    assert m.size == 9 and len(m) == 2
    m.get("k", "b", "abcd", lambda: parse("abcd"))  # still there
    m.get("k", "a", "abcd", lambda: parse("abcd"))  # dropped: parsed again
    assert calls == ["abcd", "abcd", "xyz", "abcd"]
    big = "x" * 50
    m.get("k", "big", big, lambda: parse(big))  # larger than the whole memo: kept alone, as the newest
    assert len(m) == 1 and m.size == 51
    m.get("other", "o", "ab", lambda: parse("ab"))  # another kind's entry does not push it out
    m.get("k", "big", big, lambda: parse(big))  # so every fixer reading it shares one parse
    assert calls == ["abcd", "abcd", "xyz", "abcd", big, "ab"]
    m.get("k", "d", "d", lambda: parse("d"))  # a newer entry of its kind: the big one goes
    assert m.size <= 10 and len(m) == 2


def test_a_kinds_newest_entry_at_the_oldest_end_stays_and_the_next_oldest_go() -> None:
    """Shrinking takes entries from the least recently used end, skipping each kind's newest (left
    where it was): here the only ``k`` entry is the oldest, and the ``o`` entries after it go."""
    computed: list[str] = []

    def parse(text: str) -> str:
        computed.append(text)
        return text

    m = Memo(limit=12)
    m.get("k", "k1", "aaaa", lambda: parse("aaaa"))
    m.get("o", "o1", "bbb", lambda: parse("bbb"))
    m.get("o", "o2", "ccc", lambda: parse("ccc"))  # 5 + 4 + 4 > 12: k1 is the oldest, but k's newest
    assert len(m) == 2 and m.size == 9
    m.get("k", "k1", "aaaa", lambda: parse("aaaa"))  # kept
    assert computed == ["aaaa", "bbb", "ccc"]
    m.get("o", "o1", "bbb", lambda: parse("bbb"))  # dropped: worked out again
    assert computed == ["aaaa", "bbb", "ccc", "bbb"]


def test_a_parse_error_is_remembered_and_raised_again() -> None:
    m = Memo()
    calls = []

    def bad() -> None:
        calls.append(1)
        raise InputError("a.yml", 3, "invalid YAML: nope")

    for _ in range(3):
        with pytest.raises(InputError, match="nope"):
            m.get("yaml", "a.yml", "x: [", bad)
    assert calls == [1]


def test_outside_a_run_nothing_is_kept() -> None:
    """No global cache: a library call parses every time (and keeps nothing alive)."""
    assert memo_mod.current() is None
    text = "services:\n  a:\n    image: x\n"
    assert Y.load(text, "c.yml") is not Y.load(text, "c.yml")
    with memo_mod.active(Memo()) as m:
        assert Y.load(text, "c.yml") is Y.load(text, "c.yml")
        assert m.computed == {"yaml": 1}
    assert memo_mod.current() is None


SECRET_TS = "export const config = {\n  jwt: process.env.JWT_SECRET || 'dev-signing-secret-1234',\n};\n"


def test_each_typescript_file_is_read_once_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SF001's JS/TS scan and SF009's analysis share one parallel pass: every TS file is read once
    (in worker processes: the reads are logged to a file), and SF001 still finds and fixes."""
    monkeypatch.setenv("SEENFIX_JOBS", "2")
    monkeypatch.setenv("SEENFIX_NO_CACHE", "1")
    root = tmp_path / "web"
    (root / "src").mkdir(parents=True)
    for i in range(80):
        (root / "src" / f"m{i:02d}.ts").write_text(f'import {{ a, b }} from "x";\nexport const v{i} = a;\n')
    (root / "src" / "config.ts").write_text(SECRET_TS)
    (root / "docker-compose.yml").write_text("services:\n  web:\n    image: nginx:1.27\n")
    log = tmp_path / "reads.log"
    real = Workspace.read_or_why

    def spy(self: Workspace, rel: str) -> object:
        with open(log, "a") as fh:
            fh.write(rel + "\n")
        return real(self, rel)

    monkeypatch.setattr(Workspace, "read_or_why", spy)
    result = _run_all(root, fix=True)
    reads = log.read_text().split()
    ts_reads = [r for r in reads if r.endswith(".ts")]
    assert sorted(ts_reads) == sorted(set(ts_reads)) and len(ts_reads) == 81
    sf001 = [f for f in result.findings if f.code == "SF001"]
    assert [(f.path, f.line) for f in sf001] == [("src/config.ts", 2)]
    assert "JWT_SECRET is not set" in (result.changes["src/config.ts"].content or "")
    assert sum(1 for f in result.findings if f.code == "SF009") == 80

    log.unlink()
    checked = _run_all(root)  # check: every fixer (SF003, SF010 and SF014 read TS files too)
    assert checked.final is not None
    assert sorted(r for r in log.read_text().split() if r.endswith(".ts")) == sorted(set(ts_reads))
    assert {f.code for f in checked.findings} >= {"SF001", "SF009"}


FORMAT_MACHINERY = ("seenfix.editors.yaml", "seenfix.editors.yaml_env", "seenfix.editors.compose",
                    "seenfix.editors.nginx", "seenfix.editors.typescript", "seenfix.editors.python",
                    "seenfix.editors.dotenv", "seenfix.analysis.compose_services", "seenfix.analysis.envvars",
                    "seenfix.analysis.secrets_python", "seenfix.analysis.secrets_js", "seenfix.editors.nginx_tls",
                    "seenfix.editors.ports", "seenfix.editors.depends_on")
LOADED = """\
import runpy, sys
sys.argv = ["seenfix", "check", sys.argv[1]]
try:
    runpy.run_module("seenfix", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print()
print("-- loaded --")
print(code)
for name, module in sorted(sys.modules.items()):
    if type(module).__name__ != "_LazyModule":  # a lazy module not used yet is not loaded
        print(name)
"""


def _loaded(folder: Path) -> tuple[int, set[str]]:
    proc = subprocess.run([sys.executable, "-c", LOADED, str(folder)], capture_output=True, text=True,
                          env={**os.environ, "SEENFIX_NO_CACHE": "1"})
    assert "-- loaded --" in proc.stdout, proc.stderr[-2000:]
    lines = proc.stdout.split("-- loaded --")[1].split()
    return int(lines[0]), set(lines[1:])


def test_check_loads_a_formats_machinery_only_when_a_file_of_that_format_is_present(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, loaded = _loaded(tmp_path / "empty")  # answered by the fast path (tests/test_fastpath.py)
    assert code == 0 and "click" not in loaded and not any(m.startswith("seenfix.fixers") for m in loaded)
    (tmp_path / "notes").mkdir()  # a file of no format a fixer reads: the full path, every fixer loaded
    (tmp_path / "notes" / "notes.txt").write_text("nothing to see\n")
    code, loaded = _loaded(tmp_path / "notes")
    assert code == 0
    assert loaded.isdisjoint(FORMAT_MACHINERY), sorted(loaded & set(FORMAT_MACHINERY))
    assert loaded.isdisjoint({"ruamel.yaml", "tree_sitter", "libcst", "crossplane"})
    assert "seenfix.fixers.unused_typescript_import" in loaded  # every fixer was loaded, none needed more
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "a.ts").write_text('import { a } from "x";\n')
    code, loaded = _loaded(tmp_path / "web")
    assert code == 1  # the unused import
    assert {"seenfix.editors.typescript", "tree_sitter_typescript"} <= loaded
    assert loaded & {"tree_sitter", "seenfix.analysis._unused_scan"}  # SF009's parser: Python's or the compiled scan
    assert loaded.isdisjoint({"seenfix.editors.nginx", "seenfix.editors.compose",
                              "ruamel.yaml", "libcst", "crossplane"})


def test_sf001_answers_come_from_the_cache_on_a_second_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SF001's scans of Python and JS/TS are cached by digest: the same findings and the same input
    error (a file libcst rejects) on the second run, without scanning anything again."""
    from seenfix.analysis import secrets_js, secrets_python
    from seenfix.fixers.weak_jwt_secret import WeakJwtSecret

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SEENFIX_NO_CACHE", raising=False)
    root = tmp_path / "app"
    root.mkdir()
    (root / "settings.py").write_text('import os\nJWT_SECRET = os.getenv("JWT_SECRET", "dev-signing-secret")\n')
    (root / "broken.py").write_text('JWT_SECRET = "x" +\n')
    (root / "config.ts").write_text(SECRET_TS)
    scans: list[str] = []
    for module in (secrets_python, secrets_js):
        real = module.find_secrets

        def spy(*args: object, _real: object = real) -> object:
            scans.append(str(args[-1])[:20])
            return _real(*args)  # type: ignore[operator]

        monkeypatch.setattr(module, "find_secrets", spy)

    def once() -> tuple[list[str], list[str]]:
        reg = load()
        result = run(root, [WeakJwtSecret], load_config(root, reg, None), fix=False)
        return [f"{f.path}:{f.line}" for f in result.findings], result.problems

    first = once()
    assert first[0] == ["config.ts:2", "settings.py:2"] and first[1] and first[1][0].startswith("broken.py:1: SF001")
    assert len(scans) == 3
    scans.clear()
    assert once() == first
    assert scans == []


#: CPython 3.14's incremental collector has no full collections to put off (it ignores the third
#: threshold): these tests are about the generational collector of 3.11-3.13.
_GENERATIONAL = pytest.mark.skipif(sys.version_info >= (3, 14), reason="3.14's collector is incremental")


class _Cycle:
    """An object that refers to itself: only the cycle collector frees it."""

    def __init__(self) -> None:
        self.me = self


def _collections_while_old_objects_pile_up() -> tuple[list[int], bool]:
    """The generations Python's collector collected while objects that outlive its young generations
    came to more than a quarter of the old ones (which starts a full collection with CPython's own
    thresholds), and whether a self-referring object dropped before that was freed meanwhile."""
    import gc
    import weakref

    gc.collect()  # everything alive now is old
    piled = len(gc.get_objects()) // 4 + 100_000
    seen: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            seen.append(info["generation"])

    cycle = weakref.ref(_Cycle())
    gc.callbacks.append(note)
    try:
        kept = [[] for _ in range(piled)]  # noqa: F841 - alive until the end: they grow old
    finally:
        gc.callbacks.remove(note)
    return seen, cycle() is None


@_GENERATIONAL
def test_a_run_leaves_full_collections_to_its_end_and_still_frees_young_cycles(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a run parses stays alive until it ends, and a full collection walks all of it (on the
    fixture copied 100 times, full collections took 61 ms, five times what they took at 50 copies).
    Inside a run the collector makes young collections only (they still free a cycle dropped at
    once); the same objects piled up outside a run start a full collection (CPython's thresholds,
    restored once the run is over)."""
    import gc

    monkeypatch.setenv("SEENFIX_JOBS", "1")
    monkeypatch.setenv("SEENFIX_NO_CACHE", "1")
    shutil.copytree(FIXTURE_SEEN, tmp_path / "seen")
    before = gc.get_threshold()
    inside: list[tuple[list[int], bool]] = []
    real = Memo.get

    def get(self: Memo, kind: str, path: str, text: str, compute: object) -> object:
        if not inside:
            inside.append(_collections_while_old_objects_pile_up())
        return real(self, kind, path, text, compute)  # type: ignore[arg-type]

    monkeypatch.setattr(Memo, "get", get)
    result = _run_all(tmp_path)
    assert result.findings and inside
    generations, freed = inside[0]
    assert 0 in generations and 2 not in generations and freed
    assert gc.get_threshold() == before
    generations, freed = _collections_while_old_objects_pile_up()
    assert 2 in generations and freed


@_GENERATIONAL
def test_the_seenfix_process_leaves_full_collections_to_its_end(tmp_path: Path) -> None:
    """``seenfix`` leaves full collections to the end of its process, not only of the run: the report
    after the run keeps what the run parsed alive too (with the thresholds restored after the run, a
    check of 100 copies of the fixture made one full collection in its report)."""
    shutil.copytree(FIXTURE_SEEN, tmp_path / "seen")
    probe = (
        "import gc, sys\n"
        "from seenfix.core import memo\n"
        "import seenfix.cli.app as app\n"
        "real = app.main\n"
        "def main():\n"
        "    try:\n"
        "        real()\n"
        "    finally:\n"
        "        print('after the run', gc.get_threshold()[2] == memo._NEVER, file=sys.stderr)\n"
        "app.main = main\n"
        "from seenfix.__main__ import main as seenfix_main\n"
        f"sys.argv = ['seenfix', 'check', {str(tmp_path / 'seen')!r}]\n"
        "seenfix_main()\n"
    )
    env = {**os.environ, "SEENFIX_NO_CACHE": "1"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr  # findings
    assert "after the run True" in done.stderr, done.stderr


@_GENERATIONAL
def test_runs_that_overlap_restore_the_threshold_when_the_last_ends_and_keep_a_change_made_meanwhile() -> None:
    """Runs may overlap (nested, or in threads of a program that uses seenfix as a library): the
    oldest generation's threshold comes back when the last of them ends, not when the first does;
    a threshold other code set during a run is left as it set it."""
    import gc

    from seenfix.core.memo import _NEVER, young_collections_only

    before = gc.get_threshold()
    first, second = young_collections_only(), young_collections_only()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first ends while the second runs
    assert gc.get_threshold()[2] == _NEVER
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
    try:
        with young_collections_only():
            gc.set_threshold(before[0], before[1], 25)  # another part of the program's choice
        assert gc.get_threshold()[2] == 25
    finally:
        gc.set_threshold(*before)
