// The visit form, offline first: the visit is sent to the server; without a connection, or when the
// request fails, it is kept on the phone as a draft (待同步) and sent when the connection returns.
// It also captures the device's location for on-site evidence, and reopens a draft (?draft=<id>) so
// that one the server refused can be fixed and sent again, or discarded.

import { drafts, forms } from "./idb.js";
import { draftsChanged, sendWithFreshToken, stampRefusal } from "./sync.js";
import { newClientId, pageUser, urls } from "./session.js";

const SLOW_MS = 8000;  // then offer to keep the visit on the phone instead of waiting
const LOCATION_FIELDS = ["latitude", "longitude", "accuracy", "located_at"];
const SKIPPED = ["csrf_token", "client_id"];

const form = document.querySelector("form[data-visit-form]");

function el(selector) {
  return form.querySelector(selector);
}

function localDate(date) {
  const pad = function (n) { return String(n).padStart(2, "0"); };
  return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate());
}

function setHidden(name, value) {
  const input = form.elements.namedItem(name);
  if (input) { input.value = value; }
}

// ---- messages at the top of the form

function say(kind, text, extra) {
  const box = el("[data-form-status]");
  box.className = "alert alert-" + kind;
  box.textContent = text;
  if (extra) { box.append(" ", extra); }
  box.hidden = false;
  box.scrollIntoView({ block: "center", behavior: "smooth" });
}

function draftsLink() {
  const link = document.createElement("a");
  link.href = urls.drafts;
  link.className = "alert-link";
  link.textContent = "查看待同步";
  return link;
}

// ---- field errors returned by the server, shown as the page would show them

function clearErrors() {
  form.querySelectorAll(".is-invalid").forEach(function (x) { x.classList.remove("is-invalid"); });
  form.querySelectorAll("[data-js-error]").forEach(function (x) { x.remove(); });
}

function showErrors(fields) {
  for (const [name, messages] of Object.entries(fields || {})) {
    const item = form.elements.namedItem(name);
    if (!item) { continue; }
    const target = item instanceof RadioNodeList ? item[item.length - 1].closest(".row") : item;
    if (!(item instanceof RadioNodeList)) { item.classList.add("is-invalid"); }
    const note = document.createElement("div");
    note.className = item instanceof RadioNodeList ? "text-danger small mt-1" : "invalid-feedback";
    note.setAttribute("data-js-error", "");
    note.textContent = messages.join("；");
    target.after(note);
    openSectionOf(item instanceof RadioNodeList ? item[0] : item);
  }
}

function openSectionOf(input) {
  const section = input.closest(".collapse");
  if (section && !section.classList.contains("show")) {
    section.classList.add("show");
    const toggle = form.querySelector('[data-bs-target="#' + section.id + '"]');
    if (toggle) { toggle.classList.remove("collapsed"); toggle.setAttribute("aria-expanded", "true"); }
  }
}

// ---- on-site evidence: the device's location

function kind() {
  const checked = form.querySelector("input[name=kind]:checked");
  return checked ? checked.value : "";
}

function showLocation() {
  const status = el("[data-location-status]");
  if (!status) { return; }
  const accuracy = Number(form.elements.namedItem("accuracy").value);
  const at = form.elements.namedItem("located_at").value;
  if (!form.elements.namedItem("latitude").value) {
    status.textContent = "尚未定位";
    status.className = "small mb-2 text-muted";
    return;
  }
  const when = at ? new Date(Number(at)) : null;
  const max = Number(form.dataset.maxAccuracy || 0);
  let text = "已定位：精度约 " + Math.round(accuracy) + " 米" + (when ? "（" + when.toTimeString().slice(0, 5) + "）" : "");
  if (max && accuracy > max) {
    text += "。精度不够（要求 " + max + " 米以内），建议到室外或打开手机定位（GPS）后重新定位";
  }
  status.textContent = text;
  status.className = "small mb-2 " + (max && accuracy > max ? "text-danger" : "text-success");
}

function clearLocation() {
  LOCATION_FIELDS.forEach(function (name) { setHidden(name, ""); });
  showLocation();
}

