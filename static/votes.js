// Mark and unmark without reloading the page; without JavaScript the forms still work.
document.addEventListener("submit", async (e) => {
  const form = e.target;
  if (!form.classList.contains("vote")) return;
  e.preventDefault();
  const button = form.querySelector("button");
  const want = form.querySelector("input[name=want]");
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST", body: new FormData(form), headers: { "Accept": "application/json" },
      credentials: "same-origin",
    });
    const data = await response.json();
    if (data.ok) {
      button.textContent = data.voted ? button.dataset.on : button.dataset.off;
      button.setAttribute("aria-pressed", data.voted ? "true" : "false");
      button.classList.toggle("voted", data.voted);
      button.classList.toggle("secondary", !data.voted);
      want.value = data.voted ? "0" : "1";
    } else {
      alert(data.message);
    }
  } catch (err) {
    form.submit();  // fall back to the plain form
  } finally {
    button.disabled = false;
  }
});
