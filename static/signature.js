/* Handwritten signature on the inspector's phone: draw on a canvas, send it as a PNG file with the
   phone's position (multipart POST; the server's redirect is followed, a refusal is shown in place).
   No inline script (the page's CSP has no unsafe-inline). */
(function () {
  "use strict";
  var form = document.querySelector("[data-signature-form]");
  if (!form) return;
  var canvas = form.querySelector("[data-signature-pad]");
  var ctx = canvas.getContext("2d");
  var drawing = false, strokes = 0, last = null;

  function clear() {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    strokes = 0;
  }
  function point(event) {
    var box = canvas.getBoundingClientRect();
    return { x: (event.clientX - box.left) * canvas.width / box.width,
             y: (event.clientY - box.top) * canvas.height / box.height };
  }
  function start(event) {
    event.preventDefault();
    drawing = true; last = point(event);
    canvas.setPointerCapture && canvas.setPointerCapture(event.pointerId);
  }
  function move(event) {
    if (!drawing) return;
    event.preventDefault();
    var p = point(event);
    ctx.strokeStyle = "#111111"; ctx.lineWidth = 5; ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
    last = p; strokes += 1;
  }
  function end() { drawing = false; }

  clear();
  canvas.style.touchAction = "none";
  canvas.addEventListener("pointerdown", start);
  canvas.addEventListener("pointermove", move);
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("pointerleave", end);
  form.querySelector("[data-signature-clear]").addEventListener("click", clear);

  var status = form.querySelector("[data-geo-status]");
  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.lat.value = pos.coords.latitude.toFixed(7);
      form.elements.lon.value = pos.coords.longitude.toFixed(7);
      form.elements.accuracy.value = Math.round(pos.coords.accuracy * 10) / 10;
      status.textContent = "定位 ±" + Math.round(pos.coords.accuracy) + " 米";
    }, function () {
      status.textContent = "未能定位：签名将不带位置保存"; status.classList.add("warn");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  } else {
    status.textContent = "此浏览器不支持定位";
  }

  var sending = false;
  function showError(text) {
    var box = document.querySelector("[data-signature-error]");
    box.textContent = text; box.hidden = false;
    sending = false;
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) return;
    if (strokes < 5) {
      status.textContent = "请先在框内手写签名"; status.classList.add("warn");
      return;
    }
    sending = true;
    canvas.toBlob(function (blob) {
      var data = new FormData(form);
      data.set("signature", new File([blob], "signature.png", { type: "image/png" }));
      fetch(form.action || window.location.href, { method: "POST", body: data, credentials: "same-origin",
                                                    headers: { "X-Signature-Pad": "1" } })
        .then(function (response) {
          if (response.ok) {
            return response.json().then(function (reply) { window.location.href = reply.next; });
          }
          return response.text().then(function (html) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            var alert = doc.querySelector("[role=alert]");
            showError(alert ? alert.textContent : "签名未保存（" + response.status + "），请重试");
          });
        })
        .catch(function () { showError("网络不通，签名未保存，请在有信号处重试"); });
    }, "image/png");
  });
})();
