// A version diff on the diagram: each changed process drawn in the bpmn-js navigated viewer, with the
// elements added, changed or removed marked (canvas.addMarker). The table under each diagram says the same
// in words, so the page works without JavaScript and for screen readers.
(function () {
  "use strict";
  if (typeof window.BpmnJS !== "function") return;

  function ids(container, name) {
    var raw = container.getAttribute("data-diff-" + name);
    return raw ? JSON.parse(raw) : [];
  }

  function show(container) {
    fetch(container.getAttribute("data-diff-xml"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("the diagram request failed: " + response.status);
        return response.text();
      })
      .then(function (xml) {
        var viewer = new window.BpmnJS({ container: container });
        return viewer.importXML(xml).then(function () {
          var canvas = viewer.get("canvas");
          var registry = viewer.get("elementRegistry");
          canvas.zoom("fit-viewport");
          var marked = 0;
          ["added", "changed", "removed"].forEach(function (kind) {
            ids(container, kind).forEach(function (id) {
              if (!registry.get(id)) return;
              canvas.addMarker(id, "app-diff-" + kind);
              marked += 1;
            });
          });
          container.setAttribute("data-marked", String(marked));
        });
      })
      .catch(function (err) {
        container.textContent = "The diagram could not be shown: " + err.message + ". The table below lists every change.";
      });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-diff-xml]"), show);
})();
