"""The only module that touches moto's internals. ``register()`` is idempotent.

- moto's built-in four-operation ``personalize`` backend is replaced by ours, where moto
  looks it up (``moto.personalize.personalize_backends``, read by ``moto.backends``);
- the personalize-events and personalize-runtime hosts are routed to the same backend
  (in-process: ``backend_index.backend_url_patterns``; the server infers "personalize"
  from the SigV4 scope all three APIs sign with);
- default lifecycle transitions are registered with moto's state manager;
- moto's reset also clears injected faults and re-applies the seed switch
  (``settings.user_seed``); moto's ``/moto-api/seed`` sets that switch;
- moto's server lists its service modules once instead of on every request.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from typing import Any

_lock = threading.Lock()
_registered = False



def register() -> None:
    global _registered
    with _lock:
        if _registered:
            return
        import moto.backend_index as backend_index
        import moto.personalize
        import moto.personalize.models

        from .service_models import SERVICES
        from . import urls
        from .backend import PersonalizeBackend, personalize_backends
        from .states import register_defaults

        PersonalizeBackend.url_module = urls
        moto.personalize.personalize_backends = personalize_backends  # type: ignore[assignment]
        moto.personalize.models.personalize_backends = personalize_backends  # type: ignore[assignment]
        known = {pattern.pattern for _, pattern in backend_index.backend_url_patterns}
        for host in SERVICES[1:]:  # personalize-events, personalize-runtime
            pattern = re.compile(rf"https?://{host}\.(.+)\.amazonaws\.com")
            if pattern.pattern not in known:
                backend_index.backend_url_patterns.append(("personalize", pattern))
        register_defaults()
        _install_fast_runtime()
        _clear_faults_on_reset()
        _record_moto_seeds()
        _list_moto_modules_once()
        # moto warns about any error code missing from the service model; ours is deliberate.
        warnings.filterwarnings("ignore", message=r"Exception\(NotImplementedOperation\)")
        _registered = True


def runtime_first(event_name: str, request: Any, **kwargs: Any) -> Any:
    """moto's botocore stubber, preceded by the runtime fast path (``api.fast_runtime``)."""
    if not _fast:
        from .api.fast_runtime import answer

        _fast.extend((answer, _stubber()))
    answer, stubber = _fast
    response = answer(request, account_for) if stubber.enabled else None
    return response if response is not None else stubber(event_name, request, **kwargs)


_fast: list[Any] = []  # (fast path, moto's stubber), imported on the first request


def _install_fast_runtime() -> None:
    """Let the runtime fast path see each request before moto's stubber: botocore runs every
    before-send handler, so moto's entry in botocore's built-in handlers is replaced by
    ``runtime_first``. Clients created from now on use it; earlier ones keep moto's path."""
    from botocore.handlers import BUILTIN_HANDLERS
    from moto.core.models import botocore_stubber

    for index, entry in enumerate(BUILTIN_HANDLERS):  # entries may carry a third item
        if entry[1] is botocore_stubber:
            BUILTIN_HANDLERS[index] = (entry[0], runtime_first, *entry[2:])


def _clear_faults_on_reset() -> None:
    """moto's reset (a mock starting, ``POST /moto-api/reset``) resets every backend through
    ``BackendDict.reset``; injected faults (``personalize_mock.faults``) go with them, and the
    seed switch is applied again, so ids repeat from every reset on."""
    from moto.core.base_backend import BackendDict

    original = BackendDict.reset.__func__  # type: ignore[attr-defined]

    def reset(cls: Any) -> None:
        from .faults import clear

        clear()
        original(cls)
        apply_seed()

    BackendDict.reset = classmethod(reset)  # type: ignore[method-assign, assignment]


def apply_seed(value: int | None = None) -> None:
    """Seed moto's random source (every generated id) with ``value``, else the seed switch."""
    from moto.moto_api._internal import mock_random

    from .settings import user_seed

    seed = user_seed() if value is None else value
    if seed is not None:
        type(mock_random).seed(mock_random, seed)


def _record_moto_seeds() -> None:
    """moto's ``POST /moto-api/seed?a=N`` seeds its random source; make it set our switch too,
    so the same N also reaches training and survives resets."""
    from moto.moto_api._internal import mock_random

    from .settings import record_seed

    def seed(a: Any = None, version: int = 2) -> None:
        type(mock_random).seed(mock_random, a, version)
        if isinstance(a, int) and not isinstance(a, bool):
            record_seed(a)

    mock_random.seed = seed  # type: ignore[method-assign]


def _list_moto_modules_once() -> None:
    """moto's server asks ``moto.backends.list_of_moto_modules()`` (a directory scan, ~180
    ``stat`` calls) twice per request to route it; the answer never changes in a process."""
    import moto.backends as moto_backends

    modules = tuple(moto_backends.list_of_moto_modules())
    moto_backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]


def _stubber() -> Any:
    """moto's botocore stubber (one object for the life of the process)."""
    if not _moto:
        from moto.core.models import botocore_stubber

        _moto.append(botocore_stubber)
    return _moto[0]


_moto: list[Any] = []


_ACCESS_KEY = re.compile(r"Credential=([^/]+)/")


def account_for(headers: Any) -> str:
    """The account a request acts for, decided as moto decides it."""
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    account = headers.get("x-moto-account-id")
    if account:
        return account.decode() if isinstance(account, bytes) else account
    auth = headers.get("Authorization") or b""
    match = _ACCESS_KEY.search(auth.decode() if isinstance(auth, bytes) else auth)
    key = match.group(1) if match else "AKIAEXAMPLE"
    account = _ACCOUNTS.get(key)
    if account is None:  # moto's lookup scans IAM's backends: once per access key is enough
        from moto.iam.models import get_account_id_from

        account = get_account_id_from(key)
        if len(_ACCOUNTS) < 4096:
            _ACCOUNTS[key] = account
    return account


_ACCOUNTS: dict[str, str] = {}
