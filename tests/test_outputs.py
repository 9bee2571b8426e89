"""Tags, archives, feeds, index.json, sitemap, robots, aliases: what readers and crawlers follow."""

import html
import json
import re
import xml.etree.ElementTree as ET

import feedparser
import pytest
from markupsafe import escape

EVIL = "</script><script>alert(1)</script> & \"q\" 'a' <b>"


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def blog(builder):
    builder.post("2023-01-05-alpha", title="Alpha", date="2023-01-05", tags="[auto-ML, Adversarial attacks]")
    builder.post("2023-01-20-beta", title="Beta", date="2023-01-20", tags='[Auto ML, "long-read\\""]')
    builder.post("2024-03-02-gamma", title="Gamma", date="2024-03-02", tags="[long-read]",
                 aliases='["/lil-log/2024/03/02/gamma.html", "/old/gamma"]',
                 body="Gamma body with ![a *loss* curve](i.png) inline.")
    builder.page("faq", title="FAQ", body="Frequently asked.")
    return builder


def test_tags_page_counts_and_merges(blog, client):
    page = text_of(client.get("/tags/"))
    assert 'href="/tags/auto-ml/">auto-ML <sup>2</sup>' in page
    assert 'href="/tags/adversarial-attacks/">Adversarial attacks <sup>1</sup>' in page
    assert 'href="/tags/long-read/">long-read <sup>2</sup>' in page
    assert page.index("adversarial-attacks") < page.index("auto-ml") < page.index("long-read")


def test_tag_page_and_pagination(builder, client):
    for i in range(12):
        builder.post(f"p{i}", title=f"Tagged {i}", date=f"2024-02-{i + 1:02d}", tags="[many]")
    first = text_of(client.get("/tags/many/"))
    assert first.count('class="entry"') == 10 and "12 posts" in first
    assert 'href="/tags/many/page/2/"' in first
    assert 'href="/tags/many/index.xml"' in first
    second = text_of(client.get("/tags/many/page/2/"))
    assert second.count('class="entry"') == 2 and 'href="/tags/many/"' in second
    assert client.get("/tags/many/page/3/").status_code == 404
    assert client.get("/tags/nope/").status_code == 404
    assert "0; url=/tags/many/" in text_of(client.get("/tags/many/page/1/"))


def test_archives(blog, client):
    page = text_of(client.get("/archives/"))
    assert '<h2 id="y2024"><a href="#y2024">2024</a> <sup>1</sup>' in page
    assert '<h2 id="y2023"><a href="#y2023">2023</a> <sup>2</sup>' in page
    assert '<h3 id="2023-01"><a href="#2023-01">January</a> <sup>2</sup>' in page
    assert page.index("Gamma") < page.index("Beta") < page.index("Alpha")
    assert "FAQ</a> <span" not in page


def test_rss(blog, client):
    response = client.get("/index.xml")
    assert response.mimetype == "application/xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert [e.title for e in feed.entries] == ["Gamma", "Beta", "Alpha"]
    assert feed.entries[0].link == "https://blog.example.org/posts/2024-03-02-gamma/"
    assert feed.entries[0].id == feed.entries[0].link
    assert feed.entries[0].published_parsed[:3] == (2024, 3, 2)
    assert feed.entries[0].summary == "<p>Gamma body with a loss curve inline.</p>"  # the image's alt text
    assert "content" not in feed.entries[0]
    assert all("FAQ" not in e.title for e in feed.entries)


def test_full_text_feed_and_item_limit(site_dir, blog):
    from quire import create_app
    client = create_app(site_dir, settings={"full_text_feed": True, "feed_items": 2}).test_client()
    feed = feedparser.parse(client.get("/index.xml").data)
    assert len(feed.entries) == 2
    assert 'src="https://blog.example.org/posts/2024-03-02-gamma/i.png"' in feed.entries[0].content[0].value
    assert "<p>Gamma body with" in feed.entries[0].content[0].value


def test_full_text_feed_links_are_absolute(site_dir, builder):
    from quire import create_app
    builder.post("p", title="Links", body="[a](#part) [b](https://x.example/) [c](//cdn.example/y) [d](/tags/) "
                                          "[e](other/) [f](mailto:me@example.org)")
    client = create_app(site_dir, settings={"full_text_feed": True}).test_client()
    content = ET.fromstring(client.get("/index.xml").data).findtext(
        "channel/item/{http://purl.org/rss/1.0/modules/content/}encoded")
    hrefs = re.findall(r'href="([^"]*)"', content)
    assert hrefs == ["#part", "https://x.example/", "//cdn.example/y", "https://blog.example.org/tags/",
                     "https://blog.example.org/posts/p/other/", "mailto:me@example.org"]


