// Behaviour for the pages, kept out of inline scripts so the Content-Security-Policy needs no
// 'unsafe-inline' or 'unsafe-eval' (htmx runs with allowEval off).
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
});

// groups: after a boosted form comes back with errors (no DOMContentLoaded then), focus the summary.
document.addEventListener("htmx:afterSettle", () => {
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
});
