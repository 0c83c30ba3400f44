"""The fix branch: one commit per fixer on top of the base, built without touching the working tree.

The user's working tree, index and current branch are never touched.  The commits are built with git
plumbing: the changed blobs are written to the object database (``git hash-object -w``), the trees
are built in a temporary index file (``GIT_INDEX_FILE``: ``read-tree`` of the base, ``update-index``
of the changed paths, ``write-tree``), each fixer becomes one ``commit-tree``, and only then the
branch ref is moved (``update-ref`` locally, or ``push --force-with-lease`` to the remote).  The work
grows with the number of changed files, not with the size of the repository: no checkout, no
worktree.

A re-run updates the same branch the way Renovate and Dependabot do: when the new result has the same
base and the same final tree as the branch, nothing is written or pushed; when it differs the branch
is rebuilt on the current base; when the branch holds a commit seenfix did not make (no
``Seenfix-Fixer`` trailer, or another author), the run stops instead of overwriting it.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.model import FileChange, Step

TRAILER = "Seenfix-Fixer"
DEFAULT_IDENTITY_NAME = "seenfix"
DEFAULT_IDENTITY_EMAIL = "seenfix@noreply.invalid"

#: Exit codes: 2 for a wrong invocation (not a git repository, bad --author), 3 for a failure.
USAGE, FAILURE = 2, 3


class BranchError(Exception):
    """A one-line reason the branch could not be built or pushed, with the exit code to use."""

    def __init__(self, message: str, exit_code: int = FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass(frozen=True)
class Identity:
    """Author and committer of the fix commits."""

    name: str
    email: str

    def env(self) -> dict[str, str]:
        return {
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_COMMITTER_NAME": self.name,
            "GIT_COMMITTER_EMAIL": self.email,
        }

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


def parse_identity(text: str) -> Identity:
    """``"Name <email>"`` as given to ``--author``."""
    m = re.fullmatch(r"\s*([^<>]*?)\s*<([^<>\s]+@[^<>\s]+)>\s*", text)
    if m is None or not m.group(1):
        raise BranchError(f"--author {text!r}: expected 'Name <email@example.com>'", USAGE)
    return Identity(m.group(1), m.group(2))


class Git:
    """The repository containing ``root``, driven through git plumbing commands."""

    def __init__(self, root: Path) -> None:
        import git  # GitPython, only where commits are built

        try:
            repo = git.Repo(root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise BranchError(f"{root}: not inside a git repository; --branch needs one", USAGE) from None
        if repo.bare or repo.working_tree_dir is None:
            raise BranchError(f"{root}: a bare repository has no files to fix", USAGE)
        self.repo = repo
        self.top = Path(repo.working_tree_dir)
        rel = Path(os.path.realpath(root)).relative_to(os.path.realpath(self.top)).as_posix()
        #: Prefix of the project root inside the repository ("" or "sub/dir/").
        self.prefix = "" if rel == "." else rel + "/"

    def run(self, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None,
            check: bool = True) -> str:
        full_env = {**os.environ, **env} if env else None
        proc = subprocess.run(["git", "-C", str(self.top), *args], input=input, env=full_env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if check and proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = next((line for line in err if line.startswith(("fatal:", "error:"))), err[-1] if err else "")
            raise GitFailure(args[0], proc.returncode, detail.removeprefix("fatal: ").removeprefix("error: "),
                             "\n".join(err))
        return proc.stdout.decode("utf-8", "surrogateescape").strip()

    def rev(self, name: str) -> str | None:
        out = self.run("rev-parse", "-q", "--verify", f"{name}^{{commit}}", check=False)
        return out or None

    def config(self, key: str) -> str | None:
        return self.run("config", "--get", key, check=False) or None

    def current_branch(self) -> str | None:
        return self.run("symbolic-ref", "-q", "--short", "HEAD", check=False) or None


class GitFailure(BranchError):
    def __init__(self, command: str, returncode: int, detail: str, stderr: str = "") -> None:
        super().__init__(f"git {command} failed: {detail or f'exit code {returncode}'}")
        self.detail = detail
        self.stderr = stderr


def resolve_identity(repo: Git, author: str | None, environ: Mapping[str, str]) -> Identity:
    """``--author``, else git config ``user.name``/``user.email``, else the CI's user, else seenfix."""
    if author:
        return parse_identity(author)
    name, email = repo.config("user.name"), repo.config("user.email")
    if name and email:
        return Identity(name, email)
    if environ.get("GITLAB_USER_NAME") and environ.get("GITLAB_USER_EMAIL"):
        return Identity(environ["GITLAB_USER_NAME"], environ["GITLAB_USER_EMAIL"])
    if environ.get("GITHUB_ACTOR"):
        actor = environ["GITHUB_ACTOR"]
        return Identity(actor, f"{actor}@users.noreply.github.com")
    return Identity(DEFAULT_IDENTITY_NAME, DEFAULT_IDENTITY_EMAIL)


