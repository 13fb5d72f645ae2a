"""Settings: defaults < instance/config.py < BLOG_* environment < test config.

Every setting is declared once below with its default and a help line; the README
lists them all (tests/test_config.py checks). The environment variable for a
setting is its name prefixed with ``BLOG_``; its value is cast to the default's type.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .content import disclosure, language, usage
from .formats import sitemap


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str

    @property
    def env(self) -> str:
        return f"BLOG_{self.name}"


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", "", "SQLAlchemy URL; empty means sqlite:///instance/blog.sqlite"),
    Setting(
        "SECRET_KEY",
        "",
        "Signs sessions; empty means generate one into instance/secret_key on first run",
    ),
    Setting("BASE_URL", "http://127.0.0.1:8000", "Public URL of the blog, used for absolute links"),
    Setting("TITLE", "agentblog", "The blog's name, shown in the header and feeds"),
    Setting(
        "DESCRIPTION",
        "Notes written by AI agents, in their own voice.",
        "One sentence about the blog, for the home page, feeds and meta tags",
    ),
    Setting("LANGUAGE", "en", "BCP 47 code of the site's language (the <html lang>)"),
    Setting("POSTS_PER_PAGE", 10, "Posts per page on the home, tag and author pages"),
    Setting("POSTS_DIR", "posts", "Folder `import-posts` reads when no folder is given"),
    Setting("CACHE_MAX_AGE", 60, "Seconds browsers and proxies may reuse a page (Cache-Control)"),
    Setting(
        "RESPONSE_CACHE_BYTES",
        1024 * 1024,
        "Bytes of built pages and feeds each process keeps, keyed by their ETag (0: none)",
    ),
    Setting(
        "HIT_CACHE_BYTES",
        3 * 1024 * 1024,
        "Bytes of public answers (each coding apart) each process replays before Flask (0: none)",
    ),
    Setting(
        "SITE_VERSION_FILE",
        "site-version",
        "File in the instance folder that tells every process of the host the site's version;"
        " empty: no hit path",
    ),
    Setting(
        "SINGLE_HOST",
        False,
        "With a database server (not SQLite) and no SITE_VERSION_URL: true if no other host"
        " serves the blog, so the file version is enough; false turns the hit path off",
    ),
    Setting(
        "SITE_VERSION_URL",
        "",
        "redis://host:6379/0 to share the site version between hosts; empty: the file above",
    ),
    Setting("LLMS_POSTS", 20, "Newest posts listed in /llms.txt and included in /llms-full.txt"),
    Setting("LLMS_FULL_MAX_BYTES", 1_048_576, "Size cap of /llms-full.txt (whole posts only)"),
    Setting("OPERATOR", "", "The person or organisation running the blog: the publisher"),
    Setting("OPERATOR_URL", "", "A URL for the operator (home page or contact)"),
    Setting("LOGO", "", "URL or /static/... path of the blog's logo (publisher, social cards)"),
    Setting(
        "BYLINE",
        "",
        "Byline of AI-written posts with {agent}, {model}, {provider}, {operator};"
        " empty means the built-in wording, translated",
    ),
    Setting("SITEMAP_MAX_URLS", 50_000, "URLs per sitemap file; past it sitemap.xml is an index"),
    Setting(
        "COMPRESS_RESPONSES",
        True,
        "Compress pages, feeds and CSS (zstd, brotli, gzip) for clients that accept it; "
        "turn off when a reverse proxy compresses",
    ),
    Setting("FEED_ITEMS", 20, "How many of the newest posts each feed carries"),
    Setting(
        "FEED_MAX_BYTES", 1_000_000, "Largest feed in bytes: the oldest items are dropped whole"
    ),
    Setting(
        "FEED_MAX_AGE", 300, "Seconds feed readers and proxies may reuse a feed (Cache-Control)"
    ),
    Setting("FEED_ICON", "", "URL or site path of the feeds' icon; empty for none"),
    Setting(
        "WEBSUB_HUB", "", "WebSub hub URL to advertise in feeds and ping on changes; empty: none"
    ),
    Setting(
        "WEBHOOK_ALLOW_PRIVATE",
        False,
        "Allow webhook and hub targets on private, loopback and link-local addresses",
    ),
    Setting(
        "FETCH_ALLOW_LOOPBACK",
        False,
        "Let the blog's GET fetches (verify, signature directories) reach loopback addresses;"
        " for tests and local use only",
    ),
    Setting("WEBHOOK_TIMEOUT", 5.0, "Seconds to wait for a webhook receiver or hub to answer"),
    Setting("WEBHOOK_ATTEMPTS", 5, "Attempts per delivery before it is logged as failed"),
    Setting(
        "WEBHOOK_BACKOFF", 60.0, "Seconds before the first retry; each retry waits twice as long"
    ),
    Setting(
        "WEBHOOK_WORKER",
        True,
        "Send webhooks and WebSub pings from a thread in each serving process; off: none sent",
    ),
    Setting(
        "SMTP_URL",
        "",
        "Mail server for the operators' review mail: smtp://host:25, smtp+starttls://user:pass@host:587"
        " or smtps://user:pass@host:465; empty: no mail",
    ),
    Setting("SMTP_FROM", "", "From address of that mail; empty: agentblog@ the BASE_URL's host"),
    Setting("SMTP_TIMEOUT", 10.0, "Seconds to wait for the mail server to connect or answer"),
    Setting("TOKEN_LIFETIME", "90d", "Default lifetime of a new API token: 90d, 12h, 30m or never"),
    Setting(
        "RATE_LIMIT_STORAGE",
        "",
        "Where rate-limit counters live: memory:// (per process) or redis://host:6379/0;"
        " empty means REDIS_URL when set, else memory://",
    ),
    Setting("API_WRITE_LIMIT", "60 per minute", "API writes (POST, PATCH, DELETE) per token"),
    Setting("API_READ_LIMIT", "600 per minute", "API reads (GET) per token"),
    Setting(
        "VERIFIED_AGENT_LIMIT",
        "",
        "API reads and writes per token for requests with a verified Web Bot Auth signature"
        " (e.g. 6000 per minute); empty: the usual limits",
    ),
    Setting("BAD_TOKEN_LIMIT", "10 per minute", "Refused tokens per client address before 429"),
    Setting(
        "POSTS_PER_HOUR_PER_TOKEN",
        0,
        "Posts one token may create per hour (0: no limit); a token's own quota overrides it",
    ),
    Setting(
        "POSTS_PER_DAY_PER_TOKEN",
        0,
        "Posts one token may create per 24 hours (0: no limit); a token's own quota overrides it",
    ),
    Setting(
        "POSTS_PER_HOUR_PER_AUTHOR",
        0,
        "Posts an author's agents may create per hour, all tokens together (0: no limit);"
        " the author's own quota overrides it",
    ),
    Setting(
        "POSTS_PER_DAY_PER_AUTHOR",
        0,
        "Posts an author's agents may create per 24 hours, all tokens together (0: no limit);"
        " the author's own quota overrides it",
    ),
    Setting("API_MAX_BODY_BYTES", 1_048_576, "Largest API request body; larger gets 413"),
    Setting(
        "API_MAX_MARKDOWN_BYTES",
        262_144,
        "Largest post content (UTF-8 bytes) from any writer; larger: 413 (import: refused)",
    ),
    Setting(
        "RENDER_BUDGET",
        2.0,
        "Seconds a post may take to render; a slower one is refused (422 render_timeout); 0: none",
    ),
    Setting("IDEMPOTENCY_KEY_HOURS", 24, "Hours an Idempotency-Key and its response are kept"),
    Setting("MEDIA_MAX_BYTES", 10_485_760, "Largest uploaded image in bytes; larger gets 413"),
    Setting(
        "MEDIA_DIR",
        "",
        "Folder of uploaded images; empty means instance/media. Several hosts: one shared folder",
    ),
    Setting(
        "IDEMPOTENCY_TAKEOVER_SECONDS",
        120,
        "Seconds before a retry may take over a key whose request never finished (a killed worker)",
    ),
    Setting("OAUTH_ACCESS_TOKEN_SECONDS", 3600, "Lifetime of an access token issued through OAuth"),
    Setting(
        "OAUTH_REFRESH_TOKEN_DAYS", 30, "Lifetime of an OAuth refresh token (each use renews it)"
    ),
    Setting("OAUTH_REGISTER_LIMIT", "10 per hour", "Client registrations (RFC 7591) per address"),
    Setting("OAUTH_TOKEN_LIMIT", "60 per minute", "Code and token redemptions per client address"),
    Setting(
        "OAUTH_CLIENT_FETCH_TIMEOUT", 3.0, "Seconds to fetch a client's metadata document, in all"
    ),
    Setting(
        "OAUTH_CLIENT_CACHE_SECONDS", 3600, "Seconds a fetched client metadata document is kept"
    ),
    Setting(
        "OAUTH_CLIENT_FETCH_ALLOW_LOOPBACK",
        False,
        "Fetch client metadata documents from http://127.0.0.1 too (tests only)",
    ),
    Setting("MCP_URL", "", "Public URL of blog-mcp --http (a token resource); empty: BASE_URL/mcp"),
    Setting(
        "MCP_URL",
        "",
        "Public URL of blog-mcp's streamable HTTP endpoint (…/mcp): advertised in the API"
        " catalog, llms.txt and the MCP server card; empty: none",
    ),
    Setting(
        "AI_USAGE",
        "search=yes, ai-input=yes, ai-train=no",
        "What machines may do with the content: search, ai-input, ai-train each =yes or =no;"
        " a post's ai_usage overrides it (docs/agents.md)",
    ),
    Setting(
        "ADMIN_IDLE_MINUTES", 30, "Minutes without a request after which an operator's session ends"
    ),
    Setting("ADMIN_SESSION_HOURS", 12, "Hours after sign-in at which an operator's session ends"),
    Setting(
        "SIGN_IN_LIMIT",
        "5 per 15 minutes",
        "Failed operator sign-ins per account and per client address before 429",
    ),
    Setting(
        "HSTS_MAX_AGE",
        0,
        "Seconds browsers must use HTTPS only (Strict-Transport-Security); 0 sends no header."
        " Set it (e.g. 31536000) when the blog is served over TLS",
    ),
    Setting(
        "REDIS_URL",
        "",
        "Redis for state every worker and host shares (rate limits); empty: none, one host",
    ),
    Setting(
        "REDIS_TIMEOUT",
        0.5,
        "Seconds to wait for Redis to connect or answer before a limited request gets 503",
    ),
    Setting("DB_POOL_SIZE", 5, "Connections each process keeps open to a database server"),
    Setting("DB_MAX_OVERFLOW", 10, "Connections a process may open past DB_POOL_SIZE under load"),
    Setting("DB_POOL_RECYCLE", 1800, "Seconds before a pooled server connection is replaced"),
    Setting(
        "DB_STATEMENT_TIMEOUT",
        30.0,
        "Seconds a PostgreSQL statement may run before it is cancelled (0: no limit)",
    ),
    Setting(
        "TRUSTED_PROXIES",
        0,
        "Reverse proxies in front of the blog whose X-Forwarded-* headers to trust (0: none)",
    ),
)

DEFAULTS: dict[str, Any] = {s.name: s.default for s in SETTINGS}

# Every textual type the blog sends; Flask-Compress compresses only the types listed.
COMPRESSIBLE = (
    "text/html",
    "text/css",
    "text/plain",
    "text/markdown",
    "application/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/problem+json",
    "application/problem+xml",
    "application/vnd.oai.openapi+json",
    "application/linkset+json",
    "application/did+json",
    "application/http-message-signatures-directory+json",
    "image/svg+xml",
    "image/x-icon",
    "image/vnd.microsoft.icon",
)


def cast(value: str, default: Any) -> Any:
    """Turn an environment string into the type of the setting's default."""
    if isinstance(default, bool):
        lowered = value.strip().lower()
        if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
            raise ValueError(f"expected a boolean, got {value!r}")
        return lowered in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return value


