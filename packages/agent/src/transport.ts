/**
 * How the host reaches one agent. Every transport yields a byte stream for one HTTP
 * exchange; none passes through a path or address the guest can bend towards a host
 * resource.
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { PuduError } from '@pudu/schema';

export type AgentEndpoint =
  /** The VM's address on its /30 link (QEMU and Firecracker without vsock). */
  | { kind: 'tcp'; host: string; port: number }
  /**
   * A Unix socket in a host-owned directory (the sandbox: bound into the guest at the
   * agent's runtime directory). Only the last component can be guest-made: it is opened
   * O_PATH|O_NOFOLLOW and must be a socket, then connected through /proc/self/fd, so a
   * symlink planted by root in the VM never makes the host connect to a host socket.
   */
  | { kind: 'unix'; path: string }
  /** Firecracker's vsock: its host-side Unix socket, then `CONNECT <port>\n` → `OK <n>\n`. */
  | { kind: 'firecracker-vsock'; path: string; port: number }
  /**
   * A stream another layer carries to the agent (kubernetes: an exec relay through the API
   * server to the agent's socket in the Pod). The transport is not trusted: every request
   * and reply is signed, so whoever carries the bytes can drop them but not forge them.
   */
  | { kind: 'stream'; label: string; open: () => Promise<Duplex> };

/** Linux's O_PATH (Node does not export it). */
const O_PATH = 0o10000000;
const HANDSHAKE_MAX_BYTES = 64;

export function describeEndpoint(e: AgentEndpoint): string {
  if (e.kind === 'tcp') return `${e.host}:${e.port}`;
  if (e.kind === 'unix') return `unix:${e.path}`;
  if (e.kind === 'stream') return e.label;
  return `vsock:${e.path}:${e.port}`;
}

/**
 * Connects a Unix socket without following a symlink in its last component (root in a VM
 * could plant one pointing at a host socket): opened O_PATH|O_NOFOLLOW, checked to be a
 * socket, connected through /proc/self/fd. Throws AGENT_UNREACHABLE otherwise.
 */
export function connectAgentSocket(path: string): Socket {
  let fd: number;
  try {
    fd = openSync(path, O_PATH | constants.O_NOFOLLOW);
  } catch (e) {
    throw new PuduError('AGENT_UNREACHABLE', `agent socket ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    if (!fstatSync(fd).isSocket()) throw new PuduError('AGENT_UNREACHABLE', `agent socket ${path} is not a socket (something in the VM replaced it)`);
    const s = connect(`/proc/self/fd/${fd}`);
    // connect() resolves the path synchronously before returning a pending socket, so the fd may go now.
    return s;
  } finally {
    closeSync(fd);
  }
}

function firecrackerHandshake(path: string, port: number): Socket {
  const s = connectAgentSocket(path);
  s.pause();
  s.once('connect', () => s.write(`CONNECT ${port}\n`));
  let buf = '';
  const onData = (d: Buffer): void => {
    buf += d.toString('latin1');
    const nl = buf.indexOf('\n');
    if (nl < 0) {
      if (buf.length > HANDSHAKE_MAX_BYTES) s.destroy(new Error('vsock handshake: no OK line'));
      return;
    }
    s.off('data', onData);
    if (!/^OK \d+$/.test(buf.slice(0, nl))) {
      s.destroy(new Error(`vsock handshake refused: ${buf.slice(0, nl)}`));
      return;
    }
    const rest = buf.slice(nl + 1);
    if (rest) s.unshift(Buffer.from(rest, 'latin1'));
    s.emit('pudu-ready');
  };
  s.on('data', onData);
  return s;
}

/** Opens the stream for one exchange; resolves when bytes may be written (after the vsock handshake for Firecracker). */
export async function openAgentStream(e: AgentEndpoint): Promise<Socket | Duplex> {
  if (e.kind === 'stream') return e.open();
  const socket = e.kind === 'tcp' ? connect({ host: e.host, port: e.port }) : e.kind === 'unix' ? connectAgentSocket(e.path) : firecrackerHandshake(e.path, e.port);
  await new Promise<void>((res, rej) => {
    socket.once(e.kind === 'firecracker-vsock' ? 'pudu-ready' : 'connect', () => res()).once('error', rej);
  });
  if (e.kind === 'firecracker-vsock') socket.resume();
  return socket;
}
