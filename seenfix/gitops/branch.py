"""The fix branch: one commit per fixer on top of the base, built without touching the working tree.

The user's working tree, index and current branch are never touched.  The commits are built with git
plumbing: the changed blobs are written to the object database (``git hash-object -w``), new tree
objects are written for the changed directories only (the other directories keep their ids: no
index of the whole repository), each fixer becomes one ``commit-tree``, and only then the branch ref
is moved (``update-ref`` locally, or ``push --force-with-lease`` to the remote).  The work
grows with the number of changed files, not with the size of the repository: no checkout, no
worktree.

A re-run updates the same branch the way Renovate and Dependabot do: when the new result has the same
base and the same final tree as the branch, nothing is written or pushed; when it differs the branch
is rebuilt on the current base; when the branch holds a commit seenfix did not make (no
``Seenfix-Fixer`` trailer, or a merge), the run stops instead of overwriting it.  seenfix's own
commits are known by that trailer on a linear history, not by their author: a pipeline started by
another person (GitLab commits as the user who triggered it) rebuilds the same branch.
"""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.model import FileChange, Step

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
        return proc.stdout.decode("utf-8", "surrogateescape").rstrip("\n")  # \x1e, \x1f are data

    def close(self) -> None:
        """Stop GitPython's object-reading helper process."""
        self.repo.close()

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

    ``--base NAME`` is looked up as ``<remote>/NAME`` then as a local name (``HEAD`` and ``refs/...``
    only as they are: ``--base HEAD`` is the local HEAD, not ``<remote>/HEAD``); without it the
    remote's default branch (``<remote>/HEAD``) is used, else ``HEAD``.
    """
    if base == "HEAD":
        return _head(repo), repo.current_branch()
    if base:
        as_is = base.startswith("refs/")
        for candidate in ((base,) if as_is else (f"refs/remotes/{remote}/{base}", base)):
            sha = repo.rev(candidate)
            if sha:
                return sha, base.removeprefix("refs/heads/")
        also = "" if as_is else f" (also not {remote}/{base})"
        raise BranchError(f"--base {base}: no such branch or commit{also}", USAGE)
    target = repo.run("symbolic-ref", "-q", f"refs/remotes/{remote}/HEAD", check=False)
    if target:
        sha = repo.rev(target)
        if sha:
            return sha, target.removeprefix(f"refs/remotes/{remote}/")
    return _head(repo), repo.current_branch() or os.environ.get("GITHUB_BASE_REF") or os.environ.get("GITHUB_REF_NAME")


def _head(repo: Git) -> str:
    sha = repo.rev("HEAD")
    if sha is None:
        raise BranchError("the repository has no commit yet: commit something before --branch", USAGE)
    return sha


# -- commit messages ------------------------------------------------------------------------------
def fix_title(step: Step) -> str:
    """The fixer's imperative fix title, lower-cased the conventional-commit way."""
    title = step.info.fix_title
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
        if any(line.startswith((" ", "\t", "- ", "* ", "```", "|", ">")) or re.match(r"\d+\. ", line)
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
    body = f"\n\n{_wrap(info.commit_text)}" if info.commit_text else ""
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
    """Secret files (the generated ``.env``) never go to a branch; untracking one does."""
    return change.untrack or (not change.secret and change.content is not None)


def _blob_bytes(repo: Git, path: str, text: str) -> bytes:
    """Encode the text the way the file is stored in the working tree (encoding and BOM kept)."""
    from seenfix.core.workspace import Encoded, Undecodable, decode, encode

    how = Encoded("utf-8", b"", 0o644)
    try:
        how = decode((repo.top / path).read_bytes())[1]
    except (OSError, Undecodable):
        pass
    return encode(text, how)


class _Committed:
    """The base versions of the files a plan changes, read once and only when needed (from the
    object database, as the trees are): where a secret value that already is in the base (a
    committed password that SF004 moves) can be found."""

    def __init__(self, trees: Trees, base_tree: str, paths: Sequence[str]) -> None:
        self.trees, self.base_tree, self.paths = trees, base_tree, paths
        self._text: str | None = None

    def text(self) -> str:
        if self._text is None:
            blobs = (self.trees.blob(self.base_tree, p) for p in self.paths)
            self._text = "\n".join(b.decode("utf-8", "replace") for b in blobs if b is not None)
        return self._text


def _leaked_secret(content: str, secrets: set[str], committed: _Committed) -> bool:
    """Whether ``content`` shows a secret value the base does not already hold.

    A generated secret is in no commit: any occurrence is a leak.  A moved one (a committed password
    that SF004 takes out of a file) is in the base already, in the file it comes from; it may also be
    a word the fixed files keep or write for another reason (a database or service named like its
    password, ``seen`` or ``postgres``, which SF008 and SF006 also write), and committing it again
    tells nobody anything new.
    """
    from seenfix.core.redaction import value_pattern

    shown = [v for v in secrets if value_pattern(v).search(content)]
    return any(value_pattern(v).search(committed.text()) is None for v in shown)


#: Paths per git command line (far below the kernel's argument limit, whatever their length).
_PATHS_PER_CALL = 1000


def check_same_as_base(repo: Git, base: str, base_name: str | None, steps: Sequence[Step]) -> None:
    """Refuse (``USAGE``) when a file the fixes change is not in the working tree as in the base.

    Fixers read the working tree and a fix commit holds the whole fixed file: a file with
    uncommitted changes, changed by commits the base lacks, or untracked there would carry those
    changes into the branch (and with ``--pr`` to the remote).  New files and untracking are fine.
    """
    paths = sorted({repo.prefix + c.path for s in steps for c in s.changes if committable(c) and not c.untrack})
    if not paths:
        return
    literal = {"GIT_LITERAL_PATHSPECS": "1"}  # -z: names as they are, not C-quoted ("d\303\251...")
    differ: set[str] = set()
    tracked: set[str] = set()
    for at in range(0, len(paths), _PATHS_PER_CALL):  # pathspecs limit the work to these files
        some = paths[at:at + _PATHS_PER_CALL]
        differ.update(repo.run("diff", "-z", "--name-only", "--no-renames", base, "--", *some, env=literal)
                      .split("\0"))
        tracked.update(repo.run("ls-tree", "-z", "-r", "--name-only", base, "--", *some, env=literal).split("\0"))
    differ.discard("")
    differ |= {p for p in paths if p not in tracked and (repo.top / p).exists()}
    if differ:
        shown = ", ".join(p.removeprefix(repo.prefix) for p in sorted(differ)[:5])
        more = f" and {len(differ) - 5} more" if len(differ) > 5 else ""
        raise BranchError(
            f"{shown}{more}: not as in the base ({base_name or base[:12]}): uncommitted changes, commits "
            "the base lacks, or untracked there; the fix branch would carry them (commit and push them, "
            "stash them, or choose --base)", USAGE)


def plan_commits(repo: Git, base: str, steps: Sequence[Step],
                 message: Callable[[Step], str] = commit_message) -> Plan:
    """Write the blobs and trees of one commit per step (the commits themselves come later)."""
    base_tree = repo.run("rev-parse", f"{base}^{{tree}}")
    trees = Trees(repo)
    commits: list[PlannedCommit] = []
    secrets: set[str] = set()
    committed = _Committed(trees, base_tree,
                           sorted({repo.prefix + c.path for s in steps for c in s.changes if committable(c)}))
    tree = base_tree
    for step in steps:
        secrets.update(v for c in step.changes for v in c.secret_values if v)
        changes = [c for c in step.changes if committable(c)]
        edits: dict[str, Entry | None] = {}
        for change in changes:
            path = repo.prefix + change.path
            if change.untrack:
                edits[path] = None
                continue
            assert change.content is not None
            if _leaked_secret(change.content, secrets, committed):
                raise BranchError(f"{change.path}: refusing to commit, the file would contain a "
                                  f"secret value of {step.info.code}")
            # hash-object --path applies the repository's clean filters (e.g. CRLF normalisation)
            blob = repo.run("hash-object", "-w", "--stdin", f"--path={path}",
                            input=_blob_bytes(repo, path, change.content))
            edits[path] = (_git_mode(change.mode) if change.mode is not None else None, bytes.fromhex(blob))
        if not edits:
            continue
        new_tree = trees.apply(tree, edits)
        if new_tree == tree:
            continue  # this fixer's changes are already in the base
        tree = new_tree
        commits.append(PlannedCommit(step.info.code, message(step), tree, tuple(c.path for c in changes)))
    return Plan(base, base_tree, tuple(commits))


#: A tree entry to write: (mode or ``None`` to keep the current one, binary object id).
Entry = tuple[bytes | None, bytes]
TREE = b"40000"


class Trees:
    """Reads and writes tree objects along the changed paths only (never the whole tree).

    A new tree is written for each directory that holds a change and for its ancestors; every other
    directory keeps its object id.  This is what ``read-tree``/``update-index``/``write-tree`` through
    a temporary index would produce, without a 100,000-entry index for a 100,000-file repository.
    """

    def __init__(self, repo: Git) -> None:
        self.odb = repo.repo.odb
        self._entries: dict[bytes, dict[bytes, tuple[bytes, bytes]]] = {}

    def read(self, sha: bytes) -> dict[bytes, tuple[bytes, bytes]]:
        """``name -> (mode, object id)`` of one tree."""
        if sha not in self._entries:
            data = self.odb.stream(sha).read()
            entries: dict[bytes, tuple[bytes, bytes]] = {}
            pos = 0
            while pos < len(data):
                space = data.index(b" ", pos)
                nul = data.index(b"\0", space)
                entries[data[space + 1:nul]] = (data[pos:space], data[nul + 1:nul + 21])
                pos = nul + 21
            self._entries[sha] = entries
        return self._entries[sha]

    def blob(self, tree: str, path: str) -> bytes | None:
        """The content of the file at ``path`` in ``tree``, or ``None`` when there is none."""
        parts = path.encode("utf-8", "surrogateescape").split(b"/")
        sha = bytes.fromhex(tree)
        for depth, part in enumerate(parts, 1):
            entry = self.read(sha).get(part)
            if entry is None or (entry[0] == TREE) != (depth < len(parts)):
                return None
            sha = entry[1]
        data: bytes = self.odb.stream(sha).read()
        return data

    def write(self, entries: dict[bytes, tuple[bytes, bytes]]) -> bytes:
        from io import BytesIO

        from gitdb.base import IStream

        # git sorts a tree's entries by name, a directory's name counting as if it ended with "/"
        names = sorted(entries, key=lambda n: n + b"/" if entries[n][0] == TREE else n)
        data = b"".join(entries[n][0] + b" " + n + b"\0" + entries[n][1] for n in names)
        sha: bytes = self.odb.store(IStream(b"tree", len(data), BytesIO(data))).binsha
        self._entries.setdefault(sha, dict(entries))
        return sha

    def apply(self, tree: str, edits: Mapping[str, Entry | None]) -> str:
        split = {tuple(p.encode("utf-8", "surrogateescape").split(b"/")): e for p, e in edits.items()}
        new = self._apply(bytes.fromhex(tree), split)
        return (new or self.write({})).hex()

    def _apply(self, tree: bytes | None, edits: Mapping[tuple[bytes, ...], Entry | None]) -> bytes | None:
        old = self.read(tree) if tree is not None else {}
        entries = dict(old)
        below: dict[bytes, dict[tuple[bytes, ...], Entry | None]] = {}
        for parts, edit in edits.items():
            if len(parts) > 1:
                below.setdefault(parts[0], {})[parts[1:]] = edit
            elif edit is None:
                entries.pop(parts[0], None)
            else:
                current = entries.get(parts[0])
                keep = current[0] if current and current[0] != TREE else b"100644"
                entries[parts[0]] = (edit[0] or keep, edit[1])
        for name, sub in below.items():
            current = entries.get(name)
            subtree = self._apply(current[1] if current and current[0] == TREE else None, sub)
            if subtree is None:
                entries.pop(name, None)
            else:
                entries[name] = (TREE, subtree)
        if entries == old and tree is not None:
            return tree
        return self.write(entries) if entries else None


def _git_mode(mode: int) -> bytes:
    return b"100755" if mode & 0o111 else b"100644"


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
    parents: int = 1


def branch_commits(repo: Git, base: str, tip: str) -> list[OwnCommit]:
    """Commits of the branch that are not in the base, newest first."""
    fmt = f"%H%x1f%an%x1f%ae%x1f%(trailers:key={TRAILER},valueonly,separator=%x2C)%x1f%P%x1e"
    out = repo.run("log", f"--format={fmt}", f"{base}..{tip}")
    commits = []
    for record in out.split("\x1e"):
        record = record.strip("\n")  # not strip(): \x1f counts as whitespace
        if record:
            sha, name, email, fixer, parents = record.split("\x1f")
            commits.append(OwnCommit(sha, name, email, fixer.strip(), len(parents.split())))
    return commits


def check_foreign(repo: Git, base: str, tip: str, where: str) -> list[OwnCommit]:
    """Stop when the branch holds a commit seenfix did not make (Renovate's "edited branch" rule).

    seenfix writes a linear history of commits that each carry the ``Seenfix-Fixer`` trailer; their
    author is whoever ran it (``--author``, git config, the CI user) and does not matter: a second
    person triggering the pipeline must not find the first one's commits foreign."""
    commits = branch_commits(repo, base, tip)
    for c in commits:
        # (a shallow clone shows no parent at its boundary: only a merge counts)
        if not c.fixer or not re.fullmatch(r"[A-Z]+\d+", c.fixer) or c.parents > 1:
            why = (f"no {TRAILER} trailer" if not c.fixer else
                   f"a merge of {c.parents} parents" if c.parents > 1 else f"{TRAILER}: {c.fixer!r}")
            raise BranchError(
                f"{where} has a commit seenfix did not make ({c.sha[:12]}: {why}); not overwriting it. "
                f"Merge or close that work, or delete the branch, then re-run")
    return commits


def same_result(repo: Git, base: str, tip: str, commits: Sequence[OwnCommit], plan: Plan) -> bool:
    """The branch already holds this result: same base, same final tree."""
    if not commits:
        return not plan.commits and tip == base
    return parent_of(repo, commits[-1].sha) == base and repo.run("rev-parse", f"{tip}^{{tree}}") == plan.tree


def remote_tip(repo: Git, remote: str, branch: str, base_name: str | None = None) -> str | None:
    """The remote branch's tip, fetched so its commits can be inspected; ``None`` if absent.

    In a shallow clone (CI checks out one commit) only the branch's own commits are fetched
    (``--shallow-exclude`` of the base branch): a plain fetch would download the whole history of the
    old base, and cut at the shallow boundary those commits would look like someone else's.
    """
    out = repo.run("ls-remote", "--heads", remote, f"refs/heads/{branch}")
    sha = next((line.split("\t")[0] for line in out.splitlines() if line.endswith(f"refs/heads/{branch}")), None)
    if sha is None:
        return None
    if repo.rev(sha) is None:
        shallow = repo.run("rev-parse", "--is-shallow-repository") == "true"
        refspec = f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}"
        if shallow and base_name:
            try:
                repo.run("fetch", "--quiet", "--no-tags", f"--shallow-exclude=refs/heads/{base_name}",
                         remote, refspec)
                return sha
            except GitFailure:
                pass  # the base is not a branch of that remote: fetch it all
        repo.run("fetch", "--quiet", "--no-tags", remote, refspec)
    return sha


