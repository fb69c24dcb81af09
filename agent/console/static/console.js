// Every few seconds, fetch the console again and swap in its live parts ([data-live]); a part
// holding the focus (someone typing in it) is left alone, and so are the forms outside them.
const every = Number(document.body.dataset.refresh || 0);
async function refresh() {
  const answer = await fetch("/console", { credentials: "same-origin" });
  if (!answer.ok) return;
  const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
  for (const part of document.querySelectorAll("[data-live]")) {
    const next = fresh.getElementById(part.id);
    if (next && !part.contains(document.activeElement)) part.replaceWith(next);
  }
}
if (every > 0) setInterval(() => refresh().catch(() => {}), every * 1000);
