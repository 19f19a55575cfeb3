/* The site's only script, served by the site itself; every page works without it.
   - Chapter links seek the episode's player instead of opening the audio file.
   - The search box searches search/index.json (built with the site) as you type; no request leaves the site. */
(function () {
  "use strict";

  // -- chapters -------------------------------------------------------------------------------
  function seek(seconds, play) {
    var media = document.querySelector(".episode-audio");
    if (!media || isNaN(seconds)) return false;
    media.currentTime = seconds;
    if (play) { var started = media.play(); if (started && started.catch) started.catch(function () {}); }
    return true;
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-start]");
    if (link && seek(Number(link.getAttribute("data-start")), true)) event.preventDefault();
  });
  // A link from the newsletter to #chapter-N starts the player at that chapter when pressed.
  var chapter = /^#chapter-\d+$/.test(location.hash) && document.querySelector(location.hash + " a[data-start]");
  if (chapter) seek(Number(chapter.getAttribute("data-start")), false);

  // -- search ---------------------------------------------------------------------------------
  var form = document.querySelector("form.site-search");
  if (!form || !window.fetch) return;
  var input = form.querySelector("input[name=q]");
  var dropdown = form.querySelector(".search-results");
  var indexUrl = new URL(form.getAttribute("data-index"), location.href);
  var root = new URL("../", indexUrl);
  var loading = null;
  var lang = document.documentElement.lang || "en";

  function load() {
    loading = loading || fetch(indexUrl).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (data) {
      data.pages.forEach(function (p) { p.nt = fold(p.t); p.ns = fold(p.s); p.nx = fold(p.x); });
      return data.pages;
    });
    return loading;
  }
  function fold(text) {
    return String(text).toLocaleLowerCase(lang).normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }
  function words(text) { return fold(text).split(/[^\p{L}\p{N}]+/u).filter(Boolean); }
  function count(haystack, needle) {
    var n = 0, at = haystack.indexOf(needle);
    while (at !== -1 && n < 5) { n += 1; at = haystack.indexOf(needle, at + needle.length); }
    return n;
  }
  // Every word must appear somewhere; the title counts most, then the summary, then the text.
  function score(page, query, terms) {
    var total = 0;
    for (var i = 0; i < terms.length; i += 1) {
      var term = terms[i];
      var inTitle = page.nt.indexOf(term) !== -1, inSummary = page.ns.indexOf(term) !== -1;
      var inText = count(page.nx, term);
      if (!inTitle && !inSummary && !inText) return 0;
      total += (inTitle ? 10 : 0) + (inSummary ? 3 : 0) + inText * 0.5;
    }
    var phrase = terms.join(" ");
    var title = words(page.t).join(" ");
    if (title === phrase) total += 100;
    else if (title.indexOf(phrase) !== -1) total += 40;
    return total;
  }
  function search(query) {
    var terms = words(query);
    return load().then(function (pages) {
      if (!terms.length) return [];
      return pages.map(function (page) { return { page: page, score: score(page, query, terms) }; })
        .filter(function (hit) { return hit.score > 0; })
        .sort(function (a, b) { return b.score - a.score || a.page.t.localeCompare(b.page.t, lang); })
        .map(function (hit) { return hit.page; });
    });
  }
  function say(key, query, n) {
    return form.getAttribute("data-" + key).replace("{q}", query).replace("{n}", String(n));
  }
  function show(target, query, hits, limit) {
    target.textContent = "";
    var status = document.createElement("p");
    status.setAttribute("role", "status");
    status.textContent = hits.length === 0 ? say("none", query, 0) : say(hits.length === 1 ? "one" : "many", query, hits.length);
    target.appendChild(status);
    if (!hits.length) return;
    var list = document.createElement("ol");
    list.className = "search-list";
    hits.slice(0, limit).forEach(function (page) {
      var item = document.createElement("li"), link = document.createElement("a");
      var title = document.createElement("strong"), about = document.createElement("span");
      link.href = new URL(page.u, root).href;
      title.textContent = page.t;
      about.textContent = page.k + " · " + page.s;
      link.appendChild(title);
      link.appendChild(about);
      item.appendChild(link);
      list.appendChild(item);
    });
    target.appendChild(list);
  }
  function failed(target) {
    target.textContent = "";
    var status = document.createElement("p");
    status.textContent = form.getAttribute("data-failed");
    target.appendChild(status);
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var query = input.value.trim();
    if (!query) { dropdown.textContent = ""; return; }
    timer = setTimeout(function () {
      search(query).then(function (hits) {
        if (input.value.trim() === query) show(dropdown, query, hits, 8);
      }, function () { failed(dropdown); });
    }, 120);
  });
  input.addEventListener("focus", function () { load().catch(function () {}); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") dropdown.textContent = "";
    if (event.key === "ArrowDown") {
      var first = dropdown.querySelector("a");
      if (first) { event.preventDefault(); first.focus(); }
    }
  });
  document.addEventListener("click", function (event) {
    if (!form.contains(event.target)) dropdown.textContent = "";
  });

  // The search page shows every result for ?q= (the form's plain GET, so it also works from a bookmark).
  var page = document.getElementById("search-page-results");
  var asked = new URLSearchParams(location.search).get("q");
  if (page && asked) {
    input.value = asked;
    search(asked).then(function (hits) { show(page, asked, hits, 50); }, function () { failed(page); });
  }
})();
