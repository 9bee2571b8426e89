// Run static/search.js under node for a list of queries and print what it shows, as JSON.
// Usage: node search_node.js SEARCH_JS DATA_DIR QUERIES_JSON
// DATA_DIR holds the files search.js fetches below /search/ (index.json, shards/, vocab/, docs/, text/). The
// page is a minimal stand-in for the DOM: textContent stays text and innerHTML stays the HTML string search.js wrote,
// so a test can tell what the browser would have parsed as markup.
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const [script, dataDir, queriesFile] = process.argv.slice(2);
const source = fs.readFileSync(script, "utf8");
const queries = JSON.parse(fs.readFileSync(queriesFile, "utf8"));

class Element {
  constructor(tag, attrs) {
    this.tagName = tag;
    this.attrs = attrs || {};
    this.children = [];
    this.text = "";
    this.innerHTML = "";
    this.className = "";
    this.href = "";
    this.value = "";
    this.classList = { toggle() {} };
  }
  get textContent() { return this.text + this.children.map((c) => c.textContent).join(""); }
  set textContent(value) { this.text = String(value); this.children = []; }
  appendChild(child) { this.children.push(child); return child; }
  getAttribute(name) { return this.attrs[name]; }
  addEventListener() {}
  querySelectorAll() { return []; }
}

function answer(url) {
  const rel = url.replace(/^\/search\//, "");
  const file = path.join(dataDir, rel);
  if (!url.startsWith("/search/") || rel.includes("..") || !fs.existsSync(file)) {
    return Promise.resolve({ ok: false, status: 404 });
  }
  const text = fs.readFileSync(file, "utf8");
  return Promise.resolve({ ok: true, status: 200, text: () => Promise.resolve(text),
                           json: () => Promise.resolve(JSON.parse(text)) });
}

async function show(query) {
  const page = {
    "search-form": new Element("form", { "data-index": "/search/index.json", "data-shard": "/search/shards/NAME.json",
                                         "data-vocab": "/search/vocab/NAME.json", "data-doc": "/search/docs/DOC.json",
                                         "data-text": "/search/text/DOC-CHUNK.txt" }),
    "search-input": new Element("input"),
    "search-results": new Element("ul"),
    "search-status": new Element("p"),
  };
  const context = {
    document: {
      getElementById: (id) => page[id] || null,
      createElement: (tag) => new Element(tag),
      createTextNode: (text) => { const node = new Element("#text"); node.text = text; return node; },
      addEventListener() {},
      activeElement: null,
    },
    window: { location: { search: "?" + new URLSearchParams({ q: query }).toString(), href: "" } },
    fetch: answer, URLSearchParams, Promise, Set, Map, Array, Math, setTimeout, clearTimeout, Error,
  };
  vm.runInNewContext(source, context, { filename: script });
  // Every fetch answers at once, so a few turns of the event loop settle the search and its snippets.
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
  const results = page["search-results"].children.map((li) => {
    const link = li.children[0];
    const title = link.children.find((c) => c.className === "result-title");
    const snippet = link.children.find((c) => c.className === "result-snippet");
    return { title: title.textContent, title_html: title.innerHTML, href: link.href, snippet: snippet.innerHTML };
  });
  return { query, status: page["search-status"].textContent, results };
}

(async () => {
  const out = [];
  for (const query of queries) out.push(await show(query));
  process.stdout.write(JSON.stringify(out));
})().catch((err) => { console.error(err); process.exit(1); });
