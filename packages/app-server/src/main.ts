// Entry point of the guest's app-server (bundled to one file incl. pg by packages/app-server/build.mjs).
import { readConfig } from './config.ts';
import { createAppServer } from './app.ts';

const cfg = readConfig();
const app = createAppServer(cfg);
app.server.listen(cfg.port, cfg.host, () => {
  console.log(`app-server listening on ${cfg.host}:${cfg.port}, pool max ${cfg.poolMax}, db ${cfg.pg.host}:${cfg.pg.port}`);
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    void app.close().finally(() => process.exit(0));
  });
}
