"""The starter email layouts (Markdown with merge fields, rendered by domain/email_render.py in the brand's
layout): announcement, offer, newsletter. Each is a subject and a body to edit; the links point at the
account's own site placeholder until the marketer changes them. Pure data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Starter:
    name: str
    subject: str
    body: str
    about: str


STARTERS: dict[str, Starter] = {s.name: s for s in (
    Starter("announcement", "News from us, {first_name|there}", """# Something new for {company|you}

Hi {first_name|there},

We have news we think you will like: **say it here in one sentence**.

- what changes for you
- when it starts
- what you need to do (nothing, usually)

[Read the details](https://example.com/news){.button}

Questions? Just reply to this email.""", "one piece of news, a short list, one button"),
    Starter("offer", "{first_name|Hi}, an offer for {company|you} this week", """# {first_name|Hello}, this one is for you

For a short time: **20% off** your next job with us.

1. Book a slot before the end of the month
2. Mention this email
3. We take it off the bill

[Claim the offer](https://example.com/offer){.button}

The offer ends soon: one per customer.""", "a headline offer, three steps, a button, a deadline"),
    Starter("newsletter", "What's new this month", """# This month at a glance

Hi {first_name|there}, here is what happened and what is coming.

## The big story

Two or three sentences about the most important thing. [Read more](https://example.com/blog)

## Tips

- a useful tip
- another one

## Coming up

A date, an event, a reminder.

[Visit our site](https://example.com){.button}""", "sections with headings, tips, what's coming"),
)}
