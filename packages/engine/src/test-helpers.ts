/** A valid minimal scenario as text, for tests that change one thing at a time. */
export const MINIMAL_SCENARIO = `scenario:
  id: t-001
  title: Test
  difficulty: easy
  seed: 42
environment:
  tiers:
    - name: app
      count: 3
      services: [nginx, app-server]
    - name: db
      services: [postgresql]
faults:
  - id: f1
    type: disk
    target: { tier: app }
objectives:
  - id: o1
    description: disk ok
    check:
      type: agent-metric
      target: { vm: app-0 }
      metric: disk_used_pct
      condition: "< 80"
hints:
  - text: df -h
`;
