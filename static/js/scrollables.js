/* A table or list that scrolls sideways (a wide report on a phone) or within a fixed height
 * (a facility's change history) must be reachable by keyboard, or its hidden part cannot be
 * read without a mouse. Such a box that actually overflows becomes a Tab stop (its arrow keys
 * scroll it); one that fits stays out of the Tab order. No role is added: the table or list
 * inside keeps its own, and its section's heading already names it.
 * Checked again when the window is resized and when htmx swaps content in. */
(function () {
  "use strict";

  var SELECTOR = ".table-responsive, .history-scroll";

  function mark(box) {
    var overflows = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
    if (overflows) {
      box.tabIndex = 0;
    } else {
      box.removeAttribute("tabindex");
    }
  }

  function markAll(root) {
    (root || document).querySelectorAll(SELECTOR).forEach(mark);
  }

  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(markAll, 150);
  });
  document.addEventListener("DOMContentLoaded", function () { markAll(); });
  document.addEventListener("htmx:load", function (event) { markAll(event.target.parentNode || document); });
  document.addEventListener("shown.bs.collapse", function () { markAll(); });
})();
