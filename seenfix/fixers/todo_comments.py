"""SF010: TODO comments mark unfinished features."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from seenfix.core.model import Applicability, FileFixer, Finding, FixAvailability, Option, Severity
from seenfix.core.project import Project, is_test_path

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.filepass import FilePass

_SUFFIXES = (".py", ".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".sh", ".yml", ".yaml", ".conf")
# A marker inside a comment: after `#`, `//`, `/*` or `{/*`, at a word boundary, upper case.
#: The rest of the line is taken whole and trimmed in Python (:func:`_note`): a lazy ``.*?`` before
#: optional trailing parts backtracked for minutes on a comment line with a long run of spaces.
_COMMENT_TODO = re.compile(r"(?:#|//|/\*)\s*(?P<tag>TODO|FIXME|XXX|HACK)\b[:\s-]*(?P<text>.*)")


class TodoComments(FileFixer):
    """
    ## What it does
    Reports `TODO`, `FIXME`, `XXX` and `HACK` comments in the source code, the deployment files and
    the nginx configuration, one finding per comment.

    ## Why is this bad?
    A TODO in shipped code is a feature gap somebody decided to defer: the seed assessment lists
    "Pause/resume download features incomplete" as issue 10. Before going to production every TODO
    should be either done or tracked as an issue, so that the gap is a decision, not an accident.

    ## Example
    ```python
    def pause(self, download_id: int) -> None:
        # TODO: pause/resume not implemented yet
        raise NotImplementedError
    ```

    ## Use instead
    Implement the feature, or file an issue and reference it (`# See #123: pause/resume`), so that the
    comment no longer reads as unfinished work.

    ## Fix safety
    There is no automatic fix: only a person can finish a feature. The findings are display-only.

    ## Options
    - `tags` (list of strings, default `["TODO", "FIXME", "XXX", "HACK"]`): the markers reported.
    - `include_tests` (boolean, default `false`): also report markers in test files.

    ## References
    - The seed assessment, "Code Quality Issues", item 10 (TODO comments).
    - PEP 350, Codetags: https://peps.python.org/pep-0350/
    """

    code = "SF010"
    slug = "todo-comments"
    summary = "TODO comments mark unfinished features"
    seed_issue = 10
    category = "Code Quality"  # readiness score (seenfix report)
    weight = 1
    needs = ("python_files", "ts_files")
    area = "code-quality"
    severity = Severity.LOW
    fix_availability = FixAvailability.NONE
    applicability = Applicability.DISPLAY_ONLY
    sets = frozenset({"p2"})
    fix_title = "Finish the feature or track it in an issue"
    options = (
        Option("tags", list, ["TODO", "FIXME", "XXX", "HACK"], "Markers to report."),
        Option("include_tests", bool, False, "Also report markers in test files."),
    )

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self._spec: FilePass | None = None

    def targets(self, project: Project) -> Iterable[str]:
        for path in project.files():
            if path.endswith(_SUFFIXES) and (self.config["include_tests"] or not is_test_path(path)):
                yield path

    def file_passes(self, project: Project) -> list[FilePass]:
        """The scan of every target, in the run's parallel pass over the files, cached by digest."""
        return [self._pass(project)]

    def _pass(self, project: Project) -> FilePass:
        from seenfix.core.cache import ResultCache, module_stat
        from seenfix.core.filepass import FilePass

        if self._spec is None:
            tags = tuple(sorted(set(self.config["tags"])))
            self._spec = FilePass(f"{self.code}:{tags!r}", [], _scan, (frozenset(tags),),
                                  cache=ResultCache(f"{self.code}-todos", [repr(tags), module_stat(__name__)]),
                                  store=_keep, restore=_keep, light=True)
        self._spec.paths = list(self.targets(project))
        return self._spec

    def check(self, project: Project) -> Iterable[Finding]:
        from seenfix.core.filepass import run_pass

        return [f for path, found in run_pass(project, self._pass(project)) for f in self.findings(path, found)]

    def check_file(self, path: str, text: str, project: Project) -> Iterable[Finding]:
        return self.findings(path, _scan(path, text, frozenset(self.config["tags"]))[0])

    def cache_writes(self) -> list[tuple[str, bytes]]:
        """Every file's markers, for the engine to store."""
        entry = self._spec.cache.dump() if self._spec is not None and self._spec.cache is not None else None
        return [entry] if entry is not None else []


def _scan(path: str, text: str, tags: frozenset[str]) -> tuple[tuple[tuple[int, int, str], ...], bool]:
    """The markers of one file as ``(line, column, message)`` (:mod:`seenfix.core.filepass`)."""
    if not any(tag in text for tag in tags):
        return (), False  # most files: no line to look at
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        m = _COMMENT_TODO.search(line)
        if m is None or m.group("tag") not in tags:
            continue
        note = _note(m.group("text")) or "(no description)"
        out.append((number, m.start() + 1, f"{m.group('tag')} comment: {note}"))
    return tuple(out), False


def _keep(path: str, found: Any) -> Any:
    return found


def _note(rest: str) -> str:
    """A TODO's text: the rest of its line without the ``*/`` (or JSX ``*/}``) that may close it."""
    rest = rest.rstrip()
    for closer in ("*/}", "*/"):
        if rest.endswith(closer):
            return rest[:-len(closer)].strip()
    return rest.strip()
