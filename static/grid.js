// The draft's grid as a working surface: drag a session to another cell (or onto a session to swap);
// while hovering, the cell shows the change in votes people can attend; dropping opens the preview,
// which asks to confirm. Without JavaScript the "Pick" links and "Move here" buttons do the same.
(function () {
  const grid = document.querySelector(".working-grid");
  if (!grid) return;
  const token = document.querySelector("input[name=csrf_token]");
  const words = grid.dataset.wordsChange || "%(change)s";
  const refused = grid.dataset.wordsRefused || "";
  let dragged = null;  // {from: slot id, places: [...] or null while loading}
  const cache = {};

  function load(url) {
    if (!cache[url]) {
      cache[url] = fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then((r) => r.json()).then((data) => data.places);
    }
    return cache[url];
  }

  function placeFor(target) {
    if (!dragged || !dragged.places) return null;
    const cell = target.closest("td[data-slot]");
    if (!cell) return null;
    const slot = Number(cell.dataset.slot), room = Number(cell.dataset.room);
    const onto = target.closest(".grid-session");
    const other = onto ? Number(onto.dataset.proposal) : null;
    const here = dragged.places.filter((p) => p.slot === slot && p.room === room &&
      (p.from_slot === null || p.from_slot === dragged.from));
    return here.find((p) => other !== null && p.swap_with === other) ||
      here.find((p) => p.swap_with === null) || here[0] || null;
  }

  function signed(n) { return n > 0 ? "+" + n : n < 0 ? "\u2212" + (-n) : "0"; }

  function show(cell, place) {
    let badge = cell.querySelector(".drop-delta");
    if (!badge) {
      badge = document.createElement("small");
      badge.className = "drop-delta";
      badge.setAttribute("role", "status");
      cell.appendChild(badge);
    }
    badge.textContent = !place ? "" : place.valid ? words.replace("%(change)s", signed(place.delta.attendable)) : refused;
    badge.classList.toggle("refused", !!place && !place.valid);
  }

  function clear() {
    grid.querySelectorAll(".drop-delta").forEach((b) => b.remove());
    grid.querySelectorAll(".drop-over").forEach((c) => c.classList.remove("drop-over"));
  }

  function open(place) {
    // The preview page of the hand edit: nothing changes before the facilitator confirms there.
    const form = document.createElement("form");
    form.method = "post";
    form.action = place.apply.url;
    const fields = Object.assign({}, place.apply.fields, { preview: "1" });
    if (token) fields.csrf_token = token.value;
    Object.keys(fields).forEach((name) => {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  grid.querySelectorAll(".grid-session[data-places]").forEach((el) => {
    el.draggable = true;
    el.classList.add("draggable");
    el.addEventListener("dragstart", (event) => {
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", el.dataset.proposal);
      const mine = { from: Number(el.dataset.fromSlot), places: null, loading: load(el.dataset.places) };
      dragged = mine;
      mine.loading.then((places) => { mine.places = places; });
    });
    el.addEventListener("dragend", () => { clear(); });
  });

  grid.addEventListener("dragover", (event) => {
    const cell = event.target.closest("td[data-slot]");
    if (!dragged || !cell) return;
    event.preventDefault();
    grid.querySelectorAll(".drop-over").forEach((c) => { if (c !== cell) { c.classList.remove("drop-over"); show(c, null); } });
    cell.classList.add("drop-over");
    show(cell, placeFor(event.target));
  });

  grid.addEventListener("drop", (event) => {
    const mine = dragged;
    if (!mine || !event.target.closest("td[data-slot]")) return;
    event.preventDefault();
    const target = event.target;
    // The places may still be on their way: open the preview once they are here.
    mine.loading.then((places) => {
      mine.places = places;
      dragged = mine;
      const place = placeFor(target);
      clear();
      dragged = null;
      if (place) open(place);
    });
  });
})();
