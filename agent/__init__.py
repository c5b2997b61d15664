"""The conversation: graph, state, model choice, offline model, prompts and the Chainlit handlers."""
