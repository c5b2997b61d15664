"""The platform's operations (use cases). Called by the agent, the webhooks, the CLI and the workers.
Each takes a Session (and the acting user where roles matter) and flushes; the caller's unit of work commits."""
