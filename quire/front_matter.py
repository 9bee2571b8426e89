"""The one list of front-matter keys, with type, default, help and where each applies; checking values by it."""

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

TEXT, DATE, BOOL, WHOLE, TEXTS, PATHS = "text", "date", "true/false", "whole number", "text list", "path list"
BOOLEAN_WORDS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
WEIGHT_RANGE = 1_000_000_000
# Characters XML 1.0 forbids (and lone surrogates, which cannot be encoded): feeds with them are ill-formed.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class Key:
    name: str
    type: str
    default: Any
    help: str
    applies: str = "both"  # "post", "page" or "both"
    required: tuple[str, ...] = ()  # the kinds (post, page) that must set it


FRONT_MATTER = (
    Key("title", TEXT, None, "The title (plain text, never HTML).", required=("post", "page")),
    Key("date", DATE, None, "`2024-11-28`, `2024-11-28 10:00:00` or `2024-11-28T10:00:00+01:00`. Dates "
                            "without an offset are in the site's `timezone`. Pages need none unless "
                            "they are `listed`.", required=("post",)),
    Key("updated", DATE, None, "Shown as \"Updated on ...\" and used in feeds and the sitemap."),
    Key("slug", TEXT, None, "The URL name, instead of the file name (no `/ \\ ? # % [ ]`)."),
    Key("tags", TEXTS, [], "A list, or a space- or comma-separated string. Tags whose slugs match (`auto-ML`, "
                           "`Auto ML`) are one tag, shown as first written."),
    Key("author", TEXT, None, "Overrides the site's `author`."),
    Key("summary", TEXT, None, "The summary on list pages and in feeds. Without it: the text before "
                               "`<!--more-->`, else the first `summary_words` words (code blocks left out, images as "
                               "their alt text), as plain text."),
    Key("description", TEXT, None, "The meta description; defaults to the summary."),
    Key("draft", BOOL, False, "`true` hides the post everywhere unless drafts are on (`drafts = true` or "
                              "`QUIRE_DRAFTS=1`). Posts dated in the future are hidden the same way."),
    Key("toc", BOOL, True, "`false` turns the table of contents off."),
    Key("math", BOOL, None, "Load MathJax (`true`/`false`); detected from the content when absent."),
    Key("weight", WHOLE, 0, "Pins the post: posts with a weight above 0 come first, lowest weight first."),
    Key("aliases", PATHS, [], "Old URLs of the post, paths on this site such as "
                              "`[\"/lil-log/2018/06/24/attention-attention.html\"]`; each serves a redirect page."),
    Key("citation", BOOL, True, "`false` leaves out the \"Cited as\" block and the Scholar meta tags.",
        applies="post"),
    Key("author_cite", TEXT, None, "The author as cited (`Weng, Lilian`); overrides the site's `author_cite`.",
        applies="post"),
    Key("citation_key", TEXT, None, "The BibTeX key (letters, digits, `_ - : .`); default: family name, year and "
                                    "the slug's first word, as `weng2023agent`.", applies="post"),
    Key("series", TEXT, None, "The series the post belongs to (`Diffusion models`): each post of a series shows a "
                              "box listing the series' posts in date order, and `/series/<name>/` lists them.",
        applies="post"),
    Key("cover", TEXT, None, "The image for social cards (`og:image`): a file of the post's bundle (`cover.png`), "
                             "a path on the site (`/static/x.png`) or a full `https://` URL. Default: the post's "
                             "first figure, else the site's `og_image`."),
    Key("cover_alt", TEXT, None, "The cover's text alternative (`og:image:alt`, `twitter:image:alt`)."),
    Key("listed", BOOL, None, "`true` lists the page with the posts (posts are listed unless `false`).",
        applies="page"),
)

KEYS = {key.name: key for key in FRONT_MATTER}


def type_problem(key: Key, value: Any) -> str | None:
    """Say why a value does not fit its key's type and range, or None (None values mean 'not set')."""
    if value is None:
        return None
    checker = {TEXT: _text, DATE: _date, BOOL: _bool, WHOLE: _whole, TEXTS: _texts, PATHS: _paths}[key.type]
    return checker(key.name, value)


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, date)) and not isinstance(value, bool)


def _text(name: str, value: Any) -> str | None:
    if _scalar(value) or isinstance(value, bool):
        return None
    return f"'{name}' must be text, not a {_kind(value)}: {_short(value)}"


def _date(name: str, value: Any) -> str | None:
    if isinstance(value, date) or (isinstance(value, str) and value.strip()):
        return None
    return (f"'{name}' {_short(value)} is not a date: write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+HH:MM")


def _bool(name: str, value: Any) -> str | None:
    if isinstance(value, bool) or (isinstance(value, str) and value.lower() in BOOLEAN_WORDS):
        return None
    return f"'{name}' must be true or false, not {_short(value)}"


def _whole(name: str, value: Any) -> str | None:
    number = value
    if isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            number = None
    if isinstance(number, float) and math.isfinite(number) and number.is_integer():
        number = int(number)
    if not isinstance(number, int) or isinstance(number, bool):
        return f"'{name}' must be a whole number, not {_short(value)}"
    if abs(number) > WEIGHT_RANGE:
        return f"'{name}' {number} is out of range: use a number between -{WEIGHT_RANGE:,} and {WEIGHT_RANGE:,}"
    return None


def _texts(name: str, value: Any) -> str | None:
    if _scalar(value):
        return None
    if isinstance(value, list) and all(v is None or _scalar(v) for v in value):
        return None
    return f"'{name}' must be a list of names or one string, not {_short(value)}"


def _paths(name: str, value: Any) -> str | None:
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return None
    return f"'{name}' must be a list of paths such as [\"/old/url/\"], not {_short(value)}"


def whole(value: Any) -> int:
    """Return a checked whole-number value as an int (0 when not set)."""
    return int(float(value)) if isinstance(value, float) else int(value or 0)


def boolean(value: Any, default: bool) -> bool:
    """Return a checked true/false value as a bool."""
    if value is None:
        return default
    return value if isinstance(value, bool) else BOOLEAN_WORDS[value.lower()]


def clean_text(value: Any) -> str:
    """Return a scalar as text without the characters XML forbids (a feed with them is ill-formed)."""
    return XML_FORBIDDEN.sub("", str(value))


def control_characters(value: Any) -> list[str]:
    """List the forbidden characters in a value or in the items of a list value, as U+XXXX."""
    items = value if isinstance(value, list) else [value]
    return sorted({f"U+{ord(c):04X}" for item in items if isinstance(item, str) for c in XML_FORBIDDEN.findall(item)})


def near_miss(name: str, present: set[str]) -> str | None:
    """Return the known key an unknown key is probably a misspelling of (edit distance 2 at most), or None.

    None too when the nearest known key is set as well (`data` beside `date` is a key of its own), unless the
    two differ only in case (`Title` is never meant as a key of its own).
    """
    if name in KEYS:
        return None
    distance, key = min((_distance(name.lower(), key), key) for key in KEYS)
    if distance == 0:
        return key
    if distance > 2 or distance >= len(name) or key in present:
        return None
    return key


def _distance(a: str, b: str) -> int:
    """Levenshtein distance between two short strings."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _kind(value: Any) -> str:
    return {list: "list", dict: "mapping"}.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
