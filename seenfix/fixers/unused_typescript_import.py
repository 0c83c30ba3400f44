"""SF009: imports a TypeScript/TSX file never uses (the seed's issue 9 and quick win 1)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from seenfix.core.model import (
    Applicability,
    FileChange,
    FileFixer,
    Finding,
    FixAvailability,
    InputError,
    Option,
    Severity,
)

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.analysis.unused_imports import FileResult
    from seenfix.core.filepass import FilePass
    from seenfix.core.project import Project

#: Build output and dependency folders, skipped even when git does not ignore them.
SKIPPED_DIRS = re.compile(
    r"(^|/)(node_modules|dist|build|out|\.output|\.next|\.nuxt|\.svelte-kit|\.vinxi|\.vercel|"
    r"\.turbo|coverage)/"
)
DECLARATION_FILE = re.compile(r"\.d\.[mc]?ts$|\.d\.[^/]*\.ts$")


class UnusedTypescriptImport(FileFixer):
    """## What it does
    Finds import bindings of `.ts`/`.tsx` files that nothing in the file refers to, and removes
    them: the specifier with its comma, or the whole declaration and its line when nothing is left.

    A name counts as used when it appears in a value or type position, as a JSX element
    (`<Button />`, `<Menu.Item />`), in `typeof`, a decorator, `export { X }`, `export default X`,
    a template literal or an object shorthand, or as a Solid directive (`<div use:clickOutside />`
    uses the imported `clickOutside`, which `tsc --noUnusedLocals` wrongly reports).  A name seen only
    as a property, a string, a comment, a lowercase JSX tag, or a parameter, local, catch binding or
    type parameter that shadows the import does not count.

    ## Why is this bad?
    Unused imports are noise in review, slow down bundlers and type checking, and make
    `tsc --noUnusedLocals` fail; the SEEN assessment lists the unused `Button` import of
    `sidebar.tsx` as a quick win.

    ## Example
    ```tsx
    import { Button } from "~/components/ui/button";
    import { For, Show } from "solid-js";

    export const Sidebar = () => <Show when={true}>menu</Show>;
    ```

    ## Use instead
    ```tsx
    import { Show } from "solid-js";

    export const Sidebar = () => <Show when={true}>menu</Show>;
    ```

    ## Fix safety
    Safe.  Only import declarations change, and every other byte stays as it was (comments,
    line endings, a missing final newline).  Side-effect imports (`import "./app.css"`) are never
    touched, nor declaration files (`.d.ts`), build output, `node_modules`, or files tree-sitter
    cannot parse (reported and skipped): syntax errors, and TypeScript that tree-sitter-typescript's
    grammar lacks (seenfix works around three gaps of it: `in`/`out` variance annotations,
    `export type *`, and call signatures that start a line of an interface or object type).
    `React` is kept in `.tsx` files, where the classic JSX runtime uses it without a visible
    reference.  Where scope analysis is unsure, for example when a top-level
    declaration reuses the imported name, the import is kept.  Removing a whole declaration also
    drops the module's evaluation in that file, as `tsc`, ESLint and Biome do.

    An import kept on purpose stays: when the line above it (or above the name, in a multi-line
    import) is `// seenfix-ignore` (or `// seenfix-ignore SF009`), Biome's
    `// biome-ignore lint/correctness/noUnusedImports: ...` or ESLint's `// eslint-disable-next-line`
    (for every rule, or for `no-unused-vars`, `@typescript-eslint/no-unused-vars` or
    `unused-imports/no-unused-imports`), or when its own line ends with `// seenfix-ignore` or
    `// eslint-disable-line` (same rules).  It is neither reported nor removed.

    ## Options
    - `keep` (list of strings, default `[]`): module specifiers (`"solid-js"`, `"./polyfills"`) or
      local binding names (`"React"`) whose imports are never removed.

    ## References
    - [TypeScript: `noUnusedLocals`](https://www.typescriptlang.org/tsconfig/#noUnusedLocals)
    - [Solid: `use:` directives](https://docs.solidjs.com/reference/jsx-attributes/use)
    - [eslint-plugin-unused-imports](https://github.com/sweepline/eslint-plugin-unused-imports)
    - [Biome: noUnusedImports](https://biomejs.dev/linter/rules/no-unused-imports/)
    """

    code: ClassVar[str] = "SF009"
    slug: ClassVar[str] = "unused-typescript-import"
    summary: ClassVar[str] = "Unused TypeScript import"
    seed_issue: ClassVar[int] = 9
    category: ClassVar[str] = "Code Quality"  # readiness score (seenfix report)
    weight: ClassVar[int] = 1
    needs: ClassVar[tuple[str, ...]] = ("ts_files",)
    area: ClassVar[str] = "frontend"
    severity: ClassVar[Severity] = Severity.LOW
    fix_availability: ClassVar[FixAvailability] = FixAvailability.ALWAYS
    applicability: ClassVar[Applicability] = Applicability.SAFE
    sets: ClassVar[frozenset[str]] = frozenset({"quick-wins"})
    fix_title: ClassVar[str] = "Remove the unused import"
    verifies_syntax: ClassVar[bool] = True  # the analysis re-parses every output it returns
    own_suppressions: ClassVar[bool] = True  # `// seenfix-ignore SF009` keeps an import (see above)
    options: ClassVar[tuple[Option, ...]] = (
        Option("keep", list, [], "module specifiers or local names whose imports are never removed"),
    )

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self._memo: dict[tuple[str, str | None], FileResult] = {}
        self._memo_for: object = None
        self._reported: set[tuple[int, str]] = set()
        self._spec: FilePass | None = None

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> list[tuple[str, str]]:
        problems = super().validate_options(options)
        keep = options.get("keep")
        if isinstance(keep, list) and not all(isinstance(k, str) for k in keep):
            problems.append(("keep", "expected a list of strings"))
        return problems

    # -- files -----------------------------------------------------------------------------------
    def targets(self, project: Project) -> Iterable[str]:
        return project.derived("SF009 targets", lambda: tuple(p for p in project.layout.ts_files
                                                              if not SKIPPED_DIRS.search(p) and not DECLARATION_FILE.search(p)))

    def file_passes(self, project: Project) -> list[FilePass]:
        """The analysis of every target (:mod:`seenfix.core.filepass`), answers cached by digest."""
        return [self._pass(project)]

    def _pass(self, project: Project) -> FilePass:
        from seenfix.core.cache import ResultCache
        from seenfix.core.filepass import FilePass

        keep = tuple(self.config["keep"])
        if self._spec is None:
            cache = ResultCache(f"{self.code}-results", self._cache_key(keep))
            self._spec = FilePass(f"{self.code}:{keep!r}:{self.fixing}", [], _analyse_item, (keep, self.fixing),
                                  prepare=_load_parsers, cache=cache, store=_stored, restore=_restored)
        self._spec.paths = list(self.targets(project))
        return self._spec

    def _results(self, project: Project, *, texts_needed: bool = False) -> list[tuple[str, FileResult]]:
        """Analyse every target, in worker processes that read the files themselves when there are
        many (:mod:`seenfix.core.filepass`), reusing earlier results; returns ``(path, result)``.

        Results are remembered by path and text; a file as it is on disk is remembered under the text
        ``None`` (the disk does not change during a run).  The analysis of each fixed text comes with
        its result, which answers the runner's second run.  An answer from the cache (or from a
        check-only run) has no new text; with ``texts_needed`` such files are analysed again.
        """
        from seenfix.core.filepass import run_pass

        if project.workspace is not self._memo_for:  # disk texts are remembered per workspace
            self._memo.clear()
            self._memo_for = project.workspace
        spec = self._pass(project)
        keys = [(path, self._overlaid(project, path)) for path in spec.paths]
        todo = [path for path, text in keys if (path, text) not in self._memo]
        texts = dict(keys)
        if todo:
            self._remember(run_pass(project, spec, todo), texts)
        if texts_needed:  # the fix needs the new texts that cached answers leave out
            redo = [path for path, text in keys if (res := self._memo.get((path, text))) is not None
                    and res.unused and res.new_text is None]
            if redo:
                from seenfix.core.parallel import map_files

                self._remember(map_files(project, redo, _analyse_item, (spec.args[0], True),
                                         prepare=_load_parsers), texts)
        out = []
        for key in keys:
            res = self._memo.get(key)
            if res is None:
                continue  # unreadable (the workspace warned)
            if res.error is not None and (id(project), key[0]) not in self._reported:
                self._reported.add((id(project), key[0]))
                project.report(InputError(key[0], res.error[0], res.error[1], limitation=True).problem())
            out.append((key[0], res))
        return out

    def _remember(self, results: Iterable[tuple[str, FileResult]], texts: Mapping[str, str | None]) -> None:
        for path, res in results:
            self._memo[(path, texts[path])] = res
            if res.new_text is not None and res.recheck is not None:
                self._memo[(path, res.new_text)] = res.recheck

    @staticmethod
    def _cache_key(keep: tuple[str, ...]) -> list[str]:
        """What a file's verdict depends on besides its bytes: the options and the analysing code."""
        from seenfix.core.cache import module_stat, package_stat

        return [repr(sorted(keep)), module_stat(__name__), module_stat("seenfix.editors.typescript"),
                module_stat("seenfix.analysis.unused_imports"),
                package_stat("tree_sitter"), package_stat("tree_sitter_typescript")]

    @staticmethod
    def _overlaid(project: Project, path: str) -> str | None:
        change = project.overlay.get(path)
        return change.content if change is not None else None

    def _findings(self, res: FileResult) -> list[Finding]:
        return self.findings(res.path, [(b.line, b.column, f"`{b.local}` is imported from \"{b.source}\" but never used")
                                        for b in res.unused])

    def cache_writes(self) -> list[tuple[str, bytes]]:
        """Every file's verdict (its unused imports, or its syntax error), for the engine to store."""
        entry = self._spec.cache.dump() if self._spec is not None and self._spec.cache is not None else None
        return [entry] if entry is not None else []

    # -- the interface ---------------------------------------------------------------------------
    def check(self, project: Project) -> Iterable[Finding]:
        return [f for _, res in self._results(project) for f in self._findings(res)]

    def fix(self, project: Project) -> Iterable[FileChange]:
        return [FileChange(path, res.new_text) for path, res in self._results(project, texts_needed=True)
                if res.new_text is not None]

    def check_file(self, path: str, text: str, project: Project) -> Iterable[Finding]:
        return self._findings(self._one(path, text))

    def fix_file(self, path: str, text: str, project: Project) -> str | None:
        return self._one(path, text).new_text

    def _one(self, path: str, text: str) -> FileResult:
        from seenfix.analysis.unused_imports import analyse

        res = analyse(path, text, tuple(self.config["keep"]))
        if res.error is not None:
            raise InputError(path, res.error[0], res.error[1], limitation=True)
        return res


def _load_parsers() -> None:
    """tree-sitter's TypeScript parsers and the compiled scan, loaded before the workers are forked
    (and only then)."""
    from seenfix.analysis.unused_imports import load

    load()


def _analyse_item(path: str, text: str, keep: tuple[str, ...], fixing: bool) -> tuple[FileResult, bool]:
    """One file's analysis for :mod:`seenfix.core.filepass`; the text comes back when it changes.

    Without ``fixing`` (``seenfix check``) no fixed text is made (nobody will use it)."""
    from seenfix.analysis.unused_imports import analyse

    res = analyse(path, text, keep, recheck=fixing, edits=fixing)
    return res, fixing and res.new_text is not None


def _stored(path: str, res: FileResult) -> tuple[tuple[Any, ...], tuple[int, str] | None]:
    """What the cache keeps of a result: the unused bindings and the syntax error (no path, no text)."""
    return tuple(tuple(b) for b in res.unused), res.error


def _restored(path: str, stored: tuple[tuple[Any, ...], tuple[int, str] | None]) -> FileResult:
    from seenfix.analysis.unused_imports import FileResult
    from seenfix.editors.typescript import ImportBinding

    unused, error = stored
    return FileResult(path, tuple(ImportBinding(*b) for b in unused), error=error)
