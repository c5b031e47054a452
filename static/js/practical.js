// The practical page: a countdown from the server's clock (the server alone
// decides what is in time). Uploads are plain forms, so the page works
// without this script; with it, upload buttons close at the deadline and
// the page reloads once the grace period is over.
(function () {
  var root = document.getElementById("practical");
  if (!root) return;
  var deadline = Date.parse(root.dataset.deadline);
  var offset = Date.parse(root.dataset.now) - Date.now();
  var clock = document.getElementById("clock");
  var done = false;
  function tick() {
    var left = Math.max(0, Math.floor((deadline - (Date.now() + offset)) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    clock.textContent = (h ? h + ":" : "") + (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
    if (left === 0 && !done) {
      done = true;
      var buttons = root.querySelectorAll(".upload-form button");
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
      setTimeout(function () { location.reload(); }, (parseInt(root.dataset.grace, 10) + 2) * 1000);
    }
  }
  tick(); setInterval(tick, 1000);
  var form = document.getElementById("practical-submit");
  if (form) form.addEventListener("submit", function (e) {
    if (!window.confirm(form.dataset.confirm)) e.preventDefault();
  });
})();
