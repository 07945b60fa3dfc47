/* 联企通 service worker. Served from /sw.js (scope: the whole app) with the shell's version built in:
 * a deploy that changes any static file changes this script, the browser installs the new worker,
 * and the new worker deletes the caches of the old version when it takes over.
 *
 * - static files (CSS, JS, icons, fonts): precached at install, then served from the cache;
 * - pages a cadre needs at the factory gate (home, 我的企业, a firm, its visit form, 待同步): fetched
 *   from the server, a copy kept; without a connection the copy is shown, else the offline page;
 * - everything else (POSTs, exports, attachments, JSON): straight to the server, never kept.
 * Signing in or out drops the kept pages: they belong to the person who opened them.
 */
"use strict";

const VERSION = {{ version|tojson }};
const STATIC_CACHE = "ltq-static-" + VERSION;
const PAGES_CACHE = "ltq-pages-" + VERSION;
const PRECACHE = {{ precache|tojson }};
const OFFLINE_URL = {{ offline_url|tojson }};
const PAGES = {{ pages|tojson }}.map(function (source) { return new RegExp(source); });
const STATIC_PREFIXES = {{ static_prefixes|tojson }};
const CLEAR_ON = {{ clear_on|tojson }};
const PREFETCH_MAX = 100;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE)
      .then(function (cache) { return cache.addAll(PRECACHE.map(function (url) { return new Request(url, { cache: "reload" }); })); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf("ltq-") === 0 && name !== STATIC_CACHE && name !== PAGES_CACHE;
        }).map(function (name) { return caches.delete(name); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

function isKeptPage(url) {
  return PAGES.some(function (re) { return re.test(url.pathname); });
}

function pageKey(url) {
  // The draft being fixed (?draft=…) is the page's own state, not another page.
  const key = new URL(url.href);
  key.searchParams.delete("draft");
  key.hash = "";
  return key.href;
}

function isHtml(response) {
  return (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
}

async function keepPage(url, response) {
  if (response.ok && !response.redirected && response.type === "basic" && isHtml(response)) {
    const cache = await caches.open(PAGES_CACHE);
    await cache.put(pageKey(url), response);
  }
}

async function navigate(event, url) {
  try {
    const response = await fetch(event.request);
    if (isKeptPage(url)) {
      event.waitUntil(keepPage(url, response.clone()));
    }
    return response;
  } catch (error) {
    const cache = await caches.open(PAGES_CACHE);
    const kept = (await cache.match(pageKey(url))) || (await cache.match(pageKey(url), { ignoreSearch: true }));
    if (kept) {
      // Marked, so that the page's scripts know it is the phone's copy (its "today" may be past).
      const html = (await kept.text()).replace("<html ", '<html data-kept-copy="1" ');
      return new Response(html, { status: kept.status, headers: kept.headers });
    }
    const offline = await caches.match(OFFLINE_URL, { cacheName: STATIC_CACHE });
    return offline || new Response("当前没有网络连接", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  }
}

async function fromCacheFirst(request) {
  const cache = await caches.open(STATIC_CACHE);
  const hit = await cache.match(request, { ignoreSearch: true });
  if (hit) {
    return hit;
  }
  const response = await fetch(request);
  if (response.ok && response.type === "basic") {
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", function (event) {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method === "POST" && CLEAR_ON.indexOf(url.pathname) !== -1) {
    event.waitUntil(caches.delete(PAGES_CACHE));  // the next person on this phone sees none of it
    return;
  }
  if (request.method !== "GET") {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(navigate(event, url));
    return;
  }
  if (STATIC_PREFIXES.some(function (prefix) { return url.pathname.indexOf(prefix) === 0; })) {
    event.respondWith(fromCacheFirst(request));
  }
});

async function prefetch(urls) {
  // Keep the forms of the cadre's firms (sent by the page): missing ones, at most PREFETCH_MAX.
  const cache = await caches.open(PAGES_CACHE);
  let kept = 0;
  for (const href of urls.slice(0, PREFETCH_MAX)) {
    const url = new URL(href, self.location.origin);
    if (url.origin !== self.location.origin || !isKeptPage(url) || (await cache.match(pageKey(url)))) {
      continue;
    }
    try {
      const response = await fetch(url.href, { credentials: "same-origin", redirect: "manual" });
      await keepPage(url, response);
      kept += 1;
    } catch (error) {
      return kept;  // the connection dropped: try again next time
    }
  }
  return kept;
}

self.addEventListener("message", function (event) {
  const data = event.data || {};
  if (data.type === "prefetch" && Array.isArray(data.urls)) {
    event.waitUntil(prefetch(data.urls).then(function (kept) {
      if (event.source) {
        event.source.postMessage({ type: "prefetched", kept: kept, version: VERSION });
      }
    }));
  } else if (data.type === "clear-pages") {
    event.waitUntil(caches.delete(PAGES_CACHE));
  } else if (data.type === "version" && event.source) {
    event.source.postMessage({ type: "version", version: VERSION });
  }
});
