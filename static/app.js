/* Behaviour that used to sit in inline handlers (the CSP allows scripts from this site only):
 * a <select data-autosubmit> submits its form when changed. Delegated from the document, so it
 * also works on content htmx swaps in, and this file may be evaluated again after hx-boost. */
(function () {
  "use strict";
  if (window.inspectorAppReady) return;
  window.inspectorAppReady = true;
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!el || !el.matches || !el.matches("select[data-autosubmit]") || !el.form) return;
    if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
  });
})();
