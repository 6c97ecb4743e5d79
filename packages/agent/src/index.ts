// The agent package's public face for the host side: a typed client, its transports and the
// request signing. No side effects, and the daemon is not imported here (it runs only inside
// the VM, from main.ts).
export { createAgentClient, type AgentClient, type AgentClientOptions } from './client.ts';
export { connectAgentSocket, describeEndpoint, type AgentEndpoint } from './transport.ts';
export { generateAgentKeyPair, instanceIdOf, signAgentRequest, privateKeyFromPem } from './signing.ts';
export { registerProcessMetrics } from './prom-defaults.ts';
