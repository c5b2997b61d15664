"""Every table of the platform. Import models from here."""

from db.models.ads import AdCampaign, AdMetric
from db.models.base import Base, utcnow
from db.models.campaigns import Campaign, MarketingActivity
from db.models.contacts import Contact, ContactEvent, Import, ImportError_, Suppression
from db.models.email import EmailLinkClick, EmailTemplate
from db.models.enrichment import EnrichmentJob, FetchedPage
from db.models.inbox import CalendarBooking, ConversationMessage
from db.models.ops import (
    AccountSetting,
    AnalyticsCursor,
    DailyAnalytics,
    OutboundDelivery,
    OutboundSubscription,
    SchedulerLock,
    WebhookEvent,
)
from db.models.sequences import Sequence, SequenceEnrolment, SequenceStep
from db.models.users import ApiKey, RevokedSession, User

__all__ = [
    "AccountSetting", "AdCampaign", "AdMetric", "AnalyticsCursor", "ApiKey", "Base", "CalendarBooking", "Campaign", "Contact", "ContactEvent",
    "ConversationMessage", "DailyAnalytics", "EmailLinkClick", "EmailTemplate",
    "EnrichmentJob", "FetchedPage", "Import", "ImportError_",
    "MarketingActivity", "OutboundDelivery", "OutboundSubscription", "RevokedSession", "SchedulerLock", "Sequence",
    "SequenceEnrolment", "SequenceStep", "Suppression",
    "User", "WebhookEvent", "utcnow",
]
