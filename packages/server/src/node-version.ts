/**
 * Imported first by the entry point, before anything that needs Node 20 runs. Debian 12's
 * apt ships Node 18, which is what a new operator meets first: say what to do instead of
 * failing later with an obscure error.
 */
const MIN_MAJOR = 20;
const major = Number(process.versions.node.split('.')[0]);
if (major < MIN_MAJOR) {
  console.error([
    `pudu: Node.js ${process.versions.node} is too old; Pudu needs Node ${MIN_MAJOR} or newer.`,
    "  Debian 12's apt ships Node 18. Install Node 20 LTS, for example from NodeSource:",
    '    curl -fsSL https://deb.nodesource.com/setup_20.x | bash - && apt-get install -y nodejs',
    '  or with nvm (https://github.com/nvm-sh/nvm): nvm install 20',
  ].join('\n'));
  process.exit(1);
}
export {};
