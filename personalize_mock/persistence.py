"""The server's state saved to a directory and restored at the next start (``--state-dir``).

What is saved: every Personalize backend (all accounts and regions) — resources and their
lifecycle states, dataset rows, trained models, recorded events, recommendation ids and tags.
moto's other services (S3 among them) are not saved.

The file ``DIR/state.zip`` holds ``state.json`` (the object graph as tagged JSON) and one
``.npy`` file per numpy array. No pickle: only classes of this package (and moto's
``ManagedState``) are rebuilt, by setting their attributes, so loading a state runs no code
from the file. Writes go to a temporary file that is then renamed over the old one, so a
crash leaves either the previous state or the new one, never half of one. A state whose
format version differs from this package's is refused with a message saying so.
"""

from __future__ import annotations

import base64
import datetime
import importlib
import io
import json
import math
import os
import threading
import time
import zipfile
from collections import OrderedDict, deque
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "personalize_mock-state"
FORMAT_VERSION = 1  # bump whenever a saved class changes its attributes
STATE_FILE = "state.zip"

# Derived caches, rebuilt on demand: never saved. ``dict`` means "restore as an empty dict",
# None "leave unset" (their owners create them on first use).
TRANSIENT: dict[str, type | None] = {
    "cache": dict,  # FactorModel serving caches
    "_by_key": dict,  # Table grouped-index cache
    "_filter_columns": None,  # Dataset decoded filter columns
    "_masks": None,  # Filter catalogue masks
    "_on_remove": None,  # Store callback, re-wired by the backend that receives the items
}
FOREIGN_CLASSES = {"moto.moto_api._internal.managed_state_model:ManagedState"}
BACKEND_SKIP = {"lock", "tagger", "stores", "region_name", "account_id", "partition"}


class StateError(Exception):
    """A state directory that cannot be read by this version, with the reason."""


# ---- encoding ------------------------------------------------------------------------------


class _Encoder:
    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self._memo: dict[int, int] = {}
        self._keep: list[Any] = []  # keeps encoded objects alive so their ids stay unique

    def encode(self, value: Any, path: str) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int) and not isinstance(value, np.integer):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"$float": repr(value)}
        if isinstance(value, datetime.datetime):
            return {"$datetime": value.isoformat()}
        if isinstance(value, np.dtype):
            return {"$dtype": value.str}
        if isinstance(value, np.generic):
            return {"$scalar": value.dtype.str, "value": self.encode(value.item(), path)}
        seen = self._memo.get(id(value))
        if seen is not None:
            return {"$ref": seen}
        ident = self._memo[id(value)] = len(self._memo)
        self._keep.append(value)
        node = self._container(value, path)
        node["$id"] = ident
        return node

    def _container(self, value: Any, path: str) -> dict[str, Any]:
        if isinstance(value, np.ndarray):
            if value.dtype.hasobject:
                return {"$objects": [self.encode(v, f"{path}[]") for v in value.ravel().tolist()],
                        "shape": list(value.shape)}
            self.arrays.append(np.ascontiguousarray(value))
            return {"$array": len(self.arrays) - 1}
        if isinstance(value, bytes):
            return {"$bytes": base64.b64encode(value).decode()}
        if isinstance(value, (list, tuple, set, frozenset, deque)):
            tag = {list: "$list", tuple: "$tuple", set: "$set", frozenset: "$frozenset", deque: "$deque"}
            kind = tag.get(type(value))
            if kind is None:
                raise StateError(f"cannot save {type(value).__name__} at {path}")
            items = sorted(value, key=repr) if kind in ("$set", "$frozenset") else value
            node: dict[str, Any] = {kind: [self.encode(v, f"{path}[{i}]") for i, v in enumerate(items)]}
            if kind == "$deque":
                node["maxlen"] = value.maxlen
            return node
        if isinstance(value, dict):
            if type(value) not in (dict, OrderedDict):
                raise StateError(f"cannot save {type(value).__name__} at {path}")
            pairs = [[self.encode(k, f"{path} key"), self.encode(v, f"{path}[{k!r}]")] for k, v in value.items()]
            return {"$odict" if type(value) is OrderedDict else "$dict": pairs}
        sparse = _sparse_kind(value)
        if sparse:
            return {"$sparse": sparse, "shape": list(value.shape),
                    "parts": [self.encode(getattr(value, p), f"{path}.{p}") for p in ("data", "indices", "indptr")]}
        return self._object(value, path)

    def _object(self, value: Any, path: str) -> dict[str, Any]:
        cls = type(value)
        name = f"{cls.__module__}:{cls.__qualname__}"
        if not (cls.__module__.startswith("personalize_mock.") or name in FOREIGN_CLASSES) or not hasattr(value, "__dict__"):
            raise StateError(f"cannot save {name} at {path}")
        attributes = vars(value)
        state = {attr: self.encode(v, f"{path}.{attr}") for attr, v in attributes.items() if attr not in TRANSIENT}
        node: dict[str, Any] = {"$object": name, "state": state}
        transient = sorted(attr for attr in attributes if attr in TRANSIENT)
        if transient:
            node["transient"] = transient
        return node


