"""Does a changed file still parse in its format?  Used by the runner on every fixer's output.

Each check returns ``None`` when the text parses, else a one-line reason with the line number.
Parsers are imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable

from seenfix.core.project import ENV_NAME, NGINX_NAME, NGINX_SNIFF



def check_yaml(text: str, path: str | None = None) -> str | None:
    """Why ``text`` is not YAML (every document of it), or ``None``.

    Within a run, a text of one document is first loaded through the run's memo (as the fixers load
    it): the next fixer reads the fixed file from that very parse instead of parsing it again."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from seenfix.core.memo import current
    from seenfix.core.model import InputError
    from seenfix.editors import yaml as Y

    if path is not None and current() is not None:
        try:
            Y.load(text, path)
            return None
        except InputError:
            pass  # several documents, or invalid: the full check below says which
    try:
        docs = list(YAML(typ="rt").load_all(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        return f"line {line}: invalid YAML: {Y.yaml_problem(exc)}"
    except YAMLError as exc:
        return f"invalid YAML: {exc}"
    except Y.CONSTRUCT_ERRORS as exc:
        line, message = Y.construct_problem(text, exc)
        return f"line {line}: {message}"
    if Y.expanded_size(docs, lambda n: n.values() if isinstance(n, dict) else n if isinstance(n, list) else ()) \
            > Y.MAX_EXPANDED:
        return f"line 1: {Y.ALIAS_BOMB}"
    return None


def check_python(text: str) -> str | None:
    import ast

    try:
        ast.parse(text)
    except SyntaxError as exc:
        return f"line {exc.lineno or 1}: invalid Python: {exc.msg}"
    return None


def check_json(text: str) -> str | None:
    import json

    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"line {exc.lineno}: invalid JSON: {exc.msg}"
    return None


def check_toml(text: str) -> str | None:
    import tomllib

    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return f"invalid TOML: {exc}"
    return None


def check_env(text: str) -> str | None:
    """The env file grammar of :mod:`seenfix.editors.dotenv` (what docker compose and python-dotenv
    read): the first line it cannot read."""
    from seenfix.editors import dotenv

    bad = dotenv.parse(text).malformed
    return f"line {bad[0].line}: not a KEY=value line ({dotenv.why_malformed(bad[0].text)})" if bad else None


def check_nginx(text: str) -> str | None:
    """Balanced blocks and terminated directives, by nginx's own lexing rules (crossplane's lexer)."""
    import io

    from crossplane.errors import NgxParserSyntaxError
    from crossplane.lexer import _balance_braces, _lex_file_object

    try:
        for _ in _balance_braces(_lex_file_object(io.StringIO(text))):
            pass
    except NgxParserSyntaxError as exc:
        return f"line {exc.lineno or 1}: invalid nginx config: {exc.strerror}"
    return None


def checker_for(path: str, text: str) -> Callable[[str], str | None] | None:
    lower = path.lower()
    if lower.endswith((".yml", ".yaml")):
        return lambda t: check_yaml(t, path)
    if lower.endswith(".py"):
        return check_python
    if lower.endswith(".json"):
        return check_json
    if lower.endswith(".toml"):
        return check_toml
    if lower.endswith((".ts", ".mts", ".cts", ".tsx")) and not lower.endswith(".d.ts"):
        from seenfix.editors.typescript import syntax_problem

        return lambda t: syntax_problem(t, path)
    if ENV_NAME.search(path):
        return check_env
    if NGINX_NAME.search(path) and NGINX_SNIFF.search(text):
        return check_nginx
    return None


def parse_error(path: str, before: str | None, after: str) -> str | None:
    """Why ``after`` no longer parses, or ``None``.  A file that did not parse before is not held to it."""
    checker = checker_for(path, after)
    if checker is None:
        return None
    problem = checker(after)
    if problem is None:
        return None
    if before is not None and checker(before) is not None:
        return None  # it was already broken; the fixer did not make it so
    return problem
