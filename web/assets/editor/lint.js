// bpmnlint in the browser: the recommended rules that hold for SpiffWorkflow diagrams, plus the local plugin
// "casepath" whose rules mirror the statutory lint of casepath/engine/lint.py (same rule ids, same wording)
// as far as one diagram can be checked in the browser. The server lint runs again on save and at publish:
// it is the authority (it also sees every diagram at once, the sandbox rules and what SpiffWorkflow parses).
import recommended from "bpmnlint/config/recommended.js";
import adHocSubProcess from "bpmnlint/rules/ad-hoc-sub-process.js";
import conditionalFlows from "bpmnlint/rules/conditional-flows.js";
import endEventRequired from "bpmnlint/rules/end-event-required.js";
import eventBasedGateway from "bpmnlint/rules/event-based-gateway.js";
import eventSubProcessTypedStartEvent from "bpmnlint/rules/event-sub-process-typed-start-event.js";
import fakeJoin from "bpmnlint/rules/fake-join.js";
import global from "bpmnlint/rules/global.js";
import labelRequired from "bpmnlint/rules/label-required.js";
import linkEvent from "bpmnlint/rules/link-event.js";
import noBpmndi from "bpmnlint/rules/no-bpmndi.js";
import noComplexGateway from "bpmnlint/rules/no-complex-gateway.js";
import noDisconnected from "bpmnlint/rules/no-disconnected.js";
import noDuplicateSequenceFlows from "bpmnlint/rules/no-duplicate-sequence-flows.js";
import noGatewayJoinFork from "bpmnlint/rules/no-gateway-join-fork.js";
import noImplicitEnd from "bpmnlint/rules/no-implicit-end.js";
import noImplicitSplit from "bpmnlint/rules/no-implicit-split.js";
import noImplicitStart from "bpmnlint/rules/no-implicit-start.js";
import noInclusiveGateway from "bpmnlint/rules/no-inclusive-gateway.js";
import noOverlappingElements from "bpmnlint/rules/no-overlapping-elements.js";
import singleBlankStartEvent from "bpmnlint/rules/single-blank-start-event.js";
import singleEventDefinition from "bpmnlint/rules/single-event-definition.js";
import startEventRequired from "bpmnlint/rules/start-event-required.js";
import subProcessBlankStartEvent from "bpmnlint/rules/sub-process-blank-start-event.js";
import superfluousGateway from "bpmnlint/rules/superfluous-gateway.js";
import superfluousLabel from "bpmnlint/rules/superfluous-label.js";
import superfluousTermination from "bpmnlint/rules/superfluous-termination.js";
import { data } from "./data.js";

const BUILT_IN = {
  "ad-hoc-sub-process": adHocSubProcess,
  "conditional-flows": conditionalFlows,
  "end-event-required": endEventRequired,
  "event-based-gateway": eventBasedGateway,
  "event-sub-process-typed-start-event": eventSubProcessTypedStartEvent,
  "fake-join": fakeJoin,
  global: global,
  "label-required": labelRequired,
  "link-event": linkEvent,
  "no-bpmndi": noBpmndi,
  "no-complex-gateway": noComplexGateway,
  "no-disconnected": noDisconnected,
  "no-duplicate-sequence-flows": noDuplicateSequenceFlows,
  "no-gateway-join-fork": noGatewayJoinFork,
  "no-implicit-end": noImplicitEnd,
  "no-implicit-split": noImplicitSplit,
  "no-implicit-start": noImplicitStart,
  "no-inclusive-gateway": noInclusiveGateway,
  "no-overlapping-elements": noOverlappingElements,
  "single-blank-start-event": singleBlankStartEvent,
  "single-event-definition": singleEventDefinition,
  "start-event-required": startEventRequired,
  "sub-process-blank-start-event": subProcessBlankStartEvent,
  "superfluous-gateway": superfluousGateway,
  "superfluous-label": superfluousLabel,
  "superfluous-termination": superfluousTermination,
};

// Recommended rules turned off because they misfire on valid SpiffWorkflow diagrams:
export const OFF = {
  // a step sent back (an assessment returned, a plan redrafted) loops back into the task itself: SpiffWorkflow
  // treats a task's incoming flows as an exclusive merge, so the three published loop-backs are valid, not a
  // "fake join" (the rule warns on child_and_family_assessment, draft_cin_plan and section47_enquiry)
  "fake-join": "loop-backs merge on the task",
};

const SPIFF_PROPERTIES = "spiffworkflow:properties";

function is(node, type) {
  return Boolean(node && node.$instanceOf && node.$instanceOf(type));
}

// Python's repr of a string, so messages read exactly as the server's f-strings write them
function repr(text) {
  const value = String(text);
  if (value.includes("'") && !value.includes('"')) return '"' + value + '"';
  return "'" + value.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
}

export function formKeyOf(businessObject) {
  const ext = businessObject.extensionElements;
  for (const holder of (ext && ext.values) || []) {
    if (holder.$type !== SPIFF_PROPERTIES) continue;
    for (const prop of holder.$children || []) {
      if (prop.name === "formKey") return prop.value || null;
    }
  }
  return null;
}

function lanesOf(process) {
  const lanes = {};
  const walk = (laneSet) => {
    for (const lane of (laneSet && laneSet.lanes) || []) {
      for (const node of lane.flowNodeRef || []) lanes[node.id] = lane.name || "";
      walk(lane.childLaneSet);
    }
  };
  for (const laneSet of process.laneSets || []) walk(laneSet);
  return lanes;
}

