// Dispatch forms: the handler choice lists only the handlers of the chosen department.
document.addEventListener("change", function (event) {
  var dept = event.target.closest("select[data-handler-select]");
  if (!dept) { return; }
  var handler = document.getElementById(dept.getAttribute("data-handler-select"));
  if (!handler) { return; }
  handler.querySelectorAll("optgroup").forEach(function (group) {
    var match = !dept.value || group.getAttribute("data-department") === dept.value;
    group.hidden = !match;
    group.disabled = !match;
  });
  var chosen = handler.options[handler.selectedIndex];
  if (chosen && chosen.parentNode.tagName === "OPTGROUP" && chosen.parentNode.disabled) { handler.value = ""; }
});
