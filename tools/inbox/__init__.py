"""The inbox: Chatwoot conversations, the people behind them, and the read-only views."""
