"""Tool wiring for the agent, one module per area (registering its tools with agent/tools/registry.py);
agent/tools/catalogue.py imports them all."""
