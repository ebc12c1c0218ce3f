//! A resident's rating through a link: the form to show, and the submission with its checks
//! (form token, answers, link open, data quality) stored in one transaction.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use chrono::{Duration, NaiveDateTime};

use crate::db::links::{self, LinkPage, PageText};
use crate::db::responses::{NewAnswer, NewResponse};
use crate::db::writer::{Write, WriteError, Writer};
use crate::db::{
    AnyConnection, DbError, DbPool, departments, invitations, questionnaires, responses, settings,
};
use crate::domain::api_key::IdempotencyKey;
use crate::domain::department::DepartmentRefusal;
use crate::domain::survey::{self, Answer, Choice, FormMismatch, Kind, Problem, Question};
use crate::domain::vocabulary::{Channel, Group, ResponseStatus};
use crate::security::form_token::{self, TokenError};
use crate::security::{self, SecretKey};

/// Data-quality thresholds; the office can change them in the settings table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Sooner than this after the form was served: suspect.
    pub min_seconds: i64,
    /// Another response from the same client to the same department within this: suspect.
    pub same_client_hours: i64,
    /// More than `burst_count` responses from one network within `burst_minutes`: suspect.
    pub burst_count: i64,
    pub burst_minutes: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            min_seconds: 3,
            same_client_hours: 24,
            burst_count: 20,
            burst_minutes: 10,
        }
    }
}

