/* Trace An Object: drag a box on the revealed picture; the region field gets it in the
   picture's own pixels (the shown copy may be scaled: data-width/height are the original's). */
(function () {
  "use strict";
  var stage = document.getElementById("trace-stage");
  var img = document.getElementById("trace-picture");
  var box = document.getElementById("trace-box");
  var field = document.getElementById("region");
  if (!stage || !img || !box || !field) return;
  var start = null;

  function point(event) {
    var r = img.getBoundingClientRect();
    return {x: Math.min(Math.max(event.clientX - r.left, 0), r.width),
            y: Math.min(Math.max(event.clientY - r.top, 0), r.height), w: r.width, h: r.height};
  }

  function draw(a, b) {
    var x = Math.min(a.x, b.x), y = Math.min(a.y, b.y);
    var w = Math.abs(a.x - b.x), h = Math.abs(a.y - b.y);
    box.hidden = false;
    box.style.left = (img.offsetLeft + x) + "px";
    box.style.top = (img.offsetTop + y) + "px";
    box.style.width = w + "px";
    box.style.height = h + "px";
    var sx = (parseInt(stage.getAttribute("data-width"), 10) || img.naturalWidth) / a.w;
    var sy = (parseInt(stage.getAttribute("data-height"), 10) || img.naturalHeight) / a.h;
    field.value = [Math.round(x * sx), Math.round(y * sy), Math.max(1, Math.round(w * sx)),
                   Math.max(1, Math.round(h * sy))].join(",");
  }

  img.addEventListener("mousedown", function (event) {
    event.preventDefault();
    start = point(event);
  });
  document.addEventListener("mousemove", function (event) {
    if (start) draw(start, point(event));
  });
  document.addEventListener("mouseup", function (event) {
    if (!start) return;
    draw(start, point(event));
    start = null;
  });
})();
