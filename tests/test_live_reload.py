"""Live reload under `flask run --debug`: the script, the event stream, what reloads what, and never frozen."""

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest

from quire import create_app
from quire.freeze import FreezeError, freeze
from quire.live import affects

from conftest import flask, flask_env

SCRIPT = "data-quire-live-reload"


@pytest.fixture
def debug_app(site_dir, monkeypatch):
    monkeypatch.delenv("QUIRE_DRAFTS", raising=False)
    app = create_app(site_dir, config={"TESTING": True, "DEBUG": True})
    app.extensions["quire.live"].linger = 0.5  # no watcher outlives its test by more than a moment
    return app


def stream_of(app, query: str = ""):
    """Open the event stream as a tab does; return the response and an iterator over its events."""
    response = app.test_client().get("/_quire/live" + query, buffered=False)
    return response, iter(response.response)


def next_event(events, timeout: float = 5.0) -> bytes:
    """Read the next event, failing rather than hanging when none comes."""
    box: list = []
    reader = threading.Thread(target=lambda: box.append(next(events, b"<end>")), daemon=True)
    reader.start()
    reader.join(timeout)
    assert box, f"no event within {timeout} s"
    return box[0]


def later(action, delay: float = 0.2) -> None:
    """Do something to the files once the stream is waiting."""
    threading.Timer(delay, action).start()


# ---------------------------------------------------------------- which pages a change reloads

@pytest.mark.parametrize("changed, source, reloads", [
    ({"posts/a.md"}, "posts/a.md", True),
    ({"posts/b.md"}, "posts/a.md", False),
    ({"posts/b.md"}, None, True),
    ({"pages/faq.md"}, None, True),
    ({"posts/x/figure.png"}, "posts/x/index.md", True),
    ({"posts/x/index.md"}, "posts/x/index.md", True),
    ({"posts/xy/index.md"}, "posts/x/index.md", False),
    ({"posts/x.md"}, "posts/x/index.md", False),
    ({"templates/post.html"}, "posts/a.md", True),
    ({"static/quire.css"}, "posts/a.md", True),
    ({"site.toml"}, "pages/faq.md", True),
    ({"engine/templates/base.html"}, "posts/a.md", True),
    (set(), None, False),
])
def test_what_a_change_reloads(changed, source, reloads):
    assert affects(changed, source) is reloads


# ---------------------------------------------------------------- the script on pages

def test_every_kind_of_page_carries_the_script_under_debug(debug_app, builder):
    builder.post("2024-01-01-a", title="A", tags="[t]")
    builder.file("posts/2024-02-02-b/index.md", "---\ntitle: B\ndate: 2024-02-02\n---\nText.\n")
    builder.page("about")
    builder.post("2024-03-03-broken", body="x").write_text("---\ntitle: [unclosed\n---\n")
    client = debug_app.test_client()
    expected = {
        "/posts/2024-01-01-a/": "/_quire/live?source=posts/2024-01-01-a.md",
        "/posts/2024-02-02-b/": "/_quire/live?source=posts/2024-02-02-b/index.md",
        "/about/": "/_quire/live?source=pages/about.md",
        "/posts/2024-03-03-broken/": "/_quire/live?source=posts/2024-03-03-broken.md",
        "/": '/_quire/live"', "/tags/t/": '/_quire/live"', "/archives/": '/_quire/live"',
        "/search/": '/_quire/live"', "/no-such-page/": '/_quire/live"',
    }
    for url, stream in expected.items():
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert html.count(SCRIPT) == 1, url
        assert f'var url = "{stream}' in html, (url, response.status_code)
    assert client.get("/posts/2024-03-03-broken/").status_code == 500


def test_no_script_and_no_stream_without_debug(app, builder):
    builder.post("2024-01-01-a")
    client = app.test_client()
    for url in ("/", "/posts/2024-01-01-a/", "/no-such-page/"):
        assert SCRIPT not in client.get(url).get_data(as_text=True)
    assert client.get("/_quire/live").status_code == 404


def test_the_stream_url_is_a_safe_script_string(debug_app, builder):
    builder.file('posts/q<script>"\'&x/index.md', "---\ntitle: Q\ndate: 2024-01-01\n---\nText.\n")
    page = debug_app.test_client().get("/posts/q%3Cscript%3E%22'&x/")
    assert page.status_code == 200
    script = re.search(r"<script data-quire-live-reload>(.*?)</script>", page.get_data(as_text=True), re.S).group(1)
    assert "</" not in script and "<script" not in script
    assert 'var url = "/_quire/live?source=posts/q%3Cscript%3E%22\'%26x/index.md";' in script


def test_a_debug_app_is_never_frozen(debug_app, builder, tmp_path):
    builder.post("2024-01-01-a")
    with pytest.raises(FreezeError) as info:
        freeze(debug_app, tmp_path / "out", jobs=1)
    assert str(info.value) == "this app serves live reload (debug mode): freeze an app made without debug"
    assert not (tmp_path / "out").exists()


