// A live chat's messages as server-sent events (live/, served beside the pages under
// /live/). The page works without this: htmx polls #live-poller every 2 s. Once the stream
// is open the poller is taken out; if the stream is refused or blocked for good (no ASGI
// server, a proxy that buffers), the poller is put back, from the last message shown.
(function () {
  "use strict";
  var log = document.getElementById("live-log");
  var url = log && log.dataset.liveStream;
  if (!url || !window.EventSource) return;
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
  });
  source.addEventListener("error", function () {
    if (source.readyState !== EventSource.CLOSED) return; // it reconnects by itself
    if (poller && !document.getElementById("live-poller")) {
      var get = poller.getAttribute("hx-get").replace(/after=\d+/, "after=" + lastSeq());
      poller.setAttribute("hx-get", get);
      log.after(poller);
      window.htmx.process(poller);
    }
  });
})();
