"""git on the user's repository, outside fix branches (those use :mod:`seenfix.gitops.branch`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import subprocess
    from pathlib import Path


class GitError(Exception):
    """A git command seenfix needs failed (a broken index, a full disk, ``ulimit -f``): one line."""


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run ``git -C root args``; output captured as bytes.  With ``check``, a failure is a
    :class:`GitError` saying which command failed and why (git's last line, or the signal)."""
    import subprocess

    proc = subprocess.run(
        ["git", "-C", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        check=False,
    )
    from seenfix.core import runcache

    runcache.note_git(proc.args, proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        lines = [line for line in proc.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
        if proc.returncode < 0:
            import signal

            why = f"killed by {signal.Signals(-proc.returncode).name}"
            if -proc.returncode == signal.SIGXFSZ:
                why += " (file size limit exceeded: ulimit -f?)"
        else:
            why = lines[-1] if lines else f"exit status {proc.returncode}"
        raise GitError(f"git {args[0]} failed in {root}: {why}")
    return proc


def untrack_paths(root: Path, paths: Sequence[str]) -> None:
    """``git rm --cached`` ``paths`` (the files stay on disk); nothing when ``paths`` is empty."""
    if paths:
        git(root, "rm", "--cached", "-f", "-q", "--", *paths, check=False)
