"""The fix branch against a real bare repository used as the remote (``file://``)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from seenfix.fixers.exposed_database_credentials import ExposedDatabaseCredentials
from seenfix.fixers.missing_security_headers import MissingSecurityHeaders
from seenfix.fixers.weak_jwt_secret import WeakJwtSecret
from seenfix.gitops import branch as br
from seenfix.core.model import (
    Applicability,
    FileChange,
    Finding,
    FixAvailability,
    FixerInfo,
    Severity,
    Step,
)

ME = br.Identity("Seen Fixer", "fixer@example.com")

DOC = """## What it does
Checks things.

## Why is this bad?
Without a memory limit one container can take the whole host
down with it.

## Example
x

## Use instead
y

## Fix safety
Safe.

## Options
None.

## References
- somewhere
"""


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full = {**os.environ, "GIT_AUTHOR_NAME": "U", "GIT_AUTHOR_EMAIL": "u@example.com",
            "GIT_COMMITTER_NAME": "U", "GIT_COMMITTER_EMAIL": "u@example.com", **(env or {})}
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=full).stdout.decode().strip()


#: The follow-ups the built-in fixers declare (``Fixer.follow_up``), by code.
FOLLOW_UPS = {cls.code: cls.follow_up for cls in (WeakJwtSecret, MissingSecurityHeaders, ExposedDatabaseCredentials)}


def info(code: str, area: str, title: str = "Add resource limits") -> FixerInfo:
    return FixerInfo(code=code, slug=f"slug-{code}", summary=f"Problem {code}", seed_issue=int(code[2:]),
                     area=area, severity=Severity.HIGH, fix_availability=FixAvailability.ALWAYS,
                     applicability=Applicability.SAFE, sets=frozenset({"quick-wins", "all"}), doc=DOC,
                     fix_title=title, follow_up=FOLLOW_UPS.get(code, ""))


def step(code: str, area: str, changes: list[FileChange], title: str = "Add resource limits") -> Step:
    finding = Finding(code, f"slug-{code}", changes[0].path, 1, "a problem", title, Severity.HIGH, True)
    return Step(info(code, area, title), tuple(changes), (finding,))


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    # Every ref update the remote receives is recorded: "pushes nothing" is then a fact, not a guess.
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\ncat >> {tmp_path / 'received.log'}\n")
    hook.chmod(0o755)
    work = tmp_path / "work"
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    (work / "docker-compose.yml").write_text("services:\n  db:\n    image: postgres\n")
    (work / "nginx").mkdir()
    (work / "nginx" / "default.conf").write_text("server {\n}\n")
    (work / "run.sh").write_text("#!/bin/sh\n")
    (work / "run.sh").chmod(0o755)
    (work / "backend.env").write_text("DB_PASSWORD=hunter2\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "initial")
    git(work, "remote", "add", "origin", remote.as_uri())
    git(work, "push", "-q", "origin", "main")
    git(work, "remote", "set-head", "origin", "main")
    (tmp_path / "received.log").unlink()
    return work


def received(project: Path) -> list[str]:
    log = project.parent / "received.log"
    return log.read_text().splitlines() if log.exists() else []


COMPOSE_1 = "services:\n  db:\n    image: postgres\n    mem_limit: 512m\n"
COMPOSE_2 = COMPOSE_1 + "    logging:\n      driver: json-file\n"
NGINX = "server {\n    add_header X-Frame-Options DENY always;\n}\n"
SECRET = "s3cr3t-Value-Nobody-Must-See-0123456789"


def steps_v1() -> list[Step]:
    return [
        step("SF011", "compose", [FileChange("docker-compose.yml", COMPOSE_1)]),
        step("SF003", "nginx", [FileChange("nginx/default.conf", NGINX)], "Add security headers"),
        step("SF007", "compose", [FileChange("docker-compose.yml", COMPOSE_2),
                                  FileChange("run.sh", "#!/bin/sh\nexec app\n")], "Enable log rotation"),
        step("SF004", "secrets", [
            FileChange(".env", f"DB_PASSWORD={SECRET}\n", secret=True, secret_values=(SECRET,)),
            FileChange("backend.env", None, untrack=True),
        ], "Move database credentials out of tracked files"),
    ]


def sync(project: Path, steps: list[Step], push: bool = True, **kw: object) -> br.BranchResult:
    return br.sync_branch(br.Git(project), steps, branch="seenfix/quick-wins", base=None, remote="origin",
                          identity=kw.pop("identity", ME), push_remote=push, **kw)  # type: ignore[arg-type]


def snapshot(project: Path) -> dict[str, object]:
    """Everything of the user's that seenfix must not touch."""
    files = {p.relative_to(project).as_posix(): p.read_bytes()
             for p in sorted(project.rglob("*")) if p.is_file() and ".git" not in p.parts}
    return {
        "files": files,
        "index": (project / ".git" / "index").read_bytes(),
        "head": (project / ".git" / "HEAD").read_text(),
        "status": git(project, "status", "--porcelain=v1", "--untracked-files=all"),
        "diff": git(project, "diff"),
        "cached": git(project, "diff", "--cached"),
    }


