// The agent package's public face for the host side: a typed client. No side effects, and
// the daemon is not imported here (it runs only inside the VM, from main.ts).
export { createAgentClient, type AgentClient, type AgentClientOptions } from './client.ts';
