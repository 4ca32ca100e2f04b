/* Photo forms send the light copy from photoprep.js, with what the phone knows about the capture
 * (client id, time, position, the original's hash and size) and a progress bar.
 *
 * - The item's upload form on the walk page (form[data-photo-prep], sent by htmx on change): each
 *   chosen file is prepared and posted on its own, and the answer replaces the item's photos.
 * - The replace form on a photo's page (form[data-photo-prep][data-photo-submit]): on submit.
 * Steps aside when the offline outbox (window.InspectorOutbox) is on the page: it queues photos
 * itself and calls InspectorPhotos.prepare. Without photoprep.js, XHR or FormData the forms work
 * as they did (htmx or a plain POST of the original file).
 */
(function () {
  "use strict";
  if (!window.FormData || !window.XMLHttpRequest || window.inspectorPhotoForms) return;
  window.inspectorPhotoForms = true;  /* a boosted page swap runs this file again: bind once */

  function ready() { return window.InspectorPhotos && !window.InspectorOutbox; }

  function uid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function csrf() {
    var meta = document.body.getAttribute("hx-headers");
    try { return JSON.parse(meta)["X-CSRFToken"]; } catch (e) { return ""; }
  }

  /* Fill empty lat/lon/accuracy from one fix (taken after the tap); never waits more than 6 s. */
  function position(form) {
    if (!form.elements.lat || form.elements.lat.value || !navigator.geolocation) return Promise.resolve();
    return new Promise(function (resolve) {
      var done = false, finish = function () { if (!done) { done = true; resolve(); } };
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.lat.value = pos.coords.latitude.toFixed(7);
        form.elements.lon.value = pos.coords.longitude.toFixed(7);
        form.elements.accuracy.value = Math.round(pos.coords.accuracy * 10) / 10;
        finish();
      }, finish, { enableHighAccuracy: true, maximumAge: 60000, timeout: 5000 });
      setTimeout(finish, 6000);
    });
  }

  function status(form, text) {
    var el = form.querySelector("[data-photo-status]");
    if (el) el.textContent = text;
  }

  function bar(form, fraction) {
    var el = form.querySelector("progress");
    if (!el) return;
    el.hidden = fraction === null;
    if (fraction !== null) el.value = Math.round(fraction * 100);
  }

  /* The form's own fields (reason, csrf, position…) plus the prepared photo and its capture facts. */
  function body(form, prepared, capturedAt, clientId) {
    var data = new FormData();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.type !== "file" && el.type !== "submit" && el.type !== "button") data.append(el.name, el.value);
    });
    data.set("client_id", clientId);
    data.set("captured_at", capturedAt);
    Object.keys(prepared.fields).forEach(function (key) { data.set(key, prepared.fields[key]); });
    data.append("photo", prepared.blob, prepared.name);
    return data;
  }

  function send(form, data, label) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-CSRFToken", csrf());
      if (!form.hasAttribute("data-photo-submit")) xhr.setRequestHeader("HX-Request", "true");
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        bar(form, e.loaded / e.total);
        status(form, label + "上传中 " + Math.round(e.loaded / 1024) + " / " + Math.round(e.total / 1024) + " KB");
      };
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = function () { resolve(null); };
      xhr.send(data);
    });
  }

  function sizeText(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.round(bytes / 1024) + " KB";
  }

  function prepareOne(form, file, label) {
    status(form, label + "正在处理…");
    return window.InspectorPhotos.prepare(file).then(function (prepared) {
      var how = prepared.fields.prepared === "resized"
        ? "已压缩 " + sizeText(file.size) + " → " + sizeText(prepared.blob.size) : "原图 " + sizeText(file.size);
      status(form, label + how);
      return prepared;
    });
  }

  /* Walk page: each file on its own request; the last answer replaces the item's photos. */
  function uploadAll(form, files) {
    var capturedAt = new Date().toISOString(), container = form.closest(".photos"), last = null, i = 0;
    var next = function () {
      if (i >= files.length) return Promise.resolve();
      var label = files.length > 1 ? "第 " + (i + 1) + "/" + files.length + " 张：" : "";
      var file = files[i++];
      return prepareOne(form, file, label).then(function (prepared) {
        return position(form).then(function () { return send(form, body(form, prepared, capturedAt, uid()), label); });
      }).then(function (xhr) {
        if (!xhr) { status(form, label + "上传失败：网络不通，请稍后重试"); return; }
        last = xhr;
        if (xhr.status < 400) return next();
      });
    };
    return next().then(function () {
      bar(form, null);
      if (!last || !last.responseText || !container) return;
      if (window.InspectorPage) window.InspectorPage.swap(container, last.responseText);
      else if (window.htmx) window.htmx.swap(container, last.responseText, { swapStyle: "outerHTML" });
    });
  }

  /* Photo page: replace, then follow the redirect to the new photo (or show the refusal). */
  function submitOne(form) {
    var input = form.querySelector("input[type=file]"), file = input && input.files[0];
    if (!file) return;
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    prepareOne(form, file, "").then(function (prepared) {
      var clientId = form.elements.client_id ? form.elements.client_id.value : uid();
      return position(form).then(function () { return send(form, body(form, prepared, new Date().toISOString(), clientId), ""); });
    }).then(function (xhr) {
      if (button) button.disabled = false;
      bar(form, null);
      if (!xhr) { status(form, "上传失败：网络不通，请稍后重试"); return; }
      if (xhr.status < 400) { window.location.assign(xhr.responseURL); return; }
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var error = doc.querySelector(".error");
      status(form, error ? error.textContent : "上传失败（" + xhr.status + "）");
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target, form = input.form;
    if (!ready() || input.type !== "file" || !form || !form.matches("[data-photo-prep]")) return;
    if (form.hasAttribute("data-photo-submit") || !input.files.length) return;
    event.stopPropagation();  /* htmx would send the full-size file */
    var files = Array.prototype.slice.call(input.files);
    uploadAll(form, files).then(function () { input.value = ""; });
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!ready() || !form.matches || !form.matches("[data-photo-prep][data-photo-submit]")) return;
    event.preventDefault();
    event.stopPropagation();
    submitOne(form);
  }, true);
})();
