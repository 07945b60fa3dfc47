// Steps that cannot be undone (签收, 办结, 撤单, 删除 …) ask first: a button or link with
// data-confirm="question" opens a dialog of the page with 取消 and 确定; 确定 repeats the click, so the form
// posts exactly as it would have (its submitter, formaction and the browser's own field checks included).
// Served from /static: no inline script (CSP forbids it).
(function () {
  var pending = null;

  function dialog() {
    var box = document.getElementById("confirm-dialog");
    if (box) { return box; }
    box = document.createElement("div");
    box.className = "modal fade";
    box.id = "confirm-dialog";
    box.tabIndex = -1;
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-labelledby", "confirm-dialog-title");
    box.innerHTML =
      '<div class="modal-dialog modal-dialog-centered"><div class="modal-content">' +
      '<div class="modal-header"><h2 class="modal-title h5" id="confirm-dialog-title">请确认</h2>' +
      '<button type="button" class="btn-close" data-bs-dismiss="modal" aria-label="关闭"></button></div>' +
      '<div class="modal-body" data-confirm-message></div>' +
      '<div class="modal-footer">' +
      '<button type="button" class="btn btn-outline-secondary" data-bs-dismiss="modal">取消</button>' +
      '<button type="button" class="btn btn-primary" data-confirm-ok>确定</button>' +
      "</div></div></div>";
    document.body.appendChild(box);
    box.addEventListener("hidden.bs.modal", function () {
      if (pending && pending.getAttribute("data-confirmed") !== "1") { pending.focus(); pending = null; }
    });
    return box;
  }

  document.addEventListener("click", function (event) {
    var ok = event.target.closest("[data-confirm-ok]");
    if (ok) {
      var trigger = pending;
      var box = dialog();
      window.bootstrap.Modal.getOrCreateInstance(box).hide();
      if (trigger) {
        trigger.setAttribute("data-confirmed", "1");
        trigger.click();
      }
      return;
    }
    var asker = event.target.closest("[data-confirm]");
    if (!asker) { return; }
    if (asker.getAttribute("data-confirmed") === "1") {  // the repeated click after 确定
      asker.removeAttribute("data-confirmed");
      pending = null;
      return;
    }
    var form = asker.form;
    // A form the browser would refuse shows its own messages first; the question comes after.
    if (form && asker.type === "submit" && !form.noValidate && !asker.formNoValidate && !form.checkValidity()) {
      return;
    }
    event.preventDefault();
    var question = asker.getAttribute("data-confirm");
    if (!window.bootstrap || !window.bootstrap.Modal) {  // no Bootstrap: the browser's own dialog
      if (window.confirm(question)) { asker.setAttribute("data-confirmed", "1"); asker.click(); }
      return;
    }
    pending = asker;
    var box = dialog();
    box.querySelector("[data-confirm-message]").textContent = question;
    var okButton = box.querySelector("[data-confirm-ok]");
    var danger = /danger/.test(asker.className);
    okButton.className = "btn " + (danger ? "btn-danger" : "btn-primary");
    var label = (asker.textContent || "").trim().replace(/\s+/g, " ").slice(0, 12);
    okButton.textContent = /^确/.test(label) ? label : "确定" + label;
    window.bootstrap.Modal.getOrCreateInstance(box).show();
  });
})();
