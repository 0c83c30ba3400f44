"""Which compose files a project's own docs and scripts deploy with, and which only its tests use.

The production deployment is the file the project's people run in production, and they write the
command down: `docker compose -f docker-compose.server.yml up -d` under a README's "Deployment"
heading, in `scripts/deploy.sh`, in a Makefile's `deploy:` target or a deploy workflow.  One linear
scan of README*, docs/**/*.md, Makefiles, shell scripts and GitHub workflows finds every
`docker compose` / `docker-compose` command and `COMPOSE_FILE=` setting, the files it names (`-f X`,
`--file X`, `COMPOSE_FILE=X:Y`; without them, the default `compose.yaml`/`docker-compose.yml` of the
root and its `.override` file) and what the command is for, from the words of the command (less the
file names), of its context (the markdown heading above it, the Makefile target, the workflow job and
step names) and of the document's own path:

* ``deploy``: a production word (`prod`, `production`, `deploy`, `release`, `live`...), no test word;
* ``test``: a development, test or CI word (`dev`, `test`, `e2e`, `ci`, `pytest`...), no production word;
* ``other``: both or neither (`docker compose up -d` under "Quick start").

:func:`compose_uses` maps each named compose file to the kinds of its uses.  How the project model
combines that with path words is in :func:`seenfix.core.project.compose_roles`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable

from seenfix.core.pathmatch import Prefiltered

#: The documents scanned for deploy commands.
DOCS = Prefiltered(r"(^|/)(README[^/]*|Makefile|GNUmakefile|[^/]*\.mk|[^/]*\.sh)$|^docs/.*\.(md|markdown|rst)$"
                   r"|^\.github/workflows/[^/]+\.ya?ml$", ("README", "akefile", ".mk", ".sh", "docs/", ".github/workflows/"))
#: Words that say a command deploys production.
DEPLOY_WORDS = frozenset({"prod", "production", "deploy", "deploying", "deployment", "deployments", "release",
                          "live", "swarm"})
#: Words that say a command runs a development, test or CI stack.
TEST_WORDS = frozenset({
    "dev", "devel", "develop", "development", "devenv", "devcontainer", "local", "locally", "debug", "sandbox",
    "test", "tests", "testing", "e2e", "integration", "cypress", "playwright", "selenium", "ci", "spec", "specs",
    "pytest", "jest", "vitest", "mocha", "unittest", "tox", "coverage", "lint", "storybook",
})
#: The files `docker compose` reads without `-f`, in its order of preference (the first one present).
DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
_COMMAND = re.compile(r"\bdocker(?:\s+|-)compose(?=\s|$)(?P<args>[^;&|#`)\n]*)"
                      r"|\bdocker\s+stack\s+deploy(?=\s)(?P<stack>[^;&|#`)\n]*)")
#: Subcommands after which a `docker compose` without `-f` names the default files.
_SUBCOMMANDS = frozenset({"up", "run", "exec", "pull", "build", "start", "restart", "create", "stop", "down",
                          "logs", "ps", "config", "push", "rm", "kill", "watch", "cp", "top", "images"})
_COMPOSE_FILE = re.compile(r"""\bCOMPOSE_FILE\s*[=:]\s*["']?(?P<value>[^\s"'#]+)""")
_FILE_ARG = re.compile(r"""(?:^|\s)(?:-f|--file)(?:\s+|=)["']?(?P<path>[^\s"']+)""")
_STACK_FILE_ARG = re.compile(r"""(?:^|\s)(?:-c|--compose-file)(?:\s+|=)["']?(?P<path>[^\s"']+)""")
_WORDS = re.compile(r"[a-z0-9]+")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(?P<title>.+)$")
_MAKE_TARGET = re.compile(r"^(?P<target>[A-Za-z0-9_.\-/ ]+):(?!=)")
_WORKFLOW_NAME = re.compile(r"^\s*(?:-\s+)?name:\s*(?P<name>.+)$")
_WORKFLOW_JOB = re.compile(r"^  (?P<job>[A-Za-z0-9_\-]+):\s*$")


def _words(text: str) -> set[str]:
    return set(_WORDS.findall(text.lower()))


def kind_of(words: set[str]) -> str:
    """``deploy``, ``test`` or ``other`` for a command with these words (its own and its context's)."""
    deploy, test = bool(words & DEPLOY_WORDS), bool(words & TEST_WORDS)
    return "deploy" if deploy and not test else "test" if test and not deploy else "other"


def _logical_lines(text: str) -> Iterable[str]:
    """The lines of ``text``, with shell line continuations (a trailing ``\\``) joined."""
    pending = ""
    for line in text.splitlines():
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


def _resolve(name: str, doc: str, compose: set[str]) -> str | None:
    """The project's compose file ``name`` means, read from the document's folder (a README in
    ``infra/`` is run there) or else the root (a script that changes to the root first)."""
    if "$" in name or "{" in name:
        return None
    for base in (posixpath.dirname(doc), ""):
        path = posixpath.normpath(posixpath.join(base, name.removeprefix("./")))
        if path in compose:
            return path
    return None


def _defaults(compose: set[str]) -> list[str]:
    """What `docker compose` without `-f` reads at the root: the first default file and its override."""
    for name in DEFAULT_FILES:
        if name in compose:
            stem, ext = name.rsplit(".", 1)
            return [name] + [o for o in (f"{stem}.override.yaml", f"{stem}.override.yml") if o in compose]
    return []


def compose_uses(files: Iterable[str], read: Callable[[str], str | None],
                 compose_files: Iterable[str]) -> dict[str, set[str]]:
    """Compose file -> the kinds (``deploy``, ``test``, ``other``) of the commands in the project's
    docs and scripts that use it.  Files no command names are absent."""
    compose = set(compose_files)
    out: dict[str, set[str]] = {}
    for doc in files:
        if not DOCS.search(doc):
            continue
        text = read(doc)
        if not text or ("compose" not in text and "COMPOSE_FILE" not in text):
            continue
        own = _words(doc)
        markdown = doc.endswith((".md", ".markdown", ".rst")) or "README" in posixpath.basename(doc)
        workflow = doc.startswith(".github/workflows/")
        makefile = not markdown and not workflow and not doc.endswith(".sh")
        context, job, fenced = "", "", False
        for line in _logical_lines(text):
            if markdown:
                if line.lstrip().startswith(("```", "~~~")):
                    fenced = not fenced
                    continue
                heading = _HEADING.match(line)
                if heading and not fenced:
                    context = heading.group("title")
                    continue
            elif workflow:
                job_line, step = _WORKFLOW_JOB.match(line), _WORKFLOW_NAME.match(line)
                if job_line:
                    job = context = job_line.group("job")
                elif step:
                    context = job + " " + step.group("name")
            elif makefile and not line.startswith(("\t", " ", "#")):
                target = _MAKE_TARGET.match(line)
                if target:
                    context = target.group("target")
            named: list[str] = []
            rest = line
            for setting in _COMPOSE_FILE.finditer(line):
                named += [n for n in re.split(r"[:;]", setting.group("value")) if n]
                rest = rest.replace(setting.group(0), " ")
            commands = list(_COMMAND.finditer(line))
            for command in commands:
                stack = command.group("stack") is not None
                args = command.group("stack") if stack else command.group("args")
                found = list((_STACK_FILE_ARG if stack else _FILE_ARG).finditer(args))
                named += [m.group("path") for m in found]
                for m in found:
                    rest = rest.replace(m.group(0), " ")
                words = [w for w in args.split() if not w.startswith("-")]
                if not found and not stack and "COMPOSE_FILE" not in line and any(w in _SUBCOMMANDS for w in words[:3]):
                    named += _defaults(compose)
            if not named:
                continue
            kind = kind_of(_words(rest) | _words(context) | own)
            for name in named:
                path = _resolve(name, doc, compose)
                if path is not None:
                    out.setdefault(path, set()).add(kind)
    return out
