// The operations view refreshes itself without reloading the page (ADR 0042): every few
// seconds it asks the server for the live part again, as HTML drawn by the same template,
// and puts it in place. Served as a file of our own: the pages' Content-Security-Policy
// allows no inline script.
(() => {
  "use strict";
  const live = document.querySelector("[data-live]");
  if (!live) return;
  const every = Math.max(Number(live.dataset.every || "5"), 1) * 1000;
  let timer = null;

  async function refresh() {
    timer = null;
    try {
      const response = await fetch(live.dataset.live, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "text/html" },
      });
      if (response.redirected || response.status === 401 || response.status === 403) {
        // The session ended: the whole page goes to the sign-in form.
        window.location.reload();
        return;
      }
      if (response.ok) {
        live.innerHTML = await response.text();
        live.dataset.refreshes = String(Number(live.dataset.refreshes || "0") + 1);
      }
    } catch (error) {
      // The server is out of reach for a moment: the figures stay, the next try may work.
    }
    schedule();
  }

  function schedule() {
    timer = window.setTimeout(refresh, document.hidden ? every * 6 : every);
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && timer !== null) {
      window.clearTimeout(timer);
      refresh();
    }
  });
  schedule();
})();
