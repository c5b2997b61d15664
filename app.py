"""Chainlit entry (`chainlit run app.py`, or `mkt serve`): wires agent/chat.py, nothing else."""

import agent.chat  # noqa: F401  (registers the Chainlit handlers)
