// The exam page. The server is the only clock: the countdown runs from the
// server's "now" and deadline, resynchronised by every save. Every change is
// saved at once; failed saves are queued (also in localStorage) and retried
// until they land or the server says time is up.
(function () {
  var root = document.getElementById("exam");
  if (!root) return;
  var attempt = root.dataset.attempt;
  var deadline = Date.parse(root.dataset.deadline);
  var offset = Date.parse(root.dataset.now) - Date.now(); // server minus local
  var clock = document.getElementById("clock");
  var stateEl = document.getElementById("save-state");
  var storeKey = "ictskills-pending-" + attempt;
  var pending = {};
  try { pending = JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { pending = {}; }
  var finished = false;

  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrf=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function keep() {
    try { localStorage.setItem(storeKey, JSON.stringify(pending)); } catch (e) {}
  }
  function showState() {
    var n = Object.keys(pending).length;
    stateEl.textContent = finished ? stateEl.dataset.late : (n ? stateEl.dataset.pending + " (" + n + ")" : stateEl.dataset.saved);
    stateEl.className = "save-state" + (n ? " pending" : "");
  }
  function chosen(pos) {
    var boxes = root.querySelectorAll('input[name="q' + pos + '"]');
    var ids = [];
    for (var i = 0; i < boxes.length; i++) if (boxes[i].checked) ids.push(boxes[i].value);
    return ids;
  }
  function send(pos) {
    var ids = pending[pos];
    if (ids === undefined) return;
    fetch("/api/v1/attempts/" + attempt + "/answers/" + pos, {
      method: "PUT",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      credentials: "same-origin",
      body: JSON.stringify({ option_ids: ids })
    }).then(function (r) {
      return r.json().then(function (j) { return { status: r.status, body: j }; });
    }).then(function (res) {
      if (res.status === 200) {
        if (JSON.stringify(pending[pos]) === JSON.stringify(ids)) delete pending[pos];
        offset = Date.parse(res.body.server_now) - Date.now();
        deadline = Date.parse(res.body.deadline);
      } else if (res.status === 409) {
        pending = {}; finished = true; setTimeout(function () { location.reload(); }, 1500);
      }
      keep(); showState();
    }).catch(function () { keep(); showState(); });
  }
  function change(pos) {
    pending[pos] = chosen(pos);
    keep(); showState(); send(pos);
    var nav = document.getElementById("nav" + pos);
    if (nav) nav.classList.toggle("answered", pending[pos].length > 0);
  }
  root.addEventListener("change", function (e) {
    var t = e.target;
    if (t.classList.contains("flag-box")) {
      var nav = document.getElementById("nav" + t.dataset.position);
      if (nav) nav.classList.toggle("flagged", t.checked);
      return;
    }
    var m = /^q(\d+)$/.exec(t.name || "");
    if (m && !finished) change(m[1]);
  });
  root.addEventListener("click", function (e) {
    var t = e.target;
    if (t.classList.contains("clear")) {
      var boxes = root.querySelectorAll('input[name="q' + t.dataset.position + '"]');
      for (var i = 0; i < boxes.length; i++) boxes[i].checked = false;
      change(t.dataset.position);
    }
  });
  // Answers queued before a reload or a lost connection are shown and sent again.
  for (var pos in pending) {
    if (!Object.prototype.hasOwnProperty.call(pending, pos)) continue;
    var boxes = root.querySelectorAll('input[name="q' + pos + '"]');
    for (var i = 0; i < boxes.length; i++) boxes[i].checked = pending[pos].indexOf(boxes[i].value) >= 0;
    send(pos);
  }
  setInterval(function () { for (var p in pending) if (Object.prototype.hasOwnProperty.call(pending, p)) send(p); }, 3000);
  window.addEventListener("online", function () { for (var p in pending) send(p); });

  function tick() {
    var left = Math.max(0, Math.floor((deadline - (Date.now() + offset)) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    clock.textContent = (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
    if (left === 0 && !finished) {
      finished = true; showState();
      var inputs = root.querySelectorAll(".q-options input");
      for (var i = 0; i < inputs.length; i++) inputs[i].disabled = true;
      // The server finishes the attempt after the grace period; then show the result.
      setTimeout(function () { location.reload(); }, (parseInt(root.dataset.grace, 10) + 2) * 1000);
    }
  }
  tick(); setInterval(tick, 1000); showState();

  var form = document.getElementById("submit-form");
  form.addEventListener("submit", function (e) {
    var missing = [];
    var qs = root.querySelectorAll(".question");
    for (var i = 0; i < qs.length; i++) if (chosen(qs[i].dataset.position).length === 0) missing.push(qs[i].dataset.position);
    var text = form.dataset.confirm + (missing.length ? "\n" + form.dataset.unanswered + ": " + missing.join(", ") : "");
    if (!window.confirm(text)) e.preventDefault();
  });
})();