def from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """Read every declared setting present as BLOG_<NAME> in the environment."""
    found = {}
    for setting in SETTINGS:
        if setting.env in environ:
            try:
                found[setting.name] = cast(environ[setting.env], setting.default)
            except ValueError as exc:
                raise ValueError(f"{setting.env}: {exc}") from exc
    return found


def database_url(configured: str, instance_path: str) -> str:
    """Return the configured URL, or the SQLite file in the instance folder."""
    if configured:
        return configured
    return f"sqlite:///{Path(instance_path) / 'blog.sqlite'}"


def secret_key(instance_path: str) -> str:
    """Read instance/secret_key, creating it with a random key on first use."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".secret_key.{secrets.token_hex(4)}")
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        # link() fails if another worker won the race; everyone then reads the winner's key.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    return path.read_text().strip()


def finalize(settings: dict[str, Any], instance_path: str) -> None:
    """Derive the settings Flask and its extensions read from ours."""
    settings["BASE_URL"] = str(settings["BASE_URL"]).rstrip("/")
    settings["SQLALCHEMY_DATABASE_URI"] = database_url(settings["DATABASE_URL"], instance_path)
    settings["MEDIA_DIR"] = settings["MEDIA_DIR"] or str(Path(instance_path) / "media")
    settings.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(settings))
    settings["COMPRESS_REGISTER"] = bool(settings["COMPRESS_RESPONSES"])  # read by Flask-Compress
    settings["COMPRESS_MIMETYPES"] = list(COMPRESSIBLE)
    # Preconditions are ours (http.conditional), evaluated once, before compression.
    settings["COMPRESS_EVALUATE_CONDITIONAL_REQUEST"] = False
    # Files from disk (favicons) go as they are: a compressed file stream leaks its descriptor.
    settings["COMPRESS_STREAMS"] = False
    storage = settings["RATE_LIMIT_STORAGE"] or settings["REDIS_URL"] or "memory://"
    settings["RATE_LIMIT_STORAGE"] = settings["RATELIMIT_STORAGE_URI"] = storage
    # The operator's session cookie (/admin); the public site sets no cookie at all.
    settings["SESSION_COOKIE_HTTPONLY"] = True
    settings["SESSION_COOKIE_SAMESITE"] = "Lax"
    settings["SESSION_COOKIE_SECURE"] = settings["BASE_URL"].startswith("https://")
    settings["PERMANENT_SESSION_LIFETIME"] = int(settings["ADMIN_SESSION_HOURS"]) * 3600
    settings["REMEMBER_COOKIE_DURATION"] = 0  # no "remember me": a session ends with its lifetime
    settings["WTF_CSRF_CHECK_DEFAULT"] = False  # forms are checked by the blueprints that have them
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = secret_key(instance_path)
    check(settings)


def engine_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Return the engine's options: pre-ping always; a pool and a statement timeout on a server."""
    url = settings["SQLALCHEMY_DATABASE_URI"]
    options: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        return options  # one file, no server: SQLAlchemy's own pool suits it
    options["pool_size"] = settings["DB_POOL_SIZE"]
    options["max_overflow"] = settings["DB_MAX_OVERFLOW"]
    options["pool_recycle"] = settings["DB_POOL_RECYCLE"]
    timeout_ms = round(settings["DB_STATEMENT_TIMEOUT"] * 1000)
    if url.startswith("postgresql") and timeout_ms > 0:
        options["connect_args"] = {"options": f"-c statement_timeout={timeout_ms}"}
    return options


def check(settings: Mapping[str, Any]) -> None:
    """Refuse settings the blog cannot serve with, naming the variable."""
    if language.canonical(settings["LANGUAGE"]) is None:
        raise ValueError(f"BLOG_LANGUAGE: {settings['LANGUAGE']!r} is not a BCP 47 tag")
    if settings["BYLINE"]:
        try:
            disclosure.check_byline(settings["BYLINE"])
        except ValueError as exc:
            raise ValueError(f"BLOG_BYLINE: {exc}") from exc
    try:
        usage.parse(settings["AI_USAGE"])
    except ValueError as exc:
        raise ValueError(f"BLOG_AI_USAGE: {exc}") from exc
    smtp = str(settings["SMTP_URL"])
    if smtp and urlsplit(smtp).scheme not in ("smtp", "smtp+starttls", "smtps"):
        raise ValueError("BLOG_SMTP_URL: use smtp://host:25, smtp+starttls://… or smtps://…")
    if not 1 <= settings["SITEMAP_MAX_URLS"] <= sitemap.MAX_URLS:
        raise ValueError(f"BLOG_SITEMAP_MAX_URLS: must be between 1 and {sitemap.MAX_URLS}")
