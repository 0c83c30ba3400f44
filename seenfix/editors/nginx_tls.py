"""Turn a plain-HTTP nginx ``server`` into a TLS server with certbot certificates, in place.

Edits, all at offsets of :mod:`seenfix.editors.nginx`'s tokens (nothing is re-serialised):

- every plain ``listen [addr:]PORT ...`` of the server becomes ``listen [addr:]443 ssl http2 ...``
  (``listen ... http2`` works on every nginx since 1.9.5; 1.25.1 and later warn that ``http2 on;``
  is the new spelling);
- the certificate of certbot's lineage and Mozilla's "intermediate" settings go after the server's
  last ``listen``/``server_name``;
- a new server before it keeps the old listeners: it answers Let's Encrypt's HTTP-01 challenge from
  certbot's webroot and redirects everything else to ``https://`` with a 301.
"""

from __future__ import annotations

import re

from seenfix.editors import nginx

WEBROOT = "/var/www/certbot"
ACME = "/.well-known/acme-challenge/"
#: Mozilla Server Side TLS, "intermediate" (TLS 1.2 and 1.3; its ECDHE suites: the DHE ones need an
#: ``ssl_dhparam`` file and add nothing a client of the last ten years lacks).
CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
           "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")
_PORT = re.compile(r"^(?P<addr>.*:)?(?P<port>\d+)$")


def plain_ports(server: nginx.Node) -> list[int]:
    """The ports the server's ``listen`` directives name (80 for a bare address), or [] when one of
    them is not a plain ``[addr:]port`` (a unix socket, a variable...)."""
    out = []
    for d in server.find("listen"):
        m = _PORT.match(d.args[0].value) if d.args else None
        if m is None:
            return []
        out.append(int(m.group("port")))
    return out


def to_tls(cfg: nginx.Config, server: nginx.Node, cert_name: str) -> list[nginx.Edit]:
    """The edits making ``server`` a TLS server with a redirecting plain server before it."""
    nl, unit = cfg.newline, cfg.indent_unit()
    text = cfg.text
    edits: list[nginx.Edit] = []
    listens = server.find("listen")
    for d in listens:
        first = d.args[0]
        m = _PORT.match(first.value)
        assert m is not None
        edits.append((first.start, first.end, f"{m.group('addr') or ''}443 ssl http2"))
    live = f"/etc/letsencrypt/live/{cert_name}"
    tls = [
        "# TLS with certbot's certificate and Mozilla's \"intermediate\" settings (seenfix SF002)",
        f"ssl_certificate {live}/fullchain.pem;",
        f"ssl_certificate_key {live}/privkey.pem;",
        "ssl_protocols TLSv1.2 TLSv1.3;",
        "ssl_ecdh_curve X25519:prime256v1:secp384r1;",
        f"ssl_ciphers {CIPHERS};",
        "ssl_prefer_server_ciphers off;",
        "ssl_session_timeout 1d;",
        "ssl_session_cache shared:MozSSL:10m;",
        "ssl_session_tickets off;",
    ]
    anchor = max(listens + server.find("server_name"), key=lambda d: d.end)
    edits.append(cfg.insert_lines(server, anchor, tls))
    indent = cfg.indent_at(server.start)
    inner, deeper = indent + unit, indent + unit + unit
    copied = [text[d.start:d.end] for d in listens + server.find("server_name")]
    redirect = [f"{indent}server {{", *(inner + c for c in copied), "",
                f"{inner}# Let's Encrypt's HTTP-01 challenge (certbot --webroot), then HTTPS (seenfix SF002)",
                f"{inner}location {ACME} {{", f"{deeper}root {WEBROOT};", f"{inner}}}", "",
                f"{inner}location / {{", f"{deeper}return 301 https://$host$request_uri;", f"{inner}}}",
                f"{indent}}}", "", ""]
    if not cfg.starts_line(server.start):
        return []
    at = cfg.line_start(server.start)
    edits.append((at, at, nl.join(redirect)))
    return edits