impl Thresholds {
    /// Keys `quality.min_seconds`, `quality.same_client_hours`, `quality.burst_count`,
    /// `quality.burst_minutes`; a missing or unreadable value keeps its default.
    pub fn load(conn: &mut AnyConnection) -> Result<Self, DbError> {
        let stored = settings::with_prefix(conn, "quality.")?;
        let get = |key: &str, default: i64| {
            stored
                .iter()
                .find(|(k, _)| k == key)
                .and_then(|(_, v)| v.trim().parse().ok())
                .unwrap_or(default)
        };
        let d = Thresholds::default();
        Ok(Thresholds {
            min_seconds: get("quality.min_seconds", d.min_seconds),
            same_client_hours: get("quality.same_client_hours", d.same_client_hours),
            burst_count: get("quality.burst_count", d.burst_count),
            burst_minutes: get("quality.burst_minutes", d.burst_minutes),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    Inactive,
    Expired,
    Full,
    /// An invitation is single-use: 一次服务一次评价.
    Used,
}

/// Per-question problems of a submission, by question id.
pub type Problems = BTreeMap<i64, Problem>;

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("链接不存在 no such link")]
    NoLink,
    #[error("链接已关闭 the link is closed: {0:?}")]
    Closed(Closed),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Mismatch(#[from] FormMismatch),
    #[error("有题目需要修改 some answers need attention")]
    Invalid(BTreeMap<i64, Problem>),
    #[error(transparent)]
    Department(#[from] DepartmentRefusal),
    #[error("没有已发布的问卷 {0} no published questionnaire has the code '{0}'")]
    NoQuestionnaire(String),
    /// A direct evaluation names a channel of links (web, wechat, …).
    #[error(
        "直接录入只接受 phone、onsite、api 渠道 direct evaluations take channels phone, onsite and api, not '{0}'"
    )]
    NotDirect(Channel),
    /// The writer cannot take it now (its queue is full, or the server is stopping): nothing
    /// was stored, and the same post may be sent again.
    #[error("系统繁忙，未保存 the server is busy; nothing was stored")]
    Busy,
    /// The commit was cut off (the connection broke during COMMIT): the submission under this
    /// receipt code may or may not be stored. Looking the code up tells; re-posting the same
    /// form stores it at most once.
    #[error("提交结果未知，回执码 {0} the outcome is unknown; receipt code {0}")]
    OutcomeUnknown(String),
    /// The work on the blocking pool failed (a bug): not the resident's to retry.
    #[error("internal error: {0}")]
    Internal(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl SubmitError {
    /// Nothing was stored because the database or the writer could not take it: the same post
    /// may be sent again.
    pub fn is_unavailable(&self) -> bool {
        match self {
            SubmitError::Busy => true,
            SubmitError::Db(e) => e.is_unavailable(),
            _ => false,
        }
    }
}

impl From<diesel::result::Error> for SubmitError {
    fn from(e: diesel::result::Error) -> Self {
        SubmitError::Db(e.into())
    }
}

/// How a resident arrived: a shared link, or a personal single-use invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Link(String),
    Invitation(String),
}

impl Entry {
    /// The page's address, which the form posts back to.
    pub fn path(&self) -> String {
        match self {
            Entry::Link(code) => format!("/s/{code}"),
            Entry::Invitation(token) => format!("/i/{token}"),
        }
    }
}

/// What a response through this entry is bound to, and what its page shows.
#[derive(Debug, Clone)]
pub struct Target {
    pub questionnaire_version_id: i64,
    pub department_id: i64,
    pub channel: Channel,
    pub group: Group,
    pub link_id: Option<i64>,
    pub invitation_id: Option<i64>,
    pub text: PageText,
}

pub struct SurveyForm {
    pub target: Target,
    pub questions: Arc<Vec<Question>>,
}

/// How long a node serves a link's page and the quality thresholds from memory. A link switched
/// off or a threshold changed in the office takes effect within this; the response cap is
/// enforced in the write itself, never from memory.
pub const PAGE_TTL: Duration = Duration::seconds(2);
/// Links remembered at most; beyond this the memory starts over (random codes cannot grow it).
const MAX_CACHED_LINKS: usize = 10_000;

/// What the survey path reads on every request, kept per node: the questions of questionnaire
/// versions (published versions never change), and briefly, link pages and thresholds.
#[derive(Default)]
pub struct Catalog {
    questions: RwLock<HashMap<i64, Arc<Vec<Question>>>>,
    links: RwLock<HashMap<String, (NaiveDateTime, Arc<LinkPage>)>>,
    thresholds: RwLock<Option<(NaiveDateTime, Thresholds)>>,
}

impl Catalog {
    pub fn questions(
        &self,
        conn: &mut AnyConnection,
        version_id: i64,
    ) -> Result<Arc<Vec<Question>>, DbError> {
        if let Some(found) = self.cached_questions(version_id) {
            return Ok(found);
        }
        let loaded = Arc::new(questions(conn, version_id)?);
        if let Ok(mut m) = self.questions.write() {
            m.insert(version_id, loaded.clone());
        }
        Ok(loaded)
    }

    fn cached_questions(&self, version_id: i64) -> Option<Arc<Vec<Question>>> {
        self.questions.read().ok()?.get(&version_id).cloned()
    }

    fn cached_link(&self, code: &str, now: NaiveDateTime) -> Option<Arc<LinkPage>> {
        let links = self.links.read().ok()?;
        let (at, page) = links.get(code)?;
        (now - *at < PAGE_TTL && *at <= now).then(|| page.clone())
    }

    /// The link's page, from memory when read less than `PAGE_TTL` ago.
    pub fn link(
        &self,
        conn: &mut AnyConnection,
        code: &str,
        now: NaiveDateTime,
    ) -> Result<Option<Arc<LinkPage>>, DbError> {
        if let Some(page) = self.cached_link(code, now) {
            return Ok(Some(page));
        }
        let Some(page) = links::page(conn, code)? else {
            return Ok(None);
        };
        let page = Arc::new(page);
        if let Ok(mut m) = self.links.write() {
            if m.len() >= MAX_CACHED_LINKS {
                m.clear();
            }
            m.insert(code.to_string(), (now, page.clone()));
        }
        Ok(Some(page))
    }

    /// Drops a link's remembered page: after it was switched off or changed here, or a write
    /// found it closed. (Other nodes notice within `PAGE_TTL`.)
    pub fn forget_link(&self, code: &str) {
        if let Ok(mut m) = self.links.write() {
            m.remove(code);
        }
    }

    /// The quality thresholds, from memory when read less than `PAGE_TTL` ago.
    pub fn thresholds(&self, conn: &mut AnyConnection, now: NaiveDateTime) -> Result<Thresholds, DbError> {
        if let Some((at, t)) = self.thresholds.read().ok().and_then(|t| *t)
            && now - at < PAGE_TTL
            && at <= now
        {
            return Ok(t);
        }
        let t = Thresholds::load(conn)?;
        if let Ok(mut slot) = self.thresholds.write() {
            *slot = Some((now, t));
        }
        Ok(t)
    }

    /// The form of a link entirely from memory, when everything it needs is fresh there: the
    /// page is then rendered without waiting for a database thread.
    pub fn cached_form(&self, entry: &Entry, now: NaiveDateTime) -> Option<Result<SurveyForm, SubmitError>> {
        let Entry::Link(code) = entry else {
            return None;
        };
        let page = self.cached_link(code, now)?;
        let questions = self.cached_questions(page.link.questionnaire_version_id)?;
        Some(link_target(&page, now).map(|target| SurveyForm { target, questions }))
    }
}

/// SHA-256 of an invitation token, as stored.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Whether a link takes ratings at `now`, and what a response through it is bound to.
fn link_target(page: &LinkPage, now: NaiveDateTime) -> Result<Target, SubmitError> {
    let link = &page.link;
    // A deactivated department takes no ratings, whichever way they would come.
    if !link.active || !page.department_active {
        return Err(SubmitError::Closed(Closed::Inactive));
    }
    if link.expires_at.is_some_and(|e| e <= now) {
        return Err(SubmitError::Closed(Closed::Expired));
    }
    if link.max_responses.is_some_and(|cap| link.response_count >= cap) {
        return Err(SubmitError::Closed(Closed::Full));
    }
    Ok(Target {
        questionnaire_version_id: link.questionnaire_version_id,
        department_id: link.department_id,
        // A stored channel outside the vocabulary cannot come from a link; read it as web.
        channel: Channel::parse(&link.channel).unwrap_or(Channel::Web),
        group: Group::Public,
        link_id: Some(link.id),
        invitation_id: None,
        text: page.text.clone(),
    })
}

fn resolve(
    conn: &mut AnyConnection,
    catalog: &Catalog,
    entry: &Entry,
    now: NaiveDateTime,
) -> Result<Target, SubmitError> {
    match entry {
        Entry::Link(code) => {
            let page = catalog.link(conn, code, now)?.ok_or(SubmitError::NoLink)?;
            link_target(&page, now)
        }
        Entry::Invitation(token) => {
            let inv = invitations::page(conn, &token_hash(token))?.ok_or(SubmitError::NoLink)?;
            if inv.used_at.is_some() {
                return Err(SubmitError::Closed(Closed::Used));
            }
            if !inv.department_active {
                return Err(SubmitError::Closed(Closed::Inactive));
            }
            if inv.expires_at.is_some_and(|e| e <= now) {
                return Err(SubmitError::Closed(Closed::Expired));
            }
            Ok(Target {
                questionnaire_version_id: inv.questionnaire_version_id,
                department_id: inv.department_id,
                channel: Channel::Email,
                group: Group::parse(&inv.group).unwrap_or(Group::Public),
                link_id: None,
                invitation_id: Some(inv.id),
                text: inv.text,
            })
        }
    }
}

/// The entry's page and questions, or why it cannot be answered.
pub fn form(
    conn: &mut AnyConnection,
    catalog: &Catalog,
    entry: &Entry,
    now: NaiveDateTime,
) -> Result<SurveyForm, SubmitError> {
    let target = resolve(conn, catalog, entry, now)?;
    let questions = catalog.questions(conn, target.questionnaire_version_id)?;
    Ok(SurveyForm { target, questions })
}

/// Where a submission comes from. Only keyed hashes of it are stored.
pub struct Client {
    pub ip: IpAddr,
    pub user_agent: String,
}

pub struct Submission {
    pub token: String,
    /// Every posted field (answers are `q{id}`).
    pub fields: Vec<(String, String)>,
    /// The hidden field people leave empty and form-filling bots do not.
    pub honeypot: String,
    pub lang: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub code: String,
    /// False when this was a re-post of a form already stored.
    pub new: bool,
}

/// HMAC of the address and user agent, and of the address's network (/24, /48).
pub fn client_hashes(secret: &SecretKey, client: &Client) -> (String, String) {
    let key = SecretKey::from_bytes(&secret.derive("client-hash"));
    let client_hash = hex::encode(&key.mac(format!("{}|{}", client.ip, client.user_agent).as_bytes())[..16]);
    let network = match client.ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    };
    let network_hash = hex::encode(&key.mac(network.as_bytes())[..16]);
    (client_hash, network_hash)
}

/// A checked submission: already stored (a re-post), or ready for the writer.
pub enum Prepared {
    Stored(Receipt),
    New { receipt: Receipt, write: Box<Write> },
}

/// Checks a submission (token, answers, data quality) and builds what to store; the caller hands
/// it to the writer ([`crate::db::writer`]), and shows the receipt only after the commit.
pub fn prepare(
    conn: &mut AnyConnection,
    catalog: &Catalog,
    secret: &SecretKey,
    entry: &Entry,
    submission: Submission,
    client: &Client,
    now: NaiveDateTime,
) -> Result<Prepared, SubmitError> {
    let now_secs = now.and_utc().timestamp();
    let token = form_token::verify(secret, &entry.path(), &submission.token, now_secs)?;
    let form = match form(conn, catalog, entry, now) {
        Ok(form) => form,
        // A re-post of a stored form gets its receipt, even when that response used up the
        // entry. (While the entry is open, the writer finds such a re-post by its key.)
        Err(closed @ SubmitError::Closed(_)) => {
            return match links::receipt_for_submission(conn, &token.nonce)? {
                Some(code) => Ok(Prepared::Stored(Receipt { code, new: false })),
                None => Err(closed),
            };
        }
        Err(e) => return Err(e),
    };
    let answers = survey::parse(&form.questions, &submission.fields)?.map_err(SubmitError::Invalid)?;
    let thresholds = catalog.thresholds(conn, now)?;
    let (client_hash, network_hash) = client_hashes(secret, client);
    let target = &form.target;
    let mut flags = Vec::new();
    let elapsed = now_secs.saturating_sub(token.issued_at);
    if !submission.honeypot.trim().is_empty() {
        flags.push("honeypot");
    }
    if elapsed < thresholds.min_seconds {
        flags.push("too_fast");
    }
    let since = now - Duration::hours(thresholds.same_client_hours);
    if links::rated_recently(conn, &client_hash, target.department_id, since)? {
        flags.push("same_client");
    }
    let burst_since = now - Duration::minutes(thresholds.burst_minutes);
    let cap = thresholds.burst_count;
    if links::recent_from_network(conn, &network_hash, target.department_id, burst_since, cap)? >= cap {
        flags.push("burst");
    }
    let status = if flags.contains(&"honeypot") {
        ResponseStatus::Rejected
    } else if flags.is_empty() {
        ResponseStatus::Valid
    } else {
        ResponseStatus::Suspect
    };
    let channel = target.channel.as_opened_by(&client.user_agent);
    let receipt = security::receipt_code();
    let response = NewResponse {
        receipt_code: receipt.clone(),
        submission_key: Some(token.nonce.clone()),
        questionnaire_version_id: target.questionnaire_version_id,
        department_id: target.department_id,
        channel: channel.as_str().into(),
        respondent_group: target.group.as_str().into(),
        link_id: target.link_id,
        invitation_id: target.invitation_id,
        operator_id: None,
        api_key_id: None,
        submitted_at: now,
        duration_ms: i32::try_from(elapsed.saturating_mul(1000)).ok(),
        client_hash: Some(client_hash),
        network_hash: Some(network_hash),
        lang: if submission.lang == "en" { "en" } else { "zh" }.into(),
        status: status.as_str().into(),
        flags: flags.join(","),
        excluded: false,
        contact: None,
    };
    Ok(Prepared::New {
        receipt: Receipt {
            code: receipt,
            new: true,
        },
        write: Box::new(Write {
            response,
            answers: answer_rows(answers),
            link_id: target.link_id,
            invitation_id: target.invitation_id,
            now,
        }),
    })
}

/// Checked answers as rows to store.
fn answer_rows(answers: BTreeMap<i64, Answer>) -> Vec<NewAnswer> {
    answers
        .into_iter()
        .map(|(question_id, a)| match a {
            Answer::Level(l) => NewAnswer {
                question_id,
                level: Some(l),
                choices: None,
                text_value: None,
            },
            Answer::Choices(c) => NewAnswer {
                question_id,
                level: None,
                choices: Some(serde_json::to_string(&c).unwrap_or_default()),
                text_value: None,
            },
            Answer::Text(t) => NewAnswer {
                question_id,
                level: None,
                choices: None,
                text_value: Some(t),
            },
        })
        .collect()
}

/// The questions of a questionnaire version, in order.
pub fn questions(conn: &mut AnyConnection, version_id: i64) -> Result<Vec<Question>, DbError> {
    Ok(links::questions_of(conn, version_id)?
        .into_iter()
        .filter_map(|(id, kind, prompt, prompt_en, required, options, max_length)| {
            Some(Question {
                id,
                kind: Kind::parse(&kind)?,
                prompt,
                prompt_en,
                required,
                choices: serde_json::from_str::<Vec<Choice>>(&options).unwrap_or_default(),
                max_length: max_length.map_or(survey::DEFAULT_MAX_TEXT, |m| m.max(1) as usize),
            })
        })
        .collect())
}

/// An evaluation given by phone, at a rating pad or by another system (channels `phone`,
/// `onsite`, `api`): no form token or client checks, the caller is an operator or an API key.
pub struct Direct {
    /// The department's code, or its id as the operator's form sends it.
    pub department: DepartmentRef,
    /// The questionnaire's code; its current published version is answered.
    pub questionnaire: String,
    pub channel: Channel,
    pub group: Group,
    pub operator_id: Option<i64>,
    pub api_key_id: Option<i64>,
    /// Answers as form fields (`q{id}`), checked like the survey form's.
    pub fields: Vec<(String, String)>,
    /// The caller's name for this submission (API only): stored once per API key; a re-post
    /// gets the first receipt.
    pub idempotency_key: Option<IdempotencyKey>,
}

impl Direct {
    /// The submission key stored with the response, when the caller named one.
    fn submission_key(&self) -> Option<String> {
        Some(self.idempotency_key.as_ref()?.stored_for(self.api_key_id?))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DepartmentRef {
    Id(i64),
    Code(String),
}

/// What became of a resident's submission.
pub enum Outcome {
    /// Stored now, or before (a re-post): show the receipt.
    Stored(Receipt),
    /// Nothing stored: show the form again with the answers given, the problems found, and
    /// whether the form had expired.
    Again {
        form: Box<SurveyForm>,
        problems: Problems,
        expired: bool,
    },
}

/// The survey path's shared parts, built once by the server: every submission, from the form,
/// the operators' console or the API, goes through [`Collector::submit`] or
/// [`Collector::submit_direct`] and so through the group-commit writer.
#[derive(Clone)]
pub struct Collector {
    pub pool: DbPool,
    pub catalog: Arc<Catalog>,
    pub secret: SecretKey,
    pub writer: Arc<Writer>,
}

impl Collector {
    /// Runs database work on the blocking pool with a pooled connection.
    async fn blocking<T, F>(&self, work: F) -> Result<T, SubmitError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection, &Catalog) -> Result<T, SubmitError> + Send + 'static,
    {
        let (pool, catalog) = (self.pool.clone(), self.catalog.clone());
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(DbError::from)?;
            work(&mut conn, &catalog)
        })
        .await
        .map_err(|e| SubmitError::Internal(e.to_string()))?
    }

