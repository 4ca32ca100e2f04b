/* The outbox on the walk page: photos taken into it, its queue and progress on screen, sending
 * (XHR with upload progress) and what each reply means for the item; the service worker's
 * registration and "离线可用". Needs static/outbox.js, static/inspect.js; docs/offline.md. */
(function () {
  "use strict";
  if (window.inspectorBoot) { window.inspectorBoot(); return; }
  var OB = null, P = null, urls = {}, timer = null, busy = false, again = false, current = null, stopped = null;

  function here() { return P.walk() ? P.walk().getAttribute("data-inspection") : null; }
  function mine(e) { return String(e.user) === String(P.user()); }

  /* ---- photos: into the outbox, never straight to the server ---- */
  function prepare(form, file) {
    /* a county that requires originals (data-photo-originals): the file as taken */
    if (window.InspectorPhotos && window.InspectorPhotos.prepare && !form.hasAttribute("data-photo-originals")) {
      return window.InspectorPhotos.prepare(file).catch(function () { return { blob: file, name: file.name, fields: {} }; });
    }
    return Promise.resolve({ blob: file, name: file.name, fields: {} });
  }
  function photoEntry(form, item, file, capturedAt) {
    var base = Object.assign({ csrf_token: form.elements.csrf_token.value, client_id: P.uid(), captured_at: capturedAt,
                               device_id: P.deviceId() }, P.here());
    return prepare(form, file).then(function (prep) {
      return { kind: "photo", user: P.user(), inspection: here(), item: item, url: form.action,
               blob: prep.blob, name: prep.name || file.name || "photo.jpg", client_id: base.client_id,
               fields: Object.assign(base, prep.fields || {}) };
    });
  }
  function onPhotos(event) {
    var input = event.target;
    if (!input.matches || !input.matches("form.upload input[type=file]")) return;
    event.stopPropagation();  /* htmx must not upload it directly */
    var form = input.form, item = form.closest(".photos").id.replace(/^photos-/, ""), at = P.isoNow();
    var files = Array.prototype.slice.call(input.files || []);
    P.startGeo();
    files.reduce(function (chain, file) {
      return chain.then(function () { return photoEntry(form, item, file, at).then(OB.add); });
    }, Promise.resolve()).then(function () { input.value = ""; refresh(); syncSoon(0); });
  }

  /* ---- the queue on screen ---- */
  function thumb(entry) {
    if (!urls[entry.seq] && entry.blob) urls[entry.seq] = URL.createObjectURL(entry.blob);
    var li = document.createElement("li");
    li.setAttribute("data-queued-photo", entry.client_id);
    li.innerHTML = '<img alt="待上传的照片" width="96" height="96"><progress max="100" value="0"></progress><span class="queued-state"></span>';
    li.querySelector("img").src = urls[entry.seq] || "";
    li.querySelector(".queued-state").textContent = entry.status === "failed" ? "未上传：" + entry.reason : "待上传";
    if (entry.status === "failed") {
      li.classList.add("failed");
      var drop = document.createElement("button");
      drop.type = "button"; drop.className = "link"; drop.textContent = "放弃这张";
      drop.setAttribute("data-discard", entry.seq);
      li.appendChild(drop);
    }
    return li;
  }
  function showPhotos(list) {
    document.querySelectorAll("[data-queued]").forEach(function (ul) { ul.remove(); });
    list.forEach(function (e) {
      var box = e.kind === "photo" && e.inspection === here() && document.getElementById("photos-" + e.item);
      if (!box) return;
      var ul = box.querySelector("[data-queued]");
      if (!ul) { ul = document.createElement("ul"); ul.className = "queued"; ul.setAttribute("data-queued", ""); box.insertBefore(ul, box.querySelector("form")); }
      ul.appendChild(thumb(e));
    });
  }
  /* Entries as a person counts them: photos one by one, answers once per item (its last value goes). */
  function tally(list) {
    var items = {}, photos = 0;
    list.forEach(function (e) { if (e.kind === "photo") photos += 1; else items[e.inspection + "/" + e.item] = 1; });
    return { photos: photos, answers: Object.keys(items).length };
  }
  function status(list) {
    var el = document.querySelector("[data-outbox-status]"), warn = document.querySelector("[data-outbox-warn]");
    var waiting = list.filter(function (e) { return e.status === "pending"; }), n = tally(waiting);
    var stuck = list.length - waiting.length;
    if (el) {
      var parts = [];
      if (n.photos) parts.push(n.photos + " 张照片");
      if (n.answers) parts.push(n.answers + " 项");
      el.textContent = (parts.length ? "待上传 " + parts.join(" · ") : (stuck ? "" : "全部已上传")) +
        (stuck ? (parts.length ? "；" : "") + stuck + " 条未能上传，见条目说明" : "") +
        (parts.length && navigator.onLine === false ? "（无网络，恢复后自动上传）" : "");
      el.classList.toggle("warn", !!(parts.length || stuck));
    }
    if (warn) { warn.textContent = OB.state.warning; warn.hidden = !OB.state.warning; }
  }
  function refresh() {
    return OB.all().then(function (list) { list = list.filter(mine); status(list); showPhotos(list); return list; });
  }

  /* ---- sending, and what each reply means on the page ---- */
  function swap(selector, html) {
    var target = document.getElementById(selector.slice(1));  /* item ids hold dots (rl-5.2-…): not a selector */
    if (target && html && html.indexOf('id="' + selector.slice(1) + '"') >= 0) {
      P.swap(target, html);
      return true;
    }
    return false;
  }
  function onStart(entry) {
    if (entry.kind === "answer") P.pending(entry.item, "上传中…");
  }
  function onProgress(entry, loaded, total) {
    var li = document.querySelector('[data-queued-photo="' + entry.client_id + '"]');
    if (li) { li.querySelector("progress").value = Math.round(100 * loaded / total); li.querySelector(".queued-state").textContent = "上传中 " + Math.round(100 * loaded / total) + "%"; }
  }
  function onReply(entry, what, reply) {
    if (entry.inspection !== here()) return;
    var target = (entry.kind === "photo" ? "#photos-" : "#state-") + entry.item;
    if (what === "retry" || what === "login") {
      var why = what === "login" ? "登录已过期：请重新登录，未上传的内容仍保存在手机上"
        : navigator.onLine === false ? "未上传：没有网络，恢复后自动上传" : "未上传：服务器暂时无法连接，将自动重试";
      if (entry.kind === "answer") P.pending(entry.item, why, true);
      OB.state.warning = what === "login" ? why : OB.state.warning;
      return;
    }
    /* the server has judged this answer: its estimate goes before the swap, whose listeners recompute
     * the bar (else they mark the server's fresh bar 待同步 again for an item no longer waiting) */
    var article = entry.kind === "answer" && document.getElementById("item-" + entry.item);
    if (article) article.removeAttribute("data-local-result");
    var swapped = swap(target, reply.text);
    if (entry.kind === "answer") afterAnswer(entry, what, reply, swapped);
  }
  function afterAnswer(entry, what, reply, swapped) {
    var mine = document.getElementById("form-" + entry.item);
    if (what === "done" && mine && mine.elements.client_id.value === entry.client_id) mine.dataset.draft = "";  /* nothing left to commit */
    if (what === "failed") {
      if (!swapped || !/class="error"/.test(reply.text)) P.pending(entry.item, "未上传：" + OB.reasonOf(reply.text), true);
      var form = document.getElementById("form-" + entry.item);
      if (form) P.restore(form, entry.values || {});
    }
    P.recompute();
  }
  /* `asked`: the worker asked (its Background Sync fired while this page is open). What is left
   * waiting after a try of the page's own is handed to Background Sync, for when the page is
   * closed; never after the worker's ask, or page and worker would wake each other for ever. */
  function sync(asked) {
    if (busy) { again = true; return current; }  /* what came in meanwhile goes next, in the same promise */
    busy = true;
    again = false;
    current = OB.flush({ user: P.user(), onStart: onStart, onProgress: onProgress, onReply: onReply }).then(function (r) {
      busy = false;
      stopped = r.stopped;
      if (again && !r.stopped) { again = false; return sync(asked); }
      if (r.stopped === "retry" && !asked) backgroundSync();
      return refresh().then(function (list) {
        list.forEach(function (e) { if (e.kind === "answer" && e.status === "pending" && e.inspection === here()) P.showLocal(e.item, e.values || {}, "待同步"); });
      });
    }, function (e) {  /* said in the console, and what is still waiting is shown as it is */
      busy = false;
      stopped = "error";
      if (window.console) console.error("outbox: sending stopped", e);
      return refresh();
    });
    return current;
  }
  function syncSoon(ms, asked) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () { timer = null; sync(asked); }, ms);
  }
  function backgroundSync() {
    if (!navigator.serviceWorker || !navigator.serviceWorker.ready) return;
    navigator.serviceWorker.ready.then(function (reg) { if (reg.sync) return reg.sync.register("outbox"); }).catch(function () {});
  }

  /* ---- 完成检查: the results page opens once what this inspection has waiting is on the server,
   * so it never shows a summary without the answer just tapped; offline it says what is left out. ---- */
  function finishNote(link) {
    var bar = link.parentNode, note = bar.querySelector("[data-finish-note]");
    if (!note) {
      note = document.createElement("div");
      note.className = "finish-note"; note.setAttribute("data-finish-note", ""); note.setAttribute("role", "status");
      bar.insertBefore(note, link);
    }
    note.hidden = false;
    return note;
  }
  function sayLeft(note, text, label) {
    note.textContent = text;
    var go = document.createElement("button");
    go.type = "button"; go.className = "button"; go.setAttribute("data-finish-anyway", "");
    go.textContent = label;
    note.appendChild(go);
  }
  function counted(left) {
    var n = tally(left), parts = [];
    if (n.answers) parts.push(n.answers + " 项填写");
    if (n.photos) parts.push(n.photos + " 张照片");
    return parts.join("、");
  }
  function commitDrafts() {  /* a value still being typed is committed, as leaving the field would */
    return Promise.all(Array.prototype.filter.call(document.querySelectorAll("form[id^='form-']"), function (f) {
      return f.dataset.draft === "1";
    }).map(function (f) { return P.enqueueAnswer(f); }));
  }
  function leftHere() {
    return refresh().then(function (list) { return list.filter(function (e) { return e.inspection === here(); }); });
  }
  function drain(rounds) {  /* send until nothing of this inspection waits, or sending stops */
    return sync().then(leftHere).then(function (left) {
      var more = left.some(function (e) { return e.status === "pending"; });
      return more && !stopped && rounds > 1 ? drain(rounds - 1) : left;
    });
  }
  function through(link) { link.__through = true; link.click(); }
  function finish(event) {
    var anyway = event.target.closest && event.target.closest("[data-finish-anyway]");
    var link = anyway ? document.querySelector("a[data-finish]") : event.target.closest && event.target.closest("a[data-finish]");
    if (!link || !P.walk()) return;
    if (link.__through) { link.__through = false; return; }  /* on its way: hx-boost opens it */
    event.preventDefault(); event.stopPropagation();
    if (anyway) { through(link); return; }
    if (link.__waiting) return;
    link.__waiting = true;
    link.setAttribute("aria-busy", "true");
    commitDrafts().then(leftHere).then(function (left) {
      if (!left.length) return left;
      var note = finishNote(link);
      sayLeft(note, "正在上传本次检查未保存的 " + counted(left) + "，完成后打开结果…", "不等了，先看结果");
      return drain(5);
    }).then(function (left) {
      link.__waiting = false;
      link.removeAttribute("aria-busy");
      if (!left.length) { var n = document.querySelector("[data-finish-note]"); if (n) n.hidden = true; through(link); return; }
      var waiting = left.filter(function (e) { return e.status === "pending"; }), refused = left.length - waiting.length;
      var why = navigator.onLine === false ? "没有网络" : stopped === "login" ? "登录已过期" : "服务器暂时无法连接";
      sayLeft(finishNote(link), (waiting.length ? "还有 " + counted(waiting) + "未上传（" + why + "），恢复后自动上传。" : "") +
        (refused ? counted(left.filter(function (e) { return e.status !== "pending"; })) + "未能上传，见条目说明。" : "") +
        "结果页不含这些填写。", "仍然查看结果");
    }, function () { link.__waiting = false; link.removeAttribute("aria-busy"); through(link); });
  }

  /* ---- after a load (or a boosted swap): what is waiting goes back on its items ---- */
  function migrate() {
    var w = P.walk(), key = w && "inspector:pending:" + w.getAttribute("data-inspection"), old = {};
    try { old = JSON.parse(localStorage.getItem(key) || "{}"); } catch (e) { return Promise.resolve(); }
    return Object.keys(old).reduce(function (chain, item) {
      var form = document.getElementById("form-" + item);
      if (!form || !old[item].values) return chain;
      return chain.then(function () {
        P.restore(form, old[item].values);
        if (old[item].base) form.elements.base_version.value = old[item].base;
        return P.enqueueAnswer(form, old[item].client_id);
      });
    }, Promise.resolve()).then(function () { try { localStorage.removeItem(key); } catch (e) {} });
  }
  function putBack(list, again) {
    list.forEach(function (e) {
      if (e.kind !== "answer" || e.inspection !== here()) return;
      var form = document.getElementById("form-" + e.item);
      if (form) { P.restore(form, e.values || {}); form.dataset.sent = JSON.stringify(e.values || {}); }
      if (e.status === "conflict" && again) return;
      if (e.status === "conflict") { e.status = "pending"; OB.put(e); }  /* once more: the server shows the conflict */
      if (e.status === "failed") { P.showLocal(e.item, e.values || {}, ""); P.pending(e.item, "未上传：" + e.reason, true); }
      else P.showLocal(e.item, e.values || {}, "待同步");
    });
  }
  function ready() {
    if (!P.walk()) return;
    if (P.user()) OB.meta("user", P.user());
    var first = !P.walk().__waitingShown;  /* this page's first start, not a section loaded later */
    P.walk().__waitingShown = true;
    OB.recover().then(migrate).then(refresh).then(function (list) {
      putBack(list); status(list); syncSoon(300);
      var waiting = list.filter(function (e) { return e.inspection === here() && e.item; }).map(function (e) { return e.item; });
      if (first && waiting.length && window.InspectorWalk) window.InspectorWalk.showWaiting(waiting);
    });
    if (first) shell();
  }

  /* ---- the service worker: this page kept at once, "离线可用" keeps what it links to ---- */
  function ask(message) {
    return navigator.serviceWorker.ready.then(function (reg) {
      return new Promise(function (ok, fail) {
        var ch = new MessageChannel();
        ch.port1.onmessage = function (e) { (e.data && e.data.ok ? ok : fail)(e.data && e.data.result); };
        (navigator.serviceWorker.controller || reg.active).postMessage(message, [ch.port2]);
      });
    });
  }
  function offlineUrls() {
    var button = document.querySelector("[data-offline-keep]"), list = [location.pathname];
    try { list = list.concat(JSON.parse(button.getAttribute("data-offline-keep") || "[]")); } catch (e) {}
    var fragments = Array.prototype.map.call(document.querySelectorAll("[data-section-url]"), function (el) {
      return el.getAttribute("data-section-url");
    });
    return { urls: list, fragments: fragments };
  }
  function discard(event) {  /* only a photo the server refused, and only when the inspector says so */
    var button = event.target.closest && event.target.closest("[data-discard]");
    if (!button) return;
    OB.all().then(function (list) {
      var entry = list.filter(function (e) { return String(e.seq) === button.getAttribute("data-discard"); })[0];
      return entry && entry.status === "failed" ? OB.remove(entry) : null;
    }).then(refresh);
  }
  function keepAll(event) {
    var button = event.target.closest("[data-offline-keep]"), note = document.querySelector("[data-offline-note]");
    if (!button) return;
    if (!navigator.serviceWorker) { note.textContent = "此浏览器不能离线保存页面；未上传的填写和照片仍保存在手机上"; return; }
    var want = offlineUrls();
    note.textContent = "正在保存到手机…";
    ask({ type: "keep", urls: want.urls, fragments: want.fragments }).then(function (n) {
      var all = want.urls.length + want.fragments.length;
      note.textContent = n === all ? "已离线可用：本次检查、清单和站点页面已保存到手机（" + n + " 页）"
        : "部分页面未能保存（" + n + "/" + all + "），联网后再点一次";
    }, function () { note.textContent = "保存失败，联网后再点一次"; });
  }
  function shell() {
    var note = document.querySelector("[data-offline-note]");
    if (!navigator.serviceWorker || !navigator.serviceWorker.register) {
      if (note) note.textContent = "此浏览器不能离线打开页面；未上传的填写和照片仍保存在手机上";
      return;
    }
    var controlled = !!navigator.serviceWorker.controller;  /* if so, the worker kept this page as it passed */
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      if (!controlled) return ask({ type: "keep", urls: [location.pathname], fragments: [] });  /* opened before the worker ran */
    }).then(keepSections).catch(function () {});
  }
  /* Every inspection opened is kept whole: the sections not yet on the phone are fetched once, in
   * the background, so a closed section opens without a link too. */
  function keepSections() {
    if (navigator.onLine === false || !window.caches) return null;
    var frags = offlineUrls().fragments;
    return caches.open("pages").then(function (cache) {
      return Promise.all(frags.map(function (u) {
        var key = new URL(u, location.href);
        key.searchParams.set("__fragment", "1");
        return cache.match(key.toString(), { ignoreVary: true }).then(function (hit) { return hit ? null : u; });
      }));
    }).then(function (want) {
      want = want.filter(Boolean);
      return want.length ? ask({ type: "keep", urls: [], fragments: want }) : null;
    });
  }
  /* The scripts of a page swapped in by hx-boost run in any order: start once all are there. */
  function boot() {
    if (window.InspectorQueue || !window.InspectorOutbox || !window.InspectorPage || !window.InspectorJudge) return;
    OB = window.InspectorOutbox; P = window.InspectorPage;
    window.InspectorQueue = { ready: ready, refresh: refresh, flush: function () { return sync(); }, sync: sync };
    window.addEventListener("online", function () { syncSoon(0); });
    window.addEventListener("offline", refresh);
    document.addEventListener("change", onPhotos, true);
    document.addEventListener("click", keepAll);
    document.addEventListener("click", discard);
    document.addEventListener("click", finish, true);  /* before hx-boost's own listener on the link */
    ["htmx:afterSwap", "walk:swapped"].forEach(function (name) {  /* an item or a section swapped in */
      document.body.addEventListener(name, function (event) {
        var t = event.detail && event.detail.target;
        if (t && t.querySelector && t.querySelector("form[id^='form-']")) refresh().then(function (list) { putBack(list, true); });
      });
    });
    setInterval(function () { if (navigator.onLine !== false) sync(); }, 20000);
    if (navigator.serviceWorker) {
      navigator.serviceWorker.addEventListener("message", function (event) { if (event.data && event.data.type === "flush") syncSoon(0, true); });
    }
    ready();
  }
  window.inspectorBoot = boot;
  boot();
})();
