// The offline page: what can still be done without a connection — the visit forms kept on this phone,
// and the drafts waiting to be sent.

import { drafts, forms } from "./idb.js";
import { lastUser } from "./session.js";

const root = document.querySelector("[data-offline-page]");

async function render() {
  const user = lastUser();
  if (!user) { return; }
  const kept = await forms.ofUser(user);
  kept.sort(function (a, b) { return (a.name || "").localeCompare(b.name || "", "zh-CN"); });
  const list = root.querySelector("[data-kept-forms]");
  for (const form of kept) {
    const link = document.createElement("a");
    link.className = "list-group-item list-group-item-action py-3";
    link.href = form.url;
    link.textContent = "记录走访：" + form.name;
    list.append(link);
  }
  root.querySelector("[data-kept-forms-box]").hidden = kept.length === 0;
  const waiting = (await drafts.ofUser(user)).length;
  const note = root.querySelector("[data-waiting]");
  note.textContent = waiting ? "本设备有 " + waiting + " 条走访等待同步，联网后打开任一页面会自动同步。" : "";
  note.hidden = !waiting;
}

if (root) {
  render().catch(function () {});
  window.addEventListener("online", function () { root.querySelector("[data-back-online]").hidden = false; });
}
