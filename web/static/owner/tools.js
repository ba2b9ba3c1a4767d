// The process owner's tools: after htmx swaps in a form preview, start its GOV.UK components (conditional reveals).
import { initAll } from "../vendor/govuk/govuk-frontend.min.js";

document.body.addEventListener("htmx:afterSwap", function (event) {
  initAll({ scope: event.detail.target });
});
