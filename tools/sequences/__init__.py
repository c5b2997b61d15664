"""Follow-up sequences (issue 23): multi-step campaigns that stop the moment a person answers.

- `lifecycle`: draft, preview, launch (with approval), pause, resume, remove a contact, cancel;
- `views`: list, status (a funnel per step, exits by reason, next due), a contact's sequences;
- `engine`: enrolment and the periodic advance of due steps (run by workers/sequences.py);
- `exits`: a contact leaves on a reply, a booking, an opt-out or a bounce (called by the webhook processors).

Each step's message is a campaign of its own (`sequence_steps.campaign_id`), so every step's send is a marketing
activity of that campaign: the campaigns' send path, send rules, deliveries and webhooks apply unchanged, and the
activity's unique key (campaign, contact, channel) makes a step go out at most once per contact. Nothing is
imported here: the processors import `exits` alone, which must not pull the send path in (no import circle)."""
