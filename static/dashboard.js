// Dashboard tables: a heading button sorts its column (again: the other way); a search box
// filters the rows of its table. Also after htmx swaps in a new dashboard body. No inline script (CSP).
(function () {
  "use strict";
  function text(row, i) { var c = row.cells[i]; return c ? c.textContent.trim() : ""; }
  function compare(a, b) {
    var x = parseFloat(a), y = parseFloat(b);
    if (!isNaN(x) && !isNaN(y) && String(x) === a.split(/\s/)[0] && String(y) === b.split(/\s/)[0]) return x - y;
    return a.localeCompare(b, "zh-CN");
  }
  function sort(th) {
    var table = th.closest("table"), i = Array.prototype.indexOf.call(th.parentNode.children, th);
    var down = th.getAttribute("aria-sort") === "ascending";
    Array.prototype.forEach.call(th.parentNode.children, function (h) { h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", down ? "descending" : "ascending");
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) { var r = compare(text(a, i), text(b, i)); return down ? -r : r; });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function filter(input) {
    var table = document.getElementById(input.getAttribute("data-filter-table"));
    if (!table) return;
    var q = input.value.trim().toLowerCase();
    Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
      r.hidden = q !== "" && r.textContent.toLowerCase().indexOf(q) === -1;
    });
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("table[data-sortable] th button.sort");
    if (button) sort(button.parentNode);
  });
  document.addEventListener("input", function (e) {
    if (e.target.matches && e.target.matches("input[data-filter-table]")) filter(e.target);
  });
})();
