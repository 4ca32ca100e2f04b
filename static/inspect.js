/* Field inspection on a phone: position, autosave with retry, nothing typed is lost.
 *
 * Every change to an item form gets a fresh client id and is kept in localStorage until the
 * server confirms it; a failed save (offline, server down) stays "unsaved" on the item and is
 * retried with the same client id, so a retry can never store a value twice. */
(function () {
  "use strict";
  /* hx-boost swaps pages without reloading: this file may be evaluated again; set up once. */
  if (window.inspectorReady) { window.inspectorReady(); return; }
  var SKIP = { csrf_token: 1, client_id: 1, device_id: 1, base_version: 1 };
  var retryTimer = null;

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

  function store() {
    var walk = document.querySelector("[data-inspection]");
    return walk ? "inspector:pending:" + walk.getAttribute("data-inspection") : null;
  }
  function load() {
    var STORE = store();
    if (!STORE) return {};
    try { return JSON.parse(localStorage.getItem(STORE) || "{}"); } catch (e) { return {}; }
  }
  function save(all) {
    var STORE = store();
    if (!STORE) return;
    try { localStorage.setItem(STORE, JSON.stringify(all)); } catch (e) {}
  }

  function fields(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "file" || el.type === "submit") return;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      out[el.name] = el.value;
    });
    return out;
  }
  function restore(form, values) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "file") return;
      if (el.type === "radio" || el.type === "checkbox") el.checked = values[el.name] === el.value;
      else if (el.name in values) el.value = values[el.name];
    });
  }

  function itemOf(form) { return form.id.replace(/^form-/, ""); }
  function pendingLabel(item, text) {
    var state = document.getElementById("state-" + item);
    var el = state && state.querySelector("[data-pending]");
    if (!el) return;
    el.textContent = text || "";
    el.hidden = !text;
    state.classList.toggle("unsaved", !!text);
  }

  /* A change: remember it (with a new client id) before htmx sends it. */
  function onEdit(event) {
    var form = event.target.form;
    if (!form || !/^form-/.test(form.id)) return;
    var values = fields(form);
    var snapshot = JSON.stringify(values);
    if (form.dataset.sent === snapshot) return;
    form.dataset.sent = snapshot;
    form.elements.client_id.value = uid();
    var all = load();
    all[itemOf(form)] = { values: values, client_id: form.elements.client_id.value,
                          base: form.elements.base_version.value };
    save(all);
    pendingLabel(itemOf(form), "保存中…");
  }

  function resend(item, entry) {
    var form = document.getElementById("form-" + item);
    if (!form) return;
    restore(form, entry.values);
    form.elements.client_id.value = entry.client_id;
    form.dataset.sent = JSON.stringify(entry.values);
    htmx.trigger(form, "submit");
  }

  function retryAll() {
    retryTimer = null;
    var all = load();
    Object.keys(all).forEach(function (item) {
      if (!all[item].failed) return;
      pendingLabel(item, "重新保存中…");
      resend(item, all[item]);
    });
  }
  function scheduleRetry() {
    if (!retryTimer) retryTimer = setTimeout(retryAll, navigator.onLine === false ? 15000 : 4000);
  }

  function netStatus() {
    var el = document.querySelector("[data-net-status]");
    var all = load(), n = Object.keys(all).filter(function (k) { return all[k].failed; }).length;
    if (!el) return;
    el.textContent = n ? ("未保存 " + n + " 项" + (navigator.onLine === false ? "（无网络）" : "")) : "";
    el.classList.toggle("warn", !!n);
  }

  function afterSave(event) {
    var form = event.detail.elt;
    if (!form || !/^form-/.test(form.id || "")) return;
    var item = itemOf(form), xhr = event.detail.xhr, all = load();
    var entry = all[item];
    var reached = xhr && xhr.status > 0 && xhr.status < 500;
    if (reached) {
      /* The server answered (saved, refused with a reason, or conflict): nothing to retry. */
      if (entry && entry.client_id === form.elements.client_id.value) delete all[item];
      save(all);
    } else {
      if (entry) { entry.failed = true; save(all); }
      pendingLabel(item, navigator.onLine === false ? "未保存：没有网络，恢复后自动重试" : "未保存：服务器暂时无法连接，将自动重试");
      scheduleRetry();
    }
    netStatus();
  }

  /* Position: watched while the page is open; copied into every form that sends it. */
  var position = null;
  function describe(p) {
    return "定位 ±" + Math.round(p.accuracy) + " 米";
  }
  function fillGeo() {
    document.querySelectorAll("[data-geo-form]").forEach(function (form) {
      if (!position) return;
      form.elements.lat.value = position.latitude.toFixed(7);
      form.elements.lon.value = position.longitude.toFixed(7);
      form.elements.accuracy.value = Math.round(position.accuracy * 10) / 10;
    });
  }
  var lastGeo = null;
  function geoStatus(text, bad) {
    lastGeo = [text, bad];
    document.querySelectorAll("[data-geo-status]").forEach(function (el) {
      el.textContent = text; el.classList.toggle("warn", !!bad);
    });
  }
  if (navigator.geolocation) {
    navigator.geolocation.watchPosition(function (pos) {
      position = pos.coords; fillGeo(); geoStatus(describe(pos.coords), pos.coords.accuracy > 100);
    }, function (err) {
      geoStatus(err.code === 1 ? "未允许定位：照片将标记“无定位”" : "暂时无法定位", true);
    }, { enableHighAccuracy: true, maximumAge: 10000, timeout: 20000 });
  } else {
    geoStatus("此浏览器不支持定位", true);
  }

  document.addEventListener("input", onEdit, true);
  document.addEventListener("change", onEdit, true);
  document.body.addEventListener("htmx:configRequest", function (event) {
    if ("device_id" in event.detail.parameters || event.detail.elt.closest && event.detail.elt.closest("[data-inspection]")) {
      event.detail.parameters.device_id = deviceId();
    }
    if (event.detail.elt.matches && event.detail.elt.matches("[data-geo-form]")) fillGeo();
  });
  document.body.addEventListener("htmx:afterRequest", afterSave);
  document.body.addEventListener("htmx:afterSwap", function () { fillGeo(); netStatus(); });
  document.body.addEventListener("click", function (event) {
    var keep = event.target.closest("[data-keep-mine]");
    if (!keep) return;
    var item = keep.closest(".item").getAttribute("data-item");
    var form = document.getElementById("form-" + item);
    form.elements.base_version.value = keep.getAttribute("data-base");
    form.elements.client_id.value = uid();
    form.dataset.sent = "";
    htmx.trigger(form, "submit");
  });
  window.addEventListener("online", function () { retryAll(); netStatus(); });
  window.addEventListener("offline", netStatus);

  /* After a reload: put back what was typed but not confirmed, and send it again. */
  function ready() {
    fillGeo();
    if (lastGeo) geoStatus(lastGeo[0], lastGeo[1]);  /* a boosted page swap brought new, empty status lines */
    if (!store()) return;
    var all = load();
    Object.keys(all).forEach(function (item) {
      all[item].failed = true;
      var form = document.getElementById("form-" + item);
      if (form) { restore(form, all[item].values); pendingLabel(item, "未保存，正在重试…"); }
    });
    save(all);
    netStatus();
    if (Object.keys(all).length) setTimeout(retryAll, 300);
  }
  window.inspectorReady = ready;
  ready();
})();
