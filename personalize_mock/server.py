"""``personalize-mock-server``: moto's server with personalize_mock registered first, plus the
sandbox's own routes (console page, fault injection), ``--demo`` and ``--state-dir``.

moto's own ``moto_server`` command has no hook for plugins, and its server builds (and caches)
one app per backend on the first request, so registration has to happen before it starts.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="personalize-mock-server",
        description="An offline Amazon Personalize (personalize, personalize-events, personalize-runtime) "
        "and the rest of moto, over HTTP. The console page is at /personalize/.",
    )
    parser.add_argument("-H", "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("-p", "--port", type=int, default=int(os.environ.get("MOTO_PORT", 5000)),
                        help="port (default 5000, or $MOTO_PORT)")
    parser.add_argument("-s", "--ssl", action="store_true", help="serve https with a generated certificate")
    parser.add_argument("-c", "--ssl-cert", help="path to an SSL certificate")
    parser.add_argument("-k", "--ssl-key", help="path to an SSL private key")
    parser.add_argument("--demo", action="store_true",
                        help="start with a ready example: data imported, a trained solution version, "
                        "an active campaign, a filter and an event tracker")
    parser.add_argument("--seed", type=int, metavar="N",
                        help="the seed switch (as PERSONALIZE_MOCK_SEED=N or POST /moto-api/seed?a=N): "
                        "generated ids repeat from every reset, and N is mixed into training")
    parser.add_argument("--state-dir", metavar="DIR",
                        help="restore the state saved in DIR at start, and save it there as it changes")
    return parser.parse_args(argv)


def _exit(signum: int, frame: Any) -> None:
    sys.exit(0)


def main(argv: list[str] | None = None) -> None:
    from werkzeug.serving import run_simple

    from .settings import user_seed
    from .web import make_app

    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = make_app()
    try:
        user_seed()
    except ValueError as error:
        sys.exit(f"personalize-mock-server: {error}")
    if args.seed is not None:
        from ._registration import apply_seed
        from .settings import record_seed

        record_seed(args.seed)
        apply_seed()
    saver = None
    if args.state_dir:
        from .persistence import StateError, StateSaver

        saver = StateSaver(args.state_dir)
        try:
            restored = saver.restore()
        except StateError as error:
            sys.exit(f"personalize-mock-server: cannot restore --state-dir {args.state_dir}: {error}")
        print(f"personalize-mock: state in {args.state_dir}: {restored}", flush=True)
    if args.demo:
        from .demo import build_demo, describe_demo

        endpoint = f"http://{args.host}:{args.port}"
        print(describe_demo(build_demo(), endpoint), flush=True)
    for name in ("SIGINT", "SIGTERM"):
        signal.signal(getattr(signal, name), _exit)
    ssl_context: Any = (args.ssl_cert, args.ssl_key) if args.ssl_key and args.ssl_cert else ("adhoc" if args.ssl else None)
    try:
        if saver:
            saver.start()
        run_simple(args.host, args.port, app, threaded=True, ssl_context=ssl_context)
    finally:
        if saver:
            saver.stop()


if __name__ == "__main__":
    main()
