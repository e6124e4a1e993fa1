// Live progress for a page that follows long work (a billing run): every few seconds it fetches the page
// again and swaps in the part marked [data-follow]; when the fresh page no longer has that part (the work has
// ended) it swaps in the whole main content and stops. A "Pause updates" button lets a person read at their
// own pace (WCAG 2.2.1). Without script the page still works: its "Reload" link does the same by hand.
// Served from our own origin, so the pages' Content-Security-Policy (script-src 'self') stays as it is.
(() => {
  const live = document.querySelector("[data-follow]");
  if (!live) return;
  const seconds = Math.max(2, Number(live.getAttribute("data-follow")) || 3);
  let paused = false;
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "secondary";
  toggle.textContent = "Pause updates";
  toggle.addEventListener("click", () => {
    paused = !paused;
    toggle.textContent = paused ? "Resume updates" : "Pause updates";
  });
  live.after(toggle);
  const tick = async () => {
    if (!paused) {
      const response = await fetch(location.href, { credentials: "same-origin" });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      const part = fresh.querySelector("[data-follow]");
      if (!part) {
        const main = document.querySelector("main");
        const freshMain = fresh.querySelector("main");
        if (main && freshMain) main.innerHTML = freshMain.innerHTML;
        return;
      }
      live.innerHTML = part.innerHTML;
    }
    setTimeout(() => void tick().catch(() => undefined), seconds * 1000);
  };
  setTimeout(() => void tick().catch(() => undefined), seconds * 1000);
})();
