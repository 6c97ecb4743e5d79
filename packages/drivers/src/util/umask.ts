/**
 * What Pudu lays out for a lab VM (the guest image, a sandbox VM's state and config layers)
 * is read by ids other than host root: services in the guest (postgres, www-data) and, in the
 * sandbox, the VM's root itself, an unprivileged host id. A umask of 077 (CI runners,
 * hardened hosts) would close all of it to them, so the processes that build or run VMs take
 * the usual 022, as a daemon does. Secrets are written with explicit modes, never via the umask.
 */
export function useLabUmask(log?: (msg: string) => void): void {
  const was = process.umask(0o022);
  if (was !== 0o022) log?.(`umask ${was.toString(8).padStart(3, '0')} → 022: lab VMs read what Pudu lays out for them as other ids`);
}
