-- pingyi core schema (SQLite). Keep in step with migrations/postgres: same tables,
-- columns, constraints and indexes; only the type spellings differ.
-- Times are UTC (TIMESTAMP written by the application); enums are TEXT with CHECKs.

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    sort_order INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE departments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    category_id INTEGER NOT NULL REFERENCES categories (id),
    -- newline-separated addresses; validated by the application
    contact_emails TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX departments_category_idx ON departments (category_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    email TEXT,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'assessor', 'department', 'operator')),
    department_id INTEGER REFERENCES departments (id),
    active BOOLEAN NOT NULL DEFAULT 1,
    must_change_password BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP,
    CHECK ((role = 'department') = (department_id IS NOT NULL))
);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    -- the visible start of the key, used to find the row; the rest is only stored hashed
    prefix TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL,
    scopes TEXT NOT NULL DEFAULT '',
    department_id INTEGER REFERENCES departments (id),
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);

CREATE TABLE indicators (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE questionnaires (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

-- A published version is immutable; editing creates the next version.
CREATE TABLE questionnaire_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    questionnaire_id INTEGER NOT NULL REFERENCES questionnaires (id),
    version INTEGER NOT NULL CHECK (version >= 1),
    title TEXT NOT NULL,
    title_en TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    description_en TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
    created_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    UNIQUE (questionnaire_id, version)
);

CREATE TABLE questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    questionnaire_version_id INTEGER NOT NULL REFERENCES questionnaire_versions (id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('rating5', 'single', 'multi', 'text', 'nps')),
    prompt TEXT NOT NULL,
    prompt_en TEXT NOT NULL DEFAULT '',
    required BOOLEAN NOT NULL DEFAULT 1,
    indicator_id INTEGER REFERENCES indicators (id),
    -- JSON array of {"value","label","label_en"} for single/multi
    options TEXT NOT NULL DEFAULT '[]',
    max_length INTEGER,
    UNIQUE (questionnaire_version_id, position),
    CHECK (indicator_id IS NULL OR kind = 'rating5')
);

CREATE TABLE links (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    questionnaire_version_id INTEGER NOT NULL REFERENCES questionnaire_versions (id),
    department_id INTEGER NOT NULL REFERENCES departments (id),
    channel TEXT NOT NULL CHECK (channel IN ('web', 'wechat', 'phone', 'newmedia', 'onsite', 'email', 'api')),
    label TEXT NOT NULL DEFAULT '',
    expires_at TIMESTAMP,
    max_responses INTEGER,
    response_count INTEGER NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX links_department_idx ON links (department_id);

-- 一次服务一次评价: one single-use token per served case; only its hash is stored.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    questionnaire_version_id INTEGER NOT NULL REFERENCES questionnaire_versions (id),
    department_id INTEGER NOT NULL REFERENCES departments (id),
    case_ref TEXT NOT NULL,
    email TEXT,
    respondent_group TEXT NOT NULL DEFAULT 'public' CHECK (respondent_group IN ('public', 'panel')),
    expires_at TIMESTAMP,
    sent_at TIMESTAMP,
    used_at TIMESTAMP,
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX invitations_department_idx ON invitations (department_id, created_at);

CREATE TABLE responses (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    receipt_code TEXT NOT NULL UNIQUE,
    -- one-time submission token: a re-post of the same form finds the stored response
    submission_key TEXT UNIQUE,
    questionnaire_version_id INTEGER NOT NULL REFERENCES questionnaire_versions (id),
    department_id INTEGER NOT NULL REFERENCES departments (id),
    channel TEXT NOT NULL CHECK (channel IN ('web', 'wechat', 'phone', 'newmedia', 'onsite', 'email', 'api')),
    respondent_group TEXT NOT NULL DEFAULT 'public' CHECK (respondent_group IN ('public', 'panel')),
    link_id INTEGER REFERENCES links (id),
    invitation_id INTEGER UNIQUE REFERENCES invitations (id),
    operator_id INTEGER REFERENCES users (id),
    api_key_id INTEGER REFERENCES api_keys (id),
    submitted_at TIMESTAMP NOT NULL,
    duration_ms INTEGER,
    -- HMAC of address + user agent and of the network (/24, /48); never the raw address
    client_hash TEXT,
    network_hash TEXT,
    lang TEXT NOT NULL DEFAULT 'zh',
    status TEXT NOT NULL CHECK (status IN ('valid', 'suspect', 'rejected')),
    flags TEXT NOT NULL DEFAULT '',
    -- an upheld appeal takes a response out of the scores without deleting it
    excluded BOOLEAN NOT NULL DEFAULT 0,
    contact TEXT,
    reviewed_by INTEGER REFERENCES users (id),
    reviewed_at TIMESTAMP,
    review_note TEXT
);
CREATE INDEX responses_department_time_idx ON responses (department_id, submitted_at);
CREATE INDEX responses_time_idx ON responses (submitted_at);
CREATE INDEX responses_status_idx ON responses (status, submitted_at);
CREATE INDEX responses_client_idx ON responses (client_hash, department_id, submitted_at);
CREATE INDEX responses_network_idx ON responses (network_hash, department_id, submitted_at);

CREATE TABLE answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    response_id INTEGER NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    question_id INTEGER NOT NULL REFERENCES questions (id),
    -- rating5: 1..5; nps: 0..10
    level INTEGER,
    -- single/multi: JSON array of option values
    choices TEXT,
    text_value TEXT,
    UNIQUE (response_id, question_id)
);
CREATE INDEX answers_question_idx ON answers (question_id);

