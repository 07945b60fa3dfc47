// Similar past problems while a problem is typed (crm/templates/knowledge/_similar_panel.html): after a
// pause in typing the title or description, the server's fragment of up to five earlier problems of the
// park is shown under the fields. 「引用此案例现场解答」 on a solved one fills the hidden answered_from field
// and the 现场解答 note from that problem's resolution; 取消 clears both. No inline script (strict CSP).
(function () {
  "use strict";
  var DELAY_MS = 300;

  function setup(box) {
    var form = box.closest("form");
    var byId = function (name) { return document.getElementById(box.getAttribute(name)); };
    var title = byId("data-title-field");
    var description = byId("data-description-field");
    var answer = byId("data-answer-field");
    var note = byId("data-note-field");
    var panel = box.querySelector("[data-similar-panel]");
    var banner = box.querySelector("[data-answer-banner]");
    if (!title || !panel) { return; }
    var timer = null;
    var last = null;
    var inflight = null;

    function query() {
      var params = new URLSearchParams();
      params.set("title", title.value.slice(0, 200));
      if (description) { params.set("description", description.value.slice(0, 2000)); }
      if (box.dataset.enterpriseId) { params.set("enterprise_id", box.dataset.enterpriseId); }
      return params.toString();
    }

    function refresh() {
      var typed = title.value.trim() || (description && description.value.trim());
      if (!typed) {
        panel.innerHTML = "";
        last = null;
        return;
      }
      var q = query();
      if (q === last) { return; }
      last = q;
      if (inflight) { inflight.abort(); }
      inflight = new AbortController();
      box.setAttribute("aria-busy", "true");
      fetch(box.dataset.similarUrl + "?" + q, {
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
        signal: inflight.signal,
      }).then(function (response) {
        // A redirect means the session ended (the login page): show nothing rather than that page.
        if (!response.ok || response.redirected) { throw new Error(String(response.status)); }
        return response.text();
      }).then(function (html) {
        panel.innerHTML = html;
        box.removeAttribute("aria-busy");
      }).catch(function (error) {
        if (error && error.name === "AbortError") { return; }
        box.removeAttribute("aria-busy");
        last = null;  // try again on the next keystroke (offline, or the session ended)
      });
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(refresh, DELAY_MS);
    }

    function showBanner(name) {
      if (!banner) { return; }
      banner.querySelector("[data-answer-title]").textContent = name ? "《" + name + "》" : "所引用案例";
      banner.hidden = false;
    }

    function choose(button) {
      if (!answer) { return; }
      answer.value = button.getAttribute("data-answer-from");
      if (note) { note.value = button.getAttribute("data-answer-note") || ""; }
      showBanner(button.getAttribute("data-answer-title"));
      if (banner) { banner.scrollIntoView({ block: "nearest", behavior: "smooth" }); }
      if (note) { note.focus({ preventScroll: true }); }
    }

    function cancel() {
      if (answer) { answer.value = ""; }
      if (note) { note.value = ""; }
      if (banner) { banner.hidden = true; }
    }

    title.addEventListener("input", schedule);
    if (description) { description.addEventListener("input", schedule); }
    panel.addEventListener("click", function (event) {
      var button = event.target.closest("[data-answer-from]");
      if (button) { choose(button); }
    });
    if (banner) {
      banner.querySelector("[data-answer-cancel]").addEventListener("click", cancel);
    }
    // A hidden input keeps its value through form.reset(): the visit form resets after keeping a draft.
    if (form) { form.addEventListener("reset", function () { setTimeout(function () { cancel(); panel.innerHTML = ""; last = null; }, 0); }); }
    // The form came back with an error: keep the chosen case visible, and show the suggestions again.
    if (answer && answer.value) { showBanner(banner && banner.dataset.title); }
    // A draft reopened on the visit form sets the hidden field (its attribute) without an event.
    if (answer && banner && window.MutationObserver) {
      new MutationObserver(function () {
        if (answer.value && banner.hidden) { showBanner(""); } else if (!answer.value) { banner.hidden = true; }
      }).observe(answer, { attributes: true, attributeFilter: ["value"] });
    }
    if (title.value.trim()) { refresh(); }
  }

  document.querySelectorAll("[data-similar]").forEach(setup);
})();