function locate() {
  const status = el("[data-location-status]");
  if (!("geolocation" in navigator)) {
    status.textContent = "此浏览器无法定位";
    return;
  }
  status.textContent = "正在定位…";
  status.className = "small mb-2 text-muted";
  navigator.geolocation.getCurrentPosition(function (position) {
    setHidden("latitude", position.coords.latitude.toFixed(7));
    setHidden("longitude", position.coords.longitude.toFixed(7));
    setHidden("accuracy", position.coords.accuracy.toFixed(1));
    setHidden("located_at", String(Math.round(position.timestamp)));
    showLocation();
  }, function (error) {
    const reasons = {
      1: "未获得定位权限：请在浏览器的网站设置中允许本网站使用位置信息",
      2: "暂时无法获取位置，请到开阔处或打开手机定位（GPS）后重试",
      3: "定位超时，请重试",
    };
    status.textContent = reasons[error.code] || "定位失败，请重试";
    status.className = "small mb-2 text-danger";
  }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
}

function toggleEvidence() {
  const block = el("[data-evidence-block]");
  if (!block) { return; }
  const onsite = kind() === "onsite";
  block.hidden = !onsite;
  if (!onsite) { clearLocation(); }
}

async function autoLocate() {
  // Ask without a tap only when the user has allowed it before (no surprise permission prompt).
  if (!el("[data-evidence-block]") || kind() !== "onsite" || form.elements.namedItem("latitude").value) { return; }
  try {
    const permission = await navigator.permissions.query({ name: "geolocation" });
    if (permission.state === "granted") { locate(); }
  } catch (error) { /* no Permissions API: wait for the tap */ }
}

// ---- the visit as a draft record

async function collect() {
  const entries = Array.from(new FormData(form).entries());
  const fields = [];
  const files = [];
  for (const [name, value] of entries) {
    if (SKIPPED.indexOf(name) !== -1) { continue; }
    if (value instanceof File) {
      if (value.name && value.size) {
        // A copy of the bytes: a photo the camera app left in a temporary file may be gone later.
        files.push({ field: name, name: value.name, type: value.type, blob: new Blob([await value.arrayBuffer()], { type: value.type }) });
      }
    } else {
      fields.push([name, value]);
    }
  }
  const now = new Date().toISOString();
  return {
    client_id: form.elements.namedItem("client_id").value,
    user_id: String(pageUser()),
    enterprise_id: Number(form.dataset.firmId),
    firm_name: form.dataset.firmName,
    form_url: form.dataset.formUrl,
    fields: fields,
    files: files,
    status: "pending",
    created_at: (current && current.created_at) || now,
    updated_at: now,
    attempts: 0,
    last_error: "",
    reason: "",
    field_errors: {},
  };
}

function resetForm() {
  form.reset();
  form.elements.namedItem("client_id").value = newClientId();
  clearLocation();
  clearErrors();
  form.querySelectorAll("[data-file-names]").forEach(function (input) { input.dispatchEvent(new Event("change", { bubbles: true })); });
  form.querySelectorAll(".collapse.show").forEach(function (x) { x.classList.remove("show"); });
  toggleEvidence();
  const banner = el("[data-draft-banner]");
  if (banner) { banner.hidden = true; }
  current = null;
  if (location.search.indexOf("draft=") !== -1) { history.replaceState(null, "", form.dataset.formUrl); }
}

async function keep(draft, why) {
  try {
    await drafts.put(draft);
  } catch (error) {
    say("danger", "无法保存到本设备（" + (error && error.message ? error.message : "存储不可用") + "）。请不要关闭页面，联网后再提交。");
    return;
  }
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persist().catch(function () {});
  }
  draftsChanged();
  resetForm();
  say("success", (why ? why + "。" : "") + "走访已保存在本设备（待同步），联网后会自动同步。", draftsLink());
}

// ---- submitting

let busy = false;
let current = null;  // the draft being fixed, when opened with ?draft=

async function submit(event) {
  event.preventDefault();
  if (busy) { return; }
  clearErrors();
  const draft = await collect();
  if (!navigator.onLine) {
    await keep(draft, "当前没有网络连接");
    return;
  }
  busy = true;
  const button = el("button[type=submit]");
  button.disabled = true;
  const aborter = new AbortController();
  let keptByUser = false;
  say("info", "正在保存…");
  const slow = setTimeout(function () {
    const later = document.createElement("button");
    later.type = "button";
    later.className = "btn btn-sm btn-warning ms-2";
    later.textContent = "先保存到本设备";
    later.addEventListener("click", function () { keptByUser = true; aborter.abort(); });
    say("info", "网络较慢，仍在保存…", later);
  }, SLOW_MS);
  const outcome = await sendWithFreshToken(draft, { flash: true, signal: aborter.signal });
  clearTimeout(slow);
  busy = false;
  button.disabled = false;
  if (outcome.kind === "saved" || outcome.kind === "exists") {
    if (current) { await drafts.remove(current.client_id); draftsChanged(); }
    window.location.assign(outcome.data.firm_url);
    return;
  }
  if (outcome.kind === "refused") {
    if (current) {  // the draft keeps what was typed now, and why it was refused
      await drafts.put(stampRefusal(draft, outcome));
      draftsChanged();
    }
    say("danger", outcome.message);
    showErrors(outcome.data && outcome.data.fields);
    return;
  }
  await keep(draft, keptByUser ? "" : outcome.message);
}

