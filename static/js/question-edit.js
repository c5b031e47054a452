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
  // Images: uploaded to the server, then written into the stem as Markdown.
  var image = document.getElementById("image");
  var status = document.getElementById("image-status");
  var stem = document.getElementById("stem");
  if (image && stem) {
    image.addEventListener("change", function () {
      var file = image.files && image.files[0];
      if (!file) return;
      status.textContent = "…";
      fetch("/api/v1/media?name=" + encodeURIComponent(file.name), {
        method: "POST",
        headers: { "X-CSRF-Token": csrf() },
        body: file,
        credentials: "same-origin"
      }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
        .then(function (res) {
          if (!res.ok) { status.textContent = res.j.message || ""; return; }
          var snippet = "![" + file.name + "](" + res.j.url + ")";
          var at = stem.selectionStart || stem.value.length;
          stem.value = stem.value.slice(0, at) + snippet + stem.value.slice(at);
          status.textContent = "";
          image.value = "";
          refresh();
        })
        .catch(function () { status.textContent = "!"; });
    });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
})();