def test_flask_freeze_under_debug_writes_no_live_reload(builder, site_dir, tmp_path, monkeypatch):
    builder.post("2024-01-01-a", tags="[t]")
    builder.page("about")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    result = flask(site_dir, "freeze", "--dest", str(tmp_path / "out"), "--jobs", "1")
    assert result.returncode == 0, result.stderr
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        data = path.read_bytes()
        assert b"_quire" not in data and b"EventSource" not in data and SCRIPT.encode() not in data, path
    assert not (tmp_path / "out" / "_quire").exists()


# ---------------------------------------------------------------- the stream

def test_stream_says_hello_then_reloads_on_its_own_file(debug_app, builder):
    post = builder.post("2024-01-01-a")
    other = builder.post("2024-01-02-b")
    response, events = stream_of(debug_app, "?source=posts/2024-01-01-a.md")
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-store"
    hello = next_event(events)
    assert hello.startswith(b"retry: 1000\nevent: hello\ndata: ")
    assert debug_app.extensions["quire.live"].boot.encode() in hello
    later(lambda: other.write_text(other.read_text() + "\nMore.\n"))
    assert next_event(events) == b": still here\n\n"  # another post changed: not this page's business
    later(lambda: post.write_text(post.read_text() + "\nMore.\n"))
    assert next_event(events) == b"event: reload\ndata: \n\n"
    assert next_event(events) == b"<end>"
    response.close()


@pytest.mark.parametrize("change", ["post", "bundle file", "template", "static", "settings"])
def test_list_pages_reload_on_any_content_and_every_page_on_the_look(debug_app, builder, site_dir, change):
    builder.post("2024-01-01-a")
    bundle = builder.file("posts/2024-02-02-b/index.md", "---\ntitle: B\ndate: 2024-02-02\n---\nText.\n")
    (site_dir / "templates").mkdir()
    (site_dir / "static").mkdir()
    actions = {
        "post": lambda: builder.post("2024-03-03-new"),
        "bundle file": lambda: builder.file("posts/2024-02-02-b/figure.svg", "<svg/>"),
        "template": lambda: builder.file("templates/extend_head.html", "<!-- mine -->"),
        "static": lambda: builder.file("static/extra.css", "body{}"),
        "settings": lambda: (site_dir / "site.toml").write_text((site_dir / "site.toml").read_text() + "\n"),
    }
    list_page = stream_of(debug_app)
    bundle_page = stream_of(debug_app, "?source=" + bundle.relative_to(site_dir).as_posix())
    for _, events in (list_page, bundle_page):
        assert next_event(events).startswith(b"retry:")
    later(actions[change])
    assert next_event(list_page[1]) == b"event: reload\ndata: \n\n"
    reloads = change != "post"
    assert next_event(bundle_page[1]) == (b"event: reload\ndata: \n\n" if reloads else b": still here\n\n")
    for response, _ in (list_page, bundle_page):
        response.close()


def test_editor_leftovers_reload_nothing(debug_app, builder):
    post = builder.post("2024-01-01-a")
    response, events = stream_of(debug_app)
    next_event(events)
    hub = debug_app.extensions["quire.live"]
    before = hub.generation
    for name in (".2024-01-01-a.md.swp", "2024-01-01-a.md~", "4913", "#2024-01-01-a.md#", "notes.txt"):
        (post.parent / name).write_text("x")
    (post.parent / "4913").unlink()
    time.sleep(0.8)
    assert hub.generation == before
    later(lambda: post.write_text("---\ntitle: [broken\n---\n"))
    assert next_event(events) == b"event: reload\ndata: \n\n"
    response.close()


def test_a_broken_file_reloads_into_its_error_page_and_back(debug_app, builder):
    post = builder.post("2024-01-01-a", body="First version.")
    client = debug_app.test_client()
    for text, status, shows in (("---\ntitle: [broken\n---\n", 500, "This post cannot be shown"),
                                ("---\ntitle: A\ndate: 2024-01-01\n---\nFixed version.\n", 200, "Fixed version.")):
        response, events = stream_of(debug_app, "?source=posts/2024-01-01-a.md")
        next_event(events)
        later(lambda text=text: post.write_text(text))
        assert next_event(events) == b"event: reload\ndata: \n\n"
        response.close()
        page = client.get("/posts/2024-01-01-a/")
        assert page.status_code == status and shows in page.get_data(as_text=True)
        assert SCRIPT in page.get_data(as_text=True)


