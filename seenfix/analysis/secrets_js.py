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
from seenfix.analysis.secrets_policy import is_literal_value, is_signing_secret_name, name_tokens

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
        if c == "/" and _regex_allowed(tokens):
            j = _regex_end(text, i)
            if j > 0:
                tokens.append(Token("regex", text[i:j], i, j, newline))
                i, newline = j, False
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


_BEFORE_REGEX = {"(", ",", "=", ":", "[", "!", "&", "|", "?", "{", "}", ";", "&&", "||", "??", "==", "===",
                 "!=", "!==", "=>", "return", "typeof", "case", "+", "-", "*", "%", "<", ">", "~", "^"}


def _regex_allowed(tokens: list[Token]) -> bool:
    """A ``/`` starts a regular expression literal where an operand is expected."""
    return not tokens or tokens[-1].text in _BEFORE_REGEX


def _regex_end(text: str, i: int) -> int:
    """Offset after the regex literal starting at ``i`` (flags included), or -1 if it is not one."""
    j, in_class = i + 1, False
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "\n":
            return -1
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            j += 1
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            return j
        j += 1
    return -1


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


def _env_bindings(tokens: list[Token]) -> dict[str, str]:
    """``{"s": "JWT_SECRET"}`` for ``const s = process.env.JWT_SECRET...``."""
    out: dict[str, str] = {}
    for i in range(len(tokens) - 3):
        if tokens[i].text in ("const", "let", "var") and tokens[i + 1].kind == "ident" and tokens[i + 2].text == "=":
            got = _env_access(tokens, i + 3)
            if got is not None:
                out[tokens[i + 1].text] = got[0]
    return out


def _ternary_var(tokens: list[Token], i: int, bound: dict[str, str]) -> str | None:
    """The signing variable a ``cond ? x : 'lit'`` alternate at ``i`` falls back for, else ``None``."""
    depth = 0
    question = None
    j = i - 2
    while j >= 0:
        t = tokens[j].text
        if t in (")", "]", "}"):
            depth += 1
        elif t in ("(", "[", "{"):
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and t in (";", ",", "=", "return", "=>"):
            break
        elif depth == 0 and t == "?" and question is None:
            question = j
        j -= 1
    if question is None:
        return None
    for k in range(j + 1, i - 1):
        got = _env_access(tokens, k)
        var = got[0] if got is not None else bound.get(tokens[k].text) if tokens[k].kind == "ident" else None
        if var and is_signing_secret_name(var):
            return var
    return None


_DECL = ("const", "let", "var", "private", "public", "protected", "readonly", "static", "{", ",", "(", ";", ".")


def _assigned_name(tokens: list[Token], i: int) -> str | None:
    """The name a string literal at ``i`` is assigned to, for the plain-literal forms.

    ``const name = 'lit'`` (also typed ``const name: string = 'lit'``), class fields, ``obj.name =
    'lit'``, destructuring and parameter defaults ``{ name = 'lit' }``, and properties ``name: 'lit'``.
    """
    prev = tokens[i - 1].text
    name_tok = tokens[i - 2]
    before = tokens[i - 3].text if i >= 3 else ""
    if prev == "=":
        if name_tok.kind == "ident" and before in _DECL:
            return name_tok.text
        if name_tok.kind == "ident" and before == ":" and i >= 5 and tokens[i - 4].kind == "ident" \
                and tokens[i - 5].text in _DECL:
            return tokens[i - 4].text
        return None
    if prev == ":" and name_tok.kind in ("ident", "string") and before in ("{", ","):
        return string_value(name_tok) if name_tok.kind == "string" else name_tok.text
    return None


def _in_enum(tokens: list[Token], i: int) -> bool:
    """The literal at ``i`` initialises a member of an ``enum { ... }``."""
    depth = 0
    for k in range(i - 1, -1, -1):
        t = tokens[k].text
        if t in (")", "]", "}"):
            depth += 1
        elif t in ("(", "["):
            depth -= 1
        elif t == "{":
            if depth == 0:
                return k >= 2 and tokens[k - 2].text == "enum"
            depth -= 1
    return False


def find_secrets(text: str) -> list[JsSecret]:
    tokens = tokenize(text)
    starts = line_starts(text)
    bound = _env_bindings(tokens)
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
        if prev.text == ":":
            tvar = _ternary_var(tokens, i, bound)
            if tvar is not None:
                throw = _throwing_read(tvar, tok.text[0]).partition(" || ")[2]
                out.append(JsSecret(tvar, tvar, value, offset_to_line(starts, tok.start), tok.start, tok.end,
                                    throw if _ends_expression(tokens, i + 1) else None))
                continue
        name = _assigned_name(tokens, i)
        if not name or not is_signing_secret_name(name) or not _ends_expression(tokens, i + 1):
            continue  # a literal that is part of a larger expression is derived, not the secret (P9)
        if _in_enum(tokens, i):
            continue  # an enum member names a key; its initializer must stay a constant (TS18033)
        var = env_name(name)
        out.append(JsSecret(name, var, value, offset_to_line(starts, tok.start), tok.start, tok.end,
                            _throwing_read(var, tok.text[0])))
    return out


def fix_secrets(text: str) -> str:
    """``text`` with every fixable fallback replaced by a read that throws when the variable is unset."""
    edits = [(s.start, s.end, s.replacement) for s in find_secrets(text) if s.replacement is not None]
    return apply_edits(text, edits) if edits else text
