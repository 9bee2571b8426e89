"""The one list of site settings, with defaults and help, and the site.toml reader."""

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS = (
    Setting("title", "My Blog", "Site title, shown in the header, the page titles and the feeds."),
    Setting("description", "", "One-line site description for the home page's meta tags and the feeds."),
    Setting("author", "", "Default author of every post; a post's `author` overrides it."),
    Setting("base_url", "http://localhost:5000/",
            "Absolute URL the site is published at (may have a path, e.g. `https://example.org/blog/`); "
            "used for canonical links, feeds and the sitemap."),
    Setting("language", "en", "Language code for `<html lang>` and the feeds."),
    Setting("timezone", "UTC", "IANA time zone that dates without an offset are in, e.g. `America/Los_Angeles`."),
    Setting("posts_per_page", 10, "Posts per page on the home page and tag pages."),
    Setting("summary_words", 70, "Length in words of a summary cut from the post text."),
    Setting("date_format", "%B %-d, %Y", "strftime format for dates shown to readers (`%-d`: day without a zero)."),
    Setting("menu", [], "Header menu: a list of `{name, url, external}` tables; `external = true` opens "
                        "in a new tab and is marked with an arrow."),
    Setting("social", [], "Social icons on the home-info card: a list of `{name, url}` tables; names with an "
                          "icon: twitter, x, scholar, rss, github, mastodon, linkedin, email."),
    Setting("home_info_title", "", "Heading of the welcome card on the first home page (empty: no card)."),
    Setting("home_info_text", "", "Markdown text of the welcome card."),
    Setting("footer_text", "", "Extra Markdown shown in the footer above the copyright line."),
    Setting("math", True, "Render math with MathJax on pages that contain math (`false`: never load it)."),
    Setting("mathjax_url", "https://cdn.jsdelivr.net/npm/mathjax@3/es5/startup.js",
            "Where MathJax 3 is loaded from; point it at a self-hosted copy of its `es5/` folder, e.g. "
            "`/static/mathjax/es5/startup.js` (a combined file such as `tex-chtml.js` works too)."),
    Setting("default_theme", "auto", "Colour theme before the reader picks one: `auto` (follow the OS), "
                                     "`light` or `dark`."),
    Setting("share_links", True, "Show share links (X, LinkedIn, Hacker News, email) under each post."),
    Setting("drafts", False, "Show drafts and future-dated posts (for previewing; the environment variable "
                             "`QUIRE_DRAFTS=1` does the same)."),
    Setting("feed_items", 20, "Number of newest posts in each feed."),
    Setting("full_text_feed", False, "Put each post's full HTML in the feeds (`content:encoded`), not only "
                                     "the summary."),
    Setting("related_posts", 3, "How many related posts (by shared tags, then recency) to list under a post."),
    Setting("toc_depth", 4, "Deepest heading level (1-6) listed in a post's table of contents."),
    Setting("smart_punctuation", True, "Typographic punctuation in prose: `---` and `--` become em and en "
                                       "dashes, straight quotes curly, `...` an ellipsis (never in code, math, "
                                       "URLs or raw HTML)."),
    Setting("toc_side", True, "On screens 1280 px wide and wider, show the table of contents in the left margin, "
                              "following the reader and marking the section in view."),
    Setting("sidenotes", True, "On screens 1280 px wide and wider, show footnotes in the right margin beside "
                               "their references (the footnotes stay at the bottom elsewhere and in feeds)."),
    Setting("citation", True, "End each post with a \"Cited as\" block (a reference line and a BibTeX entry) and "
                              "give its head Google Scholar's `citation_*` meta tags; a post's `citation: false` "
                              "leaves it out."),
    Setting("author_cite", "", "The author's name as cited, family name first: `Weng, Lilian` (default: made from "
                               "`author`, `Lilian Weng` giving `Weng, Lilian`); a post's `author_cite` overrides it."),
    Setting("citation_journal", "", "The BibTeX `journal` of the citation (default: the host of `base_url`, such as "
                                    "`lilianweng.github.io`)."),
    Setting("equation_numbers", "ams", "How MathJax numbers display equations: `ams` (numbered environments such as "
                                       "`equation` and `align`), `all` (every display) or `none`."),
    Setting("edit_url", "", "Adds a \"Suggest changes\" link to each post and page: this address followed by the "
                            "source file's path in the site folder (`posts/x.md`, `posts/x/index.md` for a "
                            "bundle), e.g. "
                            "`https://github.com/USER/REPO/edit/main/` (a site in a subfolder of its repository "
                            "adds the folder: `.../edit/main/blog/`). Empty: no link."),
    Setting("live_reload_streams", 16, "Under `flask run --debug`, how many tabs at once reload themselves when a "
                                       "file changes; further tabs work without it (`0`: live reload off)."),
    Setting("og_image", "", "The image of social cards (`og:image`) for pages without a cover or figure of their "
                            "own: a path on the site (`/static/card.png`) or a full `https://` URL. Empty: pages "
                            "without an image get a small `summary` card."),
    Setting("mermaid_url", "https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.min.js",
            "Where Mermaid 11 is loaded from, on pages with a ```` ```mermaid ```` diagram only; point it at a "
            "self-hosted copy, e.g. `/static/mermaid/mermaid.min.js` (a path follows the site's base path)."),
)

