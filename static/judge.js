/* The phone's provisional judgement of an answer waiting in the outbox, from the rule the page
 * carries as data attributes (inspector/web/offline.py::rule_attrs), in the words the server
 * uses (inspector/core/scoring.py::judge). Shown as "待同步": the server's judgement replaces it. */
(function () {
  "use strict";
  if (window.InspectorJudge) return;
  var LABELS = { pass: "符合", fail: "不符合", na: "不适用", open: "未检查" };
  var OPS = {
    ">=": function (a, b) { return a >= b; }, ">": function (a, b) { return a > b; },
    "<=": function (a, b) { return a <= b; }, "<": function (a, b) { return a < b; },
    "==": function (a, b) { return a === b; }
  };

  function fmt(x) { return Number.isInteger(x) ? String(x) : String(parseFloat(x.toFixed(2))); }
  function num(text) {
    if (text === undefined || text === null || String(text).trim() === "") return null;
    var v = Number(String(text).trim().replace("，", ".").replace(",", "."));
    return isFinite(v) && v >= 0 ? v : NaN;
  }
  function data(article, key) {
    var v = article.getAttribute("data-" + key);
    return v === null ? null : (/^[[{]/.test(v) ? JSON.parse(v) : v);
  }

  function compare(article, values) {
    var v = num(values.value), rule = data(article, "rule"), unit = data(article, "unit") || "";
    if (v === null) return { result: "open" };
    if (isNaN(v) || !rule) return { result: "open", detail: "数值无法识别" };
    var ok = OPS[rule.op](v, rule.t);
    var detail = ("实测 " + fmt(v) + " " + unit + "，要求 " + rule.words).replace(/ {2}/g, " ");
    if (!ok && rule.op !== "==") detail = (detail + "，差 " + fmt(Math.abs(rule.t - v)) + " " + unit).trim();
    return { result: ok ? "pass" : "fail", detail: detail };
  }
  function dimensions(article, values) {
    var a = num(values.value_a), b = num(values.value_b), rule = data(article, "rule");
    var labels = data(article, "dims") || ["", ""], unit = data(article, "unit") || "";
    if (a === null || b === null) return { result: "open" };
    if (isNaN(a) || isNaN(b) || !rule) return { result: "open", detail: "数值无法识别" };
    var ok = Math.abs(a - rule.a) <= rule.tol + 1e-9 && Math.abs(b - rule.b) <= rule.tol + 1e-9;
    return { result: ok ? "pass" : "fail",
             detail: "实测 " + labels[0] + fmt(a) + " × " + labels[1] + fmt(b) + " " + unit + "，要求 " + rule.words };
  }
  function rate(article, values) {
    var r = num(values.respondents), s = num(values.satisfied), rule = data(article, "rule");
    if (r === null || s === null) return { result: "open" };
    if (isNaN(r) || isNaN(s) || !r || s > r || !rule) return { result: "open", detail: "数值无法识别" };
    var pct = 100 * s / r, ok = OPS[rule.op](Math.round(pct * 1e6) / 1e6, rule.pct);
    return { result: ok ? "pass" : "fail", detail: s + "/" + r + " = " + pct.toFixed(1) + "%，要求 " + rule.words };
  }
  function choice(article, values) {
    var options = data(article, "options") || {};
    if (!(values.value in options)) return { result: "open" };
    var input = article.querySelector('input[name=value][value="' + values.value + '"]');
    var label = input && input.parentNode.textContent.trim();
    return { result: options[values.value] ? "pass" : "fail", detail: "选择：" + (label || values.value) };
  }

  /* {result, detail} of the values typed into an item's form. */
  function judge(article, values) {
    var kind = data(article, "kind");
    if (values.na === "1" || values.value === "na") {
      return data(article, "na-fails") ? { result: "fail", detail: "验收资料必须收集齐，“不适用”不能代替" } : { result: "na" };
    }
    if (kind === "check" || kind === "document") {
      if (!values.value) return { result: "open" };
      return { result: values.value === data(article, "pass") ? "pass" : "fail" };
    }
    if (kind === "choice") return choice(article, values);
    if (kind === "text") return !(values.value || "").trim() ? { result: "open" } : { result: data(article, "text-na") ? "na" : "pass" };
    if (kind === "measure" || kind === "count") return compare(article, values);
    if (kind === "dimensions") return dimensions(article, values);
    if (kind === "rate") return rate(article, values);
    return { result: "open" };
  }

  window.InspectorJudge = { judge: judge, LABELS: LABELS };
  if (window.inspectorBoot) window.inspectorBoot();
})();
