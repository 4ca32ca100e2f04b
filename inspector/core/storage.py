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

    def put_at(self, key: str, data: bytes) -> bool:
        """Store bytes under a key the caller chose (photos: their own names), unless it is there; True if written."""

    def put_file(self, path: str | Path, *, prefix: str, suffix: str) -> str:
        """Store a finished file (moved in, or copied from another disk) by its hash; its key."""

    def scratch(self, suffix: str) -> Path:
        """A new temporary file's path where a large result is written before put_file."""

    def exists(self, key: str) -> bool:
        """Whether a key is stored."""

    def open(self, key: str) -> IO[bytes]:
        """A readable file of a stored key (FileNotFoundError when absent)."""

    def local_path(self, key: str) -> Path | None:
        """A path on this machine for the key, when the store is a folder (for send_file)."""


def content_key(data: bytes, *, prefix: str, suffix: str) -> str:
    """The content-addressed key of bytes: `<prefix>/<sha[:2]>/<sha[2:4]>/<sha><suffix>`."""
    return _key(hashlib.sha256(data).hexdigest(), prefix, suffix)


def _key(sha: str, prefix: str, suffix: str) -> str:
    return f"{prefix}/{sha[:2]}/{sha[2:4]}/{sha}{suffix}"


def file_key(path: str | Path, *, prefix: str, suffix: str) -> str:
    """content_key of a file, read in 1 MiB pieces (an export of 200,000 sites is never all in memory)."""
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        for piece in iter(lambda: fh.read(1 << 20), b""):
            sha.update(piece)
    return _key(sha.hexdigest(), prefix, suffix)


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
        self.put_at(key, data)
        return key

    def put_at(self, key: str, data: bytes) -> bool:
        """Write bytes at a key via a temp file and an atomic rename, unless it is there; True if written."""
        target = self._path(key)
        if target.exists():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; a front web server may need to read media
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return True

    def put_file(self, path: str | Path, *, prefix: str, suffix: str) -> str:
        """Move a finished file in under its hash (atomic: a rename inside the folder)."""
        key = file_key(path, prefix=prefix, suffix=suffix)
        target = self._path(key)
        if target.exists():
            Path(path).unlink(missing_ok=True)
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o644)
        try:
            os.replace(path, target)
        except OSError:  # another disk: copy in next to the target, then rename
            with open(path, "rb") as fh:
                fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=suffix)
                with os.fdopen(fd, "wb") as out:
                    for piece in iter(lambda: fh.read(1 << 20), b""):
                        out.write(piece)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
            Path(path).unlink(missing_ok=True)
        return key

    def scratch(self, suffix: str) -> Path:
        """A temporary file inside the media folder (so put_file is a rename)."""
        folder = self.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix="job-", suffix=suffix)
        os.close(fd)
        return Path(name)

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
