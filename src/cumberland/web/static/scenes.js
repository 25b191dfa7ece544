/* A region search's result: reveal it (logged, like the viewer's reveal) to see it at full
   resolution (a video: its keyframe that matched) under the verified outline. Loaded as a file: the CSP forbids inline scripts. */
(function () {
  "use strict";
  var stage = document.getElementById("match-stage");
  var button = document.getElementById("match-reveal");
  var picture = document.getElementById("match-picture");
  var status = document.getElementById("status");
  if (!stage || !button || !picture) return;
  var meta = document.querySelector('meta[name="csrf"]');
  var base = "/cases/" + stage.getAttribute("data-case") + "/media/" + stage.getAttribute("data-sha");

  function reveal() {
    fetch(base + "/reveal", {method: "POST", credentials: "same-origin",
                             headers: {"X-CSRF-Token": meta ? meta.content : "",
                                       "Content-Type": "application/json"}, body: "{}"})
      .then(function (r) { if (!r.ok) throw new Error(r.status + " " + r.statusText); return r.json(); })
      .then(function (result) {
        picture.setAttribute("href", stage.getAttribute("data-sharp"));
        button.hidden = true;
        setTimeout(function () { // a reveal lasts a set time, then the picture is blurred again
          picture.setAttribute("href", stage.getAttribute("data-blurred"));
          button.hidden = false;
        }, Number(result.seconds || 300) * 1000);
        if (status) status.textContent = "Revealed (audit entry " + result.audit + ").";
      })
      .catch(function (error) { if (status) status.textContent = "Reveal failed: " + error.message; });
  }
  button.addEventListener("click", reveal);
  document.addEventListener("keydown", function (event) {
    if (event.key === "r" && !event.target.closest("input, select, textarea") && !button.hidden) reveal();
  });
})();
