"""Tags, archives, feeds, index.json, sitemap, robots, aliases: what readers and crawlers follow."""

import json
import xml.etree.ElementTree as ET

import feedparser
import pytest

EVIL = "</script><script>alert(1)</script> & \"q\" 'a' <b>"


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def blog(builder):
    builder.post("2023-01-05-alpha", title="Alpha", date="2023-01-05", tags="[auto-ML, Adversarial attacks]")
    builder.post("2023-01-20-beta", title="Beta", date="2023-01-20", tags='[Auto ML, "long-read\\""]')
    builder.post("2024-03-02-gamma", title="Gamma", date="2024-03-02", tags="[long-read]",
                 aliases='["/lil-log/2024/03/02/gamma.html", "/old/gamma"]', body="Gamma body with ![i](i.png)")
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
    assert feed.entries[0].summary == "<p>Gamma body with</p>"
    assert "content" not in feed.entries[0]
    assert all("FAQ" not in e.title for e in feed.entries)


def test_full_text_feed_and_item_limit(site_dir, blog):
    from quire import create_app
    client = create_app(site_dir, settings={"full_text_feed": True, "feed_items": 2}).test_client()
    feed = feedparser.parse(client.get("/index.xml").data)
    assert len(feed.entries) == 2
    assert 'src="https://blog.example.org/posts/2024-03-02-gamma/i.png"' in feed.entries[0].content[0].value


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


def test_sitemap_and_robots(blog, client):
    root = ET.fromstring(client.get("/sitemap.xml").data)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [u.find("s:loc", ns).text for u in root.findall("s:url", ns)]
    assert "https://blog.example.org/posts/2024-03-02-gamma/" in locs
    assert "https://blog.example.org/faq/" in locs and "https://blog.example.org/tags/auto-ml/" in locs
    gamma = next(u for u in root.findall("s:url", ns) if u.find("s:loc", ns).text.endswith("gamma/"))
    assert gamma.find("s:lastmod", ns).text.startswith("2024-03-02")
    robots = text_of(client.get("/robots.txt"))
    assert "Sitemap: https://blog.example.org/sitemap.xml" in robots


def test_aliases_serve_redirect_pages(blog, client):
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
    index = json.loads(client.get("/search/index.json").data)
    assert index["docs"][0][0] == EVIL


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
