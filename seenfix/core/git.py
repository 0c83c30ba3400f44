"""git on the user's repository, outside fix branches (those use :mod:`seenfix.gitops.branch`)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run ``git -C root args``; output captured as bytes."""
    return subprocess.run(
        ["git", "-C", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        check=check,
    )


def untrack_paths(root: Path, paths: Sequence[str]) -> None:
    """``git rm --cached`` ``paths`` (the files stay on disk); nothing when ``paths`` is empty."""
    if paths:
        git(root, "rm", "--cached", "-f", "-q", "--", *paths, check=False)
