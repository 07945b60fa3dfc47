// Sending visits to the server: one at once from the form, or the phone's drafts when the connection
// returns. Each carries its client id, so sending one twice (an answer lost on the way back, two tabs)
// logs it once: the server answers "exists" and the draft is done.
//
// What an answer means for a draft:
//   201 created / 200 exists  -> done, removed from the phone;
//   422 / 413 / 403 refused   -> kept with the server's Chinese reason, for the user to fix or discard;
//   401 login                 -> kept, waits for the user to sign in again;
//   400 csrf                  -> a fresh token is fetched and the draft sent once more;
//   no answer, 5xx, timeout   -> kept, tried again later.

import { drafts } from "./idb.js";
import { csrfToken, pageUser, refreshSession, urls } from "./session.js";

export const SEND_TIMEOUT_MS = 120000;
const CHANNEL = "ltq-drafts";
let channel = null;

function broadcast() {
  try {
    channel = channel || new BroadcastChannel(CHANNEL);
    channel.postMessage("changed");
  } catch (error) { /* no BroadcastChannel: this tab still hears the event below */ }
  document.dispatchEvent(new CustomEvent("ltq:drafts-changed"));
}

// Run fn whenever the drafts change, in this tab or another.
export function onDraftsChanged(fn) {
  document.addEventListener("ltq:drafts-changed", fn);
  try {
    const listener = new BroadcastChannel(CHANNEL);
    listener.onmessage = fn;
  } catch (error) { /* single-tab browsers */ }
}

export function draftsChanged() {
  broadcast();
}

function formData(draft, options) {
  const body = new FormData();
  for (const [name, value] of draft.fields) {
    body.append(name, value);
  }
  for (const file of draft.files) {
    body.append(file.field, file.blob, file.name);
  }
  body.set("client_id", draft.client_id);
  body.set("enterprise_id", String(draft.enterprise_id));
  body.set("csrf_token", csrfToken());
  if (options.flash) {
    body.set("flash", "1");
  }
  return body;
}

// Send one visit; resolves to {kind, message, data}. kind: saved, exists, refused, login, csrf, failed.
export async function sendDraft(draft, options) {
  options = options || {};
  const controller = new AbortController();
  const timer = setTimeout(function () { controller.abort(); }, options.timeout || SEND_TIMEOUT_MS);
  if (options.signal) {
    options.signal.addEventListener("abort", function () { controller.abort(); });
  }
  let response;
  try {
    response = await fetch(urls.sync, {
      method: "POST",
      body: formData(draft, options),
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      signal: controller.signal,
    });
  } catch (error) {
    return { kind: "failed", message: navigator.onLine ? "网络不稳定，未能连上服务器" : "当前没有网络连接" };
  } finally {
    clearTimeout(timer);
  }
  let data = {};
  if ((response.headers.get("Content-Type") || "").indexOf("application/json") === 0) {
    try { data = await response.json(); } catch (error) { data = {}; }
  }
  if (data.status === "created") { return { kind: "saved", data: data }; }
  if (data.status === "exists") { return { kind: "exists", data: data }; }
  if (data.status === "refused") { return { kind: "refused", message: data.error, data: data }; }
  if (data.status === "login" || response.status === 401) {
    return { kind: "login", message: data.error || "登录已失效，请重新登录后同步" };
  }
  if (data.status === "csrf") { return { kind: "csrf", message: data.error }; }
  return { kind: "failed", message: "服务器暂时无法处理（" + response.status + "），稍后自动重试" };
}

// Send, and on a stale token fetch a fresh one and send once more.
export async function sendWithFreshToken(draft, options) {
  let outcome = await sendDraft(draft, options);
  if (outcome.kind === "csrf") {
    let session = null;
    try { session = await refreshSession(); } catch (error) { return { kind: "failed", message: "网络不稳定，未能连上服务器" }; }
    if (!session) { return { kind: "login", message: "登录已失效，请重新登录后同步" }; }
    if (String(session.user_id) !== String(draft.user_id)) {
      return { kind: "login", message: "当前登录的不是填写这条走访的账号，请用本人账号登录后同步" };
    }
    outcome = await sendDraft(draft, options);
  }
  return outcome;
}

function stamp(draft, outcome) {
  draft.attempts = (draft.attempts || 0) + 1;
  draft.last_attempt_at = new Date().toISOString();
  if (outcome.kind === "refused") {
    draft.status = "refused";
    draft.reason = outcome.message || "服务器拒绝了这条走访";
    draft.field_errors = (outcome.data && outcome.data.fields) || {};
    draft.fixable = !(outcome.data && outcome.data.fixable === false);
    draft.last_error = "";
  } else {
    draft.last_error = outcome.message || "";
  }
  return draft;
}

async function syncNow() {
  const user = pageUser();
  const result = { synced: 0, refused: 0, waiting: 0, error: "" };
  if (!user || !urls.sync) {
    return result;
  }
  const mine = (await drafts.ofUser(user)).filter(function (d) { return d.status === "pending"; });
  mine.sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; });
  for (const draft of mine) {
    if (!navigator.onLine) {
      result.waiting += 1;
      continue;
    }
    const outcome = await sendWithFreshToken(draft);
    if (outcome.kind === "saved" || outcome.kind === "exists") {
      await drafts.remove(draft.client_id);
      result.synced += 1;
    } else {
      await drafts.put(stamp(draft, outcome));
      if (outcome.kind === "refused") {
        result.refused += 1;
      } else {  // no connection, no session, a server error: the rest wait for the next try
        result.waiting += 1;
        result.error = outcome.message;
        break;
      }
    }
    broadcast();
  }
  broadcast();
  return result;
}

// Send this user's waiting drafts, one tab at a time (Web Locks where the browser has them).
export function syncDrafts() {
  if (navigator.locks && navigator.locks.request) {
    return navigator.locks.request("ltq-sync", { ifAvailable: true }, function (lock) {
      return lock ? syncNow() : { synced: 0, refused: 0, waiting: 0, error: "", busy: true };
    });
  }
  return syncNow();
}

export function stampRefusal(draft, outcome) {
  return stamp(draft, outcome);
}
