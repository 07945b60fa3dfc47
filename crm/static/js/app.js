// 联企通 front-end helpers. Loaded from /static: no inline script (CSP forbids it).
document.addEventListener("click", function (event) {
  var printer = event.target.closest("[data-print]");
  if (printer) { event.preventDefault(); window.print(); }
  var confirmer = event.target.closest("[data-confirm]");
  if (confirmer && !window.confirm(confirmer.getAttribute("data-confirm"))) { event.preventDefault(); }
});