    /// The entry's page and questions, or why it cannot be answered. A link read in the last
    /// moments is served from memory without waiting for a database thread.
    pub async fn form(&self, entry: &Entry, now: NaiveDateTime) -> Result<SurveyForm, SubmitError> {
        if let Some(form) = self.catalog.cached_form(entry, now) {
            return form;
        }
        let e = entry.clone();
        self.blocking(move |conn, catalog| form(conn, catalog, &e, now))
            .await
    }

    /// Checks a resident's submission, stores it through the writer (the receipt exists only
    /// once its commit is durable), and says what to show.
    pub async fn submit(
        &self,
        entry: &Entry,
        submission: Submission,
        client: Client,
        now: NaiveDateTime,
    ) -> Result<Outcome, SubmitError> {
        let (secret, e) = (self.secret.clone(), entry.clone());
        let prepared = self
            .blocking(move |conn, catalog| {
                match prepare(conn, catalog, &secret, &e, submission, &client, now) {
                    Ok(prepared) => Ok(Ok(prepared)),
                    // Shown again with the answers: reload what the page needs.
                    Err(SubmitError::Invalid(problems)) => {
                        Ok(Err((form(conn, catalog, &e, now)?, problems, false)))
                    }
                    Err(SubmitError::Token(TokenError::Expired)) => {
                        Ok(Err((form(conn, catalog, &e, now)?, Problems::new(), true)))
                    }
                    Err(other) => Err(other),
                }
            })
            .await?;
        let (receipt, write) = match prepared {
            Err((form, problems, expired)) => {
                return Ok(Outcome::Again {
                    form: Box::new(form),
                    problems,
                    expired,
                });
            }
            Ok(Prepared::Stored(receipt)) => return Ok(Outcome::Stored(receipt)),
            Ok(Prepared::New { receipt, write }) => (receipt, write),
        };
        let key = write.response.submission_key.clone().unwrap_or_default();
        match self.writer.write(*write).await {
            Ok(()) => Ok(Outcome::Stored(receipt)),
            Err(WriteError::Full) => {
                // The link stopped taking ratings (full, or switched off or expired since its
                // page was read): read it afresh to say why, and so the next visitor sees it.
                if let Entry::Link(code) = entry {
                    self.catalog.forget_link(code);
                }
                let e = entry.clone();
                let fresh = self
                    .blocking(move |conn, catalog| form(conn, catalog, &e, now).map(|_| ()))
                    .await;
                match fresh {
                    Err(closed @ SubmitError::Closed(_)) => Err(closed),
                    _ => Err(SubmitError::Closed(Closed::Full)),
                }
            }
            Err(WriteError::Used) => Err(SubmitError::Closed(Closed::Used)),
            // The same form posted twice at once: the other post stored it.
            Err(WriteError::Duplicate) => {
                let existing = self
                    .blocking(move |conn, _| Ok(links::receipt_for_submission(conn, &key)?))
                    .await?;
                existing
                    .map(|code| Outcome::Stored(Receipt { code, new: false }))
                    .ok_or(SubmitError::Busy)
            }
            Err(WriteError::Db(e)) => Err(SubmitError::Db(e)),
            Err(WriteError::Unknown(_)) => Err(SubmitError::OutcomeUnknown(receipt.code)),
            Err(WriteError::Stopped | WriteError::Busy) => Err(SubmitError::Busy),
        }
    }

