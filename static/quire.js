// Quire: theme toggle, copy buttons on code, scroll-to-top. No dependencies.
(function () {
  "use strict";
  var root = document.documentElement;
  var dark = window.matchMedia("(prefers-color-scheme: dark)");

  function currentTheme() {
    return root.getAttribute("data-theme") || (dark.matches ? "dark" : "light");
  }

  var toggle = document.getElementById("quire-theme-toggle");
  if (toggle) {
    var showState = function () { toggle.setAttribute("aria-pressed", String(currentTheme() === "dark")); };
    showState();
    dark.addEventListener("change", showState);  // the OS theme applies until the reader chooses one
    toggle.addEventListener("click", function () {
      var next = currentTheme() === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      toggle.setAttribute("aria-pressed", String(next === "dark"));
      try { localStorage.setItem("quire-theme", next); } catch (e) { /* private mode: not remembered */ }
    });
  }

  document.querySelectorAll(".code-block").forEach(function (block) {
    var code = block.querySelector("code");
    if (!code || !navigator.clipboard) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy code to clipboard");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(code.textContent).then(function () {
        button.textContent = "Copied!";
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      }, function () {
        button.textContent = "Press Ctrl+C";
      });
    });
    block.appendChild(button);
  });

  // A box that scrolls sideways (long code, wide tables, wide math) must be focusable, so keyboards can
  // scroll it. Math exists only once MathJax has typeset it, so the page's MathJax set-up calls this again.
  var markScrollers = function () {
    document.querySelectorAll(".code-block pre, .table-wrap, .post-content mjx-container").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) box.setAttribute("tabindex", "0");
      else box.removeAttribute("tabindex");
    });
  };
  window.quireMarkScrollers = markScrollers;

  // A reference in prose, `\eqref{eq:elbo}`, shows its label until MathJax has numbered the equations;
  // then it shows the number MathJax gave, as `(3)` (`\ref`: `3`).
  window.quireNumberRefs = function () {
    var tags = window.MathJax && MathJax.startup && MathJax.startup.document.inputJax[0].parseOptions.tags;
    var labels = tags ? tags.allLabels : {};
    document.querySelectorAll("a.eqref[data-label]").forEach(function (link) {
      var found = labels[link.getAttribute("data-label")];
      if (found && found.tag) {
        link.textContent = link.getAttribute("data-command") === "eqref" ? "(" + found.tag + ")" : found.tag;
      }
    });
  };
  markScrollers();
  window.addEventListener("resize", markScrollers, { passive: true });

  var toTop = document.getElementById("quire-to-top");
  if (toTop) {
    var update = function () {
      toTop.classList.toggle("visible", window.scrollY > 400);
    };
    window.addEventListener("scroll", update, { passive: true });
    update();
  }
})();
