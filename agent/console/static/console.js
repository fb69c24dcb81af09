// Every few seconds, fetch the console again and swap in its live parts ([data-live]); a part
// holding the focus (someone typing in it) is left alone, and so are the forms outside them.
// The next fetch is only planned once the last one is done, so a slow page never piles up.
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
function plan() {
  setTimeout(() => refresh().catch(() => {}).finally(plan), every * 1000);
}
if (every > 0) plan();
