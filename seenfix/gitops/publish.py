"""``seenfix apply --branch/--pr``: commit the run's steps to the fix branch, push it, open the request.

:func:`publish` is what the CLI calls.  It returns the exit code: 0 when done (also when nothing had
to change), 2 for a wrong invocation (not a git repository, a bad ``--author`` or ``--base``), 3 when
the branch or the pull request could not be made (foreign commits on the branch, a rejected push, a
network or API error); the pushed branch is then reported so the request can be opened by hand.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.model import Finding, FixerInfo, Step
    from seenfix.engine.run import RunResult
    from seenfix.gitops.branch import BranchResult, Git
    from seenfix.gitops.forge import Forge

#: Shown when any fixer wrote a secret file (which never goes into the branch).
SECRET_FOLLOW_UP = ("Set the new secret values in your deployment: {files} {verb} written to the "
                    "working copy that ran seenfix only, deliberately not to this {kind}.")
MAX_CHANGES = 20
#: The comment on a request closed because the base holds every fix (Renovate's behaviour).
CLOSED_COMMENT = ("seenfix found nothing left to fix in the **{set_name}** set on `{base}`: the base "
                  "already holds every fix of this {kind} (merged elsewhere, or fixed by hand). Closing it "
                  "and deleting the branch `{branch}`; a later run opens a new {kind} if findings come back.")


def publish(steps: Sequence[Step], root: Path, *, set_name: str, pr: bool, base: str | None,
            branch: str | None, author: str | None, token_env: str | None, labels: tuple[str, ...],
            remote: str, echo: Callable[[str], None], redact: Callable[[str], str],
            secrets_of: RunResult | None = None, scores: Sequence[Mapping[str, Any]] = (),
            close_when_fixed: bool = True, unsafe: bool = False) -> int:
    """Commit ``steps`` (one commit per fixer) to ``seenfix/<set_name>`` and, with ``pr``, push it and
    open or update the pull/merge request.  Returns the exit code.

    ``secrets_of`` is the run whose secret files (the untracked ``.env``) are written to the working
    tree once the files the fixes change are known to be as in the base, before any commit is made:
    the branch never holds them.

    ``branch`` overrides the branch name; ``labels`` empty means the default ``seenfix``, ``security``;
    ``redact`` masks the run's secret values and is applied to every line, message and request text.
    ``scores`` are the readiness score's before -> after rows (``seenfix.output.scorecard.comparison``)
    for the request body; empty: no score table.

    When nothing is left to commit on the base (``steps`` hold no change it lacks) and
    ``close_when_fixed`` (the run was complete: no fixer failed, no input was unreadable), the open
    request is closed with a comment and the fix branch deleted.

    The request's body lists what the run (``secrets_of``) found and did not fix: report-only
    findings and unsafe fixes not applied (``unsafe`` false), with the command for each.
    """
    from seenfix.gitops import branch as br

    name = branch or f"seenfix/{set_name}"
    secrets = {v for s in steps for c in s.changes for v in c.secret_values}

    def clean(text: str) -> str:
        from seenfix.core.redaction import mask_values

        return redact(_strip_credentials(mask_values(text, secrets)))

    def say(text: str) -> None:
        echo(clean(text))

    try:
        repo = br.Git(root)
    except br.BranchError as exc:
        say(f"error: {exc.message}")
        return exc.exit_code
    def write_secrets() -> None:
        from seenfix.engine.write import WriteError, write

        assert secrets_of is not None
        try:
            write(secrets_of, only_secret=True)
        except WriteError as exc:
            raise br.BranchError(str(exc), br.FAILURE) from None

    try:
        return _publish(repo, steps, name=name, set_name=set_name, pr=pr, base=base, author=author,
                        before_commits=write_secrets if secrets_of is not None else None, scores=scores,
                        token_env=token_env, labels=labels, remote=remote, say=say, clean=clean,
                        close_when_fixed=close_when_fixed,
                        still_open=still_open(secrets_of.findings, secrets_of.fixers, steps, unsafe=unsafe,
                                              set_name=set_name) if secrets_of is not None else [])
    finally:
        repo.close()


def describe(steps: Sequence[Step], root: Path, *, set_name: str, pr: bool, base: str | None, branch: str,
             remote: str, labels: tuple[str, ...], token_env: str | None, echo: Callable[[str], None]) -> int:
    """``apply --dry-run --branch/--pr``: say what would be committed, pushed and opened, writing
    nothing and contacting no server.  Returns the exit code the real run's checks would give (2 when
    a changed file is not as in the base)."""
    from seenfix.gitops import branch as br
    from seenfix.gitops import forge as fg

    try:
        repo = br.Git(root)
    except br.BranchError as exc:
        echo(f"error: {exc.message}")
        return exc.exit_code
    try:
        base_sha, base_name = br.resolve_base(repo, remote, base)
        br.check_same_as_base(repo, base_sha, base_name, steps)
        url = repo.config(f"remote.{remote}.url")
    except br.BranchError as exc:
        echo(f"error: {exc.message}")
        return exc.exit_code
    finally:
        repo.close()
    where = f"{base_name} ({base_sha[:12]})" if base_name else base_sha[:12]
    commits = [s for s in steps if any(br.committable(c) for c in s.changes)]
    echo("dry run: nothing is committed, pushed or opened")
    if not commits:
        echo(f"would commit nothing to {branch} on {where}: the base holds every fix"
             + (f"; an open request from {branch} would be closed and the branch deleted" if pr else ""))
        return 0
    echo(f"would commit {len(commits)} commit{'s' if len(commits) != 1 else ''} to {branch} on {where} "
         "(one less for each fix the base already holds):")
    for step in commits:
        subject = br.commit_message(step).split("\n", 1)[0]
        files = ", ".join(c.path for c in step.changes if br.committable(c))
        echo(f"  {subject}: {files}")
    secret = sorted({c.path for s in steps for c in s.changes if c.secret})
    if secret:
        echo(f"would write {', '.join(secret)} to the working tree only (secret values, never committed)")
    if not pr:
        return 0
    echo(f"would push {branch} to {remote} (--force-with-lease; nothing if it already holds this result)")
    codes = ", ".join(sorted({s.info.code for s in commits}))
    try:
        forge = fg.detect(url, token_env) if url else None
        target = f" on {forge.name}" if forge else f" (the real run would stop: no git remote named {remote!r})"
    except fg.ForgeError as exc:
        forge, target = None, f" (the real run would stop: {exc})"
    kind = forge.kind if forge is not None else "pull request"
    echo(f"would open or update the {kind} \"fix: apply seenfix {set_name} fixes ({codes})\" from {branch}"
         f"{target}, labels {', '.join(labels or fg.DEFAULT_LABELS)}")
    return 0


def _publish(repo: Git, steps: Sequence[Step], *, name: str, set_name: str, pr: bool, base: str | None,
             author: str | None, token_env: str | None, labels: tuple[str, ...], remote: str,
             say: Callable[[str], None], clean: Callable[[str], str],
             before_commits: Callable[[], None] | None = None,
             scores: Sequence[Mapping[str, Any]] = (), close_when_fixed: bool = True,
             still_open: list[dict[str, Any]] | None = None) -> int:
    from seenfix.gitops import branch as br
    from seenfix.gitops import forge as fg

    try:
        identity = br.resolve_identity(repo, author, os.environ)
        forge: fg.Forge | None = None
        if pr:
            url = repo.config(f"remote.{remote}.url")
            if url is None:
                say(f"error: no git remote named {remote!r} to push {name} to (see --remote)")
                return br.USAGE
            forge = fg.detect(url, token_env)
        result = br.sync_branch(repo, steps, branch=name, base=base, remote=remote, identity=identity,
                                push_remote=pr, message=lambda step: clean(br.commit_message(step)),
                                before_commits=before_commits)
    except fg.ForgeError as exc:
        say(f"error: {exc}")
        return br.FAILURE
    except br.BranchError as exc:
        say(f"error: {exc.message}")
        return exc.exit_code

    where = f"{remote}/{name}" if pr else name
    base_label = result.base_name or result.base[:12]
    if result.status == "empty" and not close_when_fixed:
        say(f"{name}: nothing to commit on {base_label}; branch not changed (the run was incomplete)")
        return 0
    if result.status == "empty":
        return _close_when_fixed(repo, result, forge, set_name=set_name, remote=remote if pr else None,
                                 say=say, clean=clean)
    if result.status == "unchanged":
        say(f"{where}: already up to date ({result.commits} commits on {base_label}), "
            f"nothing {'pushed' if pr else 'committed'}")
    else:
        verb = "pushed" if pr else "committed"
        say(f"{where}: {verb} {result.commits} commit{'s' if result.commits != 1 else ''} on "
            f"{base_label} ({result.head[:12]}, {result.status})")
    if forge is None:
        return 0
    kind = forge.kind
    title = clean(pr_title(set_name, result))
    body = clean(render_body(steps, result, set_name=set_name, kind=kind, scores=scores, still_open=still_open))
    try:
        made = forge.ensure(name, result.base_name, title, body, labels or fg.DEFAULT_LABELS)
    except fg.ForgeError as exc:
        say(f"error: {exc}")
        link = forge.new_request_url(name, result.base_name)
        say(f"the branch {name} is on {remote} ({result.head[:12]}); open the {kind} by hand"
            + (f": {link}" if link else ""))
        return br.FAILURE
    mark = "!" if kind == "merge request" else "#"
    say(f"{kind} {mark}{made.number} {made.action}: {made.url}")
    return 0


def _close_when_fixed(repo: Git, result: BranchResult, forge: Forge | None, *, set_name: str, remote: str | None,
                      say: Callable[[str], None], clean: Callable[[str], str]) -> int:
    """Nothing to commit on the base: close the open request (with a comment saying why) and delete
    the fix branch, as Renovate does; a later run with findings makes both anew."""
    from seenfix.gitops import branch as br
    from seenfix.gitops import forge as fg

    base_label = result.base_name or result.base[:12]
    name = result.branch
    if result.old is None and forge is None:
        say(f"{name}: nothing to commit on {base_label}; branch not changed")
        return 0
    say(f"{name}: nothing to commit on {base_label}: the base holds every fix")
    if forge is not None:
        comment = clean(CLOSED_COMMENT.format(set_name=set_name, base=base_label, kind=forge.kind, branch=name))
        try:
            closed = forge.close(name, comment)
        except fg.ForgeError as exc:
            say(f"error: {exc}")
            return br.FAILURE
        if closed is not None:
            mark = "!" if forge.kind == "merge request" else "#"
            say(f"{forge.kind} {mark}{closed.number} closed: {closed.url}")
    if result.old is not None:
        try:
            br.delete_branch(repo, remote, name, result.old)
        except br.BranchError as exc:
            say(f"error: {exc.message}")
            return exc.exit_code
        say(f"{remote + '/' if remote else 'branch '}{name} deleted")
    return 0


def pr_title(set_name: str, result: BranchResult) -> str:
    codes = ", ".join(sorted({c.code for c in result.planned}))
    return f"fix: apply seenfix {set_name} fixes ({codes})"


def _strip_credentials(text: str) -> str:
    """``https://user:token@host/`` -> ``https://host/`` (push errors quote the remote URL)."""
    return re.sub(r"(\b[a-z][a-z0-9+.-]*://)[^/@\s]+@", r"\1", text)


