"""Mermaid in a real browser: a ```mermaid block becomes an SVG (from the local npm copy served for the CDN URL),
in the light and the dark theme, live and frozen, with no console error; pages without a diagram never load it."""

import pytest
from browser_fixtures import open_page, playwright_or_skip
from browser_support import MERMAID_DIR, StaticServer, Watch

from quire.freeze import freeze

from conftest import post_text

playwright_or_skip()
pytestmark = pytest.mark.skipif(
    not (MERMAID_DIR / "mermaid.min.js").is_file(),
    reason=f"no local Mermaid at {MERMAID_DIR} (npm install --prefix .cache/npm mermaid@11)")

DIAGRAM = """
Before the diagram.

```mermaid
graph TD
  A[Noise] -->|denoise| B{"x < y & z"}
  B --> C[Image]
```
"""


@pytest.fixture
def servers(builder, app, live_tmp, tmp_path):
    builder.file("posts/diagram.md", post_text("Diagram", "2024-01-01", DIAGRAM))
    builder.file("posts/plain.md", post_text("Plain", "2024-01-02", "No diagram here."))
    dest = tmp_path / "frozen"
    freeze(app, dest, jobs=1)
    frozen = StaticServer(dest)
    yield {"live": live_tmp, "frozen": frozen.url}
    frozen.stop()


@pytest.mark.parametrize("where", ["live", "frozen"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_diagram_renders_to_svg_without_console_errors(servers, new_context, where, theme):
    page = new_context(color_scheme=theme).new_page()
    watch = Watch(page)
    page.goto(servers[where] + "/posts/diagram/", wait_until="load")
    page.wait_for_selector("pre.mermaid.mermaid-drawn svg")
    svg = page.locator("pre.mermaid svg")
    assert svg.count() == 1
    text = svg.text_content()
    assert "Noise" in text and "x < y & z" in text and "Image" in text
    assert watch.console == [] and watch.failed == []


def test_the_diagram_follows_the_theme_toggle(servers, new_context):
    page = new_context(color_scheme="light").new_page()
    page.goto(servers["live"] + "/posts/diagram/", wait_until="load")
    page.wait_for_selector("pre.mermaid.mermaid-drawn svg")
    light_fill = page.evaluate("getComputedStyle(document.querySelector('pre.mermaid svg .node rect')).fill")
    page.click("#quire-theme-toggle")
    page.wait_for_function("""(before) => {
      const rect = document.querySelector('pre.mermaid svg .node rect');
      return rect && getComputedStyle(rect).fill !== before;
    }""", arg=light_fill)


def test_without_javascript_the_source_reads_as_code(servers, new_context):
    page = open_page(new_context(java_script_enabled=False), servers["frozen"] + "/posts/diagram/", math=False)
    assert page.locator("pre.mermaid svg").count() == 0
    assert 'A[Noise] -->|denoise| B{"x < y & z"}' in page.locator("pre.mermaid").inner_text()


def test_pages_without_a_diagram_do_not_load_mermaid(servers, new_context):
    page = new_context().new_page()
    loaded = []
    page.on("request", lambda request: loaded.append(request.url) if "mermaid" in request.url else None)
    page.goto(servers["frozen"] + "/posts/plain/", wait_until="load")
    assert loaded == []
    page.goto(servers["frozen"] + "/posts/diagram/", wait_until="load")
    assert any(url.endswith("/mermaid.min.js") for url in loaded)
