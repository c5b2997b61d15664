"""The Chainlit UI: chat handlers, cards, charts, uploads, the data layer and element storage."""