def test_a_tab_shown_again_resumes_from_what_it_had_seen(debug_app, builder):
    post = builder.post("2024-01-01-a")
    other = builder.post("2024-01-02-b")
    hub = debug_app.extensions["quire.live"]
    response, events = stream_of(debug_app, "?source=posts/2024-01-01-a.md")
    boot, seen = next_event(events).decode().split("data: ")[1].split()
    assert boot == hub.boot and seen == str(hub.generation)
    response.close()  # the tab is hidden
    other.write_text(other.read_text() + "\nMore.\n")
    deadline = time.monotonic() + 5
    while hub.generation == int(seen) and time.monotonic() < deadline:
        time.sleep(0.02)
    # Shown again: another post changed meanwhile, so it stays; its own change made it reload at once.
    response, events = stream_of(debug_app, f"?source=posts/2024-01-01-a.md&boot={boot}&since={seen}")
    next_event(events)
    assert next_event(events) == b": still here\n\n"
    response.close()
    post.write_text(post.read_text() + "\nMore.\n")
    while hub.generation < int(seen) + 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    response, events = stream_of(debug_app, f"?source=posts/2024-01-01-a.md&boot={boot}&since={seen}")
    next_event(events)
    assert next_event(events) == b"event: reload\ndata: \n\n"
    response.close()
    # A generation of another process (a restarted server) means nothing here: the tab reloads on its boot.
    response, events = stream_of(debug_app, f"?source=posts/2024-01-01-a.md&boot=other&since={seen}")
    assert next_event(events).endswith(f"data: {boot} {hub.generation}\n\n".encode())
    response.close()


def test_one_watcher_for_all_tabs_and_none_a_while_after_the_last(debug_app, builder):
    builder.post("2024-01-01-a")
    hub = debug_app.extensions["quire.live"]
    for earlier in threading.enumerate():  # other tests' apps: their watchers stop once their streams closed
        if earlier.name == "quire-live-reload":
            earlier.join(3)
    tabs = [stream_of(debug_app) for _ in range(5)]
    for _, events in tabs:
        next_event(events)
    watchers = [t for t in threading.enumerate() if t.name == "quire-live-reload"]
    assert len(watchers) == 1 and hub.streams == 5
    for response, _ in tabs:
        response.close()
    assert hub.streams == 0
    watchers[0].join(3)
    assert not watchers[0].is_alive()
    # And a new tab starts it again; a tab that comes back from before cannot know what it missed: it reloads.
    seen = hub.generation
    response, events = stream_of(debug_app, f"?boot={hub.boot}&since={seen}")
    next_event(events)
    assert [t.name for t in threading.enumerate()].count("quire-live-reload") == 1
    assert next_event(events) == b"event: reload\ndata: \n\n"
    response.close()


def test_at_most_the_setting_s_number_of_streams(site_dir, builder):
    (site_dir / "site.toml").write_text("live_reload_streams = 2\n")
    app = create_app(site_dir, config={"TESTING": True, "DEBUG": True})
    app.extensions["quire.live"].linger = 0.5
    first, second = stream_of(app), stream_of(app)
    third = app.test_client().get("/_quire/live")
    assert third.status_code == 503 and "Too many" in third.get_data(as_text=True)
    first[0].close()
    fourth = stream_of(app)
    assert fourth[0].status_code == 200
    for response, _ in (second, fourth):
        response.close()
    (site_dir / "site.toml").write_text("live_reload_streams = 0\n")
    assert app.test_client().get("/_quire/live").status_code == 503
    assert app.extensions["quire.live"].streams == 0


def test_a_stream_closed_before_it_started_is_counted_out(debug_app):
    response = debug_app.test_client().get("/_quire/live", buffered=False)
    assert debug_app.extensions["quire.live"].streams == 1
    response.close()
    assert debug_app.extensions["quire.live"].streams == 0


def test_the_polling_watcher_serves_the_stream_alike(debug_app, builder):
    post = builder.post("2024-01-01-a")
    debug_app.extensions["quire.live"].polling = True
    response, events = stream_of(debug_app, "?source=posts/2024-01-01-a.md")
    next_event(events)
    time.sleep(0.05)
    later(lambda: post.write_text(post.read_text() + "\nMore, and the size changes.\n"))
    assert next_event(events) == b"event: reload\ndata: \n\n"
    response.close()


# ---------------------------------------------------------------- the real dev server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_stream(port: int, deadline: float):
    """Connect to the stream of a starting server; return the connection and its hello line."""
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/_quire/live")
            response = conn.getresponse()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    assert response.status == 200
    lines = [response.readline() for _ in range(3)]
    return conn, response, lines[2]


def test_the_reloader_s_restart_ends_old_streams_and_changes_the_boot(site_dir, builder, tmp_path):
    builder.post("2024-01-01-a")
    trigger = tmp_path / "trigger.py"
    trigger.write_text("# touched to restart the server\n")
    port = free_port()
    env = dict(flask_env(site_dir), FLASK_DEBUG="1")
    server = subprocess.Popen([sys.executable, "-m", "flask", "run", "--port", str(port), "--extra-files",
                               str(trigger)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        conn, response, hello = open_stream(port, time.monotonic() + 30)
        assert hello.startswith(b"data: ")
        time.sleep(1.5)  # the stat reloader looks once a second
        trigger.write_text("# touched again, so the reloader restarts the server\n")
        with pytest.raises(http.client.IncompleteRead):  # the old process's stream ends with it
            while response.read1(1024):
                pass
        conn.close()
        conn2, response2, hello2 = open_stream(port, time.monotonic() + 30)
        assert hello2.startswith(b"data: ") and hello2 != hello
        conn2.close()
    finally:
        os.killpg(server.pid, 15)
        server.wait(10)
        server.stderr.close()