def resolve_base(repo: Git, remote: str, base: str | None) -> tuple[str, str | None]:
    """The base commit and, when known, the base branch name (for the pull request).

    ``--base NAME`` is looked up as ``<remote>/NAME`` then as a local name; without it the remote's
    default branch (``<remote>/HEAD``) is used, else ``HEAD``.
    """
    if base:
        for candidate in (f"refs/remotes/{remote}/{base}", base):
            sha = repo.rev(candidate)
            if sha:
                return sha, base.removeprefix("refs/heads/")
        raise BranchError(f"--base {base}: no such branch or commit (also not {remote}/{base})", USAGE)
    target = repo.run("symbolic-ref", "-q", f"refs/remotes/{remote}/HEAD", check=False)
    if target:
        sha = repo.rev(target)
        if sha:
            return sha, target.removeprefix(f"refs/remotes/{remote}/")
    sha = repo.rev("HEAD")
    if sha is None:
        raise BranchError("the repository has no commit yet: commit something before --branch", USAGE)
    return sha, repo.current_branch() or os.environ.get("GITHUB_BASE_REF") or os.environ.get("GITHUB_REF_NAME")


# -- commit messages ------------------------------------------------------------------------------
def doc_section(doc: str, heading: str) -> str:
    """The text under ``## <heading>`` in a fixer docstring, without the heading."""
    out: list[str] = []
    inside = False
    for line in doc.splitlines():
        if line.startswith("## "):
            if inside:
                break
            inside = line[3:].strip() == heading
            continue
        if inside:
            out.append(line)
    return "\n".join(out).strip()


def fix_title(step: Step) -> str:
    """The fixer's imperative fix title, lower-cased the conventional-commit way."""
    title = str(getattr(step.info, "fix_title", "") or "")
    if not title and step.findings:
        titles = [f.fix_title for f in step.findings if f.fix_title]
        title = max(titles, key=titles.count) if titles else ""
    title = (title or step.info.summary).strip().rstrip(".")
    first = title.split(" ", 1)[0]
    if first[:1].isupper() and not first[1:2].isupper():
        title = title[0].lower() + title[1:]
    return title


def _wrap(text: str, width: int = 72) -> str:
    paragraphs = re.split(r"\n\s*\n", text)
    out = []
    for para in paragraphs:
        lines = para.splitlines()
        if any(line.startswith((" ", "\t", "-", "*", "`", "|", ">")) or re.match(r"\d+\.", line)
               for line in lines):
            out.append(para)
        else:
            out.append(textwrap.fill(" ".join(line.strip() for line in lines), width))
    return "\n\n".join(out)


def commit_message(step: Step) -> str:
    """``fix(<area>): <fix title> (SF0NN)``, the "Why is this bad?" text, the ``Seenfix-Fixer`` trailer."""
    info = step.info
    subject = f"fix({info.area}): {fix_title(step)} ({info.code})" if info.area else \
        f"fix: {fix_title(step)} ({info.code})"
    why = doc_section(info.doc, "Why is this bad?")
    body = f"\n\n{_wrap(why)}" if why else ""
    return f"{subject}{body}\n\n{TRAILER}: {info.code}\n"


# -- building the trees ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedCommit:
    code: str
    message: str
    tree: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    base: str
    base_tree: str
    commits: tuple[PlannedCommit, ...]

    @property
    def tree(self) -> str:
        return self.commits[-1].tree if self.commits else self.base_tree


