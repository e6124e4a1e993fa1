// A form marked data-submit-once is sent once: a second click on its button while the first answer is on its
// way (which made a second API key or staff user) is ignored, and the button says it is busy. Only a
// browser-side guard: without script, or from any other client, each POST still acts (docs/console.md).
// Served from our own origin, so the pages' Content-Security-Policy (script-src 'self') stays as it is.
(() => {
  for (const form of document.querySelectorAll("form[data-submit-once]")) {
    let sent = false;
    form.addEventListener("submit", (event) => {
      if (sent) {
        event.preventDefault();
        return;
      }
      sent = true;
      for (const button of form.querySelectorAll("button[type=submit]"))
        button.setAttribute("aria-disabled", "true");
    });
    // Back to a page kept in the browser's cache: the form may be sent again, on purpose.
    window.addEventListener("pageshow", (event) => {
      if (!event.persisted) return;
      sent = false;
      for (const button of form.querySelectorAll("button[type=submit]"))
        button.removeAttribute("aria-disabled");
    });
  }
})();
