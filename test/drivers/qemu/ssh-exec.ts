/** Runs one command over SSH with a password (the seed's root/root) and returns its output. */
import { Client } from 'ssh2';

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function sshExec(host: string, command: string, auth: { password?: string; privateKey?: string } = { password: 'root' }): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.on('ready', () => {
      c.exec(command, (err, stream) => {
        if (err) {
          c.destroy();
          reject(err);
          return;
        }
        let stdout = '';
        let stderr = '';
        stream.on('data', (d: Buffer) => { stdout += d.toString(); });
        stream.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
        stream.on('close', (code: number | null) => {
          // destroy, not end: a half-closed socket to a VM that is then destroyed lingers for
          // minutes (no FIN ever comes back) and keeps the test process alive.
          c.destroy();
          resolve({ code: code ?? -1, stdout, stderr });
        });
      });
    });
    c.on('error', reject);
    c.connect({ host, port: 22, username: 'root', readyTimeout: 20_000, ...auth });
  });
}
