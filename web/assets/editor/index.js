// The editor's add-ons for the bpmn-js UMD modeler, bundled by web/build-assets.mjs into one IIFE
// (web/static/vendor/casepath-editor/casepath-editor.js, global CasepathEditor): the trimmed properties
// panel, bpmnlint with the casepath rules, and the data both read.
import lintingModule from "bpmn-js-bpmnlint";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import { setData } from "./data.js";
import { linterConfig } from "./lint.js";
import propertiesModule from "./properties.js";

// options for `new BpmnJS(...)`: `rules` is the page's JSON from casepath/services/lint_rules.py
export function modelerOptions(rules, panelParent) {
  setData(rules);
  return {
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, propertiesModule, lintingModule],
    propertiesPanel: {
      parent: panelParent,
      layout: { groups: { general: { open: true }, documentation: { open: true }, timer: { open: true } } },
    },
    linting: { active: true, bpmnlint: linterConfig },
  };
}
