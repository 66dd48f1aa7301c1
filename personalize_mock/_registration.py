"""The only module that touches moto's internals. ``register()`` is idempotent.

- moto's built-in four-operation ``personalize`` backend is replaced by ours, where moto
  looks it up (``moto.personalize.personalize_backends``, read by ``moto.backends``);
- the personalize-events and personalize-runtime hosts are routed to the same backend
  (in-process: ``backend_index.backend_url_patterns``; the server infers "personalize"
  from the SigV4 scope all three APIs sign with);
- default lifecycle transitions are registered with moto's state manager.
"""

from __future__ import annotations

import re
import threading
import warnings

_lock = threading.Lock()
_registered = False

EXTRA_HOSTS = ("personalize-events", "personalize-runtime")


def register() -> None:
    global _registered
    with _lock:
        if _registered:
            return
        import moto.backend_index as backend_index
        import moto.personalize
        import moto.personalize.models

        from .backend import personalize_backends
        from .states import register_defaults

        moto.personalize.personalize_backends = personalize_backends  # type: ignore[assignment]
        moto.personalize.models.personalize_backends = personalize_backends  # type: ignore[assignment]
        known = {pattern.pattern for _, pattern in backend_index.backend_url_patterns}
        for host in EXTRA_HOSTS:
            pattern = re.compile(rf"https?://{host}\.(.+)\.amazonaws\.com")
            if pattern.pattern not in known:
                backend_index.backend_url_patterns.append(("personalize", pattern))
        register_defaults()
        # moto warns about any error code missing from the service model; ours is deliberate.
        warnings.filterwarnings("ignore", message=r"Exception\(NotImplementedOperation\)")
        _registered = True
