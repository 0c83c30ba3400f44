"""JavaScript / TypeScript: committed signing-secret fallbacks and their required-read fix.

A small tokenizer (comments, strings, template literals and identifiers; no dependency) finds:

* ``process.env.X || 'lit'`` / ``process.env.X ?? 'lit'`` / ``process.env['X'] || "lit"``;
* ``const sessionSecret = 'lit'`` and object properties ``secret: 'lit'`` whose name denotes a
  signing secret (P9).

The fix replaces only the expression's characters with a read that throws a clear error when the
variable is missing: ``process.env.X || (() => { throw new Error('X is not set') })()`` (an
expression, so it fits in an object literal or a ``const`` without a helper).  The empty string is
not a literal (P11).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from seenfix.editors.text import apply_edits, line_starts, offset_to_line
from seenfix.secrets_policy import is_literal_value, is_signing_secret_name, name_tokens

_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_PUNCT = ("===", "!==", "?.", "??", "||", "&&", "=>", "==", "!=", "<=", ">=")
_TERMINATORS = {",", ";", ")", "}", "]", ""}


@dataclass(frozen=True)
class Token:
    kind: str  # ident | string | punct
    text: str
    start: int
    end: int
    newline_before: bool


@dataclass(frozen=True)
class JsSecret:
    name: str
    env_var: str
    value: str
    line: int
    start: int  # span replaced by the fix
    end: int
    replacement: str | None  # None: found but not fixable


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    newline = True
    while i < n:
        c = text[i]
        if c in " \t\r\n\f\v":
            newline = newline or c == "\n"
            i += 1
            continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j == -1 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            newline = newline or "\n" in text[i:j]
            i = n if j == -1 else j + 2
            continue
        if c in "'\"`":
            j = i + 1
            depth = 0
            while j < n:
                d = text[j]
                if d == "\\":
                    j += 2
                    continue
                if c == "`" and text.startswith("${", j):
                    depth += 1
                elif c == "`" and d == "}" and depth:
                    depth -= 1
                elif d == c and not depth:
                    break
                elif d == "\n" and c != "`":
                    break
                j += 1
            tokens.append(Token("string", text[i:j + 1], i, j + 1, newline))
            i, newline = j + 1, False
            continue
        m = _IDENT.match(text, i)
        if m:
            tokens.append(Token("ident", m.group(), i, m.end(), newline))
            i, newline = m.end(), False
            continue
        if c.isdigit():
            m2 = re.compile(r"[0-9A-Za-z_.]+").match(text, i)
            end = m2.end() if m2 else i + 1
            tokens.append(Token("number", text[i:end], i, end, newline))
            i, newline = end, False
            continue
        op = next((p for p in _PUNCT if text.startswith(p, i)), c)
        tokens.append(Token("punct", op, i, i + len(op), newline))
        i, newline = i + len(op), False
    return tokens


def string_value(token: Token) -> str | None:
    """The value of a plain string token (no template substitution), else ``None``."""
    raw = token.text
    if len(raw) < 2 or raw[0] != raw[-1] or raw[0] not in "'\"`":
        return None
    if raw[0] == "`" and "${" in raw:
        return None
    return re.sub(r"\\(.)", r"\1", raw[1:-1])


def env_name(name: str) -> str:
    return "_".join(name_tokens(name)).upper()


def _throwing_read(var: str, quote: str) -> str:
    q = quote if quote in "'\"" else "'"
    return f"process.env.{var} || (() => {{ throw new Error({q}{var} is not set{q}) }})()"


def _env_access(tokens: list[Token], i: int) -> tuple[str, int] | None:
    """``(VAR, index after)`` for ``process.env.VAR`` / ``process.env['VAR']`` starting at ``i``."""
    t = tokens
    if i + 3 >= len(t) or t[i].text != "process" or t[i + 1].text != "." or t[i + 2].text != "env":
        return None
    if t[i + 3].text == "." and i + 4 < len(t) and t[i + 4].kind == "ident":
        return t[i + 4].text, i + 5
    if t[i + 3].text == "[" and i + 5 < len(t) and t[i + 4].kind == "string" and t[i + 5].text == "]":
        var = string_value(t[i + 4])
        return (var, i + 6) if var else None
    return None


def _ends_expression(tokens: list[Token], j: int) -> bool:
    if j >= len(tokens):
        return True
    return tokens[j].text in _TERMINATORS or tokens[j].newline_before and tokens[j].text not in (
        "+", "-", "*", "/", ".", "?.", "?", ":", "||", "??", "&&", "(", "[")


def find_secrets(text: str) -> list[JsSecret]:
    tokens = tokenize(text)
    starts = line_starts(text)
    out: list[JsSecret] = []
    for i, tok in enumerate(tokens):
        got = _env_access(tokens, i)
        if got is not None:
            var, j = got
            if j + 1 < len(tokens) and tokens[j].text in ("||", "??") and tokens[j + 1].kind == "string":
                lit_tok = tokens[j + 1]
                value = string_value(lit_tok)
                if value is not None and is_literal_value(value) and is_signing_secret_name(var):
                    fixable = _ends_expression(tokens, j + 2)
                    out.append(JsSecret(var, var, value, offset_to_line(starts, lit_tok.start), tok.start,
                                        lit_tok.end, _throwing_read(var, lit_tok.text[0]) if fixable else None))
            continue
        # const name = 'lit'  /  name: 'lit'
        if tok.kind != "string" or i < 2:
            continue
        value = string_value(tok)
        if value is None or not is_literal_value(value):
            continue
        prev, name_tok = tokens[i - 1], tokens[i - 2]
        is_decl = prev.text == "=" and name_tok.kind == "ident" and i >= 3 and tokens[i - 3].text in (
            "const", "let", "var")
        is_prop = prev.text == ":" and name_tok.kind in ("ident", "string") and i >= 3 and tokens[i - 3].text in (
            "{", ",")
        if not (is_decl or is_prop):
            continue
        name = string_value(name_tok) if name_tok.kind == "string" else name_tok.text
        if not name or not is_signing_secret_name(name):
            continue
        var = env_name(name)
        fixable = _ends_expression(tokens, i + 1)
        out.append(JsSecret(name, var, value, offset_to_line(starts, tok.start), tok.start, tok.end,
                            _throwing_read(var, tok.text[0]) if fixable else None))
    return out


def fix_secrets(text: str) -> str:
    """``text`` with every fixable fallback replaced by a read that throws when the variable is unset."""
    edits = [(s.start, s.end, s.replacement) for s in find_secrets(text) if s.replacement is not None]
    return apply_edits(text, edits) if edits else text