-- Running totals of counted rating answers, kept in step with responses so that a period is
-- scored from at most (departments x indicators x days x levels) rows, not from every answer.
CREATE TABLE rating_tallies (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments (id),
    indicator_id INTEGER NOT NULL REFERENCES indicators (id),
    -- local calendar day in the deployment's time zone, YYYY-MM-DD
    day TEXT NOT NULL,
    channel TEXT NOT NULL,
    respondent_group TEXT NOT NULL,
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    n INTEGER NOT NULL DEFAULT 0,
    UNIQUE (department_id, indicator_id, day, channel, respondent_group, level)
);
CREATE INDEX rating_tallies_day_idx ON rating_tallies (day);

-- Counted responses per department, day, channel and group: N of the scoring method.
CREATE TABLE response_tallies (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments (id),
    day TEXT NOT NULL,
    channel TEXT NOT NULL,
    respondent_group TEXT NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    UNIQUE (department_id, day, channel, respondent_group)
);
CREATE INDEX response_tallies_day_idx ON response_tallies (day);

-- 考核方案: the scheme is a name; each version holds its parameters and is immutable once used.
CREATE TABLE schemes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE scheme_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    scheme_id INTEGER NOT NULL REFERENCES schemes (id),
    version INTEGER NOT NULL CHECK (version >= 1),
    basis TEXT NOT NULL DEFAULT 'rate' CHECK (basis IN ('rate', 'mean_score')),
    -- levels at or above this count as satisfied
    satisfied_min_level INTEGER NOT NULL DEFAULT 3 CHECK (satisfied_min_level BETWEEN 1 AND 5),
    -- JSON array of the scores of levels 1..5
    level_scores TEXT NOT NULL DEFAULT '[0,30,60,80,100]',
    min_sample INTEGER NOT NULL DEFAULT 30,
    -- 'auto' or a number; '0' turns shrinkage off
    shrinkage_k TEXT NOT NULL DEFAULT '10',
    -- JSON array of {"grade","min"} from best to worst
    grade_bands TEXT NOT NULL,
    excellent_cap DOUBLE NOT NULL DEFAULT 0.2,
    -- JSON object such as {"public":70,"panel":30}; {} pools all respondents
    group_weights TEXT NOT NULL DEFAULT '{}',
    in_use BOOLEAN NOT NULL DEFAULT 0,
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (scheme_id, version)
);

CREATE TABLE scheme_indicators (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    scheme_version_id INTEGER NOT NULL REFERENCES scheme_versions (id),
    indicator_id INTEGER NOT NULL REFERENCES indicators (id),
    weight DOUBLE NOT NULL CHECK (weight > 0),
    position INTEGER NOT NULL DEFAULT 0,
    UNIQUE (scheme_version_id, indicator_id)
);

