// Entry point of ./pudu-agent (bundled into one file for the guest image).
console.error('pudu-agent: not built yet');
process.exit(1);