def test_atom_and_tag_feed(blog, client):
    atom = feedparser.parse(client.get("/atom.xml").data)
    assert not atom.bozo and atom.version == "atom10" and len(atom.entries) == 3
    tag = feedparser.parse(client.get("/tags/auto-ml/index.xml").data)
    assert not tag.bozo and [e.title for e in tag.entries] == ["Beta", "Alpha"]
    assert client.get("/tags/nope/index.xml").status_code == 404


def test_index_json_papermod_shape(blog, client):
    data = json.loads(client.get("/index.json").data)
    assert [d["title"] for d in data] == ["Gamma", "Beta", "Alpha"]
    assert set(data[0]) == {"title", "content", "permalink", "summary"}
    assert data[0]["permalink"] == "https://blog.example.org/posts/2024-03-02-gamma/"
    assert data[0]["content"] == "Gamma body with inline."
    assert data[0]["summary"] == "Gamma body with a loss curve inline."


def test_index_json_has_the_whole_text(builder, client):
    words = " ".join(f"word{i}" for i in range(1500))  # several search chunks
    builder.post("long", title="Long", body=words)
    assert json.loads(client.get("/index.json").data)[0]["content"] == words


def test_feed_dates_titles_and_an_empty_feed(builder, client):
    rss = ET.fromstring(client.get("/index.xml").data).find("channel")
    assert rss.findtext("title") == "Test Blog" and rss.findall("item") == []
    assert rss.findtext("lastBuildDate") == "Thu, 01 Jan 1970 00:00:00 +0000"  # no post yet
    builder.post("a", title="Old", date="2024-01-01", updated="2024-06-01", tags="[t]")
    builder.post("b", title="New", date="2024-03-01", tags="[t]")
    rss = ET.fromstring(client.get("/index.xml").data).find("channel")
    assert rss.findtext("lastBuildDate") == "Sat, 01 Jun 2024 00:00:00 +0000"  # the latest update, not date
    atom = feedparser.parse(client.get("/atom.xml").data)
    assert atom.feed.updated.startswith("2024-06-01") and atom.feed.title == "Test Blog"
    tag = ET.fromstring(client.get("/tags/t/index.xml").data).find("channel")
    assert tag.findtext("title") == "t | Test Blog" and tag.findtext("link") == "https://blog.example.org/tags/t/"
    self_link = tag.find("{http://www.w3.org/2005/Atom}link")
    assert self_link.get("href") == "https://blog.example.org/tags/t/index.xml" and self_link.get("rel") == "self"
    assert atom.feed.links[0].href == "https://blog.example.org/atom.xml" and atom.feed.links[0].rel == "self"
    assert ET.fromstring(client.get("/index.xml").data).find("channel").findtext("link") == \
        "https://blog.example.org/"


def test_search_files_answer_exactly_their_range(builder, client):
    builder.post("a", title="Alpha", date="2024-02-01", body="words " * 10)
    builder.page("about", title="About page", listed="true")
    assert json.loads(client.get("/search/index.json").data)["docs"] == 2
    docs = [json.loads(client.get(f"/search/docs/{n}.json").data) for n in range(2)]
    assert [(d[0], d[2]) for d in docs] == [("Alpha", "February 1, 2024"), ("About page", "")]  # pages: no date
    assert client.get("/search/docs/2.json").status_code == 404
    assert client.get("/search/text/0-0.txt").get_data(as_text=True) == " ".join(["words"] * 10)
    assert client.get("/search/text/0-1.txt").status_code == 404
    assert client.get("/search/text/2-0.txt").status_code == 404
    assert client.get("/search/text/1-0.txt").status_code == 200


def test_sitemap_and_robots(blog, client):
    root = ET.fromstring(client.get("/sitemap.xml").data)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [u.find("s:loc", ns).text for u in root.findall("s:url", ns)]
    assert "https://blog.example.org/posts/2024-03-02-gamma/" in locs
    assert "https://blog.example.org/faq/" in locs and "https://blog.example.org/tags/auto-ml/" in locs
    gamma = next(u for u in root.findall("s:url", ns) if u.find("s:loc", ns).text.endswith("gamma/"))
    assert gamma.find("s:lastmod", ns).text.startswith("2024-03-02")
    robots = client.get("/robots.txt")
    assert text_of(robots) == "User-agent: *\nAllow: /\n\nSitemap: https://blog.example.org/sitemap.xml\n"
    assert robots.mimetype == "text/plain"


