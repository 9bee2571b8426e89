"""How to cite a post: Lil'Log's "Cited as" line and BibTeX entry, and Google Scholar's meta tags."""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .content import Post
from .front_matter import boolean, clean_text
from .paths import ascii_slug

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
KEY = re.compile(r"\A[A-Za-z0-9_:.-]+\Z")
DATE_PREFIX = re.compile(r"\A\d{4}-\d{1,2}-\d{1,2}-?")
# In a BibTeX value each of these would end the value, start a comment or a macro: escape it.
BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&", "#": r"\#",
                  "_": r"\_", '"': "{\"}", "$": r"\$", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
BIBTEX_ESCAPE = re.compile("|".join(re.escape(c) for c in BIBTEX_SPECIAL))
REFERENCES = ("references", "reference")
FOOTNOTES = '<section class="footnotes">'


@dataclass(frozen=True)
class Citation:
    author: str  # family name first: "Weng, Lilian"
    title: str
    site: str
    journal: str
    year: int
    month: str
    url: str
    key: str

    @property
    def line(self) -> str:
        """The reference as a sentence, Lil'Log's shape."""
        return f"{self.author.rstrip('.')}. ({self.month} {self.year}). “{self.title}”. {self.site}. {self.url}."

    @property
    def bibtex(self) -> str:
        """The BibTeX entry, every value escaped so that it parses."""
        fields = (("title", self.title), ("author", self.author), ("journal", self.journal),
                  ("year", str(self.year)), ("month", self.month), ("url", self.url))
        body = ",\n".join(f'  {name:<7} = "{bibtex_escape(value)}"' for name, value in fields)
        return f"@article{{{self.key},\n{body}\n}}"


def bibtex_escape(value: str) -> str:
    """Escape a value for a double-quoted BibTeX field (non-ASCII letters are kept: BibTeX reads UTF-8)."""
    return BIBTEX_ESCAPE.sub(lambda m: BIBTEX_SPECIAL[m.group(0)], " ".join(value.split()))


def cited_name(author: str) -> str:
    """Turn `Lilian Weng` into `Weng, Lilian`; a name with a comma is taken as already in that form."""
    author = " ".join(author.split())
    if "," in author or " " not in author:
        return author
    first, family = author.rsplit(" ", 1)
    return f"{family}, {first}"


def _ascii_word(text: str) -> str:
    return ascii_slug(text).replace("-", "")


def citation_key(author: str, year: int, slug: str) -> str:
    """Make `weng2023agent`: the family name, the year and the first word of the slug after its date."""
    words = [w for w in re.split(r"[-_\s]+", DATE_PREFIX.sub("", slug)) if _ascii_word(w)]
    return _ascii_word(author.split(",")[0]) + str(year) + (_ascii_word(words[0]) if words else "")


def key_problem(key: str) -> str | None:
    """Say why a front-matter `citation_key` cannot stand in a BibTeX entry, or None."""
    if KEY.match(key):
        return None
    return f"'citation_key' {key!r} may only have letters, digits and _ - : . (no spaces, commas or braces)"


def make_citation(post: Post, settings: dict[str, Any], url: str) -> Citation | None:
    """Return how to cite a post, or None where the site or the post turns it off (or no author is known)."""
    if post.kind != "post" or not settings["citation"] or not boolean(post.meta.get("citation"), True):
        return None
    author = clean_text(post.meta.get("author_cite") or "").strip() or settings["author_cite"] or \
        cited_name(post.author)
    if not author:
        return None
    journal = settings["citation_journal"] or urlsplit(settings["base_url"]).hostname or settings["title"]
    key = str(post.meta.get("citation_key") or "").strip()
    if not key or key_problem(key):
        key = citation_key(author, post.date.year, post.slug)
    return Citation(author, post.title, settings["title"], journal, post.date.year, MONTHS[post.date.month - 1],
                    url, key)


def split_at_references(html: str, headings) -> tuple[str, str]:
    """Split a post's HTML where its citation goes: before a final "References" heading, else before the
    footnotes, else at the end."""
    if headings and headings[-1].text.strip().rstrip(":").lower() in REFERENCES:
        at = html.rfind(f'<h{headings[-1].level} id="{headings[-1].id}">')
        if at >= 0:
            return html[:at], html[at:]
    at = html.rfind(FOOTNOTES)
    if at >= 0 and html.rstrip().endswith("</section>"):
        return html[:at], html[at:]
    return html, ""