def test_branch_has_one_commit_per_fixer_and_the_expected_files(project: Path) -> None:
    base = git(project, "rev-parse", "HEAD")
    result = sync(project, steps_v1())
    assert result.status == "created" and result.pushed and result.commits == 4
    remote_tip = git(project, "ls-remote", "origin", "refs/heads/seenfix/quick-wins").split()[0]
    assert remote_tip == result.head
    log = git(project, "log", "--reverse", "--format=%s%x1f%an <%ae>%x1f%(trailers:key=Seenfix-Fixer,valueonly)",
              f"{base}..{result.head}").splitlines()
    assert [line.split("\x1f") for line in log if line] == [
        ["fix(compose): add resource limits (SF011)", str(ME), "SF011"],
        ["fix(nginx): add security headers (SF003)", str(ME), "SF003"],
        ["fix(compose): enable log rotation (SF007)", str(ME), "SF007"],
        ["fix(secrets): move database credentials out of tracked files (SF004)", str(ME), "SF004"],
    ]
    body = git(project, "log", "-1", "--format=%b", f"{result.head}~3")
    assert body.startswith("Without a memory limit one container can take the whole host down with\nit.\n")
    # Contents: exactly the result of applying every step to the base.
    assert git(project, "show", f"{result.head}:docker-compose.yml") + "\n" == COMPOSE_2
    assert git(project, "show", f"{result.head}:nginx/default.conf") + "\n" == NGINX
    assert git(project, "show", f"{result.head}~3:docker-compose.yml") + "\n" == COMPOSE_1
    files = git(project, "ls-tree", "-r", "--format=%(objectmode) %(path)", result.head).splitlines()
    assert files == ["100644 docker-compose.yml", "100644 nginx/default.conf", "100755 run.sh"]
    # The secret never reaches any object of the branch.
    for sha in git(project, "rev-list", "--objects", f"{base}..{result.head}").split():
        if len(sha) == 40:
            assert SECRET not in subprocess.run(["git", "-C", str(project), "cat-file", "-p", sha],
                                                stdout=subprocess.PIPE, check=True).stdout.decode()
    assert len(received(project)) == 1


def test_local_branch_without_push(project: Path) -> None:
    result = sync(project, steps_v1(), push=False)
    assert result.status == "created" and not result.pushed
    assert git(project, "rev-parse", "refs/heads/seenfix/quick-wins") == result.head
    assert received(project) == []
    assert sync(project, steps_v1(), push=False).status == "unchanged"


def test_user_tree_index_and_branch_untouched_even_when_dirty(project: Path) -> None:
    git(project, "checkout", "-q", "-b", "feature")
    (project / "backend.env").write_text("DB_PASSWORD=changed\n")  # unstaged (the fix untracks it)
    (project / "staged.txt").write_text("staged\n")
    git(project, "add", "staged.txt")  # staged
    (project / "notes.txt").write_text("untracked\n")
    before = snapshot(project)
    sync(project, steps_v1())
    assert snapshot(project) == before
    sync(project, steps_v1(), push=False)
    assert snapshot(project) == before


@pytest.mark.parametrize("how", ["unstaged", "staged", "committed, not in the base"])
def test_a_file_the_fixes_change_must_be_as_in_the_base(project: Path, how: str) -> None:
    """Fixers read the working tree: the user's edits of a file they change would ride along."""
    (project / "docker-compose.yml").write_text("services: {}  # half-done edit\n")
    if how != "unstaged":
        git(project, "add", "docker-compose.yml")
    if how.startswith("committed"):
        git(project, "commit", "-q", "-m", "local, not pushed")
    before = snapshot(project)
    with pytest.raises(br.BranchError, match=r"^docker-compose.yml: not as in the base \(main\): ") as info:
        sync(project, steps_v1())
    assert info.value.exit_code == br.USAGE
    assert snapshot(project) == before and received(project) == []
    assert git(project, "branch", "--list", "seenfix/*") == ""


