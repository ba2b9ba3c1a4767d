// Background exports: ask every few seconds how far each running export has got, say so in its status
// text, and reload the page once one has finished (to offer the download). Without JavaScript the page
// refreshes itself instead (a <noscript> meta refresh).
(function () {
  "use strict";
  var watched = Array.prototype.slice.call(document.querySelectorAll("[data-job-status-url]"));
  if (!watched.length || !window.fetch) return;
  var EVERY = 3000;

  function describe(job) {
    if (job.status === "queued") return "Waiting to start";
    if (job.total === null) return "Running";
    return "Running: " + job.done + " of " + job.total + " done" + (job.percent === null ? "" : " (" + job.percent + "%)");
  }

  function poll() {
    Promise.all(watched.map(function (element) {
      return fetch(element.getAttribute("data-job-status-url"), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { status: "gone" }; })
        .then(function (job) {
          if (job.status === "queued" || job.status === "running") {
            var text = element.querySelector("[data-job-progress]");
            if (text && text.textContent !== describe(job)) text.textContent = describe(job);
            return false;
          }
          return true;
        });
    })).then(function (finished) {
      if (finished.some(Boolean)) window.location.reload();
      else window.setTimeout(poll, EVERY);
    }).catch(function () { window.setTimeout(poll, EVERY * 3); });
  }

  window.setTimeout(poll, EVERY);
})();
