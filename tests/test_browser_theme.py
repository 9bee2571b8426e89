"""The theme toggle in a real browser: it switches, persists, follows the OS until chosen, never flashes."""

import pytest
from browser_fixtures import DARK_BG, LIGHT_BG, MATH_POST, look, open_page, playwright_or_skip

sync_api = playwright_or_skip()


def test_theme_toggle_switches_and_persists(base, new_context):
    page = open_page(new_context(color_scheme="light"), base + "/", math=False)
    assert look(page) == {"attr": None, "bg": LIGHT_BG, "pressed": "false", "stored": None}
    page.click("#quire-theme-toggle")
    assert look(page) == {"attr": "dark", "bg": DARK_BG, "pressed": "true", "stored": "dark"}
    page.reload()
    assert look(page) == {"attr": "dark", "bg": DARK_BG, "pressed": "true", "stored": "dark"}
    page.click("text=Archive")
    page.wait_for_url("**/archives/")
    assert look(page)["bg"] == DARK_BG
    page.click("#quire-theme-toggle")
    page.reload()
    assert look(page) == {"attr": "light", "bg": LIGHT_BG, "pressed": "false", "stored": "light"}


def test_theme_follows_os_until_chosen(base, new_context):
    page = open_page(new_context(color_scheme="dark"), base + "/", math=False)
    assert look(page) == {"attr": None, "bg": DARK_BG, "pressed": "true", "stored": None}
    toggle = page.locator("#quire-theme-toggle")
    page.emulate_media(color_scheme="light")
    sync_api.expect(toggle).to_have_attribute("aria-pressed", "false")  # the media change event is async
    assert look(page) == {"attr": None, "bg": LIGHT_BG, "pressed": "false", "stored": None}
    page.emulate_media(color_scheme="dark")
    sync_api.expect(toggle).to_have_attribute("aria-pressed", "true")
    assert look(page)["bg"] == DARK_BG
    page.click("#quire-theme-toggle")  # the reader chooses light while the OS says dark
    assert look(page) == {"attr": "light", "bg": LIGHT_BG, "pressed": "false", "stored": "light"}
    page.reload()
    assert look(page)["bg"] == LIGHT_BG
    page.emulate_media(color_scheme="light")
    page.click("#quire-theme-toggle")
    page.emulate_media(color_scheme="dark")
    page.emulate_media(color_scheme="light")
    page.wait_for_timeout(100)
    assert look(page) == {"attr": "dark", "bg": DARK_BG, "pressed": "true", "stored": "dark"}


# Runs before any of the page's own scripts: notes the theme when the stylesheet and <body> first exist,
# and the background colour when the DOM is ready (the stylesheet has loaded by then, as deferred scripts wait).
FIRST_PAINT_PROBE = """
window.__paint = {};
new MutationObserver(() => {
  const p = window.__paint, theme = document.documentElement.getAttribute("data-theme");
  if (!("atStylesheet" in p) && document.querySelector('link[rel="stylesheet"]')) p.atStylesheet = theme;
  if (!("atBody" in p) && document.body) p.atBody = theme;
}).observe(document, {childList: true, subtree: true});
document.addEventListener("DOMContentLoaded", () => {
  window.__paint.ready = getComputedStyle(document.body).backgroundColor;
});
"""


@pytest.mark.parametrize("stored, os_scheme, bg", [("dark", "light", DARK_BG), ("light", "dark", LIGHT_BG),
                                                   (None, "dark", DARK_BG)])
def test_theme_never_flashes(base, new_context, stored, os_scheme, bg):
    context = new_context(mathjax="block", color_scheme=os_scheme)
    page = open_page(context, base + MATH_POST, math=False)
    if stored:
        page.click("#quire-theme-toggle")
    assert look(page)["stored"] == stored
    head = page.evaluate("""() => Array.from(document.head.children)
        .filter(e => e.matches('script:not([type]), script[type="text/javascript"], link[rel="stylesheet"]'))
        .map(e => e.tagName + (e.src ? " src" : "") + " " + e.textContent.length)""")
    assert head[0].startswith("SCRIPT ") and " src" not in head[0], head  # inline, before the stylesheet
    assert int(head[0].split()[-1]) < 300, "the theme script should stay tiny"
    assert head[1].startswith("LINK"), head
    context.add_init_script(FIRST_PAINT_PROBE)
    for url in (base + MATH_POST, base + "/", base + "/search/"):
        page.goto(url)
        probe = page.evaluate("window.__paint")
        assert probe == {"atStylesheet": stored, "atBody": stored, "ready": bg}, (url, probe)