def test_content_types(blog, client):
    for url, mimetype in (("/index.xml", "application/xml"), ("/atom.xml", "application/xml"),
                          ("/tags/long-read/index.xml", "application/xml"), ("/sitemap.xml", "application/xml"),
                          ("/index.json", "application/json"), ("/search/index.json", "application/json"),
                          ("/search/text/0-0.txt", "text/plain")):
        with client.get(url) as response:
            assert (response.status_code, response.mimetype) == (200, mimetype), url
    shard = client.get("/search/shards/67-61.json")  # "ga": the shard of "gamma"
    assert shard.mimetype == "application/json" and "gamma" in json.loads(shard.data)


def test_aliases_serve_redirect_pages(blog, client):
    for alias in ("/lil-log/2024/03/02/gamma.html", "/old/gamma/"):
        assert client.head(alias).status_code == 200  # as GET answers: link checkers ask with HEAD
    for alias in ("/lil-log/2024/03/02/gamma.html", "/old/gamma/"):
        response = client.get(alias)
        assert response.status_code == 200
        body = text_of(response)
        assert '<meta http-equiv="refresh" content="0; url=/posts/2024-03-02-gamma/">' in body
        assert '<link rel="canonical" href="https://blog.example.org/posts/2024-03-02-gamma/">' in body
        assert '<a href="/posts/2024-03-02-gamma/">' in body


def test_alternate_links_in_every_head(blog, client):
    for url in ("/", "/posts/2023-01-05-alpha/", "/tags/", "/archives/", "/search/", "/faq/"):
        page = text_of(client.get(url))
        assert 'rel="alternate" type="application/rss+xml"' in page, url


def test_hostile_title_is_text_everywhere(builder, client):
    builder.post("evil", title=EVIL.replace('"', '\\"'), date="2024-05-05", tags='["<i>x</i>"]',
                 summary='"<img src=x onerror=alert(1)>"', author='"<b>bold</b>"')
    for url in ("/", "/posts/evil/", "/archives/", "/tags/", "/tags/ix/", "/search/?q=alert"):
        page = text_of(client.get(url))
        assert "<script>alert(1)</script>" not in page, url
        assert "<img src=x" not in page and "<b>bold</b>" not in page and "<i>x</i>" not in page, url
    head = text_of(client.get("/posts/evil/"))
    assert "\\u003c/script\\u003e" in head  # JSON-LD keeps it as data
    for url in ("/index.xml", "/atom.xml", "/sitemap.xml"):
        ET.fromstring(client.get(url).data)  # well-formed XML
    feed = feedparser.parse(client.get("/index.xml").data)
    assert feed.entries[0].title == EVIL
    assert "<img" not in feed.entries[0].summary
    data = json.loads(client.get("/index.json").data)
    assert data[0]["title"] == EVIL
    assert json.loads(client.get("/search/docs/0.json").data)[0] == EVIL


def test_year_one_dates_have_four_digit_years_in_feeds_and_sitemap(builder, client):
    builder.post("old", title="Old", date="0001-01-01", tags="[t]")
    rss = text_of(client.get("/index.xml"))
    assert "<pubDate>Mon, 01 Jan 0001 00:00:00 +0000</pubDate>" in rss
    assert "<lastBuildDate>Mon, 01 Jan 0001 00:00:00 +0000</lastBuildDate>" in rss
    assert "<pubDate>Mon, 01 Jan 0001 00:00:00 +0000</pubDate>" in text_of(client.get("/tags/t/index.xml"))
    assert "<published>0001-01-01T00:00:00+00:00</published>" in text_of(client.get("/atom.xml"))
    assert "<lastmod>0001-01-01T00:00:00+00:00</lastmod>" in text_of(client.get("/sitemap.xml"))
    assert feedparser.parse(rss).entries[0].published_parsed[:3] == (1, 1, 1)


