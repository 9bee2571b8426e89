"""```mermaid blocks: kept as escaped source for Mermaid to draw; Mermaid loaded only where a diagram is."""

from quire import create_app
from quire.markdown import render_markdown

CDN = "https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.min.js"
DIAGRAM = '```mermaid\ngraph TD\n  A["<script>x</script>"] --> B{"a & b"}\n```\n'


def test_a_mermaid_block_is_escaped_source_not_highlighted_code():
    html = render_markdown("Text.\n\n" + DIAGRAM).html
    assert ('<pre class="mermaid">graph TD\n  A[&quot;&lt;script&gt;x&lt;/script&gt;&quot;] --&gt; '
            'B{&quot;a &amp; b&quot;}\n</pre>') in html
    assert "code-block" not in html and "<script>" not in html
    assert 'class="code-block"' in render_markdown("```python\nx = 1\n```\n").html


def test_only_pages_with_a_diagram_load_mermaid(builder, client):
    builder.post("d", "D", "2024-01-01", DIAGRAM)
    builder.post("p", "P", "2024-01-02", "```\nmermaid\n```\n\nNo `mermaid` diagram.")
    html = client.get("/posts/d/").get_data(as_text=True)
    assert f'<script src="{CDN}" defer></script>' in html and "mermaid.run(" in html
    for url in ("/posts/p/", "/", "/tags/"):
        assert "mermaid.min.js" not in client.get(url).get_data(as_text=True), url


def test_a_self_hosted_mermaid_follows_the_base_path(builder, site_dir):
    builder.post("d", "D", "2024-01-01", DIAGRAM)
    app = create_app(site_dir, config={"TESTING": True},
                     settings={"base_url": "https://ex.org/blog/", "mermaid_url": "/static/mermaid/mermaid.min.js"})
    html = app.test_client().get("/posts/d/", base_url="http://localhost/blog/").get_data(as_text=True)
    assert '<script src="/blog/static/mermaid/mermaid.min.js" defer></script>' in html
    app = create_app(site_dir, config={"TESTING": True}, settings={"mermaid_url": "https://x.org/m.js?a=1&b=2"})
    html = app.test_client().get("/posts/d/").get_data(as_text=True)
    assert '<script src="https://x.org/m.js?a=1&amp;b=2" defer></script>' in html
