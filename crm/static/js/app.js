// 联企通 front-end helpers. Loaded from /static: no inline script (CSP forbids it).
document.addEventListener("click", function (event) {
  var printer = event.target.closest("[data-print]");
  if (printer) { event.preventDefault(); window.print(); }
});
// data-confirm (a question before an irreversible step) is handled by confirm.js.

// A styled file input: say which files were chosen, in Chinese, next to the button.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches("input[type=file][data-file-names]")) { return; }
  var target = document.getElementById(input.getAttribute("data-file-names"));
  if (!target) { return; }
  var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
  target.textContent = names.length ? "已选择 " + names.length + " 个文件：" + names.join("、") : "未选择文件";
});
