// Keeps a half-finished check-in in this browser tab (sessionStorage, cleared when the tab
// closes), so a locked phone or a reload does not lose answers. The form works without it.
(function () {
  var form = document.querySelector("form[data-draft-key]");
  if (!form || !window.sessionStorage) return;
  var key = form.getAttribute("data-draft-key");
  var saved = {};
  try { saved = JSON.parse(sessionStorage.getItem(key) || "{}"); } catch (e) { saved = {}; }
  Array.prototype.forEach.call(form.elements, function (el) {
    if (!el.name || el.type === "hidden" || !(el.name in saved)) return;
    if (el.type === "radio") { if (el.value === saved[el.name] && !form.querySelector("[name='" + el.name + "']:checked")) el.checked = true; }
    else if (!el.value) { el.value = saved[el.name]; }
  });
  form.addEventListener("change", function () {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden") return;
      if (el.type === "radio") { if (el.checked) data[el.name] = el.value; }
      else if (el.value) { data[el.name] = el.value; }
    });
    sessionStorage.setItem(key, JSON.stringify(data));
  });
  form.addEventListener("submit", function () { sessionStorage.removeItem(key); });
})();
