"""The agent's core: the LangGraph graph, model, runner, state, tool execution, taint, rendering."""