// the flow nodes of a process and of each subprocess in it, one scope at a time (as the server reads them)
function scopes(process) {
  const found = [];
  const visit = (container, lanes) => {
    const nodes = (container.flowElements || []).filter((e) => !is(e, "bpmn:SequenceFlow"));
    found.push({ nodes, lanes });
    for (const node of nodes) if (is(node, "bpmn:SubProcess")) visit(node, {});
  };
  visit(process, lanesOf(process));
  return found;
}

function userTasks(nodes) {
  return nodes.filter((n) => n.$type === "bpmn:UserTask");
}

function knownLane(lane) {
  return data.roles.includes(lane);
}

function onProcess(check) {
  return function () {
    return {
      check(node, reporter) {
        if (is(node, "bpmn:Process")) for (const scope of scopes(node)) check(scope, reporter);
      },
    };
  };
}

const laneRole = onProcess(({ nodes, lanes }, reporter) => {
  for (const task of userTasks(nodes)) {
    const lane = lanes[task.id];
    if (lane && knownLane(lane)) continue;
    const what = lane ? `is in the lane ${repr(lane)}` : "is in no lane";
    reporter.report(
      task.id,
      `The step ${task.id} ${what}: draw it in a lane named by the role code of who takes it ` +
        "(for example practice_supervisor or lead_practitioner), or nobody can be given it.",
    );
  }
});

function ringFence(rule) {
  return onProcess(({ nodes, lanes }, reporter) => {
    for (const task of userTasks(nodes)) {
      const lane = lanes[task.id];
      const contract = data.steps[task.id];
      if (!lane || !knownLane(lane) || !contract || contract.fence !== rule) continue;
      if (contract.lanes.includes(lane)) continue;
      reporter.report(
        task.id,
        `The step ${task.id} is drawn in the ${lane} lane, but ${contract.why}: move it into the ` +
          `${contract.lanes.join(" or ")} lane.`,
      );
    }
  });
}

const DEADLINE_CALL = /^\s*deadline\(\s*["']([A-Za-z0-9_.-]+)["']\s*\)\s*$/;

function timerExpression(definition) {
  const expression = definition.timeDate || definition.timeDuration || definition.timeCycle;
  return (expression && expression.body) || "";
}

const deadlineTimer = onProcess(({ nodes }, reporter) => {
  const called = {};
  for (const node of nodes) {
    if (!is(node, "bpmn:BoundaryEvent")) continue;
    const timer = (node.eventDefinitions || []).find((d) => is(d, "bpmn:TimerEventDefinition"));
    if (!timer) continue;
    const match = DEADLINE_CALL.exec(timerExpression(timer).trim());
    const attached = (node.attachedToRef && node.attachedToRef.id) || "";
    if (!match) continue;
    (called[attached] = called[attached] || []).push(match[1]);
    if (match[1] !== attached) {
      reporter.report(
        node.id,
        `The timer on ${attached} calls deadline(${repr(match[1])}): a step's timer must call ` +
          `deadline("${attached}") so it fires at that step's statutory deadline.`,
      );
    }
  }
  for (const task of userTasks(nodes)) {
    const contract = data.steps[task.id];
    if (!contract || !contract.rule || (called[task.id] || []).includes(task.id)) continue;
    reporter.report(
      task.id,
      `The step ${task.id} is timed by the rule ${contract.rule}: attach a non-interrupting boundary ` +
        `timer whose date is deadline("${task.id}"), leading to an end event throwing ${data.overdue_message}.`,
    );
  }
});

const form = onProcess(({ nodes }, reporter) => {
  for (const task of userTasks(nodes)) {
    const key = formKeyOf(task);
    if (key === null && !data.forms.includes(task.id)) {
      reporter.report(
        task.id,
        `The step ${task.id} has no formKey property, and there is no form called ${task.id}: ` +
          "add the property and the form.",
      );
    } else if (key !== null && !data.forms.includes(key)) {
      reporter.report(
        task.id,
        `The step ${task.id} uses the form ${repr(key)}, which does not exist: add the form or correct the formKey.`,
      );
    }
  }
});

function stepRemoved() {
  return {
    check(node, reporter) {
      if (!is(node, "bpmn:Definitions")) return;
      const here = new Set(data.steps_elsewhere);
      for (const process of (node.rootElements || []).filter((e) => is(e, "bpmn:Process"))) {
        for (const scope of scopes(process)) for (const task of userTasks(scope.nodes)) here.add(task.id);
      }
      for (const step of data.previous_steps) {
        if (here.has(step) || !data.steps[step]) continue;
        reporter.report(
          step,
          `The step ${step} was in the published pathway and is missing here. Step ids are a contract ` +
            "(API, conformance, CIN census, running cases): keep the id, even if you redraw the step.",
        );
      }
    },
  };
}

// only the error findings of the server's rules: a bpmnlint rule has one severity, and the server's
// warnings (a form found by the step id, a timer leading nowhere, a local step removed) stay server-side
const CASEPATH = {
  "lane-role": laneRole,
  "social-work-lane": ringFence("social-work-lane"),
  "approval-lane": ringFence("approval-lane"),
  "chair-lane": ringFence("chair-lane"),
  "deadline-timer": deadlineTimer,
  form: form,
  "step-removed": stepRemoved,
};

const rules = {};
for (const [name, value] of Object.entries(recommended.rules)) rules[name] = OFF[name] ? "off" : value;
for (const name of Object.keys(CASEPATH)) rules[`casepath/${name}`] = "error";

export const linterConfig = {
  config: { rules },
  resolver: {
    resolveRule(pkg, name) {
      if (pkg === "bpmnlint") return BUILT_IN[name];
      if (pkg === "bpmnlint-plugin-casepath") return CASEPATH[name];
      return null;
    },
    resolveConfig() {
      return null;
    },
  },
};