def test_a_file_with_a_non_ascii_name_is_recognised_as_in_the_base(project: Path) -> None:
    """git C-quotes such names ("d\\303\\251...") unless asked for them raw (-z)."""
    folder = project / "déploiement"
    folder.mkdir()
    (folder / "compose.yml").write_text("services: {}\n")
    git(project, "add", "déploiement")
    git(project, "commit", "-q", "-m", "unicode")
    git(project, "push", "-q", "origin", "main")
    s = [step("SF011", "compose", [FileChange("déploiement/compose.yml", "services: {}\n# fixed\n")])]
    assert sync(project, s, push=False).commits == 1
    (folder / "compose.yml").write_text("services: {}  # wip\n")
    with pytest.raises(br.BranchError, match="^déploiement/compose.yml: not as in the base"):
        sync(project, [step("SF007", "compose", [FileChange("déploiement/compose.yml", "x: 1\n")])], push=False)


def test_trees_read_a_file_of_a_commit_from_the_object_database(project: Path) -> None:
    (project / "déploiement").mkdir()
    (project / "déploiement" / "compose.yml").write_text("services: {}\n")
    git(project, "add", "déploiement")
    git(project, "commit", "-q", "-m", "nested")
    trees = br.Trees(br.Git(project))
    tree = git(project, "rev-parse", "HEAD^{tree}")
    assert trees.blob(tree, "déploiement/compose.yml") == b"services: {}\n"
    assert trees.blob(tree, "nginx/default.conf") == b"server {\n}\n"
    assert trees.blob(tree, "nginx") is None  # a folder, not a file
    assert trees.blob(tree, "run.sh/x") is None and trees.blob(tree, "missing.txt") is None


def test_base_head_is_the_local_head_not_the_remote_one(project: Path) -> None:
    (project / "docker-compose.yml").write_text("services: {}  # local\n")
    git(project, "commit", "-q", "-am", "local, not pushed")
    local = git(project, "rev-parse", "HEAD")
    result = br.sync_branch(br.Git(project), steps_v1(), branch="seenfix/p0", base="HEAD", remote="origin",
                            identity=ME, push_remote=False)
    assert (result.base, result.base_name) == (local, "main")
    assert git(project, "rev-parse", f"{result.head}~{result.commits}") == local


