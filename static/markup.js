/* Mark up a copy of a photo: an arrow, a circle or a short text, drawn on a canvas over the
 * original file; saved as a new JPEG photo linked to its original (web/photos.py::markup). The
 * original is never changed. Tools: press and drag (arrow: from tail to head; circle: from the
 * centre outwards), text: tap where it goes. 撤销 removes the last mark.
 */
(function () {
  "use strict";
  var form = document.querySelector("form[data-markup]");
  if (!form) return;
  var canvas = form.querySelector("canvas"), ctx = canvas.getContext("2d");
  var say = form.querySelector("[data-markup-status]"), save = form.querySelector("[data-markup-save]");
  var MAX_EDGE = 2048, COLOUR = "#ff1f1f";
  var img = new Image(), marks = [], tool = "arrow", drag = null;

  function unit() { return Math.max(4, Math.round(Math.max(canvas.width, canvas.height) / 250)); }

  function stroke(draw) {
    ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.strokeStyle = "#fff"; ctx.lineWidth = unit() * 2; draw(); ctx.stroke();  /* a white halo */
    ctx.strokeStyle = COLOUR; ctx.lineWidth = unit(); draw(); ctx.stroke();
  }

  function arrow(m) {
    var angle = Math.atan2(m.y2 - m.y1, m.x2 - m.x1), head = unit() * 6;
    stroke(function () {
      ctx.beginPath(); ctx.moveTo(m.x1, m.y1); ctx.lineTo(m.x2, m.y2);
      ctx.moveTo(m.x2, m.y2); ctx.lineTo(m.x2 - head * Math.cos(angle - 0.45), m.y2 - head * Math.sin(angle - 0.45));
      ctx.moveTo(m.x2, m.y2); ctx.lineTo(m.x2 - head * Math.cos(angle + 0.45), m.y2 - head * Math.sin(angle + 0.45));
    });
  }

  function circle(m) {
    var r = Math.max(unit() * 3, Math.hypot(m.x2 - m.x1, m.y2 - m.y1));
    stroke(function () { ctx.beginPath(); ctx.arc(m.x1, m.y1, r, 0, Math.PI * 2); });
  }

  function text(m) {
    var size = Math.round(Math.max(canvas.width, canvas.height) / 22);
    ctx.font = "bold " + size + "px 'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif";
    ctx.textBaseline = "middle";
    ctx.lineWidth = Math.max(3, size / 6); ctx.strokeStyle = "#fff"; ctx.lineJoin = "round";
    ctx.strokeText(m.text, m.x1, m.y1);
    ctx.fillStyle = COLOUR; ctx.fillText(m.text, m.x1, m.y1);
  }

  function redraw() {
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    marks.concat(drag ? [drag] : []).forEach(function (m) { ({ arrow: arrow, circle: circle, text: text })[m.tool](m); });
    save.disabled = marks.length === 0;
  }

  function point(event) {
    var rect = canvas.getBoundingClientRect();
    return { x: (event.clientX - rect.left) * canvas.width / rect.width,
             y: (event.clientY - rect.top) * canvas.height / rect.height };
  }

  img.onload = function () {
    var scale = Math.min(1, MAX_EDGE / Math.max(img.naturalWidth, img.naturalHeight));
    canvas.width = Math.round(img.naturalWidth * scale);
    canvas.height = Math.round(img.naturalHeight * scale);
    redraw();
    say.textContent = "选工具后在照片上标注";
  };
  img.onerror = function () { say.textContent = "照片载入失败，请返回重试"; };
  img.src = form.getAttribute("data-src");

  form.querySelectorAll("[data-tool]").forEach(function (button) {
    button.addEventListener("click", function () {
      tool = button.getAttribute("data-tool");
      form.querySelectorAll("[data-tool]").forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
      if (tool === "text") form.elements.markup_text.focus();
    });
  });
  form.querySelector("[data-undo]").addEventListener("click", function () { marks.pop(); redraw(); });

  canvas.addEventListener("pointerdown", function (event) {
    if (!img.naturalWidth) return;
    var p = point(event);
    if (tool === "text") {
      var words = form.elements.markup_text.value.trim();
      if (!words) { say.textContent = "请先填写文字内容"; form.elements.markup_text.focus(); return; }
      marks.push({ tool: "text", x1: p.x, y1: p.y, text: words.slice(0, 20) });
      redraw();
      return;
    }
    canvas.setPointerCapture(event.pointerId);
    drag = { tool: tool, x1: p.x, y1: p.y, x2: p.x, y2: p.y };
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drag) return;
    var p = point(event); drag.x2 = p.x; drag.y2 = p.y; redraw();
  });
  function finish(event) {
    if (!drag) return;
    var p = point(event); drag.x2 = p.x; drag.y2 = p.y;
    if (Math.hypot(drag.x2 - drag.x1, drag.y2 - drag.y1) > unit() || drag.tool === "circle") marks.push(drag);
    drag = null; redraw();
  }
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", function () { drag = null; redraw(); });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    event.stopImmediatePropagation();
    if (!marks.length) return;
    save.disabled = true;
    say.textContent = "正在保存标注副本…";
    canvas.toBlob(function (blob) {
      var data = new FormData();
      data.append("csrf_token", form.elements.csrf_token.value);
      data.append("client_id", form.elements.client_id.value);
      data.append("photo", blob, "markup.jpg");
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin",
                           headers: { "X-CSRFToken": form.elements.csrf_token.value } })
        .then(function (response) {
          if (response.ok && response.redirected) { window.location.assign(response.url); return; }
          return response.text().then(function (html) {
            var error = new DOMParser().parseFromString(html, "text/html").querySelector(".error");
            say.textContent = error ? error.textContent : "保存失败（" + response.status + "）";
            save.disabled = false;
          });
        }, function () { say.textContent = "保存失败：网络不通，请稍后重试"; save.disabled = false; });
    }, "image/jpeg", 0.85);
  }, true);
})();
