"""Check a frozen site folder: every internal href and src, and every #fragment, must resolve."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        if tag == "a" and values.get("name"):
            self.ids.add(values["name"])
        for name in ("href", "src"):
            if values.get(name) and not (tag == "link" and values.get("rel") in ("canonical", "alternate")):
                self.links.append(values[name])
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            target = re.sub(r"^\d+;\s*url=", "", values.get("content", ""), flags=re.IGNORECASE)
            self.links.append(target)


def parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def url_to_file(root: Path, prefix: str, url_path: str) -> Path | None:
    """Map a URL path under the site's prefix to a file in the frozen folder."""
    if not url_path.startswith(prefix + "/"):
        return None
    rel = unquote(url_path[len(prefix) + 1:])
    target = root / rel
    if url_path.endswith("/"):
        target = target / "index.html"
    return target


def broken_links(root: Path, base_url: str = "https://example.org/") -> list[str]:
    """Return every internal link of the frozen site that does not resolve, as 'page: link'."""
    site = urlsplit(base_url)
    prefix = site.path.rstrip("/")
    pages = {p: parse(p) for p in root.rglob("*.html")}
    problems = []
    for page, parsed in pages.items():
        rel = page.relative_to(root).as_posix()
        page_url = f"{site.scheme}://{site.netloc}{prefix}/" + (rel.removesuffix("index.html"))
        for link in parsed.links:
            absolute = urljoin(page_url, link)
            parts = urlsplit(absolute)
            if parts.scheme not in ("http", "https") or parts.netloc != site.netloc:
                continue
            target = url_to_file(root, prefix, parts.path or "/")
            if target is None or not target.is_file():
                problems.append(f"{rel}: {link}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(parts.fragment) not in ids and parts.fragment != "top":
                    problems.append(f"{rel}: {link} (no id {parts.fragment!r})")
    return problems
