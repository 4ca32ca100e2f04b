/* The outbox: answers and photos (as Blobs) waiting to reach the server, kept in IndexedDB so they
 * survive a closed tab, a reload, a browser restart and a new service worker. Used by the walk
 * page (static/inspect.js) and by the service worker's Background Sync (static/sw.js).
 *
 * An entry: {seq, kind: "answer"|"photo", user, inspection, item, url, fields, blob?, name?,
 * client_id, status: "pending"|"failed"|"conflict", reason?}. Entries are sent in order (seq);
 * the server drops a repeat of a client id, so a reply lost on the way costs nothing.
 * Without IndexedDB (private mode, some in-app browsers) or with a full quota, answers go to
 * localStorage and photos stay in this page's memory; `state.warning` then says so. */
(function (root) {
  "use strict";
  var DB = "inspector-outbox", ENTRIES = "entries", META = "meta", LS = "inspector:outbox";
  var state = { store: "idb", warning: "" }, dbPromise = null, memory = [], memSeq = 1e9, sending = null;

  function req(r) {
    return new Promise(function (ok, fail) { r.onsuccess = function () { ok(r.result); }; r.onerror = function () { fail(r.error); }; });
  }
  function openDb() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (ok, fail) {
      if (!root.indexedDB) { fail(new Error("no IndexedDB")); return; }
      var r = root.indexedDB.open(DB, 1);
      r.onupgradeneeded = function () {
        var s = r.result.createObjectStore(ENTRIES, { keyPath: "seq", autoIncrement: true });
        s.createIndex("client_id", "client_id", { unique: true });
        r.result.createObjectStore(META);
      };
      r.onsuccess = function () { ok(r.result); };
      r.onerror = function () { fail(r.error || new Error("IndexedDB refused")); };
      r.onblocked = function () { fail(new Error("IndexedDB blocked")); };
    });
    dbPromise.catch(function () { degrade("无法使用手机浏览器的离线存储（可能是无痕/隐私模式）：填写保存在本浏览器的简易存储中，照片只保存在本页，关闭页面前请联网上传。"); });
    return dbPromise;
  }
  function degrade(text) { state.store = "fallback"; state.warning = text; }
  function quota(err) {
    return err && (err.name === "QuotaExceededError" || /quota/i.test(String(err.message || err)));
  }
  function tx(store, mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (ok, fail) {
        var t = db.transaction(store, mode), out;
        Promise.resolve(fn(t.objectStore(store))).then(function (v) { out = v; }, function (e) {
          try { t.abort(); } catch (x) { /* already finished */ }
          fail(e);
        });
        t.oncomplete = function () { ok(out); };
        t.onerror = t.onabort = function () { fail(t.error || new Error("transaction failed")); };
      });
    });
  }

  function lsLoad() { try { return JSON.parse(localStorage.getItem(LS) || "[]"); } catch (e) { return []; } }
  function lsSave(list) {
    try { localStorage.setItem(LS, JSON.stringify(list)); return true; } catch (e) { return false; }
  }
  function fallbackList() { return (root.localStorage ? lsLoad() : []).concat(memory); }

  /* Everything waiting, oldest first. */
  function all() {
    var idb = state.store === "idb" ? tx(ENTRIES, "readonly", function (s) { return req(s.getAll()); }) : Promise.resolve([]);
    return idb.catch(function () { return []; }).then(function (list) {
      return list.concat(fallbackList()).sort(function (a, b) { return a.seq - b.seq; });
    });
  }

  /* A new answer replaces a draft (typed, not yet committed) still waiting for the same item, or
   * one the server refused; never one on its way. */
  function sameItem(a, b) {
    return a.kind === "answer" && b.kind === "answer" && a.inspection === b.inspection && a.item === b.item &&
      (b.draft || b.status !== "pending") && (!sending || sending.client_id !== b.client_id);
  }
  function addFallback(entry, why) {
    if (why) degrade(why);
    var list = lsLoad().filter(function (e) { return !sameItem(entry, e); });
    memory = memory.filter(function (e) { return !sameItem(entry, e); });
    entry.seq = entry.seq || (memSeq += 1);
    if (entry.kind === "answer" && root.localStorage && lsSave(list.concat([entry]))) return entry;
    if (entry.kind === "answer") lsSave(list);
    memory.push(entry);  /* a photo (or no room at all): only in this page's memory, and said so */
    state.warning = state.warning || "手机存储已满：新的照片只保存在本页，关闭页面前请联网上传。";
    return entry;
  }
  /* An answer is written to a small localStorage journal at once (synchronous), so a page closed
   * before IndexedDB has committed loses nothing: `recover` moves it over at the next load. */
  var JOURNAL = "inspector:journal";
  function journal(entry, keep) {
    if (entry.kind !== "answer" || !root.localStorage) return;
    try {
      var j = JSON.parse(localStorage.getItem(JOURNAL) || "{}");
      if (keep) j[entry.client_id] = entry; else delete j[entry.client_id];
      localStorage.setItem(JOURNAL, JSON.stringify(j));
    } catch (e) { /* no room: IndexedDB still gets it */ }
  }
  function recover() {
    var j = {};
    try { j = JSON.parse((root.localStorage && localStorage.getItem(JOURNAL)) || "{}"); } catch (e) { return Promise.resolve(); }
    var waiting = Object.keys(j);
    if (!waiting.length) return Promise.resolve();
    return all().then(function (list) {
      var known = {};
      list.forEach(function (e) { known[e.client_id] = 1; });
      return waiting.reduce(function (chain, id) {
        return chain.then(function () { return known[id] ? journal(j[id], false) : add(j[id]); });
      }, Promise.resolve());
    });
  }
  function add(entry) {
    entry.status = entry.status || "pending";
    entry.created = entry.created || new Date().toISOString();
    journal(entry, true);
    if (state.store !== "idb") return Promise.resolve(addFallback(entry)).then(function (e) { journal(e, false); return e; });
    return tx(ENTRIES, "readwrite", function (s) {
      return req(s.getAll()).then(function (list) {
        list.forEach(function (e) { if (sameItem(entry, e)) s.delete(e.seq); });
        if (root.__outboxFailPut) throw new DOMException("test: quota", root.__outboxFailPut);
        return req(s.add(entry));
      });
    }).then(function (seq) { entry.seq = seq; journal(entry, false); return entry; }, function (err) {
      var why = quota(err) ? "手机存储空间已满：新的照片只保存在本页，关闭页面前请联网上传；填写改存到浏览器的简易存储。请清理手机空间。"
        : "离线存储出错（" + (err && err.name || err) + "）：新的照片只保存在本页，关闭页面前请联网上传。";
      journal(entry, false);
      return addFallback(entry, why);
    });
  }
  function put(entry) {
    if (entry.seq < 1e9 && state.store === "idb") return tx(ENTRIES, "readwrite", function (s) { return req(s.put(entry)); });
    var list = lsLoad().map(function (e) { return e.seq === entry.seq ? entry : e; });
    lsSave(list);
    return Promise.resolve();
  }
  function remove(entry) {
    memory = memory.filter(function (e) { return e.seq !== entry.seq; });
    if (entry.seq >= 1e9) { lsSave(lsLoad().filter(function (e) { return e.seq !== entry.seq; })); return Promise.resolve(); }
    return tx(ENTRIES, "readwrite", function (s) { return req(s.delete(entry.seq)); });
  }
  function meta(key, value) {
    if (state.store !== "idb") return Promise.resolve(null);
    return tx(META, value === undefined ? "readonly" : "readwrite", function (s) {
      return value === undefined ? req(s.get(key)) : req(s.put(value, key));
    }).catch(function () { return null; });
  }

  /* One entry to the server: XHR in a page (upload progress), fetch in the worker. */
  function body(entry) {
    var f = entry.fields, k;
    if (entry.kind !== "photo") {
      var p = new URLSearchParams();
      for (k in f) if (f[k] !== null && f[k] !== undefined) p.append(k, f[k]);
      return p;
    }
    var fd = new FormData();
    for (k in f) if (f[k] !== null && f[k] !== undefined) fd.append(k, f[k]);
    fd.append("photos", entry.blob, entry.name || "photo.jpg");
    return fd;
  }
  function send(entry, onProgress) {
    var headers = { "HX-Request": "true", "X-CSRFToken": entry.fields.csrf_token || "" };
    if (typeof XMLHttpRequest === "undefined") {
      return fetch(entry.url, { method: "POST", body: body(entry), headers: headers, credentials: "same-origin" })
        .then(function (r) { return r.text().then(function (t) { return { status: r.status, text: t, url: r.url }; }); },
              function () { return { status: 0, text: "", url: "" }; });
    }
    return new Promise(function (ok) {
      var x = new XMLHttpRequest();
      x.open("POST", entry.url);
      Object.keys(headers).forEach(function (h) { x.setRequestHeader(h, headers[h]); });
      if (onProgress && x.upload) x.upload.onprogress = function (e) { if (e.lengthComputable) onProgress(entry, e.loaded, e.total); };
      x.onload = function () { ok({ status: x.status, text: x.responseText, url: x.responseURL }); };
      x.onerror = x.ontimeout = x.onabort = function () { ok({ status: 0, text: "", url: "" }); };
      x.timeout = entry.kind === "photo" ? 600000 : 60000;
      x.send(body(entry));
    });
  }

  /* What a reply means: done, stop and retry later, or keep the entry marked. */
  function classify(reply) {
    if (reply.status === 0 || reply.status >= 500 || reply.status === 429) return "retry";
    if (/\/login(\?|$)/.test(new URL(reply.url || "/", "http://x").pathname + "?")) return "login";
    if (reply.status < 300) return "done";
    if (reply.status === 409 || reply.status === 428) return "conflict";
    return "failed";
  }
  function reasonOf(text) {
    var m = /class="error"[^>]*>([\s\S]*?)<\/p>/.exec(text || "") || /<p[^>]*>([^<]{2,200})<\/p>/.exec(text || "");
    return m ? m[1].replace(/<[^>]+>/g, "").replace(/&[a-z#0-9]+;/g, " ").trim() : "服务器拒绝了这次上传";
  }

  function flushOnce(opts) {
    return all().then(function (list) {
      return meta("user").then(function (user) {
        var mine = list.filter(function (e) {
          if (e.draft && Date.now() - Date.parse(e.created) < 1000) return false;  /* still being typed */
          return e.status === "pending" && (opts.user ? String(e.user) === String(opts.user) : (user && String(e.user) === String(user)));
        });
        var i = 0, sent = 0;
        function next() {
          if (i >= mine.length) return { sent: sent, stopped: null };
          var entry = mine[i++];
          sending = entry;
          if (opts.onStart) opts.onStart(entry);
          return send(entry, opts.onProgress).then(function (reply) {
            sending = null;
            var what = classify(reply);
            /* The server has answered: a page that cannot show the reply must not hold the outbox. */
            try { if (opts.onReply) opts.onReply(entry, what, reply); } catch (e) {
              if (root.console) console.error("outbox: the reply could not be shown", e);
            }
            if (what === "retry" || what === "login") return { sent: sent, stopped: what };
            sent += 1;
            if (what === "done") return remove(entry).then(next);
            entry.status = what;
            entry.reason = reasonOf(reply.text);
            return put(entry).then(next);
          });
        }
        return next();
      });
    });
  }
  /* Send what is waiting, in order; one sender at a time (across tabs and the worker where locks exist). */
  var running = null;
  function flush(opts) {
    opts = opts || {};
    if (running) return running;
    var go = function () { return flushOnce(opts); };
    var locks = root.navigator && root.navigator.locks;
    running = (locks ? locks.request("inspector-outbox", go) : go()).then(function (r) { running = null; return r; },
      function (e) { running = null; throw e; });
    return running;
  }

  root.InspectorOutbox = { state: state, open: openDb, all: all, add: add, put: put, remove: remove, meta: meta, recover: recover,
                           flush: flush, reasonOf: reasonOf };
  if (root.inspectorBoot) root.inspectorBoot();  /* static/queue.js waits for it on a swapped-in page */
})(typeof self !== "undefined" ? self : this);
