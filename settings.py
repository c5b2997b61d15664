"""One typed settings object, read once from the environment (and .env).

Our own variables carry the MKT_ prefix. Provider credentials keep the names their
providers document (OPENAI_API_KEY, FIRECRAWL_API_KEY, ...). The database URL is
MKT_DATABASE_URL (DATABASE_URL is accepted too: the app declares its own Chainlit
data layer, so Chainlit does not grab it; see shared/STACK.md).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent


def _alias(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MKT_", env_file=".env", extra="ignore", populate_by_name=True)

    # --- where things live -------------------------------------------------------------
    var_dir: Path = Field(
        default_factory=lambda: Path.cwd() / "var",
        description="Runtime files: SQLite database, auth secret, uploads. Default: var/ in the working directory "
        "(never beside the installed code).")
    elements_s3_bucket: str = Field(
        default="", description="Chat charts and files kept in this S3-compatible bucket; empty: var/elements/.")
    elements_s3_endpoint: str = Field(default="", description="Endpoint of a non-AWS S3 store (MinIO, R2, ...).")
    database_url: str = Field(
        default="",
        validation_alias=_alias("MKT_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy URL. Empty: SQLite file var/mkt.db. PostgreSQL: postgresql+psycopg://user:pw@host/db",
    )
    redis_url: str = Field(
        default="",
        validation_alias=_alias("MKT_REDIS_URL", "REDIS_URL"),
        description="Redis URL for the Dramatiq broker and shared rate limits. Empty: in-process queue and worker.",
    )
    queue_namespace: str = Field(default="mkt", description="Prefix of the Redis keys of the queue.")
    worker_threads: int = Field(default=4, description="Threads of the in-process worker (embedded mode).")

    # --- server --------------------------------------------------------------------------
    host: str = Field(default="127.0.0.1", description="Address `mkt serve` listens on.")
    port: int = Field(default=8000, description="Port `mkt serve` listens on.")
    public_url: str = Field(default="http://localhost:8000", description="Public base URL (links in emails).")
    chainlit_auth_secret: str = Field(
        default="",
        validation_alias=_alias("CHAINLIT_AUTH_SECRET", "MKT_CHAINLIT_AUTH_SECRET"),
        description="Signs login tokens. Empty: generated once and kept in var/auth_secret.",
    )
    admin_email: str = Field(default="", description="First admin created when there are no users.")
    admin_password: str = Field(default="", description="Its password; empty: a one-time password is printed once.")
    max_body_bytes: int = Field(default=1_000_000, description="Largest webhook/API body accepted.")

    # --- operations --------------------------------------------------------------------------
    log_format: str = Field(default="text", description="Log lines: text (key=value) or json (one object a line).")
    log_level: str = Field(default="INFO", description="Lowest level logged: DEBUG, INFO, WARNING, ERROR.")
    metrics_token: str = Field(
        default="", description="Bearer token required by GET /metrics. Empty: /metrics is open (block it at the proxy).")
    sentry_dsn: str = Field(
        default="", validation_alias=_alias("MKT_SENTRY_DSN", "SENTRY_DSN"),
        description="Send errors to this Sentry DSN (redacted like the logs; no personal data). Empty: off.")
    otel_endpoint: str = Field(
        default="", validation_alias=_alias("MKT_OTEL_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"),
        description="Send traces of HTTP requests and jobs to this OTLP/HTTP collector (http://host:4318; "
        "attributes redacted like the logs). Empty: off.")
    langsmith_tracing: bool = Field(
        default=False, description="Send the chat model's traces to LangSmith (LANGSMITH_API_KEY): every prompt "
        "and answer, with the contact names, emails, phones and page text they hold. Off unless true, whatever "
        "LANGSMITH_TRACING / LANGCHAIN_TRACING_V2 say.")
    worker_shutdown_seconds: int = Field(
        default=25, description="On SIGTERM a worker finishes its current jobs for this long, then stops (unfinished "
        "jobs go back to the queue).")
    queue_heartbeat_seconds: int = Field(
        default=60, description="A worker silent this long is dead: its unfinished jobs go back to the queue.")
    queue_maintenance_chance: int = Field(
        default=1000, description="Queue commands per million that also look for dead workers (Dramatiq's default).")

    # --- language model --------------------------------------------------------------------
    openai_api_key: str = Field(default="", validation_alias=_alias("OPENAI_API_KEY", "MKT_OPENAI_API_KEY"))
    openai_base_url: str = Field(default="", validation_alias=_alias("OPENAI_BASE_URL", "MKT_OPENAI_BASE_URL"))
    openai_model: str = Field(default="gpt-4o-mini", validation_alias=_alias("OPENAI_MODEL", "MKT_OPENAI_MODEL"))

    # --- contacts ----------------------------------------------------------------------------
    default_region: str = Field(default="US", description="Region for phone numbers written without +country.")
    account_timezone: str = Field(default="UTC", description="Time zone of the daily analytics.")

    # --- scraping ----------------------------------------------------------------------------
    firecrawl_api_key: str = Field(default="", validation_alias=_alias("FIRECRAWL_API_KEY", "MKT_FIRECRAWL_API_KEY"))
    firecrawl_api_url: str = Field(
        default="https://api.firecrawl.dev", validation_alias=_alias("FIRECRAWL_API_URL", "MKT_FIRECRAWL_API_URL")
    )
    fetch_allow_loopback: bool = Field(default=False, description="Tests only: let the fetcher reach 127.0.0.1.")
    fetch_timeout_seconds: float = Field(default=10.0, description="Longest fetch of one page (all redirects included).")
    fetch_max_bytes: int = Field(default=2_000_000, description="Largest page body read; the rest is cut off.")
    fetch_max_redirects: int = Field(default=5, description="Redirects followed per page (each one re-checked).")
    enrichment_cache_ttl_hours: int = Field(default=168, description="Fetched pages are reused this long (no credits).")
    enrichment_max_pages: int = Field(default=8, description="Pages read per contact per enrichment job.")
    enrichment_stale_days: int = Field(default=90, description="An enrichment older than this may be re-run.")
    enrichment_concurrency: int = Field(default=2, description="Enrichment jobs running at once (all workers).")
    enrichment_jobs_per_minute: int = Field(default=10, description="Enrichment jobs started per minute (all workers).")
    enrichment_max_retries: int = Field(default=4, description="Retries of a job after 429/5xx/timeouts.")
    enrichment_llm_page_chars: int = Field(default=6000, description="Characters of each page shown to the model.")
    firecrawl_credit_micros: int = Field(default=5_300, description="Price of one Firecrawl credit in micro-dollars.")
    firecrawl_requests_per_minute: int = Field(
        default=10, description="Firecrawl calls per minute across workers (Free plan: scrape 10/min); over it, wait.")

    # --- senders -----------------------------------------------------------------------------
    postmark_server_token: str = Field(
        default="", validation_alias=_alias("POSTMARK_SERVER_TOKEN", "MKT_POSTMARK_SERVER_TOKEN")
    )
    postmark_api_url: str = Field(default="https://api.postmarkapp.com")
    postmark_message_stream: str = Field(default="broadcast")
    email_from: str = Field(default="Marketing <marketing@example.com>", description="From address of campaigns.")
    sender_postal_address: str = Field(default="", description="Postal address printed in every email (CAN-SPAM).")
    brand_name: str = Field(default="", description="Brand name atop HTML emails (logo alt text); default: sender name.")
    brand_logo_url: str = Field(default="", description="Absolute https URL of the logo atop every HTML email.")
    brand_accent_color: str = Field(default="#2563eb", description="Accent colour (#rrggbb) of HTML emails.")
    email_tracking_default: bool = Field(default=True, description="Postmark open and link tracking of campaigns "
                                         "that do not choose (off where the law or the account requires).")
    sentdm_api_key: str = Field(default="", validation_alias=_alias("SENTDM_API_KEY", "MKT_SENTDM_API_KEY"))
    sentdm_api_url: str = Field(default="https://api.sent.dm")
    sms_price_micros: int = Field(default=8_000, description="Price of one SMS segment in micro-dollars.")
    email_price_micros: int = Field(default=1_800, description="Price of one email in micro-dollars.")
    model_token_price_micros: int = Field(
        default=400, description="Price of 1,000 language-model tokens in micro-dollars (analytics cost of enrichment).")

    # --- campaigns (sending) ----------------------------------------------------------------------
    sentdm_sender: str = Field(default="", description="Sending number (E.164) for Sent.dm; empty: the account's.")
    sms_prices_by_country: dict[str, int] = Field(
        default_factory=dict, description='SMS segment price per country in micro-dollars, JSON: {"GB": 40000}.')
    email_rate_per_second: float = Field(default=200.0, description="Emails per second to Postmark, all workers together.")
    sms_rate_per_second: float = Field(default=1.0, description="SMS per second to Sent.dm, all workers together.")
    email_batch_size: int = Field(default=500, description="Emails per Postmark batch request (at most 500).")
    sms_batch_size: int = Field(default=25, description="SMS per worker job.")
    send_cap_24h: int = Field(default=1, description="Default cap: messages per contact per channel per 24 hours.")
    send_cap_7d: int = Field(default=3, description="Default cap: messages per contact per channel per 7 days.")
    campaign_error_threshold: float = Field(
        default=0.2, description="A campaign pauses itself when this share of its attempted sends failed.")
    campaign_error_min_attempts: int = Field(default=20, description="Sends attempted before the threshold applies.")
    sending_stale_seconds: int = Field(
        default=600, description="A send claimed this long ago without a result becomes 'unknown' (reconciliation).")
    unsubscribe_secret: str = Field(default="", description="Signs unsubscribe links; empty: generated into var/.")
    postmark_webhook_user: str = Field(default="", description="Basic-auth user Postmark webhooks must present.")
    postmark_webhook_password: str = Field(default="", description="Basic-auth password of Postmark webhooks.")
    sentdm_webhook_secret: str = Field(default="", description="Sent.dm webhook signing secret (whsec_...).")
    sms_help_text: str = Field(default="Marketing messages. Reply STOP to opt out, START to opt back in.",
                               description="Answer to an SMS HELP.")

    # --- inbox, meetings ------------------------------------------------------------------------
    chatwoot_api_url: str = Field(default="", validation_alias=_alias("CHATWOOT_API_URL", "MKT_CHATWOOT_API_URL"))
    chatwoot_api_token: str = Field(default="", validation_alias=_alias("CHATWOOT_API_TOKEN", "MKT_CHATWOOT_API_TOKEN"))
    chatwoot_account_id: int = Field(default=1)
    chatwoot_webhook_secret: str = Field(default="")
    calcom_webhook_secret: str = Field(default="")
    chatwoot_webhook_token: str = Field(
        default="", description="Secret token (/webhooks/chatwoot?token=...) when Chatwoot cannot sign (older versions).")
    webhook_replay_window_seconds: int = Field(
        default=300, description="Signed webhooks (Chatwoot) older or newer than this many seconds are refused.")
    calcom_max_event_age_seconds: int = Field(
        default=172_800, description="Cal.com events whose createdAt is older than this are refused as replays.")
    attribution_window_days: int = Field(
        default=7, description="A reply or booking counts for the last campaign that touched the contact this recently.")
    outbound_max_attempts: int = Field(default=8, description="Attempts per outbound event delivery before giving up.")
    outbound_allow_loopback: bool = Field(
        default=False, description="Tests only: let outbound event URLs point at 127.0.0.1 / private networks.")

    @field_validator("var_dir")
    @classmethod
    def _absolute_var_dir(cls, value: Path) -> Path:
        """Made absolute once, so a later chdir (`mkt serve` enters the Chainlit app root) cannot move it."""
        return Path(value).expanduser().absolute()

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'mkt.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def offline_model(self) -> bool:
        return not self.openai_api_key

    @property
    def sandbox_email(self) -> bool:
        return not self.postmark_server_token

    @property
    def sandbox_sms(self) -> bool:
        return not self.sentdm_api_key

    def mode_lines(self) -> list[str]:
        """Plain statements of what runs for real and what is offline or sandboxed."""
        return [
            "Language model: " + ("offline parser (no OPENAI_API_KEY)" if self.offline_model else self.openai_model),
            "Email: " + ("SANDBOX - recorded, never sent" if self.sandbox_email else "Postmark"),
            "SMS: " + ("SANDBOX - recorded, never sent" if self.sandbox_sms else "Sent.dm"),
            "Scraping: " + ("built-in fetcher" if not self.firecrawl_api_key else "Firecrawl"),
            "Database: " + ("SQLite (embedded)" if self.is_sqlite else "PostgreSQL"),
            "Queue: " + ("in-process worker" if not self.redis_url else "Redis + worker processes"),
        ]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment)."""
    get_settings.cache_clear()
