// Live progress of a solve run; without JavaScript the page refreshes itself instead.
(function () {
  const box = document.getElementById("run");
  if (!box) return;
  const text = (id, value) => { const el = document.getElementById(id); if (el) el.textContent = value; };
  async function tick() {
    try {
      const response = await fetch(box.dataset.url, { headers: { "Accept": "application/json" }, credentials: "same-origin" });
      const s = await response.json();
      text("run-status", s.label);
      text("run-message", s.message || "");
      text("run-elapsed", Math.round(s.elapsed));
      if (s.objective !== null) text("run-objective", s.objective);
      if (s.bound !== null) text("run-bound", s.bound);
      document.getElementById("run-bar").value = s.percent;
      const waiting = document.getElementById("run-waiting");
      if (waiting && s.status !== "queued") waiting.hidden = true;
      if ((s.status === "queued" || s.status === "running") && !s.stalled) {
        setTimeout(tick, 1000);
      } else {
        window.location.reload();
      }
    } catch (err) {
      setTimeout(tick, 3000);
    }
  }
  setTimeout(tick, 1000);
})();
