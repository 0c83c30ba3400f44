"""The environment variables backend Python reads are found on CPython's tree (``python_reads``; a
check does not import libcst), with the libcst visitor (``_cst_reads``) kept for the files CPython
cannot parse.  The libcst visitor is the reference: both must give the same reads, field for field
and in the same order, on real files and on the places where the two trees differ (a number's
source text, ``True``/``None``, a call's keyword arguments, a one-element tuple subscript...).
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from seenfix.analysis.env_reads_python import _cst_reads, python_reads
from seenfix.analysis.envvars import COMPUTED, Read
from seenfix.core.model import InputError
from seenfix.editors.python import AstSource

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
HINTS = ("getenv", "environ", "Settings", "Field(", "config(")
MAX_SIZE = 200_000
#: Files of the installed packages and the standard library compared (evenly spread, by path).
SAMPLE = 400
#: ... among those under this size, so that libcst (the slow side) keeps the test short.
SAMPLE_MAX_SIZE = 25_000


def _both(text: str, path: str = "x.py") -> list[Read]:
    mine, reference = python_reads(path, text, "c"), _cst_reads(path, text, "c")
    assert mine == reference, f"CPython walk {mine!r}\n!= libcst {reference!r}"
    return mine


def _got(reads: list[Read]) -> list[tuple[object, ...]]:
    return [(r.name, r.line, r.kind, r.context, r.default, r.required) for r in reads]


def _files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*.py") if p.is_file() and p.stat().st_size <= MAX_SIZE)


def _library_sample() -> list[Path]:
    """A deterministic sample of the venv's packages and the standard library mentioning a read."""
    paths = sysconfig.get_paths()
    candidates: list[Path] = []
    for key in ("purelib", "stdlib"):
        for p in _files(Path(paths[key])):
            if p.stat().st_size > SAMPLE_MAX_SIZE:
                continue
            try:
                text = p.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            if any(h in text for h in HINTS):
                candidates.append(p)
    step = max(1, len(candidates) // SAMPLE)
    return candidates[::step][:SAMPLE]


def test_same_reads_as_libcst_on_real_files() -> None:
    files = _files(REPO / "fixtures") + _files(REPO / "tests") + _files(CORPUS)
    local = len(files)
    files += _library_sample()
    compared = with_reads = reads_n = 0
    wrong: list[str] = []
    start = time.monotonic()
    for p in files:
        try:
            text = p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        try:
            reference = _cst_reads(str(p), text, "c")
        except InputError:  # libcst (or CPython, for nesting) cannot read it
            continue
        try:
            mine = python_reads(str(p), text, "c")
        except InputError as exc:
            wrong.append(f"{p}: CPython walk raised {exc!r}, libcst read {len(reference)} reads")
            continue
        compared += 1
        with_reads += bool(reference)
        reads_n += len(reference)
        if mine != reference:
            only_mine = [r for r in mine if r not in reference]
            only_ref = [r for r in reference if r not in mine]
            detail = (f"only CPython {only_mine}, only libcst {only_ref}" if only_mine or only_ref
                      else "order differs")
            wrong.append(f"{p}: {detail}")
    print(f"compared {compared} files ({local} local), {with_reads} with reads, {reads_n} reads, "
          f"{time.monotonic() - start:.1f}s")
    assert not wrong, "\n".join(wrong)
    assert compared >= 300 and with_reads >= 50 and reads_n >= 300


# -- the places where the trees differ ---------------------------------------------------------

CASES: dict[str, tuple[str, list[tuple[object, ...]]]] = {
    # libcst's Integer / Float value is the source text; True/False read as "true"/"false"; None as ""
    "numbers keep their source text": (
        'import os\nA = os.getenv("A", 0x10)\nB = os.getenv("B", 1_000)\nC = os.getenv("C", 1e3)\n'
        'D = os.getenv("D", -5)\nE = os.getenv("E", 2j)\nF = os.getenv("F", - 0O7)\nG = os.getenv("G", +1)\n'
        'H = f"{os.getenv(\'H\', 0X1_F)}é{os.getenv(\'I\', 1.5E-3)}"\n',
        [("A", 2, "getenv", "", "0x10", False), ("B", 3, "getenv", "", "1_000", False),
         ("C", 4, "getenv", "", "1e3", False), ("D", 5, "getenv", "", "-5", False),
         ("E", 6, "getenv", "", COMPUTED, False), ("F", 7, "getenv", "", "-0O7", False),
         ("G", 8, "getenv", "", COMPUTED, False), ("H", 9, "getenv", "", "0X1_F", False),
         ("I", 9, "getenv", "", "1.5E-3", False)]),
    "true false none": (
        'import os\nA = os.getenv("A", True)\nB = os.environ.get("B", False)\nC = os.getenv("C", None)\n'
        'D = env("D", default=None)\nE = config("E", default=True)\nF = os.getenv("F", ...)\n'
        'class S(BaseSettings):\n    x: bool = True\n    y: str | None = None\n    z: int = Field(None)\n'
        '    w: int = Field(...)\n    v: int = Field(default=False)\n    u: int = -True\n',
        [("A", 2, "getenv", "", "true", False), ("B", 3, "getenv", "", "false", False),
         ("C", 4, "getenv", "", "", False), ("D", 5, "getenv", "", "", False),
         ("E", 6, "getenv", "", "true", False), ("F", 7, "getenv", "", COMPUTED, False),
         ("X", 9, "pydantic", "S.x", "true", False), ("Y", 10, "pydantic", "S.y", "", False),
         ("Z", 11, "pydantic", "S.z", "", False), ("W", 12, "pydantic", "S.w", None, True),
         ("V", 13, "pydantic", "S.v", "false", False), ("U", 14, "pydantic", "S.u", "-true", False)]),
    # libcst's Call.args is one list in source order: ``*b`` may follow a keyword argument (the
    # ``*a`` of ``Field(alias=..., *a)`` is not its first argument, so not a default)
    "keyword before positional": (
        'import os\nos.getenv(key="A", *rest)\nos.getenv(*"B")\nos.getenv(default="x", key="lower")\n'
        'env(default="d", *names)\nenv(*"CC")\nenv(**{"D": 1})\nos.getenv("E", default="e")\n'
        'class S(BaseSettings):\n    f: int = Field(alias="F_ALIAS", *a)\n    g: int = Field(**kw)\n',
        [("A", 2, "getenv", "", COMPUTED, False), ("B", 3, "getenv", "", None, False),
         ("x", 4, "getenv", "", "lower", False), ("CC", 6, "getenv", "", None, True),
         ("E", 8, "getenv", "", "e", False), ("F_ALIAS", 10, "pydantic", "S.f", None, True),
         ("G", 11, "pydantic", "S.g", COMPUTED, False)]),
    "multi-target assign is not a model_config": (
        'class S(BaseSettings):\n    model_config = other = SettingsConfigDict(env_prefix="X_")\n    a: int\n'
        'class T(BaseSettings):\n    model_config: SettingsConfigDict = SettingsConfigDict(env_prefix="T_")\n'
        '    b: int\n    class Config:\n        env_prefix = other = "C_"\n',
        [("A", 3, "pydantic", "S.a", None, True), ("T_B", 6, "pydantic", "T.b", None, True)]),
    # (libcst's StarredElement / starred Arg has the starred expression as its value: ``*"C3"`` reads)
    "aliases": (
        'class S(BaseSettings):\n'
        '    a: str = Field("x", validation_alias=AliasChoices("A1", "A2", name="A3", *more))\n'
        '    b: str = Field(alias="B1")\n'
        '    c: str = Field(env=["C1", "C2", *"C3", *["C4"], "c-bad", "C1"])\n'
        '    d: str = Field(validation_alias=("D1", 3, "D2"))\n'
        '    e: str = Field(validation_alias={"E1", })\n'
        '    f: str = Field(default_factory=list, alias=pydantic.AliasChoices("F1"))\n'
        '    g: str = Field(validation_alias=AliasPath("G1", 0))\n',
        [("A1", 2, "pydantic", "S.a", "x", False), ("A2", 2, "pydantic", "S.a", "x", False),
         ("A3", 2, "pydantic", "S.a", "x", False), ("B1", 3, "pydantic", "S.b", None, True),
         ("C1", 4, "pydantic", "S.c", None, True), ("C2", 4, "pydantic", "S.c", None, True),
         ("C3", 4, "pydantic", "S.c", None, True), ("D1", 5, "pydantic", "S.d", None, True),
         ("D2", 5, "pydantic", "S.d", None, True), ("E1", 6, "pydantic", "S.e", None, True),
         ("F1", 7, "pydantic", "S.f", COMPUTED, False), ("G", 8, "pydantic", "S.g", None, True)]),
    "env_prefix and case_sensitive": (
        'class A(BaseSettings):\n    model_config = {"env_prefix": "a_", **base, "case_sensitive": True}\n'
        '    Mixed: str\n'
        'class B(BaseSettings):\n    class Config:\n        env_prefix = "b_"\n        case_sensitive = False\n'
        '    Mixed: str\n'
        'class C(pydantic_settings.BaseSettings):\n    model_config = SettingsConfigDict(case_sensitive=True)\n'
        '    Mixed: str = ""\n'
        'class D(BaseSettings):\n    model_config = SettingsConfigDict(env_prefix=PREFIX)\n    x: int = 0\n',
        [("a_Mixed", 3, "pydantic", "A.Mixed", None, True), ("B_MIXED", 8, "pydantic", "B.Mixed", None, True),
         ("Mixed", 11, "pydantic", "C.Mixed", "", False), ("X", 14, "pydantic", "D.x", "0", False)]),
    "a subclass inherits its parent's config": (
        'class Base(BaseSettings):\n    model_config = SettingsConfigDict(env_prefix="app_")\n    a: int = 1\n'
        'class Child(Base):\n    b: int = 2\n'
        'class Grand(mod.Child):\n    model_config = SettingsConfigDict(case_sensitive=True)\n    c: int = 3\n'
        'class Other(Unrelated, Child):\n    d: int = 4\n'
        'class Outer(BaseSettings):\n    class Inner(Outer):\n        e: int = 5\n    f: int = os.getenv("F", 6)\n',
        [("APP_A", 3, "pydantic", "Base.a", "1", False), ("APP_B", 5, "pydantic", "Child.b", "2", False),
         ("app_c", 8, "pydantic", "Grand.c", "3", False), ("APP_D", 10, "pydantic", "Other.d", "4", False),
         ("E", 13, "pydantic", "Inner.e", "5", False), ("F", 14, "pydantic", "Outer.f", COMPUTED, False),
         ("F", 14, "getenv", "Outer", "6", False)]),
    # libcst's Subscript.slice: ``x[a, b]`` two elements, ``x[a,]`` and ``x[*a]`` one Index of ``a``,
    # ``x[(a,)]`` one Index of a tuple, ``x[1:2]`` a Slice
    "environ subscripts": (
        'import os\nos.environ["A", "B"]\nos.environ["C",]\nos.environ[("D",)]\nos.environ[1:2]\n'
        'os.environ[*"E"]\nos.environ[("F"),]\nos.environ[("G")]\nenviron[\n    "H"\n]\nos.environ["I":]\n'
        'os.environ[(("J"),)]\nos.environ["K" "L"]\nos.environ[b"M"]\nos.environ[f"N"]\n',
        [("C", 3, "environ", "", None, True), ("E", 6, "environ", "", None, True),
         ("F", 7, "environ", "", None, True), ("G", 8, "environ", "", None, True),
         ("H", 10, "environ", "", None, True), ("KL", 14, "environ", "", None, True)]),
    # libcst visits in pre-order with each node's children in source order
    "visiting order": (
        'import os\n@d(os.getenv("D0"))\nclass S(mk(os.getenv("B0")), metaclass=m(os.getenv("K0"))):\n'
        '    x = {os.getenv("K"): os.getenv("V"), **os.environ["S"]}\n'
        '    y = os.getenv("B") if os.getenv("A") else os.getenv("C")\n'
        '    @dec(os.getenv("DEC"))\n'
        '    def f(self, a: os.environ["T1"] = os.getenv("D1"), *b: os.environ["T2"], '
        'c: os.environ["T3"] = os.getenv("D3"), **k: os.environ["T4"]) -> os.environ["R"]:\n'
        '        g = lambda q=os.getenv("L1"), r=os.getenv("L2"): os.getenv("L3")\n'
        'os.getenv("OUT", os.getenv("IN", os.environ["DEEP"]))\n',
        [("D0", 2, "getenv", "S", None, False), ("B0", 3, "getenv", "S", None, False),
         ("K0", 3, "getenv", "S", None, False), ("K", 4, "getenv", "S", None, False),
         ("V", 4, "getenv", "S", None, False), ("S", 4, "environ", "S", None, True),
         ("B", 5, "getenv", "S", None, False), ("A", 5, "getenv", "S", None, False),
         ("C", 5, "getenv", "S", None, False), ("DEC", 6, "getenv", "S", None, False),
         ("T1", 7, "environ", "S", None, True), ("D1", 7, "getenv", "S", None, False),
         ("T2", 7, "environ", "S", None, True), ("T3", 7, "environ", "S", None, True),
         ("D3", 7, "getenv", "S", None, False), ("T4", 7, "environ", "S", None, True),
         ("R", 7, "environ", "S", None, True), ("L1", 8, "getenv", "S", None, False),
         ("L2", 8, "getenv", "S", None, False), ("L3", 8, "getenv", "S", None, False),
         ("OUT", 9, "getenv", "", COMPUTED, False), ("IN", 9, "getenv", "", COMPUTED, False),
         ("DEEP", 9, "environ", "", None, True)]),
    # a field's AnnAssign is read when visited, before the calls in its value
    "a field before the reads in its value; methods are not scopes": (
        'class S(BaseSettings):\n    a: str = Field(default=os.getenv("INNER", "i"))\n'
        '    def m(self):\n        local: int = 1\n        self.attr: int = 2\n'
        '    b: ClassVar[int] = 1\n    _c: int = 1\n    model_config: dict = {}\n',
        [("A", 2, "pydantic", "S.a", COMPUTED, False), ("INNER", 2, "getenv", "S", "i", False),
         ("LOCAL", 4, "pydantic", "S.local", "1", False)]),
    # libcst's SimpleStatementSuite (``class A: x = 1``): its ``_settings_config`` skips the statements
    "one-line class bodies": (
        'class S(BaseSettings): model_config = {"env_prefix": "P_"}; x: int = 1\n'
        'class T(BaseSettings):\\\n  model_config = {"env_prefix": "P_"}; y: int = 1\n'
        'class U(BaseSettings):  # a comment \\\n  model_config = {"env_prefix": "P_"}; z: int = 1\n'
        'class V(BaseSettings):\n  class Config: env_prefix = "V_"\n  v: int = 1\n',
        [("X", 1, "pydantic", "S.x", "1", False), ("Y", 3, "pydantic", "T.y", "1", False),
         ("P_Z", 5, "pydantic", "U.z", "1", False), ("V", 8, "pydantic", "V.v", "1", False)]),
    "f-strings and line breaks": (
        'import os\r\nA = f"""\r\n{os.getenv("A", 1_0)}\r\n  {os.environ[\n"B"]}"""\rC = os.getenv(\\\n"C")\n'
        'D = ("x"\n  f"{os.getenv(\'D\')!r:{os.getenv(\'W\', 3)}}")\n',
        [("A", 3, "getenv", "", "1_0", False), ("B", 5, "environ", "", None, True),
         ("C", 7, "getenv", "", None, False), ("D", 9, "getenv", "", None, False),
         ("W", 9, "getenv", "", "3", False)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_where_the_trees_differ(name: str) -> None:
    text, expected = CASES[name]
    assert _got(_both(text)) == expected


def test_syntax_cpython_311_cannot_parse_goes_to_libcst() -> None:
    """A PEP 695 alias (Python 3.12) is read by libcst on an older interpreter, as before."""
    text = 'import os\ntype Url = str\nURL = os.getenv("URL", "http://x")\n'
    assert _got(_both(text)) == [("URL", 3, "getenv", "", "http://x", False)]
    if sys.version_info < (3, 12):  # libcst, through the fallback
        import ast

        with pytest.raises(SyntaxError):
            ast.parse(text)


def test_a_number_whose_position_is_off_goes_to_libcst(monkeypatch: pytest.MonkeyPatch) -> None:
    """A number is read as its source text at CPython's position: should that text not be the
    number (a position CPython got wrong), the file is read with libcst rather than guessed."""
    text = 'import os\nA = os.getenv("A", 0x10)\n'
    monkeypatch.setattr(AstSource, "line", lambda self, lineno: b"?" * 80)
    assert _got(_both(text)) == [("A", 2, "getenv", "", "0x10", False)]


def test_syntax_error_is_libcsts_input_error() -> None:
    with pytest.raises(InputError) as mine:
        python_reads("bad.py", 'X = os.getenv("X")\ndef f(:\n', "c")
    with pytest.raises(InputError) as reference:
        _cst_reads("bad.py", 'X = os.getenv("X")\ndef f(:\n', "c")
    assert (mine.value.line, mine.value.message) == (reference.value.line, reference.value.message)


def test_reading_python_does_not_import_libcst(tmp_path: Path) -> None:
    config = tmp_path / "config.py"
    config.write_text(CASES["aliases"][0] + CASES["visiting order"][0], encoding="utf-8")
    code = ("import sys\nfrom seenfix.analysis.env_reads_python import python_reads\n"
            f"reads = python_reads('config.py', open({str(config)!r}, encoding='utf-8').read(), 'c')\n"
            "print(len(reads), 'libcst' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert proc.stdout.split() == [str(len(CASES["aliases"][1]) + len(CASES["visiting order"][1])), "False"]
