// A live chat's messages as server-sent events (live/, served beside the pages under
// /live/). The page works without this: htmx polls #live-poller every 2 s. Once the stream
// is open the poller is taken out; if the stream is refused or blocked for good (no ASGI
// server, a proxy that buffers), the poller is put back, from the last message shown.
// The page's state (#event-state) is swapped by htmx when the event goes live: the stream
// starts then, and its "end" has the state re-read at once instead of at the next poll.
(function () {
  "use strict";
  var started = null;

  function start() {
    var log = document.getElementById("live-log");
    var url = log && log.dataset.liveStream;
    if (!url || !window.EventSource || started === log) return;
    started = log;
    var poller = null;

    function lastSeq() {
      var last = log.lastElementChild;
      return last ? Number(last.id.replace("live-", "")) || 0 : 0;
    }

    // After the last message on the page; a reconnect resumes from Last-Event-ID by itself.
    var source = new EventSource(url + "?after=" + lastSeq());
    source.addEventListener("open", function () {
      var current = document.getElementById("live-poller");
      if (current) {
        poller = current;
        current.remove();
      }
    });
    source.addEventListener("message", function (event) {
      // A poll may have shown it already, just before the stream opened.
      if (Number(event.lastEventId) > lastSeq()) log.insertAdjacentHTML("beforeend", event.data);
    });
    source.addEventListener("end", function () {
      source.close();
      var state = document.getElementById("event-state");
      if (state && window.htmx) window.htmx.trigger(state, "event-changed");
    });
    source.addEventListener("error", function () {
      if (source.readyState !== EventSource.CLOSED) return; // it reconnects by itself
      if (poller && !document.getElementById("live-poller")) {
        var get = poller.getAttribute("data-hx-get").replace(/after=\d+/, "after=" + lastSeq());
        poller.setAttribute("data-hx-get", get);
        log.after(poller);
        window.htmx.process(poller);
      }
    });
  }

  start();
  document.addEventListener("htmx:load", start);
})();
