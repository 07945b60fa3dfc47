// The firm location form: fill the coordinates from this device's location (an officer at the firm).

const form = document.querySelector("[data-firm-location-form]");

if (form) {
  const status = form.querySelector("[data-here-status]");
  form.querySelector("[data-use-here]").addEventListener("click", function () {
    if (!("geolocation" in navigator)) {
      status.textContent = "此浏览器无法定位";
      return;
    }
    status.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.namedItem("datum").value = "wgs84";
      form.elements.namedItem("latitude").value = position.coords.latitude.toFixed(6);
      form.elements.namedItem("longitude").value = position.coords.longitude.toFixed(6);
      status.textContent = "已填入当前位置（精度约 " + Math.round(position.coords.accuracy) + " 米），请确认后保存";
    }, function () {
      status.textContent = "定位失败：请允许本网站使用位置信息，或手工填写坐标";
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
  });
}
