// The case page's diagram: the current phase in the bpmn-js navigated viewer, open steps highlighted.
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  if (!container || typeof window.BpmnJS !== "function") return;
  fetch(container.getAttribute("data-diagram-url"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error("diagram request failed: " + response.status);
      return response.json();
    })
    .then(function (found) {
      if (!found.xml) {
        container.textContent = "There is no diagram for this phase.";
        return null;
      }
      var viewer = new window.BpmnJS({ container: container });
      return viewer.importXML(found.xml).then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        canvas.zoom("fit-viewport");
        found.open_steps.forEach(function (step) {
          if (registry.get(step)) canvas.addMarker(step, "open-step");
        });
        container.setAttribute("data-open-steps", found.open_steps.filter(function (s) { return registry.get(s); }).join(" "));
      });
    })
    .catch(function (err) {
      container.textContent = "The diagram could not be shown: " + err.message;
    });
})();