def still_open(findings: Sequence[Finding], infos: Sequence[FixerInfo], steps: Sequence[Step], *,
               unsafe: bool, set_name: str) -> list[dict[str, Any]]:
    """The findings of the run that no commit fixes, one entry per fixer, with why and the command
    that would apply it (or explain what to do by hand)."""
    from seenfix.core.model import Applicability, FixAvailability

    fixed = {s.info.code for s in steps}
    by_code = {i.code: i for i in infos}
    out: dict[str, dict[str, Any]] = {}
    for f in findings:
        info = by_code.get(f.code)
        if info is None or (f.fixable and f.code in fixed):
            continue
        if not f.fixable or info.fix_availability is FixAvailability.NONE \
                or info.applicability is Applicability.DISPLAY_ONLY:
            why, command = "report only: no automatic fix", f"seenfix explain {f.code}"
        elif info.applicability is Applicability.UNSAFE and not unsafe:
            why = "unsafe fix, not applied (review it first)"
            command = f"seenfix apply --select {f.code} --unsafe-fixes --pr"
        else:
            why, command = "not fixed by this run", f"seenfix apply --select {f.code} --dry-run"
        entry = out.setdefault(f.code, {"code": f.code, "summary": info.summary, "why": why,
                                        "command": command, "where": []})
        entry["where"].append(f"`{f.path}:{f.line}`")
    rows = sorted(out.values(), key=lambda e: e["code"])
    for row in rows:
        shown = row["where"][:5]
        row["where_md"] = ", ".join(shown) + (f" and {len(row['where']) - 5} more" if len(row["where"]) > 5 else "")
    return rows