def _sparse_kind(value: Any) -> str | None:
    module = type(value).__module__
    if module.startswith("scipy.sparse"):
        fmt = getattr(value, "format", None)
        if fmt in ("csr", "csc"):
            return fmt
    return None


# ---- decoding ------------------------------------------------------------------------------


class _Decoder:
    def __init__(self, arrays: list[np.ndarray]) -> None:
        self.arrays = arrays
        self._memo: dict[int, Any] = {}

    def decode(self, node: Any) -> Any:
        if not isinstance(node, dict):  # JSON scalars; lists are always inside a tagged node
            return node
        if "$ref" in node:
            return self._memo[node["$ref"]]
        if "$float" in node:
            return float(node["$float"])
        if "$datetime" in node:
            return datetime.datetime.fromisoformat(node["$datetime"])
        if "$dtype" in node:
            return np.dtype(node["$dtype"])
        if "$scalar" in node:
            return np.dtype(node["$scalar"]).type(self.decode(node["value"]))
        ident = node.get("$id")
        value = self._build(node)
        if ident is not None:
            self._memo[ident] = value
        return value

    def _remember(self, node: dict[str, Any], value: Any) -> Any:
        if "$id" in node:
            self._memo[node["$id"]] = value
        return value

    def _build(self, node: dict[str, Any]) -> Any:
        if "$array" in node:
            return self.arrays[node["$array"]]
        if "$objects" in node:
            values = [self.decode(v) for v in node["$objects"]]
            array = np.empty(len(values), dtype=object)
            array[:] = values
            return array.reshape(node["shape"])
        if "$bytes" in node:
            return base64.b64decode(node["$bytes"])
        if "$list" in node:
            out: list[Any] = self._remember(node, [])
            out.extend(self.decode(v) for v in node["$list"])
            return out
        if "$deque" in node:
            queue: deque[Any] = self._remember(node, deque(maxlen=node.get("maxlen")))
            queue.extend(self.decode(v) for v in node["$deque"])
            return queue
        if "$tuple" in node:
            return tuple(self.decode(v) for v in node["$tuple"])
        if "$set" in node:
            return {self.decode(v) for v in node["$set"]}
        if "$frozenset" in node:
            return frozenset(self.decode(v) for v in node["$frozenset"])
        if "$dict" in node or "$odict" in node:
            mapping: dict[Any, Any] = self._remember(node, OrderedDict() if "$odict" in node else {})
            for key, value in node.get("$dict", node.get("$odict")):
                mapping[self.decode(key)] = self.decode(value)
            return mapping
        if "$sparse" in node:
            import scipy.sparse as sp

            data, indices, indptr = (self.decode(p) for p in node["parts"])
            make = sp.csr_matrix if node["$sparse"] == "csr" else sp.csc_matrix
            return make((data, indices, indptr), shape=tuple(node["shape"]))
        if "$object" in node:
            return self._object(node)
        raise StateError(f"unknown entry {sorted(node)[:3]} in the saved state")

    def _object(self, node: dict[str, Any]) -> Any:
        cls = _class(node["$object"])
        value = object.__new__(cls)
        self._remember(node, value)
        state = {attr: self.decode(v) for attr, v in node["state"].items()}
        for attr in node.get("transient", ()):
            factory = TRANSIENT.get(attr)
            if factory is not None:
                state[attr] = factory()
        value.__dict__.update(state)
        return value


def _class(name: str) -> type:
    module_name, _, qualname = name.partition(":")
    if not (module_name.startswith("personalize_mock.") or name in FOREIGN_CLASSES):
        raise StateError(f"the saved state names a class outside personalize_mock: {name}")
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError):
        raise StateError(f"the saved state names {name}, which this version does not have") from None
    if not isinstance(target, type):
        raise StateError(f"the saved state names {name}, which is not a class")
    return target


# ---- backends <-> file -----------------------------------------------------------------------


def snapshot() -> tuple[dict[str, Any], list[np.ndarray]]:
    """The document and arrays describing every backend, taken under the backends' locks."""
    from . import __version__
    from .backend import existing_backends

    encoder = _Encoder()
    entries = []
    for backend in sorted(existing_backends(), key=lambda b: (b.account_id, b.region_name)):
        account, region = backend.account_id, backend.region_name
        with backend.lock:
            attributes = {k: v for k, v in vars(backend).items() if k not in BACKEND_SKIP}
            entries.append({
                "account": account,
                "region": region,
                "tags": encoder.encode(backend.tagger.tags, "tags"),
                "attributes": {k: encoder.encode(v, k) for k, v in attributes.items()},
            })
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "written_by": __version__,
        "saved_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "backends": entries,
    }
    return document, encoder.arrays


