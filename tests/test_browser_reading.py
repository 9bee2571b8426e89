"""Reading long posts in a real browser: the side table of contents, sidenotes, zoomable figures, code blocks,
callouts, and a wide layout that never scrolls sideways nor shifts."""

import pytest
from browser_fixtures import EXAMPLE, open_page, playwright_or_skip, wait_for_math

sync_api = playwright_or_skip()

POST = "/posts/2024-05-19-policy-gradients/"
WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
RECT = "(selector) => { const r = document.querySelector(selector).getBoundingClientRect(); " \
       "return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width}; }"


def test_side_toc_follows_the_reader(base, new_context):
    page = open_page(new_context(viewport=WIDE), base + POST)
    assert page.locator(".toc-side nav").is_visible() and not page.locator("details.toc").is_visible()
    for heading in ("baselines", "the-natural-gradient", "the-setting"):
        page.evaluate(f"document.getElementById('{heading}').scrollIntoView({{behavior: 'instant'}})")
        page.wait_for_function("(id) => { const a = document.querySelector('.toc-side a[aria-current]'); "
                               "return a && a.getAttribute('href') === '#' + id; }", arg=heading)
    assert page.locator(".toc-side a[aria-current]").count() == 1
    # The column is sticky: it stays on screen deep into the post.
    box = page.evaluate(RECT, ".toc-side nav")
    assert 0 <= box["top"] <= 40 and box["right"] < page.evaluate(RECT, ".post-content")["left"]


def test_side_toc_is_there_without_javascript(base, new_context):
    page = new_context(viewport=WIDE, java_script_enabled=False).new_page()
    page.goto(base + POST)
    assert page.locator(".toc-side nav").is_visible()
    assert page.locator(".toc-side a").count() == page.locator("details.toc nav a").count() > 10


def test_sidenote_beside_its_reference_when_wide(base, new_context):
    page = open_page(new_context(viewport=WIDE), base + POST)
    wait_for_math(page)
    page.wait_for_timeout(200)
    ref, note = page.evaluate(RECT, "sup.footnote-ref"), page.evaluate(RECT, ".sidenote")
    content = page.evaluate(RECT, ".post-content")
    assert abs(note["top"] - ref["top"]) <= 2, (note, ref)
    assert note["left"] >= content["right"] + 16 and note["right"] <= 1440
    assert " ".join(page.locator(".sidenote").text_content().split()).startswith("1Thomas, “Bias in natural")
    assert not page.locator("section.footnotes").is_visible()


def test_footnotes_stay_at_the_bottom_when_narrow(base, new_context):
    page = open_page(new_context(viewport=PHONE), base + POST, math=False)
    assert page.locator("section.footnotes").is_visible()
    assert not page.locator(".sidenote").first.is_visible()


def test_sidenotes_never_overlap(builder, live_tmp, new_context):
    notes = "".join(f"[^{n}]" for n in range(1, 5))
    builder.post("2024-01-01-notes", title="Notes", body=f"Four notes at once{notes}.\n\n" + "".join(
        f"[^{n}]: Note {n}, long enough to take a few lines in the margin of a wide screen, and more.\n"
        for n in range(1, 5)))
    page = open_page(new_context(viewport=WIDE), live_tmp + "/posts/2024-01-01-notes/", math=False)
    boxes = page.evaluate("[...document.querySelectorAll('.sidenote')].map(n => n.getBoundingClientRect())"
                          ".map(r => [r.top, r.bottom])")
    assert len(boxes) == 4
    assert all(later[0] >= earlier[1] for earlier, later in zip(boxes, boxes[1:], strict=False)), boxes


def test_figures_zoom_by_keyboard(base, new_context):
    page = open_page(new_context(viewport=WIDE), base + POST, math=False)
    figures = page.locator(".post-content figure img")
    assert figures.count() == 2
    figures.first.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog.zoom")
    sync_api.expect(dialog).to_be_visible()
    assert dialog.get_attribute("aria-label") == "Figure 1 of 2: The agent-environment loop"
    assert page.evaluate("document.activeElement.className") == "zoom-close"
    big = page.evaluate(RECT, "dialog.zoom img")
    assert big["width"] > page.evaluate(RECT, ".post-content figure img")["width"]
    page.keyboard.press("ArrowRight")
    assert dialog.get_attribute("aria-label").startswith("Figure 2 of 2: Variance")
    assert "Variance of the one-sample estimator" in page.locator(".zoom-caption").inner_text()
    page.keyboard.press("Escape")
    sync_api.expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement === document.querySelectorAll('.post-content figure img')[1]")
    # A click opens it too, and a click closes it.
    figures.first.click()
    sync_api.expect(dialog).to_be_visible()
    page.mouse.click(5, 5)
    sync_api.expect(dialog).to_be_hidden()


def test_code_copies_without_line_numbers(base, new_context):
    context = new_context(viewport=WIDE, permissions=["clipboard-read", "clipboard-write"])
    page = open_page(context, base + POST, math=False)
    block = page.locator(".code-block.has-title")
    assert block.locator(".code-title").inner_text() == "gae.py"
    assert block.locator(".line.hl").count() == 2
    assert "running = delta" in block.locator(".line.hl").nth(1).inner_text()
    source = (EXAMPLE / "posts/2024-05-19-policy-gradients/index.md").read_text(encoding="utf-8")
    code = source.split('```python {title="gae.py", linenos=true, hl_lines="9-10"}\n', 1)[1].split("```", 1)[0]
    block.locator(".copy-code").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.rstrip("\n") == code.rstrip("\n") and copied.startswith("import numpy as np\n\ndef gae(")
    selected = page.evaluate("""() => { const code = document.querySelector('.has-title code');
      const range = document.createRange(); range.selectNodeContents(code);
      getSelection().removeAllRanges(); getSelection().addRange(range); return getSelection().toString(); }""")
    assert selected.replace("\r", "").rstrip("\n") == code.rstrip("\n")
    # The numbers are there to see: the first line's counter reads 1.
    assert page.evaluate("getComputedStyle(document.querySelector('.has-title .line'), '::before').content") \
        == "counter(line)"


def test_callout_shows_its_title(base, new_context):
    page = open_page(new_context(viewport=WIDE), base + POST, math=False)
    callout = page.locator(".callout-tip")
    assert callout.locator(".callout-title").inner_text() == "Tip"
    assert callout.get_attribute("role") == "note"


@pytest.mark.parametrize("width", [360, 390, 800, 1279, 1280, 1440, 1920])
def test_no_sideways_scroll_at_any_width(base, new_context, width):
    page = open_page(new_context(viewport={"width": width, "height": 900}), base + POST)
    page.wait_for_timeout(100)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), width


def test_the_wide_layout_does_not_shift(base, new_context):
    # MathJax blocked: typesetting moves text on every width (issue of its own); this measures the layout.
    context = new_context(viewport=WIDE, mathjax="block")
    page = context.new_page()
    page.add_init_script("""window.quireShift = 0; new PerformanceObserver(list => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) window.quireShift += e.value;
    }).observe({type: 'layout-shift', buffered: true});""")
    page.goto(base + POST, wait_until="load")
    page.wait_for_timeout(500)
    assert page.evaluate("window.quireShift") == 0
