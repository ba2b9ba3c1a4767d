// The process owner's editor: one diagram in the bpmn-js modeler (or the viewer, read only), lint findings
// as markers and overlays, a small form for a task's name and form key, and saving through the page's form.
(function () {
  "use strict";
  var container = document.getElementById("editor");
  if (!container || typeof window.BpmnJS !== "function") return;
  var readonly = container.getAttribute("data-readonly") === "true";
  var findings = JSON.parse(container.getAttribute("data-findings") || "[]");
  var modeler = new window.BpmnJS({ container: container });
  window.casepathModeler = modeler;

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

  function formKeyHolder(bo, create) {
    var moddle = modeler.get("moddle");
    var ext = bo.extensionElements;
    if (!ext && !create) return null;
    if (!ext) { ext = moddle.create("bpmn:ExtensionElements", { values: [] }); bo.extensionElements = ext; ext.$parent = bo; }
    ext.values = ext.values || [];
    var props = ext.values.filter(function (v) { return v.$type === "spiffworkflow:properties"; })[0];
    if (!props && !create) return null;
    if (!props) { props = moddle.createAny("spiffworkflow:properties", "http://spiffworkflow.org/bpmn/schema/1.0/core", {}); ext.values.push(props); }
    props.$children = props.$children || [];
    var prop = props.$children.filter(function (c) { return c.name === "formKey"; })[0];
    if (!prop && create) {
      prop = moddle.createAny("spiffworkflow:property", "http://spiffworkflow.org/bpmn/schema/1.0/core", { name: "formKey", value: "" });
      props.$children.push(prop);
    }
    return prop || null;
  }

  function properties() {
    var form = document.getElementById("properties");
    if (!form) return;
    var selected = null;
    var fields = { id: document.getElementById("prop-id"), name: document.getElementById("prop-name"), key: document.getElementById("prop-form-key") };
    modeler.get("eventBus").on("selection.changed", function (event) {
      var element = event.newSelection.length === 1 ? event.newSelection[0] : null;
      selected = element && /Task$/.test(element.type) ? element : null;
      var holder = selected ? formKeyHolder(selected.businessObject, false) : null;
      fields.id.value = selected ? selected.id : "";
      fields.name.value = selected ? selected.businessObject.name || "" : "";
      fields.key.value = holder ? holder.value || "" : "";
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!selected) return;
      modeler.get("modeling").updateProperties(selected, { name: fields.name.value });
      var key = fields.key.value.trim();
      var holder = formKeyHolder(selected.businessObject, key !== "");
      if (holder) holder.value = key;
      container.setAttribute("data-changed", "true");
    });
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
      modeler.saveXML({ format: true }).then(function (result) {
        document.getElementById("editor-xml").value = result.xml;
        HTMLFormElement.prototype.submit.call(form);
      });
    });
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
      if (!readonly) { properties(); saving(); }
      container.setAttribute("data-ready", "true");
    })
    .catch(function (err) {
      container.textContent = "The diagram could not be opened: " + err.message;
    });
})();
