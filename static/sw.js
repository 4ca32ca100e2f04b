/* The offline shell (served at /sw.js, scope /, by inspector/web/assets.py, which puts
 * `self.SHELL = {version, files, outbox}` in front of this file). See docs/offline.md.
 *
 * Caches:
 *  - "static-<version>": the hashed CSS and JS; a new version fills its own and deletes only older
 *    "static-" caches;
 *  - "pages": inspection, site and checklist pages (and the GET fragments of a walk page) as last
 *    fetched. Never touched by an update; emptied on sign-out.
 * The outbox (IndexedDB, static/outbox.js) is never touched here except to send it (Background Sync). */
/* global SHELL, InspectorOutbox */
"use strict";
var STATIC = "static-" + SHELL.version;
var PAGES = "pages";
var KEEP = /^\/(inspections\/\d+(\/[^.]*)?|sites\/\d+\/?|checklists\/[^/]+\/?)$/;  /* an inspection's pages and fragments */
var MEDIA = /^\/media\//;  /* photo thumbnails of kept pages: kept with them, emptied with them */

try { importScripts(SHELL.outbox); } catch (e) { /* Background Sync falls back to the open page */ }

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) {
    return cache.addAll(SHELL.files);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf("static-") === 0 && n !== STATIC;  /* only older shells: pages and data stay */
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function fragment(request) {
  return request.headers.get("HX-Request") === "true" && request.headers.get("HX-Boosted") !== "true";
}
function pageKey(url, isFragment) {
  var u = new URL(url);
  u.hash = "";
  if (isFragment) u.searchParams.set("__fragment", "1");
  return u.toString();
}

function offlinePage() {
  var html = '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" ' +
    'content="width=device-width, initial-scale=1"><title>没有网络 · 党群服务中心检查</title>' +
    '<main style="font:16px/1.6 system-ui,sans-serif;padding:1.5rem;max-width:32rem">' +
    "<h1>没有网络</h1><p>这个页面没有保存在手机上，恢复网络后再打开。</p>" +
    "<p>已打开过或点过“离线可用”的检查可以离线打开；未上传的填写和照片保存在手机上，不会丢失。</p>" +
    '<p><a href="/">返回首页</a></p></main></html>';
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

/* Network first for pages we keep (fresh when there is a link), the kept copy when there is none. */
function page(request, url) {
  var key = pageKey(request.url, fragment(request));
  return fetch(request).then(function (response) {
    if (response.ok && !response.redirected && KEEP.test(url.pathname)) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { return cache.put(key, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES).then(function (cache) {
      return cache.match(key, { ignoreVary: true });
    }).then(function (hit) { return hit || (request.mode === "navigate" || !fragment(request) ? offlinePage() : Response.error()); });
  });
}

function staticFile(request) {
  return caches.match(request, { ignoreVary: true }).then(function (hit) {
    return hit || fetch(request).then(function (response) {
      if (response.ok && new URL(request.url).searchParams.get("v")) {
        var copy = response.clone();
        caches.open(STATIC).then(function (cache) { return cache.put(request, copy); });
      }
      return response;
    });
  });
}

function media(request) {
  return caches.open(PAGES).then(function (cache) {
    return cache.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
    });
  });
}

function clearPages() { return caches.delete(PAGES); }

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/logout") {
    event.waitUntil(clearPages());  /* another user must never see this user's kept pages */
    return;
  }
  if (request.method !== "GET") return;
  if (url.pathname.indexOf("/static/") === 0) { event.respondWith(staticFile(request)); return; }
  if (MEDIA.test(url.pathname)) { event.respondWith(media(request)); return; }
  if (request.mode === "navigate" || KEEP.test(url.pathname)) event.respondWith(page(request, url));
});

/* The page asks to keep URLs ("离线可用", or the page it was opened on before this worker ran). */
function keep(urls, fragments) {
  return caches.open(PAGES).then(function (cache) {
    var all = urls.map(function (u) { return [u, false]; }).concat(fragments.map(function (u) { return [u, true]; }));
    return Promise.all(all.map(function (pair) {
      var headers = pair[1] ? { "HX-Request": "true" } : {};
      return fetch(pair[0], { credentials: "same-origin", headers: headers }).then(function (response) {
        if (!response.ok || response.redirected) throw new Error(pair[0]);
        return cache.put(pageKey(response.url, pair[1]), response).then(function () { return 1; });
      }).catch(function () { return 0; });
    }));
  }).then(function (done) { return done.reduce(function (a, b) { return a + b; }, 0); });
}

self.addEventListener("message", function (event) {
  var data = event.data || {}, port = event.ports && event.ports[0];
  var work = null;
  if (data.type === "keep") work = keep(data.urls || [], data.fragments || []);
  else if (data.type === "logout") work = clearPages();
  else if (data.type === "version") work = Promise.resolve(SHELL.version);
  if (!work) return;
  event.waitUntil(work.then(function (result) {
    if (port) port.postMessage({ ok: true, result: result });
  }, function (err) { if (port) port.postMessage({ ok: false, error: String(err) }); }));
});

/* Background Sync: an open page sends the outbox itself; with none open, the worker does. */
self.addEventListener("sync", function (event) {
  if (event.tag !== "outbox") return;
  event.waitUntil(self.clients.matchAll({ type: "window" }).then(function (list) {
    if (list.length) { list.forEach(function (c) { c.postMessage({ type: "flush" }); }); return null; }
    return self.InspectorOutbox ? self.InspectorOutbox.flush({}) : null;
  }));
});
