"""The search page in a real browser: results, typos, keyboard, shared links and the bytes before the first
result."""

import re
from urllib.parse import urlencode

from browser_fixtures import kb, open_page, playwright_or_skip

sync_api = playwright_or_skip()


# Notes when the search box is first typed into and when the first result appears.
SEARCH_PROBE = """
window.__search = {};
document.addEventListener("input", () => { window.__search.typed ??= performance.now(); }, true);
document.addEventListener("DOMContentLoaded", () => {
  new MutationObserver(() => {
    if (document.querySelector("#search-results .search-result")) window.__search.result ??= performance.now();
  }).observe(document.getElementById("search-results"),  // each result fills its place as its file arrives
              {childList: true, subtree: true, attributes: true, attributeFilter: ["class"]});
});
"""
BYTES_BEFORE = """(until) => {
  const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
    .filter(e => e.responseEnd <= until);
  return {bytes: entries.reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize), 0),
          requests: entries.length, names: entries.map(e => e.name.replace(location.origin, ""))};
}"""


def result_titles(page) -> list[str]:
    return page.locator("#search-results .result-title").all_inner_texts()


def test_search(base, new_context, example):
    context = new_context()
    context.add_init_script(SEARCH_PROBE)
    page = open_page(context, base + "/search/", math=False)
    box = page.locator("#search-input")
    sync_api.expect(box).to_be_focused()
    box.press_sequentially("partition", delay=20)  # a word from a post's body, not from any title
    sync_api.expect(page.locator("#search-results .result-title").first).to_have_text("Notes on Score Matching")
    timing = page.evaluate("window.__search")
    cost = page.evaluate(BYTES_BEFORE, timing["result"])
    server = "live" if base == example["live"] else "frozen"
    print(f"\nsearch ({server}): {kb(cost['bytes'])} in {cost['requests']} requests before the first result "
          f"({', '.join(cost['names'])}); first result {timing['result'] - timing['typed']:.0f} ms after the "
          f"first keystroke, {timing['result']:.0f} ms after navigation start")
    assert cost["bytes"] < 150 * 1024
    # The snippet, with its highlighted words, follows the result once its text chunk has arrived: wait for it.
    sync_api.expect(page.locator("#search-results mark").first).to_be_visible()

    box.fill("partiton")  # one letter dropped
    sync_api.expect(page.locator("#search-status")).to_contain_text("for \u201cpartiton\u201d")
    assert "Notes on Score Matching" in result_titles(page)
    box.fill("imortance")
    sync_api.expect(page.locator("#search-status")).to_contain_text("imortance")
    assert result_titles(page)[0] == "Variational Inference Without Tears"

    box.fill("gradient")
    sync_api.expect(page.locator("#search-status")).to_contain_text("gradient")
    links = page.locator("#search-results a")
    assert links.count() >= 3
    box.press("ArrowDown")
    sync_api.expect(links.nth(0)).to_have_class(re.compile(r"\bactive\b"))
    box.press("ArrowDown")
    sync_api.expect(links.nth(1)).to_have_class(re.compile(r"\bactive\b"))
    sync_api.expect(links.nth(0)).not_to_have_class(re.compile(r"\bactive\b"))
    box.press("ArrowUp")
    sync_api.expect(links.nth(0)).to_have_class(re.compile(r"\bactive\b"))
    box.press("ArrowUp")  # wraps round to the last result
    sync_api.expect(links.last).to_have_class(re.compile(r"\bactive\b"))
    box.press("ArrowDown")
    target = links.nth(0).get_attribute("href")
    box.press("Enter")
    page.wait_for_url(base + target)

    page.go_back()
    page.wait_for_url("**/search/")
    page.locator("#search-input").fill("gradient")
    sync_api.expect(page.locator("#search-results .search-result").first).to_be_visible()
    page.keyboard.press("Escape")
    sync_api.expect(page.locator("#search-input")).to_have_value("")
    sync_api.expect(page.locator("#search-results .search-result")).to_have_count(0)
    sync_api.expect(page.locator("#search-status")).to_have_text("")

    page.goto(base + "/search/?q=partition")  # a shared search link
    sync_api.expect(page.locator("#search-results .result-title").first).to_have_text("Notes on Score Matching")
    sync_api.expect(page.locator("#search-input")).to_have_value("partition")


def test_search_shows_hostile_text_as_text(builder, live_tmp, new_context):
    title = "Pwn <img src=x onerror=\"window.__pwned=1\"> title"
    builder.post("evil", title=title, body="Code `<b onmouseover=1>bold</b><script>window.__pwned=2</script>` "
                                           "shown as text.")
    page = open_page(new_context(), live_tmp + "/search/", math=False)
    page.locator("#search-input").fill("bold")
    snippet = page.locator("#search-results .result-snippet").first
    sync_api.expect(snippet).to_contain_text("<b onmouseover=1>bold</b><script>window.__pwned=2</script>")
    sync_api.expect(snippet.locator("mark")).to_have_text("bold")  # the snippet's own markup still works
    sync_api.expect(page.locator("#search-results .result-title")).to_have_text(title)
    query = "<img src=x onerror=window.__pwned=3> pwn"
    page.locator("#search-input").fill(query)
    sync_api.expect(page.locator("#search-status")).to_have_text(f"1 result for \u201c{query}\u201d")
    page.goto(live_tmp + "/search/?" + urlencode({"q": query}))  # the server's answer, then the client's
    sync_api.expect(page.locator("#search-status")).to_have_text(f"1 result for \u201c{query}\u201d")
    sync_api.expect(page.locator("#search-input")).to_have_value(query)
    assert page.locator("#search-results img, #search-results script, #search-results b").count() == 0
    assert page.evaluate("window.__pwned") is None
