// 待同步: the visits kept on this phone for the signed-in user — waiting, or refused by the server with
// its reason — with 立即同步, 修改 (reopens the form with the draft) and 放弃.

import { drafts } from "./idb.js";
import { draftsChanged, onDraftsChanged, syncDrafts } from "./sync.js";
import { pageUser } from "./session.js";

const root = document.querySelector("[data-drafts-page]");
const kinds = root ? JSON.parse(root.dataset.kinds || "{}") : {};

function text(tag, className, content) {
  const node = document.createElement(tag);
  if (className) { node.className = className; }
  if (content !== undefined) { node.textContent = content; }
  return node;
}

function field(draft, name) {
  const found = draft.fields.find(function (pair) { return pair[0] === name; });
  return found ? found[1] : "";
}

function when(iso) {
  if (!iso) { return ""; }
  const d = new Date(iso);
  const pad = function (n) { return String(n).padStart(2, "0"); };
  return (d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
}

function card(draft) {
  const item = text("div", "list-group-item py-3");
  item.setAttribute("data-draft", draft.client_id);
  const head = text("div", "d-flex flex-wrap justify-content-between gap-2 align-items-center");
  const title = text("div", "fw-semibold", draft.firm_name || "企业");
  const badge = draft.status === "refused"
    ? text("span", "badge text-bg-danger", "被退回")
    : text("span", "badge text-bg-warning", "待同步");
  head.append(title, badge);
  item.append(head);
  const kind = kinds[field(draft, "kind")] || "";
  item.append(text("div", "small text-muted", [field(draft, "visited_on"), kind, draft.files.length ? "照片/附件 " + draft.files.length + " 个" : ""].filter(Boolean).join(" · ")));
  item.append(text("div", "mt-1 text-prewrap", field(draft, "summary")));
  if (draft.status === "refused") {
    const reason = text("div", "alert alert-danger py-2 my-2", "");
    reason.setAttribute("data-draft-reason", "");
    reason.textContent = "未能同步：" + draft.reason;
    item.append(reason);
  } else if (draft.last_error) {
    item.append(text("div", "small text-danger mt-1", "上次尝试 " + when(draft.last_attempt_at) + "：" + draft.last_error));
  }
  item.append(text("div", "small text-muted mt-1", "保存于 " + when(draft.created_at)));
  const actions = text("div", "d-flex flex-wrap gap-2 mt-2");
  if (draft.status === "refused" && draft.fixable === false) {
    // The firm is out of reach: nothing to fix here; keep the words if they are wanted elsewhere.
    const copy = text("button", "btn btn-outline-secondary", "复制内容");
    copy.type = "button";
    copy.setAttribute("data-copy", draft.client_id);
    actions.append(copy);
  } else {
    const edit = text("a", "btn btn-outline-primary", draft.status === "refused" ? "修改后重新提交" : "修改");
    edit.href = draft.form_url + "?draft=" + encodeURIComponent(draft.client_id);
    actions.append(edit);
  }
  const discard = text("button", "btn btn-outline-danger", "放弃");
  discard.type = "button";
  discard.setAttribute("data-discard", draft.client_id);
  actions.append(discard);
  item.append(actions);
  return item;
}

async function render() {
  const list = root.querySelector("[data-drafts-list]");
  const mine = await drafts.ofUser(pageUser());
  mine.sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; });
  list.replaceChildren(...mine.map(card));
  root.querySelector("[data-drafts-empty]").hidden = mine.length > 0;
  const waiting = mine.filter(function (d) { return d.status === "pending"; }).length;
  root.querySelector("[data-sync-now]").hidden = waiting === 0;
}

async function copyText(button) {
  const draft = await drafts.get(button.getAttribute("data-copy"));
  if (!draft) { return; }
  const lines = [draft.firm_name + " " + field(draft, "visited_on") + " " + (kinds[field(draft, "kind")] || "")];
  for (const [name, label] of [["participants", "参与人员"], ["summary", "走访情况"], ["findings", "发现与建议"]]) {
    if (field(draft, name)) { lines.push(label + "：" + field(draft, name)); }
  }
  try {
    await navigator.clipboard.writeText(lines.join("\n"));
    button.textContent = "已复制";
  } catch (error) {
    button.textContent = "无法复制，请手工抄录";
  }
}

async function syncNow(button) {
  const status = root.querySelector("[data-sync-status]");
  if (!navigator.onLine) {
    status.textContent = "当前没有网络连接，联网后会自动同步";
    return;
  }
  button.disabled = true;
  status.textContent = "正在同步…";
  const result = await syncDrafts();
  button.disabled = false;
  const parts = [];
  if (result.busy) { parts.push("另一个页面正在同步，请稍候"); }
  if (result.synced) { parts.push("已同步 " + result.synced + " 条"); }
  if (result.refused) { parts.push(result.refused + " 条被退回，请查看原因"); }
  if (result.error) { parts.push(result.error); }
  status.textContent = parts.join("；") || "没有需要同步的走访";
}

if (root) {
  root.addEventListener("click", async function (event) {
    const discard = event.target.closest("[data-discard]");
    if (discard) {
      if (window.confirm("放弃后这条走访将从本设备删除，无法恢复。确定放弃？")) {
        await drafts.remove(discard.getAttribute("data-discard"));
        draftsChanged();
      }
      return;
    }
    const copy = event.target.closest("[data-copy]");
    if (copy) {
      await copyText(copy);
      return;
    }
    const button = event.target.closest("[data-sync-now]");
    if (button) { await syncNow(button); }
  });
  onDraftsChanged(function () { render().catch(function () {}); });
  render().catch(function () {
    root.querySelector("[data-drafts-empty]").textContent = "无法读取本设备的离线存储（浏览器可能处于无痕模式）";
  });
}
