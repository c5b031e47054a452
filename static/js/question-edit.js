// Live preview of the question being written: the server renders the
// candidate's view (sanitized Markdown), so the preview is exact.
(function () {
  var form = document.getElementById("question-form");
  var target = document.getElementById("live-preview");
  if (!form || !target || !window.fetch) return;
  var timer = null;
  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrf=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function refresh() {
    var body = new URLSearchParams(new FormData(form));
    fetch("/questions/preview", {
      method: "POST",
      headers: { "X-CSRF-Token": csrf() },
      body: body,
      credentials: "same-origin"
    }).then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) target.innerHTML = html; })
      .catch(function () {});
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
})();
