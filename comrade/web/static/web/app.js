// Behaviour for the pages, kept out of inline scripts so the Content-Security-Policy needs no
// 'unsafe-inline' or 'unsafe-eval' (htmx runs with allowEval off).
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
});

// Wallet: show the M-Pesa phone number field only while M-Pesa is the chosen method (without
// JavaScript the field stays visible, marked "Only for M-Pesa").
function walletMethodFields(root) {
  const form = root.querySelector(".external-form");
  if (!form || form.dataset.walletBound) return;
  form.dataset.walletBound = "true";
  const sync = () => {
    const chosen = form.querySelector('input[name="provider"]:checked');
    form.querySelectorAll("[data-only-for]").forEach((field) => {
      field.hidden = !chosen || chosen.value !== field.dataset.onlyFor;
    });
  };
  form.addEventListener("change", sync);
  sync();
}
document.addEventListener("DOMContentLoaded", () => walletMethodFields(document));
document.addEventListener("htmx:afterSettle", () => walletMethodFields(document));
// Wallet: after htmx swaps in a form with errors (boosted submit), move focus to the summary.
document.addEventListener("htmx:afterSettle", (event) => {
  const summary = event.detail.elt.querySelector && event.detail.elt.querySelector(".error-summary");
  if (summary) summary.focus();
});
