// Folding and keyboard navigation for tracefix reports. No network, no libraries: the page must work from file://.
// Without JavaScript every fold stays open (the CSS only hides closed folds under html.js).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function folds() { return Array.prototype.slice.call(document.querySelectorAll(".nav")); }
  function head(fold) { return fold.querySelector(":scope > .fold-head"); }

  function setOpen(fold, open) {
    fold.classList.toggle("open", open);
    var button = head(fold);
    if (button) { button.setAttribute("aria-expanded", open ? "true" : "false"); }
  }

  function visible(fold) {
    for (var node = fold.parentElement; node; node = node.parentElement) {
      if (node.classList && node.classList.contains("fold") && !node.classList.contains("open")) { return false; }
    }
    return true;
  }

  function current() {
    var active = document.activeElement;
    return active && active.closest ? active.closest(".nav") : null;
  }

  function focusFold(fold) {
    folds().forEach(function (f) { f.classList.toggle("current", f === fold); });
    var button = head(fold);
    if (button) { button.focus({ preventScroll: true }); }
    fold.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = folds().filter(visible);
    if (!all.length) { return; }
    var index = all.indexOf(current());
    var next = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, index + step));
    focusFold(all[next]);
  }

  function reveal(target) {
    for (var node = target; node; node = node.parentElement) {
      if (node.classList && node.classList.contains("fold")) { setOpen(node, true); }
    }
    if (target.classList.contains("nav")) { focusFold(target); return; }
    target.scrollIntoView({ block: "center" });
    target.classList.remove("flash");
    void target.offsetWidth;  // restart the animation when the same line is chosen twice
    target.classList.add("flash");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".fold-head");
    if (button) {
      var fold = button.parentElement;
      setOpen(fold, !fold.classList.contains("open"));
      folds().forEach(function (f) { f.classList.toggle("current", f === fold); });
      return;
    }
    var link = event.target.closest("a[data-open]");
    if (link) {
      var target = document.getElementById(link.getAttribute("data-open"));
      if (target) { event.preventDefault(); reveal(target); history.replaceState(null, "", "#" + target.id); }
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") { return; }
    var onHead = event.target.classList && event.target.classList.contains("fold-head");
    var key = event.key;
    if (key === "j" || (onHead && key === "ArrowDown")) { move(1); }
    else if (key === "k" || (onHead && key === "ArrowUp")) { move(-1); }
    else if (key === "e") { folds().forEach(function (f) { setOpen(f, true); }); }
    else if (key === "c") { folds().forEach(function (f) { setOpen(f, false); }); }
    else if (key === "?") { var help = document.getElementById("help"); if (help) { help.hidden = !help.hidden; } }
    else if (key === "Escape") { var h = document.getElementById("help"); if (h) { h.hidden = true; } }
    else { return; }
    event.preventDefault();
  });

  window.addEventListener("beforeprint", function () { folds().forEach(function (f) { setOpen(f, true); }); });

  folds().forEach(function (f) { setOpen(f, f.classList.contains("open")); });
  if (location.hash) {
    var target = document.getElementById(location.hash.slice(1));
    if (target) { reveal(target); }
  }
})();
