"""SF010: TODO comments mark unfinished features."""

from __future__ import annotations

import re
from collections.abc import Iterable

from seenfix.core.model import Applicability, FileFixer, Finding, FixAvailability, Option, Severity
from seenfix.core.project import Project, is_test_path

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

    def targets(self, project: Project) -> Iterable[str]:
        for path in project.files():
            if path.endswith(_SUFFIXES) and (self.config["include_tests"] or not is_test_path(path)):
                yield path

    def check_file(self, path: str, text: str, project: Project) -> Iterable[Finding]:
        tags = set(self.config["tags"])
        if not any(tag in text for tag in tags):
            return  # most files: no line to look at
        for number, line in enumerate(text.splitlines(), 1):
            m = _COMMENT_TODO.search(line)
            if m is None or m.group("tag") not in tags:
                continue
            note = _note(m.group("text")) or "(no description)"
            yield self.finding(path, number, f"{m.group('tag')} comment: {note}", column=m.start() + 1)


def _note(rest: str) -> str:
    """A TODO's text: the rest of its line without the ``*/`` (or JSX ``*/}``) that may close it."""
    rest = rest.rstrip()
    for closer in ("*/}", "*/"):
        if rest.endswith(closer):
            return rest[:-len(closer)].strip()
    return rest.strip()
