"""Search: a sharded index for the browser and the same ranking on the server.

The browser fetches nothing large up front. On focus it fetches `search/index.json`: the names of the files
that exist. A query then fetches the posting shards that can hold terms starting with each word (one shard per
two-letter term prefix, split by a longer prefix where it would be large: a term is in the shard of its longest
prefix that names one, so prefix matches need nothing else) and, for words of five letters or more,
the few vocabulary buckets where a term one typo away can be (see `typo_buckets`). Then one small file per
shown result (title, URL, date, summary) and one text chunk per shown result for its snippet.
static/search.js mirrors `rank`, `snippet` and `typo_buckets` below; keep them in step.
"""

import bisect
import hashlib
import html
import json
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field

from .content import Post
from .terms import STOP_WORDS, tokenize

EXACT, PREFIX, TYPO = 4, 2, 1
TITLE_BONUS = 100
MAX_TF = 20
SNIPPET_CHARS = 180
SUMMARY_CHARS = 300
# A posting shard longer than this (JSON characters) is split by one more letter of prefix, so that a query for a
# common prefix ("re", "co") does not fetch the postings of every term that starts with it.
SHARD_CHARS = 40_000
SHARD_PREFIX_MAX = 12  # characters: a shard's name is a file name
# An index is patched from the last build's when at most this share of its posts changed (and never more than
# PATCH_MAX): taking a post out looks at every term's postings, so patching many would cost as much as a build.
PATCH_SHARE = 20
PATCH_MAX = 8


def shard_name(term: str, length: int = 2) -> str:
    """Name the posting shard of a term prefix by the code points of its first `length` characters."""
    return "-".join(f"{ord(c):x}" for c in term[:length])


def _bucket(place: str, length: int, letter: str) -> str:
    """Name a typo bucket: terms of this length with this letter first ("f") or second ("s"), in hex."""
    return f"{place}{length}-{ord(letter):x}"


def vocab_names(term: str) -> tuple[str, str]:
    """Name the two typo buckets a term is listed in: by its length and first letter, by its length and second
    letter (code points in hex)."""
    return _bucket("f", len(term), term[0]), _bucket("s", len(term), term[1])


def typo_buckets(word: str) -> list[str]:
    """Name the buckets that hold every term one edit from `word` (a word of two letters or more).

    A term one edit away keeps the word's first letter unless the edit is at the start. Deleting the first
    letter or swapping the first two puts the second letter first; replacing the first letter keeps the second;
    inserting a letter in front moves the first letter to second place. Lengths differ by at most one.
    """
    n, first, second = len(word), word[0], word[1]
    names = [_bucket("f", length, first) for length in (n - 1, n, n + 1)]
    names += [_bucket("f", n - 1, second), _bucket("f", n, second), _bucket("s", n, second),
              _bucket("s", n + 1, first)]
    return list(dict.fromkeys(names))


def within_one_edit(a: str, b: str) -> bool:
    """Tell whether b is one insertion, deletion, substitution or swap of neighbours away from a."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        swapped = i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]
        return a[i + 1:] == b[i + 1:] or swapped
    return a[i:] == b[i + 1:]


def post_identity(post: Post) -> bytes:
    """Digest what the index takes from a post: its title, its words, their counts and chunks."""
    digest = hashlib.sha256(post.title.encode())
    digest.update(b"\0" + post.terms.words_text.encode() + b"\0")
    digest.update(post.terms.numbers.tobytes())
    return digest.digest()


@dataclass(frozen=True)
class SearchState:
    """What an index keeps for the next build to patch: each post's identity, then the index and its JSON."""

    identities: tuple[bytes, ...]
    titles: list[set[str]]
    title_docs: dict[str, set[int]]
    postings: dict[str, array]
    vocabulary: list[str]
    entries: dict[str, str]
    buckets: dict[str, str]