def committable(change: FileChange) -> bool:
    """Secret files (the generated ``.env``) never go to a branch."""
    return not change.secret and (change.untrack or change.content is not None)


def _blob_bytes(repo: Git, path: str, text: str) -> bytes:
    """Encode the text the way the file is stored in the working tree (encoding and BOM kept)."""
    from seenfix.workspace import Encoded, Undecodable, decode, encode

    how = Encoded("utf-8", b"", 0o644)
    try:
        how = decode((repo.top / path).read_bytes())[1]
    except (OSError, Undecodable):
        pass
    return encode(text, how)


def plan_commits(repo: Git, base: str, steps: Sequence[Step],
                 message: Callable[[Step], str] = commit_message) -> Plan:
    """Write the blobs and trees of one commit per step (the commits themselves come later)."""
    base_tree = repo.run("rev-parse", f"{base}^{{tree}}")
    commits: list[PlannedCommit] = []
    secrets: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="seenfix-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        # One tree read primes the cache tree: write-tree then re-hashes only the changed directories.
        repo.run("read-tree", base, env=env)
        tree = base_tree
        for step in steps:
            secrets.update(v for c in step.changes for v in c.secret_values if v)
            changes = [c for c in step.changes if committable(c)]
            if not changes:
                continue
            paths = [repo.prefix + c.path for c in changes]
            modes = _index_modes(repo, env, paths)
            lines = []
            for change, path in zip(changes, paths):
                if change.untrack:
                    lines.append(f"0 {'0' * 40}\t{path}")
                    continue
                assert change.content is not None
                leaked = [v for v in secrets if v in change.content]
                if leaked:
                    raise BranchError(f"{change.path}: refusing to commit, the file would contain a "
                                      f"secret value of {step.info.code}")
                blob = repo.run("hash-object", "-w", "--stdin", f"--path={path}",
                                input=_blob_bytes(repo, path, change.content))
                mode = _git_mode(change.mode) if change.mode is not None else modes.get(path, "100644")
                lines.append(f"{mode} {blob}\t{path}")
            repo.run("update-index", "--index-info", input=("\n".join(lines) + "\n").encode(), env=env)
            new_tree = repo.run("write-tree", env=env)
            if new_tree == tree:
                continue  # this fixer's changes are already in the base
            tree = new_tree
            commits.append(PlannedCommit(step.info.code, message(step), tree,
                                         tuple(c.path for c in changes)))
    return Plan(base, base_tree, tuple(commits))


def _index_modes(repo: Git, env: Mapping[str, str], paths: Sequence[str]) -> dict[str, str]:
    out = repo.run("ls-files", "--stage", "-z", "--", *paths, env=env)
    modes = {}
    for entry in out.split("\0"):
        if "\t" in entry:
            meta, path = entry.split("\t", 1)
            modes[path] = meta.split(" ", 1)[0]
    return modes


def _git_mode(mode: int) -> str:
    return "100755" if mode & 0o111 else "100644"


def write_commits(repo: Git, plan: Plan, identity: Identity) -> str:
    """Create the commits of ``plan`` on its base; returns the new tip."""
    parent = plan.base
    for planned in plan.commits:
        parent = repo.run("commit-tree", planned.tree, "-p", parent, "-F", "-",
                          input=planned.message.encode("utf-8"), env=identity.env())
    return parent


# -- the existing branch --------------------------------------------------------------------------
@dataclass(frozen=True)
class OwnCommit:
    sha: str
    author: str
    email: str
    fixer: str


def branch_commits(repo: Git, base: str, tip: str) -> list[OwnCommit]:
    """Commits of the branch that are not in the base, newest first."""
    fmt = f"%H%x1f%an%x1f%ae%x1f%(trailers:key={TRAILER},valueonly,separator=%x2C)%x1e"
    out = repo.run("log", f"--format={fmt}", f"{base}..{tip}")
    commits = []
    for record in out.split("\x1e"):
        record = record.strip("\n")  # not strip(): \x1f counts as whitespace
        if record:
            sha, name, email, fixer = record.split("\x1f")
            commits.append(OwnCommit(sha, name, email, fixer.strip()))
    return commits


