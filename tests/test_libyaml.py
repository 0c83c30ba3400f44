"""libyaml's fast path (``seenfix.editors.libyaml``) reads every YAML text exactly as ruamel.yaml's
round-trip parser does, or leaves it to that parser; without ``ruamel.yaml.clib`` seenfix finds the
same things (issue 15, item 16)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURE_SEEN, REPO, SHARED
from seenfix.core.config import Config
from seenfix.core.model import InputError
from seenfix.core.project import PathsConfig
from seenfix.core.registry import load as load_registry
from seenfix.editors import libyaml
from seenfix.editors import yaml as Y
from seenfix.editors import yaml_env as E
from seenfix.engine.run import RunResult, run

CORPUS = SHARED / "corpus"


@pytest.fixture
def without_clib(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As if ``ruamel.yaml.clib`` were not installed (its module cannot be imported)."""
    monkeypatch.setitem(sys.modules, "_ruamel_yaml", None)  # type: ignore[arg-type]
    libyaml.loader_class.cache_clear()
    yield
    monkeypatch.undo()
    libyaml.loader_class.cache_clear()


def yaml_files() -> list[Path]:
    found = sorted(FIXTURE_SEEN.rglob("*.y*ml")) + sorted((REPO / "tests" / "fixtures").rglob("*.y*ml"))
    if CORPUS.is_dir():
        found += sorted(CORPUS.rglob("*.y*ml"))
    return [p for p in found if p.suffix in (".yml", ".yaml")]


# -- what each reading gives, everything seenfix reads from it ----------------------------------------

def data_shape(node: Any, seen: dict[int, int] | None = None) -> Any:
    """Loaded data with every position, flow style, merge and type seenfix can read from it."""
    seen = {} if seen is None else seen
    if isinstance(node, (dict, list)):
        if id(node) in seen:
            return ("shared", seen[id(node)])
        seen[id(node)] = len(seen)
        positions = sorted((repr(k), v) for k, v in (node.lc.data or {}).items())
        head = (type(node).__name__, node.lc.line, node.lc.col, positions, node.fa.flow_style())
        if isinstance(node, dict):
            return head + ([repr(k) for k in Y.own_keys(node)], [data_shape(m, seen) for m in Y.merge_sources(node)],
                           [(repr(k), type(k).__name__, data_shape(v, seen)) for k, v in node.items()])
        return head + ([data_shape(v, seen) for v in node],)
    if type(node).__name__ == "TaggedScalar":
        return ("TaggedScalar", str(node.value), str(node.tag))
    return (type(node).__name__, repr(node), str(getattr(node, "anchor", None)))