def test_the_base_check_asks_git_in_batches_of_paths(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(br, "_PATHS_PER_CALL", 1)  # one git command line per path
    assert sync(project, steps_v1(), push=False).commits == 4
    (project / "run.sh").write_text("#!/bin/sh\n# wip\n")  # the last of the three paths
    with pytest.raises(br.BranchError, match="^run.sh: not as in the base"):
        sync(project, steps_v1(), push=False)


def test_a_file_untracked_in_the_base_is_not_committed_with_its_fix(project: Path) -> None:
    (project / "extra.conf").write_text("server {}\n")  # the user's, never committed
    s = [step("SF003", "nginx", [FileChange("extra.conf", "server {}\n# fixed\n")])]
    with pytest.raises(br.BranchError, match="extra.conf: not as in the base"):
        sync(project, s, push=False)
    created = [step("SF006", "config", [FileChange("new.example", "A=\n")])]  # a new file is fine
    assert sync(project, created, push=False).commits == 1


def test_rerun_with_the_same_result_pushes_nothing(project: Path) -> None:
    first = sync(project, steps_v1())
    again = sync(project, steps_v1())
    assert again.status == "unchanged" and not again.pushed and again.head == first.head
    assert len(received(project)) == 1


def test_rerun_with_a_change_force_pushes_on_the_current_base(project: Path) -> None:
    first = sync(project, steps_v1())
    # The base moves on, and the result changes: the branch is rebuilt on the new base.
    (project / "README").write_text("hello\n")
    git(project, "add", "README")
    git(project, "commit", "-q", "-m", "more")
    git(project, "push", "-q", "origin", "main")
    changed = steps_v1()
    changed[1] = step("SF003", "nginx", [FileChange("nginx/default.conf", NGINX + "# more\n")])
    second = sync(project, changed)
    assert second.status == "updated" and second.pushed
    new_base = git(project, "rev-parse", "origin/main")
    assert git(project, "rev-parse", f"{second.head}~4") == new_base
    old, new, ref = received(project)[-1].split()
    assert (old, new, ref) == (first.head, second.head, "refs/heads/seenfix/quick-wins")
    # A forced update: the old tip is not in the new history.
    assert subprocess.run(["git", "-C", str(project), "merge-base", "--is-ancestor", old, new]).returncode == 1


def test_a_second_person_running_seenfix_rebuilds_the_branch(project: Path) -> None:
    """Commits are seenfix's by their trailer on a linear history, not by their author: a pipeline
    another user triggers (GitLab commits as that user) updates the branch the first one made."""
    first = sync(project, steps_v1())
    same = sync(project, steps_v1(), identity=br.Identity("Someone Else", "else@example.com"))
    assert same.status == "unchanged" and same.head == first.head
    second = sync(project, steps_v1()[:2], identity=br.Identity("Someone Else", "else@example.com"))
    assert second.status == "updated" and second.commits == 2
    assert git(project, "log", "-1", "--format=%ae", second.head) == "else@example.com"


def test_a_merge_on_the_branch_is_foreign_even_with_seenfix_commits_around_it(project: Path, tmp_path: Path) -> None:
    sync(project, steps_v1())
    other = tmp_path / "merger"
    subprocess.run(["git", "clone", "-q", "-b", "seenfix/quick-wins", (tmp_path / "remote.git").as_uri(),
                    str(other)], check=True)
    git(other, "checkout", "-q", "-b", "side", "origin/main")
    git(other, "commit", "-q", "--allow-empty", "-m", "side work")
    git(other, "checkout", "-q", "seenfix/quick-wins")
    git(other, "merge", "-q", "--no-ff", "-m", "merge side\n\nSeenfix-Fixer: SF011", "side")
    git(other, "push", "-q", "origin", "seenfix/quick-wins")
    with pytest.raises(br.BranchError, match="seenfix did not make .*a merge of 2 parents"):
        sync(project, steps_v1()[:1])


def test_the_lease_refuses_a_branch_that_moved_meanwhile(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = sync(project, steps_v1())
    changed = steps_v1()
    changed[1] = step("SF003", "nginx", [FileChange("nginx/default.conf", NGINX + "# x\n")])
    second = sync(project, changed)  # another seenfix run moved the branch
    assert second.status == "updated"
    # This run still believes the branch is at the first tip (it looked before the other run pushed).
    monkeypatch.setattr(br, "remote_tip", lambda repo, remote, branch, base: first.head)
    changed[1] = step("SF003", "nginx", [FileChange("nginx/default.conf", NGINX + "# y\n")])
    with pytest.raises(br.BranchError, match="changed while seenfix was running"):
        sync(project, changed)
    assert git(project, "ls-remote", "origin", "refs/heads/seenfix/quick-wins").split()[0] == second.head


def test_a_foreign_commit_on_the_branch_stops_the_run(project: Path, tmp_path: Path) -> None:
    first = sync(project, steps_v1())
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", "-b", "seenfix/quick-wins",
                    (tmp_path / "remote.git").as_uri(), str(other)], check=True)
    (other / "docker-compose.yml").write_text("services: {}\n")
    git(other, "commit", "-q", "-am", "my own tweak", env={"GIT_AUTHOR_NAME": "Someone Else"})
    git(other, "push", "-q", "origin", "seenfix/quick-wins")
    pushed = git(other, "rev-parse", "HEAD")
    changed = steps_v1()[:2]
    with pytest.raises(br.BranchError, match="seenfix did not make .*no Seenfix-Fixer trailer"):
        sync(project, changed)
    assert git(project, "ls-remote", "origin", "refs/heads/seenfix/quick-wins").split()[0] == pushed
    assert git(other, "rev-parse", "HEAD~") == first.head
    assert len(received(project)) == 2  # the first run's push and the other clone's; none since


