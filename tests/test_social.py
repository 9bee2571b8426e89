"""Social cards: og:image and twitter:card from a cover, else the first figure, else the site's og_image."""

import re
import struct
import zlib

from quire import create_app


def png(width: int, height: int) -> bytes:
    """A valid PNG of the given size (one grey row repeated)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def meta(html: str) -> dict[str, str]:
    return dict(re.findall(r'<meta (?:property|name)="((?:og|twitter):[^"]+)" content="([^"]*)">', html))


def test_bundle_cover_is_an_absolute_sized_image(builder, client):
    builder.file("posts/p/index.md", "---\ntitle: P\ndate: 2024-01-01\ncover: cover.png\n"
                                     "cover_alt: 'A \"cover\" <b>'\n---\n![Figure](fig.png \"Caption\")\n")
    builder.file("posts/p/cover.png", png(1200, 630))
    builder.file("posts/p/fig.png", png(40, 30))
    tags = meta(client.get("/posts/p/").get_data(as_text=True))
    assert tags["og:image"] == tags["twitter:image"] == "https://blog.example.org/posts/p/cover.png"
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    assert tags["og:image:alt"] == tags["twitter:image:alt"] == "A &#34;cover&#34; &lt;b&gt;"
    assert tags["twitter:card"] == "summary_large_image"


def test_first_figure_when_there_is_no_cover(builder, client):
    builder.file("posts/p/index.md", "---\ntitle: P\ndate: 2024-01-01\n---\nText.\n\n"
                                     "![First & one](fig.png \"Caption\")\n\n![Second](two.png \"Two\")\n")
    builder.file("posts/p/fig.png", png(40, 30))
    tags = meta(client.get("/posts/p/").get_data(as_text=True))
    assert tags["og:image"] == "https://blog.example.org/posts/p/fig.png"
    assert (tags["og:image:width"], tags["og:image:height"]) == ("40", "30")
    assert tags["og:image:alt"] == "First &amp; one"


def test_url_cover_has_no_size_and_scripts_are_refused(builder, client):
    builder.post("url", "U", "2024-01-01", cover="https://img.example.org/a.png?x=1&y=2")
    builder.post("bad", "B", "2024-01-02", cover="'javascript:alert(1)'")
    tags = meta(client.get("/posts/url/").get_data(as_text=True))
    assert tags["og:image"] == "https://img.example.org/a.png?x=1&amp;y=2"
    assert "og:image:width" not in tags and tags["twitter:card"] == "summary_large_image"
    html = client.get("/posts/bad/").get_data(as_text=True)
    assert "javascript" not in html.split("</head>")[0]
    assert meta(html)["twitter:card"] == "summary" and "og:image" not in meta(html)


def test_site_og_image_on_pages_without_their_own(builder, client, site_dir):
    builder.post("plain", "Plain", "2024-01-01")
    assert meta(client.get("/posts/plain/").get_data(as_text=True))["twitter:card"] == "summary"
    assert "og:image" not in meta(client.get("/").get_data(as_text=True))
    builder.file("static/card.png", png(800, 400))
    with open(site_dir / "site.toml", "a", encoding="utf-8") as f:
        f.write('og_image = "/static/card.png"\n')
    for url in ("/", "/posts/plain/", "/tags/"):
        tags = meta(client.get(url).get_data(as_text=True))
        assert tags["og:image"] == "https://blog.example.org/static/card.png", url
        assert (tags["og:image:width"], tags["og:image:height"]) == ("800", "400")
        assert tags["twitter:card"] == "summary_large_image"


def test_image_urls_follow_a_base_path(builder, site_dir):
    builder.file("posts/p/index.md", "---\ntitle: P\ndate: 2024-01-01\ncover: c.png\n---\nx\n")
    builder.file("posts/p/c.png", png(10, 10))
    builder.file("static/card.png", png(20, 10))
    app = create_app(site_dir, config={"TESTING": True}, settings={"base_url": "https://ex.org/blog/",
                                                                   "og_image": "/static/card.png"})
    client = app.test_client()
    post = meta(client.get("/posts/p/", base_url="http://localhost/blog/").get_data(as_text=True))
    assert post["og:image"] == "https://ex.org/blog/posts/p/c.png"
    home = meta(client.get("/", base_url="http://localhost/blog/").get_data(as_text=True))
    assert home["og:image"] == "https://ex.org/blog/static/card.png" and home["og:image:width"] == "20"
