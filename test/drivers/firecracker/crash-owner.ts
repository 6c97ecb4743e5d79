/**
 * A Pudu process that owns one Firecracker VM and then gets SIGKILLed by the test:
 * argv = stateDir fakeBinary fleetId. Prints "booting <pid> <tap>" once firecracker runs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FirecrackerDriver } from '../../../packages/drivers/src/firecracker/index.ts';

const [stateDir, fakeBin, fleetId] = process.argv.slice(2) as [string, string, string];
const image = { rootfsExt4: join(stateDir, '..', 'rootfs.ext4'), kernel: { vmlinuz: join(stateDir, '..', 'vmlinux'), vmlinux: join(stateDir, '..', 'vmlinux'), initrd: join(stateDir, '..', 'vmlinux') } };
for (const f of [image.rootfsExt4, image.kernel.vmlinux]) writeFileSync(f, 'x');
const driver = new FirecrackerDriver({ image, stateDir, cacheDir: stateDir, agentPort: 7777, indexRange: { minIndex: 220, maxIndex: 239 }, bootTimeoutMs: 600_000, binaries: { firecracker: fakeBin } });
void driver.createFleet({ id: fleetId, vms: [{ name: 'app-0', tier: 'app', vcpus: 1, memMb: 256, diskMb: 512, services: [] }] }, {
  onProgress: (m) => {
    if (!m.includes(': booting (')) return;
    void driver.listVms().then(([vm]) => process.stdout.write(`booting ${vm?.pid} ${vm?.hostLink}\n`));
  },
});