DEFAULTS = {s.name: s.default for s in SETTINGS}
THEMES = ("auto", "light", "dark")
EQUATION_NUMBERS = ("ams", "all", "none")
NOT_IN_URL = re.compile(r"[\x00-\x20\x7f\"<>\\^`{|}]")


TYPE_NAMES = {bool: "true or false", int: "an integer", str: "a string", list: "a list"}


class SettingsError(Exception):
    """A site.toml that cannot be used: the file, the line and what to fix, as one line."""

    def __init__(self, path: str, message: str, line: int | None = None):
        super().__init__(message)
        self.path, self.message, self.line = path, message, line

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: error: {self.message}"


def load_settings(site_dir: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read site.toml over the defaults, apply overrides, and check every value."""
    path = site_dir / "site.toml"
    values = dict(DEFAULTS)
    text = ""
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8-sig")
            data = tomllib.loads(text)
        except UnicodeDecodeError as exc:
            raise SettingsError(str(path), "not UTF-8: save the file as UTF-8") from exc
        except tomllib.TOMLDecodeError as exc:
            found = re.search(r"\(at line (\d+)", str(exc))
            reason = re.sub(r"\s*\(at line.*\)$", "", str(exc))
            raise SettingsError(str(path), f"bad TOML: {reason}; fix the syntax",
                                int(found.group(1)) if found else None) from None
        for name in sorted(set(data) - set(DEFAULTS)):
            close = difflib.get_close_matches(name, DEFAULTS, n=1, cutoff=0.7)
            hint = f"did you mean `{close[0]}`?" if close else "see README's settings reference"
            raise SettingsError(str(path), f"unknown setting `{name}`: {hint}", _line(text, name))
        values.update(data)
    values.update(overrides or {})
    try:
        _check(values)
    except ValueError as exc:
        name = exc.args[1] if len(exc.args) > 1 else ""
        raise SettingsError(str(path), str(exc.args[0]), _line(text, name) if name else None) from None
    return values


def _line(text: str, name: str) -> int | None:
    """Find the line where a setting is written, for error messages."""
    match = re.search(rf"^\s*{re.escape(name)}\s*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _check(values: dict[str, Any]) -> None:
    """Raise ValueError(message, setting name) where a value has the wrong type or range."""
    for setting in SETTINGS:
        value, default = values[setting.name], setting.default
        expected = type(default)
        ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        if not ok:
            raise ValueError(f"`{setting.name}` must be {TYPE_NAMES[expected]}, not {value!r}", setting.name)
    for name in ("posts_per_page", "summary_words", "feed_items"):
        if values[name] < 1:
            raise ValueError(f"`{name}` must be at least 1", name)
    if not 1 <= values["toc_depth"] <= 6:
        raise ValueError("`toc_depth` must be between 1 and 6", "toc_depth")
    if values["default_theme"] not in THEMES:
        raise ValueError(f"`default_theme` must be one of {', '.join(THEMES)}", "default_theme")
    try:
        ZoneInfo(values["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {values['timezone']!r}: use an IANA name such as "
                         f"`Europe/Paris`", "timezone") from None
    if values["equation_numbers"] not in EQUATION_NUMBERS:
        raise ValueError(f"`equation_numbers` must be one of {', '.join(EQUATION_NUMBERS)}", "equation_numbers")
    if values["live_reload_streams"] < 0:
        raise ValueError("`live_reload_streams` must be 0 or more", "live_reload_streams")
    if values["edit_url"]:
        parts = urlsplit(values["edit_url"])
        if parts.scheme not in ("http", "https") or not parts.netloc or NOT_IN_URL.search(values["edit_url"]):
            raise ValueError("`edit_url` must be a full address such as https://github.com/USER/REPO/edit/main/",
                             "edit_url")
        if not values["edit_url"].endswith("/"):
            values["edit_url"] += "/"
    if not values["base_url"].endswith("/"):
        values["base_url"] += "/"
    for name in ("menu", "social"):
        for entry in values[name]:
            if not isinstance(entry, dict) or not {"name", "url"} <= set(entry):
                raise ValueError(f"each `{name}` entry needs `name` and `url`, as in "
                                 f'{{ name = "Tags", url = "/tags/" }}', name)
