"""The bytes behind blobs: written only by the server, read only through names it checks.

Each area is a directory from the settings with a grammar for the names inside it:

* ``store``: our own files, content-addressed (``ab/<sha256>``): uploads and faxes.
* ``recordings``: Asterisk's recordings spool: a single file name (MixMonitor, voice messages).
* ``fax``: fax folders written before blobs existed (``YYYYMMDD/<linkedid>/fax.pdf``…).

A name is checked against its area's grammar when it is recorded and again when it is opened,
and it is opened one component at a time relative to the area's directory with O_NOFOLLOW, so
neither ``..``, an absolute path nor a symlink leads out of the area.

The SQLite database gets a guard of its own: opening and closing *any* descriptor of the live
database (or its -wal/-shm) in this process drops every POSIX lock SQLite holds on it (fcntl locks
belong to the process and inode), and the next SQLite client may then checkpoint and delete a WAL
still in use: acknowledged orders vanish. So a file that is one of the database's is refused
before ``open()``, by inode, whatever name or hard link leads to it.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

AREAS = ("store", "recordings", "fax")
_GRAMMAR = {
    "store": re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}$"),
    "recordings": re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.(?:wav|WAV|gsm|mp3)$"),
    "fax": re.compile(r"^\d{8}/[A-Za-z0-9][A-Za-z0-9._-]{0,80}/(?:fax\.pdf|fax\.tif|page-\d{1,4}\.png)$"),
}
_DB_SUFFIXES = ("", "-wal", "-shm", "-journal", "-writer.lock")


class BlobFileError(Exception):
    """The file is not there, not a regular file, or not one this store may open."""

    error_id = "attachment-unavailable"


@dataclass(frozen=True)
class OpenBlob:
    fd: int
    size: int

    def close(self) -> None:
        os.close(self.fd)


def valid_location(area: str, location: str) -> bool:
    grammar = _GRAMMAR.get(area)
    return grammar is not None and bool(grammar.match(location)) and ".." not in location


class BlobFiles:
    """``roots``: area → directory. ``protected``: files never to be opened (the SQLite database)."""

    def __init__(self, roots: dict[str, Path], protected: Iterable[Path] = ()) -> None:
        self.roots = {area: Path(root) for area, root in roots.items()}
        self.protected = tuple(Path(f"{p}{suffix}") for p in protected for suffix in _DB_SUFFIXES)

    def write(self, data: bytes) -> tuple[str, str]:
        """Store ``data`` durably in the ``store`` area; (location, sha256). Same bytes, same file."""
        sha = hashlib.sha256(data).hexdigest()
        folder = self.roots["store"] / sha[:2]
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / sha
        if not (target.is_file() and target.stat().st_size == len(data)):
            temp = folder / f".{sha}.{os.getpid()}.tmp"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o640)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, target)
            _fsync_dir(folder)
        return f"{sha[:2]}/{sha}", sha

    def open(self, area: str, location: str) -> OpenBlob:
        """Open a blob's file for reading; BlobFileError when it may not or cannot be read."""
        if area not in self.roots or not valid_location(area, location):
            raise BlobFileError(f"no readable file for area {area!r}")
        *folders, name = location.split("/")
        forbidden = self._protected_inodes()
        dir_fd = -1
        try:
            dir_fd = os.open(self.roots[area], os.O_RDONLY | os.O_DIRECTORY)
            for folder in folders:
                next_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
                os.close(dir_fd)
                dir_fd = next_fd
            # Decide before open(): merely opening the database would already release SQLite's locks.
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) in forbidden:
                raise BlobFileError("not a regular file of this store")
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
        except FileNotFoundError:
            raise BlobFileError("the file is not there (yet)") from None
        except OSError as exc:  # a folder that is a symlink or not a folder (ELOOP, ENOTDIR), EACCES…
            raise BlobFileError(f"cannot open: {exc.strerror or type(exc).__name__}") from None
        finally:
            if dir_fd >= 0:
                os.close(dir_fd)
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):  # swapped between stat and open
            os.close(fd)
            raise BlobFileError("the file changed while it was opened")
        return OpenBlob(fd, opened.st_size)

    def remove(self, location: str) -> None:
        """Delete a file of our own store (never of Asterisk's areas)."""
        if valid_location("store", location):
            (self.roots["store"] / location).unlink(missing_ok=True)

    def digest(self, area: str, location: str, limit: int) -> tuple[int, str]:
        """(size, sha256) of a blob's file, read through `open`; BlobFileError past ``limit`` bytes."""
        blob = self.open(area, location)
        try:
            if blob.size > limit:
                raise BlobFileError(f"larger than {limit} bytes")
            sha, offset = hashlib.sha256(), 0
            while chunk := os.pread(blob.fd, 1 << 20, offset):
                sha.update(chunk)
                offset += len(chunk)
            return offset, sha.hexdigest()
        finally:
            blob.close()

    def _protected_inodes(self) -> set[tuple[int, int]]:
        inodes = set()
        for path in self.protected:
            try:
                info = os.stat(path)
            except OSError:
                continue
            inodes.add((info.st_dev, info.st_ino))
        return inodes


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
