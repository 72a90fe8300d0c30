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
