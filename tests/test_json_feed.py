"""/feed.json is a JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/); /index.json is no longer advertised."""

import json
from datetime import datetime


def feed(client) -> dict:
    response = client.get("/feed.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return json.loads(response.data)


def test_top_level_has_the_required_fields_and_types(builder, client):
    builder.post("one", "First <post> & more", "2024-01-01", tags="[ml, rl]")
    document = feed(client)
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["title"] == "Test Blog" and isinstance(document["items"], list)
    assert document["home_page_url"] == "https://blog.example.org/"
    assert document["feed_url"] == "https://blog.example.org/feed.json"
    assert document["description"] == "A blog for tests." and document["language"] == "en"
    assert document["authors"] == [{"name": "Ada Tester"}]


def test_items_have_the_required_fields_and_types(builder, client):
    builder.post("one", "First <post> & more", "2024-01-01 10:00:00", tags="[ml, rl]", updated="2024-02-01")
    builder.post("two", "Second", "2024-03-01", body="Text *here*.")
    items = feed(client)["items"]
    assert [item["title"] for item in items] == ["Second", "First <post> & more"]
    for item in items:
        assert isinstance(item["id"], str) and item["id"]
        assert item["url"].startswith("https://blog.example.org/posts/")
        assert isinstance(item.get("content_html", item.get("content_text")), str)
        datetime.fromisoformat(item["date_published"])  # RFC 3339
    first = items[1]
    assert first["id"] == first["url"] == "https://blog.example.org/posts/one/"
    assert first["date_published"] == "2024-01-01T10:00:00+00:00"
    assert first["date_modified"] == "2024-02-01T00:00:00+00:00"
    assert first["tags"] == ["ml", "rl"] and first["authors"] == [{"name": "Ada Tester"}]
    assert "date_modified" not in items[0] and "tags" not in items[0]


def test_summary_only_unless_full_text(builder, client, site_dir):
    builder.post("one", "One", "2024-01-01", body="Lead text.\n\n<!--more-->\n\n![Pic](pic.png) **Body**.")
    item = feed(client)["items"][0]
    assert item["content_text"] == "Lead text. ..." and item["summary"] == "Lead text. ..."
    assert "content_html" not in item
    with open(site_dir / "site.toml", "a", encoding="utf-8") as f:
        f.write("full_text_feed = true\n")
    item = feed(client)["items"][0]
    assert "content_text" not in item
    assert "<strong>Body</strong>" in item["content_html"]
    assert 'src="https://blog.example.org/posts/one/pic.png"' in item["content_html"]


def test_feed_items_setting_limits_the_items(builder, client, site_dir):
    for n in range(4):
        builder.post(f"p{n}", f"Post {n}", f"2024-01-0{n + 1}")
    with open(site_dir / "site.toml", "a", encoding="utf-8") as f:
        f.write("feed_items = 2\n")
    assert [item["title"] for item in feed(client)["items"]] == ["Post 3", "Post 2"]


def test_pages_advertise_the_json_feed_not_the_search_index(builder, client):
    builder.post("one", "One", "2024-01-01")
    html = client.get("/").get_data(as_text=True)
    assert ('<link rel="alternate" type="application/feed+json" title="Test Blog (JSON Feed)" '
            'href="/feed.json">') in html
    assert "index.json" not in html
    assert client.get("/index.json").status_code == 200  # still served, as the search index it is


def test_empty_site_has_an_empty_item_list(client):
    assert feed(client)["items"] == []