def save(directory: str | os.PathLike[str]) -> Path:
    """Write the state atomically to ``directory/state.zip``; returns its path."""
    document, arrays = snapshot()
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / STATE_FILE
    temporary = folder / f".{STATE_FILE}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with open(temporary, "wb") as raw:
            with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as archive:
                archive.writestr("state.json", json.dumps(document, separators=(",", ":")))
                for index, array in enumerate(arrays):
                    buffer = io.BytesIO()
                    np.lib.format.write_array(buffer, array, allow_pickle=False)
                    archive.writestr(f"arrays/{index}.npy", buffer.getvalue())
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temporary, target)
    finally:
        if temporary.exists():
            temporary.unlink()
    _fsync_directory(folder)
    return target


def _fsync_directory(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read(directory: str | os.PathLike[str]) -> tuple[dict[str, Any], list[np.ndarray]] | None:
    """The saved document and arrays, None when the directory holds no state."""
    from . import __version__

    path = Path(directory) / STATE_FILE
    if not path.exists():
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            document = json.loads(archive.read("state.json"))
            if not isinstance(document, dict) or document.get("format") != FORMAT:
                raise StateError(f"{path} is not a personalize_mock state file")
            version = document.get("format_version")
            if version != FORMAT_VERSION:
                raise StateError(
                    f"{path} was written by personalize_mock {document.get('written_by', '?')} in state "
                    f"format {version}; personalize_mock {__version__} reads format {FORMAT_VERSION} only. "
                    "Start with another --state-dir, or move that file away to start empty."
                )
            names = sorted(n for n in archive.namelist() if n.startswith("arrays/"))
            arrays = [np.lib.format.read_array(io.BytesIO(archive.read(f"arrays/{i}.npy")), allow_pickle=False)
                      for i in range(len(names))]
    except (zipfile.BadZipFile, KeyError, ValueError) as error:  # StateError is none of these
        raise StateError(f"{path} is damaged or not a personalize_mock state file: {error}") from None
    return document, arrays


def restore(directory: str | os.PathLike[str]) -> int:
    """Load ``directory``'s state into the backends (replacing theirs); the number of
    backends restored (0 when the directory holds no state)."""
    from .backend import personalize_backends
    from .resources.base import Store

    loaded = read(directory)
    if loaded is None:
        return 0
    document, arrays = loaded
    decoder = _Decoder(arrays)
    for entry in document["backends"]:
        backend = personalize_backends[entry["account"]][entry["region"]]
        with backend.lock:
            backend.reset()
            backend.tagger.tags = decoder.decode(entry["tags"])
            for name, node in entry["attributes"].items():
                value = decoder.decode(node)
                current = getattr(backend, name, None)
                if isinstance(current, Store) and isinstance(value, Store):
                    current._items = value._items
                else:
                    setattr(backend, name, value)
    return len(document["backends"])


# ---- the server's saver ------------------------------------------------------------------------


class StateSaver:
    """Restores a state directory at start, then saves after changes (at most every
    ``interval`` seconds, from a background thread) and once more at stop."""

    def __init__(self, directory: str | os.PathLike[str], interval: float = 1.0) -> None:
        self.directory = Path(directory)
        self.interval = interval
        self._saved_at = -1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="personalize-mock-state", daemon=True)
        self._lock = threading.Lock()
        self._took = 0.0  # seconds the last save took

    def restore(self) -> str:
        count = restore(self.directory)
        self._saved_at = _changes()
        return f"restored {count} backend(s)" if count else "no saved state yet, starting empty"

    def start(self) -> None:
        self._thread.start()

    def save_if_changed(self) -> bool:
        with self._lock:
            current = _changes()
            if current == self._saved_at:
                return False
            started = time.monotonic()
            save(self.directory)
            self._took = time.monotonic() - started
            self._saved_at = current
            return True

    def _run(self) -> None:
        # A big state takes long to write (the backends are locked while it is read): then
        # wait ten times as long as the last save, so serving keeps at least 90% of the time.
        while not self._stop.wait(max(self.interval, 10 * self._took)):
            try:
                self.save_if_changed()
            except Exception as error:  # keep serving; say why the state was not saved
                print(f"personalize-mock: could not save state to {self.directory}: {error}", flush=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.save_if_changed()


def _changes() -> int:
    from . import backend

    return backend.CHANGES.value
