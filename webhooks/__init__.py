"""The companion HTTP endpoint: provider webhooks, the n8n API, health. Served inside the chat server by default."""
