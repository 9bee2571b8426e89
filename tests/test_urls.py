"""The route table: the one place that names every URL, registered and frozen from it."""

import pytest

from quire import create_app, urls
from quire.freeze import freeze


def test_every_route_is_registered_from_the_table(app, site_dir):
    registered = {(rule.rule, rule.endpoint) for rule in app.url_map.iter_rules()}
    table = {(route.rule, route.endpoint) for route in urls.ROUTES}
    dev_only = {(route.rule, route.endpoint) for route in urls.routes(urls.NEVER)}
    assert dev_only == {("/_quire/live", "live_reload")}
    assert registered == table - dev_only
    debug = create_app(site_dir, config={"DEBUG": True})
    assert {(rule.rule, rule.endpoint) for rule in debug.url_map.iter_rules()} == table


def test_reserved_names_are_the_first_segments_of_quire_routes():
    assert {"posts", "tags", "archives", "search", "page", "static", "assets", "index.xml", "404.html"} <= \
        urls.RESERVED
    assert "<slug>" not in urls.RESERVED and "" not in urls.RESERVED


def test_build_fills_a_rule_without_an_app():
    assert urls.build("post", slug="x") == "/posts/x/"
    assert urls.build("page", slug="faq") == "/faq/"
    assert urls.build("tag", slug="rl", number=2) == "/tags/rl/page/2/"
    with pytest.raises(KeyError):
        urls.build("post", name="x")


def test_freeze_writes_every_page_route_of_the_table(builder, app, tmp_path):
    builder.post("2024-01-01-a", tags="[t]")
    builder.page("about")
    freeze(app, tmp_path / "out", jobs=1)
    with app.test_request_context():
        from flask import url_for
        for route in urls.routes(urls.PAGE):
            path = url_for(route.endpoint)
            file = tmp_path / "out" / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))
            assert file.is_file(), route


@pytest.mark.parametrize("path", ["/search/text/01-0.txt", "/search/text/a-0.txt", "/search/text/0-\u0661.txt",
                                  "/search/text/-1-0.txt"])
def test_search_text_takes_plain_numbers_only(builder, client, path):
    builder.post("a", body="Words to search.")
    assert client.get("/search/text/0-0.txt").status_code == 200
    assert client.get(path).status_code == 404
