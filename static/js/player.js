// Music that keeps playing while the listener browses. While the dock plays, links are
// followed by htmx (data-hx-boost on the body): only #page is replaced and the address and
// history follow, so the player dock outside it, and what it plays, stay. Otherwise, and
// for every form (their errors, uploads and downloads), the browser navigates as without
// JavaScript, where each track plays in its own <audio controls>.
(function () {
  "use strict";
  var dock = document.getElementById("player-dock");
  var dockAudio = document.getElementById("player-dock-audio");
  var dockTitle = document.getElementById("player-dock-title");
  if (!dock || !dockAudio || !window.htmx) return;

  // Only links are boosted: a form gets data-hx-boost="false" before htmx looks at it.
  document.addEventListener("htmx:beforeProcessNode", function (event) {
    var node = event.target;
    if (node.tagName === "FORM" && !node.hasAttribute("data-hx-boost")) {
      node.setAttribute("data-hx-boost", "false");
    }
  });

  // With nothing playing there is nothing to keep: an ordinary page load.
  document.addEventListener("htmx:confirm", function (event) {
    var link = event.detail.elt;
    if (link.tagName !== "A" || link.hasAttribute("data-hx-get")) return;
    if (!dock.hidden && !dockAudio.paused) return;
    event.preventDefault();
    window.location.assign(link.href);
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (!detail.boosted) return;
    var xhr = detail.xhr;
    var disposition = xhr.getResponseHeader("Content-Disposition") || "";
    var isPage = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/html") === 0;
    // A file, or a page not built on ours (the admin): the browser goes there itself.
    if (/^attachment/i.test(disposition) || !isPage || xhr.responseText.indexOf('id="page"') < 0) {
      detail.shouldSwap = false;
      window.location.assign(xhr.responseURL);
      return;
    }
    // An error page (404, 403) is still the page to show.
    detail.shouldSwap = true;
    detail.isError = false;
    detail.target = document.getElementById("page");
    detail.selectOverride = "#page";
    detail.swapOverride = "outerHTML";
  });

  // A track started on a page moves to the dock, which outlives the page.
  document.addEventListener(
    "play",
    function (event) {
      var audio = event.target;
      if (!(audio instanceof HTMLAudioElement) || audio === dockAudio) return;
      if (!audio.closest("#page")) return;
      var startAt = audio.currentTime;
      audio.pause();
      if (dockAudio.getAttribute("src") !== audio.getAttribute("src")) {
        dockAudio.src = audio.getAttribute("src");
        dockAudio.currentTime = startAt;
      }
      dockTitle.textContent = audio.getAttribute("aria-label").replace(/^Play /, "");
      dock.hidden = false;
      dockAudio.play();
    },
    true,
  );
})();
