"""Opening or updating the pull request (GitHub REST) or merge request (GitLab v4), with urllib only.

Both follow Renovate's find-then-update logic: look for an open request from the fix branch; if there
is one, update its title and body (only when they differ); otherwise create one, and when creating
races with another run (GitHub 422 "A pull request already exists", GitLab 409) fall back to the
update.  Every failure is a :class:`ForgeError` with one line for the user.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_LABELS: tuple[str, ...] = ("seenfix", "security")
#: seconds one API call may take as a whole (connect, send, headers, body), however slowly the
#: server drips its answer
TIMEOUT = 30.0
#: the most of an answer that is read (an API reply is a few kilobytes)
MAX_REPLY = 16 << 20


class ForgeError(Exception):
    """One line saying what went wrong talking to the forge."""


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str
    action: str  # "created", "updated", "unchanged" or "closed"


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    data: Any


class Api:
    """JSON over HTTP with one-line errors."""

    def __init__(self, root: str, headers: Mapping[str, str], name: str, token_var: str) -> None:
        self.root = root.rstrip("/")
        self.headers = {"Accept": "application/json", "User-Agent": "seenfix", **headers}
        self.name = name
        self.token_var = token_var

    def call(self, method: str, path: str, body: Any = None, *, ok: Sequence[int] = ()) -> Response:
        """Send one request; statuses in ``ok`` are returned, other errors raise :class:`ForgeError`.

        The call as a whole is bounded by ``TIMEOUT`` (not each read); redirects are followed only
        to the same scheme, host and port (the token is never sent anywhere else); every message
        is redacted of the token, since a server may echo it."""
        try:
            return self._bounded(method, path, body, ok)
        except ForgeError as exc:
            raise ForgeError(self.redact(str(exc))) from None

    def redact(self, text: str) -> str:
        for secret in self._secrets():
            text = text.replace(secret, "***")
        return text

    def _secrets(self) -> list[str]:
        out = []
        for key, value in self.headers.items():
            if key.lower() in ("authorization", "private-token", "job-token") and value:
                out.append(value)
                out.extend(part for part in value.split() if len(part) >= 8)
        return sorted(set(out), key=len, reverse=True)

    def _bounded(self, method: str, path: str, body: Any, ok: Sequence[int]) -> Response:
        import queue
        import threading

        answer: queue.Queue[tuple[Response | None, BaseException | None]] = queue.Queue(maxsize=1)

        def call() -> None:
            try:
                answer.put((self._call(method, path, body, ok), None))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                answer.put((None, exc))

        # a daemon thread: one stuck in a read of a stalling server does not keep seenfix alive
        threading.Thread(target=call, name="seenfix-forge", daemon=True).start()
        try:
            resp, error = answer.get(timeout=TIMEOUT)
        except queue.Empty:
            raise ForgeError(f"the {self.name} API at {self.root} did not answer {method} "
                             f"{path.split('?', 1)[0]} within {TIMEOUT:g} s") from None
        if error is not None:
            raise error
        assert resp is not None
        return resp

    def _call(self, method: str, path: str, body: Any, ok: Sequence[int]) -> Response:
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = dict(self.headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.root + path, data=data, method=method, headers=headers)
        opener = urllib.request.build_opener(_SameOriginRedirects(self.root, self.name))
        try:
            with opener.open(req, timeout=TIMEOUT) as resp:
                raw = resp.read(MAX_REPLY)
                payload = _json(raw)
                if raw.strip() and payload is None and raw.strip() != b"null":
                    kind = resp.headers.get("Content-Type", "").split(";")[0] or "no content type"
                    raise ForgeError(f"{method} {path.split('?', 1)[0]}: the {self.name} API answered "
                                     f"HTTP {resp.status} with something that is not JSON ({kind})")
                return Response(resp.status, dict(resp.headers), payload)
        except urllib.error.HTTPError as exc:
            payload = _json(exc.read(MAX_REPLY))
            if exc.code in ok:
                return Response(exc.code, dict(exc.headers), payload)
            raise ForgeError(self._explain(exc.code, dict(exc.headers), payload, method, path)) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            reason = getattr(exc, "reason", None) or str(exc) or exc.__class__.__name__
            raise ForgeError(f"cannot reach the {self.name} API at {self.root}: {reason}") from None

    def _explain(self, status: int, headers: Mapping[str, str], payload: Any, method: str, path: str) -> str:
        h = {k.lower(): v for k, v in headers.items()}
        what = f"{method} {path.split('?', 1)[0]}"
        if status == 429 or (status == 403 and (h.get("x-ratelimit-remaining") == "0" or "retry-after" in h)):
            return f"rate limited by the {self.name} API ({what}); {_retry_hint(h)}"
        if status == 401:
            return (f"{self.name} rejected the token in ${self.token_var} (401 Unauthorized): "
                    f"it is missing, expired or revoked")
        if status == 403:
            return (f"the token in ${self.token_var} may not do {what} (403 Forbidden): "
                    f"{_message(payload) or 'it needs write access to pull/merge requests'}")
        if status == 404:
            return (f"{what}: not found (404): check the repository/project name, or the token in "
                    f"${self.token_var} cannot see it")
        return f"{what} failed with HTTP {status}: {_message(payload) or 'no detail given'}"


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the API's own scheme, host and port: urllib would re-send the
    ``Authorization``/``PRIVATE-TOKEN`` header to wherever a server points."""

    def __init__(self, root: str, name: str) -> None:
        self.origin = _origin(root)
        self.name = name

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        if _origin(newurl) != self.origin:
            where = urllib.parse.urlsplit(newurl)
            raise ForgeError(f"the {self.name} API redirected {req.get_method()} to another host "
                             f"({where.scheme}://{where.hostname}); seenfix sends the token only to "
                             f"{self.origin[0]}://{self.origin[1]} (set the API URL to the right host)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _message(payload: Any) -> str:
    """The error text of a GitHub (``message`` + ``errors``) or GitLab (``message``/``error``) reply."""
    if not isinstance(payload, dict):
        return ""
    parts: list[str] = []
    for key in ("message", "error"):
        value = payload.get(key)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts.extend(str(v) for v in value)
        elif isinstance(value, dict):
            parts.extend(f"{k} {v}" for k, v in value.items())
    for err in payload.get("errors", []) or []:
        parts.append(str(err.get("message", err)) if isinstance(err, dict) else str(err))
    return "; ".join(p for p in parts if p)


def _retry_hint(h: Mapping[str, str]) -> str:
    if h.get("retry-after", "").isdigit():
        return f"retry in {h['retry-after']} s"
    reset = h.get("x-ratelimit-reset") or h.get("ratelimit-reset")
    if reset and reset.isdigit():
        return "retry after " + time.strftime("%H:%M UTC", time.gmtime(int(reset)))
    return "retry later"


class _Forge:
    """Renovate's find-then-update: the part GitHub and GitLab share."""

    name = ""
    kind = ""
    #: Statuses of the create call that may mean "another run created it meanwhile".
    race_statuses: tuple[int, ...] = ()
    api: Api

    def ensure(self, head: str, base: str | None, title: str, body: str, labels: Sequence[str]) -> PullRequest:
        """Open the request for ``head``, or update the open one; a reply of an unexpected shape (a
        proxy's JSON, a list where an object belongs) is a :class:`ForgeError`, not a traceback."""
        try:
            return self._ensure(head, base, title, body, labels)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise ForgeError(f"the {self.name} API answered in a shape seenfix does not know "
                             f"({type(exc).__name__} reading its reply)") from None

    def _ensure(self, head: str, base: str | None, title: str, body: str, labels: Sequence[str]) -> PullRequest:
        raise NotImplementedError

    def _find(self, head: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def _create(self, head: str, base: str, title: str, body: str, labels: Sequence[str]) -> Response:
        raise NotImplementedError

    def _default_branch(self) -> str:
        raise NotImplementedError

    def _comment_and_close(self, found: dict[str, Any], comment: str) -> PullRequest:
        raise NotImplementedError

    def close(self, head: str, comment: str) -> PullRequest | None:
        """Close the open request from ``head`` with ``comment`` saying why; ``None`` if none is open."""
        found = self._find(head)
        if found is None:
            return None
        return self._comment_and_close(found, comment)

    def _find_or_create(self, head: str, base: str | None, title: str, body: str,
                        labels: Sequence[str]) -> tuple[dict[str, Any], str]:
        """The open request for ``head`` and ``"updated"`` (to be updated), or a new one and ``"created"``."""
        found = self._find(head)
        if found is not None:
            return found, "updated"
        resp = self._create(head, base or self._default_branch(), title, body, labels)
        if resp.status not in self.race_statuses:
            return resp.data, "created"
        detail = _message(resp.data)
        if resp.status == 422 and "already exists" not in detail:
            raise ForgeError(f"creating the {self.kind} failed (422): {detail}")
        found = self._find(head)  # another run created it between our list and our create
        if found is None:
            raise ForgeError(f"{self.name} says a {self.kind} for {head} exists but lists none open")
        return found, "updated"


class GitHub(_Forge):
    """Pull requests through the GitHub REST API (github.com or GitHub Enterprise)."""

    name = "GitHub"
    kind = "pull request"
    race_statuses = (422,)

    def __init__(self, api_url: str, repository: str, token: str, token_var: str) -> None:
        self.repository = repository
        self.owner = repository.split("/", 1)[0]
        self.api = Api(api_url, {"Accept": "application/vnd.github+json",
                                 "Authorization": f"Bearer {token}",
                                 "X-GitHub-Api-Version": "2022-11-28"}, "GitHub", token_var)

    def _find(self, head: str) -> dict[str, Any] | None:
        query = urllib.parse.urlencode({"state": "open", "head": f"{self.owner}:{head}", "per_page": "100"})
        found = self.api.call("GET", f"/repos/{self.repository}/pulls?{query}").data or []
        return next((p for p in found if isinstance(p, dict) and p.get("head", {}).get("ref") == head), None)

    def _create(self, head: str, base: str, title: str, body: str, labels: Sequence[str]) -> Response:
        return self.api.call("POST", f"/repos/{self.repository}/pulls",
                             {"title": title, "head": head, "base": base, "body": body,
                              "maintainer_can_modify": True}, ok=self.race_statuses)

    def _ensure(self, head: str, base: str | None, title: str, body: str, labels: Sequence[str]) -> PullRequest:
        pr, action = self._find_or_create(head, base, title, body, labels)
        number = int(pr["number"])
        if action == "updated":
            if pr.get("title") == title and (pr.get("body") or "") == body:
                action = "unchanged"
            else:
                self.api.call("PATCH", f"/repos/{self.repository}/pulls/{number}", {"title": title, "body": body})
        # labels cannot be given at creation: they are added to the pull request's issue
        have = {lab.get("name") for lab in pr.get("labels", []) or [] if isinstance(lab, dict)}
        missing = [lab for lab in labels if lab not in have]
        if missing:
            self.api.call("POST", f"/repos/{self.repository}/issues/{number}/labels", {"labels": missing})
        return PullRequest(number, str(pr.get("html_url", "")), action)

    def new_request_url(self, head: str, base: str | None) -> str | None:
        """The web page to open the pull request by hand (github.com or GitHub Enterprise)."""
        root = self.api.root
        web = "https://github.com" if root == "https://api.github.com" else root.removesuffix("/api/v3")
        if web == root:
            return None
        compare = f"{urllib.parse.quote(base)}...{urllib.parse.quote(head)}" if base else urllib.parse.quote(head)
        return f"{web}/{self.repository}/compare/{compare}?expand=1"

    def _comment_and_close(self, found: dict[str, Any], comment: str) -> PullRequest:
        number = int(found["number"])
        self.api.call("POST", f"/repos/{self.repository}/issues/{number}/comments", {"body": comment})
        self.api.call("PATCH", f"/repos/{self.repository}/pulls/{number}", {"state": "closed"})
        return PullRequest(number, str(found.get("html_url", "")), "closed")

    def _default_branch(self) -> str:
        repo = self.api.call("GET", f"/repos/{self.repository}").data or {}
        return str(repo.get("default_branch") or "main")


class GitLab(_Forge):
    """Merge requests through the GitLab v4 API."""

    name = "GitLab"
    kind = "merge request"
    race_statuses = (409, 422)  # 409 "Another open merge request already exists for this source branch"

    def __init__(self, api_url: str, project: str, token: str, token_var: str) -> None:
        self.project = urllib.parse.quote(project, safe="")
        self.api = Api(api_url, {"PRIVATE-TOKEN": token}, "GitLab", token_var)

    def _find(self, head: str) -> dict[str, Any] | None:
        query = urllib.parse.urlencode({"state": "opened", "source_branch": head})
        found = self.api.call("GET", f"/projects/{self.project}/merge_requests?{query}").data or []
        return next((m for m in found if isinstance(m, dict) and m.get("source_branch") == head), None)

    def _create(self, head: str, base: str, title: str, body: str, labels: Sequence[str]) -> Response:
        return self.api.call("POST", f"/projects/{self.project}/merge_requests",
                             {"source_branch": head, "target_branch": base, "title": title,
                              "description": body, "labels": ",".join(labels),
                              "remove_source_branch": True}, ok=self.race_statuses)

    def _ensure(self, head: str, base: str | None, title: str, body: str, labels: Sequence[str]) -> PullRequest:
        mr, action = self._find_or_create(head, base, title, body, labels)
        iid = int(mr["iid"])
        missing = [lab for lab in labels if lab not in (mr.get("labels") or [])]
        if action == "updated":
            if mr.get("title") == title and (mr.get("description") or "") == body and not missing:
                action = "unchanged"
            else:
                update: dict[str, Any] = {"title": title, "description": body}
                if missing:
                    update["add_labels"] = ",".join(missing)
                self.api.call("PUT", f"/projects/{self.project}/merge_requests/{iid}", update)
        return PullRequest(iid, str(mr.get("web_url", "")), action)

    def new_request_url(self, head: str, base: str | None) -> str | None:
        """The web page to open the merge request by hand (known in GitLab CI: ``CI_PROJECT_URL``)."""
        web = os.environ.get("CI_PROJECT_URL")
        if not web:
            return None
        query = urllib.parse.urlencode({"merge_request[source_branch]": head,
                                        **({"merge_request[target_branch]": base} if base else {})})
        return f"{web}/-/merge_requests/new?{query}"

    def _comment_and_close(self, found: dict[str, Any], comment: str) -> PullRequest:
        iid = int(found["iid"])
        self.api.call("POST", f"/projects/{self.project}/merge_requests/{iid}/notes", {"body": comment})
        self.api.call("PUT", f"/projects/{self.project}/merge_requests/{iid}", {"state_event": "close"})
        return PullRequest(iid, str(found.get("web_url", "")), "closed")

    def _default_branch(self) -> str:
        project = self.api.call("GET", f"/projects/{self.project}").data or {}
        return str(project.get("default_branch") or "main")


Forge = GitHub | GitLab


def parse_remote_url(url: str) -> tuple[str, str] | None:
    """``(host, "owner/name")`` of a remote URL (https, ssh, scp-like), or ``None``."""
    m = re.match(r"^(?:[a-z+]+://)?(?:[^@/]+@)?([^/:]+)(?::\d+)?[:/](.+?)(?:\.git)?/*$", url.strip())
    if m is None or url.startswith("file:") or "/" not in m.group(2):
        return None
    return m.group(1), m.group(2).lstrip("/")


def detect(remote_url: str | None, token_env: str | None, environ: Mapping[str, str] | None = None) -> Forge:
    """The forge to talk to, from the CI variables or the remote URL."""
    env = os.environ if environ is None else environ
    parsed = parse_remote_url(remote_url) if remote_url else None
    host = parsed[0] if parsed else ""
    gitlab = bool(env.get("CI_API_V4_URL") or env.get("GITLAB_CI")) or (
        "gitlab" in host and not env.get("GITHUB_ACTIONS"))
    if gitlab:
        var = token_env or "GITLAB_TOKEN"
        api = env.get("CI_API_V4_URL") or (f"https://{host}/api/v4" if host else "")
        project = env.get("CI_PROJECT_ID") or (parsed[1] if parsed else "")
        if not api or not project:
            raise ForgeError("cannot tell the GitLab project: set CI_API_V4_URL and CI_PROJECT_ID")
        return GitLab(api, project, _token(env, var, "GitLab", "api"), var)
    var = token_env or "GITHUB_TOKEN"
    repository = env.get("GITHUB_REPOSITORY") or (parsed[1] if parsed else "")
    if not repository or repository.count("/") != 1:
        raise ForgeError("cannot tell the GitHub repository: set GITHUB_REPOSITORY=owner/name "
                         "(or use a github.com remote)")
    api = env.get("GITHUB_API_URL") or (
        "https://api.github.com" if host in ("", "github.com") else f"https://{host}/api/v3")
    return GitHub(api, repository, _token(env, var, "GitHub", "pull-requests: write"), var)


def _token(env: Mapping[str, str], var: str, forge: str, needs: str) -> str:
    token = env.get(var, "").strip()
    if not token:
        raise ForgeError(f"no {forge} token: set ${var} (a token with {needs}), or name another "
                         f"variable with --token-env")
    return token
