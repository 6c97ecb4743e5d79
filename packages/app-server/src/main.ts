// Entry point of the guest's app-server (bundled to one file incl. pg by packages/app-server/build.mjs).
import { readConfig, type AppConfig } from './config.ts';
import { createAppServer } from './app.ts';

let cfg: AppConfig;
try {
  cfg = readConfig();
} catch (e) {
  // One plain line in the journal, as a real daemon says what is wrong with its settings.
  console.error(`${(e as Error).message} (settings: /etc/default/app-server)`);
  process.exit(1);
}
const app = createAppServer(cfg);
app.server.listen(cfg.port, cfg.host, () => {
  console.log(`app-server listening on ${cfg.host}:${cfg.port}, pool max ${cfg.poolMax}, db ${cfg.pg ? `${cfg.pg.host}:${cfg.pg.port}` : 'none'}`);
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    void app.close().finally(() => process.exit(0));
  });
}