    /// Checks a direct evaluation (channel, department in use, questionnaire published,
    /// answers) and stores it through the writer. Returns the receipt (`new: false` when its
    /// idempotency key was stored before: nothing new is stored).
    pub async fn submit_direct(&self, direct: Direct, now: NaiveDateTime) -> Result<Receipt, SubmitError> {
        self.submit_direct_many(vec![direct], now)
            .await?
            .pop()
            .unwrap_or_else(|| Err(SubmitError::Internal("no outcome for a submission".into())))
    }

    /// Many direct evaluations at once (the API's batch): each checked exactly as one is, the
    /// new ones handed to the writer together (one job, so one or a few commits), each answered
    /// on its own and in order; one refused does not refuse the others. The outer error is for
    /// the whole call (the database unreachable while checking): nothing was stored then.
    pub async fn submit_direct_many(
        &self,
        directs: Vec<Direct>,
        now: NaiveDateTime,
    ) -> Result<Vec<Result<Receipt, SubmitError>>, SubmitError> {
        let steps = self
            .blocking(move |conn, catalog| check_directs(conn, catalog, directs, now))
            .await?;
        let mut results: Vec<Option<Result<Receipt, SubmitError>>> = Vec::with_capacity(steps.len());
        let mut writes = Vec::new();
        let mut written = Vec::new(); // (index, receipt code, submission key)
        for (i, step) in steps.into_iter().enumerate() {
            match step {
                Step::Done(outcome) => results.push(Some(outcome)),
                Step::Write(write) => {
                    written.push((
                        i,
                        write.response.receipt_code.clone(),
                        write.response.submission_key.clone(),
                    ));
                    writes.push(*write);
                    results.push(None);
                }
            }
        }
        let outcomes = self.writer.write_many(writes).await;
        // Keys stored by someone else meanwhile, or twice in this call: the first one stands.
        let mut duplicates = Vec::new();
        for ((i, code, key), outcome) in written.into_iter().zip(outcomes) {
            results[i] = Some(match outcome {
                Ok(()) => Ok(Receipt { code, new: true }),
                Err(WriteError::Duplicate) => {
                    duplicates.push((i, key.unwrap_or_default()));
                    continue;
                }
                Err(WriteError::Db(e)) => Err(SubmitError::Db(e)),
                Err(WriteError::Unknown(_)) => Err(SubmitError::OutcomeUnknown(code)),
                Err(_) => Err(SubmitError::Busy),
            });
        }
        if !duplicates.is_empty() {
            let keys: Vec<String> = duplicates.iter().map(|(_, k)| k.clone()).collect();
            let found = self
                .blocking(move |conn, _| Ok(responses::receipts_for_submissions(conn, &keys)?))
                .await?;
            for (i, key) in duplicates {
                results[i] = Some(
                    found
                        .get(&key)
                        .map(|code| Receipt {
                            code: code.clone(),
                            new: false,
                        })
                        .ok_or(SubmitError::Busy),
                );
            }
        }
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(SubmitError::Internal("no outcome for a submission".into()))))
            .collect())
    }
}

