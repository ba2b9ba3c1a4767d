// GOV.UK Frontend styles components differently once JavaScript runs (kept out of the page: CSP).
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
