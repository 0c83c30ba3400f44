"""Hatchling build hook (pyproject.toml: ``[tool.hatch.build.targets.wheel.hooks.custom]``): compile the optional C extension ``seenfix.analysis._unused_scan``.

Sources: ``seenfix/analysis/_native/unused_scan.c`` and the vendored tree-sitter runtime
(``seenfix/analysis/_native/tree_sitter/src/lib.c``, which includes the rest of the runtime).
The compiler is called directly, configured from ``sysconfig`` as CPython itself was built
(``CC``, ``CFLAGS``, ``CCSHARED``, ``LDSHARED``, ``EXT_SUFFIX``); ``CC``, ``CFLAGS``, ``LDSHARED``
and ``LDFLAGS`` in the environment override or extend them, as with setuptools.

- A wheel build puts the shared library at ``seenfix/analysis/_unused_scan<EXT_SUFFIX>`` in the
  wheel, which is then tagged for this interpreter and platform.
- An editable build (``pip install -e .``) copies it into the source tree at that path.
- If compiling fails, the build warns on stderr (one line) and makes a pure-Python wheel:
  seenfix falls back to pure Python at run time. ``SEENFIX_REQUIRE_NATIVE=1`` turns the failure
  into a build error carrying the compiler's output; ``SEENFIX_NO_NATIVE=1`` skips the extension
  on purpose.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.config import BuilderConfig
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MODULE = "seenfix/analysis/_unused_scan"
NATIVE = "seenfix/analysis/_native"
SOURCES = (f"{NATIVE}/unused_scan.c", f"{NATIVE}/tree_sitter/src/lib.c")
INCLUDE_DIRS = (f"{NATIVE}/tree_sitter/include", f"{NATIVE}/tree_sitter/src")
#: TREE_SITTER_HIDE_SYMBOLS keeps the runtime's ts_* functions out of the library's dynamic symbols
#: (api.h exports them otherwise): a runtime of another version loaded globally in the process must
#: not take the place of this one's, nor this one of another's.
FLAGS = ("-O3", "-std=c11", "-fPIC", "-fvisibility=hidden", "-DTREE_SITTER_HIDE_SYMBOLS")
#: The runtime's own defines (as its Makefile has them); Python.h sets its own for unused_scan.c.
RUNTIME_FLAGS = ("-D_POSIX_C_SOURCE=200112L", "-D_DEFAULT_SOURCE")


class NativeBuildError(Exception):
    """The extension could not be compiled: ``summary`` is one line, ``str()`` adds the compiler's output."""

    def __init__(self, summary: str, details: str = "") -> None:
        super().__init__(f"{summary}\n{details}".rstrip())
        self.summary = summary


def _words(value: str, what: str) -> list[str]:
    try:
        return shlex.split(value)
    except ValueError as error:
        raise NativeBuildError(f"cannot split {what} {value!r}: {error}") from None


def _config_words(name: str) -> list[str]:
    value = sysconfig.get_config_var(name)
    return _words(value, f"sysconfig's {name}") if isinstance(value, str) else []


def _env_words(name: str) -> list[str]:
    return _words(os.environ.get(name, ""), f"${name}")


def _run(command: list[str]) -> subprocess.Popen[str]:
    try:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as error:
        raise NativeBuildError(f"cannot run the C compiler {command[0]!r}: {error}") from error


def _wait(process: subprocess.Popen[str], command: list[str], step: str) -> None:
    output, _ = process.communicate()
    if process.returncode != 0:
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        first = next((line for line in lines if "error" in line.lower()), lines[0] if lines else "no output")
        raise NativeBuildError(f"{command[0]} failed {step}: {first}",
                               f"$ {shlex.join(command)}\n{output}(exit status {process.returncode})")


