"""The HTML report in a real browser: Debian's headless ``chromium`` (installed by ``.ci/run``).

The page is rendered as a user opens it (``file://``, offline): a screenshot is taken and kept as a
test artefact (pytest's tmp folder, copied to ``.artifacts/report.png``); Chromium's network log must
show no request the page made; a probe script measures that the score table is on the first screen,
laid out, not hidden and not covered.  A control page that loads an image proves the network check
can fail.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURE_SEEN, REPO, run_cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
WIDTH, HEIGHT = 1280, 1000
CSP = "default-src 'none'; style-src 'unsafe-inline'"

PROBE = """(function () {
  var t = document.getElementById('score-table');
  var r = t.getBoundingClientRect(), s = getComputedStyle(t);
  var hits = 0, points = 0;
  t.querySelectorAll('tbody tr').forEach(function (row) {
    var b = row.getBoundingClientRect();
    points += 1;
    var e = document.elementFromPoint(b.left + 20, b.top + b.height / 2);
    if (e && row.contains(e)) { hits += 1; }
  });
  var out = {width: r.width, height: r.height, top: r.top, bottom: r.bottom, left: r.left, right: r.right,
             vw: window.innerWidth, vh: window.innerHeight, display: s.display, visibility: s.visibility,
             opacity: s.opacity, rows: points, hits: hits, text: t.innerText};
  var p = document.createElement('pre');
  p.id = 'probe';
  p.textContent = JSON.stringify(out);
  document.body.appendChild(p);
})();"""


def _chromium(tmp: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         f"--user-data-dir={profile}", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-extensions", "--disable-default-apps",
         "--host-resolver-rules=MAP * ~NOTFOUND",  # strictly offline: no name resolves
         f"--window-size={WIDTH},{HEIGHT}", *args, url],
        capture_output=True, text=True, timeout=120)


def page_requests(netlog: Path) -> list[str]:
    """The URLs the page itself asked for (the browser's own background traffic is left out: those
    requests carry no ``file://`` isolation key)."""
    log = json.loads(netlog.read_text())
    types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    urls = []
    for event in log["events"]:
        params = event.get("params") or {}
        if types.get(event["type"]) != "URL_REQUEST_START_JOB" or "url" not in params:
            continue
        if "file://" in str(params.get("network_isolation_key", "")) or params.get("initiator") == "null":
            urls.append(params["url"])
    return urls


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) pixels of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    bpp = 4 if colour == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line) if bpp == 3 else bytes(x for j in range(0, stride, 4) for x in line[j:j + 3]))
        prev = line
    return width, height, rows


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report-html") / "report.html"
    proc = run_cli("report", str(FIXTURE_SEEN), "--after", "quick-wins", "--format", "html")
    assert proc.returncode == 0, proc.stderr
    out.write_text(proc.stdout, encoding="utf-8")
    return out


def test_page_is_self_contained(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<html lang="en">' in text
    assert not re.search(r"""(?:src|href|action|data)\s*=\s*["']?\s*(?:https?:)?//""", text, flags=re.I)
    assert not re.search(r"<(?:script|link|img|iframe|object|embed)\b|@import|url\(", text, flags=re.I)
    assert f'content="{CSP}"' in text
    # accessible structure: one h1, h2 sections, tables with captions and header cells
    assert text.count("<h1>") == 1 and text.count("<h2 ") >= 6
    assert text.count("<table") == text.count("<caption>") and 'scope="col"' in text and 'scope="row"' in text


def test_page_renders_offline_with_the_score_table_visible(page: Path, tmp_path: Path) -> None:
    shot, netlog = tmp_path / "report.png", tmp_path / "netlog.json"
    proc = _chromium(tmp_path, page.as_uri(), f"--screenshot={shot}", f"--log-net-log={netlog}")
    assert shot.is_file(), proc.stderr[-2000:]
    artefacts = REPO / ".artifacts"
    artefacts.mkdir(exist_ok=True)
    shutil.copyfile(shot, artefacts / "report.png")

    assert page_requests(netlog) == [], "the page made network requests"

    width, height, rows = png_pixels(shot)
    assert (width, height) == (WIDTH, HEIGHT)
    colours = {row[i:i + 3] for row in rows[::7] for i in range(0, len(row), 21)}
    assert len(colours) > 20, "the screenshot is (nearly) blank"
    # the Configuration bar after quick wins is full (100%): a long run of the "good" green (#1a7f37)
    green = bytes.fromhex("1a7f37")
    longest = max((len(m.group(0)) // 3 for row in rows
                   for m in re.finditer(b"(?:" + re.escape(green) + b")+", row)
                   if m.start() % 3 == 0), default=0)
    assert longest >= 100, f"no full score bar in the screenshot (longest green run: {longest}px)"

    # the probe: the score table is laid out, shown, on the first screen and not covered
    digest = base64.b64encode(hashlib.sha256(PROBE.encode()).digest()).decode()
    probed = page.read_text(encoding="utf-8").replace(
        f'content="{CSP}"', f"content=\"{CSP}; script-src 'sha256-{digest}'\"").replace(
        "</body>", f"<script>{PROBE}</script>\n</body>")
    probe_page = tmp_path / "probe.html"
    probe_page.write_text(probed, encoding="utf-8")
    dom = _chromium(tmp_path, probe_page.as_uri(), "--dump-dom").stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, flags=re.S)
    assert found, "the probe did not run"
    box: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    assert box["width"] > 600 and box["height"] > 200
    assert 0 <= box["top"] and box["bottom"] <= box["vh"] and 0 <= box["left"] and box["right"] <= box["vw"]
    assert (box["display"], box["visibility"], box["opacity"]) == ("table", "visible", "1")
    assert box["rows"] == 8 and box["hits"] == 8, box
    for word in ("Security", "Configuration", "100%", "Needs Work", "Critical"):
        assert word in box["text"]


def test_the_network_check_sees_a_page_request(tmp_path: Path) -> None:
    control = tmp_path / "control.html"
    control.write_text('<!DOCTYPE html><html lang="en"><title>control</title>'
                       '<img src="http://198.51.100.7/x.png" alt="">'
                       '<link rel="stylesheet" href="https://example.invalid/a.css"></html>')
    netlog = tmp_path / "control-netlog.json"
    _chromium(tmp_path, control.as_uri(), f"--screenshot={tmp_path / 'control.png'}", f"--log-net-log={netlog}")
    assert sorted(page_requests(netlog)) == ["http://198.51.100.7/x.png", "https://example.invalid/a.css"]
