// Progressive enhancements of the server's pages; every page works without them.

// Times: the server writes them in the viewer's zone (their profile's, else UTC); the reader
// sees the same zone, or their browser's own while they have none, named on hover.
const TIME_STYLES = {
  date: { dateStyle: "medium" },
  datetime: { dateStyle: "medium", timeStyle: "short" },
  clock: { timeStyle: "short" },
};

function localiseTimes(root) {
  const chosen = document.body.dataset.timeZone || undefined;
  const zone = chosen || Intl.DateTimeFormat().resolvedOptions().timeZone;
  const full = new Intl.DateTimeFormat(undefined, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: chosen,
  });
  for (const time of root.querySelectorAll("time[data-style]")) {
    const moment = new Date(time.getAttribute("datetime"));
    if (Number.isNaN(moment.getTime())) continue;
    const style = TIME_STYLES[time.dataset.style];
    if (style) {
      time.textContent = new Intl.DateTimeFormat(undefined, { ...style, timeZone: chosen }).format(
        moment,
      );
    }
    time.title = `${full.format(moment)} (${zone})`;
  }
}

// A signed-in viewer without a time zone: the browser's is sent once, so that the next
// pages (and emails' times) are written in it by the server. Settings can change it.
function sendTimeZone() {
  const url = document.body.dataset.timeZoneGuess;
  if (!url) return;
  const headers = JSON.parse(document.body.dataset.hxHeaders || "{}");
  fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers,
    body: new URLSearchParams({ time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone }),
  });
}

// Share links: a copy button next to the address, for browsers with a clipboard.
function addCopyButtons(root) {
  if (!navigator.clipboard) return;
  for (const field of root.querySelectorAll("input[data-copy]")) {
    if (field.nextElementSibling?.matches("button[data-copy-button]")) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button secondary";
    button.dataset.copyButton = "";
    button.textContent = "Copy link";
    button.addEventListener("click", async () => {
      await navigator.clipboard.writeText(field.value);
      button.textContent = "Copied";
    });
    field.after(button);
  }
}

function enhance(root) {
  localiseTimes(root);
  addCopyButtons(root);
}

document.addEventListener("DOMContentLoaded", () => {
  enhance(document);
  sendTimeZone();
});
document.addEventListener("htmx:load", (event) => enhance(event.detail.elt));

// @mention suggestions (communities/_mention_suggestions.html): a click completes the @word
// being typed in the form's text; without this, members type the whole @username.
document.addEventListener("click", (event) => {
  const choice = event.target.closest("button[data-mention]");
  if (!choice) return;
  const text = choice.closest("form")?.querySelector("textarea[name=content]");
  if (!text) return;
  text.value = text.value.replace(/@[\w.+-]*$/, `@${choice.dataset.mention} `);
  choice.closest(".mention-suggestions")?.remove();
  text.focus();
});
