"""SF006: no production env template listing what the deployment really reads."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from seenfix.core.model import FileChange, Finding, Fixer, Option, Severity

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.analysis.envvars import Discovery, EnvVar
    from seenfix.core.filepass import FilePass
    from seenfix.core.project import Project

_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@/\s]+@")
_MAX_PLACES = 3


class MissingProductionEnvTemplate(Fixer):
    """Write `.env.production.example`, the production env template, from what the code reads.

    ## What it does
    Finds every environment variable the deployment reads: compose interpolation (`${VAR}`,
    `${VAR:-default}`, `${VAR:?message}`), backend settings (pydantic-settings fields with their
    `env_prefix`, aliases and defaults; `os.getenv`, `os.environ[...]`) and frontend build-time
    variables (`import.meta.env.VITE_*`, `VITE_*` in `vite.config.ts`). Reports a missing template,
    variables the template lacks, template entries the code no longer reads, and a `.gitignore` that
    does not ignore `.env.production`.

    ## Why is this bad?
    Without a list of the variables production needs, a deployment finds out at runtime, when a
    service crashes on a missing setting or silently runs with a development default. The seed
    assessment lists it as "Missing Production Environment Variables" and its quick win 2.

    ## Example
    A repository with a `docker-compose.yml` reading `${TMDB_API_KEY}` and a backend reading
    `JWT_SECRET`, and no `.env.production.example`.

    ## Use instead
    ```
    # === backend ===
    # JWT_SECRET (required, secret: generate one with `seenfix secret`): read in docker-compose.yml
    JWT_SECRET=
    # TMDB_API_KEY (required, secret: from the provider): read in docker-compose.yml (service backend)
    TMDB_API_KEY=
    ```
    Copy it to `.env.production` (git-ignored), fill it in, and gate the deployment with
    `seenfix env check .env.production`.

    ## Fix safety
    Safe. The template is grouped by compose service or code component, with one comment line per
    variable saying where it is read, whether it is required and its default. Secrets are always
    left empty, never filled with a value. On a re-run, new variables are added to their group, every
    existing line (including your edits) is kept, and variables no longer read are marked with
    `# seenfix: NAME is no longer read by the code`, not deleted. `.gitignore` only gains lines.

    ## Options
    - `path` (string, default `.env.production.example`): where the template is written, relative
      to the project root; the real env file is the same name without `.example`.

    ## References
    - [Compose: interpolation](https://docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/)
    - [pydantic-settings: environment variable names](https://docs.pydantic.dev/latest/concepts/pydantic_settings/)
    - [Vite: env variables and modes](https://vite.dev/guide/env-and-mode)
    - [The Twelve-Factor App: config](https://12factor.net/config)
    """

    code: ClassVar[str] = "SF006"
    phase: ClassVar[int] = 1  # lists what every other fixer leaves
    slug: ClassVar[str] = "missing-production-env-template"
    summary: ClassVar[str] = "Production env template is missing or out of date"
    seed_issue: ClassVar[int] = 6
    category: ClassVar[str] = "Configuration"  # readiness score (seenfix report)
    weight: ClassVar[int] = 3
    needs: ClassVar[tuple[str, ...]] = ("compose_files", "python_files", "ts_files")
    area: ClassVar[str] = "config"
    severity: ClassVar[Severity] = Severity.HIGH
    sets: ClassVar[frozenset[str]] = frozenset({"quick-wins", "p1"})
    fix_title: ClassVar[str] = "Write .env.production.example from the variables the code reads"
    follow_up: ClassVar[str] = "Fill in the values of the production environment template in your deployment."
    options: ClassVar[tuple[Option, ...]] = (
        Option("path", str, ".env.production.example", "where the production env template is written"),
    )

    _found: tuple[Project, Discovery] | None = None
    _passes: tuple[FilePass, ...] = ()

    @property
    def template_path(self) -> str:
        return str(self.config["path"]).strip("/")

    @property
    def target(self) -> str:
        return re.sub(r"\.(example|sample|template|dist)$", "", self.template_path)

    # -- check ------------------------------------------------------------------------------------
    def applies(self, project: Project) -> bool:
        """Code that reads the environment, or a compose or env file that provides it."""
        lay = project.layout
        return bool(lay.python_files or lay.ts_files or lay.compose_files or lay.env_files
                    or any(p.endswith((".js", ".mjs", ".cjs")) for p in project.files()))

    def warm_up(self, project: Project) -> list[Callable[[], object]]:
        """What :meth:`check` imports: the template's reader and the readers of the variables compose
        files and TypeScript code use; when fixing, jinja2 and the template (a fix renders it)."""
        from seenfix.core.lazy import importer

        loads = [*super().warm_up(project), importer("seenfix.analysis.env_template",
                                                     "seenfix.analysis.env_reads_compose", "seenfix.analysis.env_reads_ts")]
        return [*loads, _load_template] if self.fixing else loads

    def check(self, project: Project) -> Iterable[Finding]:
        from seenfix.analysis.env_template import assigned_names, markers, stale_entries

        found = self._discover(project)
        if not found.vars:
            return []
        path = self.template_path
        out: list[Finding] = []
        existing = project.read_text(path)
        if existing is None:
            required = sum(1 for v in found.vars.values() if v.required)
            out.append(self.finding(path, 1, f"{path} does not exist: the deployment reads {len(found.vars)} "
                                    f"environment variables ({required} required) that no template lists"))
        else:
            present = assigned_names(existing)
            marked = markers(existing)
            for var in found.vars.values():
                if var.name not in present:
                    r = var.reads[0]
                    out.append(self.finding(r.path, r.line, f"{var.name} is read here but missing from {path}",
                                            fix_title=f"Add {var.name} to {path}"))
            for name, i in stale_entries(existing, found.vars):
                if name not in marked:
                    out.append(self.finding(path, i + 1, f"{name} is listed in {path} but no longer read by the code",
                                            fix_title=f"Mark {name} as no longer read"))
            for name, i in marked.items():
                if name in found.vars:
                    out.append(self.finding(path, i + 1, f"{name} is marked as no longer read but the code reads it",
                                            fix_title="Remove the outdated marker"))
        if self._gitignore(project) is not None:
            out.append(self.finding(".gitignore", 1, f"{self.target} is not git-ignored",
                                    fix_title=f"Add {self.target} to .gitignore"))
        return out

    # -- fix --------------------------------------------------------------------------------------
    def fix(self, project: Project) -> Iterable[FileChange]:
        from seenfix.analysis.env_template import merge

        found = self._discover(project)
        if not found.vars:
            return []
        changes: list[FileChange] = []
        existing = project.read_text(self.template_path)
        new = merge(existing, self.render(project, found), found.vars)
        if new != existing:
            changes.append(FileChange(self.template_path, new))
        ignore = self._gitignore(project)
        if ignore is not None:
            changes.append(FileChange(".gitignore", ignore))
        return changes

    # -- helpers ----------------------------------------------------------------------------------
    def _discover(self, project: Project) -> Discovery:
        """Discovery over ``project``, once per project (``check`` then ``fix`` see the same one)."""
        from seenfix.analysis.envvars import discover

        if self._found is not None and self._found[0] is project:
            return self._found[1]
        found = discover(project, *self.file_passes(project))
        for problem in found.problems:
            project.report(problem)
        self._found = (project, found)
        return found

    def file_passes(self, project: Project) -> list[FilePass]:
        """What the backend's Python files read (libcst's parse is the slow part) and which frontend
        sources mention ``VITE_`` (only those are read again to find the variables), in the run's
        parallel pass over the files, cached by digest."""
        from seenfix.analysis.envvars import backend_sources, frontend_sources, mentions_vite, python_reads_of
        from seenfix.core.cache import ResultCache, module_stat, package_stat
        from seenfix.core.filepass import FilePass

        if not self._passes:
            key = [module_stat(m) for m in ("seenfix.analysis.envvars", "seenfix.analysis.env_reads_python",
                                            "seenfix.editors.python")]
            self._passes = (
                FilePass(f"{self.code}-python", [], python_reads_of, store=_keep, restore=_keep,
                         cache=ResultCache(f"{self.code}-python", [*key, package_stat("libcst")])),
                FilePass(f"{self.code}-vite", [], mentions_vite, store=_keep, restore=_keep, light=True,
                         cache=ResultCache(f"{self.code}-vite", key[:1])),
            )
        self._passes[0].paths, self._passes[1].paths = backend_sources(project), frontend_sources(project)
        return list(self._passes)

    def cache_writes(self) -> list[tuple[str, bytes]]:
        """The answers of both passes, for the engine to store."""
        entries = [p.cache.dump() for p in self._passes if p.cache is not None]
        return [entry for entry in entries if entry is not None]

    def _gitignore(self, project: Project) -> str | None:
        """The new ``.gitignore`` text, or ``None`` when nothing needs adding."""
        from seenfix.editors.text import ensure_lines

        text = project.read_text(".gitignore")
        wanted: list[str] = []
        if not project.is_ignored(self.target):
            wanted.append(self.target)  # ensure_lines adds nothing when the line is there already
        if project.is_ignored(self.template_path):
            wanted.append("!" + self.template_path)
        new = ensure_lines(text, wanted, header="# Production environment (seenfix SF006)") if wanted else None
        return None if new is None or new == (text or "") else new

    def render(self, project: Project, found: Discovery) -> str:
        """The full template for ``found`` (rendered from ``templates/env_production.j2``)."""
        from seenfix.core.templating import render

        groups = [{"title": title, "vars": [_entry(v) for v in vars_]} for title, vars_ in found.groups().items()]
        lay = project.layout
        roots = [r + "/" for r in (*lay.backend_roots, *lay.frontend_roots) if r not in ("", ".")]
        sources = sorted({next((root for root in roots if r.path.startswith(root)), r.path)
                          for v in found.vars.values() for r in v.reads})
        return render("env_production.j2", target=self.target, groups=groups, sources=", ".join(sources))


def _entry(var: EnvVar) -> dict[str, Any]:
    """Name, flags, where read and the assignment line of one variable."""
    from seenfix.editors.dotenv import render_value
    from seenfix.analysis.envvars import COMPUTED
    from seenfix.analysis.secrets_policy import is_generatable

    flags = ["required" if var.required else "optional"]
    if var.sensitive:
        flags.append("secret: generate one with `seenfix secret`" if is_generatable(var.name)
                     else "secret: from the provider")
    default = None if var.default is None else _URL_PASSWORD.sub(r"\1****@", var.default)
    if var.provided_by is not None and not var.in_compose:
        flags.append(f"set in {var.provided_by.rsplit(':', 1)[0]} for the containers")
    elif default == COMPUTED:
        flags.append("default computed in code")
    elif default is not None and not var.sensitive:
        flags.append(f"default {default!r}" if default else "default empty")
    places = list(dict.fromkeys(f"{r.path} ({r.context})" if r.context else r.path for r in var.reads))
    where = ", ".join(places[:_MAX_PLACES]) + (f" and {len(places) - _MAX_PLACES} more"
                                               if len(places) > _MAX_PLACES else "")
    if var.required or var.sensitive:
        line = f"{var.name}="
    elif default and default != COMPUTED and (var.provided_by is None or var.in_compose):
        line = f"# {var.name}={render_value(default)}"
    else:
        line = f"# {var.name}="
    return {"name": var.name, "flags": flags, "where": where, "line": line}


def _load_template() -> None:
    from seenfix.core.templating import load

    load("env_production.j2")


def _keep(path: str, found: Any) -> Any:
    return found
