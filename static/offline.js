// Offline help, on every page: registers the service worker (static/sw.js), shows "Offline: as of …"
// on a kept copy, keeps votes and agenda choices made without a network and sends them once it is
// back, and forgets everything on logout. The words come from the page (#offline); without
// JavaScript, or without a service worker, every page and form works as before.
"use strict";

(() => {
  const QUEUE = "agenda-queue";
  const SENT = "agenda-sent";
  const VIEWER = "agenda-viewer";
  const line = document.getElementById("offline");
  const script = document.currentScript;

  function say(text) {
    if (!line) return;
    line.textContent = text;
    line.hidden = false;
  }

  function asOf(iso) {
    const lang = document.documentElement.lang || "en";
    const options = { weekday: "long", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    try {
      return new Intl.DateTimeFormat(lang, { ...options, timeZone: line.dataset.tz }).format(new Date(iso));
    } catch (err) {
      return new Intl.DateTimeFormat(lang, options).format(new Date(iso));
    }
  }

  function load() {
    try {
      return JSON.parse(localStorage.getItem(QUEUE) || "[]");
    } catch (err) {
      return [];
    }
  }

  function store(queue) {
    if (queue.length) localStorage.setItem(QUEUE, JSON.stringify(queue));
    else localStorage.removeItem(QUEUE);
  }

  function newKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function mark(form, text) {
    let note = form.querySelector(".pending");
    if (!note) {
      note = document.createElement("small");
      note.className = "pending hint";
      note.setAttribute("role", "status");
      form.append(" ", note);
    }
    note.textContent = text;
  }

  // Where an item's outcome shows: its form, or on the proposals list (one form for all) the
  // list item of the button that sends to the item's address.
  function formsFor(item) {
    const forms = Array.from(document.querySelectorAll("form")).filter((f) => f.action === item.url && (
      !item.proposal || f.querySelector(`input[name=proposal][value="${item.proposal}"]`)));
    const buttons = Array.from(document.querySelectorAll("button[formaction]"))
      .filter((b) => b.formAction === item.url).map((b) => b.closest("li") || b.parentElement);
    return forms.concat(buttons);
  }

  // Called by votes.js (and below for agenda choices) when a form could not reach the server;
  // `button`: the list's button that sent it, to its own address with its own fields.
  function enqueue(form, button) {
    const fields = Array.from(new FormData(form)).filter(([name]) => name !== "csrf_token");
    const own = button && button.getAttribute("formaction");
    if (own && button.name) fields.push([button.name, button.value]);
    const url = own ? button.formAction : form.action;
    const proposal = (form.querySelector("input[name=proposal]") || {}).value || "";
    const queue = load().filter((item) => !(item.url === url && item.proposal === proposal));
    queue.push({ url, fields, proposal, key: newKey(), tries: 0 });
    store(queue);
    if (line) mark(own ? button.closest("li") || button.parentElement : form, line.dataset.waiting);
  }

  function token() {
    const input = document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  function applyVote(holder, voted) {
    const button = holder.querySelector("button");
    const want = holder.querySelector("input[name=want]") || (button && button.name === "want" ? button : null);
    if (!button || !want) return;
    const texts = button.dataset.on ? button.dataset : (button.form || holder).dataset;
    button.textContent = voted ? texts.on : texts.off;
    button.setAttribute("aria-pressed", voted ? "true" : "false");
    button.classList.toggle("voted", voted);
    button.classList.toggle("secondary", !voted);
    want.value = voted ? "0" : "1";
  }

  let sending = false;
  async function replay() {
    if (sending || !line || !load().length || !token()) return;
    sending = true;
    let reload = false;
    try {
      for (const item of load()) {
        const body = new FormData();
        for (const [name, value] of item.fields) body.append(name, value);
        body.append("csrf_token", token());
        body.append("idempotency_key", item.key);
        let response;
        try {
          response = await fetch(item.url, { method: "POST", body, credentials: "same-origin",
                                             headers: { Accept: "application/json" } });
        } catch (err) {
          return;  // still no network: try again later
        }
        let data = null;
        try {
          data = await response.json();
        } catch (err) {
          data = null;
        }
        const rest = load().filter((other) => other.key !== item.key);
        if (!data && response.status === 400 && item.tries < 2) {
          rest.push({ ...item, tries: item.tries + 1 });  // an expired form: the next page brings a new one
        }
        store(rest);
        for (const form of formsFor(item)) {
          if (data && "voted" in data) applyVote(form, data.voted);
          // No answer the page understands (the session or the proposal is gone): no word of success.
          mark(form, data ? (data.ok ? line.dataset.sent : data.message) : "");
        }
        if (data && data.ok && "chosen" in data) reload = true;
        else if (data && !data.ok) say(data.message);
      }
    } finally {
      sending = false;
    }
    if (reload && !load().length) {
      // The agenda as the server now has it (its rules decide a clash), with the word that it was sent.
      sessionStorage.setItem(SENT, "1");
      if (location.pathname.endsWith("/me/agenda")) location.reload();
    }
  }

  async function forget() {
    localStorage.removeItem(QUEUE);
    if (window.caches) for (const name of await caches.keys()) await caches.delete(name);
  }

  // A page fresh from the server made for someone else than the kept copies (a session that
  // ended without "Log out"): those copies, and what waited to be sent, go.
  const viewer = line && !line.dataset.asOf ? line.dataset.viewer : null;
  const forgotten = viewer !== null && viewer !== undefined && localStorage.getItem(VIEWER) !== viewer
    ? forget().then(() => localStorage.setItem(VIEWER, viewer)) : Promise.resolve();

  if (line && line.dataset.asOf) {
    say(line.dataset.text.replace("{when}", asOf(line.dataset.asOf)));
  } else if (line && sessionStorage.getItem(SENT)) {
    sessionStorage.removeItem(SENT);
    say(line.dataset.sent);
  }
  if (line) {
    for (const item of load()) for (const form of formsFor(item)) mark(form, line.dataset.waiting);
  }

  document.addEventListener("submit", async (e) => {
    const form = e.target;
    const action = form.getAttribute("action") || "";
    if (action.endsWith("/logout")) {
      // Nothing of this person stays on the device: the kept pages and the waiting actions go.
      e.preventDefault();
      try {
        await forget();
      } finally {
        form.submit();
      }
    } else if (action.endsWith("/me/agenda/choose") && !navigator.onLine && line) {
      e.preventDefault();
      enqueue(form);
    }
  });

  window.addEventListener("online", replay);
  window.agendaOffline = { enqueue };

  if ("serviceWorker" in navigator && script && script.dataset.sw) {
    forgotten.then(() => navigator.serviceWorker.register(script.dataset.sw)).then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        if (line && !line.dataset.asOf && navigator.onLine && registration.active) {
          registration.active.postMessage({ type: "warm", urls: line.dataset.keep.split(" ").filter(Boolean) });
        }
      }).catch(() => {});
  }
  if (navigator.onLine) forgotten.then(replay);
})();
