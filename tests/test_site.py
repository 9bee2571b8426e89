"""Site: visibility, slug clashes, order, tags, archives, neighbours, related posts and pagination."""

from datetime import UTC, datetime

import pytest

from quire.content import ContentError
from quire.settings import DEFAULTS
from quire.site import Site, paginate
from quire.store import ContentStore, Snapshot

from conftest import post_text

NOW = datetime(2024, 12, 1, 12, 0, tzinfo=UTC)


def site_of(builder, now: datetime = NOW, drafts: bool = False, **settings) -> Site:
    """Load the builder's files as the app does and derive the Site at `now`."""
    values = dict(DEFAULTS, **settings)
    return Site(ContentStore(builder.root, values).snapshot(), values, now, drafts)


def slugs(posts) -> list[str]:
    return [p.slug for p in posts]


def listed_page(builder, name: str, date: str, **meta) -> None:
    builder.file(f"pages/{name}.md", post_text(name.title(), date, "Page text.", listed="true", **meta))


# Visibility


def test_drafts_and_future_posts_are_hidden_unless_drafts_are_shown(builder):
    builder.post("past", date="2024-05-01")
    builder.post("draft", date="2024-05-02", draft="true")
    builder.post("future", date="2025-01-01")
    builder.file("pages/about.md", "---\ntitle: About\n---\nNo date.\n")
    builder.file("pages/soon.md", post_text("Soon", "2025-02-01"))
    hidden = site_of(builder)
    assert sorted(hidden.posts_by_slug) == ["past"]
    assert sorted(hidden.pages_by_slug) == ["about"]
    assert slugs(hidden.listed) == ["past"]
    shown = site_of(builder, drafts=True)
    assert sorted(shown.posts_by_slug) == ["draft", "future", "past"]
    assert sorted(shown.pages_by_slug) == ["about", "soon"]
    assert slugs(shown.listed) == ["future", "draft", "past"]
    assert shown.valid_until is None  # nothing appears later when everything shows already


def test_valid_until_is_the_next_publication_and_never_a_drafts(builder):
    builder.post("past", date="2024-05-01")
    builder.post("draft", date="2024-12-15", draft="true")
    builder.post("later", date="2025-03-01")
    builder.post("next", date="2025-01-01 08:00:00")
    site = site_of(builder)
    assert site.valid_until == datetime(2025, 1, 1, 8, tzinfo=UTC)
    # At that very moment the post is published, and the next one sets the new limit.
    then = site_of(builder, now=site.valid_until)
    assert sorted(then.posts_by_slug) == ["next", "past"]
    assert then.valid_until == datetime(2025, 3, 1, tzinfo=UTC)


def test_valid_until_is_none_without_scheduled_posts(builder):
    builder.post("past", date="2024-05-01")
    builder.post("draft", date="2099-01-01", draft="true")
    site = site_of(builder)
    assert site.valid_until is None and slugs(site.listed) == ["past"]


# Slug clashes


def test_slug_clashes_are_errors_naming_both_files(builder):
    builder.post("first", title="First", slug="same")
    builder.post("second", title="Second", slug="same")
    builder.file("posts/same/index.md", post_text("Bundle", "2024-01-01"))
    builder.page("same", title="Same page")  # pages have URLs of their own: no clash with a post
    site = site_of(builder)
    assert site.posts_by_slug["same"].title == "First"
    assert site.pages_by_slug["same"].title == "Same page"
    assert all(isinstance(e, ContentError) for e in site.errors)
    assert [str(e) for e in site.errors] == [
        "posts/same/index.md: error: slug 'same' is already used by posts/first.md; set a different 'slug'",
        "posts/second.md: error: slug 'same' is already used by posts/first.md; set a different 'slug'",
    ]
    assert [p.title for p in site.listed] == ["First"]  # not the files that lost the slug


def test_the_first_file_by_name_keeps_the_slug_whatever_the_load_order(builder):
    builder.post("a", title="A", slug="same")
    builder.post("b", title="B", slug="same")
    loaded = ContentStore(builder.root, dict(DEFAULTS)).snapshot()
    assert [p.source for p in loaded.posts] == ["posts/a.md", "posts/b.md"]
    site = Site(Snapshot(loaded.key, loaded.posts[::-1], ()), dict(DEFAULTS), NOW, False)
    assert site.posts_by_slug["same"].source == "posts/a.md"
    assert [(e.path, e.message) for e in site.errors] == [
        ("posts/b.md", "slug 'same' is already used by posts/a.md; set a different 'slug'")]