def test_control_characters_never_make_feeds_ill_formed(site_dir, builder):
    from quire import create_app
    with open(site_dir / "site.toml", "a", encoding="utf-8") as f:
        f.write("full_text_feed = true\n")
    builder.file("posts/c.md", '---\ntitle: "Ti\\x01tle\\0"\ndate: 2024-01-01\ntags: ["t\\x01g"]\n---\n'
                               "Body with \x01 and \x0b inside.\n")
    client = create_app(site_dir, config={"TESTING": True}).test_client()
    for url in ("/index.xml", "/atom.xml", "/tags/tg/index.xml", "/sitemap.xml"):
        body = client.get(url).data
        root = ET.fromstring(body)  # raises on ill-formed XML
        assert root is not None and b"\x01" not in body and b"\x0b" not in body, url
    rss = text_of(client.get("/index.xml"))
    assert "<title>Title</title>" in rss and "<category>tg</category>" in rss and "Body with  and  inside." in rss
    assert "\x00" not in text_of(client.get("/posts/c/"))


HOSTILE = {
    "title": "T1 </title><script>alert('t')</script> & \"q\"",
    "author": "A1 <b>bold</b> & Co </name>",
    "summary": "S1 \"<img src=x onerror=alert(1)>\" & </summary>",
    "description": "D1 \"quoted\" <i>desc</i> & </script>",
    "tags": ["G1 <svg onload=alert(1)>"],
    "slug": "s1&amp<x>",
}
RAW = ("<script>alert", "<b>bold", "<img src=x", "<i>desc", "<svg onload", "<x>")
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def hostile(builder):
    front = "\n".join(f"{key}: {json.dumps(value)}" for key, value in HOSTILE.items())
    builder.file("posts/evil.md", f"---\n{front}\ndate: 2024-05-05\n---\nBody text.\n")
    return builder


def test_hostile_front_matter_is_data_in_every_output(hostile, client):
    """Every front-matter value that reaches a feed, the sitemap, JSON-LD or a JSON index arrives as data."""
    title, author, summary, description = (HOSTILE[k] for k in ("title", "author", "summary", "description"))
    tag = HOSTILE["tags"][0]
    permalink = "https://blog.example.org/posts/s1&amp%3Cx%3E/"
    assert client.get("/posts/s1&amp%3Cx%3E/").status_code == 200
    for url in ("/index.xml", "/tags/g1-svg-onloadalert1/index.xml"):
        item = ET.fromstring(client.get(url).data).find("channel/item")
        assert item.findtext("title") == title, url
        assert item.findtext("{http://purl.org/dc/elements/1.1/}creator") == author, url
        assert item.findtext("category") == tag, url
        assert item.findtext("description") == "<p>" + html.escape(summary, quote=False) + "</p>", url
        assert item.findtext("link") == permalink, url
    entry = ET.fromstring(client.get("/atom.xml").data).find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == title
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == author
    assert entry.find(f"{ATOM}category").get("term") == tag
    assert entry.findtext(f"{ATOM}summary") == summary
    assert entry.find(f"{ATOM}link").get("href") == permalink
    sitemap = ET.fromstring(client.get("/sitemap.xml").data)
    assert permalink in [loc.text for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    for url in ("/index.json", "/search/docs/0.json"):
        raw = client.get(url).get_data(as_text=True)
        assert not {"<", ">", "&"} & set(raw) and "\\u003cscript\\u003e" in raw, url  # safe inside HTML too
    entry = json.loads(client.get("/index.json").data)[0]
    assert (entry["title"], entry["summary"], entry["permalink"]) == (title, summary, permalink)
    assert json.loads(client.get("/search/docs/0.json").data)[0::3] == [title, summary]
    page = text_of(client.get("/posts/s1&amp%3Cx%3E/"))
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL).group(1)
    assert "<" not in ld
    data = json.loads(ld)
    assert (data["headline"], data["description"], data["author"]["name"]) == (title, description, author)
    assert data["keywords"] == [tag] and data["mainEntityOfPage"]["@id"] == permalink
    assert f'<link rel="canonical" href="{escape(permalink)}">' in page  # quoted as url_for quotes
    assert f'<meta name="description" content="{escape(description)}">' in page
    assert f'<meta property="article:tag" content="{escape(tag)}">' in page
    assert f"<title>{escape(title)} | Test Blog</title>" in page and f"Author: {escape(author)}" in page
    for url in ("/", "/posts/s1&amp%3Cx%3E/", "/archives/", "/tags/", "/tags/g1-svg-onloadalert1/",
                "/search/?q=alert", "/search/?q=t1"):
        page = text_of(client.get(url))
        assert str(escape(tag if url == "/tags/" else title)) in page, url
        assert not [raw for raw in RAW if raw in page], url