// ---- reopening a draft

function fill(draft) {
  form.querySelectorAll("input[type=checkbox]").forEach(function (box) { box.checked = false; });
  for (const [name, value] of draft.fields) {
    const item = form.elements.namedItem(name);
    if (!item || item.type === "file") { continue; }
    const box = form.querySelector('input[type=checkbox][name="' + name + '"][value="' + CSS.escape(value) + '"]');
    if (box) {  // ticked boxes (送达的政策) come back ticked
      box.checked = true;
      continue;
    }
    if (item.type === "checkbox" || (item instanceof RadioNodeList && item[0].type === "checkbox")) { continue; }
    item.value = value;
    // Selects carry defaults (类型, 紧急程度): only what was typed opens a section.
    if (value && !(item instanceof RadioNodeList) && item.tagName !== "SELECT" && item.type !== "hidden") { openSectionOf(item); }
  }
  const byField = {};
  for (const file of draft.files) {
    (byField[file.field] = byField[file.field] || []).push(new File([file.blob], file.name, { type: file.type }));
  }
  for (const [name, files] of Object.entries(byField)) {
    const input = form.querySelector('input[type=file][name="' + name + '"]');
    if (!input) { continue; }
    const transfer = new DataTransfer();
    files.forEach(function (f) { transfer.items.add(f); });
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }
  form.elements.namedItem("client_id").value = draft.client_id;
  toggleEvidence();
  showLocation();
}

async function openDraft(id) {
  const draft = await drafts.get(id);
  const banner = el("[data-draft-banner]");
  if (!draft || String(draft.user_id) !== String(pageUser())) {
    say("warning", "没有找到这条草稿，可能已同步或已放弃。", draftsLink());
    return;
  }
  current = draft;
  fill(draft);
  banner.hidden = false;
  banner.querySelector("[data-draft-reason]").textContent = draft.status === "refused"
    ? "服务器未接受这条走访：" + draft.reason + "。请修改后重新保存，或放弃这条草稿。"
    : "这是保存在本设备、尚未同步的走访草稿，可以修改后保存。";
  showErrors(draft.field_errors);
}

async function discard() {
  if (!current || !window.confirm("放弃后这条走访将从本设备删除，无法恢复。确定放弃？")) { return; }
  await drafts.remove(current.client_id);
  draftsChanged();
  window.location.assign(urls.drafts);
}

// ---- wiring

function init() {
  const today = localDate(new Date());
  const date = form.elements.namedItem("visited_on");
  // The phone's copy of a form made on an earlier day: today is the phone's today.
  if (document.documentElement.dataset.keptCopy && form.dataset.today && today > form.dataset.today) {
    if (date.value === form.dataset.today) { date.value = today; }
    date.max = today;
  }
  form.elements.namedItem("client_id").value = newClientId();
  form.addEventListener("submit", submit);
  form.querySelectorAll("input[name=kind]").forEach(function (radio) { radio.addEventListener("change", function () { toggleEvidence(); autoLocate(); }); });
  const locateButton = el("[data-locate]");
  if (locateButton) { locateButton.addEventListener("click", locate); }
  const discardButton = el("[data-discard-draft]");
  if (discardButton) { discardButton.addEventListener("click", discard); }
  toggleEvidence();
  showLocation();
  const params = new URLSearchParams(location.search);
  if (params.get("draft")) {
    openDraft(params.get("draft")).catch(function () { say("danger", "无法读取本设备保存的草稿"); });
  } else {
    autoLocate();
  }
  // Remember this form so the offline page can offer it.
  if (pageUser()) {
    forms.put({ url: form.dataset.formUrl, user_id: String(pageUser()), firm_id: Number(form.dataset.firmId),
      name: form.dataset.firmName, kept_at: new Date().toISOString() }).catch(function () {});
  }
}

if (form) {
  init();
}
