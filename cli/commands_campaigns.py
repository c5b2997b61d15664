"""`mkt campaigns in-doubt CAMPAIGN [--check-again | --resend-anyway --yes]`: a campaign's sends in doubt (request
sent, answer lost, not found at the provider), and the two ways out (tools/campaigns/doubt.py)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    campaigns = sub.add_parser("campaigns", help="campaigns: sends in doubt")
    csub = campaigns.add_subparsers(dest="campaigns_command", metavar="ACTION", required=True)
    doubt = csub.add_parser("in-doubt", help="list a campaign's sends in doubt; check them again or resend them")
    doubt.add_argument("campaign", help="the campaign's id or exact name")
    what = doubt.add_mutually_exclusive_group()
    what.add_argument("--check-again", action="store_true", help="look them up at the provider again (sends nothing)")
    what.add_argument("--resend-anyway", action="store_true",
                      help="queue them again (RISK: whoever the first request did reach gets the message twice)")
    doubt.add_argument("--yes", action="store_true", help="confirm --resend-anyway")
    doubt.set_defaults(handler=in_doubt)


def in_doubt(args: argparse.Namespace) -> int:
    from db.session import unit_of_work
    from tools.campaigns import doubt
    from tools.users import Actor

    actor = Actor.system("cli")
    if args.resend_anyway and not args.yes:
        raise ValueError(f"--resend-anyway needs --yes: {doubt.RISK}")
    with unit_of_work() as uow:
        if args.check_again or args.resend_anyway:
            fn = doubt.check_again if args.check_again else doubt.resend_anyway
            print(fn(uow.session, actor, args.campaign).text)
            return 0
        campaign, rows = doubt.list_in_doubt(uow.session, actor, args.campaign)
    review = sum(1 for r in rows if r.state == "review")
    print(f"campaign #{campaign.id} '{campaign.name}': {len(rows)} in doubt, {review} left for review")
    for r in rows:
        when = r.requested_at.isoformat(timespec="seconds") if r.requested_at else "-"
        print(f"  #{r.activity_id}\t{r.to or '-'}\t{r.state}\trequested {when}\t{r.note or ''}")
    if review:
        print(f"then: mkt campaigns in-doubt {args.campaign} --check-again | --resend-anyway --yes")
    return 0
