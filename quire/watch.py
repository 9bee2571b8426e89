"""Watch a site's files for the dev server's live reload: inotify on Linux, polling elsewhere."""

import ctypes
import ctypes.util
import errno
import os
import select
import struct
import threading
import time
import weakref
from pathlib import Path

POLL_SECONDS = 0.25  # the polling watcher's interval (inotify needs none)
EVERYTHING = "*"  # a change too big to name (a lost inotify queue): every page reloads

IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF, IN_Q_OVERFLOW, IN_IGNORED = 0x400, 0x800, 0x4000, 0x8000
IN_ONLYDIR, IN_ISDIR = 0x01000000, 0x40000000
MASK = (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
        | IN_DELETE_SELF | IN_MOVE_SELF)
EVENT = struct.Struct("iIII")


def _inotify():
    """Open an inotify instance (non-blocking); return its descriptor and libc's inotify_add_watch."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    add_watch = libc.inotify_add_watch
    add_watch.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1 failed")
    return fd, add_watch


class Inotify:
    """The paths that changed under some folder trees and beside some files, from Linux's inotify."""

    def __init__(self, trees: list[Path], files: list[Path]):
        self.fd, self._add_watch = _inotify()
        self.folders: dict[int, str] = {}
        self.trees = {str(t) for t in trees}
        # A file is watched through its folder; a missing tree through its parent, until it is created.
        self.files = {str(f) for f in files}
        try:
            for parent in {str(p.parent) for p in (*trees, *files)}:
                self._watch(parent)
            for tree in self.trees:
                self._watch_tree(tree)
        except OSError:
            self.close()
            raise

    def _watch(self, folder: str) -> None:
        wd = self._add_watch(self.fd, os.fsencode(folder), MASK | IN_ONLYDIR)
        if wd < 0:
            code = ctypes.get_errno()
            if code in (errno.ENOENT, errno.ENOTDIR, errno.EACCES):
                return
            raise OSError(code, f"cannot watch {folder}")  # ENOSPC: out of watches, the caller polls instead
        self.folders[wd] = folder

    def _watch_tree(self, tree: str) -> None:
        self._watch(tree)
        for root, dirs, _ in os.walk(tree):
            for name in dirs:
                self._watch(os.path.join(root, name))

    def _wanted(self, path: str) -> bool:
        return path in self.files or path in self.trees or any(path.startswith(t + os.sep) for t in self.trees)

    def changes(self, timeout: float) -> set[str]:
        """Wait up to timeout seconds; return the paths that changed (EVERYTHING when events were lost)."""
        if not select.select([self.fd], [], [], timeout)[0]:
            return set()
        found: set[str] = set()
        try:
            data = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return found
        offset = 0
        while offset < len(data):
            wd, mask, _, size = EVENT.unpack_from(data, offset)
            name = data[offset + EVENT.size:offset + EVENT.size + size].rstrip(b"\0")
            offset += EVENT.size + size
            if mask & IN_Q_OVERFLOW:
                found.add(EVERYTHING)
                continue
            folder = self.folders.get(wd)
            if folder is None:
                continue
            if mask & IN_IGNORED:
                del self.folders[wd]
                continue
            path = os.path.join(folder, os.fsdecode(name)) if name else folder
            if not self._wanted(path):
                continue
            found.add(path)
            if mask & IN_ISDIR and mask & (IN_CREATE | IN_MOVED_TO):
                self._watch_tree(path)
                found.update(os.path.join(root, n) for root, _, names in os.walk(path) for n in names)
        return found

    def close(self) -> None:
        """Stop watching."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Polling:
    """The same answers as Inotify, by comparing the stat of every watched file a few times a second."""

    def __init__(self, trees: list[Path], files: list[Path]):
        self.trees, self.files = trees, files
        self._seen = self._stat_all()

    def _stat_all(self) -> dict[str, tuple]:
        seen = {}
        for path in self.files:
            self._stat(str(path), seen)
        for tree in self.trees:
            for root, dirs, names in os.walk(tree):
                for name in dirs + names:
                    self._stat(os.path.join(root, name), seen)
        return seen

    @staticmethod
    def _stat(path: str, seen: dict[str, tuple]) -> None:
        try:
            st = os.stat(path)
        except OSError:
            return
        seen[path] = (st.st_mtime_ns, st.st_size, st.st_mode)

    def changes(self, timeout: float) -> set[str]:
        """Wait up to timeout seconds (at most one polling interval); return the paths that changed."""
        time.sleep(min(timeout, POLL_SECONDS))
        now = self._stat_all()
        found = {p for p in now.keys() | self._seen.keys() if now.get(p) != self._seen.get(p)}
        self._seen = now
        return found

    def close(self) -> None:
        """Stop watching (nothing to release)."""


def watcher(trees: list[Path], files: list[Path], polling: bool = False):
    """Return the best watcher this system has for these folder trees and files."""
    if not polling:
        try:
            return Inotify(trees, files)
        except (OSError, AttributeError):  # not Linux, or no inotify watches left
            pass
    return Polling(trees, files)


class ChangeFeed:
    """One inotify instance for the whole process, telling each subscriber whether its folders changed.

    The store asks on every request whether a content folder changed since it last listed them: one read of
    this feed instead of a stat call per file (thousands, at ten microseconds each on a busy machine). There
    is one instance per process because Linux allows only 128 per user.
    """

    _shared: "ChangeFeed | None" = None
    _lock = threading.Lock()

    def __init__(self):
        self.fd, self._add_watch = _inotify()
        self._subscribers: dict[int, weakref.WeakSet] = {}
        self._folders: dict[int, str] = {}

    @classmethod
    def shared(cls) -> "ChangeFeed | None":
        """Return the process's feed, or None where inotify is missing (then callers look for themselves)."""
        with cls._lock:
            if cls._shared is None or cls._shared.pid != os.getpid():
                try:
                    cls._shared = cls()
                    cls._shared.pid = os.getpid()
                except (OSError, AttributeError):
                    return None
            return cls._shared

    def watch(self, folder: str, subscriber: "Subscription") -> bool:
        """Tell subscriber of changes in folder (its own entries, not deeper); False if it cannot be watched."""
        with self._lock:
            wd = self._add_watch(self.fd, os.fsencode(folder), MASK | IN_ONLYDIR)
            if wd < 0:
                return False
            self._subscribers.setdefault(wd, weakref.WeakSet()).add(subscriber)
            self._folders[wd] = folder
            return True

    def drain(self) -> None:
        """Read every pending event and mark the subscribers of the folders they happened in."""
        with self._lock:
            while True:
                try:
                    data = os.read(self.fd, 1 << 16)
                except BlockingIOError:
                    return
                offset = 0
                while offset < len(data):
                    wd, mask, _, size = EVENT.unpack_from(data, offset)
                    offset += EVENT.size + size
                    name = data[offset - size:offset].rstrip(b"\0")
                    everyone = mask & IN_Q_OVERFLOW
                    # A file written in place is named; anything else (a file made, moved or deleted, a folder
                    # changed, events lost) leaves the subscriber to look at everything again.
                    written = (not everyone and name and not mask & ~(IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB)
                               and wd in self._folders)
                    for subscribers in self._subscribers.values() if everyone else [self._subscribers.get(wd, ())]:
                        for subscriber in subscribers:
                            if written:
                                subscriber.written.add(os.path.join(self._folders[wd], os.fsdecode(name)))
                            else:
                                subscriber.changed = True
                    if mask & (IN_IGNORED | IN_MOVE_SELF):
                        # The folder is gone from its path: a folder made there later is a new one to watch.
                        folder = self._folders.get(wd)
                        for subscriber in self._subscribers.get(wd, ()):
                            subscriber.watched.discard(folder)
                        if mask & IN_IGNORED:  # its number may be given to another folder
                            self._subscribers.pop(wd, None)
                            self._folders.pop(wd, None)


class Subscription:
    """What changed in some folders since the last look; always "anything" where they cannot be watched."""

    def __init__(self):
        self.feed = ChangeFeed.shared()
        self.watched: set[str] = set()
        self.changed = True
        self.written: set[str] = set()

    def watch(self, folders) -> None:
        """Watch these folders too (a folder watched already is skipped)."""
        for folder in folders:
            if folder in self.watched:
                continue
            if self.feed is None:
                return
            if not self.feed.watch(folder, self):
                if os.path.isdir(folder):
                    self.feed = None  # a folder that cannot be watched: look every time
                    return
                self.changed = True  # gone meanwhile: the next look lists the files again
                continue
            self.watched.add(folder)
            # What changed in it before the watch began is unknown: the next look says "changed".
            self.changed = True

    def look(self) -> set[str] | None:
        """Return the files written in place since the last look (None: anything may have changed); start afresh."""
        if self.feed is None or self.feed.pid != os.getpid():  # a forked child shares its parent's queue
            return None
        self.feed.drain()
        changed, written, self.changed, self.written = self.changed, self.written, False, set()
        return None if changed else written
