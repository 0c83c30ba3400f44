"""Unit tests of the surgical YAML editor (``seenfix.editors.yaml``) and its compose helpers.

Tables of (input, edit, expected output), compared byte for byte: no dedent, CRLF and missing final
newlines written explicitly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seenfix.analysis import compose_services as CS
from seenfix.editors import compose as C
from seenfix.editors import yaml as Y
from seenfix.fixers.missing_log_rotation import MissingLogRotation
from seenfix.fixers.missing_resource_limits import MissingResourceLimits
from seenfix.core.model import InputError

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "compose" / "files"
LIMITS = {"deploy": {"resources": {"limits": {"cpus": Y.Quoted("0.5"), "memory": "256M"}}}}


def _ensure(text: str, services: list[str], wanted: dict[str, Any]) -> str:
    doc = Y.load(text, "c.yml")
    svcs = doc.data["services"]
    plan = Y.Plan()
    for service in services:
        plan.extend(Y.ensure_keys(doc, svcs, service, wanted))
    out = plan.apply(text)
    assert Y.compare(Y.expected_after(doc, plan.changes), Y.to_plain(Y.load(out, "c.yml").data)) is None
    return out


# -- loading -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "line"), [
    ("services:\n  web:\n    image: [nginx\n", 4),
    ("services:\n  web: {image: nginx\n", 3),
    ("a: 1\n---\nb: 2\n", 2),
    ("services:\n  a: 1\n  a: 2\n", 3),
    ("key: 'unterminated\n", 2),
    # a merge of the mapping the key is in (ruamel.yaml raises AttributeError on it)
    ("x-a: &a\n  image: nginx\n  nested:\n    <<: *a\nservices:\n  web:\n    <<: *a\n", 4),
    ("x-b: &b\n  depends_on: {}\nx-a: &a\n  <<: [*b]\n  web:\n    <<: [*b, *a]\n", 6),
    # nested deeper than ruamel.yaml's recursion goes (RecursionError)
    ("services:\n  web:\n    image: nginx\n    labels: " + "[" * 3000 + "]" * 3000 + "\n", 4),
    ("x:\n" + "".join("  " * i + "a:\n" for i in range(1, 1500)) + "  " * 1500 + "b: 1\n", 1501),
])
def test_invalid_yaml_is_an_input_error_with_its_line(text: str, line: int) -> None:
    with pytest.raises(InputError) as info:
        Y.load(text, "bad.yml")
    assert info.value.path == "bad.yml"
    assert info.value.line == line
    assert info.value.message.startswith("invalid YAML")


def test_nesting_too_deep_for_the_composer_is_an_input_error_for_compose_nodes_too() -> None:
    from seenfix.editors.yaml_env import compose_nodes

    text = "services:\n  web:\n    labels: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n"
    with pytest.raises(InputError) as info:
        compose_nodes(text, "compose.yml")
    assert (info.value.line, info.value.message) == (3, Y.TOO_DEEP)


def test_recursive_aliases_without_a_merge_load() -> None:
    doc = Y.load("services:\n  web: &w\n    image: nginx\n    again: *w\n", "x.yml")
    assert doc.data["services"]["web"]["image"] == "nginx"
    assert Y.recursive_merge_line(doc.text) is None


def test_load_keeps_text_and_detects_newlines() -> None:
    doc = Y.load("---\r\nservices:\r\n  a:\r\n", "x.yml")
    assert doc.newline == "\r\n"
    assert doc.line(1) == "services:"
    assert [s.name for s in Y.services(doc)] == ["a"]
    assert Y.load("", "empty.yml").data is None
    assert list(Y.services(Y.load("web:\n  image: nginx\n", "v1.yml"))) == []


def test_corpus_files_load_and_a_no_op_plan_is_byte_identical() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"compose corpus not found at {CORPUS}")
    for path in sorted(CORPUS.iterdir()):
        text = path.read_bytes().decode()
        doc = Y.load(text, path.name)
        plan = Y.Plan()
        for svc in Y.services(doc):
            if isinstance(svc.node, dict) and svc.node:
                present = {k: svc.node[k] for k in list(svc.node)[:2] if not isinstance(svc.node[k], (dict, list))}
                plan.extend(Y.ensure_keys(doc, svc.parent, svc.name, present))
        assert plan.edits == [], path.name
        assert plan.apply(text) == text


# -- ensure_keys: where and how new keys are written -------------------------------------------------

ENSURE_CASES = [
    pytest.param(
        "services:\n  a:\n    image: x\n\n  # about b\n  b:\n    image: y\n", "a",
        "services:\n  a:\n    image: x\n    deploy:\n      resources:\n        limits:\n"
        "          cpus: \"0.5\"\n          memory: 256M\n\n  # about b\n  b:\n    image: y\n",
        id="blank-line-and-comment-stay-with-the-next-service"),
    pytest.param(
        "services:\n  a:\n    image: x\n    # ports:\n    #   - 80:80\n# top-level note\nvolumes: {}\n", "a",
        "services:\n  a:\n    image: x\n    # ports:\n    #   - 80:80\n    deploy:\n      resources:\n"
        "        limits:\n          cpus: \"0.5\"\n          memory: 256M\n# top-level note\nvolumes: {}\n",
        id="indented-comments-belong-to-the-service"),
    pytest.param(
        "services:\r\n  a:\r\n    image: x", "a",
        "services:\r\n  a:\r\n    image: x\r\n    deploy:\r\n      resources:\r\n        limits:\r\n"
        "          cpus: \"0.5\"\r\n          memory: 256M",
        id="crlf-no-final-newline"),
    pytest.param(
        "services:\n    a:\n        image: x\n", "a",
        "services:\n    a:\n        image: x\n        deploy:\n            resources:\n                limits:\n"
        "                    cpus: \"0.5\"\n                    memory: 256M\n",
        id="four-space-indent"),
    pytest.param(
        "services:\n  a:\n  b:\n    image: y\n", "a",
        "services:\n  a:\n    deploy:\n      resources:\n        limits:\n          cpus: \"0.5\"\n"
        "          memory: 256M\n  b:\n    image: y\n",
        id="empty-service"),
    pytest.param(
        "services:\n  a: ~  # later\n", "a",
        "services:\n  a:  # later\n    deploy:\n      resources:\n        limits:\n          cpus: \"0.5\"\n"
        "          memory: 256M\n",
        id="null-service-keeps-its-comment"),
    pytest.param(
        "services:\n  a: {image: x}\n", "a",
        "services:\n  a: {image: x, deploy: {resources: {limits: {cpus: \"0.5\", memory: 256M}}}}\n",
        id="flow-mapping"),
    pytest.param(
        "services: {a: ~, b: {image: y}}\n", "a",
        "services: {a: {deploy: {resources: {limits: {cpus: \"0.5\", memory: 256M}}}}, b: {image: y}}\n",
        id="null-service-in-a-flow-mapping"),
    pytest.param(
        "services: {b: {image: y}, a: }\n", "a",
        "services: {b: {image: y}, a: {deploy: {resources: {limits: {cpus: \"0.5\", memory: 256M}}}}}\n",
        id="empty-service-last-in-a-flow-mapping"),
    pytest.param(
        "services:\n  a: {image: x, }\n", "a",
        "services:\n  a: {image: x, deploy: {resources: {limits: {cpus: \"0.5\", memory: 256M}}} }\n",
        id="flow-mapping-with-trailing-comma"),
    pytest.param(
        "services:\n  a: {\n    image: x\n  }\n", "a",
        "services:\n  a: {\n    image: x, deploy: {resources: {limits: {cpus: \"0.5\", memory: 256M}}}\n  }\n",
        id="multi-line-flow-mapping"),
    pytest.param(
        "services:\n  a: {}\n", "a",
        "services:\n  a: {deploy: {resources: {limits: {cpus: \"0.5\", memory: 256M}}}}\n",
        id="empty-flow-mapping"),
    pytest.param(
        "services:\n  a:\n    deploy:\n      resources:\n        limits:\n          memory: 1g # tuned\n"
        "    image: x\n", "a",
        "services:\n  a:\n    deploy:\n      resources:\n        limits:\n          memory: 1g # tuned\n"
        "          cpus: \"0.5\"\n    image: x\n",
        id="partial-deploy-is-completed"),
    pytest.param(
        "services:\n  a:\n    deploy: !override\n      resources: {}\n", "a",
        "services:\n  a:\n    deploy: !override\n      resources: {limits: {cpus: \"0.5\", memory: 256M}}\n",
        id="override-tag-and-empty-flow"),
    pytest.param(
        "services:\n  a:\n    command: |\n      run\n\n      more\n\n  b: {}\n", "a",
        "services:\n  a:\n    command: |\n      run\n\n      more\n    deploy:\n      resources:\n        limits:\n"
        "          cpus: \"0.5\"\n          memory: 256M\n\n  b: {}\n",
        id="after-a-block-scalar"),
    pytest.param(
        "x: &base\n  image: x\nservices:\n  a: &a\n    <<: *base\n  b:\n    <<: *a\n", "a",
        "x: &base\n  image: x\nservices:\n  a: &a\n    <<: *base\n    deploy:\n      resources:\n        limits:\n"
        "          cpus: \"0.5\"\n          memory: 256M\n  b:\n    <<: *a\n    deploy:\n      resources:\n"
        "        limits:\n          cpus: \"0.5\"\n          memory: 256M\n",
        id="merge-only-services"),
]


@pytest.mark.parametrize(("text", "service", "expected"), ENSURE_CASES)
def test_ensure_keys(text: str, service: str, expected: str) -> None:
    services = [service, "b"] if "<<: *a" in text else [service]  # b merges a: both in one plan
    assert _ensure(text, services, LIMITS) == expected


def test_ensure_keys_is_a_no_op_when_everything_is_there() -> None:
    text = "services:\n  a:\n    deploy:\n      resources:\n        limits: {cpus: '1', memory: 1g}\n"
    doc = Y.load(text, "c.yml")
    assert Y.ensure_keys(doc, doc.data["services"], "a", LIMITS).edits == []


def test_a_silent_change_through_a_merge_key_is_detected() -> None:
    text = "services:\n  a: &a\n    image: x\n  b:\n    <<: *a\n"
    doc = Y.load(text, "c.yml")
    plan = Y.ensure_keys(doc, doc.data["services"], "a", {"logging": {"driver": "local"}})
    out = plan.apply(text)
    problem = C.verify_plan(doc, plan, out)
    assert problem is not None and "/services/b/logging unexpected" in problem


# -- scalars ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "path", "span"), [
    ("a: plain value  # c\n", ("a",), "plain value"),
    ("a: 'it''s'\n", ("a",), "'it''s'"),
    ('a: "x\\"y" # c\n', ("a",), '"x\\"y"'),
    ("a: [one, 'two', three]\n", ("a", 1), "'two'"),
    ("a: {k: v, l: w}\n", ("a", "l"), "w"),
    ("env:\n  - A=1\n  - B=\"2\"  # q\n", ("env", 1), 'B="2"'),
    ("a: &anc !!str value\n", ("a",), "value"),
    ("a: |\n  one\n  two\nb: 1\n", ("a",), "|\n  one\n  two"),
    ("a: first\n  second\nb: 1\n", ("a",), "first\n  second"),
])
def test_scalar_span(text: str, path: tuple[Any, ...], span: str) -> None:
    doc = Y.load(text, "s.yml")
    container = doc.data
    for key in path[:-1]:
        container = container[key]
    start, end = Y.scalar_span(doc, container, path[-1])
    assert text[start:end] == span


@pytest.mark.parametrize(("text", "value", "expected"), [
    ("a: old # c\n", "new", "a: new # c\n"),
    ("a: 'old'\n", "new", "a: 'new'\n"),
    ('a: "old"\r\n', "it's", 'a: "it\'s"\r\n'),
    ("a: old\n", "needs: quotes", 'a: "needs: quotes"\n'),
])
def test_replace_scalar_keeps_the_quote_style(text: str, value: str, expected: str) -> None:
    doc = Y.load(text, "s.yml")
    assert Y.replace_scalar(doc, doc.data, "a", value).apply(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("c:\n  - a\n  - b\nd: 1\n", "c:\n  - a\n  - b\n  - \"--x=1\"\nd: 1\n"),
    ("c:\n- a\n- b # last\n\nd: 1\n", "c:\n- a\n- b # last\n- \"--x=1\"\n\nd: 1\n"),
    ("c: [a, b]\n", "c: [a, b, \"--x=1\"]\n"),
    ("c: [\n  a,\n  b\n]\n", "c: [\n  a,\n  b, \"--x=1\"\n]\n"),
])
def test_append_items(text: str, expected: str) -> None:
    doc = Y.load(text, "s.yml")
    assert Y.append_items(doc, doc.data, "c", ["--x=1"]).apply(text) == expected


# -- style detection and plain data ----------------------------------------------------------------

@pytest.mark.parametrize(("text", "unit"), [
    ("a:\n  b:\n    c: 1\n", 2),
    ("a:\n    b:\n        c: 1\n", 4),
    ("a:\n  - b: 1\n    c: 2\n", 2),
    ("a: 1\n", 2),
])
def test_indent_unit(text: str, unit: int) -> None:
    assert Y.indent_unit(text) == unit


def test_quote_char_follows_the_file() -> None:
    assert Y.quote_char("a: 'x'\nb: 'y'\nc: \"z\"\n") == "'"
    assert Y.quote_char("a: x\n") == '"'


@pytest.mark.parametrize(("value", "text"), [
    ("1G", "1G"), ("json-file", "json-file"), (Y.Quoted("10m"), '"10m"'), ("1.0", '"1.0"'),
    ("true", '"true"'), ("", '""'), ("a: b", '"a: b"'), (-1, "-1"), ("dragonfly --x=1", "dragonfly --x=1"),
])
def test_format_scalar(value: Any, text: str) -> None:
    assert Y.format_scalar(value) == text


def test_to_plain_resolves_merges_and_tags_and_keeps_aliases_shared() -> None:
    text = ("x: &l {driver: local}\nbase: &b {image: a, restart: always}\n"
            "services:\n  s:\n    <<: *b\n    image: own\n    logging: *l\n    cpus: !reset 2\n"
            "  t:\n    logging: *l\n")
    plain = Y.to_plain(Y.load(text, "p.yml").data)
    assert plain["services"]["s"] == {"image": "own", "restart": "always", "logging": {"driver": "local"}, "cpus": 2}
    assert plain["services"]["s"]["logging"] is plain["services"]["t"]["logging"] is plain["x"]


def test_flow_end_skips_quoted_brackets_and_comments() -> None:
    text = 'a: {b: "}", c: [\']\', d] # }\n  , e: f}\n'
    assert Y.flow_end(text, 3) == len(text) - 2


# -- compose helpers -------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "size"), [
    ("512m", 512 * C.MIB), ("1G", 1024 * C.MIB), ("1.5gb", 1536 * C.MIB), ("768MiB", 768 * C.MIB),
    (1024, 1024), ("lots", None), (True, None), ("2 g", 2048 * C.MIB),
])
def test_parse_bytes(value: Any, size: int | None) -> None:
    assert C.parse_bytes(value) == size


@pytest.mark.parametrize(("image", "kind"), [
    ("postgres:16-alpine", "postgres"), ("docker.dragonflydb.io/dragonflydb/dragonfly:v1.21.2", "dragonfly"),
    ("valkey/valkey:8", "redis"), ("bitnami/redis", "redis"), ("mysql:8.4", "database"),
    ("nginx:1.27-alpine", "proxy"), ("traefik:v3.1", "proxy"), ("python:3.12-slim", "app"),
    ("node:22", "app"), ("example/nginx-exporter", None), ("grafana/grafana", None),
    ("${DB_IMAGE:-postgres:16}", "postgres"), ("${PY_IMAGE-python}:${TAG}", "app"), ("${IMAGE}", None),
])
def test_kind_of_image(image: str, kind: str | None) -> None:
    assert CS.kind_of_image(image) == kind


@pytest.mark.parametrize(("command", "flags"), [
    ("dragonfly --maxmemory=1gb --proactor_threads 2", {"maxmemory": "1gb", "proactor_threads": "2"}),
    (["dragonfly", "--maxmemory", "2gb"], {"maxmemory": "2gb"}),
    (["dragonfly", "--proactor_threads=4"], {"proactor_threads": "4"}),
    ("dragonfly --maxmemory_ratio=0.5", {}),
    (None, {}),
])
def test_command_flags(command: Any, flags: dict[str, str]) -> None:
    assert C.command_flags(command, ("maxmemory", "proactor_threads")) == flags


def test_dragonfly_flags_stay_consistent_with_the_limits() -> None:
    for mem, cpus in (("1G", "1.0"), ("2G", "4"), ("768M", "2"), ("4g", "2.5")):
        text = "services:\n  c:\n    image: docker.dragonflydb.io/dragonflydb/dragonfly\n"
        doc = Y.load(text, "d.yml")
        svc = next(iter(Y.services(doc)))
        got = CS.dragonfly_flags(doc, svc, mem, cpus, mem_fixed=True, cpus_fixed=True)
        assert got is not None
        mem_out, cpus_out, plan, _note = got
        command = Y.to_plain(Y.load(plan.apply(text), "d.yml").data)["services"]["c"]["command"]
        flags = C.command_flags(command, ("maxmemory", "proactor_threads"))
        limit, maxmem, threads = C.parse_bytes(mem_out), C.parse_bytes(flags["maxmemory"]), int(flags["proactor_threads"])
        assert limit is not None and maxmem is not None
        assert maxmem < limit
        assert maxmem >= threads * 256 * C.MIB
        assert threads <= max(1, int(float(cpus_out)))


@pytest.mark.parametrize(("options", "problems"), [
    ({"services": {"postgres": {"memory": "2g", "cpus": 2, "shm_size": "1g"}}}, []),
    ({"services": {"postgres": {"memory": "lots"}}}, ["services.postgres.memory"]),
    ({"services": {"postgres": {"cpus": -1}}}, ["services.postgres.cpus"]),
    ({"services": {"postgres": {"swap": "1g"}}}, ["services.postgres.swap"]),
    ({"services": {"postgres": "2g"}}, ["services.postgres"]),
    ({"services": []}, ["services"]),
    ({"memory": "1g"}, ["memory"]),
])
def test_sf011_options_are_validated(options: dict[str, Any], problems: list[str]) -> None:
    assert [key for key, _ in MissingResourceLimits.validate_options(options)] == problems


@pytest.mark.parametrize(("options", "problems"), [
    ({"driver": "local", "max_size": "50m", "max_file": 5}, []),
    ({"driver": "syslog"}, ["driver"]),
    ({"max_size": "big"}, ["max_size"]),
    ({"max_file": 0}, ["max_file"]),
    ({"max_file": "3"}, ["max_file"]),
])
def test_sf007_options_are_validated(options: dict[str, Any], problems: list[str]) -> None:
    assert [key for key, _ in MissingLogRotation.validate_options(options)] == problems


def test_schema_ships_with_its_notice() -> None:
    from importlib.resources import files

    data = files("seenfix").joinpath("data")
    assert data.joinpath("compose.schema.json").is_file()
    notice = data.joinpath("COMPOSE-SCHEMA-NOTICE.md").read_text(encoding="utf-8")
    assert "Apache License, Version 2.0" in notice and "dclint" in notice
    from seenfix.editors.compose_schema import is_valid, schema_errors

    assert is_valid({"services": {"a": {"image": "x", "deploy": {"resources": {"limits": {"cpus": "${CPUS}"}}}}}})
    assert schema_errors({"services": {"a": {"logging": "json-file"}}})


# -- the fixers' verify() hook ---------------------------------------------------------------------

SEEN_LIKE = ("services:\n  db:\n    image: postgres:16-alpine\n    restart: always\n\n"
             "  web:\n    image: nginx:1.27\n")


@pytest.mark.parametrize("fixer_cls", [MissingResourceLimits, MissingLogRotation])
def test_verify_accepts_the_fix_and_rejects_anything_else(fixer_cls: Any) -> None:
    fixer = fixer_cls()
    fixed = fixer.compose_fix("docker-compose.yml", SEEN_LIKE, None)
    assert fixed is not None and fixed != SEEN_LIKE
    assert fixer.verify("docker-compose.yml", SEEN_LIKE, fixed) is None
    tampered = fixed.replace("restart: always", "restart: \"no\"")
    assert "restart" in (fixer.verify("docker-compose.yml", SEEN_LIKE, tampered) or "")
    fresh = fixer_cls()  # no cached plan: the structural check still rejects it
    assert "restart" in (fresh.verify("docker-compose.yml", SEEN_LIKE, tampered) or "")
    assert fresh.verify("docker-compose.yml", SEEN_LIKE, fixed) is None


def test_verify_rejects_output_that_breaks_the_schema() -> None:
    fixer = MissingLogRotation()
    broken = SEEN_LIKE.replace("    restart: always\n", "    restart: always\n    logging: json-file\n")
    problem = fixer.verify("docker-compose.yml", SEEN_LIKE, broken)
    assert problem is not None and "Compose Specification schema" in problem


def test_insertions_at_one_offset_go_deepest_first() -> None:
    text = "services:\n  a:\n    deploy:\n      resources:\n        limits:\n          memory: 1g\n"
    doc = Y.load(text, "c.yml")
    svcs = doc.data["services"]
    plan = Y.Plan()
    plan.extend(Y.ensure_keys(doc, svcs, "a", {"ulimits": {"memlock": -1}}))  # service level first
    plan.extend(Y.ensure_keys(doc, svcs, "a", {"deploy": {"resources": {"limits": {"cpus": "1"}}}}))
    assert plan.apply(text) == (
        "services:\n  a:\n    deploy:\n      resources:\n        limits:\n          memory: 1g\n"
        "          cpus: \"1\"\n    ulimits:\n      memlock: -1\n")


def test_output_verification_reports_a_recursive_merge_with_its_line() -> None:
    from seenfix.engine.verify import parse_error

    good = "x-a: &a\n  image: nginx\nservices:\n  web:\n    <<: *a\n"
    looped = good.replace("  image: nginx\n", "  image: nginx\n  again:\n    <<: *a\n")
    assert parse_error("compose.yml", good, looped) == f"line 4: {Y.RECURSIVE_MERGE}"
    assert parse_error("compose.yml", looped, looped) is None  # it was already so: not the fixer's doing