def test_files_that_cannot_be_read_come_first_then_clashes(builder):
    builder.file("posts/broken.md", "no front matter\n")
    builder.post("a", slug="same")
    builder.post("b", slug="same")
    site = site_of(builder)
    assert [(e.path, e.line) for e in site.errors] == [("posts/broken.md", 1), ("posts/b.md", None)]
    assert slugs(site.posts) == ["same"]


def test_a_hidden_draft_claims_no_slug(builder):
    builder.post("a", slug="same")
    builder.post("b-draft", slug="same", draft="true")
    assert site_of(builder).errors == ()
    assert [e.path for e in site_of(builder, drafts=True).errors] == ["posts/b-draft.md"]


# Order


def test_pinned_posts_first_then_newest_first_and_chronological_by_date(builder):
    builder.post("old", date="2023-01-01")
    builder.post("new", date="2024-03-01")
    builder.post("pinned-two", date="2022-01-01", weight=2)
    builder.post("pinned-one", date="2021-01-01", weight=1)
    builder.post("unpinned", date="2024-02-01", weight=-5)  # a weight of 0 or less pins nothing
    builder.post("tie-a", title="Zed", date="2023-06-01")  # same date: by title in lists, by slug in time
    builder.post("tie-b", title="Alpha", date="2023-06-01")
    listed_page(builder, "news", "2024-02-15")
    builder.page("about")  # not listed
    site = site_of(builder)
    assert slugs(site.listed) == ["pinned-one", "pinned-two", "new", "news", "unpinned", "tie-b", "tie-a", "old"]
    assert slugs(site.posts) == ["pinned-one", "pinned-two", "new", "unpinned", "tie-b", "tie-a", "old"]
    assert slugs(site.chronological) == ["pinned-one", "pinned-two", "old", "tie-a", "tie-b", "unpinned", "new"]


# Tags


def test_tags_merge_by_slug_keeping_the_first_spelling(builder):
    builder.post("a-newest", date="2024-03-01", tags='["auto-ml", "Zeta"]')
    builder.post("m-middle", date="2024-02-01", tags='["AUTO_ML"]')
    builder.post("z-oldest", date="2024-01-01", tags='["Auto ML"]')
    builder.post("hidden", date="2023-01-01", draft="true", tags='["auto ml", "secret"]')
    builder.file("pages/about.md", "---\ntitle: About\ntags: [unlisted]\n---\nMe.\n")
    site = site_of(builder)
    assert list(site.tags) == ["auto-ml", "zeta"]
    group = site.tags["auto-ml"]
    assert group.tag.slug == "auto-ml" and group.tag.name == "Auto ML"  # the oldest post's, not the first file's
    assert slugs(group.posts) == ["a-newest", "m-middle", "z-oldest"]
    assert site.tags["zeta"].tag.name == "Zeta" and slugs(site.tags["zeta"].posts) == ["a-newest"]
    shown = site_of(builder, drafts=True)
    assert list(shown.tags) == ["auto-ml", "secret", "zeta"]
    assert shown.tags["auto-ml"].tag.name == "auto ml"


def test_listed_pages_are_in_their_tags(builder):
    builder.post("a", date="2024-01-01", tags="[x]")
    listed_page(builder, "news", "2024-02-01", tags="[x]")
    assert slugs(site_of(builder).tags["x"].posts) == ["news", "a"]


# Archives


def test_archives_group_posts_by_year_and_month_newest_first(builder):
    builder.post("dec", date="2023-12-31")
    builder.post("jan-early", date="2024-01-02")
    builder.post("jan-late", date="2024-01-30")
    builder.post("mar", date="2024-03-01", weight=1)  # pinning does not move a post in the archive
    listed_page(builder, "news", "2024-02-01")  # pages are not in the archive
    site = site_of(builder)
    shape = [(y.year, y.count, [(m.month, slugs(m.posts)) for m in y.months]) for y in site.archives]
    assert shape == [(2024, 3, [(3, ["mar"]), (1, ["jan-late", "jan-early"])]), (2023, 1, [(12, ["dec"])])]


@pytest.mark.parametrize("timezone, month", [("UTC", (2024, 2)), ("America/New_York", (2024, 1))])
def test_archive_months_follow_the_site_time_zone(builder, timezone, month):
    builder.post("late-night", date="2024-01-31T23:30:00-05:00")
    site = site_of(builder, timezone=timezone)
    assert [(m.year, m.month) for y in site.archives for m in y.months] == [month]