def body_context(steps: Sequence[Step], result: BranchResult, *, set_name: str, kind: str,
                 scores: Sequence[Mapping[str, Any]] = (),
                 still_open: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What ``templates/pr_body.md.j2`` shows: only the fixers that made a commit on the branch."""
    from seenfix.gitops.branch import fix_title

    committed = {c.code: c for c in result.planned}
    fixers: list[dict[str, Any]] = []
    kept_out: list[str] = []
    for step in steps:
        secret_files = [c.path for c in step.changes if c.secret]
        kept_out.extend(p for p in secret_files if p not in kept_out)
        planned = committed.get(step.info.code)
        if planned is None:
            continue
        lines = [f"`{f.path}:{f.line}`: {f.message}" for f in step.findings]
        untracked = [c.path for c in step.changes if c.untrack]
        lines += [f"`{p}` is no longer tracked by git (the file stays on disk)" for p in untracked]
        fixers.append({
            "code": step.info.code,
            "summary": step.info.summary,
            "seed_issue": step.info.seed_issue,
            "title": fix_title(step)[:1].upper() + fix_title(step)[1:],
            "why": step.info.commit_text,
            "files": list(planned.paths),
            "files_md": ", ".join(f"`{p}`" for p in planned.paths),
            "changes": lines[:MAX_CHANGES] or [f"`{p}` updated" for p in planned.paths],
            "more": max(0, len(lines) - MAX_CHANGES),
            "kept_out": secret_files,
        })
    codes: list[str] = [f["code"] for f in fixers]
    infos = {step.info.code: step.info for step in steps}
    followups = [infos[c].follow_up for c in sorted(set(codes)) if infos[c].follow_up]
    if kept_out:
        files = ", ".join(f"`{p}`" for p in kept_out)
        followups.insert(0, SECRET_FOLLOW_UP.format(files=files, verb="was" if len(kept_out) == 1 else "were",
                                                    kind=kind))
    marker = f"seenfix:pr set={set_name} branch={result.branch} fixers={','.join(codes)}"
    return {"marker": marker, "kind": kind, "set_name": set_name, "base": result.base_name or result.base[:12],
            "branch": result.branch, "fixers": fixers, "followups": followups,
            "scores": [row for row in scores if row.get("before") is not None], "still_open": still_open or []}


def render_body(steps: Sequence[Step], result: BranchResult, *, set_name: str, kind: str = "pull request",
                scores: Sequence[Mapping[str, Any]] = (), still_open: list[dict[str, Any]] | None = None) -> str:
    return _render("pr_body.md.j2", **body_context(steps, result, set_name=set_name, kind=kind, scores=scores,
                                                   still_open=still_open))


def _render(name: str, **ctx: Any) -> str:
    from seenfix.core.templating import render

    return render(name, **ctx)