def compile_extension(root: Path, build_dir: Path) -> Path:
    """Compile the extension's objects (in parallel) into ``build_dir``, link them, return the library."""
    cc = _env_words("CC") or _config_words("CC")
    if not cc:
        raise NativeBuildError("no C compiler configured (sysconfig has no CC and $CC is unset)")
    if os.environ.get("LDSHARED"):
        ldshared = _env_words("LDSHARED")
    elif os.environ.get("CC") or not _config_words("LDSHARED"):
        ldshared = [*cc, "-shared"]
    else:
        ldshared = _config_words("LDSHARED")
    cflags = [*_config_words("CFLAGS"), *_config_words("CCSHARED"), *FLAGS, *_env_words("CFLAGS")]
    includes = [f"-I{root / d}" for d in INCLUDE_DIRS] + [f"-I{sysconfig.get_paths()['include']}"]
    for source in SOURCES:
        if not (root / source).is_file():
            raise NativeBuildError(f"missing source {source}")

    jobs: list[tuple[subprocess.Popen[str], list[str], str]] = []
    objects: list[str] = []
    errors: list[NativeBuildError] = []
    for index, source in enumerate(SOURCES):
        obj = build_dir / f"{index}-{Path(source).stem}.o"
        own = RUNTIME_FLAGS if source.endswith("/lib.c") else ()
        command = [*cc, *cflags, *own, *includes, "-c", str(root / source), "-o", str(obj)]
        try:
            jobs.append((_run(command), command, f"compiling {source}"))
        except NativeBuildError as error:
            errors.append(error)
            break
        objects.append(str(obj))
    for process, command, step in jobs:  # wait for every compiler started, then report the first failure
        try:
            _wait(process, command, step)
        except NativeBuildError as error:
            errors.append(error)
    if errors:
        raise errors[0]

    library = build_dir / f"_unused_scan{sysconfig.get_config_var('EXT_SUFFIX')}"
    command = [*ldshared, *objects, *_env_words("LDFLAGS"), "-o", str(library)]
    _wait(_run(command), command, "linking")
    return library


class CustomBuildHook(BuildHookInterface[BuilderConfig]):
    PLUGIN_NAME = "custom"

    _build_dir: str | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        in_tree = root / f"{MODULE}{suffix}"
        editable = version == "editable"
        if os.environ.get("SEENFIX_NO_NATIVE") == "1":
            self._warn("SEENFIX_NO_NATIVE=1: not building the C extension, seenfix will use pure Python")
            if editable:
                in_tree.unlink(missing_ok=True)  # a stale copy would still be imported
            return

        self._build_dir = tempfile.mkdtemp(prefix="seenfix-native-")
        try:
            library = compile_extension(root, Path(self._build_dir))
        except NativeBuildError as error:
            self._cleanup()
            if os.environ.get("SEENFIX_REQUIRE_NATIVE") == "1":
                raise RuntimeError(f"SEENFIX_REQUIRE_NATIVE=1 and the C extension failed to build:\n{error}") from None
            self._warn(f"could not build the C extension ({error.summary}); building a pure-Python seenfix "
                       "(set SEENFIX_REQUIRE_NATIVE=1 to make this an error)")
            if editable:
                in_tree.unlink(missing_ok=True)
            return
        except BaseException:
            self._cleanup()
            raise

        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if editable:
            # Replace, never rewrite in place: a running process may have the old library mapped.
            staged = in_tree.with_name(f".{in_tree.name}.tmp")
            shutil.copyfile(library, staged)
            os.chmod(staged, 0o755)
            os.replace(staged, in_tree)
            self._cleanup()
        else:
            build_data["force_include"][str(library)] = f"{MODULE}{suffix}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        self._cleanup()

    def _cleanup(self) -> None:
        if self._build_dir is not None:
            shutil.rmtree(self._build_dir, ignore_errors=True)
            self._build_dir = None

    @staticmethod
    def _warn(message: str) -> None:
        print(f"seenfix build warning: {message}", file=sys.stderr, flush=True)
