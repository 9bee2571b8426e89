"""A persistent render cache: rendered posts on disk, keyed by content, settings and engine code."""

import contextlib
import functools
import hashlib
import os
import pickle
import re
import tempfile
from pathlib import Path

import jinja2
import mistune
import pygments
from jinja2 import FileSystemBytecodeCache

from .images import pillow_version


def rendering_modules(start: str = "content") -> list[Path]:
    """List the package's modules that loading a post runs: `start` and what it imports, directly or not.

    Derived from the import statements, so a new module that shapes a post's HTML is never left out.
    """
    here = Path(__file__).parent
    # Parsing every module costs tens of milliseconds, and each app made (two per `flask freeze`) asks.
    stamps = tuple(sorted((e.name, e.stat().st_mtime_ns, e.stat().st_size) for e in os.scandir(here)
                          if e.name.endswith(".py")))
    return list(_imported_modules(here, start, stamps))


# `from .module import ...` and `from . import a, b`, anywhere in a module (indented: imported in a function). A
# regular expression, not the parser: this runs at every start, and parsing the modules took 30 ms. A line in a
# string that looks like one only adds a module to the fingerprint.
RELATIVE_IMPORT = re.compile(r"^[ \t]*from[ \t]+\.(\w*)(?:\.\w+)*[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)", re.MULTILINE)


@functools.lru_cache(maxsize=8)
def _imported_modules(here: Path, start: str, stamps: tuple) -> tuple[Path, ...]:
    todo, seen = [start], set()
    while todo:
        name = todo.pop()
        if name in seen or not (here / f"{name}.py").is_file():
            continue
        seen.add(name)
        for module, names in RELATIVE_IMPORT.findall((here / f"{name}.py").read_text(encoding="utf-8")):
            todo += [module] if module else [n.split()[0] for n in names.strip("()").replace("\n", " ").split(",")
                                             if n.strip()]
    return tuple(sorted(here / f"{name}.py" for name in seen))


def library_versions() -> str:
    """Name the versions of the libraries that shape a rendered post."""
    # Pillow (optional) decides whether bundle images get srcset variants.
    return f"{mistune.__version__}|{pygments.__version__}|{pillow_version()}"


def engine_fingerprint() -> str:
    """Hash the code that shapes a rendered post, so a changed engine never reads stale entries."""
    digest = hashlib.sha256(library_versions().encode())
    for path in rendering_modules():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class RenderCache:
    """Store one pickled value per key under a folder; a missing or broken entry is a miss."""

    def __init__(self, folder: Path | None, salt: str):
        self.folder = folder
        self.salt = salt
        self.used: set[str] = set()

    def key(self, *parts: bytes | str) -> str:
        """Make a key from the salt and the given parts."""
        digest = hashlib.sha256(self.salt.encode())
        for part in parts:
            digest.update(part if isinstance(part, bytes) else part.encode())
            digest.update(b"\0")
        return digest.hexdigest()

    def _path(self, key: str) -> str:
        # A string, not a Path: a freeze asks for thousands.
        return os.path.join(self.folder, key[:2], f"{key}.pickle")

    def get(self, key: str):
        """Return the cached value, or None."""
        if self.folder is None:
            return None
        self.used.add(key)
        try:
            with open(self._path(key), "rb") as f:
                return pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
            return None

    def has(self, key: str) -> bool:
        """Tell whether an entry is stored under key (it may still be broken: get says)."""
        return self.folder is not None and os.path.isfile(self._path(key))

    def put(self, key: str, value) -> None:
        """Write a value atomically; a cache that cannot be written is silently skipped."""
        if self.folder is None:
            return
        self.used.add(key)
        path = self._path(key)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            pass

    def prune(self) -> int:
        """Delete every entry not read or written by this process; return how many."""
        if self.folder is None or not self.folder.is_dir():
            return 0
        removed = 0
        for path in self.folder.glob("*/*.pickle"):
            if path.stem not in self.used:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


class TemplateCache(FileSystemBytecodeCache):
    """Jinja's compiled templates, kept in the render cache's folder: each process skips compiling them again.

    Jinja checks each entry against its template's source; the folder's name carries what else shapes the
    compiled code (the engine's code, which sets the environment's options, and Jinja's version).
    """

    def __init__(self, cache_dir: Path, engine: str):
        super().__init__(str(cache_dir / f"templates-{jinja2.__version__}-{engine[:16]}"))

    def load_bytecode(self, bucket) -> None:
        with contextlib.suppress(OSError):  # say, a file where the folder should be: then nothing is cached
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket) -> None:
        # A folder that cannot be written is no cache, never a failed page.
        try:
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass
