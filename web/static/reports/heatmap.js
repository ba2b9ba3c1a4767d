// The diagram heatmap: a published diagram in the bpmn-js navigated viewer, each user task coloured by
// the share completed late (canvas.addMarker) with its figures in an overlay (overlays.add).
(function () {
  "use strict";
  var container = document.getElementById("heatmap");
  if (!container || typeof window.BpmnJS !== "function") return;

  function figures(step) {
    var box = document.createElement("div");
    box.className = "app-heat-figures";
    var lines = [
      step.cases + (step.cases === 1 ? " case" : " cases") + (step.open ? ", " + step.open + " open" : ""),
      step.median_working_days === null ? "no completions" : "median " + step.median_working_days + " working days",
      step.late_share === null ? "no due dates" : Math.round(step.late_share * 100) + "% late"
    ];
    lines.forEach(function (text, index) {
      if (index) box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(text));
    });
    return box;
  }

  fetch(container.getAttribute("data-heatmap-url"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error("heatmap request failed: " + response.status);
      return response.json();
    })
    .then(function (found) {
      var viewer = new window.BpmnJS({ container: container });
      return viewer.importXML(found.xml).then(function () {
        var canvas = viewer.get("canvas");
        var overlays = viewer.get("overlays");
        var registry = viewer.get("elementRegistry");
        canvas.zoom("fit-viewport");
        var shown = 0;
        found.steps.forEach(function (step) {
          var element = registry.get(step.step);
          if (!element) return;
          if (step.band !== "none") canvas.addMarker(step.step, "heat-" + step.band);
          overlays.add(step.step, "heatmap", { position: { top: element.height + 4, left: 0 }, html: figures(step) });
          shown += 1;
        });
        container.setAttribute("data-overlays", String(shown));
      });
    })
    .catch(function (err) {
      container.textContent = "The diagram could not be shown: " + err.message;
    });
})();
