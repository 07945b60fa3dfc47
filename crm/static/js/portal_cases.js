// The firm page's 提交诉求: the park's solved cases move up under the category picker and show only the
// category the firm picks. Progressive: without this script every category's cases stay listed, folded,
// under the form. Loaded from /static: the CSP forbids inline script.
(function () {
  var select = document.querySelector("[data-submit-form] select[name=category]");
  var section = document.querySelector("[data-portal-case-groups]");
  if (!select || !section) { return; }
  var groups = section.querySelectorAll("[data-case-category]");
  var field = select.parentNode;
  field.parentNode.insertBefore(section, field.nextSibling);
  section.classList.add("portal-case-inline");
  function show() {
    var any = false;
    Array.prototype.forEach.call(groups, function (group) {
      var match = group.getAttribute("data-case-category") === select.value;
      group.hidden = !match;
      group.open = match;
      any = any || match;
    });
    section.hidden = !any;
  }
  select.addEventListener("change", show);
  show();
})();
