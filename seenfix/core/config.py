"""Configuration: ``.seenfix.toml`` or ``[tool.seenfix]`` in the target's ``pyproject.toml``.

```toml
select = ["SF011", "missing-log-rotation"]   # codes or slugs
ignore = []
extend-select = []                           # added to select, --select or --set
extend-ignore = []                           # added to ignore and --ignore
fail-on = "fixable"                          # as `seenfix check --fail-on`
unsafe-fixes = false
exclude = ["legacy/"]                        # paths never read

[per-file-ignores]                           # findings never reported for these paths
"tests/**" = ["SF010"]

[paths]                                      # when discovery is not enough
compose = ["deploy/docker-compose.yml"]
nginx = ["frontend/nginx.conf"]
backend = ["backend"]
frontend = ["frontend"]

[fixers.SF011.services.postgres]             # per-fixer options, by code or slug
memory = "2g"
```

An unknown key or a value of the wrong type is a :class:`ConfigError` naming the file and the key
(exit code 2).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seenfix.core.project import PathsConfig
from seenfix.core.registry import Registry


class ConfigError(Exception):
    def __init__(self, file: str, key: str, message: str) -> None:
        super().__init__(f"{file}: {key}: {message}" if key else f"{file}: {message}")
        self.file = file
        self.key = key


@dataclass(frozen=True)
class Config:
    source: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    exclude: tuple[str, ...] = ()
    paths: PathsConfig = field(default_factory=PathsConfig)
    fixer_options: dict[str, dict[str, Any]] = field(default_factory=dict)  # by code
    extend_select: tuple[str, ...] = ()
    extend_ignore: tuple[str, ...] = ()
    #: (glob, codes): findings of those codes in matching paths are suppressed
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    fail_on: str = "fixable"  # which findings make `seenfix check` exit 1 (see --fail-on)


FAIL_ON = ("fixable", "high", "medium", "low")
TOP_KEYS = {"fail-on", "select", "ignore", "extend-select", "extend-ignore", "per-file-ignores", "unsafe-fixes", "exclude",
            "paths", "fixers"}
PATH_KEYS = {"compose", "nginx", "backend", "frontend"}


def find_config(root: Path) -> tuple[Path, dict[str, Any]] | None:
    dedicated = root / ".seenfix.toml"
    if dedicated.is_file():
        return dedicated, _read(dedicated)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        data = _read(pyproject)
        tool = data.get("tool", {})
        if isinstance(tool, dict) and "seenfix" in tool:
            section = tool["seenfix"]
            if not isinstance(section, dict):
                raise ConfigError(str(pyproject), "tool.seenfix", "must be a table")
            return pyproject, section
    return None


def _read(path: Path) -> dict[str, Any]:
    from seenfix.core.workspace import read_regular

    data = b""
    try:
        data = read_regular(path)[0]
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:  # TOML is UTF-8
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(str(path), "", f"invalid TOML: not UTF-8 text (at line {line})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "", f"invalid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        from seenfix.core.model import deepest_line

        line = deepest_line(data.decode("utf-8", "replace"))
        raise ConfigError(str(path), "", f"invalid TOML: nested too deeply (at line {line})") from None
    except OSError as exc:
        raise ConfigError(str(path), "", exc.strerror or str(exc)) from None


def _str_list(file: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(file, key, "expected a list of strings")
    return tuple(v.strip() for v in value)


def load_config(root: Path, registry: Registry, explicit: Path | None = None) -> Config:
    if explicit is not None:
        found: tuple[Path, dict[str, Any]] | None = (explicit, _read(explicit))
    else:
        found = find_config(root)
    if found is None:
        return Config()
    path, data = found
    prefix = "tool.seenfix." if path.name == "pyproject.toml" and explicit is None else ""
    file = str(path)
    for key in data:
        if key not in TOP_KEYS:
            raise ConfigError(file, prefix + key, "unknown key")
    lists = {key: _str_list(file, prefix + key, data.get(key, []))
             for key in ("select", "ignore", "extend-select", "extend-ignore")}
    for key, codes in lists.items():
        for code in codes:
            if code.upper() != "ALL" and registry.find(code) is None:
                raise ConfigError(file, prefix + key, f"unknown fixer {code!r}")
    raw_pfi = data.get("per-file-ignores", {})
    if not isinstance(raw_pfi, dict):
        raise ConfigError(file, prefix + "per-file-ignores", "expected a table")
    per_file: list[tuple[str, tuple[str, ...]]] = []
    for pattern, value in raw_pfi.items():
        key = f'{prefix}per-file-ignores."{pattern}"'
        codes = _str_list(file, key, value)
        resolved = []
        for code in codes:
            if code.upper() == "ALL":
                resolved.extend(registry.codes())
                continue
            fx = registry.find(code)
            if fx is None:
                raise ConfigError(file, key, f"unknown fixer {code!r}")
            resolved.append(fx.code)
        per_file.append((pattern, tuple(resolved)))
    fail_on = data.get("fail-on", "fixable")
    if fail_on not in FAIL_ON:
        raise ConfigError(file, prefix + "fail-on", f"expected one of {', '.join(FAIL_ON)}")
    unsafe = data.get("unsafe-fixes", False)
    if not isinstance(unsafe, bool):
        raise ConfigError(file, prefix + "unsafe-fixes", "expected a boolean")
    exclude = _str_list(file, prefix + "exclude", data.get("exclude", []))

    raw_paths = data.get("paths", {})
    if not isinstance(raw_paths, dict):
        raise ConfigError(file, prefix + "paths", "expected a table")
    for key in raw_paths:
        if key not in PATH_KEYS:
            raise ConfigError(file, f"{prefix}paths.{key}", "unknown key")
    paths = PathsConfig(**{k: _str_list(file, f"{prefix}paths.{k}", v) for k, v in raw_paths.items()})

    raw_fixers = data.get("fixers", {})
    if not isinstance(raw_fixers, dict):
        raise ConfigError(file, prefix + "fixers", "expected a table")
    options: dict[str, dict[str, Any]] = {}
    for key, value in raw_fixers.items():
        fixer = registry.find(key)
        if fixer is None:
            raise ConfigError(file, f"{prefix}fixers.{key}", "unknown fixer")
        if not isinstance(value, dict):
            raise ConfigError(file, f"{prefix}fixers.{key}", "expected a table")
        for bad_key, problem in fixer.validate_options(value):
            raise ConfigError(file, f"{prefix}fixers.{key}.{bad_key}", problem)
        options.setdefault(fixer.code, {}).update(value)
    return Config(file, lists["select"], lists["ignore"], unsafe, exclude, paths, options,
                  lists["extend-select"], lists["extend-ignore"], tuple(per_file), fail_on)
