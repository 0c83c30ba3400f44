"""The environment variables frontend TypeScript reads: ``import.meta.env.VITE_*`` (with ``||`` /
``??`` fallbacks, destructuring) and ``VITE_*`` names in ``vite.config.*``.
"""

from __future__ import annotations

import re

from seenfix.analysis.envvars import Read

_META_ENV = re.compile(
    r"import\.meta\.env(?:\.(?P<a>[A-Za-z_][A-Za-z0-9_]*)|\[\s*(?P<q>['\"])(?P<b>[A-Za-z_][A-Za-z0-9_]*)(?P=q)\s*\])"
    r"(?P<fb>\s*(?:\|\||\?\?)\s*(?P<fq>['\"`])(?P<fv>(?:(?!(?P=fq)).)*)(?P=fq))?"
)
_FALLBACK = re.compile(r"\s*(?:\|\||\?\?)\s*(?P<fq>['\"`])(?P<fv>(?:(?!(?P=fq)).)*)(?P=fq)")
_DESTRUCTURE = re.compile(r"\{(?P<names>[^{}]*)\}\s*=\s*import\.meta\.env\b(?!\s*\.)")
_DESTRUCTURED_NAME = re.compile(
    r"(?<![A-Za-z0-9_$])(?P<name>VITE_[A-Za-z0-9_]+)\s*(?::\s*[A-Za-z_$][A-Za-z0-9_$]*\s*)?"
    r"(?:=\s*(?P<q>['\"`])(?P<dv>(?:(?!(?P=q)).)*)(?P=q))?"
)
_VITE_NAME = re.compile(r"(?<![A-Za-z0-9_])VITE_[A-Za-z0-9_]+")


def _blank_comments(text: str) -> str:
    """Comments replaced by spaces (newlines kept), so that offsets and line numbers stay right."""
    def repl(m: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", m.group())

    # keep "//" inside strings such as 'http://x' intact: only blank // preceded by start or space/;
    return re.sub(r"(?:(?<=^)|(?<=[\s;{}(),]))//[^\n]*|/\*.*?\*/", repl, text, flags=re.DOTALL | re.MULTILINE)


def ts_reads(path: str, text: str, component: str) -> list[Read]:
    """Reads in one TS/TSX file: ``import.meta.env.VITE_*`` (and, in ``vite.config.*``, any ``VITE_*``)."""
    from seenfix.editors.text import line_starts, offset_to_line

    clean = _blank_comments(text)
    starts = line_starts(clean)
    reads: list[Read] = []
    seen: set[int] = set()
    for m in _META_ENV.finditer(clean):
        name = m.group("a") or m.group("b")
        if not name.startswith("VITE_"):
            continue  # MODE, DEV, PROD, BASE_URL, SSR are Vite's own
        seen.add(m.start("a") if m.group("a") else m.start("b"))
        default = m.group("fv") if m.group("fb") else None
        reads.append(Read(name, path, offset_to_line(starts, m.start()), "vite", component,
                          "", default=default, required=default is None))
    for m in _DESTRUCTURE.finditer(clean):  # const { VITE_A, VITE_B: b = "x" } = import.meta.env
        for part in _DESTRUCTURED_NAME.finditer(m.group("names")):
            name = part.group("name")
            seen.add(m.start("names") + part.start("name"))
            default = part.group("dv")
            reads.append(Read(name, path, offset_to_line(starts, m.start("names") + part.start("name")), "vite",
                              component, "", default=default, required=default is None))
    if re.search(r"(^|/)vite\.config\.[cm]?[jt]s$", path):
        for m in _VITE_NAME.finditer(clean):
            if m.start() in seen:
                continue
            fb = _FALLBACK.match(clean, m.end())
            default = fb.group("fv") if fb else None
            reads.append(Read(m.group(), path, offset_to_line(starts, m.start()), "vite", component,
                              "", default=default, required=default is None))
    return reads
