// A page drawn as a form's answer (the form refused beside its fields, or a conflict above it) is, in the
// browser's history, that POST: Back to it once the form went through, or a reload, would send the form again,
// which Chromium will not do on Back (net::ERR_CACHE_MISS, "Confirm Form Resubmission"). Its history entry is
// renamed to the page the form is on (main's data-form-page), which Back and reload then open with a GET,
// sending nothing (docs/console.md, "Back after a form"). Served from our own origin (script-src 'self').
(() => {
  const page = document.querySelector("main[data-form-page]")?.getAttribute("data-form-page");
  if (page?.startsWith("/")) history.replaceState(history.state, "", page);
})();
