/**
 * The rule from DEVELOPERS.md: before sending traffic to a VM address, prove the kernel
 * routes it through that VM's own link — never out of the host's uplink.
 */
import { PuduError } from '@pudu/schema';
import { run } from '../util/exec.ts';

/** Throws NETWORK_UNSAFE unless `ip route get ip` goes out through `link`. */
export async function verifyRoute(ip: string, link: string): Promise<void> {
  const { stdout } = await run('ip', ['-j', 'route', 'get', ip], { allowFail: true });
  let dev: string | undefined;
  try {
    dev = (JSON.parse(stdout) as { dev?: string }[])[0]?.dev;
  } catch {
    dev = undefined;
  }
  if (dev !== link) {
    throw new PuduError('NETWORK_UNSAFE', `refusing traffic to ${ip}: the host routes it via ${dev ?? 'nothing'}, not the VM link ${link}`, { ip, link, dev });
  }
}
