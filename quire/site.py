"""The corpus as a whole: visible posts, pages, tags, archives, pagination, neighbours, related posts."""

import functools
import itertools
import math
import operator
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .content import ContentError, Post, Tag
from .store import Snapshot, replaced


@dataclass(frozen=True)
class Pagination:
    number: int
    pages: int
    items: tuple[Post, ...]
    total: int

    @property
    def prev(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


@dataclass(frozen=True)
class TagGroup:
    tag: Tag
    posts: tuple[Post, ...]


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    posts: tuple[Post, ...]


@dataclass(frozen=True)
class Year:
    year: int
    months: tuple[Month, ...]

    @property
    def count(self) -> int:
        return sum(len(m.posts) for m in self.months)


def sort_key(post: Post):
    """Order pinned posts (weight > 0) first by weight, then newest first, then by title."""
    pinned = post.weight > 0
    return (not pinned, post.weight if pinned else 0, -post.date.timestamp(), post.title, post.slug)


def _placement(post: Post) -> tuple:
    """What decides where a post is shown, listed, grouped and named: its edits that keep this move nothing."""
    return (post.source, post.slug, post.title, post.date, post.weight, post.listed, post.draft,
            tuple((t.slug, t.name) for t in post.tags), post.series and (post.series.slug, post.series.name),
            post.aliases)


def _future(post: Post, now: datetime) -> bool:
    return post.date is not None and post.date > now


def paginate(posts: tuple[Post, ...], number: int, per_page: int) -> Pagination | None:
    """Return page `number` (from 1) of the posts, or None past the last page."""
    pages = max(1, math.ceil(len(posts) / per_page))
    if not 1 <= number <= pages:
        return None
    start = (number - 1) * per_page
    return Pagination(number, pages, posts[start:start + per_page], len(posts))


class Site:
    """Everything derived from one snapshot of the content, for one moment in time."""

    def __init__(self, snapshot: Snapshot, settings: dict[str, Any], now: datetime, show_drafts: bool):
        self.snapshot = snapshot
        self.settings = settings
        self.now = now
        visible = [p for p in snapshot.posts if show_drafts or (not p.draft and not _future(p, now))]
        future = [p.date for p in snapshot.posts if not p.draft and _future(p, now)]
        self.valid_until = min(future) if future and not show_drafts else None
        conflicts: list[ContentError] = []
        self.posts_by_slug: dict[str, Post] = {}
        self.pages_by_slug: dict[str, Post] = {}
        for post in sorted(visible, key=lambda p: p.source):
            table = self.posts_by_slug if post.kind == "post" else self.pages_by_slug
            if post.slug in table:
                conflicts.append(ContentError(post.source, f"slug '{post.slug}' is already used by "
                                                           f"{table[post.slug].source}; set a different 'slug'"))
                continue
            table[post.slug] = post
        self.conflicts = tuple(conflicts)
        # Files that cannot be read and files that clash with another: each one error, reported alike.
        self.errors: tuple[ContentError, ...] = snapshot.errors + self.conflicts
        self.listed: tuple[Post, ...] = tuple(sorted(
            (p for p in (*self.posts_by_slug.values(), *self.pages_by_slug.values()) if p.listed),
            key=sort_key))
        self.posts = tuple(p for p in self.listed if p.kind == "post")
        self.chronological = tuple(sorted((p for p in self.listed if p.kind == "post"),
                                          key=lambda p: (p.date, p.slug)))
        self._position = {id(p): i for i, p in enumerate(self.chronological)}
        self._related: dict[int, tuple[Post, ...]] = {}
        # Values other modules derive from this Site on demand (the search index), kept as long as it lives.
        self.derived: dict[str, object] = {}

    @classmethod
    def revised(cls, old: "Site", snapshot: Snapshot, now: datetime) -> "Site | None":
        """Return old's successor for a snapshot whose posts differ only in what places no post (their text,
        mostly), or None: a dev server's save then costs no sorting or grouping of the whole blog."""
        if len(snapshot.posts) != len(old.snapshot.posts) or (old.valid_until is not None and now >= old.valid_until):
            return None
        pairs: list[tuple[Post, Post]] = []
        for before, after in zip(old.snapshot.posts, snapshot.posts, strict=True):
            if before is not after:
                if _placement(before) != _placement(after):
                    return None
                pairs.append((before, after))
        site = cls.__new__(cls)
        site.snapshot, site.settings, site.now, site.valid_until = snapshot, old.settings, now, old.valid_until
        site.conflicts, site.errors = old.conflicts, snapshot.errors + old.conflicts
        site.posts_by_slug, site.pages_by_slug = dict(old.posts_by_slug), dict(old.pages_by_slug)
        site._position = dict(old._position)
        for before, after in pairs:
            table = site.posts_by_slug if before.kind == "post" else site.pages_by_slug
            if table.get(before.slug) is before:  # not a post that lost its slug to another
                table[before.slug] = after
            if id(before) in site._position:
                site._position[id(after)] = site._position.pop(id(before))
        site.listed, site.posts = replaced(old.listed, pairs), replaced(old.posts, pairs)
        site.chronological = replaced(old.chronological, pairs)
        site._related, site.derived = {}, {}
        # Groups already made are carried over, the edited posts' own groups with them in; the others are
        # made on first use.
        grouped = vars(old)
        if "tags" in grouped:
            site.tags = dict(old.tags)
            for slug in {t.slug for before, _ in pairs for t in before.tags if t.slug in old.tags}:
                site.tags[slug] = TagGroup(old.tags[slug].tag, replaced(old.tags[slug].posts, pairs))
        if "series" in grouped:
            site.series = dict(old.series)
            for slug in {b.series.slug for b, _ in pairs if b.series is not None and b.series.slug in old.series}:
                site.series[slug] = TagGroup(old.series[slug].tag, replaced(old.series[slug].posts, pairs))
        if "archives" in grouped:
            site.archives = tuple(Year(y.year, tuple(Month(m.year, m.month, replaced(m.posts, pairs))
                                                     for m in y.months)) for y in old.archives)
        if "aliases" in grouped:
            site.aliases = dict(old.aliases)
            for before, after in pairs:
                for alias in before.aliases:
                    if site.aliases.get(alias) is before:
                        site.aliases[alias] = after
        return site

    # Grouped on first use: a dev server builds a new Site after every save, and a post page needs few of them.
    @functools.cached_property
    def aliases(self) -> dict[str, Post]:
        """Map each alias path to the post or page that claims it first."""
        found: dict[str, Post] = {}
        for post in self.listed + tuple(p for p in self.pages_by_slug.values() if not p.listed):
            for alias in post.aliases:
                found.setdefault(alias, post)
        return found

    @functools.cached_property
    def tags(self) -> dict[str, TagGroup]:
        """Group the listed posts by tag slug, each tag named as its oldest post writes it."""
        return self._group_tags()

    @functools.cached_property
    def archives(self) -> tuple[Year, ...]:
        """Group the posts by year and month, newest first."""
        return self._group_archives()

    @functools.cached_property
    def series(self) -> dict[str, TagGroup]:
        """Group the posts of each series in reading order."""
        return self._group_series()

    def _group_tags(self) -> dict[str, TagGroup]:
        groups: dict[str, list[Post]] = defaultdict(list)
        names: dict[str, Tag] = {}
        for post in sorted(self.listed, key=lambda p: (p.date, p.source)):
            for tag in post.tags:
                names.setdefault(tag.slug, tag)
        for post in self.listed:
            for tag in post.tags:
                groups[tag.slug].append(post)
        return {slug: TagGroup(names[slug], tuple(groups[slug])) for slug in sorted(groups)}

    def _group_series(self) -> dict[str, TagGroup]:
        """Group the posts of each series, oldest first (reading order); named as its first post writes it."""
        groups: dict[str, list[Post]] = defaultdict(list)
        for post in self.chronological:
            if post.series is not None:
                groups[post.series.slug].append(post)
        return {slug: TagGroup(posts[0].series, tuple(posts)) for slug, posts in sorted(groups.items())}

    def _group_archives(self) -> tuple[Year, ...]:
        by_month: dict[tuple[int, int], list[Post]] = defaultdict(list)
        for post in sorted((p for p in self.listed if p.kind == "post"), key=lambda p: p.date, reverse=True):
            by_month[(post.date.year, post.date.month)].append(post)
        years: dict[int, list[Month]] = defaultdict(list)
        for (year, month), posts in sorted(by_month.items(), reverse=True):
            years[year].append(Month(year, month, tuple(posts)))
        return tuple(Year(y, tuple(ms)) for y, ms in sorted(years.items(), reverse=True))

    def neighbours(self, post: Post) -> tuple[Post | None, Post | None]:
        """Return the (older, newer) posts around a post, by date."""
        chain = self.chronological
        i = self._position.get(id(post))
        if i is None:
            return None, None
        older = chain[i - 1] if i > 0 else None
        newer = chain[i + 1] if i + 1 < len(chain) else None
        return older, newer

    def related(self, post: Post) -> tuple[Post, ...]:
        """Return the posts sharing most tags with this one, newest first among equals."""
        found = self._related.get(id(post))
        if found is None:
            found = self._related[id(post)] = self._find_related(post)
        return found

    def _find_related(self, post: Post) -> tuple[Post, ...]:
        limit = self.settings["related_posts"]
        mine = {t.slug for t in post.tags}
        if not mine or limit < 1:
            return ()
        # Counted in C, and only the groups with the most tags in common are sorted: every post page asks.
        shared = Counter(itertools.chain.from_iterable(self.tags[slug].posts for slug in mine if slug in self.tags))
        found: list[Post] = []
        for _, group in itertools.groupby(shared.most_common(), key=operator.itemgetter(1)):
            others = [other for other, _ in group if other is not post and other.kind == "post"]
            others.sort(key=lambda other: (-other.date.timestamp(), other.slug))
            found += others[:limit - len(found)]
            if len(found) == limit:
                break
        return tuple(found)

    def page(self, number: int) -> Pagination | None:
        """Return a page of the home list."""
        return paginate(self.listed, number, self.settings["posts_per_page"])
