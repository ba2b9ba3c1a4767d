// The data the casepath lint rules and the properties panel read, sent by the server with the page
// (casepath/services/lint_rules.py): role codes, contract steps, rules, forms and step ids.
export const data = {
  roles: [],
  steps: {},
  rules: {},
  forms: [],
  previous_steps: [],
  steps_elsewhere: [],
  overdue_message: "step_overdue",
};

export function setData(found) {
  Object.assign(data, found || {});
}
