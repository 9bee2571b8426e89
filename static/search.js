// Quire search: fetches the small search/index.json once, then only the posting shards, typo buckets, result
// files and text chunks a query needs.
// Mirrors quire/search.py (rank, snippet, typo_buckets) and quire/terms.py (tokenize); keep them in step.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  var input = document.getElementById("search-input");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!form || !input || !list) return;

  var EXACT = 4, PREFIX = 2, TYPO = 1, TITLE_BONUS = 100, MAX_TF = 20, SNIPPET_CHARS = 180, LIMIT = 20;
  var STOP = new Set(("a an and are as at be but by for from has have if in into is it its of on or that the " +
    "their then there these they this to was were which will with we you your not can our also than more such " +
    "so do does").split(" "));
  // The page gives every URL shape (from Quire's route table), so this file knows none of them.
  var indexURL = form.getAttribute("data-index"), shardURL = form.getAttribute("data-shard"),
      vocabURL = form.getAttribute("data-vocab"), docURL = form.getAttribute("data-doc"),
      textURL = form.getAttribute("data-text");
  var indexPromise = null, shardNames = new Set(), shardPrefixes = [], vocabNames = new Set();
  var shards = new Map(), buckets = new Map(), docs = new Map(), chunks = new Map();
  var NO_POSTINGS = { entries: new Map(), titled: new Set() };
  var active = -1, generation = 0;

  // Lengths count characters (code points) as Python's len does, not UTF-16 units: "𝒜" is one letter.
  function length(s) { return /[\uD800-\uDFFF]/.test(s) ? Array.from(s).length : s.length; }
  function tokenize(text) {
    return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []).filter(function (t) { return length(t) > 1; });
  }
  function hex(c) { return c.codePointAt(0).toString(16); }
  // A term is in the shard of its longest prefix (two letters or more) that names one; "" if none does.
  function shardOf(term) {
    var chars = Array.from(term);
    for (var n = chars.length; n >= 2; n--) {
      var name = chars.slice(0, n).map(hex).join("-");
      if (shardNames.has(name)) return name;
    }
    return "";
  }
  // Every shard that can hold a term starting with the word: its own, and those of longer prefixes.
  function shardsFor(word) {
    var own = shardOf(word), names = [own];
    shardPrefixes.forEach(function (pair) { if (pair[0].startsWith(word) && pair[1] !== own) names.push(pair[1]); });
    return names;
  }
  // Every term one edit from the word is in one of these buckets: see typo_buckets in search.py.
  function typoBuckets(word) {
    var chars = Array.from(word), n = chars.length, first = hex(chars[0]), second = hex(chars[1]);
    var names = [n - 1, n, n + 1].map(function (l) { return "f" + l + "-" + first; });
    names.push("f" + (n - 1) + "-" + second, "f" + n + "-" + second, "s" + n + "-" + second, "s" + (n + 1) + "-" + first);
    return Array.from(new Set(names));
  }
  function withinOneEdit(a, b) {
    // One edit changes at most one character: two UTF-16 units when it lies above U+FFFF.
    if (a === b || Math.abs(a.length - b.length) > 2) return false;
    a = Array.from(a); b = Array.from(b);
    if (Math.abs(a.length - b.length) > 1) return false;
    if (a.length > b.length) { var t = a; a = b; b = t; }
    var i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    var tail = function (x, y) { return a.slice(x).join("") === b.slice(y).join(""); };
    if (a.length === b.length) {
      var swapped = i + 1 < a.length && a[i] === b[i + 1] && a[i + 1] === b[i] && tail(i + 2, i + 2);
      return tail(i + 1, i + 1) || swapped;
    }
    return tail(i, i + 1);
  }
  // Order strings as Python does, by code point: JS's < compares UTF-16 units, which puts a character above
  // U+FFFF before U+E000-U+FFFF (fullwidth letters), and the server ranks terms in Python's order.
  function compare(a, b) {
    for (var i = 0; i < a.length && i < b.length; ) {
      var x = a.codePointAt(i), y = b.codePointAt(i);
      if (x !== y) return x < y ? -1 : 1;
      i += x > 0xffff ? 2 : 1;
    }
    return a.length - b.length;
  }
  function fetchJSON(url) {
    return fetch(url).then(function (r) { if (!r.ok) throw new Error(url + ": " + r.status); return r.json(); });
  }
  function loadIndex() {
    if (!indexPromise) {
      indexPromise = fetchJSON(indexURL).then(function (data) {
        shardNames = new Set(data.shards);
        shardPrefixes = data.shards.map(function (name) {
          return [name.split("-").map(function (h) { return String.fromCodePoint(parseInt(h, 16)); }).join(""), name];
        });
        vocabNames = new Set(data.vocab);
        return data;
      });
    }
    return indexPromise;
  }
  // A file the index does not name is not fetched: on a static host a miss costs a round trip and a 404 page.
  function once(cache, key, load) {
    if (!cache.has(key)) cache.set(key, load());
    return cache.get(key);
  }
  function loadShard(name) {
    return once(shards, name, function () {
      if (!shardNames.has(name)) return Promise.resolve(new Map());
      return fetchJSON(shardURL.replace("NAME", name)).then(function (data) {
        var postings = new Map();
        Object.keys(data).forEach(function (term) {
          var flat = data[term][1], entries = new Map();
          for (var i = 0; i < flat.length; i += 3) entries.set(flat[i], [flat[i + 1], flat[i + 2]]);
          postings.set(term, { entries: entries, titled: new Set(data[term][0]) });
        });
        return postings;
      }).catch(function () { return new Map(); });
    });
  }
  function loadBucket(name) {
    return once(buckets, name, function () {
      if (!vocabNames.has(name)) return Promise.resolve([]);
      return fetchJSON(vocabURL.replace("NAME", name)).catch(function () { return []; });
    });
  }
  function loadDoc(n) {
    return once(docs, n, function () { return fetchJSON(docURL.replace("DOC", n)); });
  }
  // The terms a query word matches, with their weight: prefix matches come from the shards that can hold them,
  // typos from the buckets that can hold them.
  function candidates(word) {
    var typos = length(word) >= 5 ? Promise.all(typoBuckets(word).map(loadBucket)) : Promise.resolve([]);
    return Promise.all([Promise.all(shardsFor(word).map(loadShard)), typos]).then(function (got) {
      var prefixed = [];
      got[0].forEach(function (shard) {
        shard.forEach(function (_, t) { if (t.startsWith(word)) prefixed.push(t); });
      });
      var found = prefixed.sort(compare).map(function (t) { return [t, t === word ? EXACT : PREFIX]; });
      var near = new Set();
      got[1].forEach(function (terms) {
        terms.forEach(function (t) { if (!t.startsWith(word) && withinOneEdit(word, t)) near.add(t); });
      });
      Array.from(near).sort(compare).forEach(function (t) { found.push([t, TYPO]); });
      return found;
    });
  }
  // Resolve every candidate term's postings (fetching their shards), then rank as search.py does.
  function rank(query) {
    var words = Array.from(new Set(tokenize(query))).filter(function (w) { return !STOP.has(w); });
    if (!words.length) return Promise.resolve([]);
    var perWord = null, byName = new Map();
    return Promise.all(words.map(candidates)).then(function (found) {
      perWord = found;
      var names = new Set();
      perWord.forEach(function (c) { c.forEach(function (pair) { names.add(shardOf(pair[0])); }); });
      return Promise.all(Array.from(names).map(function (n) {
        return loadShard(n).then(function (shard) { byName.set(n, shard); });
      }));
    }).then(function () {
      var postingsOf = function (term) { return byName.get(shardOf(term)).get(term) || NO_POSTINGS; };
      var totals = null, matched = new Map();
      perWord.forEach(function (cands) {
        var scores = new Map();
        cands.forEach(function (pair) {
          var term = pair[0], weight = pair[1], found = postingsOf(term), postings = found.entries;
          var hits = new Set(postings.keys());
          found.titled.forEach(function (d) { hits.add(d); });
          hits.forEach(function (doc) {
            var tf = postings.has(doc) ? postings.get(doc)[0] : 0;
            var score = weight * (TITLE_BONUS * (found.titled.has(doc) ? 1 : 0) + Math.min(tf, MAX_TF));
            if (score > (scores.get(doc) || 0)) scores.set(doc, score);
            if (!matched.has(doc)) matched.set(doc, []);
            matched.get(doc).push([term, weight * Math.min(tf, MAX_TF), postings.has(doc) ? postings.get(doc)[1] : -1]);
          });
        });
        if (totals === null) { totals = scores; return; }
        var next = new Map();
        totals.forEach(function (s, d) { if (scores.has(d)) next.set(d, s + scores.get(d)); });
        totals = next;
      });
      var ranked = Array.from(totals.entries()).sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
      return ranked.map(function (r) { return { doc: r[0], score: r[1], terms: matched.get(r[0]) }; });
    });
  }

  function escapeHTML(s) {
    return s.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" }[c];
    });
  }
  function wordPattern(terms, flags) {
    var alts = Array.from(new Set(terms)).sort(function (a, b) { return b.length - a.length; })
      .map(function (t) { return t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); });
    return new RegExp("(?<![\\p{L}\\p{N}])(?:" + alts.join("|") + ")", flags);
  }
  function highlight(text, terms) {
    if (!terms.length) return escapeHTML(text);
    var out = "", last = 0, re = wordPattern(terms, "giu"), m;
    while ((m = re.exec(text)) !== null) {
      out += escapeHTML(text.slice(last, m.index)) + "<mark>" + escapeHTML(m[0]) + "</mark>";
      last = m.index + m[0].length;
      if (m[0].length === 0) re.lastIndex++;
    }
    return out + escapeHTML(text.slice(last));
  }
  function passage(text, best, terms) {
    var m = wordPattern([best], "iu").exec(text);
    var start = Math.max(0, (m ? m.index : 0) - Math.floor(SNIPPET_CHARS / 3));
    if (start) {
      var space = text.indexOf(" ", start);
      start = space >= 0 && space < start + 30 ? space + 1 : start;
    }
    var end = Math.min(text.length, start + SNIPPET_CHARS);
    if (end < text.length) {
      var back = text.lastIndexOf(" ", end);
      end = back > start ? back : end;
    }
    return (start ? "... " : "") + highlight(text.slice(start, end), terms) + (end < text.length ? " ..." : "");
  }
  function snippet(result, doc) {
    var terms = result.terms.map(function (t) { return t[0]; });
    var body = result.terms.filter(function (t) { return t[2] >= 0; });
    if (!body.length) return Promise.resolve(highlight(doc[3], terms));
    var best = body.reduce(function (a, b) { return b[1] > a[1] || (b[1] === a[1] && compare(b[0], a[0]) > 0) ? b : a; });
    var key = result.doc + "-" + best[2];
    if (!chunks.has(key)) {
      chunks.set(key, fetch(textURL.replace("DOC", result.doc).replace("CHUNK", best[2])).then(function (r) { return r.ok ? r.text() : ""; }));
    }
    return chunks.get(key).then(function (text) { return text ? passage(text, best[0], terms) : highlight(doc[3], terms); });
  }

  // Each result's place is kept in rank order; it shows once its post's small file has arrived.
  function render(results, query, mine) {
    list.textContent = "";
    active = -1;
    status.textContent = results.length ? results.length + (results.length === 1 ? " result" : " results") +
      " for \u201c" + query + "\u201d" : (query.trim() ? "No results for \u201c" + query + "\u201d" : "");
    results.slice(0, LIMIT).forEach(function (result) {
      var li = list.appendChild(document.createElement("li"));
      li.hidden = true;
      loadDoc(result.doc).then(function (doc) {
        if (mine === generation) show(li, result, doc);
      }).catch(function (err) { status.textContent = "Search is unavailable: " + err.message; });
    });
  }
  function show(li, result, doc) {
    li.hidden = false;
    li.className = "search-result";
    var a = document.createElement("a");
    a.href = doc[1];
    var title = document.createElement("span");
    title.className = "result-title";
    title.textContent = doc[0];
    a.appendChild(title);
    if (doc[2]) {
      var time = document.createElement("time");
      time.textContent = doc[2];
      a.appendChild(document.createTextNode(" "));
      a.appendChild(time);
    }
    var snip = document.createElement("span");
    snip.className = "result-snippet";
    snip.innerHTML = highlight(doc[3].slice(0, SNIPPET_CHARS), result.terms.map(function (t) { return t[0]; }));
    a.appendChild(snip);
    li.appendChild(a);
    snippet(result, doc).then(function (html) { snip.innerHTML = html; });
  }
  function run() {
    var query = input.value, mine = ++generation;
    if (!query.trim()) { render([], "", mine); return; }
    loadIndex().then(function () { return rank(query); }).then(function (results) {
      if (mine === generation) render(results, query, mine);
    }).catch(function (err) { status.textContent = "Search is unavailable: " + err.message; });
  }
  function links() { return Array.from(list.querySelectorAll("a")); }
  function setActive(n) {
    var all = links();
    if (!all.length) return;
    active = (n + all.length) % all.length;
    all.forEach(function (a, i) { a.classList.toggle("active", i === active); });
    all[active].scrollIntoView({ block: "nearest" });
  }

  var timer = null;
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 60); });
  input.addEventListener("focus", loadIndex, { once: true });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var all = links();
    if (all.length) window.location.href = all[Math.max(active, 0)].href;
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); setActive(active + 1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); setActive(active - 1); }
    else if (e.key === "Enter" && active >= 0 && document.activeElement === input) {
      e.preventDefault();
      window.location.href = links()[active].href;
    } else if (e.key === "Escape") {
      input.value = "";
      render([], "", ++generation);
      input.focus();
    }
  });
  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) { input.value = initial; run(); }
})();
