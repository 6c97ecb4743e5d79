import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIssue } from '../scenario-issue.ts';
import { DEFAULT_POLICY_YAML } from './default-policy.ts';
import { parsePolicy } from './parse-policy.ts';

function errorsOf(text: string): string[] {
  const r = parsePolicy(text, 'p.yaml');
  assert.equal(r.ok, false);
  return r.ok ? [] : r.errors.map(formatIssue);
}

test('the default policy is valid', () => {
  assert.equal(parsePolicy(DEFAULT_POLICY_YAML).ok, true);
});

test('every problem in a policy is reported at its line and column, typos with did-you-mean', () => {
  const errors = errorsOf(`environments:
  - name: lab
  - name: staging
roles:
  sre: { approver: true }
rules:
  - name: one
    where: labb
    who: [sre, enginer]
    what:
      fault: proces
    decision: allow
  - name: two
    what:
      fault: process
      params: { servce: postgresql }
    decison: deny
  - name: three
    when: "Mon-Fry 09:00-17:00"
    decision: deny
    approvals: { count: 2, from: [sre] }
`);
  assert.deepEqual(errors, [
    'p.yaml:5:3: roles.sre: role "sre" needs a base: one of admin, instructor, engineer, trainee, observer (what the API lets it do)',
    'p.yaml:8:12: rules[0].where: unknown environment "labb" (did you mean "lab"?)',
    'p.yaml:9:16: rules[0].who[1]: unknown role or group "enginer" (did you mean "engineer"?)',
    'p.yaml:11:14: rules[0].what.fault: unknown fault type "proces" (did you mean "process"?)',
    'p.yaml:16:17: rules[1].what.params.servce: no fault param "servce" for process (did you mean "service"?)',
    'p.yaml:17:5: rules[1].decison: unknown key "decison" (did you mean "decision"?)',
    'p.yaml:19:11: rules[2].when: unknown days "Mon-Fry"; use daily, weekdays, weekends, Mon-Fri or Mon,Wed,Fri; expected an ISO-8601 interval like 2026-12-01T09:00Z/2026-12-01T17:00Z or 2026-12-01T09:00Z/PT8H, or a weekly window like "Mon-Fri 09:00-17:00 Europe/Berlin" (days: daily, weekdays, weekends, Mon-Fri, Sat,Sun; zone default UTC), got "Mon-Fry 09:00-17:00"',
    'p.yaml:21:5: rules[2].approvals: approvals apply to decision allow (allow after N approvals); a deny cannot be approved',
  ]);
});

test('a policy that is not a mapping, or not YAML, is one located error', () => {
  assert.match(errorsOf('- a\n- b\n')[0]!, /^p\.yaml:1:1: a policy file is a mapping/);
  assert.match(errorsOf('environments: [\n')[0]!, /^p\.yaml:2:1: YAML:/);
});
