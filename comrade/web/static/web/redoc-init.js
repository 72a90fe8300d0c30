// Starts Redoc on /api/redoc/ without an inline script. The style elements Redoc inserts carry the
// page's CSP nonce, the only inline styles the policy of that page allows. Search is off: it runs
// in a worker made from a blob: URL, which the policy does not allow.
const container = document.getElementById("redoc-container");
Redoc.init(container.dataset.specUrl, { nonce: container.dataset.nonce, disableSearch: true }, container);
