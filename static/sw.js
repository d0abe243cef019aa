// The service worker: keeps the last copy of the pages people read at the venue and serves it
// when the network is gone. Network first (what is shown is the newest while there is one);
// only GET pages of the kinds listed below, the stylesheet and the scripts are kept.
"use strict";

const PAGES = "agenda-pages-v1";
const ASSETS = "agenda-assets-v1";
const MAX_PAGES = 60;  // bounded: the oldest copies go first
const FRESH_MS = 60 * 60 * 1000;  // a page kept less than an hour ago is not fetched again to warm
// The schedule (list, grid, filters), a session page, Now & next, the proposals list, My agenda, the harvest.
const KEPT = /^\/[^/]+\/(schedule|schedule\/sessions\/\d+|now|proposals|me\/agenda|harvest|)$/;
const STATIC = /^\/static\/[\w.-]+\.(css|js|svg|png)$/;

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== PAGES && name !== ASSETS) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function kind(request) {
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return null;
  if (STATIC.test(url.pathname)) return ASSETS;
  if (KEPT.test(url.pathname)) return PAGES;
  return null;
}

async function keep(cacheName, request, response) {
  if (!response.ok || response.redirected || response.type !== "basic") return;
  const type = response.headers.get("Content-Type") || "";
  if (cacheName === PAGES && !type.startsWith("text/html")) return;
  const headers = new Headers(response.headers);
  headers.set("X-Agenda-Kept", new Date().toISOString());
  const copy = new Response(await response.blob(), { status: response.status, headers });
  const cache = await caches.open(cacheName);
  await cache.delete(request, { ignoreVary: true });  // so that the order of the keys is the order of use
  await cache.put(request, copy);
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - MAX_PAGES))) await cache.delete(old);
}

async function fromCache(cacheName, request) {
  const cache = await caches.open(cacheName);
  const kept = await cache.match(request, { ignoreVary: true });
  if (!kept || cacheName !== PAGES) return kept;
  // Tell the page it is a copy, and from when: static/offline.js shows the line.
  const html = (await kept.text()).replace('data-as-of=""', `data-as-of="${kept.headers.get("X-Agenda-Kept")}"`);
  return new Response(html, { status: 200, headers: kept.headers });
}

self.addEventListener("fetch", (event) => {
  const cacheName = kind(event.request);
  if (!cacheName) return;  // everything else goes to the network as if there were no worker
  event.respondWith((async () => {
    try {
      const response = await fetch(event.request);
      event.waitUntil(keep(cacheName, event.request, response.clone()));
      return response;
    } catch (err) {
      const kept = await fromCache(cacheName, event.request);
      if (kept) return kept;
      throw err;
    }
  })());
});

async function warm(urls) {
  const cache = await caches.open(PAGES);
  for (const url of urls) {
    // "Purpose: prefetch": fetched for later, not looked at (My agenda keeps "changed since you last looked").
    const request = new Request(new URL(url, self.location.origin).href,
                                { credentials: "same-origin", headers: { Purpose: "prefetch" } });
    if (!kind(request)) continue;
    const kept = await cache.match(request, { ignoreVary: true });
    const at = kept && Date.parse(kept.headers.get("X-Agenda-Kept"));
    if (at && Date.now() - at < FRESH_MS) continue;
    try {
      await keep(PAGES, request, await fetch(request));
    } catch (err) {
      return;  // the network went: try again on the next page
    }
  }
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "warm" && Array.isArray(data.urls)) {
    event.waitUntil(warm(data.urls.slice(0, 10)));
  } else if (data.type === "forget") {
    // Logging out: nothing of this person stays on the device.
    event.waitUntil((async () => {
      for (const name of await caches.keys()) await caches.delete(name);
      if (event.source) event.source.postMessage({ type: "forgotten" });
    })());
  }
});
