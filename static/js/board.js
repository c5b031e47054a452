// The proctor board refreshes itself every 15 s while the box is ticked,
// unless someone is typing in a field.
(function () {
  var box = document.getElementById("auto-refresh");
  if (!box) return;
  setInterval(function () {
    var a = document.activeElement;
    var typing = a && (a.tagName === "INPUT" || a.tagName === "TEXTAREA") && a !== box;
    if (box.checked && !typing) location.reload();
  }, 15000);
})();