# Neighbours


def test_neighbours_by_date_with_none_at_both_ends(builder):
    builder.post("first", date="2024-01-01")
    builder.post("second", date="2024-02-01", weight=1)  # pinned, yet second in time
    builder.post("third", date="2024-03-01")
    builder.page("about")
    site = site_of(builder)
    first, second, third = (site.posts_by_slug[s] for s in ("first", "second", "third"))
    assert site.neighbours(first) == (None, second)
    assert site.neighbours(second) == (first, third)
    assert site.neighbours(third) == (second, None)
    assert site.neighbours(site.pages_by_slug["about"]) == (None, None)


def test_a_lone_post_has_no_neighbours(builder):
    builder.post("only")
    site = site_of(builder)
    assert site.neighbours(site.posts_by_slug["only"]) == (None, None)


# Related posts


@pytest.fixture
def tagged(builder):
    builder.post("me", date="2024-01-10", tags="[x, y]")
    builder.post("both-old", date="2023-01-01", tags="[x, y]")
    builder.post("x-mid", date="2024-02-01", tags="[x]")
    builder.post("x-new", date="2024-05-01", tags="[x]")
    builder.post("y-newer", date="2024-06-01", tags="[Y]")  # tags match by slug
    builder.post("other", date="2024-05-15", tags="[z]")
    builder.post("untagged", date="2024-05-20")
    builder.post("draft", date="2024-07-01", tags="[x, y]", draft="true")
    listed_page(builder, "news", "2024-07-01", tags="[x, y]")  # pages are never related posts
    return builder


def test_related_by_shared_tags_then_recency(tagged):
    site = site_of(tagged)
    me = site.posts_by_slug["me"]
    assert slugs(site.related(me)) == ["both-old", "y-newer", "x-new"]
    assert site.related(me) is site.related(me)
    assert site.related(site.posts_by_slug["untagged"]) == ()
    assert site.related(site.posts_by_slug["other"]) == ()  # no other post has its tag


@pytest.mark.parametrize("limit, expected", [
    (1, ["both-old"]),
    (5, ["both-old", "y-newer", "x-new", "x-mid"]),
    (0, []),
    (-1, []),
])
def test_related_posts_setting_limits_them_and_0_turns_them_off(tagged, limit, expected):
    site = site_of(tagged, related_posts=limit)
    assert slugs(site.related(site.posts_by_slug["me"])) == expected


# Pagination


@pytest.mark.parametrize("count, number, expected", [
    (0, 1, (1, 1, [], None, None)),  # an empty list still has its first page
    (0, 2, None),
    (5, 0, None),
    (5, -1, None),
    (10, 1, (1, 1, list(range(10)), None, None)),
    (10, 2, None),
    (11, 1, (1, 2, list(range(10)), None, 2)),
    (11, 2, (2, 2, [10], 1, None)),
    (25, 2, (2, 3, list(range(10, 20)), 1, 3)),
    (25, 4, None),
])
def test_paginate_edges(count, number, expected):
    page = paginate(tuple(range(count)), number, 10)
    assert (None if page is None else (page.number, page.pages, list(page.items), page.prev, page.next)) == expected
    assert page is None or page.total == count


def test_site_pages_its_listed_posts_by_the_setting(builder):
    for day in range(1, 6):
        builder.post(f"p{day}", date=f"2024-01-0{day}")
    listed_page(builder, "news", "2024-01-04 12:00:00")
    site = site_of(builder, posts_per_page=2)
    assert [slugs(site.page(n).items) for n in (1, 2, 3)] == [["p5", "news"], ["p4", "p3"], ["p2", "p1"]]
    assert site.page(3).pages == 3 and site.page(3).total == 6 and site.page(4) is None


# Aliases


def test_aliases_lead_to_their_post_and_the_first_listed_claim_wins(builder):
    builder.post("new", date="2024-02-01", aliases='["/old/"]')
    builder.post("older", date="2024-01-01", aliases='["/old/", "/older.html"]')
    builder.file("pages/about.md", "---\ntitle: About\naliases: [/me/]\n---\nMe.\n")
    site = site_of(builder)
    assert {alias: post.slug for alias, post in site.aliases.items()} == {
        "/old/": "new", "/older.html": "older", "/me/": "about"}