def test_a_tracked_secret_file_is_untracked_but_its_new_content_not_committed(project: Path) -> None:
    s = [step("SF004", "secrets", [FileChange("backend.env", f"DB_PASSWORD={SECRET}\n", secret=True,
                                              secret_values=(SECRET,), untrack=True)])]
    result = sync(project, s, push=False)
    assert result.commits == 1
    assert git(project, "ls-tree", "--name-only", result.head).splitlines() == [
        "docker-compose.yml", "nginx", "run.sh"]
    assert (project / "backend.env").read_text() == "DB_PASSWORD=hunter2\n"  # the runner writes, not us


def test_unchanged_steps_make_no_commit(project: Path) -> None:
    same = [step("SF011", "compose", [FileChange("docker-compose.yml", "services:\n  db:\n    image: postgres\n")]),
            step("SF001", "secrets", [FileChange(".env", "JWT_SECRET=x\n", secret=True)])]
    result = sync(project, same, push=False)
    assert result.status == "empty" and result.commits == 0
    assert git(project, "branch", "--list", "seenfix/*") == ""


def test_a_secret_value_in_a_committed_file_is_refused(project: Path) -> None:
    leaky = [step("SF004", "secrets", [FileChange(".env", f"P={SECRET}\n", secret=True, secret_values=(SECRET,)),
                                       FileChange("docker-compose.yml", f"password: {SECRET}\n")])]
    with pytest.raises(br.BranchError, match="refusing to commit"):
        sync(project, leaky)
    assert received(project) == []


def _moved_seen(project: Path) -> None:
    """A committed compose file whose password is also its database's name (SEEN's: ``seen``)."""
    (project / "docker-compose.yml").write_text(
        "services:\n  db:\n    image: postgres\n    environment:\n      POSTGRES_DB: seen\n"
        "      POSTGRES_PASSWORD: seen\n")
    git(project, "commit", "-q", "-am", "seen")
    git(project, "push", "-q", "origin", "main")  # the base is the remote's default branch


def test_a_moved_secret_may_stay_where_the_base_has_it_for_another_reason(project: Path) -> None:
    _moved_seen(project)
    moved = ("services:\n  db:\n    image: postgres\n    environment:\n      POSTGRES_DB: seen\n"
             "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?}\n")
    backup = moved + "  backup:\n    environment:\n      POSTGRES_DB: seen\n"  # copied: 2, as in the base
    s = [step("SF004", "secrets", [FileChange(".env", "POSTGRES_PASSWORD=seen\n", secret=True,
                                              secret_values=("seen",)),
                                   FileChange("docker-compose.yml", moved)]),
         step("SF008", "compose", [FileChange("docker-compose.yml", backup)])]
    result = sync(project, s, push=False)
    assert result.commits == 2
    assert git(project, "show", f"{result.head}:docker-compose.yml") + "\n" == backup


def test_a_moved_secret_may_show_in_a_new_file_a_generated_one_never(project: Path) -> None:
    """A moved password is committed in the base already: the env template SF006 writes may name the
    ``postgres`` service that shares its value.  A generated value is in no commit: refused anywhere."""
    (project / "docker-compose.yml").write_text(
        "services:\n  postgres:\n    image: postgres\n    environment:\n      POSTGRES_PASSWORD: postgres\n")
    git(project, "commit", "-q", "-am", "weak password")
    git(project, "push", "-q", "origin", "main")
    moved = [step("SF004", "secrets", [
                 FileChange(".env", "POSTGRES_PASSWORD=postgres\n", secret=True, secret_values=("postgres",)),
                 FileChange("docker-compose.yml", "services:\n  postgres:\n    image: postgres\n"
                            "    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?}\n")]),
             step("SF006", "config", [FileChange(".env.production.example",
                                                 "# POSTGRES_PASSWORD: read by service postgres\nPOSTGRES_PASSWORD=\n")])]
    assert sync(project, moved, push=False).commits == 2
    generated = [step("SF001", "secrets", [FileChange(".env", f"JWT_SECRET={SECRET}\n", secret=True,
                                                      secret_values=(SECRET,))]),
                 step("SF006", "config", [FileChange("notes.example", f"# JWT_SECRET was {SECRET}\n")])]
    with pytest.raises(br.BranchError, match="notes.example: refusing to commit, the file would contain a "
                                             "secret value of SF006"):
        sync(project, generated, push=False)


