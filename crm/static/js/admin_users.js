// 用户表单: 部门负责人 applies to 部门经办 only, 领导级别 to 领导 only (default 3 区分管领导).
// The server checks the combination too; this only hides fields that do not apply to the chosen role.
(function () {
  var role = document.getElementById("role");
  var head = document.getElementById("is_dept_head");
  var level = document.getElementById("leader_level");
  if (!role || !head || !level) { return; }
  var headBox = head.closest(".col-md-6") || head.parentNode;
  var levelBox = level.closest(".mb-3") || level.parentNode;

  function sync() {
    var isHandler = role.value === "handler";
    var isLeader = role.value === "leader";
    headBox.classList.toggle("d-none", !isHandler);
    levelBox.classList.toggle("d-none", !isLeader);
    if (!isHandler) { head.checked = false; }
    if (!isLeader) { level.value = ""; } else if (!level.value) { level.value = "3"; }
  }
  role.addEventListener("change", sync);
  sync();
})();
