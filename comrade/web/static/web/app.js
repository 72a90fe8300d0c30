// Behaviour for the pages, kept out of inline scripts so the Content-Security-Policy needs no
// 'unsafe-inline' or 'unsafe-eval' (htmx runs with allowEval off).
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
});

// auth: a CSRF failure on an htmx request answers 403 with a message aimed at the status region
// (HX-Retarget); htmx does not swap 4xx answers unless told to, so let this one through.
document.addEventListener("htmx:beforeSwap", (event) => {
  const xhr = event.detail.xhr;
  if (xhr.status === 403 && xhr.getResponseHeader("HX-Retarget") === "#status") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// After htmx swaps in a page with errors, focus the error summary as a full page load does.
document.addEventListener("htmx:afterSettle", () => {
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
});
