// Files over the upload limit, named. dcc.Upload (react-dropzone, max_size) drops such a file in the browser
// without a word: no callback runs. So on every drop or choice of files inside an element with data-max-bytes,
// the files over that many bytes (maybe none) go to the dcc.Store named by data-too-big-store, whose callback
// shows the message in the page's language. The server still refuses what is too big.
(function () {
  "use strict";

  function heldBack(event) {
    var zone = event.target && event.target.closest ? event.target.closest("[data-max-bytes]") : null;
    var dash = window.dash_clientside;
    if (!zone || !dash || !dash.set_props) {
      return;
    }
    var files = event.type === "drop" ? (event.dataTransfer && event.dataTransfer.files) : event.target.files;
    if (!files) {
      return;
    }
    var limit = Number(zone.dataset.maxBytes);
    var over = Array.prototype.filter.call(files, function (f) { return f.size > limit; })
      .map(function (f) { return {name: f.name, size: f.size}; });
    // The time makes each drop a change, so the same file dropped twice is named twice.
    dash.set_props(zone.dataset.tooBigStore, {data: {files: over, at: Date.now()}});
  }

  // Capture: seen before react-dropzone handles (and may stop) the event.
  document.addEventListener("drop", heldBack, true);
  document.addEventListener("change", heldBack, true);
})();
