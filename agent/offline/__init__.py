"""The offline model: a rule-based parser that turns typed requests into tool calls."""