CREATE TABLE periods (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('month', 'quarter', 'year', 'custom')),
    -- 2026-10, 2026-Q3, 2026, or a custom name
    label TEXT NOT NULL,
    -- [starts_at, ends_at) in UTC, computed from local dates in time_zone
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    time_zone TEXT NOT NULL,
    scheme_version_id INTEGER REFERENCES scheme_versions (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (kind, label),
    CHECK (starts_at < ends_at)
);

-- Publishing freezes a period's results; re-publishing adds a version, never overwrites.
CREATE TABLE result_snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    period_id INTEGER NOT NULL REFERENCES periods (id),
    version INTEGER NOT NULL CHECK (version >= 1),
    scheme_version_id INTEGER NOT NULL REFERENCES scheme_versions (id),
    counts TEXT NOT NULL,
    results TEXT NOT NULL,
    checksum TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    published_by INTEGER REFERENCES users (id),
    published_at TIMESTAMP NOT NULL,
    UNIQUE (period_id, version)
);

-- 整改: one case per poor rating.
CREATE TABLE cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    response_id INTEGER NOT NULL UNIQUE REFERENCES responses (id),
    department_id INTEGER NOT NULL REFERENCES departments (id),
    status TEXT NOT NULL CHECK (status IN ('open', 'replied', 'returned', 'closed', 'cancelled')),
    opened_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP NOT NULL,
    reply TEXT,
    replied_at TIMESTAMP,
    replied_by INTEGER REFERENCES users (id),
    verified_at TIMESTAMP,
    verified_by INTEGER REFERENCES users (id),
    -- 回访满意度: the resident's rating of how the case was handled
    followup_level INTEGER CHECK (followup_level BETWEEN 1 AND 5),
    followup_at TIMESTAMP,
    last_reminded_at TIMESTAMP
);
CREATE INDEX cases_department_status_idx ON cases (department_id, status, due_at);

CREATE TABLE case_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    at TIMESTAMP NOT NULL,
    actor_id INTEGER REFERENCES users (id),
    kind TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    visible_to_resident BOOLEAN NOT NULL DEFAULT 1
);
CREATE INDEX case_events_case_idx ON case_events (case_id, at);

-- 申诉复核: only the office decides.
CREATE TABLE appeals (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    response_id INTEGER NOT NULL REFERENCES responses (id),
    department_id INTEGER NOT NULL REFERENCES departments (id),
    ground TEXT NOT NULL CHECK (ground IN ('mistaken', 'malicious')),
    statement TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('pending', 'upheld', 'dismissed')),
    submitted_by INTEGER REFERENCES users (id),
    submitted_at TIMESTAMP NOT NULL,
    decided_by INTEGER REFERENCES users (id),
    decided_at TIMESTAMP,
    decision_note TEXT
);
CREATE INDEX appeals_response_idx ON appeals (response_id);
CREATE INDEX appeals_status_idx ON appeals (status, submitted_at);

-- Working-day calendar overrides: public holidays and adjusted working days (调休).
CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name TEXT NOT NULL DEFAULT ''
);

-- Persistent outbox: every email is stored first and sent with retries.
CREATE TABLE email_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- makes enqueueing idempotent (e.g. one reminder per case and day)
    dedupe_key TEXT UNIQUE,
    to_addrs TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX email_outbox_due_idx ON email_outbox (status, next_attempt_at);

CREATE TABLE email_attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    email_id INTEGER NOT NULL REFERENCES email_outbox (id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE INDEX email_attachments_email_idx ON email_attachments (email_id);

-- Scheduled jobs are claimed through this table: UNIQUE (job, run_key) makes a run happen once
-- across every node.
CREATE TABLE job_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    job TEXT NOT NULL,
    run_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    node TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    detail TEXT NOT NULL DEFAULT '',
    UNIQUE (job, run_key)
);

-- Generated files kept for download (e.g. the monthly scoring sheet).
CREATE TABLE stored_exports (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL,
    period_id INTEGER REFERENCES periods (id),
    snapshot_id INTEGER REFERENCES result_snapshots (id),
    job_run_id INTEGER REFERENCES job_runs (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id INTEGER REFERENCES users (id),
    -- who acted, readable even for the CLI, the scheduler or an API key
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL DEFAULT '',
    before_state TEXT,
    after_state TEXT
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);