def node_shape(node: Any, seen: dict[int, int] | None = None) -> Any:
    """A composed node tree: tags, values, styles and start marks; scalars' end marks too (collections'
    end marks are the one thing the two parsers place differently, and seenfix reads none)."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    seen = {} if seen is None else seen
    if node is None:
        return None
    if id(node) in seen:
        return ("shared", seen[id(node)])
    seen[id(node)] = len(seen)
    start = (node.start_mark.index, node.start_mark.line, node.start_mark.column)
    head = (type(node).__name__, str(node.tag), start)
    if isinstance(node, MappingNode):
        return head + (node.flow_style, [(node_shape(k, seen), node_shape(v, seen)) for k, v in node.value])
    if isinstance(node, SequenceNode):
        return head + (node.flow_style, [node_shape(v, seen) for v in node.value])
    end = (node.end_mark.index, node.end_mark.line, node.end_mark.column)
    return head + (end, node.value, node.style or "", E.scalar(node))


def readings(text: str) -> tuple[Any, Any]:
    out: list[Any] = []
    for read, shape in ((Y._load, lambda d: data_shape(d.data)), (E._compose_nodes, node_shape)):
        try:
            out.append(shape(read(text, "f.yml")))
        except InputError as exc:
            out.append(("error", str(exc)))
    return out[0], out[1]


def both_readings(text: str) -> tuple[tuple[Any, Any], tuple[Any, Any], bool]:
    """(fast path's readings, round-trip parser's readings, whether the fast path took the text)."""
    assert libyaml.available()
    fast_took_it = libyaml.compose_node(text) is not libyaml.PURE
    fast = readings(text)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEENFIX_PURE_YAML", "1")
        libyaml.loader_class.cache_clear()
        try:
            pure = readings(text)
        finally:
            mp.undo()
            libyaml.loader_class.cache_clear()
    return fast, pure, fast_took_it


def test_the_c_extension_is_installed() -> None:
    """seenfix depends on it (pyproject.toml); without it every test below compares the parser
    with itself."""
    assert libyaml.available()


def test_every_yaml_file_of_the_fixtures_and_the_corpus_reads_the_same_both_ways() -> None:
    files = yaml_files()
    assert len(files) > 150, "fixtures and corpus not found"
    took = 0
    for path in files:
        fast, pure, fast_took_it = both_readings(path.read_text(encoding="utf-8"))
        assert fast == pure, path
        took += fast_took_it
    assert took >= 0.9 * len(files), f"the fast path read only {took} of {len(files)} files"


@pytest.mark.parametrize(("text", "fast"), [
    # the fast path reads these (and must agree)
    ("a:\n  k:\n  n: 1\n", True),  # an empty value: ruamel.yaml places it at the next token
    ("a:\n  k:\n\n\n  n: 1\nb:\n  c:\n", True),
    ("a:\r\n  k:\r\n  n: 1\r\n", True),
    ("x: &anchor value\ny: *anchor\nz: &m {a: 1}\nw: {<<: *m, b: 2}\n", True),  # an anchored scalar's type
    ("k: &e\nn: *e\n", True),
    ("é: \"h\\u00e9 😀\"\nk: 'it''s'\nl: |\n  two\n  lines\nm: >-\n  folded\n", True),
    ("a: [1, 2.5, 0o17, 0x1f, yes, ~, 2024-01-01, .inf]\n", True),
    ("# only a comment\n", True),
    ("", True),
    # these go to the round-trip parser
    ("a:\n  k:   # a comment\n  n: 1\n", False),  # where the empty value goes depends on the comment
    ("a:\n  k:\n  # a comment\n  n: 1\n", False),
    ("a: {k: , n: 1}\n", False),
    ("a:\n- \n- b\n-\n", False),  # an empty item
    ("a: !!str 5\nb: !reset x\n", False),
    ("a: &x !!str 5\n", False),
    ("%YAML 1.1\n---\na: yes\n", False),
    ("a: 1\tb\n", False),
    ("a: 1\nb: \ufeff2\n", False),
    ("a: 1\x85b: 2\n", False),
    ("a: 1\rb: 2\n", False),
    ("? a\n: 1\n", False),
    ("a: [\n", False),  # invalid: the round-trip parser words the error
    ("a: 1\na: 2\n", True),  # composed alike; loading it is an error both ways
    ("a: 1\n---\nb: 2\n", False),
    ("a: " + "[" * 150 + "]" * 150 + "\n", False),  # deeper than MAX_DEPTH
    ("- " * 150 + "x\n", False),
])
def test_each_text_is_read_by_one_parser_or_the_other_with_the_same_result(text: str, fast: bool) -> None:
    got_fast, got_pure, fast_took_it = both_readings(text)
    assert fast_took_it == fast
    assert got_fast == got_pure


@pytest.mark.parametrize("text", [
    "a: " + "[" * 200_000 + "]" * 200_000 + "\n",
    "a: " + "{b: " * 100_000 + "1" + "}" * 100_000 + "\n",
    "- " * 200_000 + "x\n",
    "".join(" " * i + "- a:\n" for i in range(0, 4000, 2)),
])
def test_nesting_deep_enough_to_crash_libyaml_goes_to_the_round_trip_parser(text: str) -> None:
    """libyaml's composer recurses in C without a check (100,000 levels: a segmentation fault); in a
    process of its own, so that a crash fails this test instead of ending the run."""
    code = ("import sys\nfrom seenfix.editors import libyaml\n"
            "print(libyaml.compose_node(sys.stdin.read()) is libyaml.PURE)\n")
    proc = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True, cwd=REPO,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "True"


def test_a_text_over_the_size_limit_is_an_input_error_both_ways() -> None:
    text = "services:\n  web:\n    image: nginx\n" + "# padding\n" * (Y.MAX_CHARS // 10)
    for read in (Y.load, E.compose_nodes):
        with pytest.raises(InputError) as info:
            read(text, "docker-compose.yml")
        assert info.value.line == 1
        assert info.value.message == "too large to read as YAML: 4.0 MiB (seenfix reads YAML files of up to 4 MiB)"
    assert Y.load(text[:Y.MAX_CHARS], "docker-compose.yml").data["services"]["web"]["image"] == "nginx"


# -- the same findings and fixes without the C extension ----------------------------------------------

def everything(root: Path, config: Config) -> Any:
    classes = [c for c in (load_registry().find(f"SF{i:03d}") for i in range(1, 15)) if c is not None]
    assert len(classes) == 14
    found: RunResult = run(root, classes, config, fix=False)
    fixed: RunResult = run(root, classes, config, fix=True)
    return ([(f.code, f.path, f.line, f.column, f.message, f.fixable) for f in found.findings],
            found.problems, found.failures, fixed.problems, fixed.failures,
            sorted((path, fixed.redact(change.content or "")) for path, change in fixed.changes.items()))


@pytest.mark.slow
def test_findings_and_fixes_are_the_same_without_the_c_extension(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fixer, checking and fixing, on the SEEN fixture and on each compose file of the corpus
    (generated secrets masked: they differ from run to run)."""
    monkeypatch.setenv("SEENFIX_NO_CACHE", "1")
    seen = tmp_path / "seen"
    shutil.copytree(FIXTURE_SEEN, seen)
    projects = [(seen, Config())]
    compose = CORPUS / "compose" / "files"
    if compose.is_dir():
        for src in sorted(compose.glob("*.y*ml")):
            root = tmp_path / src.stem
            root.mkdir()
            shutil.copyfile(src, root / src.name)
            projects.append((root, Config(paths=PathsConfig(compose=("*.yml", "*.yaml")))))
    assert len(projects) > 40
    with_c = [everything(root, config) for root, config in projects]
    assert sum(len(r[0]) for r in with_c) > 100  # the fixers found things to compare
    assert any(r[5] for r in with_c)  # and changed files
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "_ruamel_yaml", None)  # type: ignore[arg-type]
        mp.setenv("SEENFIX_PURE_YAML", "1")  # for processes started anew (the fork inherits both)
        libyaml.loader_class.cache_clear()
        try:
            assert not libyaml.available()
            without = [everything(root, config) for root, config in projects]
        finally:
            mp.undo()
            libyaml.loader_class.cache_clear()
    for (root, _config), a, b in zip(projects, with_c, without):
        assert a == b, root.name


def test_without_the_c_extension_seenfix_still_loads(without_clib: None) -> None:
    assert not libyaml.available()
    assert libyaml.compose_node("a: 1\n") is libyaml.PURE
    doc = Y.load("services:\n  web:\n    image: nginx\n", "c.yml")
    assert doc.data["services"]["web"]["image"] == "nginx"
