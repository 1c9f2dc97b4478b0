/* Idle warning. <body data-idle-timeout="seconds" data-idle-warning="seconds"> is set for a
 * signed-in user; the server signs the user out after that many seconds without a request
 * (khuyencong/middleware.py IdleTimeoutMiddleware). A little before, #idle-warning shows;
 * "Tiếp tục làm việc" makes a request (data-idle-keepalive) and the clock starts again. htmx
 * requests count as activity, except the bell's polling (data-idle-poll), as on the server. */
(function () {
  "use strict";
  var body = document.body;
  var timeout = parseInt(body.getAttribute("data-idle-timeout") || "0", 10);
  if (!timeout) return;
  var warnBefore = parseInt(body.getAttribute("data-idle-warning") || "120", 10);
  var keepalive = body.getAttribute("data-idle-keepalive");
  var poll = body.getAttribute("data-idle-poll");
  var box = document.getElementById("idle-warning");
  var warnTimer = null, endTimer = null;

  function start() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    if (box) box.classList.add("d-none");
    warnTimer = setTimeout(function () { if (box) box.classList.remove("d-none"); },
                           Math.max(0, timeout - warnBefore) * 1000);
    // Past the limit the server has ended the session: reloading shows the sign-in page.
    endTimer = setTimeout(function () { window.location.reload(); }, (timeout + 5) * 1000);
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-idle-continue]")) return;
    fetch(keepalive, { credentials: "same-origin" }).then(function (response) {
      if (response.ok) start(); else window.location.reload();
    });
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var path = event.detail && event.detail.pathInfo && event.detail.pathInfo.requestPath;
    if (path && poll && path.indexOf(poll) === 0) return;
    start();
  });
  start();
})();
