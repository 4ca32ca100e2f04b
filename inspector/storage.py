"""Media storage behind one interface: files stored by their SHA-256 under a key such as
`jobs/ab/cd/<sha>.xlsx`, read back by that key. `LocalStorage` is a folder (MEDIA_DIR) that
every app node and the job worker share; an object store (S3-compatible) is the next step and
needs only another class with the same four methods (docs/jobs.md)."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO, Protocol


class Storage(Protocol):
    """Where media files live: content-addressed keys, written once, read by key."""

    def put(self, data: bytes, *, prefix: str, suffix: str) -> str:
        """Store bytes by their hash; returns the key (the same bytes give the same key)."""

    def exists(self, key: str) -> bool:
        """Whether a key is stored."""

    def open(self, key: str) -> IO[bytes]:
        """A readable file of a stored key (FileNotFoundError when absent)."""

    def local_path(self, key: str) -> Path | None:
        """A path on this machine for the key, when the store is a folder (for send_file)."""


def content_key(data: bytes, *, prefix: str, suffix: str) -> str:
    """The content-addressed key of bytes: `<prefix>/<sha[:2]>/<sha[2:4]>/<sha><suffix>`."""
    sha = hashlib.sha256(data).hexdigest()
    return f"{prefix}/{sha[:2]}/{sha[2:4]}/{sha}{suffix}"


class LocalStorage:
    """A folder shared by the nodes (MEDIA_DIR): atomic writes, keys never leave the folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        """The file of a key, refusing keys that would leave the folder."""
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()) or key.startswith("/"):
            raise ValueError(f"storage key outside the media folder: {key!r}")
        return path

    def put(self, data: bytes, *, prefix: str, suffix: str) -> str:
        """Store bytes by hash with an atomic rename (a reader never sees half a file)."""
        key = content_key(data, prefix=prefix, suffix=suffix)
        target = self._path(key)
        if target.exists():
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=suffix)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def exists(self, key: str) -> bool:
        """Whether the key's file is there."""
        try:
            return self._path(key).is_file()
        except ValueError:
            return False

    def open(self, key: str) -> IO[bytes]:
        """The key's file opened for reading."""
        return self._path(key).open("rb")

    def local_path(self, key: str) -> Path | None:
        """The key's file on this machine."""
        return self._path(key)


def for_app(app) -> Storage:
    """The app's media storage (one per app, over MEDIA_DIR)."""
    store = app.extensions.get("storage")
    if store is None:
        store = app.extensions["storage"] = LocalStorage(app.config["MEDIA_DIR"])
    return store
