"""Pull and merge requests against a local HTTP server that plays GitHub and GitLab and records requests."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import free_port
from seenfix.gitops import forge as fg
from seenfix.gitops.publish import publish
from seenfix.core.model import FileChange, Finding, Severity
from test_gitops_branch import SECRET, project, received, step, steps_v1  # noqa: F401  (project: fixture)

TOKEN = "tok-0123456789abcdef"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes


@dataclass
class State:
    requests: list[Recorded] = field(default_factory=list)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    fail: int | None = None  # answer every request with this status
    fail_headers: dict[str, str] = field(default_factory=dict)
    hide_next_list: bool = False  # the 422/409 race: the list misses a request created meanwhile
    reject_create: str = ""  # a 422 that is not the race
    # hostile servers (issue 15)
    redirect_to: str = ""  # answer every request with a 302 to this URL
    stall: float = 0.0  # drip the answer one byte every this many seconds
    html: bool = False  # answer 200 with an HTML page (a proxy's login page, say)
    echo_headers: int = 0  # answer with this status and the request's headers in the body
    shape: Any = None  # answer every request 200 with this JSON
    stopped: threading.Event = field(default_factory=threading.Event)  # ends a drip

    def calls(self) -> list[str]:
        return [f"{r.method} {r.path.split('?')[0]}" for r in self.requests]


class Handler(BaseHTTPRequestHandler):
    state: State

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _drip(self, every: float) -> None:
        raw = json.dumps([{"number": 1}] * 50).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        try:
            for byte in raw:
                if self.state.stopped.is_set():
                    break
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(every)
        except OSError:
            pass

    def _handle(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.loads(raw) if raw else None
        st = self.state
        st.requests.append(Recorded(self.command, self.path, dict(self.headers), body, raw))
        if st.redirect_to:
            self.send_response(302)
            self.send_header("Location", st.redirect_to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if st.stall:
            return self._drip(st.stall)
        if st.html:
            page = b"<!DOCTYPE html><html><body>Sign in to the proxy</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return None
        if st.echo_headers:
            return self._reply(st.echo_headers, {"message": f"bad request, you sent {dict(self.headers)}"})
        if st.shape is not None:
            return self._reply(200, st.shape)
        if st.fail is not None:
            return self._reply(st.fail, {"message": "nope"}, st.fail_headers)
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = url.path.strip("/").split("/")
        if parts[0] == "repos":
            return self._github(parts[3:], q, body)
        if parts[0] == "projects":
            return self._gitlab(parts[2:], q, body)
        self._reply(404, {"message": "Not Found"})

    def _github(self, parts: list[str], q: dict[str, str], body: Any) -> None:
        st = self.state
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._reply(401, {"message": "Bad credentials"})
        if not parts:
            return self._reply(200, {"default_branch": "main"})
        if parts == ["pulls"] and self.command == "GET":
            hide, st.hide_next_list = st.hide_next_list, False
            owner, head = q["head"].split(":", 1)
            found = [] if hide else [p for p in st.pulls if p["head"]["ref"] == head and p["state"] == "open"]
            return self._reply(200, found)
        if parts == ["pulls"] and self.command == "POST":
            if st.reject_create:
                return self._reply(422, {"message": "Validation Failed", "errors": [
                    {"resource": "PullRequest", "code": "custom", "message": st.reject_create}]})
            if any(p["head"]["ref"] == body["head"] and p["state"] == "open" for p in st.pulls):
                return self._reply(422, {"message": "Validation Failed", "errors": [
                    {"resource": "PullRequest", "code": "custom",
                     "message": f"A pull request already exists for o:{body['head']}."}]})
            n = len(st.pulls) + 1
            pr = {"number": n, "html_url": f"https://github.example/o/r/pull/{n}", "state": "open",
                  "title": body["title"], "body": body["body"], "head": {"ref": body["head"]},
                  "base": {"ref": body["base"]}, "labels": []}
            st.pulls.append(pr)
            return self._reply(201, pr)
        if parts[0] == "issues" and parts[2] == "comments" and self.command == "POST":
            st.pulls[int(parts[1]) - 1].setdefault("comments", []).append(body["body"])
            return self._reply(201, {"body": body["body"]})
        if parts[0] == "pulls" and self.command == "PATCH":
            pr = st.pulls[int(parts[1]) - 1]
            pr.update(body)
            return self._reply(200, pr)
        if parts[0] == "issues" and parts[2] == "labels" and self.command == "POST":
            pr = st.pulls[int(parts[1]) - 1]
            pr["labels"] += [{"name": n} for n in body["labels"]]
            return self._reply(200, pr["labels"])
        self._reply(404, {"message": "Not Found"})

    def _gitlab(self, parts: list[str], q: dict[str, str], body: Any) -> None:
        st = self.state
        if self.headers.get("PRIVATE-TOKEN") != TOKEN:
            return self._reply(401, {"message": "401 Unauthorized"})
        if parts == ["merge_requests"] and self.command == "GET":
            hide, st.hide_next_list = st.hide_next_list, False
            found = [] if hide else [m for m in st.pulls
                                     if m["source_branch"] == q["source_branch"] and m["state"] == q["state"]]
            return self._reply(200, found)
        if parts == ["merge_requests"] and self.command == "POST":
            same = [m for m in st.pulls if m["source_branch"] == body["source_branch"] and m["state"] == "opened"]
            if same:
                return self._reply(409, {"message": [
                    f"Another open merge request already exists for this source branch: !{same[0]['iid']}"]})
            iid = len(st.pulls) + 1
            mr = {"iid": iid, "web_url": f"https://gitlab.example/g/p/-/merge_requests/{iid}", "state": "opened",
                  "title": body["title"], "description": body["description"],
                  "source_branch": body["source_branch"], "target_branch": body["target_branch"],
                  "labels": [x for x in body.get("labels", "").split(",") if x]}
            st.pulls.append(mr)
            return self._reply(201, mr)
        if parts[0] == "merge_requests" and parts[2:] == ["notes"] and self.command == "POST":
            st.pulls[int(parts[1]) - 1].setdefault("comments", []).append(body["body"])
            return self._reply(201, {"body": body["body"]})
        if parts[0] == "merge_requests" and self.command == "PUT":
            mr = st.pulls[int(parts[1]) - 1]
            if body.get("state_event") == "close":
                mr["state"] = "closed"
            mr.update({k: v for k, v in body.items() if k in ("title", "description")})
            mr["labels"] += [x for x in body.get("add_labels", "").split(",") if x]
            return self._reply(200, mr)
        self._reply(404, {"message": "404 Project Not Found"})

    do_GET = do_POST = do_PATCH = do_PUT = _handle


@pytest.fixture()
def server() -> Iterator[tuple[str, State]]:
    state = State()
    handler = type("BoundHandler", (Handler,), {"state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    httpd.shutdown()
    httpd.server_close()


def github(url: str) -> fg.GitHub:
    return fg.GitHub(url, "o/r", TOKEN, "GITHUB_TOKEN")


def gitlab(url: str) -> fg.GitLab:
    return fg.GitLab(url, "g/p", TOKEN, "GITLAB_TOKEN")


LABELS = ("seenfix", "security")


def test_github_create_then_update_instead_of_duplicate(server: tuple[str, State]) -> None:
    url, st = server
    made = github(url).ensure("seenfix/quick-wins", "main", "T", "B1", LABELS)
    assert made == fg.PullRequest(1, "https://github.example/o/r/pull/1", "created")
    assert st.calls() == ["GET /repos/o/r/pulls", "POST /repos/o/r/pulls", "POST /repos/o/r/issues/1/labels"]
    assert st.requests[0].path.endswith("head=o%3Aseenfix%2Fquick-wins&per_page=100")
    assert st.requests[1].body == {"title": "T", "head": "seenfix/quick-wins", "base": "main", "body": "B1",
                                   "maintainer_can_modify": True}
    assert st.requests[2].body == {"labels": ["seenfix", "security"]}
    assert {k.lower(): v for k, v in st.requests[0].headers.items()}["x-github-api-version"] == "2022-11-28"
    st.requests.clear()
    again = github(url).ensure("seenfix/quick-wins", "main", "T", "B2", LABELS)
    assert again.action == "updated" and len(st.pulls) == 1 and st.pulls[0]["body"] == "B2"
    assert st.calls() == ["GET /repos/o/r/pulls", "PATCH /repos/o/r/pulls/1"]
    st.requests.clear()
    assert github(url).ensure("seenfix/quick-wins", "main", "T", "B2", LABELS + ("p1",)).action == "unchanged"
    assert st.calls() == ["GET /repos/o/r/pulls", "POST /repos/o/r/issues/1/labels"]
    assert st.requests[1].body == {"labels": ["p1"]}


def test_github_422_race_falls_back_to_update(server: tuple[str, State]) -> None:
    url, st = server
    github(url).ensure("seenfix/p0", "main", "T", "B1", ())
    st.requests.clear()
    st.hide_next_list = True  # another run created the request between our list and our create
    made = github(url).ensure("seenfix/p0", "main", "T", "B2", ())
    assert made.action == "updated" and made.number == 1 and len(st.pulls) == 1
    assert st.calls() == ["GET /repos/o/r/pulls", "POST /repos/o/r/pulls", "GET /repos/o/r/pulls",
                          "PATCH /repos/o/r/pulls/1"]


def test_github_422_that_is_not_the_race_is_an_error(server: tuple[str, State]) -> None:
    url, st = server
    st.reject_create = "No commits between main and seenfix/p0"
    with pytest.raises(fg.ForgeError, match=r"^creating the pull request failed \(422\): Validation Failed; "
                                            r"No commits between main and seenfix/p0$"):
        github(url).ensure("seenfix/p0", "main", "T", "B", ())
    assert st.calls() == ["GET /repos/o/r/pulls", "POST /repos/o/r/pulls"]


def test_github_base_defaults_to_the_repository_default_branch(server: tuple[str, State]) -> None:
    url, st = server
    github(url).ensure("seenfix/p0", None, "T", "B", ())
    assert st.calls()[:2] == ["GET /repos/o/r/pulls", "GET /repos/o/r"]
    assert st.requests[2].body["base"] == "main"


def test_gitlab_create_update_labels_and_409_race(server: tuple[str, State]) -> None:
    url, st = server
    made = gitlab(url).ensure("seenfix/quick-wins", "main", "T", "B1", LABELS)
    assert made == fg.PullRequest(1, "https://gitlab.example/g/p/-/merge_requests/1", "created")
    assert st.calls() == ["GET /projects/g%2Fp/merge_requests", "POST /projects/g%2Fp/merge_requests"]
    assert "state=opened&source_branch=seenfix%2Fquick-wins" in st.requests[0].path
    assert st.requests[1].body == {"source_branch": "seenfix/quick-wins", "target_branch": "main", "title": "T",
                                   "description": "B1", "labels": "seenfix,security", "remove_source_branch": True}
    st.requests.clear()
    assert gitlab(url).ensure("seenfix/quick-wins", "main", "T", "B1", LABELS).action == "unchanged"
    assert st.calls() == ["GET /projects/g%2Fp/merge_requests"]
    st.requests.clear()
    st.hide_next_list = True
    again = gitlab(url).ensure("seenfix/quick-wins", "main", "T", "B2", LABELS + ("p0",))
    assert again.action == "updated" and len(st.pulls) == 1
    assert st.calls() == ["GET /projects/g%2Fp/merge_requests", "POST /projects/g%2Fp/merge_requests",
                          "GET /projects/g%2Fp/merge_requests", "PUT /projects/g%2Fp/merge_requests/1"]
    assert st.requests[-1].body == {"title": "T", "description": "B2", "add_labels": "p0"}
    assert st.pulls[0]["labels"] == ["seenfix", "security", "p0"]


@pytest.mark.parametrize(("status", "headers", "expected"), [
    (401, {}, "GitHub rejected the token in $GITHUB_TOKEN (401 Unauthorized)"),
    (403, {}, "the token in $GITHUB_TOKEN may not do GET /repos/o/r/pulls"),
    (404, {}, "GET /repos/o/r/pulls: not found (404)"),
    (429, {"Retry-After": "60"}, "rate limited by the GitHub API (GET /repos/o/r/pulls); retry in 60 s"),
    (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000000"},
     "rate limited by the GitHub API (GET /repos/o/r/pulls); retry after 22:13 UTC"),
    (500, {}, "GET /repos/o/r/pulls failed with HTTP 500: nope"),
])
def test_error_statuses_give_one_line(server: tuple[str, State], status: int, headers: dict[str, str],
                                      expected: str) -> None:
    url, st = server
    st.fail, st.fail_headers = status, headers
    with pytest.raises(fg.ForgeError) as err:
        github(url).ensure("seenfix/p0", "main", "T", "B", LABELS)
    assert str(err.value).startswith(expected) and "\n" not in str(err.value)
    assert TOKEN not in str(err.value)


def test_gitlab_errors_name_the_gitlab_token(server: tuple[str, State]) -> None:
    url, st = server
    st.fail = 401
    with pytest.raises(fg.ForgeError, match=r"GitLab rejected the token in \$GITLAB_TOKEN"):
        gitlab(url).ensure("seenfix/p0", "main", "T", "B", ())


def test_connection_refused() -> None:
    port = free_port()
    with pytest.raises(fg.ForgeError, match=f"cannot reach the GitHub API at http://127.0.0.1:{port}: .*refused"):
        github(f"http://127.0.0.1:{port}").ensure("seenfix/p0", "main", "T", "B", ())


def test_detect_from_ci_variables_and_remote_urls() -> None:
    gh = fg.detect("git@github.com:acme/shop.git", None, {"GITHUB_TOKEN": "t"})
    assert isinstance(gh, fg.GitHub) and gh.repository == "acme/shop" and gh.api.root == "https://api.github.com"
    ghe = fg.detect("https://ghe.corp/acme/shop", "MY_TOKEN", {"MY_TOKEN": "t"})
    assert isinstance(ghe, fg.GitHub) and ghe.api.root == "https://ghe.corp/api/v3"
    ci = fg.detect("file:///x", None, {"GITHUB_REPOSITORY": "a/b", "GITHUB_API_URL": "https://api.x",
                                       "GITHUB_TOKEN": "t"})
    assert isinstance(ci, fg.GitHub) and ci.repository == "a/b" and ci.api.root == "https://api.x"
    gl = fg.detect("https://gitlab.com/g/sub/p.git", None, {"GITLAB_TOKEN": "t"})
    assert isinstance(gl, fg.GitLab) and gl.project == "g%2Fsub%2Fp" and gl.api.root == "https://gitlab.com/api/v4"
    glci = fg.detect("https://x/y/z", None, {"CI_API_V4_URL": "https://gl.corp/api/v4", "CI_PROJECT_ID": "42",
                                             "GITLAB_TOKEN": "t"})
    assert isinstance(glci, fg.GitLab) and glci.project == "42"
    assert gh.new_request_url("seenfix/p0", "main") == "https://github.com/acme/shop/compare/main...seenfix/p0?expand=1"
    assert ghe.new_request_url("seenfix/p0", None) == "https://ghe.corp/acme/shop/compare/seenfix/p0?expand=1"
    assert ci.new_request_url("seenfix/p0", "main") is None
    with pytest.raises(fg.ForgeError, match=r"no GitHub token: set \$GITHUB_TOKEN"):
        fg.detect("git@github.com:acme/shop.git", None, {})
    with pytest.raises(fg.ForgeError, match="cannot tell the GitHub repository"):
        fg.detect("file:///x", None, {"GITHUB_TOKEN": "t"})


# -- publish, end to end: a real bare remote and the fake GitHub ----------------------------------
def run_publish(project: Path, echo: list[str], **kw: Any) -> int:
    return publish(kw.pop("steps", leaky_steps()), project, set_name="quick-wins", pr=True, base=None,
                   branch=None, author="Seen Fixer <fixer@example.com>", token_env=None, labels=LABELS,
                   remote="origin", echo=echo.append, redact=lambda s: s.replace("hunter2", "[redacted]"))


def leaky_steps() -> list[Any]:
    """Steps whose texts try hard to leak: the secret sits in a finding message and in a secret file."""
    steps = steps_v1()
    sf004 = steps[3]
    leak = Finding("SF004", "slug-SF004", "backend.env", 1, f"DB_PASSWORD=hunter2 moved; new value {SECRET}",
                   "Move database credentials out of tracked files", Severity.HIGH, True)
    steps[3] = type(sf004)(sf004.info, sf004.changes, (leak,))
    return steps


@pytest.fixture()
def github_env(server: tuple[str, State], monkeypatch: pytest.MonkeyPatch) -> State:
    url, st = server
    for var in ("GITLAB_CI", "CI_API_V4_URL", "CI_PROJECT_ID"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GITHUB_API_URL", url)
    monkeypatch.setenv("GITHUB_REPOSITORY", "o/r")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    return st


def test_publish_pushes_and_opens_the_pull_request_without_any_secret(project: Path, github_env: State) -> None:
    st = github_env
    echo: list[str] = []
    assert run_publish(project, echo) == 0
    assert echo[0].startswith("origin/seenfix/quick-wins: pushed 4 commits on main (")
    assert echo[1] == "pull request #1 created: https://github.example/o/r/pull/1"
    pr = st.pulls[0]
    assert pr["title"] == "fix: apply seenfix quick-wins fixes (SF003, SF004, SF007, SF011)"
    assert pr["base"]["ref"] == "main" and pr["head"]["ref"] == "seenfix/quick-wins"
    body = pr["body"]
    print(body)
    assert body.startswith("<!-- seenfix:pr set=quick-wins branch=seenfix/quick-wins "
                           "fixers=SF011,SF003,SF007,SF004 -->\n")
    assert "| `SF011` Problem SF011 | 11 | `docker-compose.yml` |" in body
    assert "| `SF007` Problem SF007 | 7 | `docker-compose.yml`, `run.sh` |" in body
    assert "### SF011: Add resource limits\n\nWithout a memory limit one container" in body
    assert "`backend.env` is no longer tracked by git" in body
    assert "Rotate the database password" in body and "Review the Content-Security-Policy" in body
    assert "Set the new secret values in your deployment: `.env` was written" in body
    assert "JWT signing secret" not in body  # SF001 is not in this run
    assert "DB_PASSWORD=[redacted] moved; new value ********" in body
    # No request, header or URL carries a secret value.
    for r in st.requests:
        assert SECRET.encode() not in r.raw and SECRET not in r.path and "hunter2" not in r.raw.decode()
        assert all(SECRET not in v for v in r.headers.values())
    assert len(received(project)) == 1

    # Re-run, same result: nothing pushed, the request is found and left as it is.
    st.requests.clear()
    echo.clear()
    assert run_publish(project, echo) == 0
    assert echo == ["origin/seenfix/quick-wins: already up to date (4 commits on main), nothing pushed",
                    "pull request #1 unchanged: https://github.example/o/r/pull/1"]
    assert st.calls() == ["GET /repos/o/r/pulls"] and len(received(project)) == 1

    # Re-run with a change: force-pushed, the same request updated.
    changed = leaky_steps()[:2]
    assert run_publish(project, echo, steps=changed) == 0
    assert len(received(project)) == 2 and len(st.pulls) == 1
    assert st.pulls[0]["title"] == "fix: apply seenfix quick-wins fixes (SF003, SF011)"


def test_publish_reports_the_pushed_branch_when_the_api_fails(project: Path, github_env: State) -> None:
    github_env.fail = 403
    echo: list[str] = []
    assert run_publish(project, echo) == 3
    assert echo[1].startswith("error: the token in $GITHUB_TOKEN may not do GET /repos/o/r/pulls (403 Forbidden)")
    assert echo[2].startswith("the branch seenfix/quick-wins is on origin (") and echo[2].endswith(
        "open the pull request by hand")
    assert len(received(project)) == 1


def test_publish_without_a_token_fails_before_pushing(project: Path, github_env: State,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    echo: list[str] = []
    assert run_publish(project, echo) == 3
    assert echo == ["error: no GitHub token: set $GITHUB_TOKEN (a token with pull-requests: write), "
                    "or name another variable with --token-env"]
    assert received(project) == [] and github_env.requests == []


def test_publish_stops_on_foreign_commits(project: Path, github_env: State, tmp_path: Path) -> None:
    import subprocess

    assert run_publish(project, []) == 0
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", "-b", "seenfix/quick-wins", (tmp_path / "remote.git").as_uri(),
                    str(other)], check=True)
    subprocess.run(["git", "-C", str(other), "-c", "user.name=X", "-c", "user.email=x@example.com",
                    "commit", "-q", "--allow-empty", "-m", "wip"], check=True)
    subprocess.run(["git", "-C", str(other), "push", "-q"], check=True)
    echo: list[str] = []
    assert run_publish(project, echo, steps=leaky_steps()[:1]) == 3
    assert echo[0].startswith("error: origin/seenfix/quick-wins has a commit seenfix did not make")


def test_publish_masks_credentials_in_remote_urls() -> None:
    from seenfix.gitops.publish import _strip_credentials

    assert _strip_credentials("failed to push to 'https://x-access-token:ghs_abc@github.com/o/r'") == \
        "failed to push to 'https://github.com/o/r'"


def test_publish_branch_only_needs_no_forge(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    echo: list[str] = []
    code = publish([step("SF011", "compose", [FileChange("docker-compose.yml", "services: {}\n")])], project,
                   set_name="p1", pr=False, base=None, branch=None, author=None, token_env=None, labels=(),
                   remote="origin", echo=echo.append, redact=lambda s: s)
    assert code == 0 and echo[0].startswith("seenfix/p1: committed 1 commit on main (")
    assert received(project) == []


def test_follow_ups_are_those_of_the_fixers_present(project: Path) -> None:
    from seenfix.gitops import branch as br
    from seenfix.gitops.publish import body_context

    steps = [step("SF001", "secrets", [FileChange("backend/.env", "JWT_SECRET=x\n", secret=True),
                                       FileChange("backend/settings.py", "JWT = env\n")]),
             step("SF011", "compose", [FileChange("docker-compose.yml", "services: {}\n")])]
    result = br.sync_branch(br.Git(project), steps, branch="seenfix/p0", base=None, remote="origin",
                            identity=br.Identity("A", "a@example.com"), push_remote=False)
    ctx = body_context(steps, result, set_name="p0", kind="merge request")
    assert [f["code"] for f in ctx["fixers"]] == ["SF001", "SF011"]
    assert ctx["followups"][0].startswith("Set the new secret values in your deployment: `backend/.env` was")
    assert ctx["followups"][1].startswith("Set the new JWT signing secret in every deployment")
    assert len(ctx["followups"]) == 2  # no CSP review, no password rotation: SF003/SF004 are absent
    assert ctx["marker"] == "seenfix:pr set=p0 branch=seenfix/p0 fixers=SF001,SF011"


def test_cli_apply_pr_end_to_end(project: Path, github_env: State, tmp_path: Path) -> None:
    """``seenfix apply --pr`` as a user runs it: the test plugin SF901 fixes README.md on the branch only."""
    import subprocess

    from conftest import run_cli

    (project / "README.md").write_text("hello  \nworld\n")
    subprocess.run(["git", "-C", str(project), "add", "README.md"], check=True)
    subprocess.run(["git", "-C", str(project), "-c", "user.name=U", "-c", "user.email=u@example.com",
                    "commit", "-qm", "readme"], check=True)
    subprocess.run(["git", "-C", str(project), "push", "-q", "origin", "main"], check=True)
    proc = run_cli("apply", "--select", "SF901", "--pr", "--author", "Bot <bot@example.com>", str(project),
                   plugins=True)
    assert proc.returncode == 1, proc.stderr  # fixes were made (the CLI's "changed" exit code)
    assert "pull request #1 created: https://github.example/o/r/pull/1" in proc.stderr
    assert (project / "README.md").read_text() == "hello  \nworld\n"  # the working tree is not touched
    subject = subprocess.run(["git", "-C", str(project), "log", "-1", "--format=%s%n%an",
                              "origin/seenfix/sf901"], capture_output=True, text=True, check=True).stdout
    assert subject == "fix(docs): remove trailing whitespace (SF901)\nBot\n"
    pr = github_env.pulls[0]
    assert pr["head"]["ref"] == "seenfix/sf901" and "| `SF901` Trailing whitespace in Markdown |" in pr["body"]
    assert [lab["name"] for lab in pr["labels"]] == ["seenfix", "security"]


def test_a_dropped_connection_is_one_line() -> None:
    """A server that closes the connection without answering (a proxy dying, say)."""
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        port = srv.getsockname()[1]

        def drop() -> None:
            conn, _ = srv.accept()
            conn.recv(65536)
            conn.close()

        t = threading.Thread(target=drop, daemon=True)
        t.start()
        with pytest.raises(fg.ForgeError, match=f"cannot reach the GitHub API at http://127.0.0.1:{port}: .+"):
            github(f"http://127.0.0.1:{port}").ensure("seenfix/p0", "main", "T", "B", ())
        t.join(5)


def test_publish_outside_git_or_with_a_bad_author_exits_2(tmp_path: Path, project: Path) -> None:
    echo: list[str] = []
    args: dict[str, Any] = dict(set_name="p0", pr=False, base=None, branch=None, token_env=None, labels=(),
                                remote="origin", echo=echo.append, redact=lambda s: s)
    plain = tmp_path / "plain"
    plain.mkdir()
    assert publish(steps_v1(), plain, author=None, **args) == 2
    assert echo[-1] == f"error: {plain}: not inside a git repository; --branch needs one"
    assert publish(steps_v1(), project, author="nobody", **args) == 2
    assert echo[-1] == "error: --author 'nobody': expected 'Name <email@example.com>'"
    assert publish(steps_v1(), project, author=None, **{**args, "base": "nope"}) == 2
    assert echo[-1] == "error: --base nope: no such branch or commit (also not origin/nope)"


# -- hostile servers (issue 15): redirects, stalls, HTML, echoed headers, odd JSON --------------------
@pytest.fixture()
def other_host() -> Iterator[tuple[str, State]]:
    """A second fake server, reached by another host name (``localhost`` instead of ``127.0.0.1``)."""
    state = State()
    handler = type("OtherHandler", (Handler,), {"state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://localhost:{httpd.server_address[1]}", state
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("make", [github, gitlab], ids=["github", "gitlab"])
def test_a_redirect_to_another_host_never_carries_the_token(server: tuple[str, State],
                                                            other_host: tuple[str, State], make: Any) -> None:
    url, st = server
    st.redirect_to = other_host[0]
    with pytest.raises(fg.ForgeError, match="redirected GET to another host") as info:
        make(url).ensure("seenfix/p0", "main", "T", "B", ())
    assert TOKEN not in str(info.value)
    assert other_host[1].requests == []  # not even asked


def test_a_redirect_to_another_port_is_refused_too(server: tuple[str, State]) -> None:
    url, st = server
    target = State()
    handler = type("SameHandler", (Handler,), {"state": target})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        st.redirect_to = f"http://127.0.0.1:{httpd.server_address[1]}"  # same host, another port: refused
        with pytest.raises(fg.ForgeError, match="another host"):
            github(url).ensure("seenfix/p0", "main", "T", "B", ())
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_stalling_server_is_bounded_as_a_whole(server: tuple[str, State], monkeypatch: pytest.MonkeyPatch) -> None:
    """One byte every 0.2 s keeps every single read under any per-read timeout; the call still ends."""
    url, st = server
    st.stall = 0.2
    monkeypatch.setattr(fg, "TIMEOUT", 1.0)
    start = time.monotonic()
    try:
        with pytest.raises(fg.ForgeError, match=r"did not answer GET /repos/o/r/pulls within 1 s"):
            github(url).ensure("seenfix/p0", "main", "T", "B", ())
        assert time.monotonic() - start < 10  # the whole answer would take 0.2 s x 700 bytes
    finally:  # end the drip, so that no thread outlives the test (forking needs a single thread)
        st.stopped.set()
        for thread in threading.enumerate():
            if thread.name == "seenfix-forge":
                thread.join(10)
    assert not [t for t in threading.enumerate() if t.name == "seenfix-forge"]


@pytest.mark.parametrize("make", [github, gitlab], ids=["github", "gitlab"])
def test_an_html_answer_is_one_line(server: tuple[str, State], make: Any) -> None:
    url, st = server
    st.html = True
    with pytest.raises(fg.ForgeError, match=r"answered HTTP 200 with something that is not JSON \(text/html\)"):
        make(url).ensure("seenfix/p0", "main", "T", "B", ())


@pytest.mark.parametrize("shape", [{"unexpected": True}, [1, 2], [{"head": "x"}], "a string", 42],
                         ids=["object", "list", "list-of-odd", "string", "number"])
def test_json_of_an_unexpected_shape_is_one_line(server: tuple[str, State], shape: Any) -> None:
    url, st = server
    st.shape = shape
    with pytest.raises(fg.ForgeError):
        github(url).ensure("seenfix/p0", "main", "T", "B", ())
    with pytest.raises(fg.ForgeError):
        gitlab(url).ensure("seenfix/p0", "main", "T", "B", ())


@pytest.mark.parametrize("make", [github, gitlab], ids=["github", "gitlab"])
def test_an_error_body_echoing_the_token_is_redacted(server: tuple[str, State], make: Any) -> None:
    url, st = server
    st.echo_headers = 400
    with pytest.raises(fg.ForgeError, match="failed with HTTP 400") as info:
        make(url).ensure("seenfix/p0", "main", "T", "B", ())
    assert "you sent" in str(info.value) and TOKEN not in str(info.value)


def test_cli_pr_with_an_html_answer_names_the_pushed_branch(project: Path, github_env: State) -> None:
    import subprocess

    from conftest import run_cli

    github_env.html = True
    (project / "README.md").write_text("hello  \nworld\n")
    subprocess.run(["git", "-C", str(project), "add", "README.md"], check=True)
    subprocess.run(["git", "-C", str(project), "-c", "user.name=T", "-c", "user.email=t@example.com",
                    "commit", "-qm", "readme"], check=True)
    subprocess.run(["git", "-C", str(project), "push", "-q", "origin", "main"], check=True)
    proc = run_cli("apply", "--select", "SF901", "--pr", "--author", "Bot <bot@example.com>", str(project),
                   plugins=True)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "not JSON (text/html)" in proc.stderr
    assert "the branch seenfix/sf901 is on origin (" in proc.stderr  # --select alone: its own branch


# -- the request's lifecycle: close when fixed, a new one when findings return --------------------
@pytest.fixture()
def gitlab_env(server: tuple[str, State], monkeypatch: pytest.MonkeyPatch) -> State:
    url, st = server
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setenv("CI_API_V4_URL", url)
    monkeypatch.setenv("CI_PROJECT_ID", "g/p")
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    return st


def _remote_heads(project: Path) -> str:
    import subprocess

    return subprocess.run(["git", "-C", str(project), "ls-remote", "--heads", "origin"], capture_output=True,
                          text=True, check=True).stdout


@pytest.mark.parametrize("forge_name", ["github", "gitlab"])
def test_close_when_fixed_then_a_new_request_when_findings_return(
        forge_name: str, project: Path, request: pytest.FixtureRequest) -> None:
    st: State = request.getfixturevalue(f"{forge_name}_env")
    kind, mark = ("pull request", "#") if forge_name == "github" else ("merge request", "!")
    echo: list[str] = []
    assert run_publish(project, echo) == 0
    assert "seenfix/quick-wins" in _remote_heads(project)
    # The base now holds every fix (merged by hand, say): nothing left to commit.
    echo.clear()
    assert run_publish(project, echo, steps=[]) == 0
    assert echo[0] == "seenfix/quick-wins: nothing to commit on main: the base holds every fix"
    assert echo[1].startswith(f"{kind} {mark}1 closed: ")
    assert echo[2] == "origin/seenfix/quick-wins deleted"
    first = st.pulls[0]
    assert first["state"] in ("closed",) and len(first["comments"]) == 1
    assert first["comments"][0].startswith("seenfix found nothing left to fix in the **quick-wins** set on `main`")
    assert "deleting the branch `seenfix/quick-wins`" in first["comments"][0]
    assert "seenfix/quick-wins" not in _remote_heads(project)
    # Again: nothing open, no branch: nothing to do, no request touched.
    st.requests.clear()
    echo.clear()
    assert run_publish(project, echo, steps=[]) == 0
    assert echo == ["seenfix/quick-wins: nothing to commit on main: the base holds every fix"]
    assert [c.split()[0] for c in st.calls()] == ["GET"]
    # Findings come back: the branch is pushed again and a new request opened.
    echo.clear()
    assert run_publish(project, echo, steps=leaky_steps()[:2]) == 0
    assert echo[1] == f"{kind} {mark}2 created: " + st.pulls[1]["html_url" if forge_name == "github" else "web_url"]
    assert "seenfix/quick-wins" in _remote_heads(project)
    assert st.pulls[0]["state"] == "closed" and st.pulls[1]["state"] in ("open", "opened")


def test_an_incomplete_run_never_closes_the_request(project: Path, github_env: State) -> None:
    assert run_publish(project, []) == 0
    echo: list[str] = []
    code = publish([], project, set_name="quick-wins", pr=True, base=None, branch=None, author=None,
                   token_env=None, labels=LABELS, remote="origin", echo=echo.append, redact=lambda s: s,
                   close_when_fixed=False)
    assert code == 0 and echo == ["seenfix/quick-wins: nothing to commit on main; branch not changed "
                                  "(the run was incomplete)"]
    assert github_env.pulls[0]["state"] == "open" and "seenfix/quick-wins" in _remote_heads(project)


def test_local_branch_is_deleted_when_the_base_holds_every_fix(project: Path) -> None:
    import subprocess

    args: dict[str, Any] = dict(set_name="p1", pr=False, base=None, branch=None, author=None, token_env=None,
                                labels=(), remote="origin", redact=lambda s: s)
    assert publish(steps_v1()[:1], project, echo=[].append, **args) == 0
    echo: list[str] = []
    assert publish([], project, echo=echo.append, **args) == 0
    assert echo == ["seenfix/p1: nothing to commit on main: the base holds every fix", "branch seenfix/p1 deleted"]
    assert subprocess.run(["git", "-C", str(project), "rev-parse", "-q", "--verify", "refs/heads/seenfix/p1"],
                          capture_output=True).returncode == 1


def test_a_second_person_triggering_the_gitlab_pipeline_updates_the_same_request(
        project: Path, gitlab_env: State, monkeypatch: pytest.MonkeyPatch) -> None:
    """GitLab CI commits as the user who started the pipeline (GITLAB_USER_*): the second user's run
    recognises the first one's commits by their trailer and updates the branch and request."""
    args: dict[str, Any] = dict(set_name="quick-wins", pr=True, base=None, branch=None, author=None,
                                token_env=None, labels=LABELS, remote="origin", redact=lambda s: s)
    monkeypatch.setenv("GITLAB_USER_NAME", "Alice")
    monkeypatch.setenv("GITLAB_USER_EMAIL", "alice@example.com")
    import subprocess

    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")  # no user.name/user.email but GitLab's
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key in ("user.name", "user.email"):
        subprocess.run(["git", "-C", str(project), "config", "--unset", key], check=False)
    assert publish(steps_v1(), project, echo=[].append, **args) == 0
    monkeypatch.setenv("GITLAB_USER_NAME", "Bob")
    monkeypatch.setenv("GITLAB_USER_EMAIL", "bob@example.com")
    echo: list[str] = []
    assert publish(steps_v1(), project, echo=echo.append, **args) == 0
    assert echo[0] == "origin/seenfix/quick-wins: already up to date (4 commits on main), nothing pushed"
    assert publish(steps_v1()[:2], project, echo=echo.append, **args) == 0
    assert echo[2].startswith("origin/seenfix/quick-wins: pushed 2 commits on main (")
    assert echo[3] == "merge request !1 updated: https://gitlab.example/g/p/-/merge_requests/1"
    authors = subprocess.run(["git", "-C", str(project), "log", "--format=%ae", "origin/seenfix/quick-wins",
                              "^origin/main"], capture_output=True, text=True, check=True).stdout.split()
    assert authors == ["bob@example.com", "bob@example.com"] and len(gitlab_env.pulls) == 1
