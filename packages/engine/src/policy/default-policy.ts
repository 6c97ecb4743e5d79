/**
 * The policy a server runs with when `--policy` is not given, and the one `puduc policy
 * explain` uses without `--policy`: the shipped library's fault types on disposable
 * `training` fleets, for staff that may start runs, within generous limits; nothing else.
 */
export const DEFAULT_POLICY_FILE = '<default policy>';

export const DEFAULT_POLICY_YAML = `# Pudu's default policy: training fleets only.
version: 1
environments:
  - name: training
    description: disposable fleets for on-call training; they reach nothing outside themselves
    max_vms: 16
rules:
  - name: training-faults
    description: the fault types the scenario library uses, on training fleets
    what:
      fault: [cpu, memory, disk, network, process, dns, db-connections, config]
    where: training
    who: [admin, instructor, engineer]
    limits: { max_vms: 16, max_duration: 4h, max_latency: 10s }
    decision: allow
  - name: config-only-under-etc
    description: a config push rewrites a file under /etc, never anywhere else
    what:
      fault: config
      params: { path: "!/etc/*" }
    where: training
    decision: deny
`;
