"""`archsearch dashboard [DIR]`: serve the index of runs and their dashboards on 127.0.0.1."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archsearch.cli import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "dashboard",
        help="serve an index of the runs in DIR and their dashboards (local web server)",
        description="Serve every run under DIR: an index sortable by space, profile, budget, trials, best "
        "score and date; each run's dashboard (regenerated when the run writes, reloading itself while a run "
        "is in progress); and overlays of the Pareto fronts of selected runs.",
    )
    p.add_argument("dir", nargs="?", default="runs", metavar="DIR", help="folder of runs (default: runs)")
    p.add_argument("--port", type=int, default=8765, help="TCP port (default 8765; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only)")  # fmt: skip
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from archsearch.report.server import LOOPBACK, DashboardServer

    root = Path(args.dir)
    if not root.is_dir():
        raise UsageError(f"no folder {args.dir!r}; give the folder that holds your runs (default: runs)")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} out of range 0-65535")
    try:
        server = DashboardServer(root, args.host, args.port)
    except OSError as e:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
    host, port = server.server_address[:2]
    if args.host not in LOOPBACK:
        sys.stderr.write(
            f"archsearch: warning: serving on {args.host}: every machine that reaches it sees your runs\n"
        )
    print(f"serving the runs in {root} at http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
