export { buildKernelAssets, resolveKernelPackage, buildInitramfs, INITRAMFS_MODULES, type KernelAssets, type BuildKernelOptions } from './kernel-assets.ts';
export { INIT_SWITCH_MARKER, INIT_PROBE_MARKER } from './init-script.ts';
export { extractVmlinux } from './extract-vmlinux.ts';
