/**
 * Units and generators that do nothing useful in a namespace sandbox (no kernel modules,
 * no block devices, no hardware, /sys read-only) but cost boot time on a 2-core host.
 * Masked in the VM's config layer only, so the same image boots normally under QEMU.
 */
const MASKED_UNITS = [
  'modprobe@.service', 'modprobe@dm_mod.service', 'modprobe@efi_pstore.service', 'modprobe@configfs.service',
  'modprobe@drm.service', 'modprobe@fuse.service', 'modprobe@loop.service', 'systemd-modules-load.service',
  'dev-hugepages.mount', 'dev-mqueue.mount', 'sys-kernel-debug.mount', 'sys-kernel-tracing.mount',
  'sys-kernel-config.mount', 'sys-fs-fuse-connections.mount', 'systemd-remount-fs.service',
  'systemd-sysusers.service', 'systemd-tmpfiles-setup-dev.service', 'systemd-journald-audit.socket',
  'systemd-udevd.service', 'systemd-udev-trigger.service', 'systemd-udevd-control.socket', 'systemd-udevd-kernel.socket',
  'systemd-hwdb-update.service', 'systemd-random-seed.service', 'systemd-pstore.service', 'systemd-firstboot.service',
  'systemd-machine-id-commit.service', 'systemd-binfmt.service', 'proc-sys-fs-binfmt_misc.automount',
  'sysstat.service', 'systemd-update-utmp-runlevel.service',
];

const MASKED_GENERATORS = [
  'systemd-fstab-generator', 'systemd-getty-generator', 'systemd-gpt-auto-generator', 'systemd-debug-generator',
  'systemd-run-generator', 'systemd-sysv-generator', 'systemd-cryptsetup-generator', 'systemd-hibernate-resume-generator',
  'systemd-system-update-generator', 'systemd-veritysetup-generator', 'systemd-integritysetup-generator',
  'systemd-bless-boot-generator', 'systemd-rc-local-generator',
];

/** Symlinks to /dev/null that mask the units and generators above. */
export function sandboxOnlyFiles(): { path: string; symlink: string }[] {
  return [
    ...MASKED_UNITS.map((u) => ({ path: `/etc/systemd/system/${u}`, symlink: '/dev/null' })),
    ...MASKED_GENERATORS.map((g) => ({ path: `/etc/systemd/system-generators/${g}`, symlink: '/dev/null' })),
  ];
}