@dataclass
class SearchIndex:
    posts: tuple[Post, ...]
    titles: list[set[str]] = field(default_factory=list)
    title_docs: dict[str, set[int]] = field(default_factory=dict)
    # term -> flat [post, count, chunk, post, count, chunk, ...], in post order: small for large blogs.
    postings: dict[str, array] = field(default_factory=dict)
    vocabulary: list[str] = field(default_factory=list)
    _entries: dict[str, str] | None = None  # term -> its JSON member in a shard
    _shards: dict[str, str] | None = None
    _buckets: dict[str, str] | None = None
    identities: tuple[bytes, ...] | None = None

    @classmethod
    def build(cls, posts: tuple[Post, ...], previous: SearchState | None = None) -> "SearchIndex":
        """Merge the posts' term counts into one inverted index: patched from the previous build's state when
        only a few posts changed in place (the same number of posts), else made anew."""
        if not isinstance(previous, SearchState):
            previous = None  # nothing kept, or not by this code
        if previous is not None:
            identities = tuple(post_identity(post) for post in posts)
            index = cls._patched(posts, identities, previous)
            if index is not None:
                return index
        index = cls(posts)
        postings = index.postings
        for number, post in enumerate(posts):
            index.titles.append(set(tokenize(post.title)))
            for term in index.titles[-1]:
                index.title_docs.setdefault(term, set()).add(number)
            n = post.terms.numbers
            # Hundreds of thousands of entries on a large blog: no indexing and no array made per entry.
            for term, count, chunk in zip(post.terms.words, n[0::2], n[1::2], strict=True):
                found = postings.get(term)
                if found is None:
                    found = postings[term] = array("I")
                found.extend((number, count, chunk))
        index.vocabulary = sorted(set(index.postings) | set(index.title_docs))
        if previous is not None:
            index.identities = identities
        return index

    @classmethod
    def _patched(cls, posts: tuple[Post, ...], identities: tuple[bytes, ...],
                 state: SearchState) -> "SearchIndex | None":
        """Return the state's index with the posts whose identity changed taken out and put in again; None when
        the posts are not the same number or too many changed."""
        if len(state.identities) != len(posts):
            return None
        changed = [n for n, (before, now) in enumerate(zip(state.identities, identities, strict=True))
                   if before != now]
        if len(changed) > min(PATCH_MAX, len(posts) // PATCH_SHARE):
            return None
        index = cls(posts, state.titles, state.title_docs, state.postings, state.vocabulary, state.entries,
                    identities=identities)
        postings, title_docs, touched = index.postings, index.title_docs, set()
        for number in changed:
            post, before = posts[number], index.titles[number]
            index.titles[number] = set(tokenize(post.title))
            for term in before ^ index.titles[number]:  # a title term kept keeps its entry
                docs = title_docs.setdefault(term, set())
                docs.symmetric_difference_update((number,))
                if not docs:
                    del title_docs[term]
                touched.add(term)
            removed = {}
            for term, flat in postings.items():
                at = bisect.bisect_left(flat[0::3], number) * 3
                if at < len(flat) and flat[at] == number:
                    removed[term] = (flat[at + 1], flat[at + 2])
                    del flat[at:at + 3]
            n = post.terms.numbers
            for term, count, chunk in zip(post.terms.words, n[0::2], n[1::2], strict=True):
                flat = postings.get(term)
                if flat is None:
                    flat = postings[term] = array("I")
                at = bisect.bisect_left(flat[0::3], number) * 3
                flat[at:at] = array("I", (number, count, chunk))
                if removed.pop(term, None) != (count, chunk):  # most of an edited post's words are as they were
                    touched.add(term)
            touched.update(removed)  # the words it no longer has
        for term in touched:
            if term in postings and not postings[term]:
                del postings[term]
        vocabulary = set(postings) | set(title_docs)
        if vocabulary != set(index.vocabulary):
            index.vocabulary = sorted(vocabulary)
        else:
            index._buckets = state.buckets  # they list the vocabulary alone
        for term in touched:
            if term in vocabulary:
                index._entries[term] = index._entry(term)
            else:
                index._entries.pop(term, None)
        return index

    def state(self) -> SearchState:
        """Return what the next build needs to patch this index (the shards and buckets are made if not yet)."""
        if self.identities is None:
            self.identities = tuple(post_identity(post) for post in self.posts)
        self.shards()
        return SearchState(self.identities, self.titles, self.title_docs, self.postings, self.vocabulary,
                           self._entries, self.buckets())

    def candidates(self, word: str) -> list[tuple[str, int]]:
        """Return the vocabulary terms a query word matches, with their weight."""
        found = []
        start = bisect.bisect_left(self.vocabulary, word)
        for term in self.vocabulary[start:]:
            if not term.startswith(word):
                break
            found.append((term, EXACT if term == word else PREFIX))
        if len(word) >= 5:
            found.extend((t, TYPO) for t in self.vocabulary if not t.startswith(word) and within_one_edit(word, t))
        return found

    def entries(self, term: str) -> dict[int, tuple[int, int]]:
        """Return a term's postings as {post number: (count, chunk)}."""
        flat = self.postings.get(term, ())
        return {flat[i]: (flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3)}

    def rank(self, query: str) -> list[tuple[int, int, list[tuple[str, int]]]]:
        """Rank posts matching every query word: (post number, score, matched terms), best first."""
        words = [w for w in dict.fromkeys(tokenize(query)) if w not in STOP_WORDS]
        if not words:
            return []
        totals: dict[int, int] | None = None
        matched: dict[int, list[tuple[str, int]]] = {}
        for word in words:
            scores: dict[int, int] = {}
            for term, weight in self.candidates(word):
                entries = self.entries(term)
                for doc in set(entries) | self.title_docs.get(term, set()):
                    tf = entries.get(doc, (0, 0))[0]
                    score = weight * (TITLE_BONUS * (term in self.titles[doc]) + min(tf, MAX_TF))
                    if score > scores.get(doc, 0):
                        scores[doc] = score
                    matched.setdefault(doc, []).append((term, weight * min(tf, MAX_TF)))
            if totals is None:
                totals = scores
            else:
                totals = {d: s + scores[d] for d, s in totals.items() if d in scores}
        ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
        return [(doc, score, matched[doc]) for doc, score in ranked]

    def snippet(self, number: int, terms: list[tuple[str, int]]) -> str:
        """Return HTML of the passage around the best body match, matched words in <mark>."""
        post = self.posts[number]
        body = [(w, t) for t, w in terms if number in self.entries(t)]
        if not body:
            return highlight(post.summary[:SUMMARY_CHARS], [t for t, _ in terms])
        _, best = max(body)
        chunk = post.terms.chunks[self.entries(best)[number][1]]
        return passage(chunk, best, [t for t, _ in terms])

    def client_index(self) -> str:
        """Return index.json: how many posts there are and the names of the shards and typo buckets."""
        return safe_json({"version": 2, "docs": len(self.posts), "shards": sorted(self.shards()),
                          "vocab": sorted(self.buckets())})

    def client_doc(self, number: int, url: str, date: str) -> str:
        """Return what a shown result needs of a post: [title, URL, date, start of the summary]."""
        post = self.posts[number]
        return safe_json([post.title, url, date, post.summary[:SUMMARY_CHARS]])

    def shards(self) -> dict[str, str]:
        """Return every posting shard as JSON text: term -> [[posts with it in the title], [post, count, chunk,
        post, count, chunk, ...]] (made once)."""
        if self._shards is None:
            if self._entries is None:
                # Each term's entry is written once, as the text it has in any shard: a shard too large is
                # split, and its terms' text serves the smaller shards as it is.
                self._entries = {term: self._entry(term) for term in self.vocabulary}
            self._shards = {}
            _fill_shards(self.vocabulary, 2, self._entries, self._shards)
        return self._shards

    def _entry(self, term: str) -> str:
        flat = self.postings.get(term)
        return safe_json({term: [sorted(self.title_docs.get(term, ())), flat.tolist() if flat else []]})[1:-1]

    def buckets(self) -> dict[str, str]:
        """Return every typo bucket as JSON text: the sorted terms of four letters or more with that length and
        that first (or second) letter (made once)."""
        if self._buckets is None:
            grouped: dict[str, list[str]] = {}
            for term in self.vocabulary:
                if len(term) >= 4:
                    for name in vocab_names(term):
                        grouped.setdefault(name, []).append(term)
            self._buckets = {name: safe_json(terms) for name, terms in grouped.items()}
        return self._buckets


def _fill_shards(terms: list[str], length: int, entries: dict[str, str], shards: dict[str, str]) -> None:
    """Group terms by their first `length` characters into shards; split a large group of several terms by one
    more character, keeping in it only the terms no longer than its prefix (entries: each term's JSON member)."""
    groups: dict[str, list[str]] = {}
    for term in terms:
        groups.setdefault(term[:length], []).append(term)
    for prefix, group in groups.items():
        text = "{" + ",".join(entries[term] for term in group) + "}"
        longer = [term for term in group if len(term) > length]
        if len(text) <= SHARD_CHARS or not longer or len(group) == 1 or length >= SHARD_PREFIX_MAX:
            shards[shard_name(prefix, length)] = text
            continue
        if len(longer) < len(group):  # the one term that is the prefix itself stays
            shards[shard_name(prefix, length)] = "{" + entries[prefix] + "}"
        _fill_shards(longer, length + 1, entries, shards)


def safe_json(data) -> str:
    """Serialise to JSON with <, > and & escaped, so the text is also safe inside HTML."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _word_pattern(terms: list[str]) -> re.Pattern:
    alternatives = "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?:{alternatives})", re.IGNORECASE)


def highlight(text: str, terms: list[str]) -> str:
    """Escape text and wrap the words that start with a matched term in <mark>."""
    if not terms:
        return html.escape(text)
    out, last = [], 0
    for m in _word_pattern(terms).finditer(text):
        out.append(html.escape(text[last:m.start()]))
        out.append(f"<mark>{html.escape(m.group(0))}</mark>")
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def passage(text: str, best: str, terms: list[str]) -> str:
    """Cut the window of text around the first use of `best` and highlight it."""
    m = _word_pattern([best]).search(text)
    start = max(0, (m.start() if m else 0) - SNIPPET_CHARS // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    prefix = "... " if start else ""
    suffix = " ..." if end < len(text) else ""
    return prefix + highlight(text[start:end], terms) + suffix


@dataclass(frozen=True)
class Result:
    post: Post
    score: int
    snippet: str


def search_index(site, previous: SearchState | None = None) -> SearchIndex:
    """Return the search index of a Site, built once per Site (patched from previous, if given and it can be)."""
    index = site.derived.get("search_index")
    if index is None:
        index = site.derived["search_index"] = SearchIndex.build(site.listed, previous)
    return index


def search_posts(site, query: str, limit: int = 20) -> tuple[list[Result], int]:
    """Search the site's listed posts on the server, ranked as search.js ranks them: the first results and
    how many there are in all."""
    index = search_index(site)
    ranked = index.rank(query)
    return [Result(index.posts[doc], score, index.snippet(doc, terms)) for doc, score, terms in ranked[:limit]], \
        len(ranked)


INDEX_ENTRY_START = b'{"title":'  # how every entry index_json_entry makes begins


def index_json_entry(post: Post, permalink) -> bytes:
    """Return a post's entry of the full-text index.json: PaperMod's shape (title, content, permalink, summary)."""
    return safe_json({"title": post.title, "content": " ".join(post.terms.chunks), "permalink": permalink(post),
                      "summary": post.summary}).encode()


def index_json_parts(site, permalink) -> Iterator[bytes]:
    """Yield the PaperMod-shaped full-text index in pieces, one post at a time (it is large: keep it lazy).

    permalink(post) gives a post's absolute URL. (A freeze writes it with quire.index_file.)
    """
    yield b"["
    for number, post in enumerate(site.listed):
        if number:
            yield b","
        yield index_json_entry(post, permalink)
    yield b"]"
