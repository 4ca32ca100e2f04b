/* Field inspection on a phone, offline first (docs/offline.md).
 *
 * Every change to an item and every photo goes into the outbox (static/outbox.js, IndexedDB)
 * with a client id, the phone's time and position at capture, and is sent from there, in order,
 * when there is a link (at once, on the `online` event, every 20 s, and by Background Sync).
 * While an answer waits, its result chip, the score and the progress are the phone's own
 * judgement (static/judge.js), marked 待同步; the server's reply replaces them. */
(function () {
  "use strict";
  /* hx-boost swaps pages without reloading: this file may be evaluated again; set up once. */
  if (window.inspectorReady) { window.inspectorReady(); return; }
  var OB = { add: function (e) { return window.InspectorOutbox.add(e); }, meta: function (k, v) { return window.InspectorOutbox.meta(k, v); } };
  var SKIP = { csrf_token: 1, client_id: 1, device_id: 1, base_version: 1 };
  var flushTimer = null, progress = {}, position = null, lastGeo = null, geoStarted = false;

  function uid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(16) + Math.random().toString(16).slice(2);
  }
  function deviceId() {
    var id = null;
    try { id = localStorage.getItem("inspector:device"); } catch (e) { /* private mode */ }
    if (!id) { id = uid(); try { localStorage.setItem("inspector:device", id); } catch (e) {} }
    return id;
  }
  /* Now, ISO 8601 with the phone's offset (2026-05-01T09:30:00+08:00). */
  function isoNow() {
    var d = new Date(), off = -d.getTimezoneOffset(), p = function (n) { return (n < 10 ? "0" : "") + n; };
    var local = new Date(d.getTime() + off * 60000).toISOString().slice(0, 19);
    return local + (off >= 0 ? "+" : "-") + p(Math.floor(Math.abs(off) / 60)) + ":" + p(Math.abs(off) % 60);
  }
  function walk() { return document.querySelector("[data-inspection]"); }
  function user() { var w = walk(); return w ? w.getAttribute("data-user") : null; }

  /* ---- position: asked for after a tap, or at once when already allowed ---- */
  function fillGeo() {
    if (!position) return;
    document.querySelectorAll("[data-geo-form]").forEach(function (form) {
      form.elements.lat.value = position.latitude.toFixed(7);
      form.elements.lon.value = position.longitude.toFixed(7);
      form.elements.accuracy.value = Math.round(position.accuracy * 10) / 10;
    });
  }
  function geoStatus(text, bad) {
    lastGeo = [text, bad];
    document.querySelectorAll("[data-geo-status]").forEach(function (el) {
      el.textContent = text; el.classList.toggle("warn", !!bad);
    });
  }
  function startGeo() {
    if (geoStarted) return;
    geoStarted = true;
    if (!navigator.geolocation) { geoStatus("此浏览器不支持定位", true); return; }
    geoStatus("正在获取定位…");
    navigator.geolocation.watchPosition(function (pos) {
      position = pos.coords; fillGeo(); geoStatus("定位 ±" + Math.round(pos.coords.accuracy) + " 米", pos.coords.accuracy > 100);
    }, function (err) {
      geoStatus(err.code === 1 ? "未允许定位：照片将标记“无定位”" : "暂时无法定位", true);
    }, { enableHighAccuracy: true, maximumAge: 10000, timeout: 20000 });
  }
  function geoOnLoad() {
    if (geoStarted || !document.querySelector("[data-geo-status]")) return;
    geoStatus("点“定位”或开始填写后获取定位");
    if (navigator.permissions && navigator.permissions.query) {
      navigator.permissions.query({ name: "geolocation" }).then(function (p) { if (p.state === "granted") startGeo(); }, function () {});
    }
  }
  function here() {
    return position ? { lat: position.latitude.toFixed(7), lon: position.longitude.toFixed(7),
                        accuracy: String(Math.round(position.accuracy * 10) / 10) } : { lat: "", lon: "", accuracy: "" };
  }

  /* ---- answers ---- */
  function values(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "file" || el.type === "submit" || el.type === "button") return;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      out[el.name] = el.value;
    });
    return out;
  }
  function restore(form, vals) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "file") return;
      if (el.type === "radio" || el.type === "checkbox") el.checked = vals[el.name] === el.value;
      else if (el.name in vals) el.value = vals[el.name];
    });
  }
  function itemOf(form) { return form.id.replace(/^form-/, ""); }
  function answerForm(el) { var f = el && (el.form || el.closest && el.closest("form")); return f && /^form-/.test(f.id) ? f : null; }

  /* `draft`: made while typing; the next change to the item replaces it. A committed change (a tap,
   * leaving the field) is kept and sent in its turn, so every committed value is saved in order. */
  function enqueueAnswer(form, clientId, draft) {
    var vals = values(form), snapshot = JSON.stringify(vals);
    if (!clientId && form.dataset.sent === snapshot && (draft || form.dataset.draft !== "1")) return Promise.resolve(null);
    form.dataset.sent = snapshot;
    form.dataset.draft = draft ? "1" : "";
    var fields = Object.assign({}, vals, here(), {
      csrf_token: form.elements.csrf_token.value, client_id: clientId || uid(), device_id: deviceId(),
      base_version: form.elements.base_version.value, captured_at: isoNow() });
    form.elements.client_id.value = fields.client_id;
    var entry = { kind: "answer", user: user(), inspection: walk().getAttribute("data-inspection"),
                  item: itemOf(form), url: form.action, fields: fields, client_id: fields.client_id, values: vals,
                  draft: !!draft };
    showLocal(entry.item, vals, "待同步");
    return OB.add(entry).then(function (e) { refresh(); return e; });
  }
  function onEdit(event) {
    var form = answerForm(event.target);
    if (!form || form.querySelector("fieldset[disabled]")) return;
    startGeo();
    var typing = event.type === "input" && !/^(radio|checkbox)$/.test(event.target.type);
    enqueueAnswer(form, null, typing).then(function (e) { if (e) scheduleFlush(typing ? 1200 : 0); });
  }
  function onSubmit(event) {
    var form = answerForm(event.target);
    if (form) { event.preventDefault(); event.stopPropagation(); enqueueAnswer(form).then(function () { scheduleFlush(0); }); return; }
    if (event.target.matches && event.target.matches("form[action$='/logout']")) signOut();
  }
  /* htmx must not send an item's form itself: the outbox does. */
  function cancelHtmx(event) {
    var elt = event.detail && event.detail.elt;
    if (elt && (answerForm(elt) === elt || (elt.matches && elt.matches("form.upload")))) event.preventDefault();
  }

  /* The phone's judgement of an item waiting in the outbox. */
  function showLocal(item, vals, label) {
    var article = document.getElementById("item-" + item), state = document.getElementById("state-" + item);
    var J = window.InspectorJudge;
    if (!article || !state || !J) return;
    var j = J.judge(article, vals), chip = state.querySelector(".result"), detail = state.querySelector(".detail");
    article.setAttribute("data-local-result", j.result);
    article.className = article.className.replace(/\bresult-\w+/, "result-" + j.result);
    if (chip) { chip.className = "result result-" + j.result; chip.textContent = J.LABELS[j.result]; }
    if (!detail && j.detail && chip) { detail = document.createElement("span"); detail.className = "detail"; chip.after(detail); }
    if (detail) detail.textContent = j.detail || "";
    pending(item, label);
    recompute();
  }
  function pending(item, text, bad) {
    var state = document.getElementById("state-" + item), el = state && state.querySelector("[data-pending]");
    if (!el) return;
    el.textContent = text || ""; el.hidden = !text;
    state.classList.toggle("unsaved", !!text);
    el.classList.toggle("warn", !!bad);
  }

  /* Score and progress: the server's, moved by the items still waiting. */
  function recompute() {
    var prog = document.getElementById("progress"), bar = prog && prog.querySelector("[role=progressbar]");
    if (!bar) return;
    var answered = +bar.getAttribute("aria-valuenow"), total = +bar.getAttribute("aria-valuemax");
    var earned = +prog.getAttribute("data-earned"), possible = +prog.getAttribute("data-possible"), n = 0;
    document.querySelectorAll("[data-local-result]").forEach(function (a) {
      var state = document.getElementById("state-" + a.getAttribute("data-item"));
      var r0 = state ? state.getAttribute("data-result") : "open", r1 = a.getAttribute("data-local-result");
      var w = +a.getAttribute("data-weight") || 0;
      n += 1;
      answered += (r1 !== "open") - (r0 !== "open");
      possible += w * ((r1 !== "na") - (r0 !== "na"));
      earned += w * ((r1 === "pass") - (r0 === "pass"));
    });
    var a = prog.querySelector("[data-progress-answered]"), s = prog.querySelector("[data-progress-score]");
    if (!n) return;
    if (a) a.textContent = "已查 " + answered + "/" + total + " · 待同步";
    if (s) s.textContent = possible > 0 ? (Math.round(1000 * earned / possible) / 10).toFixed(1) + " 分（待同步）" : "";
    var fill = bar.querySelector("span");
    if (fill && total) fill.style.width = Math.round(100 * answered / total) + "%";
  }

  /* A server fragment in place of `target` (outerHTML), its out-of-band parts (hx-swap-oob) in place
   * of the elements with their ids: what htmx does with a save's reply, without htmx on this page. */
  function swap(target, html) {
    var t = document.createElement("template");
    t.innerHTML = html;
    Array.prototype.slice.call(t.content.querySelectorAll("[hx-swap-oob]")).forEach(function (el) {
      var old = el.id && document.getElementById(el.id);
      el.remove();
      el.removeAttribute("hx-swap-oob");
      if (old) old.replaceWith(el);
    });
    var first = t.content.firstElementChild;
    target.replaceWith(t.content);
    document.body.dispatchEvent(new CustomEvent("walk:swapped", { bubbles: true, detail: { target: first } }));
    return first;
  }
  /* "保留对方的": the item as stored now replaces the conflict, and this phone's refused answer goes. */
  function keepTheirs(link) {
    var article = link.closest(".item"), item = article.getAttribute("data-item"), ins = walk().getAttribute("data-inspection");
    var OBX = window.InspectorOutbox, html = null;
    return fetch(link.href, { headers: { "HX-Request": "true" }, credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.text();
    }).then(function (text) {
      html = text;
      return OBX.all();
    }).then(function (list) {  /* gone before the swap, so it is not put back on the item */
      return Promise.all(list.filter(function (e) {
        return e.kind === "answer" && e.inspection === ins && e.item === item && e.status === "conflict";
      }).map(OBX.remove));
    }).then(function () { swap(article, html); refresh(); },
            function () { pending(item, "未能读取对方的填写：请联网后再试", true); });
  }

  window.InspectorPage = { swap: swap, enqueueAnswer: enqueueAnswer, showLocal: showLocal, pending: pending, recompute: recompute,
                           here: here, isoNow: isoNow, uid: uid, deviceId: deviceId, user: user, walk: walk,
                           restore: restore, startGeo: startGeo, fillGeo: fillGeo, geo: function () { return lastGeo; },
                           geoStatus: geoStatus, geoOnLoad: geoOnLoad, refresh: function () { refresh(); },
                           scheduleFlush: function (ms) { scheduleFlush(ms); }, progress: progress };
  function refresh() { if (window.InspectorQueue) window.InspectorQueue.refresh(); }
  function scheduleFlush(ms) {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = setTimeout(function () { flushTimer = null; if (window.InspectorQueue) window.InspectorQueue.flush(); }, ms);
  }
  function signOut() {
    OB.meta("user", null);
    if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage({ type: "logout" });
  }

  document.addEventListener("input", onEdit, true);
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("form.upload input[type=file]")) return;  /* static/queue.js */
    onEdit(event);
  }, true);
  document.addEventListener("submit", onSubmit, true);
  document.addEventListener("pointerdown", function (event) {
    if (event.target.closest && event.target.closest("[data-inspection] .item, [data-geo-start], [data-geo-form]")) startGeo();
  }, true);
  document.body.addEventListener("htmx:beforeRequest", cancelHtmx);
  document.body.addEventListener("htmx:configRequest", function (event) {
    if ("device_id" in event.detail.parameters) event.detail.parameters.device_id = deviceId();
    if (event.detail.elt.matches && event.detail.elt.matches("[data-geo-form]")) fillGeo();
  });
  ["htmx:afterSwap", "walk:swapped"].forEach(function (name) {
    document.body.addEventListener(name, function () { fillGeo(); recompute(); });
  });
  document.body.addEventListener("click", function (event) {
    if (event.target.closest("[data-geo-start]")) { geoStarted = false; startGeo(); return; }
    var theirs = event.target.closest("[data-keep-theirs]");
    if (theirs) { event.preventDefault(); keepTheirs(theirs); return; }
    var keep = event.target.closest("[data-keep-mine]");
    if (!keep) return;
    var form = document.getElementById("form-" + keep.closest(".item").getAttribute("data-item"));
    form.elements.base_version.value = keep.getAttribute("data-base");
    form.dataset.sent = "";
    enqueueAnswer(form).then(function () { scheduleFlush(0); });
  });

  function ready() {
    fillGeo();
    if (lastGeo) geoStatus(lastGeo[0], lastGeo[1]); else geoOnLoad();  /* a boosted swap brought new, empty status lines */
    if (window.InspectorQueue) window.InspectorQueue.ready();
  }
  window.inspectorReady = ready;
  ready();
  if (window.inspectorBoot) window.inspectorBoot();
})();
