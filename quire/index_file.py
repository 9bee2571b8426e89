"""index.json as a freeze writes it: the unchanged posts' entries copied from the last build's file by the kernel.

The file is tens of megabytes (88 MB at 3,000 posts), and an edit changes one entry. The render cache keeps each
entry's length and digest and the file's device, inode, size and mtime: when the file in the published build
still has them, a run of unchanged entries is one copy_file_range, never read into this process, and the new
entries are written between the runs. The file's digest is the digest of its entries' digests, so it is known
without reading the copied bytes. Anything unexpected (no table, another file, a short copy) writes the whole
file anew.
"""

import errno
import hashlib
import os
import stat
from collections.abc import Callable

from .search import INDEX_ENTRY_START, index_json_entry

COPY_CHUNK = 1 << 26  # bytes asked of copy_file_range at once (it may copy fewer)


def entries_digest(digests: list[str]) -> str:
    """Digest a whole index.json by its entries' digests."""
    h = hashlib.sha256(b"index.json\0")
    for digest in digests:
        h.update(digest.encode() + b"\0")
    return h.hexdigest()[:32]


def table_of(record, count: int) -> list[tuple[int, int, str]] | None:
    """Return (offset, length, digest) of each entry from the record of an index.json (record_of), or None if it
    is not one of count entries as the freeze writes them."""
    if not isinstance(record, dict):
        return None
    entries, stamp = record.get("entries"), record.get("stamp")
    if not (isinstance(entries, list) and len(entries) == count and count and isinstance(stamp, list)
            and len(stamp) == 4 and all(type(n) is int for n in stamp)):
        return None
    table, offset = [], 1  # after "["
    for entry in entries:
        if not (isinstance(entry, list) and len(entry) == 2 and type(entry[0]) is int and entry[0] > 0
                and isinstance(entry[1], str)):
            return None
        table.append((offset, entry[0], entry[1]))
        offset += entry[0] + 1  # and the "," or "]" after it
    return table if offset == stamp[2] else None  # the file's size: "[", the entries, their "," and "]"


class IndexFile:
    """The content of index.json, written by write_to: entries of unchanged posts copied from the previous file."""

    def __init__(self, posts, permalink: Callable, unchanged: frozenset[str] = frozenset(),
                 previous: str | None = None, record=None):
        self.posts, self.permalink, self.unchanged = posts, permalink, unchanged
        self.previous, self.record = previous, record
        self.table: list[list] = []  # [length, digest] of each entry written, for the next freeze

    def write_to(self, target: str) -> str:
        """Write the file at target (a new file); return its digest."""
        table = table_of(self.record, len(self.posts)) if self.previous and self.unchanged else None
        source = _open_previous(self.previous, self.record, table) if table else None
        if source is not None:
            try:
                return self._write(target, source, table)
            except OSError:
                pass  # changed or cut short while copied: written anew below
            finally:
                os.close(source)
        return self._write(target, None, None)

    def _write(self, target: str, source: int | None, table) -> str:
        self.table = []
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)  # as open() makes files
        try:
            os.write(out, b"[")
            run: list[int] | None = None  # [start, end) of the previous file, to copy
            for number, post in enumerate(self.posts):
                if source is not None and post.source in self.unchanged:
                    offset, length, digest = table[number]
                    if run is not None:  # the entry after the run's last: the "," between them comes along
                        run[1] = offset + length
                    else:
                        if number:
                            os.write(out, b",")
                        run = [offset, offset + length]
                    self.table.append([length, digest])
                    continue
                if run is not None:
                    _copy(source, out, *run)
                    run = None
                data = index_json_entry(post, self.permalink)
                _write_all(out, b"," + data if number else data)
                self.table.append([len(data), hashlib.sha256(data).hexdigest()[:32]])
            if run is not None:
                _copy(source, out, *run)
            os.write(out, b"]")
        finally:
            os.close(out)
        return entries_digest([digest for _, digest in self.table])


def record_of(path: str, table: list[list]) -> dict:
    """Return what the next freeze needs of a written index.json: its entries' table, its device, inode, size and
    mtime."""
    st = os.stat(path)
    return {"stamp": [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns], "entries": table}


def _open_previous(path: str, record: dict, table) -> int | None:
    """Open the previous build's index.json if it is the file the record describes; None if it is not."""
    try:
        # Never through a symlink, and never waiting on a FIFO someone left there.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns] == record["stamp"] and \
                all(os.pread(fd, len(INDEX_ENTRY_START), offset) == INDEX_ENTRY_START for offset, _, _ in table):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def _copy(source: int, out: int, start: int, end: int) -> None:
    """Copy bytes [start, end) of source to out's position, in the kernel where it can; OSError if cut short."""
    while start < end:
        try:
            done = os.copy_file_range(source, out, min(end - start, COPY_CHUNK), start)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            done = _write_all(out, os.pread(source, min(end - start, COPY_CHUNK), start))
        if done == 0:
            raise OSError(errno.EIO, "the previous index.json ends early")
        start += done


def _write_all(out: int, data: bytes) -> int:
    view = memoryview(data)
    while view:
        view = view[os.write(out, view):]
    return len(data)
