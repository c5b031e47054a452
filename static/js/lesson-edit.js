// Live preview of a lesson: the server renders and sanitizes the Markdown.
(function () {
  var form = document.getElementById("lesson-form");
  var body = document.getElementById("body");
  var target = document.getElementById("live-preview");
  if (!form || !body || !target || !window.fetch) return;
  var timer = null;
  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrf=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function refresh() {
    var data = new URLSearchParams();
    data.set("csrf_token", form.elements["csrf_token"].value);
    data.set("body", body.value);
    fetch("/admin/lessons/preview", { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) target.innerHTML = html; })
      .catch(function () {});
  }
  body.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 400); });
  var image = document.getElementById("image");
  var status = document.getElementById("image-status");
  if (image) {
    image.addEventListener("change", function () {
      var file = image.files && image.files[0];
      if (!file) return;
      status.textContent = "…";
      fetch("/api/v1/media?name=" + encodeURIComponent(file.name), {
        method: "POST", headers: { "X-CSRF-Token": csrf() }, body: file, credentials: "same-origin"
      }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
        .then(function (res) {
          if (!res.ok) { status.textContent = res.j.message || ""; return; }
          var snippet = /^video\//.test(file.type)
            ? "\n<video src=\"" + res.j.url + "\" controls preload=\"none\"></video>\n"
            : "![" + file.name + "](" + res.j.url + ")";
          var at = body.selectionStart || body.value.length;
          body.value = body.value.slice(0, at) + snippet + body.value.slice(at);
          status.textContent = ""; image.value = ""; refresh();
        }).catch(function () { status.textContent = "!"; });
    });
  }
})();
