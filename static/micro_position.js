/* The completion form of a micro project (templates/micro/complete.html): when a photo is chosen,
 * one position fix fills the form's empty lat/lon/accuracy, so the photos are stored with where the
 * phone was (as an inspection's are). Without geolocation, or when it is refused, the form is sent
 * without a position and the photos are flagged for it. */
(function () {
  "use strict";
  function fill(form) {
    if (!form.elements.lat || form.elements.lat.value || !navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.lat.value = pos.coords.latitude.toFixed(7);
      form.elements.lon.value = pos.coords.longitude.toFixed(7);
      form.elements.accuracy.value = Math.round(pos.coords.accuracy * 10) / 10;
    }, function () {}, { enableHighAccuracy: true, maximumAge: 60000, timeout: 5000 });
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.type === "file" && input.form && input.form.classList.contains("mp-form")) fill(input.form);
  });
})();
