"""What content may make into a URL and an output file: slugs, aliases, names the freeze keeps, symlinks."""

import os
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

MARKER = ".quire-build"
KEEP = (".git", "CNAME", ".nojekyll")
# Names at the top of the output that the freeze keeps or writes itself: content may not claim them.
RESERVED = {name.lower() for name in (*KEEP, MARKER)}
CONTROL = re.compile("[\x00-\x1f\x7f]")
SLUG_FORBIDDEN = re.compile(r"[/\\?#%\[\]\x00-\x1f\x7f]")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
NOT_ASCII_SLUG = re.compile(r"[^a-z0-9]+")
APOSTROPHES = re.compile(r"(?<=\w)['’](?=\w)")
MAX_NAME_BYTES = 255  # the longest file name most file systems allow


def ascii_slug(text: str) -> str:
    """Make a clean ASCII slug: `Don't Panic: Q&A — 2024` gives `dont-panic-q-a-2024` (empty if nothing is left)."""
    ascii_text = unicodedata.normalize("NFKD", APOSTROPHES.sub("", text)).encode("ascii", "ignore").decode()
    return NOT_ASCII_SLUG.sub("-", ascii_text.lower()).strip("-")


def nfc(text: str) -> str:
    """Return text in Unicode NFC, the form every slug, URL and output path takes."""
    return unicodedata.normalize("NFC", text)


def slug_problem(slug: str, kind: str) -> str | None:
    """Say why a slug cannot be one segment of a URL and a folder name of the output, or None."""
    bad = SLUG_FORBIDDEN.search(slug)
    if not slug or slug.startswith("."):
        return f"slug {slug!r} cannot be a URL part: use letters, digits and hyphens"
    if bad:
        return (f"slug {slug!r} has {bad.group(0)!r}, which a URL reserves: use letters, digits and hyphens "
                f"(rename the file or set 'slug')")
    if len(slug.encode()) > MAX_NAME_BYTES:
        return f"slug {slug[:40]!r}... is longer than {MAX_NAME_BYTES} bytes: set a shorter 'slug'"
    if kind == "page" and slug.lower() in RESERVED:
        return f"page slug {slug!r} is a name the freeze keeps in its output: set another 'slug'"
    return None


def alias_problem(raw: str) -> str | None:
    """Say why an alias would leave the site's URL space or clash with what the freeze keeps, or None."""
    if SCHEME.match(raw) or raw.startswith("//"):
        return f"alias {raw!r} is a full URL: write the old path on this site, such as /2018/06/old-post.html"
    path = unquote(raw)
    if CONTROL.search(path) or "\\" in path:
        return f"alias {raw!r} has a control character or a backslash: write a plain path"
    if "?" in path or "#" in path:
        return f"alias {raw!r} has a query or fragment, which a static host cannot serve: drop it"
    segments = path.strip("/").split("/")
    if any(s in (".", "..") for s in segments):
        return f"alias {raw!r} has a '.' or '..' segment, which leaves the site: write the path it means"
    if segments[0].lower() in RESERVED:
        return f"alias {raw!r} starts with {segments[0]!r}, a name the freeze keeps in its output: remove it"
    if any(len(s.encode()) > MAX_NAME_BYTES for s in segments):
        return f"alias {raw[:40]!r}... has a part longer than {MAX_NAME_BYTES} bytes: shorten it"
    if not path.strip("/"):
        return f"alias {raw!r} is the home page: remove it"
    return None


def alias_path(raw: str) -> str:
    """Make a checked alias a root-relative path; one without a file extension becomes a folder."""
    path = "/" + nfc(unquote(raw)).lstrip("/")
    if not path.endswith("/") and "." not in path.rsplit("/", 1)[1]:
        path += "/"
    return path


def output_problem(rel: str) -> str | None:
    """Say why a relative output path is not a plain path inside the build folder, or None."""
    if not rel or rel.startswith("/") or "\\" in rel or CONTROL.search(rel):
        return "it is not a plain relative path"
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts[:-1]) or parts[-1] in (".", ".."):
        return "it has an empty, '.' or '..' part"
    if parts[0].lower() in RESERVED:
        return f"{parts[0]!r} is a name the freeze keeps in its output"
    return None


def resolves_inside(path: Path, root: Path) -> bool:
    """Tell whether a path, its symlinks followed, is inside root (itself resolved)."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))
