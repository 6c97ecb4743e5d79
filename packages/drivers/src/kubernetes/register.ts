/**
 * Plugs the Kubernetes driver into createDriver (`--driver kubernetes`; never chosen by
 * `auto`: a cluster is something the operator names). Settings come from
 * CreateDriverOptions.kubernetes (the server's kubernetes_* settings).
 */
import { PuduError } from '@pudu/schema';
import { registerDriverFactory } from '../create-driver.ts';
import { KubernetesDriver } from './kubernetes-driver.ts';

registerDriverFactory('kubernetes', async (opts) => {
  const k = opts.kubernetes;
  if (!k?.image) throw new PuduError('DRIVER_UNAVAILABLE', 'kubernetes driver: set kubernetes_image (the guest image in a registry: pudu image export, then push)');
  if (!k.runtimeClassName) throw new PuduError('DRIVER_UNAVAILABLE', 'kubernetes driver: set kubernetes_runtime_class (e.g. kata-qemu or kata-fc): each Pod must be a microVM');
  opts.log?.(`kubernetes: namespace ${k.namespace}, runtimeClass ${k.runtimeClassName}, image ${k.image}`);
  return new KubernetesDriver({
    namespace: k.namespace, image: k.image, runtimeClassName: k.runtimeClassName,
    bootTimeoutMs: opts.bootTimeoutMs, log: opts.log,
  });
});