/// A direct evaluation after its checks: answered already, or to be written.
enum Step {
    Done(Result<Receipt, SubmitError>),
    Write(Box<Write>),
}

/// The checks of direct evaluations, on one connection: a key stored before answers with its
/// receipt; departments and questionnaires named several times are read once.
fn check_directs(
    conn: &mut AnyConnection,
    catalog: &Catalog,
    directs: Vec<Direct>,
    now: NaiveDateTime,
) -> Result<Vec<Step>, SubmitError> {
    let keys: Vec<String> = directs.iter().filter_map(Direct::submission_key).collect();
    let stored = responses::receipts_for_submissions(conn, &keys)?;
    let mut departments: HashMap<DepartmentRef, Option<(i64, bool)>> = HashMap::new();
    let mut versions: HashMap<String, Option<i64>> = HashMap::new();
    let mut steps = Vec::with_capacity(directs.len());
    for direct in directs {
        let key = direct.submission_key();
        if let Some(code) = key.as_ref().and_then(|k| stored.get(k)) {
            steps.push(Step::Done(Ok(Receipt {
                code: code.clone(),
                new: false,
            })));
            continue;
        }
        match check_direct(conn, catalog, &mut departments, &mut versions, direct, key, now) {
            Ok(write) => steps.push(Step::Write(Box::new(write))),
            Err(SubmitError::Db(e)) => return Err(SubmitError::Db(e)),
            Err(refused) => steps.push(Step::Done(Err(refused))),
        }
    }
    Ok(steps)
}

