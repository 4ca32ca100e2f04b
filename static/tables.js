/* Filter and sort a list or table in the page, without a round trip (progressive enhancement).
 *
 * A control block <div data-list-filter="#target" hidden> is shown once this script runs; it may hold
 *   <input data-filter-text>            rows whose text contains every word typed stay visible;
 *   <select data-filter-attr="name">    rows whose data-name equals the chosen value stay visible;
 *   <select data-sort-by>               options "name:asc" / "name:desc" sort by data-sort-name
 *                                       (numbers numerically, else text in Chinese order; "" = as served);
 *   <span data-filter-count>            "显示 n / m 项".
 * Rows are the target's [data-row] elements (or those matching the block's data-rows selector); a row's
 * sort value is its own data-sort-name or that of an element inside it; [data-group-head] rows (section
 * headings) hide while a filter or a sort is active. Without JavaScript the page shows everything in the server's order.
 */
(function () {
  "use strict";

  function rowsOf(box, target) {
    return Array.prototype.slice.call(target.querySelectorAll(box.getAttribute("data-rows") || "[data-row]"));
  }

  function sortValue(row, key) {
    var name = "data-sort-" + key;
    if (row.hasAttribute(name)) { return row.getAttribute(name); }
    var inner = row.querySelector("[" + name + "]");
    return inner ? inner.getAttribute(name) : "";
  }

  function compare(a, b, key) {
    var x = sortValue(a, key), y = sortValue(b, key);
    var nx = parseFloat(x), ny = parseFloat(y);
    if (x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny) && String(nx) === x.trim() && String(ny) === y.trim()) {
      return nx - ny;
    }
    return x.localeCompare(y, "zh-CN");
  }

  function sortRows(rows, choice) {
    var parts = (choice || "").split(":"), key = parts[0], desc = parts[1] === "desc";
    var ordered = rows.slice();
    if (key) {
      ordered.sort(function (a, b) { return (desc ? -1 : 1) * compare(a, b, key) || a._order - b._order; });
    } else {
      ordered.sort(function (a, b) { return a._order - b._order; });
    }
    ordered.forEach(function (row) { row.parentNode.appendChild(row); });
    return Boolean(key);
  }

  function keep(row, words, attrs) {
    var text = row.textContent.toLowerCase();
    for (var i = 0; i < words.length; i++) { if (text.indexOf(words[i]) < 0) { return false; } }
    for (var name in attrs) {
      if (attrs[name] && row.getAttribute("data-" + name) !== attrs[name]) { return false; }
    }
    return true;
  }

  function apply(box, target) {
    var rows = rowsOf(box, target), text = box.querySelector("[data-filter-text]");
    var words = text ? text.value.toLowerCase().split(/\s+/).filter(Boolean) : [];
    var attrs = {}, active = words.length > 0;
    box.querySelectorAll("[data-filter-attr]").forEach(function (sel) {
      attrs[sel.getAttribute("data-filter-attr")] = sel.value;
      active = active || Boolean(sel.value);
    });
    var sorter = box.querySelector("[data-sort-by]");
    if (sorter && sortRows(rows, sorter.value)) { active = true; }
    var shown = 0;
    rows.forEach(function (row) {
      var ok = keep(row, words, attrs);
      row.hidden = !ok;
      shown += ok ? 1 : 0;
    });
    target.querySelectorAll("[data-group-head]").forEach(function (head) { head.hidden = active; });
    var count = box.querySelector("[data-filter-count]");
    if (count) { count.textContent = active ? "显示 " + shown + " / " + rows.length + " 项" : "共 " + rows.length + " 项"; }
  }

  function setUp(box) {
    var target = document.querySelector(box.getAttribute("data-list-filter"));
    if (!target || box._target === target) { return; }
    box._target = target;  // again after htmx swapped the list in: the new rows are sorted and filtered too
    rowsOf(box, target).forEach(function (row, i) { row._order = i; });
    box.hidden = false;
    if (!box._listening) {
      box._listening = true;
      var run = function () { apply(box, box._target); };
      box.addEventListener("input", run);
      box.addEventListener("change", run);
      box.addEventListener("submit", function (e) { e.preventDefault(); });
    }
    apply(box, target);
  }

  function scan() {
    document.querySelectorAll("[data-list-filter]").forEach(setUp);
  }

  document.addEventListener("DOMContentLoaded", function () { scan(); });
  document.addEventListener("htmx:load", function () { scan(); });
  if (document.readyState !== "loading") { scan(); }
})();
