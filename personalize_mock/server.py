"""``personalize-mock-server``: moto's server with personalize_mock registered first.

moto's own ``moto_server`` command has no hook for plugins, and its server builds (and caches)
one app per backend on the first request, so registration has to happen before it starts.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from moto import server as moto_server

    from ._registration import register

    register()
    moto_server.main(list(sys.argv[1:] if argv is None else argv) or ["--host", "127.0.0.1"])


if __name__ == "__main__":
    main()
