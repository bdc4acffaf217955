"""One typed settings object for every app process; Rasa's YAML reads the same values as ${KEFU_*}."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kefu import compensation, hours, sla

ROOT = Path(__file__).resolve().parent.parent
# Each service-time setting and the parser that raises ValueError on a malformed value (kefu/hours.py).
SERVICE_TIME_CHECKS: dict[str, Callable[[str], object]] = {
    "handoff_service_hours": hours.parse_hours, "handoff_service_days": hours.parse_days,
    "handoff_timezone": hours.check_timezone, "handoff_week_hours": hours.parse_week,
    "handoff_holidays": hours.parse_holidays, "desk_sla": sla.parse_targets,
    "compensation_limits": compensation.parse_limits, "compensation_customer_cap": compensation.parse_cap}


class Settings(BaseSettings):
    """Kefu's configuration: KEFU_* environment variables, then `.env`, then these defaults."""

    model_config = SettingsConfigDict(
        env_prefix="KEFU_", env_file=ROOT / ".env", env_file_encoding="utf-8", extra="ignore"
    )

    host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_port: int = 5055
    data_dir: Path = Path("data")
    # Full SQLAlchemy URL of the conversation store; empty means a SQLite file in data_dir.
    database_url: str = ""
    # Redis URL (redis://host:6379/0) for several Rasa replicas: the lock store, socket.io's message queue, WeChat's
    # retry de-duplication and numbered choices. Empty: one Rasa process keeps these in its memory.
    redis_url: str = ""
    # `make run-cluster` (kefu/cluster.py): replicas of each server behind HAProxy on the ports above; the replicas,
    # PostgreSQL (+432), Redis (+379) and HAProxy's page (+936) on ports from this base.
    rasa_replicas: int = Field(2, ge=1, le=32)
    action_replicas: int = Field(2, ge=1, le=32)
    console_replicas: int = Field(2, ge=1, le=32)
    cluster_port_base: int = Field(15000, ge=1024, le=64000)
    rasa_model: Path = Path("models/rasa/kefu.tar.gz")
    rasa_venv: Path = Path(".venv-rasa")
    # HTTP API token for Rasa; empty means one is generated and kept in data_dir/rasa_token.
    rasa_token: SecretStr = SecretStr("")
    max_message_chars: int = 2000
    # Rasa's NLU runs in this many worker processes (bot/nlu_pool.py), awaited from its event loop; 0 runs it on
    # the event loop as Rasa does. Two use both cores of a small machine; each holds about 1.6 GB.
    nlu_workers: int = Field(2, ge=0, le=64)
    # When every NLU worker is busy, a free one parses up to this many queued messages in one run of the graph
    # (DIET's TensorFlow and the KB's query encoder run once per run): under load a parse costs less CPU. Pairs
    # keep most of the saving, and a message waits for one other, not seven: the burst's p95 0.46-0.49 s against
    # 0.44-0.61 s in eights (README, Load). 1 turns this off.
    nlu_max_batch: int = Field(2, ge=1, le=64)
    # How long Rasa waits for one call to the action server before it tells the customer it cannot deal with the
    # message now (utter_assistant_unavailable); Rasa's own default is 5 minutes of silence.
    action_timeout_s: int = Field(30, ge=1, le=600)
    log_level: str = "INFO"
    startup_timeout_s: float = 300.0
    # Order system; empty means the local demo order book (data/orders.json or the bundled demo).
    order_api_url: str = ""
    order_api_token: SecretStr = SecretStr("")

    # Knowledge base. The KB_* names are the ones the CLI documents; KEFU_KB_* work too.
    kb_database_url: str = Field("", validation_alias=AliasChoices("KB_DATABASE_URL", "KEFU_KB_DATABASE_URL"))
    # Empty means data_dir/index.
    kb_index_dir: Path | None = Field(None, validation_alias=AliasChoices("KB_INDEX_DIR", "KEFU_KB_INDEX_DIR"))
    # "auto": the KB-tuned model (models/kb-tuned, made by `make kb`) if present, else the converted base model.
    # Anything else: a sentence-transformers model folder or hub id.
    kb_embedding_model: str = Field(
        "auto", validation_alias=AliasChoices("KB_EMBEDDING_MODEL", "KEFU_KB_EMBEDDING_MODEL")
    )
    kb_base_model: Path = Path("models/multilingual-e5-small")
    kb_tuned_model: Path = Path("models/kb-tuned")
    kb_tune_steps: int = 400
    # Follow-up questions learned from the conversations (knowledge_base/follow_ups.py): a pair "asked B after A"
    # is suggested once seen in this many conversations and this share of A's, counted over this many days.
    kb_follow_up_min_count: int = 3
    kb_follow_up_min_share: float = 0.15
    kb_follow_up_days: int = 90
    # What tuning adds to the base model, as a LoRA-format delta: `make kb` rebuilds kb_tuned_model from it in
    # seconds. `python -m knowledge_base tune` writes a shop's own to kb_tune_delta (empty: data_dir/kb-delta, kept
    # across `make clean`), which then wins over the demo KB's, shipped in kb_shipped_delta.
    kb_tune_delta: Path | None = None
    kb_shipped_delta: Path = Path("knowledge_base/delta")
    # Re-tune once this share of the published questions is new since tuning: the ops console and `make kb` say so.
    kb_retune_share: float = 0.3
    # Embed questions with ONNX Runtime (models/*/onnx, exported by `make kb`): same vectors, 3x faster than PyTorch.
    kb_onnx_queries: bool = True
    # Embed questions with the int8 copy of the query graph that `make kb` writes and checks (kefu/onnx_int8.py): 8
    # instead of 12 ms of CPU a question, vectors at cosine 0.995 to fp32's. Off by default: the KB's decisions are
    # calibrated on fp32 scores, and a shift of 0.005 moves the questions that sit on a cut-off ("退款" is clarified
    # in fp32, left unresolved in int8); on the 670 dev questions it moves one each way.
    kb_query_int8: bool = False
    # Score sentiment with the int8 copy of the model where `make sentiment` kept it (labels as fp32's on ≥ 98% of
    # its check texts): 6.5 instead of 13 ms of CPU a message. False runs fp32: for comparisons, or on a CPU without
    # fast int8 (VNNI). Rasa's processes read it as KEFU_SENTIMENT_INT8.
    sentiment_int8: bool = True
    # Decision thresholds on the entry score (variant and answer similarity, language gap, word overlap; below)
    # for the KB-tuned model, calibrated by `bench/kb_eval.py --calibrate` on half of bench/data/kb_dev_*.jsonl
    # (answer precision ≥ 97%). Another model or weight needs its own: raw e5 scores everything 0.8–0.95.
    kb_answer_threshold: float = 0.57
    kb_answer_margin: float = 0.04
    kb_clarify_threshold: float = 0.53
    kb_clarify_window: float = 0.04
    # The confidence model: P(the best entry is right) = logistic(bias + score × entry score + margin × its lead over
    # the runner-up + overlap × its word overlap + cross_lingual × [matched only across languages]). Answer at
    # kb_answer_confidence, clarify at kb_clarify_confidence, else unresolved. Fitted for the KB-tuned model by
    # `bench/kb_confidence.py` on bench/data/kb_dev_*.jsonl and routing_dev_a.jsonl, checked on routing_dev_b.jsonl.
    # kb_answer_confidence above 1 turns the model off: the score thresholds above decide instead.
    kb_confidence_bias: float = -14.512
    kb_confidence_score: float = 23.88
    kb_confidence_margin: float = 12.018
    kb_confidence_overlap: float = 6.547
    kb_confidence_cross_lingual: float = 3.375
    kb_answer_confidence: float = 0.86
    kb_clarify_confidence: float = 0.64
    # Answer whatever the runner-up scores when the best entry scores this much (a near-verbatim variant).
    kb_answer_certain: float = 0.90
    # A message whose best entry scores this much is about the shop: when no entry answers it, it gets the honest
    # "I don't know yet" and a review-queue row, whatever intent Rasa guessed; below it, Rasa's out-of-scope or
    # rephrase reply stands (bot/routing.py). Calibrated by bench/routing_e2e.py on routing_dev_a.
    kb_shop_threshold: float = 0.45
    # An unresolved question whose nearest entries score this much gets them as related questions beside the honest
    # "I don't know yet" (it is queued for review all the same); 1.01 turns it off.
    kb_related_threshold: float = 0.45
    kb_top_k: int = 5
    # The top_k entries are re-ranked by (similarity + w × word overlap) / (1 + w); 0 turns it off. On the dev
    # set w=0.5 lifts top-1 from 83% to 87.5% and keeps fewer answerable questions unresolved than w=1.
    kb_lexical_weight: float = 0.5
    # Each candidate's score is (best variant + a × best answer) / (1 + a): an answer names its topic in more words
    # than any one variant, which helps most with entries written in the other language. 0 turns it off.
    kb_answer_weight: float = 0.3
    # Exact search up to this many vectors, HNSW above.
    kb_hnsw_min_vectors: int = 50_000
    # Review questions this similar to an open cluster's centre join it. With the tuned model, paraphrases of one
    # question score a median 0.62 and different questions of one category 0.48 at the 95th percentile.
    kb_cluster_threshold: float = 0.60
    # How often (seconds) a running process checks for a newer published index.
    kb_reload_check_s: float = 1.0

    # Sentiment. The repo keeps only the delta (LoRA adapter + head); `make sentiment` rebuilds the ONNX model.
    sentiment_model_dir: Path = Path("models/sentiment")
    sentiment_delta_dir: Path = Path("sentiment/delta")
    # Checkpoints and the frozen-layer cache of `make train-sentiment`, so an interrupted run resumes.
    sentiment_work_dir: Path = Path("models/sentiment-train")
    # The public training and evaluation sets (never committed).
    shared_data_dir: Path = Path("../shared/data")

    # Agent desk (console) and hand-over.
    console_port: int = 8000
    # Rasa as customers' browsers reach it (the /chat page's socket.io), e.g. https://chat.example.com behind a
    # proxy; empty means rasa_url.
    public_rasa_url: str = ""
    # Sign-in sessions last this long; the cookie is Secure only when the console is served over HTTPS.
    console_session_hours: float = 12.0
    console_cookie_secure: bool = False
    # Service hours, days (ISO weekdays, 1 = Monday) and their time zone; outside them customers may leave a message.
    handoff_service_hours: str = "00:00-24:00"
    handoff_service_days: str = "1-7"
    handoff_timezone: str = "Asia/Shanghai"
    # Hours per weekday, replacing the two above when set: "mon-fri 09:00-21:00; sat 10:00-12:00,13:00-18:00"
    # (days not named are closed; a span may cross midnight). Holidays: closed dates, "2026-10-01..2026-10-07,
    # 2027-01-01", local to the time zone; a night shift that began the evening before still runs past midnight.
    handoff_week_hours: str = ""
    handoff_holidays: str = ""
    # An agent counts as online while their desk's heartbeat (every 20 s) is younger than this.
    handoff_presence_ttl_s: float = 60.0
    # Queue priority: 100 × frustration, plus these boosts, plus points per minute waited.
    handoff_vip_boost: float = 30.0
    handoff_request_boost: float = 10.0
    handoff_wait_weight: float = 2.0
    # Expected claim-to-resolve time until real ones exist (used for the wait estimate).
    handoff_default_handle_s: float = 300.0
    # An agent reply Rasa has not delivered after this many seconds is sent again (the bot delivers each once).
    handoff_redeliver_s: float = 3.0

    # Attachments of hand-overs (desk/attachments.py): images (PNG, JPEG, GIF, WebP) both ways and PDF files, each
    # checked by its content, at most this many bytes, kept under attachments_dir (empty: data_dir/attachments;
    # relative to the repo unless absolute; console replicas on one host share it). Customers' browsers fetch an
    # agent's file from the console at public_console_url (empty: console_url), e.g. https://kefu.example.com.
    attachment_max_bytes: int = 5_000_000
    attachments_dir: str = ""
    public_console_url: str = ""

    # Service recovery (kefu/compensation.py): what each role may grant without asking anyone (yuan; an agent's
    # larger grant goes to a supervisor for approval), what one customer may get per period, how points count, and
    # the coupon the bot offers by itself when an order is past its promised delivery date (0: none).
    compensation_limits: str = "bot=10; agent=50; supervisor=500"
    compensation_customer_cap: str = "300/30d"
    compensation_points_per_yuan: int = 100
    compensation_late_order: float = 10.0

    def compensation_policy(self) -> compensation.Policy:
        """The compensation policy these settings describe."""
        return compensation.Policy.parse(self.compensation_limits, self.compensation_customer_cap,
                                         self.compensation_points_per_yuan)

    # Personal data (kefu/pii.py): the desk masks phones, e-mails, ID and card numbers and addresses; these roles
    # may reveal a conversation's or ticket's text, and every reveal is audit-logged.
    pii_reveal_roles: str = "supervisor,admin"
    # `python -m console purge` with no --older-than removes conversations idle this many days.
    retention_days: int = 180

    # Identity (kefu/identity.py): the shop's server signs its logged-in customer's id with this secret (hex
    # HMAC-SHA256) and the widget passes both; a verified id joins the customer's conversations on every channel.
    # Empty: no claimed id is trusted and each channel identity is remembered on its own.
    identity_secret: SecretStr = SecretStr("")

    def reveal_roles(self) -> set[str]:
        """The roles that may reveal masked personal data."""
        return {r.strip() for r in self.pii_reveal_roles.split(",") if r.strip()}
    # Auto-assignment (desk/store/assignment.py): the console gives waiting hand-overs to online agents with room
    # (capacity set per agent by an admin), least load first, round-robin on ties, VIP first; checked on every queue
    # change and every `desk_assign_every_s`; an admin turns it off per team. False: agents claim from the queue.
    desk_auto_assign: bool = True
    desk_assign_every_s: float = 2.0
    # An agent who has not answered an auto-assigned hand-over this many seconds after getting it loses it: it goes
    # back to the queue (recorded in the conversation) and the next agent gets it.
    desk_reassign_after: float = 180.0
    # SLA targets per level, in seconds: first response / next response / resolution (desk/sla.py). Urgent: VIP
    # customers; high: frustrated ones; normal: the rest. Admins may change them in the desk. The console looks for
    # breaches every `desk_sla_check_s`.
    desk_sla: str = "urgent=60/300/1800; high=120/600/3600; normal=300/900/7200"
    desk_sla_check_s: float = 5.0
    # A waiting customer hears a new place in the queue at most this often (seconds): the console announces changed
    # places in rounds this far apart, so a place that moves back and forth is told once, where it settles.
    desk_position_update_s: float = 10.0

    # WeChat Official Account (bot/channels/wechat/). Empty token: the webhook answers 503 "not configured".
    wechat_token: SecretStr = Field(SecretStr(""), validation_alias=AliasChoices("WECHAT_TOKEN", "KEFU_WECHAT_TOKEN"))
    wechat_appid: str = Field("", validation_alias=AliasChoices("WECHAT_APPID", "KEFU_WECHAT_APPID"))
    wechat_secret: SecretStr = Field(SecretStr(""),
                                     validation_alias=AliasChoices("WECHAT_SECRET", "KEFU_WECHAT_SECRET"))
    wechat_encoding_aes_key: SecretStr = Field(
        SecretStr(""), validation_alias=AliasChoices("WECHAT_ENCODING_AES_KEY", "KEFU_WECHAT_ENCODING_AES_KEY"))
    wechat_api_base: str = Field("https://api.weixin.qq.com",
                                 validation_alias=AliasChoices("WECHAT_API_BASE", "KEFU_WECHAT_API_BASE"))

    # Structured values are checked when the settings load, so a typo stops the start, not the first hand-over.
    @field_validator("handoff_service_hours", "handoff_service_days", "handoff_timezone", "handoff_week_hours",
                     "handoff_holidays", "desk_sla", "compensation_limits", "compensation_customer_cap")
    @classmethod
    def _check_service_times(cls, value: str, info: ValidationInfo) -> str:
        SERVICE_TIME_CHECKS[str(info.field_name)](value)
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"log level must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {value!r}")
        return value

    @field_validator("rasa_port", "action_port", "console_port")
    @classmethod
    def _check_port(cls, value: int) -> int:
        if not 0 < value < 65536:
            raise ValueError(f"a port is between 1 and 65535, not {value}")
        return value

    @field_validator("wechat_api_base", "public_rasa_url", "order_api_url", "public_console_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http:// or https:// URL, not {value!r}")
        return value

    def path(self, p: Path) -> Path:
        """Resolve a configured path against the repository root."""
        return p if p.is_absolute() else ROOT / p

    @property
    def data_path(self) -> Path:
        """The data folder (databases, logs, tokens), created on first use."""
        path = self.path(self.data_dir)
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def tracker_url(self) -> str:
        """SQLAlchemy URL that Rasa's SQL tracker store connects to."""
        return self.database_url or f"sqlite:///{self.data_path / 'kefu.db'}"

    @property
    def kb_url(self) -> str:
        """SQLAlchemy URL of the knowledge base (the conversation database unless KB_DATABASE_URL says otherwise)."""
        return self.kb_database_url or self.tracker_url

    @property
    def kb_index_path(self) -> Path:
        """Folder of the FAISS index files."""
        return self.path(self.kb_index_dir) if self.kb_index_dir else self.data_path / "index"

    @property
    def kb_tune_delta_path(self) -> Path:
        """Where `tune` writes the shop's own embedder delta."""
        return self.path(self.kb_tune_delta) if self.kb_tune_delta else self.data_path / "kb-delta"

    @property
    def kb_model_path(self) -> str:
        """The embedding model: a local folder (resolved against the repo) or a hub id."""
        if self.kb_embedding_model == "auto":
            tuned = self.path(self.kb_tuned_model)
            return str(tuned if (tuned / "kefu_tuning.json").exists() else self.path(self.kb_base_model))
        local = self.path(Path(self.kb_embedding_model))
        return str(local) if local.exists() or self.kb_embedding_model.startswith(("models/", "./", "/")) else (
            self.kb_embedding_model
        )

    @property
    def desk_url(self) -> str:
        """SQLAlchemy URL of the handoff desk's tables: the conversation database."""
        return self.tracker_url

    @property
    def console_url(self) -> str:
        """Base URL of the console (agent desk)."""
        return f"http://{self.host}:{self.console_port}"

    @property
    def attachments_path(self) -> Path:
        """Where hand-overs' files are kept."""
        return self.path(Path(self.attachments_dir)) if self.attachments_dir else self.data_path / "attachments"

    @property
    def files_url(self) -> str:
        """Base URL of attachments (`/files/{token}`) as customers' browsers reach the console."""
        return (self.public_console_url or self.console_url).rstrip("/") + "/files"

    @property
    def action_url(self) -> str:
        """Webhook URL of the action server."""
        return f"http://{self.host}:{self.action_port}/webhook"

    @property
    def rasa_url(self) -> str:
        """Base URL of the Rasa server."""
        return f"http://{self.host}:{self.rasa_port}"

    def auth_token(self) -> str:
        """Rasa's HTTP API token: the configured one, else a generated one persisted in data_dir."""
        if self.rasa_token.get_secret_value():
            return self.rasa_token.get_secret_value()
        token_file = self.data_path / "rasa_token"
        if not token_file.exists():
            token_file.write_text(secrets.token_hex(32))
            token_file.chmod(0o600)
        return token_file.read_text().strip()

    def rasa_env(self) -> dict[str, str]:
        """Environment for Rasa processes: endpoints/credentials variables, telemetry off, caches in the repo."""
        cache = ROOT / ".cache"
        home = cache / "rasa-home"
        tmp = cache / "tmp"
        for folder in (home, tmp):
            folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.as_env()}
        env.update(
            {
                "KEFU_ACTION_URL": self.action_url,
                # Where the WeChat channel stores a customer's image (fetched through WeChat's media API).
                "KEFU_CONSOLE_URL": self.console_url,
                # The console tells the socket.io channel that an agent is typing, with Rasa's own API token.
                "KEFU_RASA_TOKEN": self.auth_token(),
                # Where the KB-aware router (bot/nlu/kb_router.py) asks for the knowledge base's signal.
                "KEFU_KB_SIGNAL_URL": f"http://{self.host}:{self.action_port}/kb/signal",
                "KEFU_DATABASE_URL": self.tracker_url,
                "KEFU_MAX_MESSAGE_CHARS": str(self.max_message_chars),
                # Read by the sentiment component and the escalation policy (bot/), which cannot import settings.
                "KEFU_SENTIMENT_MODEL_DIR": str(self.path(self.sentiment_model_dir)),
                "RASA_TELEMETRY_ENABLED": "false",
                # Rasa, TensorFlow, matplotlib and jieba write to ~ and the temp dir: keep that inside the repo.
                "HOME": str(home),
                "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_CACHE_HOME": str(cache),
                "MPLCONFIGDIR": str(cache / "matplotlib"),
                "TMPDIR": str(tmp),
                "TF_CPP_MIN_LOG_LEVEL": "2",
                "PYTHONPATH": str(ROOT),
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            }
        )
        return env

    @classmethod
    def env_names(cls) -> dict[str, str]:
        """Each setting's field name and the environment variable that sets it (its first alias, else KEFU_NAME)."""
        names: dict[str, str] = {}
        for name, info in cls.model_fields.items():
            alias = info.validation_alias
            names[name] = str(alias.choices[0]) if isinstance(alias, AliasChoices) else f"KEFU_{name.upper()}"
        return names

    def as_env(self) -> dict[str, str]:
        """Every setting as the environment variable that sets it, so child processes see the same values."""
        env: dict[str, str] = {}
        for name, key in self.env_names().items():
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            env[key] = str(value)
        return env

    def app_env(self) -> dict[str, str]:
        """Environment for app processes (action server): loopback binding and the same settings."""
        env = {**os.environ, **self.as_env()}
        env.update(
            {
                "SANIC_HOST": self.host,
                "KEFU_DATA_DIR": str(self.data_path),
                "KEFU_WARM_UP": "1",  # the action server loads the embedder and index at start, not on first use
                "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1",
                "PYTHONPATH": str(ROOT),
            }
        )
        return env


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
