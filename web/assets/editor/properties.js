// The properties panel trimmed to what a process owner edits: the name (a lane's name is a role code, chosen
// from the known codes), the step id, which lane a step sits in, the form key (one of the pathway's forms),
// the documentation with the Working Together reference of the step's rule, and boundary timers.
import { SelectEntry } from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { h } from "preact";
import { data } from "./data.js";
import { formKeyOf } from "./lint.js";

const KEEP = {
  general: ["name", "id"],
  documentation: ["documentation", "processDocumentation"],
  timer: null, // every timer entry: its type and its value
};
const SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core";

function is(element, type) {
  const bo = element && element.businessObject;
  return Boolean(bo && bo.$instanceOf && bo.$instanceOf(type));
}

// --- form key: a spiffworkflow:property name="formKey", changed through the command stack (undo, lint) ---

function formKeyHolders(bo) {
  const ext = bo.extensionElements;
  const props = ((ext && ext.values) || []).find((v) => v.$type === "spiffworkflow:properties") || null;
  const prop = props ? (props.$children || []).find((c) => c.name === "formKey") || null : null;
  return { ext, props, prop };
}

function SetFormKeyHandler(moddle) {
  this._moddle = moddle;
}
SetFormKeyHandler.$inject = ["moddle"];

SetFormKeyHandler.prototype.execute = function (context) {
  const bo = context.element.businessObject;
  const found = formKeyHolders(bo);
  context.old = {
    ext: found.ext,
    values: found.ext ? (found.ext.values || []).slice() : null,
    props: found.props,
    children: found.props ? (found.props.$children || []).slice() : null,
    prop: found.prop,
    value: found.prop ? found.prop.value : null,
  };
  if (!context.value) {
    if (found.props) found.props.$children = (found.props.$children || []).filter((c) => c !== found.prop);
    return [context.element];
  }
  let { ext, props, prop } = found;
  if (!ext) {
    ext = this._moddle.create("bpmn:ExtensionElements", { values: [] });
    ext.$parent = bo;
    bo.extensionElements = ext;
  }
  ext.values = ext.values || [];
  if (!props) {
    props = this._moddle.createAny("spiffworkflow:properties", SPIFF_NS, {});
    props.$children = [];
    ext.values.push(props);
  }
  if (!prop) {
    prop = this._moddle.createAny("spiffworkflow:property", SPIFF_NS, { name: "formKey", value: "" });
    props.$children = (props.$children || []).concat([prop]);
  }
  prop.value = context.value;
  return [context.element];
};

SetFormKeyHandler.prototype.revert = function (context) {
  const bo = context.element.businessObject;
  const old = context.old;
  if (old.ext && old.values) old.ext.values = old.values;
  if (old.props && old.children) old.props.$children = old.children;
  if (old.prop) old.prop.value = old.value;
  if (!old.ext) delete bo.extensionElements;
  return [context.element];
};

function FormKeyEntry(props) {
  const { element, id } = props;
  const commandStack = useService("commandStack");
  const current = formKeyOf(element.businessObject) || "";
  const getOptions = () => {
    const options = [{ value: "", label: "No form key (the form is found by the step id)" }];
    for (const key of data.forms) options.push({ value: key, label: key });
    if (current && !data.forms.includes(current)) options.push({ value: current, label: `${current} (no such form)` });
    return options;
  };
  return SelectEntry({
    element,
    id,
    label: "Form key",
    description: "The form the step opens: one of the forms of this pathway.",
    getValue: () => formKeyOf(element.businessObject) || "",
    setValue: (value) => commandStack.execute("casepath.formKey.set", { element, value: value || "" }),
    getOptions,
  });
}

// --- a lane's name is a role code ---

function RoleCodeEntry(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const getOptions = () => {
    const name = element.businessObject.name || "";
    const options = data.roles.map((role) => ({ value: role, label: role }));
    if (!data.roles.includes(name)) options.unshift({ value: name, label: name ? `${name} (not a role code)` : "Choose a role code" });
    return options;
  };
  return SelectEntry({
    element,
    id,
    label: "Role code (the lane's name)",
    description: "Steps drawn in this lane go to staff with this role.",
    getValue: () => element.businessObject.name || "",
    setValue: (value) => modeling.updateProperties(element, { name: value }),
    getOptions,
  });
}

// --- which lane a step sits in: choosing another lane moves the step into it ---

function lanesOf(element) {
  let root = element.parent;
  while (root && root.parent && !is(root, "bpmn:Participant")) root = root.parent;
  const lanes = [];
  const walk = (parent) => {
    for (const child of parent.children || []) {
      if (is(child, "bpmn:Lane")) {
        if (!(child.children || []).some((c) => is(c, "bpmn:Lane"))) lanes.push(child);
        walk(child);
      }
    }
  };
  if (root) walk(root);
  return { root, lanes };
}

function laneOf(element, lanes) {
  return lanes.find((lane) => (lane.businessObject.flowNodeRef || []).includes(element.businessObject)) || null;
}

function nearFlow(point, connections) {
  return connections.some((flow) =>
    (flow.waypoints || []).slice(1).some((b, i) => {
      const a = flow.waypoints[i];
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const t = Math.max(0, Math.min(1, ((point.x - a.x) * dx + (point.y - a.y) * dy) / (dx * dx + dy * dy || 1)));
      return Math.hypot(a.x + t * dx - point.x, a.y + t * dy - point.y) < 30;
    }),
  );
}

