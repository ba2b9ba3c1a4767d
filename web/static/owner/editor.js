// The process owner's editor: one diagram in the bpmn-js modeler (or the viewer, read only). For an owner the
// modeler carries the add-ons of vendor/casepath-editor (web/assets/editor): the trimmed properties panel and
// bpmnlint with the casepath rules, whose findings show on the diagram and in a list as the owner draws.
// The server lint's findings (after "Save and lint") show as markers and badges; a step dropped onto a
// sequence flow (which bpmn-js splices into the flow) is announced with a way to undo it.
(function () {
  "use strict";
  var container = document.getElementById("editor");
  if (!container || typeof window.BpmnJS !== "function") return;
  var readonly = container.getAttribute("data-readonly") === "true";
  var findings = JSON.parse(container.getAttribute("data-findings") || "[]");
  var rulesNode = document.getElementById("editor-rules");
  var panel = document.getElementById("properties-panel");
  var options = { container: container };
  if (!readonly && rulesNode && panel && window.CasepathEditor) {
    var addons = window.CasepathEditor.modelerOptions(JSON.parse(rulesNode.textContent || "{}"), panel);
    for (var key in addons) options[key] = addons[key];
  }
  var modeler = new window.BpmnJS(options);
  window.casepathModeler = modeler;

  function label(element) {
    var bo = element.businessObject || {};
    return bo.name ? "\u201c" + bo.name + "\u201d (" + element.id + ")" : element.id;
  }

  function showFindings() {
    var canvas = modeler.get("canvas");
    var registry = modeler.get("elementRegistry");
    var overlays = modeler.get("overlays");
    var shown = [];
    findings.forEach(function (finding) {
      if (!registry.get(finding.element)) return;
      canvas.addMarker(finding.element, finding.severity === "error" ? "lint-error" : "lint-warning");
      var badge = document.createElement("div");
      badge.className = "app-lint-badge" + (finding.severity === "error" ? "" : " app-lint-badge--warning");
      badge.setAttribute("data-rule", finding.rule);
      badge.textContent = finding.rule + ": " + finding.message;
      overlays.add(finding.element, "lint", { position: { bottom: -4, left: 0 }, html: badge });
      shown.push(finding.element);
    });
    container.setAttribute("data-lint-elements", shown.join(" "));
  }

  function select(id) {
    var element = id ? modeler.get("elementRegistry").get(id) : null;
    if (element) {
      modeler.get("selection").select(element);
      modeler.get("canvas").scrollToElement(element);
    } else {
      modeler.get("selection").select([]);
    }
  }

  // keyboard users choose the element whose properties they edit here (the canvas needs a pointer)
  function picker() {
    var list = document.getElementById("element-picker");
    if (!list) return;
    function fill() {
      var chosen = list.value;
      while (list.options.length > 1) list.remove(1);
      modeler.get("elementRegistry").filter(function (element) {
        return !element.waypoints && element.type !== "label" && element.parent && !/^bpmn:(Process|Collaboration)$/.test(element.type);
      }).forEach(function (element) {
        var option = document.createElement("option");
        option.value = element.id;
        option.textContent = element.type.replace("bpmn:", "") + ": " + label(element);
        list.appendChild(option);
      });
      list.value = chosen;
    }
    fill();
    modeler.get("eventBus").on("elements.changed", fill);
    modeler.get("eventBus").on("selection.changed", function (event) {
      var one = event.newSelection.length === 1 ? event.newSelection[0].id : "";
      if (list.value !== one) list.value = one;
    });
    list.addEventListener("change", function () { select(list.value); });
  }

  // the browser lint's findings as a list: the same as the badges on the diagram, readable without hovering
  function browserLint() {
    var summary = document.getElementById("browser-lint-summary");
    var list = document.getElementById("browser-lint-findings");
    if (!summary || !list) return;
    modeler.get("eventBus").on("linting.completed", function (event) {
      var rows = [];
      Object.keys(event.issues).forEach(function (id) {
        event.issues[id].forEach(function (issue) {
          rows.push({ element: issue.actualElementId || id, rule: issue.rule, category: issue.category, message: issue.message });
        });
      });
      rows.sort(function (a, b) { return (a.category === "error" ? 0 : 1) - (b.category === "error" ? 0 : 1); });
      var errors = rows.filter(function (r) { return r.category === "error"; }).length;
      summary.textContent = rows.length
        ? errors + " error(s) and " + (rows.length - errors) + " warning(s) in this diagram."
        : "No problems found in this diagram.";
      list.textContent = "";
      rows.forEach(function (row) {
        var item = document.createElement("li");
        item.setAttribute("data-rule", row.rule);
        item.setAttribute("data-element", row.element);
        var strong = document.createElement("strong");
        strong.textContent = row.category === "error" ? "Error" : "Warning";
        item.appendChild(strong);
        var link = document.createElement("button");
        link.type = "button";
        link.className = "app-link-button govuk-link";
        link.textContent = row.element;
        link.addEventListener("click", function () { select(row.element); });
        item.appendChild(document.createTextNode(" in "));
        item.appendChild(link);
        item.appendChild(document.createTextNode(" (" + row.rule + "): " + row.message));
        list.appendChild(item);
      });
      container.setAttribute("data-browser-lint", String(rows.length));
    });
  }

  // bpmn-js splices a step dropped onto a sequence flow into that flow: say so, and offer to undo it
  function spliceWarning() {
    var box = document.getElementById("splice-warning");
    var message = document.getElementById("splice-message");
    if (!box || !message) return;
    var eventBus = modeler.get("eventBus");
    // the flow's ends before bpmn-js reconnects it (it does so after the move or create is executed)
    function ends(event) {
      var flow = event.context.targetFlow;
      if (flow && flow.waypoints) event.context.spliced = { from: flow.source, to: flow.target };
    }
    function warn(event) {
      var context = event.context;
      var flow = context.targetFlow;
      var shape = context.shape || (context.shapes || [])[0];
      if (!flow || !shape || !context.spliced) return;
      var from = context.spliced.from ? label(context.spliced.from) : "its start";
      var to = context.spliced.to ? label(context.spliced.to) : "its end";
      message.textContent = "You dropped " + label(shape) + " onto the sequence flow " + flow.id + " from " + from +
        " to " + to + ", so the editor put the step into that flow, between them. If you did not mean to, undo the drop.";
      box.hidden = false;
      box.setAttribute("data-flow", flow.id);
      box.setAttribute("data-element", shape.id);
    }
    eventBus.on("commandStack.elements.move.executed", ends);
    eventBus.on("commandStack.shape.create.executed", ends);
    eventBus.on("commandStack.elements.move.postExecuted", 100, warn);
    eventBus.on("commandStack.shape.create.postExecuted", 100, warn);
    document.getElementById("splice-undo").addEventListener("click", function () {
      modeler.get("commandStack").undo();
      box.hidden = true;
      container.focus();
    });
    document.getElementById("splice-keep").addEventListener("click", function () { box.hidden = true; });
  }

  function saving() {
    var form = document.getElementById("editor-form");
    if (!form) return;
    var action = document.getElementById("editor-action");
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (button) action.value = button.getAttribute("data-action");
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      // a properties panel field commits what was typed when it loses focus
      if (document.activeElement && panel && panel.contains(document.activeElement)) document.activeElement.blur();
      modeler.saveXML({ format: true }).then(function (result) {
        document.getElementById("editor-xml").value = result.xml;
        HTMLFormElement.prototype.submit.call(form);
      });
    });
  }

  if (!readonly) {
    browserLint();
    spliceWarning();
  }
  fetch(container.getAttribute("data-xml-url"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error("diagram request failed: " + response.status);
      return response.text();
    })
    .then(function (xml) { return modeler.importXML(xml); })
    .then(function () {
      modeler.get("canvas").zoom("fit-viewport");
      showFindings();
      if (!readonly) { picker(); saving(); }
      container.setAttribute("tabindex", "-1");
      container.setAttribute("data-ready", "true");
    })
    .catch(function (err) {
      container.textContent = "The diagram could not be opened: " + err.message;
    });
})();