def check_foreign(repo: Git, base: str, tip: str, identity: Identity, where: str) -> list[OwnCommit]:
    """Stop when the branch holds a commit seenfix did not make (Renovate's "edited branch" rule)."""
    commits = branch_commits(repo, base, tip)
    for c in commits:
        if not c.fixer or c.email.lower() != identity.email.lower():
            why = f"no {TRAILER} trailer" if not c.fixer else f"author {c.author} <{c.email}>, not {identity}"
            raise BranchError(
                f"{where} has a commit seenfix did not make ({c.sha[:12]}: {why}); not overwriting it. "
                f"Merge or close that work, or delete the branch, then re-run")
    return commits


def same_result(repo: Git, base: str, tip: str, commits: Sequence[OwnCommit], plan: Plan) -> bool:
    """The branch already holds this result: same base, same final tree."""
    if not commits:
        return not plan.commits and tip == base
    oldest = commits[-1].sha
    parent = repo.run("rev-parse", f"{oldest}^")
    return parent == base and repo.run("rev-parse", f"{tip}^{{tree}}") == plan.tree


def remote_tip(repo: Git, remote: str, branch: str) -> str | None:
    """The remote branch's tip, fetched so its commits can be inspected; ``None`` if absent."""
    out = repo.run("ls-remote", "--heads", remote, f"refs/heads/{branch}")
    sha = next((line.split("\t")[0] for line in out.splitlines() if line.endswith(f"refs/heads/{branch}")), None)
    if sha is None:
        return None
    if repo.rev(sha) is None:
        repo.run("fetch", "--quiet", "--no-tags", remote, f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}")
    return sha


def push(repo: Git, remote: str, branch: str, new: str, expected: str | None) -> None:
    """Push ``new`` to the branch, only if the remote still is at ``expected`` (absent if ``None``)."""
    lease = f"--force-with-lease=refs/heads/{branch}:{expected or ''}"
    try:
        repo.run("push", "--quiet", "--no-verify", lease, remote, f"{new}:refs/heads/{branch}")
    except GitFailure as exc:
        if "stale info" in exc.stderr:
            raise BranchError(f"{remote}/{branch} changed while seenfix was running (push rejected by "
                              f"--force-with-lease); re-run to rebuild it") from None
        raise


# -- the whole operation --------------------------------------------------------------------------
@dataclass(frozen=True)
class BranchResult:
    branch: str
    base: str
    base_name: str | None
    head: str
    commits: int
    status: str  # "created", "updated", "unchanged" or "empty"
    pushed: bool
    planned: tuple[PlannedCommit, ...] = ()


def sync_branch(repo: Git, steps: Sequence[Step], *, branch: str, base: str | None, remote: str,
                identity: Identity, push_remote: bool,
                message: Callable[[Step], str] = commit_message) -> BranchResult:
    """Build the fix branch and move it (locally, or on the remote when ``push_remote``)."""
    base_sha, base_name = resolve_base(repo, remote, base)
    if push_remote:
        old = remote_tip(repo, remote, branch)
        where = f"{remote}/{branch}"
    else:
        if repo.current_branch() == branch:
            raise BranchError(f"{branch} is the current branch; switch to another branch first", USAGE)
        old = repo.rev(f"refs/heads/{branch}")
        where = f"branch {branch}"
    plan = plan_commits(repo, base_sha, steps, message)
    if old is not None:
        commits = check_foreign(repo, base_sha, old, identity, where)
        if same_result(repo, base_sha, old, commits, plan):
            return BranchResult(branch, base_sha, base_name, old, len(commits), "unchanged", False,
                                plan.commits)
    if not plan.commits:
        return BranchResult(branch, base_sha, base_name, old or base_sha, 0, "empty", False)
    new = write_commits(repo, plan, identity)
    if push_remote:
        push(repo, remote, branch, new, old)
    else:
        repo.run("update-ref", "-m", "seenfix: rebuild fix branch", f"refs/heads/{branch}", new, old or "")
    return BranchResult(branch, base_sha, base_name, new, len(plan.commits),
                        "created" if old is None else "updated", push_remote, plan.commits)