def parent_of(repo: Git, sha: str) -> str | None:
    """The first parent as recorded in the commit (also past a shallow clone's boundary)."""
    header = repo.run("cat-file", "commit", sha).split("\n\n", 1)[0]
    return next((line[7:] for line in header.splitlines() if line.startswith("parent ")), None)


def push(repo: Git, remote: str, branch: str, new: str, expected: str | None) -> None:
    """Push ``new`` to the branch (``""``: delete it), only if the remote still is at ``expected``
    (absent if ``None``)."""
    lease = f"--force-with-lease=refs/heads/{branch}:{expected or ''}"
    try:
        repo.run("push", "--quiet", "--no-verify", lease, remote, f"{new}:refs/heads/{branch}")
    except GitFailure as exc:
        if "stale info" in exc.stderr:
            raise BranchError(f"{remote}/{branch} changed while seenfix was running (push rejected by "
                              f"--force-with-lease); re-run to rebuild it") from None
        raise


def delete_branch(repo: Git, remote: str | None, branch: str, expected: str) -> None:
    """Delete the fix branch (on ``remote``, or locally when ``None``), only if it still is at
    ``expected``: nothing pushed meanwhile is lost."""
    if remote is None:
        repo.run("update-ref", "-m", "seenfix: the base holds every fix", "-d", f"refs/heads/{branch}", expected)
    else:
        push(repo, remote, branch, "", expected)  # pushing nothing to the ref deletes it


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
    old: str | None = None  # the branch's tip before this run, if it existed


