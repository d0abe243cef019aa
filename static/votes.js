// Mark and unmark without reloading the page; without JavaScript the forms still work.
// Without a network the choice is kept and sent when it is back (static/offline.js).
document.addEventListener("submit", async (e) => {
  const form = e.target;
  if (!form.classList.contains("vote")) return;
  e.preventDefault();
  const button = form.querySelector("button");
  const want = form.querySelector("input[name=want]");
  const show = (voted) => {
    button.textContent = voted ? button.dataset.on : button.dataset.off;
    button.setAttribute("aria-pressed", voted ? "true" : "false");
    button.classList.toggle("voted", voted);
    button.classList.toggle("secondary", !voted);
    want.value = voted ? "0" : "1";
  };
  button.disabled = true;
  let response;
  try {
    response = await fetch(form.action, {
      method: "POST", body: new FormData(form), headers: { "Accept": "application/json" },
      credentials: "same-origin",
    });
  } catch (err) {
    // No network: keep the vote to send later, and show it as it will be.
    if (window.agendaOffline) {
      window.agendaOffline.enqueue(form);
      show(want.value === "1");
    } else {
      form.submit();
    }
    button.disabled = false;
    return;
  }
  try {
    const data = await response.json();
    if (data.ok) {
      show(data.voted);
    } else {
      alert(data.message);
    }
  } catch (err) {
    form.submit();  // fall back to the plain form
  } finally {
    button.disabled = false;
  }
});
