"""Run ``nginx -t`` (and a live nginx) on a config file that was not written for this machine.

The harness of ../shared/corpus/nginx/README.md: full configs run as they are, ``http``-context
files are wrapped in ``events {} http { include mime.types; ... }`` and ``server``-context files in
a ``server { }`` inside that.  Debian's support files (``mime.types``, ``fastcgi_params``...) are
copied next to the generated config, and the same tweaks are applied to every file, original or
fixed: ``pid``/``user``/``daemon`` and uninstalled ``load_module`` are dropped, missing includes become
empty stubs, ``listen ... ssl`` gets a dummy certificate, unresolvable upstream/resolver hosts point
at 127.0.0.1, log/cache/temp paths move under the prefix, undefined variables are ``map``ped to an
empty string and envsubst ``${VAR}`` gets sample values.  Tweaks that depend on nginx's answer
(unknown hosts and variables) are applied in a loop on its error messages.

The dummy certificate is made with the ``openssl`` CLI when it exists, else with ``cryptography``.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from conftest import free_port
from seenfix.editors import nginx
from seenfix.editors.text import apply_edits

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
SUPPORT = ("mime.types", "fastcgi_params", "fastcgi.conf", "proxy_params", "scgi_params",
           "uwsgi_params", "koi-utf", "koi-win", "win-utf")
PATH_DIRECTIVES = {"access_log", "error_log", "proxy_cache_path", "fastcgi_cache_path", "uwsgi_cache_path",
                   "scgi_cache_path", "client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path",
                   "uwsgi_temp_path", "scgi_temp_path", "ssl_session_ticket_key"}
CERT_DIRECTIVES = {"ssl_certificate": "dummy.crt", "ssl_certificate_key": "dummy.key",
                   "ssl_trusted_certificate": "dummy.crt", "ssl_client_certificate": "dummy.crt"}
DROP = {"pid", "user", "daemon", "ssl_dhparam", "ssl_stapling_file", "lock_file"}


@dataclass
class Result:
    ok: bool
    error: str = ""
    tweaks: list[str] = field(default_factory=list)


_CERT: tuple[Path, Path, str] | None = None


def dummy_cert() -> tuple[Path, Path, str]:
    """A throw-away self-signed certificate, its key, and the tool that made them."""
    global _CERT
    if _CERT is None:
        where = Path(tempfile.mkdtemp(prefix="seenfix-cert-"))
        crt, key = where / "dummy.crt", where / "dummy.key"
        if shutil.which("openssl"):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                            "-out", str(crt), "-days", "2", "-subj", "/CN=localhost"],
                           check=True, capture_output=True)
            tool = "openssl CLI"
        else:
            tool = _cert_with_cryptography(crt, key)
        _CERT = (crt, key, tool)
    return _CERT


def _cert_with_cryptography(crt: Path, key: Path) -> str:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    pk = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(pk.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=2)).sign(pk, hashes.SHA256()))
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(pk.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                     serialization.NoEncryption()))
    return "python cryptography"


def _envsubst(text: str) -> str:
    def sample(m: re.Match[str]) -> str:
        name = m.group(1).upper()
        return "8080" if "PORT" in name else "localhost"
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", sample, text)


def wrap(text: str, context: str) -> str:
    if context == "main":
        return text
    body = text if context == "http" else f"server {{\n{text}\n}}\n"
    return f"events {{}}\nhttp {{\ninclude mime.types;\n{body}\n}}\n"


def prepare(text: str, context: str, prefix: Path) -> tuple[str, list[str]]:
    """The config text that goes to ``prefix/nginx.conf``, and the tweaks applied."""
    prefix.mkdir(parents=True, exist_ok=True)
    for name in SUPPORT:
        src = Path("/etc/nginx") / name
        if src.exists() and not (prefix / name).exists():
            shutil.copy(src, prefix / name)
    (prefix / "logs").mkdir(exist_ok=True)
    (prefix / "stubs").mkdir(exist_ok=True)
    crt, key, _ = dummy_cert()
    tweaks: list[str] = []
    if "${" in text:
        text, tweaks = _envsubst(text), tweaks + ["envsubst sample values"]
    text = wrap(text, context)
    if context != "main":
        tweaks.append(f"wrap in {context} context")
    cfg = nginx.parse(text, "harness")
    edits: list[nginx.Edit] = []
    stub = 0
    for node in cfg.walk():
        args = node.args
        if node.name in DROP or node.name == "load_module" and not _module_exists(args):
            edits.append((node.start, node.end, ""))
            tweaks.append(f"drop {node.name}")
        elif node.name in ("stream", "mail") and node.is_block and node.parent is cfg.root and not _has_module(node.name):
            edits.append((node.start, node.end, ""))
            tweaks.append(f"drop {node.name} block (module not installed)")
        elif node.name == "load_module" and args and not Path(args[0].value).is_absolute():
            edits.append((args[0].start, args[0].end, str(Path("/usr/lib/nginx") / args[0].value)))
        elif node.name == "include" and args:
            target = args[0].value
            local = Path(target).name if Path(target).name in SUPPORT else None
            if local is None:
                stub += 1
                local = f"stubs/{stub}.conf"
                (prefix / local).write_text("")
                tweaks.append("missing include -> empty stub")
            edits.append((args[0].start, args[0].end, local))
        elif node.name in CERT_DIRECTIVES and args:
            edits.append((args[0].start, args[0].end, str(crt if CERT_DIRECTIVES[node.name] == "dummy.crt" else key)))
            tweaks.append("dummy cert")
        elif node.name in PATH_DIRECTIVES and args and args[0].value not in ("off", "stderr") \
                and not args[0].value.startswith(("syslog:", "memory:")):
            stub += 1
            edits.append((args[0].start, args[0].end, f"logs/{stub}.path"))
            tweaks.append("log/cache paths -> prefix")
        elif node.name == "server" and node.is_block and nginx.listens_tls(node) and not node.find("ssl_certificate"):
            edits.append((node.open + 1, node.open + 1, f" ssl_certificate {crt}; ssl_certificate_key {key};"))
            tweaks.append("inject dummy cert for listen ssl")
        elif node.name == "resolver" and args:
            edits.append((node.start, node.end, "resolver 127.0.0.1;"))
            tweaks.append("resolver -> 127.0.0.1")
    return apply_edits(text, edits), sorted(set(tweaks))


def _has_module(name: str) -> bool:
    """Whether this nginx can run a ``stream``/``mail`` block (built in, or a dynamic module)."""
    assert NGINX is not None
    built = subprocess.run([NGINX, "-V"], capture_output=True, text=True).stderr
    return f"--with-{name} " in built + " " or Path(f"/usr/lib/nginx/modules/ngx_{name}_module.so").exists()


def _module_exists(args: list[nginx.Token]) -> bool:
    return bool(args) and (Path("/usr/lib/nginx") / args[0].value).exists() or \
        bool(args) and Path(args[0].value).exists()


def nginx_t(text: str, context: str, workdir: Path | None = None) -> Result:
    """``nginx -t`` on ``text`` under the harness."""
    prefix = Path(workdir or tempfile.mkdtemp(prefix="seenfix-nginx-t-"))
    try:
        conf, tweaks = prepare(text, context, prefix)
    except Exception as exc:  # the harness itself cannot parse it
        return Result(False, f"harness: {exc}")
    return _settle(conf, tweaks, prefix)[0]


def _settle(conf: str, tweaks: list[str], prefix: Path) -> tuple[Result, str]:
    """Run ``nginx -t`` on ``conf``, applying the error-driven tweaks until it passes or cannot."""
    assert NGINX is not None
    for _ in range(12):
        (prefix / "nginx.conf").write_text(conf)
        proc = subprocess.run([NGINX, "-t", "-q", "-p", f"{prefix}/", "-c", f"{prefix}/nginx.conf",
                               "-g", f"pid {prefix}/nginx.pid; error_log stderr;"],
                              capture_output=True, text=True, timeout=30)
        err = proc.stderr.strip()
        if proc.returncode == 0:
            return Result(True, "", tweaks), conf
        fixed = _fix_from_error(conf, err)
        if fixed is None:
            return Result(False, err.splitlines()[0] if err else "nginx -t failed", tweaks), conf
        conf, tweak = fixed
        tweaks = sorted(set(tweaks) | {tweak})
    return Result(False, "too many harness retries", tweaks), conf


@dataclass(frozen=True)
class Served:
    """One HTTP server of a running config: its block, the port it listens on, whether it is TLS."""

    server: nginx.Node
    port: int
    tls: bool


def _own_ports(text: str) -> tuple[str, list[Served]]:
    """Each HTTP server listens on one free port of 127.0.0.1 (plus ``ssl`` if it had it), only."""
    cfg = nginx.parse(text, "live.conf")
    edits: list[nginx.Edit] = []
    served: list[Served] = []
    for server in nginx.http_servers(cfg):
        port, tls = free_port(), nginx.listens_tls(server)
        listen = f"127.0.0.1:{port}{' ssl' if tls else ''}"
        listens = server.find("listen")
        for i, node in enumerate(listens):
            edits.append((node.args[0].start, node.args[-1].end, listen) if i == 0 else (node.start, node.end, ""))
        if not listens:
            edits.append((server.open + 1, server.open + 1, f" listen {listen};"))
        served.append(Served(server, port, tls))
    return apply_edits(text, edits), served


@contextlib.contextmanager
def serve(text: str, context: str, prefix: Path) -> Iterator[list[Served]]:
    """Run ``text`` under the harness as a live nginx on 127.0.0.1 (``daemon off; master_process
    off;``, prefix ``prefix``), each HTTP server on its own free port; nginx is always stopped."""
    assert NGINX is not None
    text, served = _own_ports(text)
    conf, tweaks = prepare(text, context, prefix)
    result, conf = _settle(conf, tweaks, prefix)
    if not result.ok:
        raise RuntimeError(f"nginx -t fails under the harness: {result.error}")
    with running(conf, prefix, [item.port for item in served]):
        yield served


@contextlib.contextmanager
def running(conf: str, prefix: Path, ports: list[int]) -> Iterator[None]:
    """Run the settled config ``conf`` as a live nginx in the foreground (prefix ``prefix``) until
    every one of ``ports`` accepts connections on 127.0.0.1; nginx is always stopped."""
    assert NGINX is not None
    conf = (f"daemon off;\nmaster_process off;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
            + conf)
    (prefix / "nginx.conf").write_text(conf)
    proc = subprocess.Popen([NGINX, "-p", f"{prefix}/", "-c", f"{prefix}/nginx.conf"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        for port in ports:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        log = prefix / "error.log"
                        raise RuntimeError(f"nginx did not start: {log.read_text() if log.exists() else ''}")
                    time.sleep(0.05)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def get(port: int, path: str, tls: bool = False, host: str | None = None) -> http.client.HTTPResponse:
    """One GET on 127.0.0.1 (TLS without certificate checks); the body is read and dropped."""
    conn: http.client.HTTPConnection = (
        http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=ssl._create_unverified_context())
        if tls else http.client.HTTPConnection("127.0.0.1", port, timeout=10))
    conn.request("GET", path, headers={"Host": host} if host else {})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


def _fix_from_error(conf: str, err: str) -> tuple[str, str] | None:
    m = re.search(r'host not found in upstream "([^"]+)"', err) or re.search(r'host not found in resolver "([^"]+)"', err)
    if m:
        hostport = m.group(1)
        host = hostport.split(":")[0]
        if host in ("127.0.0.1", ""):
            return None
        new = re.sub(rf"(?<![\w.-]){re.escape(host)}(?![\w.-])(?!:\d)", "127.0.0.1:9000" if ":" not in hostport
                     and "fastcgi" in err + conf else "127.0.0.1", conf)
        new = re.sub(rf"(?<![\w.-]){re.escape(host)}(?=:\d)", "127.0.0.1", new)
        return (new, "unresolvable upstream host -> 127.0.0.1") if new != conf else None
    m = re.search(r'no port in upstream "([^"]+)"', err)
    if m:
        new = re.sub(rf"(?<![\w.-]){re.escape(m.group(1))}(?![\w.-])", "127.0.0.1:9000", conf)
        return (new, "unresolvable upstream host -> 127.0.0.1") if new != conf else None
    m = re.search(r'unknown "([A-Za-z0-9_]+)" variable', err)
    if m:
        var = m.group(1)
        i = conf.find("http {")
        if i == -1:
            i = conf.find("http{")
        if i == -1:
            return None
        j = conf.index("{", i) + 1
        return conf[:j] + f'\nmap $host ${var} {{ default ""; }}\n' + conf[j:], "define undefined variables via map"
    return None
