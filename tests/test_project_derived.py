"""What a project works out from its list of files alone (the layout, the fixers' file lists) is
worked out once per list of files, not once per project: the runner makes a project after every
fixer's changes and another for each fix's re-check, and most changes add no file (issue 18).  What
depends on a file's text is worked out again: the nginx files of the layout, and whether an env file
is still tracked (a fix may untrack it)."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURE_SEEN, init_repo
from seenfix.analysis.envvars import backend_sources, frontend_sources
from seenfix.analysis.secret_sites import candidate_files
from seenfix.core.model import FileChange
from seenfix.core.project import Project
from seenfix.core.workspace import Workspace
from seenfix.fixers.missing_security_headers import origin_files


def _seen(tmp_path: Path) -> Project:
    root = tmp_path / "seen"
    shutil.copytree(FIXTURE_SEEN, root)
    (root / ".env").write_text("JWT_SECRET=changeme\n")
    init_repo(root)  # commits .env: a tracked env file
    return Project(Workspace(root))


def _lists(project: Project) -> dict[str, object]:
    return {"origins": origin_files(project), "frontend": frontend_sources(project),
            "backend": backend_sources(project), "secrets": candidate_files(project, ("js", "python", "env"))}


def test_a_change_that_adds_no_file_keeps_every_list_worked_out(tmp_path: Path) -> None:
    project = _seen(tmp_path)
    before = _lists(project)
    layout = project.layout
    after = project.with_changes([FileChange("backend/app/main.py", "print('changed')\n")])
    assert after.layout is layout  # not worked out again
    again = _lists(after)
    assert again == before
    assert all(again[k] is before[k] for k in ("origins", "frontend", "backend"))  # the same objects


def test_a_new_file_makes_every_list_again(tmp_path: Path) -> None:
    project = _seen(tmp_path)
    before = _lists(project)
    after = project.with_changes([FileChange("frontend/src/extra.ts", "export const x = 1;\n")])
    assert after.layout is not project.layout
    again = _lists(after)
    assert "frontend/src/extra.ts" in again["origins"] and "frontend/src/extra.ts" not in before["origins"]
    assert "frontend/src/extra.ts" in again["frontend"] and "frontend/src/extra.ts" in again["secrets"]
    fresh = _lists(Project(project.workspace).with_changes([FileChange("frontend/src/extra.ts", "export const x = 1;\n")]))
    assert again == fresh


def test_an_nginx_change_finds_the_nginx_files_again_and_keeps_the_rest(tmp_path: Path) -> None:
    project = _seen(tmp_path)
    nginx = project.layout.nginx_files
    assert nginx == ["frontend/nginx.conf"]
    before = _lists(project)
    # the file no longer reads as nginx: the layout must say so, as a fresh one would
    after = project.with_changes([FileChange("frontend/nginx.conf", "# emptied\n")])
    assert after.layout.nginx_files == [] == Project(project.workspace).with_changes(
        [FileChange("frontend/nginx.conf", "# emptied\n")]).layout.nginx_files
    assert after.layout.ts_files is project.layout.ts_files  # the rest is the same
    assert project.layout.nginx_files == nginx  # the earlier project's layout is untouched
    assert _lists(after)["origins"] is before["origins"]


def test_an_untracked_env_file_leaves_the_candidates_of_that_project_only(tmp_path: Path) -> None:
    project = _seen(tmp_path)
    assert ".env" in candidate_files(project, ("env",))
    after = project.with_changes([FileChange(".env", None, untrack=True)])
    assert ".env" not in candidate_files(after, ("env",))
    assert ".env" in candidate_files(project, ("env",))


def test_a_restricted_view_works_its_lists_out_from_its_own_files(tmp_path: Path) -> None:
    project = _seen(tmp_path)
    _lists(project)
    view = project.restricted({"frontend/src/App.tsx"})
    assert view.layout is not project.layout
    assert frontend_sources(view) == ("frontend/src/App.tsx",)
