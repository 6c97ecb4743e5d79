/**
 * Files Pudu adds on top of the Debian base: units, service configs, sshd policy.
 * Kept as data so they are hashed into the image cache key and easy to review.
 */
import { AGENT_PORT, APP_SERVER_PORT } from './recipe.ts';

/** Paths inside the guest where the image builder installs the inputs. */
export const GUEST_NODE_PATH = '/usr/local/bin/node';
export const GUEST_AGENT_PATH = '/usr/local/lib/pudu/pudu-agent.mjs';
export const GUEST_AGENT_WRAPPER_PATH = '/usr/local/bin/pudu-agent';
/** Where the agent looks for pudu-nfq (its --native-dir). */
export const GUEST_NATIVE_DIR = '/usr/local/lib/pudu';
export const GUEST_APP_SERVER_PATH = '/opt/app-server/app-server.mjs';
/** Per-VM agent flags the driver writes as PUDU_AGENT_OPTS="…" (the agent's own convention). */
export const GUEST_AGENT_ENV_PATH = '/etc/default/pudu-agent';
export const GUEST_AGENT_KEY_PATH = '/etc/pudu/agent.pub';
/** Where a driver that reaches the agent over a Unix socket binds its host directory (the agent listens inside). */
export const GUEST_AGENT_SOCKET_DIR = '/run/pudu-agent';
export const GUEST_AGENT_SOCKET_PATH = `${GUEST_AGENT_SOCKET_DIR}/agent.sock`;
export const GUEST_APP_ENV_PATH = '/etc/default/app-server';

/** Static files of the image: guest path → content. */
export const GUEST_FILES: Record<string, string> = {
  // Flags and paths follow packages/agent/pudu-agent.service; only the start is earlier.
  '/etc/systemd/system/pudu-agent.service': `[Unit]
Description=Pudu lab agent
# Readiness waits on the agent: start it as early as the journal allows, not after basic.target.
DefaultDependencies=no
After=systemd-journald.socket
Conflicts=shutdown.target
Before=shutdown.target
StartLimitIntervalSec=0

[Service]
Type=simple
EnvironmentFile=-${GUEST_AGENT_ENV_PATH}
ExecStart=${GUEST_AGENT_WRAPPER_PATH} --listen 0.0.0.0:${AGENT_PORT} --state-dir /var/lib/pudu-agent --key-file ${GUEST_AGENT_KEY_PATH} --native-dir ${GUEST_NATIVE_DIR} $PUDU_AGENT_OPTS
Restart=always
RestartSec=200ms
# SIGTERM makes the agent undo its changes before it exits; give it time to.
KillSignal=SIGTERM
TimeoutStopSec=30
# The agent must outlive memory pressure in the VM.
OOMScoreAdjust=-1000

[Install]
WantedBy=multi-user.target
`,
  // The bundle is ESM; an extension-less file would be loaded as CommonJS by node 20.
  [GUEST_AGENT_WRAPPER_PATH]: `#!/bin/sh
exec ${GUEST_NODE_PATH} ${GUEST_AGENT_PATH} "$@"
`,
  '/etc/systemd/system/app-server.service': `[Unit]
Description=Demo app-server (HTTP API behind nginx, Postgres pool)
After=network.target postgresql.service
StartLimitIntervalSec=0

[Service]
User=app
Group=app
EnvironmentFile=-${GUEST_APP_ENV_PATH}
ExecStart=${GUEST_NODE_PATH} ${GUEST_APP_SERVER_PATH}
Restart=always
RestartSec=500ms

[Install]
WantedBy=multi-user.target
`,
  [GUEST_APP_ENV_PATH]: `# app-server settings; the driver rewrites PGHOST per VM (the fleet's database VM).
APP_HOST=127.0.0.1
APP_PORT=${APP_SERVER_PORT}
APP_LOG_DIR=/var/log/app
APP_DB_POOL_MAX=10
APP_DB_POOL_WAIT_MS=2000
PGHOST=127.0.0.1
PGUSER=app
PGDATABASE=app
PGAPPNAME=app-server
`,
  // The app's access log rotates like nginx's; only that file (a runaway debug.log beside it is the incident, not routine).
  '/etc/logrotate.d/app-server': `/var/log/app/access.log {
	daily
	missingok
	rotate 7
	compress
	delaycompress
	notifempty
	copytruncate
}
`,
  '/etc/nginx/sites-available/default': `server {
    listen 80 default_server;
    server_name _;
    location / {
        proxy_pass http://127.0.0.1:${APP_SERVER_PORT};
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_connect_timeout 2s;
        proxy_read_timeout 10s;
    }
}
`,
  // sshd is the other half of readiness: same early start as the agent.
  '/etc/systemd/system/ssh.service.d/pudu.conf': `[Unit]
DefaultDependencies=no
After=systemd-journald.socket
Conflicts=shutdown.target
Before=shutdown.target
`,
  '/etc/ssh/sshd_config.d/pudu.conf': `# The seed's contract: root/root; the server also logs in with its own key.
PermitRootLogin yes
PasswordAuthentication yes
UseDNS no
`,
  '/etc/systemd/journald.conf.d/pudu.conf': `[Journal]
Storage=volatile
RuntimeMaxUse=16M
`,
  '/etc/systemd/system.conf.d/pudu.conf': `[Manager]
DefaultTimeoutStopSec=5s
`,
  '/etc/motd': `
Pudu lab VM. Something here is about to break; find it and fix it.

`,
};