def test_project_in_a_subdirectory_and_crlf_kept(project: Path) -> None:
    sub = project / "app"
    sub.mkdir()
    (sub / "x.conf").write_bytes(b"\xef\xbb\xbfa\r\nb")
    git(project, "add", "app")
    git(project, "commit", "-q", "-m", "app")
    git(project, "push", "-q", "origin", "main")
    s = [step("SF003", "nginx", [FileChange("x.conf", "a\r\nb\r\nc")])]
    result = br.sync_branch(br.Git(sub), s, branch="seenfix/p0", base="main", remote="origin",
                            identity=ME, push_remote=False)
    blob = subprocess.run(["git", "-C", str(project), "cat-file", "blob", f"{result.head}:app/x.conf"],
                          stdout=subprocess.PIPE, check=True).stdout
    assert blob == b"\xef\xbb\xbfa\r\nb\r\nc"


def test_identity_sources(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gitconfig").write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    repo = br.Git(project)
    assert br.resolve_identity(repo, "A B <a@b.c>", {}) == br.Identity("A B", "a@b.c")
    with pytest.raises(br.BranchError):
        br.resolve_identity(repo, "nobody", {})
    env = {"GITLAB_USER_NAME": "Gl User", "GITLAB_USER_EMAIL": "gl@example.com", "GITHUB_ACTOR": "octo"}
    git(project, "config", "user.name", "Conf")
    git(project, "config", "user.email", "conf@example.com")
    assert br.resolve_identity(repo, None, env) == br.Identity("Conf", "conf@example.com")
    git(project, "config", "--unset", "user.name")
    assert br.resolve_identity(repo, None, env) == br.Identity("Gl User", "gl@example.com")
    assert br.resolve_identity(repo, None, {"GITHUB_ACTOR": "octo"}).email == "octo@users.noreply.github.com"
    assert br.resolve_identity(repo, None, {}) == br.Identity("seenfix", "seenfix@noreply.invalid")


def test_trees_equal_what_a_git_index_writes(project: Path, tmp_path: Path) -> None:
    """The trees written along the changed paths are the ones git itself would write."""
    for name in ("a.b", "a-c", "a0", "sub/deep/x.txt", "sub/keep.txt", "gone/only.txt"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(name + "\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "more files")
    repo = br.Git(project)
    blob = git(project, "hash-object", "-w", "--stdin")  # the empty blob
    edits: dict[str, br.Entry | None] = {
        "a/new.txt": (None, bytes.fromhex(blob)),  # "a/" sorts after "a.b", "a-c" and before "a0"
        "sub/deep/x.txt": (b"100755", bytes.fromhex(blob)),
        "sub/deep/y/z.txt": (None, bytes.fromhex(blob)),
        "gone/only.txt": None,  # the directory disappears
        "run.sh": (None, bytes.fromhex(blob)),  # keeps 100755
        "missing/nothing.txt": None,
    }
    ours = br.Trees(repo).apply(git(project, "rev-parse", "HEAD^{tree}"), edits)
    env = {"GIT_INDEX_FILE": str(tmp_path / "index")}
    git(project, "read-tree", "HEAD", env=env)
    info = "".join(f"0 {'0' * 40}\t{p}\n" if e is None else
                   f"{(e[0] or (b'100755' if p == 'run.sh' else b'100644')).decode()} {blob}\t{p}\n"
                   for p, e in edits.items())
    subprocess.run(["git", "-C", str(project), "update-index", "--index-info"], input=info.encode(),
                   env={**os.environ, **env}, check=True)
    assert ours == git(project, "write-tree", env=env)
    assert git(project, "ls-tree", "--name-only", ours).splitlines() == [
        "a-c", "a.b", "a", "a0", "backend.env", "docker-compose.yml", "nginx", "run.sh", "sub"]


def test_fix_title_falls_back_to_the_findings_then_the_summary() -> None:
    s = step("SF001", "secrets", [FileChange("a", "x")], "Generate a strong JWT secret")
    assert br.fix_title(s) == "generate a strong JWT secret"
    bare = Step(info("SF001", "secrets", ""), s.changes, s.findings)
    assert br.fix_title(bare) == "generate a strong JWT secret"
    assert br.fix_title(Step(info("SF001", "secrets", ""), s.changes, ())) == "problem SF001"
    assert br.fix_title(step("SF003", "nginx", [FileChange("a", "x")], "HSTS everywhere")) == "HSTS everywhere"


def test_rerun_from_a_shallow_ci_clone(project: Path, tmp_path: Path) -> None:
    """CI checks out one commit (actions/checkout's fetch-depth 1): re-runs must still work."""
    first = sync(project, steps_v1())
    for n in range(3):  # main moves on after the fix branch was made
        (project / f"more{n}.txt").write_text(f"{n}\n")
        git(project, "add", "-A")
        git(project, "commit", "-q", "-m", f"more {n}")
    git(project, "push", "-q", "origin", "main")
    ci = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "-b", "main", (tmp_path / "remote.git").as_uri(),
                    str(ci)], check=True)
    assert git(ci, "rev-parse", "--is-shallow-repository") == "true"
    again = sync(ci, steps_v1())
    assert again.status == "updated" and again.pushed
    assert git(ci, "rev-parse", f"{again.head}~4") == git(ci, "rev-parse", "HEAD")
    same = sync(ci, steps_v1())
    assert same.status == "unchanged" and not same.pushed
    assert len(received(project)) == 3  # the first push, main's push, the rebuild; not the last run
    assert first.head != again.head


def test_work_grows_with_changed_files_not_with_the_repository(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """2,000 files in 40 directories; changing 2 files reads 3 trees and writes 3 (root + 2 dirs)."""
    repo = tmp_path / "big"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    stream = ["commit refs/heads/main\ncommitter A <a@example.com> 1700000000 +0000\ndata 3\nbig\n"]
    for i in range(2000):
        data = f"{i}\n"
        stream.append(f"M 100644 inline d{i // 50:02d}/f{i % 50:02d}.txt\ndata {len(data)}\n{data}\n")
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input="".join(stream).encode(), check=True)
    subprocess.run(["git", "-C", str(repo), "reset", "-q", "--hard"], check=True)  # the files, checked out
    reads: list[bytes] = []
    writes: list[bytes] = []
    real_read, real_write = br.Trees.read, br.Trees.write
    monkeypatch.setattr(br.Trees, "read", lambda self, sha: reads.append(sha) or real_read(self, sha))
    monkeypatch.setattr(br.Trees, "write", lambda self, e: writes.append(b"") or real_write(self, e))
    s = [step("SF011", "compose", [FileChange("d03/f07.txt", "x\n")]),
         step("SF007", "compose", [FileChange("d31/f00.txt", "y\n")])]
    result = br.sync_branch(br.Git(repo), s, branch="seenfix/p1", base="main", remote="origin",
                            identity=ME, push_remote=False)
    assert result.commits == 2
    assert len(set(reads)) == 4  # base root, d03, then the new root and d31
    assert len(writes) == 4  # d03 + root for the first commit, d31 + root for the second
    assert git(repo, "diff", "--name-only", "main", result.head).splitlines() == ["d03/f07.txt", "d31/f00.txt"]


def test_commit_body_rewraps_prose_but_keeps_lists_and_code() -> None:
    text = "A line that goes\n`inline-code` continues the sentence.\n\n- a list item\n- another\n\n```\ncode  block\n```"
    assert br._wrap(text) == ("A line that goes `inline-code` continues the sentence.\n\n"
                              "- a list item\n- another\n\n```\ncode  block\n```")


def test_a_plugin_fixer_declares_its_commit_text_and_follow_up() -> None:
    """The commit body and the pull request's follow-up come from the fixer's own attributes (a
    plugin can set them); without ``commit_text`` the docstring's "Why is this bad?" is the body."""
    from seenfix.core.model import Fixer

    class Declared(Fixer):
        """## What it does\nThings.\n\n## Why is this bad?\nThe docstring's reason.\n"""

        code = "SF901"
        area = "demo"
        fix_title = "Do the thing"
        commit_text = "The commit's own text."
        follow_up = "Tell the operators."

    class Plain(Declared):
        """## Why is this bad?\nThe docstring's reason.\n"""

        commit_text = ""
        follow_up = ""

    declared = br.commit_message(Step(Declared.info(), (), ()))
    assert declared.startswith("fix(demo): do the thing (SF901)\n\nThe commit's own text.\n")
    assert Declared.info().follow_up == "Tell the operators."
    plain = br.commit_message(Step(Plain.info(), (), ()))
    assert "\n\nThe docstring's reason.\n" in plain and Plain.info().follow_up == ""
