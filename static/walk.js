/* Moving through the checklist: the section index, "下一个未查项", filters, sections that load when opened.
 *
 * A closed section of a large checklist holds no items until it is opened: its items come from its
 * data-section-url (the offline copy caches that URL). Each section carries the server's counts of
 * unanswered, failed and photo-missing items (data-open, data-fail, data-nophoto), used while it is
 * not loaded; a loaded section is counted from its items as they are now. */
(function () {
  "use strict";
  if (window.walkReady) { window.walkReady(); return; }
  var filter = "all";

  function walk() { return document.querySelector(".walk[data-inspection]"); }
  function sections() { return Array.prototype.slice.call(document.querySelectorAll("details.section")); }
  function items(sec) { return Array.prototype.slice.call(sec.querySelectorAll("article.item")); }

  /* An item's state now: open (未答), fail, nophoto (required photos not all taken). */
  function state(item) {
    var r = item.querySelector(".state .result");
    var result = r ? (r.className.match(/result-(\w+)/) || [])[1] : "open";
    var need = +(item.getAttribute("data-photos-need") || 0);
    var have = item.querySelectorAll(".thumbs img").length;
    return { open: result === "open", fail: result === "fail", nophoto: result !== "na" && have < need };
  }
  function counts(sec) {
    if (!sec.hasAttribute("data-loaded")) {
      return { open: +sec.getAttribute("data-open"), fail: +sec.getAttribute("data-fail"),
               nophoto: +sec.getAttribute("data-nophoto"), total: null };
    }
    var c = { open: 0, fail: 0, nophoto: 0, total: 0 };
    items(sec).forEach(function (it) {
      var s = state(it);
      c.total += 1; c.open += s.open; c.fail += s.fail; c.nophoto += s.nophoto;
    });
    return c;
  }

  /* Fetch a closed section's items once; resolves when they are in the page. */
  function load(sec) {
    if (sec.hasAttribute("data-loaded")) return Promise.resolve(sec);
    if (sec._loading) return sec._loading;
    var body = sec.querySelector(".section-body");
    /* HX-Request: a fragment, kept by the worker under the same key as "离线可用" keeps it */
    sec._loading = fetch(sec.getAttribute("data-section-url"), { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.text();
      })
      .then(function (html) {
        body.innerHTML = html;
        sec.setAttribute("data-loaded", "");
        if (window.htmx) htmx.process(body);
        if (window.inspectorReady) window.inspectorReady();  /* put back what was typed and not yet saved */
        sec._loading = null;
        refresh();
        return sec;
      }, function () {
        sec._loading = null;
        body.innerHTML = '<p class="error" role="alert">本节未能加载' +
          (navigator.onLine === false ? "：没有网络，且本节尚未离线保存" : "") + "。请稍后再打开。</p>";
        throw new Error("section");
      });
    return sec._loading;
  }
  function openSection(sec) {
    sec.open = true;
    return load(sec);
  }

  /* The bottom edge of the sticky bars: what is above it is hidden under them. */
  function barBottom() {
    var bar = document.querySelector(".walk-bar");
    return bar ? bar.getBoundingClientRect().bottom : 0;
  }
  function scrollTo(el) {
    var at = (el.matches("details") ? el.querySelector("summary") : el).getBoundingClientRect().top;
    window.scrollBy(0, at - barBottom() - 8);
    if (el.matches("article.item")) {
      el.setAttribute("tabindex", "-1");
      el.focus({ preventScroll: true });
    }
  }

  /* The counts in the section headers, the index and the buttons. */
  function refresh() {
    var all = { open: 0, fail: 0, nophoto: 0 };
    sections().forEach(function (sec) {
      var c = counts(sec);
      all.open += c.open; all.fail += c.fail; all.nophoto += c.nophoto;
      if (c.total === null) return;
      var text = (c.total - c.open) + "/" + c.total;
      var head = sec.querySelector("[data-sec-count]");
      if (head) head.textContent = text;
      var toc = document.querySelector('[data-toc-count="' + sec.id.slice(4) + '"]');
      if (toc) toc.textContent = text;
    });
    var next = document.querySelector("[data-next-open]");
    if (next) { next.hidden = false; next.disabled = !all.open; next.textContent = all.open ? "下一个未查项" : "全部已查"; }
    var group = document.querySelector("[data-filters]");
    if (group) group.hidden = false;
    ["open", "fail", "nophoto"].forEach(function (k) {
      var b = document.querySelector('[data-filter="' + k + '"]');
      if (b) b.textContent = { open: "未答", fail: "不合格", nophoto: "缺照片" }[k] + " " + all[k];
    });
  }

  /* The first unanswered item below the top of the screen, else the first of all (loading its section). */
  function nextOpen() {
    var line = barBottom() + 16;  /* an item scrolled to sits 8 px under the bars, above this line: "next" moves on */
    var first = null, below = null;
    sections().forEach(function (sec) {
      if (below) return;
      var loaded = sec.hasAttribute("data-loaded");
      var cands = loaded && sec.open ? items(sec).filter(function (it) { return !it.hidden && state(it).open; })
        : (counts(sec).open ? [sec] : []);
      cands.forEach(function (c) {
        if (below) return;
        if (!first) first = c;
        var el = c.matches("details") ? c.querySelector("summary") : c;
        if (el.getBoundingClientRect().top > line) below = c;
      });
    });
    var target = below || first;
    if (!target) return;
    if (!target.matches("details")) { scrollTo(target); return; }
    if (filter !== "all" && filter !== "open") setFilter("all");
    openSection(target).then(function (sec) {
      var it = items(sec).filter(function (i) { return state(i).open; })[0];
      scrollTo(it || sec);
    });
  }

  /* Show only the items matching the filter; sections without one are hidden, closed ones are loaded. */
  function setFilter(name) {
    filter = name;
    document.querySelectorAll("[data-filter]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-filter") === name ? "true" : "false");
    });
    var pending = sections().map(function (sec) {
      if (name === "all") { sec.hidden = false; items(sec).forEach(function (it) { it.hidden = false; }); return null; }
      if (!counts(sec)[name]) { sec.hidden = true; return null; }
      sec.hidden = false;
      return openSection(sec).then(function () {
        var shown = 0;
        items(sec).forEach(function (it) { it.hidden = !state(it)[name]; shown += !it.hidden; });
        sec.hidden = !shown;
      });
    });
    Promise.all(pending.map(function (p) { return p && p.catch(function () {}); })).then(function () {
      var empty = document.querySelector("[data-filter-empty]");
      if (empty) empty.hidden = name === "all" || sections().some(function (s) { return !s.hidden; });
    });
  }

  /* An item linked to (#item-…) in a section not loaded yet: load sections in order until it is there. */
  function reveal(id) {
    var el = document.getElementById(id);
    if (el) {
      var sec = el.closest("details.section");
      if (sec && !sec.open) sec.open = true;
      scrollTo(el);
      return;
    }
    if (!/^item-/.test(id)) return;
    var rest = sections().filter(function (s) { return !s.hasAttribute("data-loaded"); });
    (function step() {
      var sec = rest.shift();
      if (!sec) return;
      load(sec).then(function () {
        if (document.getElementById(id)) { sec.open = true; scrollTo(document.getElementById(id)); } else step();
      }, step);
    })();
  }

  /* Items still waiting in the outbox (after a reload, offline): their sections are loaded, in
   * order, and opened, so what is 待同步 is in sight. */
  function showWaiting(ids) {
    var missing = [];
    ids.forEach(function (id) {
      var el = document.getElementById("item-" + id), sec = el && el.closest("details.section");
      if (sec) sec.open = true; else if (!el && missing.indexOf(id) < 0) missing.push(id);
    });
    var rest = sections().filter(function (s) { return !s.hasAttribute("data-loaded"); });
    (function step() {
      var sec = rest.shift();
      if (!sec || !missing.length) return;
      load(sec).then(function () {
        var before = missing.length;
        missing = missing.filter(function (id) { return !document.getElementById("item-" + id); });
        if (missing.length < before) sec.open = true;
        step();
      }, step);
    })();
  }
  window.InspectorWalk = { showWaiting: showWaiting, load: load };

  /* "全部展开": every section open and loaded, kept as this phone's choice for every walk page. */
  var OPEN_ALL = "inspector:walk-open-all";
  function openAllChosen() { try { return localStorage.getItem(OPEN_ALL) === "1"; } catch (e) { return false; } }
  function openAll(on, remember) {
    if (remember) { try { if (on) localStorage.setItem(OPEN_ALL, "1"); else localStorage.removeItem(OPEN_ALL); } catch (e) {} }
    var b = document.querySelector("[data-open-all]");
    if (b) b.setAttribute("aria-pressed", on ? "true" : "false");
    sections().forEach(function (sec) { sec.open = on; });  /* opening one loads it (the toggle listener) */
  }

  document.addEventListener("toggle", function (event) {
    var sec = event.target;
    if (sec.matches && sec.matches("details.section") && sec.open) load(sec).catch(function () {});
  }, true);
  /* Capture: before htmx's boost sees the click on an index link. */
  document.addEventListener("click", function (event) {
    var go = event.target.closest && event.target.closest("[data-goto]");
    if (go) {
      event.preventDefault();
      event.stopPropagation();
      var sec = document.getElementById("sec-" + go.getAttribute("data-goto"));
      var toc = go.closest("details");
      if (toc) toc.open = false;
      if (sec) { sec.hidden = false; openSection(sec).catch(function () {}); scrollTo(sec); }
      return;
    }
    if (event.target.closest("[data-next-open]")) { nextOpen(); return; }
    var all = event.target.closest("[data-open-all]");
    if (all) { openAll(all.getAttribute("aria-pressed") !== "true", true); return; }
    var f = event.target.closest("[data-filter]");
    if (f) setFilter(f.getAttribute("data-filter"));
  }, true);
  /* No device id in URLs: inspect.js adds it to every request from the walk page; a GET (a page, a
   * section) would carry it in its query string, so it goes in a header instead. Listening on the
   * document runs after the listeners on the body. */
  document.addEventListener("htmx:configRequest", function (event) {
    var d = event.detail;
    if (d.verb === "get" && d.parameters && d.parameters.device_id !== undefined) {
      d.headers["X-Device-Id"] = d.parameters.device_id;
      delete d.parameters.device_id;
    }
  });
  ["htmx:afterSwap", "walk:swapped"].forEach(function (name) {
    document.addEventListener(name, function () { if (walk()) refresh(); });
  });
  window.addEventListener("hashchange", function () { if (walk()) reveal(location.hash.slice(1)); });

  /* After a load or a boosted page swap: counts, and an item the address points at. */
  function ready() {
    if (!walk()) return;
    filter = "all";
    var folded = sections().some(function (sec) { return !sec.hasAttribute("data-loaded"); });
    var all = document.querySelector("[data-open-all]");
    if (all && (folded || openAllChosen())) all.hidden = false;
    if (folded && openAllChosen()) openAll(true, false);
    refresh();
    if (location.hash.length > 1) reveal(decodeURIComponent(location.hash.slice(1)));
    var pending = null;
    try { pending = JSON.parse(localStorage.getItem("inspector:pending:" + walk().getAttribute("data-inspection")) || "{}"); } catch (e) {}
    Object.keys(pending || {}).forEach(function (item) {
      if (!document.getElementById("item-" + item)) reveal("item-" + item);  /* unsaved edits: load their section */
    });
  }
  window.walkReady = ready;
  ready();
})();