/// One direct evaluation's checks (the same for the console, the API and its batch).
fn check_direct(
    conn: &mut AnyConnection,
    catalog: &Catalog,
    departments_seen: &mut HashMap<DepartmentRef, Option<(i64, bool)>>,
    versions_seen: &mut HashMap<String, Option<i64>>,
    direct: Direct,
    submission_key: Option<String>,
    now: NaiveDateTime,
) -> Result<Write, SubmitError> {
    if !Channel::DIRECT.contains(&direct.channel) {
        return Err(SubmitError::NotDirect(direct.channel));
    }
    let department = match departments_seen.get(&direct.department) {
        Some(found) => *found,
        None => {
            let found = match &direct.department {
                DepartmentRef::Id(id) => departments::find(conn, *id)?,
                DepartmentRef::Code(code) => departments::find_by_code(conn, code)?,
            }
            .map(|d| (d.id, d.active));
            departments_seen.insert(direct.department.clone(), found);
            found
        }
    };
    let (department_id, active) = department.ok_or_else(|| {
        DepartmentRefusal::Unknown(match &direct.department {
            DepartmentRef::Id(id) => id.to_string(),
            DepartmentRef::Code(code) => code.chars().take(40).collect(),
        })
    })?;
    if !active {
        return Err(DepartmentRefusal::Inactive.into());
    }
    let version = match versions_seen.get(&direct.questionnaire) {
        Some(found) => *found,
        None => {
            let found = questionnaires::published_version(conn, &direct.questionnaire)?;
            versions_seen.insert(direct.questionnaire.clone(), found);
            found
        }
    }
    .ok_or_else(|| SubmitError::NoQuestionnaire(direct.questionnaire.clone()))?;
    let questions = catalog.questions(conn, version)?;
    let answers = survey::parse(&questions, &direct.fields)?.map_err(SubmitError::Invalid)?;
    let response = NewResponse {
        receipt_code: security::receipt_code(),
        submission_key,
        questionnaire_version_id: version,
        department_id,
        channel: direct.channel.as_str().into(),
        respondent_group: direct.group.as_str().into(),
        link_id: None,
        invitation_id: None,
        operator_id: direct.operator_id,
        api_key_id: direct.api_key_id,
        submitted_at: now,
        duration_ms: None,
        client_hash: None,
        network_hash: None,
        lang: "zh".into(),
        status: ResponseStatus::Valid.as_str().into(),
        flags: String::new(),
        excluded: false,
        contact: None,
    };
    Ok(Write {
        response,
        answers: answer_rows(answers),
        link_id: None,
        invitation_id: None,
        now,
    })
}