function LaneEntry(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const elementRegistry = useService("elementRegistry");
  const { root, lanes } = lanesOf(element);
  const current = laneOf(element, lanes);
  const setValue = (laneId) => {
    const lane = elementRegistry.get(laneId);
    if (!lane || lane === current) return;
    // a free spot in the lane, same x: clear of flows, or bpmn-js would splice the step into one
    const flows = elementRegistry.filter((e) => e.waypoints && e.source !== element && e.target !== element);
    const x = element.x + element.width / 2;
    let y = lane.y + lane.height / 2;
    for (let step = 0; step < lane.height / 2; step += 10) {
      const below = lane.y + lane.height / 2 + step;
      const above = lane.y + lane.height / 2 - step;
      if (!nearFlow({ x, y: below }, flows)) { y = below; break; }
      if (!nearFlow({ x, y: above }, flows)) { y = above; break; }
    }
    y = Math.min(Math.max(y, lane.y + element.height / 2 + 5), lane.y + lane.height - element.height / 2 - 5);
    modeling.moveElements([element], { x: 0, y: Math.round(y - (element.y + element.height / 2)) }, root);
  };
  return SelectEntry({
    element,
    id,
    label: "Lane (who takes the step)",
    description: "Lanes are named by role codes; choosing a lane moves the step into it.",
    getValue: () => (current ? current.id : ""),
    setValue,
    getOptions: () => [
      ...(current ? [] : [{ value: "", label: "In no lane" }]),
      ...lanes.map((lane) => ({ value: lane.id, label: lane.businessObject.name || `${lane.id} (no name)` })),
    ],
  });
}

// --- the Working Together reference of the step's rule(s), offered for its documentation ---

function referencesFor(element) {
  const bo = element.businessObject;
  const text = ((bo.documentation || [])[0] || {}).text || "";
  const ids = [];
  const contract = data.steps[bo.id];
  if (contract && contract.rule) ids.push(contract.rule);
  for (const id of Object.keys(data.rules)) if (!ids.includes(id) && text.includes(id)) ids.push(id);
  return { text, found: ids.map((id) => ({ id, ...data.rules[id] })).filter((r) => r.reference) };
}

function referenceText(rule) {
  return `${rule.title}: Working Together to Safeguard Children 2023, ${rule.reference.replace(/^WT2023 /, "")} (rule ${rule.id}).`;
}

function ReferenceEntry(props) {
  const { element, id } = props;
  const commandStack = useService("commandStack");
  const bpmnFactory = useService("bpmnFactory");
  const { text, found } = referencesFor(element);
  if (!found.length) {
    return h("div", { class: "bio-properties-panel-entry", "data-entry-id": id },
      h("p", { class: "bio-properties-panel-description" }, "No statutory rule times this step."));
  }
  const missing = found.filter((rule) => !text.includes(rule.reference) && !text.includes(referenceText(rule)));
  const add = () => {
    const bo = element.businessObject;
    const addition = missing.map(referenceText).join(" ");
    const doc = (bo.documentation || [])[0];
    if (doc) {
      commandStack.execute("element.updateModdleProperties", {
        element, moddleElement: doc, properties: { text: (doc.text ? doc.text.trim() + " " : "") + addition },
      });
    } else {
      const created = bpmnFactory.create("bpmn:Documentation", { text: addition });
      commandStack.execute("element.updateModdleProperties", {
        element, moddleElement: bo, properties: { documentation: [created] },
      });
    }
  };
  return h("div", { class: "bio-properties-panel-entry app-wt-reference", "data-entry-id": id }, [
    h("p", { class: "bio-properties-panel-label" }, "Working Together reference"),
    h("ul", { class: "app-wt-reference__list" },
      found.map((rule) => h("li", { key: rule.id }, [h("strong", null, rule.id), `: ${rule.title}. ${rule.reference}.`]))),
    missing.length
      ? h("button", { type: "button", class: "app-wt-reference__add", onClick: add }, "Add the reference to the documentation")
      : h("p", { class: "bio-properties-panel-description" }, "The documentation cites it."),
  ]);
}

// --- the provider: runs after the bpmn-js one and keeps only the groups and entries above ---

function CasepathPropertiesProvider(propertiesPanel, commandStack) {
  propertiesPanel.registerProvider(100, this);
  commandStack.registerHandler("casepath.formKey.set", SetFormKeyHandler);
}
CasepathPropertiesProvider.$inject = ["propertiesPanel", "commandStack"];

CasepathPropertiesProvider.prototype.getGroups = function (element) {
  return (groups) => {
    const kept = groups.filter((group) => group.id in KEEP);
    for (const group of kept) {
      const ids = KEEP[group.id];
      if (ids) group.entries = group.entries.filter((entry) => ids.includes(entry.id));
    }
    const general = kept.find((group) => group.id === "general");
    if (general && is(element, "bpmn:Lane")) {
      general.entries = general.entries.filter((entry) => entry.id !== "name");
      general.entries.unshift({ id: "casepath-role", element, component: RoleCodeEntry, isEdited: () => false });
    }
    if (general && is(element, "bpmn:FlowNode") && !is(element, "bpmn:BoundaryEvent") && lanesOf(element).lanes.length) {
      general.entries.push({ id: "casepath-lane", element, component: LaneEntry, isEdited: () => false });
    }
    if (general && is(element, "bpmn:UserTask")) {
      general.entries.push({ id: "casepath-form-key", element, component: FormKeyEntry, isEdited: () => false });
    }
    const documentation = kept.find((group) => group.id === "documentation");
    if (documentation && is(element, "bpmn:UserTask")) {
      documentation.entries.push({ id: "casepath-reference", element, component: ReferenceEntry, isEdited: () => false });
    }
    return kept;
  };
};

export default {
  __init__: ["casepathPropertiesProvider"],
  casepathPropertiesProvider: ["type", CasepathPropertiesProvider],
};
