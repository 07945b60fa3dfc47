// On every page: the service worker, the 待同步 (n) badge, syncing when the connection returns, the
// offline banner, and (for cadres) keeping their firms' visit forms for use without a connection.

import { drafts, forms } from "./idb.js";
import { onDraftsChanged, syncDrafts } from "./sync.js";
import { pageUser, rememberUser, urls } from "./session.js";

const RETRY_MS = 60000;
const PREFETCH_EVERY_MS = 6 * 3600 * 1000;

function registerWorker() {
  const tag = document.querySelector('meta[name="crm-sw-url"]');
  if (!tag || !("serviceWorker" in navigator) || !window.isSecureContext) {
    return Promise.resolve(null);
  }
  return navigator.serviceWorker.register(tag.content, { scope: "/" }).catch(function () { return null; });
}

async function updateBadge() {
  const badge = document.querySelector("[data-drafts-badge]");
  const user = pageUser();
  if (!badge || !user) {
    return;
  }
  let mine = [];
  try { mine = await drafts.ofUser(user); } catch (error) { mine = []; }
  const refused = mine.filter(function (d) { return d.status === "refused"; }).length;
  badge.querySelector("[data-drafts-count]").textContent = String(mine.length);
  badge.classList.toggle("d-none", mine.length === 0);
  badge.classList.toggle("has-refused", refused > 0);
  badge.setAttribute("title", refused ? refused + " 条被退回，需要处理" : "已保存在本设备、等待同步的走访");
  badge.setAttribute("aria-label", "待同步走访 " + mine.length + " 条" + (refused ? "，其中 " + refused + " 条被退回" : ""));
}

function offlineBanner() {
  const main = document.querySelector("main");
  let banner = document.querySelector("[data-offline-banner]");
  if (navigator.onLine) {
    if (banner) { banner.remove(); }
    return;
  }
  if (!main || banner) {
    return;
  }
  banner = document.createElement("div");
  banner.className = "alert alert-warning d-flex gap-2 align-items-start";
  banner.setAttribute("role", "status");
  banner.setAttribute("data-offline-banner", "");
  const rendered = document.querySelector('meta[name="crm-rendered-at"]');
  const when = rendered ? rendered.content : "";
  banner.innerHTML = '<i class="bi bi-wifi-off"></i><div></div>';
  banner.querySelector("div").textContent =
    "当前没有网络连接：可以继续记录走访，保存在本设备，联网后自动同步。" + (when ? "页面内容截至 " + when + "。" : "");
  main.prepend(banner);
}

function sync() {
  if (navigator.onLine && pageUser()) {
    syncDrafts().catch(function () { /* storage unavailable: nothing to send */ });
  }
}

// Cadres: keep the visit forms of the firms they serve (at most every few hours, when online).
async function keepForms(registration) {
  const user = pageUser();
  if (!urls.forms || !user || !navigator.onLine || !registration) {
    return;
  }
  const key = "ltq-forms-kept-" + user;
  const last = Number(localStorage.getItem(key) || 0);
  if (Date.now() - last < PREFETCH_EVERY_MS) {
    return;
  }
  const response = await fetch(urls.forms, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) {
    return;
  }
  const data = await response.json();
  const keptAt = new Date().toISOString();
  for (const form of data.forms || []) {
    await forms.put({ url: form.url, user_id: String(user), firm_id: form.firm_id, name: form.name, kept_at: keptAt });
  }
  const worker = (await navigator.serviceWorker.ready).active;
  if (worker) {
    worker.postMessage({ type: "prefetch", urls: (data.forms || []).map(function (f) { return f.url; }).concat([urls.drafts]) });
  }
  localStorage.setItem(key, String(Date.now()));
}

// Signing out with visits still on the phone: say they stay here and go when the same person signs in.
function guardLogout() {
  document.addEventListener("submit", async function (event) {
    const form = event.target;
    if (!form.matches || !form.matches("form[action$=\"/logout\"]") || form.dataset.confirmed) {
      return;
    }
    event.preventDefault();
    let count = 0;
    try { count = (await drafts.ofUser(pageUser())).length; } catch (error) { count = 0; }
    if (count && !window.confirm("还有 " + count + " 条走访没有同步。退出后它们仍保存在本设备，您再次登录后会自动同步。确定退出？")) {
      return;
    }
    // The kept forms are this person's (the worker drops the pages themselves on sign-out).
    try {
      for (const kept of await forms.ofUser(pageUser())) { await forms.remove(kept.url); }
      localStorage.removeItem("ltq-forms-kept-" + pageUser());
    } catch (error) { /* storage unavailable: nothing kept */ }
    form.dataset.confirmed = "1";
    form.submit();
  });
}

const registered = registerWorker();
rememberUser();
updateBadge();
offlineBanner();
onDraftsChanged(updateBadge);
window.addEventListener("online", function () { offlineBanner(); sync(); });
window.addEventListener("offline", offlineBanner);
document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") { sync(); } });
if (pageUser()) {
  guardLogout();
  sync();
  setInterval(function () {
    drafts.ofUser(pageUser()).then(function (mine) {
      if (mine.some(function (d) { return d.status === "pending"; })) { sync(); }
    }).catch(function () {});
  }, RETRY_MS);
  registered.then(keepForms).catch(function () { /* keeping forms is best effort */ });
}
