"""Series: `series:` front matter, the box on each post, /series/ pages and feeds, the freeze and the check."""

import xml.etree.ElementTree as ET

from conftest import flask


def three_parts(builder):
    builder.post("b-second", "Second part", "2024-02-01", series='"Diffusion <Models> & co"')
    builder.post("a-first", "First part", "2024-01-01", series='"Diffusion <Models> & co"')
    builder.post("c-third", "Third part", "2024-03-01", series='"diffusion models & co"')
    builder.post("other", "Not in it", "2024-01-15")


def test_box_lists_the_series_in_date_order_with_the_current_post_marked(builder, client):
    three_parts(builder)
    html = client.get("/posts/b-second/").get_data(as_text=True)
    box = html.split('<nav class="series-box"', 1)[1].split("</nav>", 1)[0]
    assert "Part 2 of 3 in the series" in box
    assert '<a href="/series/diffusion-models-co/">Diffusion &lt;Models&gt; &amp; co</a>' in box
    assert box.index("First part") < box.index("Second part") < box.index("Third part")
    assert '<span aria-current="page">Second part</span>' in box
    assert '<a href="/posts/a-first/">First part</a>' in box and '<a href="/posts/c-third/">Third part</a>' in box
    assert "Not in it" not in box and "<Models>" not in html


def test_post_outside_a_series_has_no_box(builder, client):
    three_parts(builder)
    assert "series-box" not in client.get("/posts/other/").get_data(as_text=True)
    assert "series-box" in client.get("/posts/a-first/").get_data(as_text=True)


def test_series_pages_list_every_series_and_its_posts_in_reading_order(builder, client):
    three_parts(builder)
    builder.post("d", "Solo", "2024-04-01", series="Solo act")
    index = client.get("/series/").get_data(as_text=True)
    assert '<a href="/series/diffusion-models-co/">Diffusion &lt;Models&gt; &amp; co <sup>3</sup></a>' in index
    assert '<a href="/series/solo-act/">Solo act <sup>1</sup></a>' in index
    page = client.get("/series/diffusion-models-co/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index("First part") < html.index("Second part") < html.index("Third part")
    assert "Not in it" not in html and "3 posts, in reading order" in html
    assert 'href="/series/diffusion-models-co/index.xml"' in html
    assert client.get("/series/no-such-series/").status_code == 404
    assert client.get("/series/no-such-series/index.xml").status_code == 404


def test_series_feed_is_rss_newest_first(builder, client):
    three_parts(builder)
    response = client.get("/series/diffusion-models-co/index.xml")
    assert response.status_code == 200
    channel = ET.fromstring(response.data).find("channel")
    assert channel.findtext("title") == "Diffusion <Models> & co | Test Blog"
    assert [i.findtext("title") for i in channel.findall("item")] == ["Third part", "Second part", "First part"]


def test_drafts_stay_out_of_a_series(builder, client):
    three_parts(builder)
    builder.post("e-draft", "Secret part", "2024-05-01", series='"Diffusion <Models> & co"', draft="true")
    assert "Secret part" not in client.get("/posts/a-first/").get_data(as_text=True)
    assert "3 posts" in client.get("/series/diffusion-models-co/").get_data(as_text=True)


def test_freeze_writes_series_pages_and_feeds(builder, site_dir):
    three_parts(builder)
    result = flask(site_dir, "freeze")
    assert result.returncode == 0, result.stderr
    build = site_dir / "build"
    assert "Diffusion &lt;Models&gt;" in (build / "series" / "index.html").read_text()
    assert "First part" in (build / "series" / "diffusion-models-co" / "index.html").read_text()
    assert "Third part" in (build / "series" / "diffusion-models-co" / "index.xml").read_text()


def test_check_warns_about_a_series_with_one_post(builder, runner):
    three_parts(builder)
    builder.post("d", "Solo", "2024-04-01", series="Solo act")
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0
    assert ("posts/d.md:4: warning: series 'Solo act' has only this post: give another post the same 'series', "
            "or remove it") in result.output
    assert "Diffusion" not in result.output


def test_series_must_be_text(builder, client):
    builder.post("bad", "Bad", "2024-01-01", series="[a, b]")
    response = client.get("/posts/bad/")
    assert response.status_code == 500
    assert "&#39;series&#39; must be text, not a list" in response.get_data(as_text=True)


def test_check_knows_series_urls(builder, runner):
    three_parts(builder)
    builder.post("links", "Links", "2024-05-01",
                 body="[All](/series/) [It](/series/diffusion-models-co/) "
                      "[Feed](/series/diffusion-models-co/index.xml) [No](/series/nope/)")
    result = runner.invoke(args=["check"])
    assert "points nowhere: no page or file at /series/nope/" in result.output
    assert "/series/diffusion-models-co/" not in result.output and "at /series/\n" not in result.output
