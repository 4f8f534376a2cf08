"""`archsearch dashboard DIR`: a small local web server (stdlib) over a folder of runs.

Routes: `/` (index), `/runs/<id>/` (the run's dashboard, regenerated whenever its tables changed, with a
script that reloads it while the run writes), `/runs/<id>/status` (what that script polls) and
`/compare?run=a&run=b` (overlaid fronts). Binds 127.0.0.1 unless told otherwise; a run id is one path
segment naming a folder directly under DIR, so `..`, encoded slashes and symlinks out of DIR are refused."""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from archsearch.report.dashboard import DASHBOARD, write_dashboard
from archsearch.report.data import run_data
from archsearch.report.index import RunIndex, index_page, is_run, stamp
from archsearch.report.overlay import overlay_page
from archsearch.report.page import esc
from archsearch.runs import RunError

MAX_OVERLAY = 12
LOOPBACK = ("127.0.0.1", "localhost", "::1")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # inline scripts are the page's own (user strings are escaped); nothing may load from elsewhere
    "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'self'; form-action 'self'; base-uri 'none'",
}
# Appended to a served dashboard: a link back to the index and a poll that reloads on change.
SERVED = """<script>
(function(){
  var a = document.createElement('a'); a.href = '/'; a.textContent = '\\u2190 all runs';
  var p = document.createElement('p'); p.appendChild(a);
  var main = document.querySelector('main'); main.insertBefore(p, main.firstChild);
  var stamp = %s;
  setInterval(function(){
    fetch('status', {cache: 'no-store'}).then(function(r){ return r.json(); }).then(function(s){
      if (s.stamp !== stamp) location.reload();
    }).catch(function(){});
  }, %d);
})();
</script>
"""


class Refused(Exception):
    """A request for something outside DIR, or not a run."""

    def __init__(self, status: HTTPStatus, message: str):
        super().__init__(message)
        self.status = status


class DashboardServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 8765, poll_ms: int = 5000):
        self.root = root.resolve()
        self.poll_ms = poll_ms
        self.loopback = host in LOOPBACK
        self.index = RunIndex(self.root)
        self.regen_lock = threading.Lock()
        super().__init__((host, port), Handler)

    def host_ok(self, header: str) -> bool:
        """On loopback, only requests addressed to loopback: a web page that rebinds its own DNS name to
        127.0.0.1 must not read the runs."""
        name = header.rsplit(":", 1)[0] if not header.endswith("]") else header
        return not self.loopback or name.strip("[]") in LOOPBACK

    def run_dir(self, segment: str) -> Path:
        """The run folder a URL segment names; refuses anything that is not a run directly under DIR."""
        rid = unquote(segment)
        if not rid or rid in (".", "..") or "/" in rid or "\\" in rid or "\0" in rid:
            raise Refused(HTTPStatus.FORBIDDEN, "not a run of this folder")
        path = self.root / rid
        if path.resolve().parent != self.root:
            raise Refused(HTTPStatus.FORBIDDEN, "outside the runs folder")
        if not is_run(path, self.root):
            raise Refused(HTTPStatus.NOT_FOUND, "no such run")
        return path

    def dashboard(self, path: Path) -> str:
        """The run's dashboard file, rewritten first if the run wrote since, plus the served-only script."""
        with self.regen_lock:
            s = stamp(path)
            html_file = path / DASHBOARD
            sources = [path / n for n in ("run.json", "trials.csv", "baselines.csv") if (path / n).exists()]
            newest = max(p.stat().st_mtime_ns for p in sources)
            if not html_file.is_file() or html_file.stat().st_mtime_ns < newest:
                write_dashboard(run_data(path))
            html = html_file.read_text(encoding="utf-8")
        head, _, tail = html.rpartition("</body>")
        return head + SERVED % (json.dumps(s), self.poll_ms) + "</body>" + tail


class Handler(BaseHTTPRequestHandler):
    server: DashboardServer
    server_version = "archsearch-dashboard"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:  # errors only
        if isinstance(code, int) and code >= 400:
            super().log_request(code, size)

    def send(self, status: HTTPStatus, body: str, ctype: str = "text/html; charset=utf-8") -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for k, v in SECURITY_HEADERS.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        parts = url.path.split("/")[1:]
        try:
            if not self.server.host_ok(self.headers.get("Host", "")):
                raise Refused(
                    HTTPStatus.MISDIRECTED_REQUEST, "this server answers only to 127.0.0.1 / localhost"
                )
            if url.path == "/":
                sort, desc = query.get("sort", ["date"])[0], query.get("desc", ["1"])[0] != "0"
                self.send(HTTPStatus.OK, index_page(self.server.index.runs(), self.server.root, sort, desc))
            elif url.path == "/compare":
                ids = list(dict.fromkeys(query.get("run", [])))[:MAX_OVERLAY]
                if not ids:
                    raise Refused(HTTPStatus.BAD_REQUEST, "tick at least one run to overlay")
                runs = [run_data(self.server.run_dir(i)) for i in ids]
                self.send(HTTPStatus.OK, overlay_page(runs))
            elif len(parts) == 2 and parts[0] == "runs":
                self.server.run_dir(parts[1])
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", f"/runs/{parts[1]}/")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif len(parts) == 3 and parts[0] == "runs" and parts[2] == "":
                self.send(HTTPStatus.OK, self.server.dashboard(self.server.run_dir(parts[1])))
            elif len(parts) == 3 and parts[0] == "runs" and parts[2] == "status":
                body = json.dumps({"stamp": stamp(self.server.run_dir(parts[1]))})
                self.send(HTTPStatus.OK, body, "application/json")
            else:
                raise Refused(HTTPStatus.NOT_FOUND, "no such page")
        except Refused as e:
            self.send(e.status, f"<!DOCTYPE html><title>{e.status.value}</title><p>{esc(e)}</p>")
        except RunError as e:
            self.send(HTTPStatus.UNPROCESSABLE_ENTITY, f"<!DOCTYPE html><p>{esc(e)}</p>")