# A dev server's save: the next Site is derived from the last one when no post moved


def _shape(site: Site) -> dict:
    """Everything a Site shows, by source file, to compare a revised Site with one made afresh."""
    def names(posts):
        return [(p.source, p.title) for p in posts]
    return {
        "posts": names(site.posts), "listed": names(site.listed), "chronological": names(site.chronological),
        "by_slug": {s: p.source for s, p in {**site.posts_by_slug, **site.pages_by_slug}.items()},
        "tags": {s: (g.tag.name, names(g.posts)) for s, g in site.tags.items()},
        "series": {s: (g.tag.name, names(g.posts)) for s, g in site.series.items()},
        "archives": [(y.year, [(m.month, names(m.posts)) for m in y.months]) for y in site.archives],
        "aliases": {a: p.source for a, p in site.aliases.items()},
        "related": {p.source: names(site.related(p)) for p in site.posts},
        "neighbours": {p.source: [n and n.source for n in site.neighbours(p)] for p in site.posts},
        "errors": [str(e) for e in site.errors], "valid_until": site.valid_until,
    }


@pytest.mark.parametrize("group_first", [True, False])
def test_an_edit_of_the_text_alone_revises_the_site_as_a_fresh_one_would_be(builder, group_first):
    builder.post("a", date="2024-01-01", tags='["ml", "rl"]', series="Basics", aliases='["/old-a/"]')
    builder.post("b", date="2024-02-01", tags='["ml"]', series="Basics")
    builder.post("c", date="2024-03-01", tags='["rl"]')
    builder.post("soon", date="2025-01-01")
    builder.file("pages/about.md", post_text("About", "2024-01-05", "Page text.", listed="true"))
    builder.file("pages/unlisted.md", post_text("Unlisted", "2024-01-06", "Page text.", tags='["rl", "own"]'))
    builder.file("posts/broken.md", "---\ntitle: [\n---\n")
    builder.post("twin", date="2024-01-07", slug="c")  # loses its slug to c.md
    store = ContentStore(builder.root, dict(DEFAULTS))
    old = Site(store.snapshot(), dict(DEFAULTS), NOW, False)
    if group_first:
        _shape(old)
    builder.post("b", date="2024-02-01", tags='["ml"]', series="Basics", body="Rewritten text.")
    builder.file("pages/unlisted.md", post_text("Unlisted", "2024-01-06", "New text.", tags='["rl", "own"]'))
    builder.file("pages/about.md", post_text("About", "2024-01-05", "New page text.", listed="true"))
    builder.post("twin", date="2024-01-07", slug="c", body="Still second.")
    snapshot = store.snapshot()
    revised = Site.revised(old, snapshot, NOW)
    assert revised is not None
    assert "Rewritten text." in revised.posts_by_slug["b"].html
    assert "New text." in revised.pages_by_slug["unlisted"].html and "New page" in revised.listed[2].html
    assert revised.posts_by_slug["b"] in revised.tags["ml"].posts and revised.related(revised.posts_by_slug["a"])
    assert _shape(revised) == _shape(Site(snapshot, dict(DEFAULTS), NOW, False))
    assert revised.valid_until == datetime(2025, 1, 1, tzinfo=UTC)
    assert Site.revised(old, snapshot, revised.valid_until) is None  # "soon" is published then


@pytest.mark.parametrize("change", [
    {"title": "Renamed"}, {"date": "2024-02-02"}, {"tags": '["ML"]'}, {"tags": '["ml", "new"]'},
    {"series": "Other"}, {"aliases": '["/b-old/"]'}, {"draft": "true"}, {"weight": "2"}, {"slug": "bee"},
    {"listed": "false"},
])
def test_an_edit_that_moves_a_post_makes_the_site_afresh(builder, change):
    builder.post("a", date="2024-01-01", tags='["ml"]', series="Basics")
    builder.post("b", date="2024-02-01", tags='["ml"]', series="Basics")
    store = ContentStore(builder.root, dict(DEFAULTS))
    old = Site(store.snapshot(), dict(DEFAULTS), NOW, False)
    builder.post("b", **{"date": "2024-02-01", "tags": '["ml"]', "series": "Basics", **change})
    assert Site.revised(old, store.snapshot(), NOW) is None
    builder.post("c", date="2024-03-01")
    builder.post("b", date="2024-02-01", tags='["ml"]', series="Basics")
    assert Site.revised(old, store.snapshot(), NOW) is None  # a post more
