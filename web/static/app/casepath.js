// Start GOV.UK Frontend's components (conditional reveals, error summary focus, skip link).
import { initAll } from "../vendor/govuk/govuk-frontend.min.js";

initAll();