def sync_branch(repo: Git, steps: Sequence[Step], *, branch: str, base: str | None, remote: str,
                identity: Identity, push_remote: bool,
                message: Callable[[Step], str] = commit_message,
                before_commits: Callable[[], None] | None = None) -> BranchResult:
    """Build the fix branch and move it (locally, or on the remote when ``push_remote``).

    ``before_commits`` runs after the checks (the base, the files as in it), before any commit."""
    base_sha, base_name = resolve_base(repo, remote, base)
    if push_remote:
        old = remote_tip(repo, remote, branch, base_name)
        where = f"{remote}/{branch}"
    else:
        if repo.current_branch() == branch:
            raise BranchError(f"{branch} is the current branch; switch to another branch first", USAGE)
        old = repo.rev(f"refs/heads/{branch}")
        where = f"branch {branch}"
    check_same_as_base(repo, base_sha, base_name, steps)
    if before_commits is not None:
        before_commits()
    plan = plan_commits(repo, base_sha, steps, message)
    if old is not None:
        commits = check_foreign(repo, base_sha, old, where)
        if same_result(repo, base_sha, old, commits, plan):
            return BranchResult(branch, base_sha, base_name, old, len(commits), "unchanged", False,
                                plan.commits)
    if not plan.commits:
        return BranchResult(branch, base_sha, base_name, old or base_sha, 0, "empty", False, old=old)
    new = write_commits(repo, plan, identity)
    if push_remote:
        push(repo, remote, branch, new, old)
    else:
        repo.run("update-ref", "-m", "seenfix: rebuild fix branch", f"refs/heads/{branch}", new, old or "")
    return BranchResult(branch, base_sha, base_name, new, len(plan.commits),
                        "created" if old is None else "updated", push_remote, plan.commits)
