"""Chainlit entry (`chainlit run app.py`, or `mkt serve`): wires agent/ui/chat.py, nothing else."""

import agent.ui.chat  # noqa: F401  (registers the Chainlit handlers)
