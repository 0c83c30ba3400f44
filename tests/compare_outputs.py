"""Compare what two revisions of seenfix print on the bundled fixture and the real corpora.

    python tests/compare_outputs.py OLD_REV [NEW_REV]      (NEW_REV default: the working tree)

For a refactoring that must not change behaviour (issue 13's layout moves): each revision is checked
out into a temporary worktree and run as ``python -m seenfix`` (the revision's own code first on
``sys.path``) on copies of ``fixtures/seen`` and of every compose, nginx and secrets corpus input in
``../shared/corpus``, with ``check --format json``, ``check`` and ``apply --set all --unsafe-fixes
--dry-run``.  Paths of the temporary copies are normalised; anything else that differs is printed,
and the exit code is 1.  Not a test: the expected output is the other revision's, which later work
changes on purpose.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
COMMANDS = (["check", "--format", "json"], ["check"], ["apply", "--set", "all", "--unsafe-fixes", "--dry-run"])


def inputs() -> list[Path]:
    found = [REPO / "fixtures" / "seen"]
    for kind in ("compose", "nginx"):
        found += sorted(p for p in (CORPUS / kind / "files").iterdir())
    for group in ("positive", "negative", "optional"):
        folder = CORPUS / "secrets" / group
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if p.is_dir())
    return found


def checkout(rev: str, dest: Path) -> Path:
    if rev == "WORKTREE":
        return REPO
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(dest), rev], check=True)
    return dest


def run(tree: Path, target: Path, args: list[str], work: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree), "SEENFIX_NO_CACHE": "1", "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "seenfix", *args, str(target)], capture_output=True,
                          text=True, env=env, cwd=work)
    text = f"exit {proc.returncode}\n--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}"
    return text.replace(str(target), "<target>")


def main(argv: list[str]) -> int:
    old_rev, new_rev = argv[0], argv[1] if len(argv) > 1 else "WORKTREE"
    differing = 0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        trees = [checkout(old_rev, tmp / "old"), checkout(new_rev, tmp / "new")]
        try:
            for source in inputs():
                for args in COMMANDS:
                    outs = []
                    for n, tree in enumerate(trees):
                        target = tmp / f"in{n}" / source.name
                        shutil.rmtree(target.parent, ignore_errors=True)
                        target.parent.mkdir()
                        (shutil.copytree(source, target) if source.is_dir()
                         else (target.mkdir(), shutil.copy2(source, target / source.name)))
                        outs.append(run(tree, target, args, tmp))
                    if outs[0] != outs[1]:
                        differing += 1
                        print(f"DIFFERS: {source} {' '.join(args)}")
                        import difflib
                        sys.stdout.writelines(difflib.unified_diff(outs[0].splitlines(True), outs[1].splitlines(True),
                                                                   old_rev, new_rev, n=1))
        finally:
            for tree in trees:
                if tree != REPO:
                    subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)
    total = len(inputs()) * len(COMMANDS)
    print(f"{total - differing} of {total} runs print the same; {differing} differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
