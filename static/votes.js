// Mark and unmark without reloading the page; without JavaScript the forms still work.
// A proposal's page has a form per button; the list one form (one CSRF token) whose buttons
// each send to their proposal (formaction) with their own `want`.
// Without a network the choice is kept and sent when it is back (static/offline.js).
document.addEventListener("submit", async (e) => {
  const form = e.target;
  if (!form.classList.contains("vote")) return;
  const button = e.submitter && e.submitter.form === form ? e.submitter : form.querySelector("button");
  const want = form.querySelector("input[name=want]");
  if (!button || (!want && !button.getAttribute("formaction"))) return;  // an old browser: the plain form
  e.preventDefault();
  const url = button.getAttribute("formaction") ? button.formAction : form.action;
  const body = new FormData(form);
  if (!want) body.set("want", button.value);
  const show = (voted) => {
    button.textContent = voted ? (button.dataset.on || form.dataset.on) : (button.dataset.off || form.dataset.off);
    button.setAttribute("aria-pressed", voted ? "true" : "false");
    button.classList.toggle("voted", voted);
    button.classList.toggle("secondary", !voted);
    if (want) want.value = voted ? "0" : "1";
    else button.value = voted ? "0" : "1";
  };
  const asked = body.get("want") === "1";
  const plain = () => {  // the plain form, as without JavaScript (form.submit() fires no submit event)
    if (!want) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "want";
      input.value = body.get("want");
      form.append(input);
      form.action = url;
    }
    form.submit();
  };
  button.disabled = true;
  let response;
  try {
    response = await fetch(url, {
      method: "POST", body, headers: { "Accept": "application/json" }, credentials: "same-origin",
    });
  } catch (err) {
    // No network: keep the vote to send later, and show it as it will be.
    if (window.agendaOffline) {
      window.agendaOffline.enqueue(form, button);
      show(asked);
    } else {
      plain();
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
    plain();
  } finally {
    button.disabled = false;
  }
});
