//! Invitations (一次服务一次评价): one single-use rating link per served case. Only the SHA-256
//! of the token is stored; the token itself exists in the email and nowhere else.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::links::{PAGE_TEXT, PageText};
use super::schema::{departments, invitations, questionnaire_versions};
use super::{AnyConnection, DbError};

pub struct NewInvitation<'a> {
    pub token_hash: &'a str,
    pub questionnaire_version_id: i64,
    pub department_id: i64,
    pub case_ref: &'a str,
    pub email: Option<&'a str>,
    pub group: &'a str,
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn create(conn: &mut AnyConnection, new: NewInvitation<'_>) -> Result<i64, DbError> {
    Ok(diesel::insert_into(invitations::table)
        .values((
            invitations::token_hash.eq(new.token_hash),
            invitations::questionnaire_version_id.eq(new.questionnaire_version_id),
            invitations::department_id.eq(new.department_id),
            invitations::case_ref.eq(new.case_ref),
            invitations::email.eq(new.email),
            invitations::respondent_group.eq(new.group),
            invitations::expires_at.eq(new.expires_at),
            invitations::created_at.eq(new.created_at),
        ))
        .returning(invitations::id)
        .get_result(conn)?)
}

/// An invitation with what its page shows.
#[derive(Debug, Clone)]
pub struct InvitationPage {
    pub id: i64,
    pub questionnaire_version_id: i64,
    pub department_id: i64,
    pub group: String,
    pub expires_at: Option<NaiveDateTime>,
    pub used_at: Option<NaiveDateTime>,
    pub text: PageText,
    /// A deactivated department's invitations take no more ratings.
    pub department_active: bool,
}

type PageRow = (
    i64,
    i64,
    i64,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    PageText,
    bool,
);

pub fn page(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<InvitationPage>, DbError> {
    let row: Option<PageRow> = invitations::table
        .inner_join(departments::table)
        .inner_join(questionnaire_versions::table)
        .filter(invitations::token_hash.eq(token_hash))
        .select((
            invitations::id,
            invitations::questionnaire_version_id,
            invitations::department_id,
            invitations::respondent_group,
            invitations::expires_at,
            invitations::used_at,
            PAGE_TEXT,
            departments::active,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(
            id,
            questionnaire_version_id,
            department_id,
            group,
            expires_at,
            used_at,
            text,
            department_active,
        )| InvitationPage {
            id,
            questionnaire_version_id,
            department_id,
            group,
            expires_at,
            used_at,
            text,
            department_active,
        },
    ))
}

/// Marks the invitation used; false when it already was (a second use is refused).
pub fn use_once(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> Result<bool, DbError> {
    let n = diesel::update(invitations::table.find(id).filter(invitations::used_at.is_null()))
        .set(invitations::used_at.eq(now))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn mark_sent(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> Result<(), DbError> {
    diesel::update(invitations::table.find(id))
        .set(invitations::sent_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Where an invitation stands, as the console filters and shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationState {
    /// Not used, not expired, no email sent (handed out by other means).
    Unsent,
    /// Emailed (queued in the outbox), not used yet, not expired.
    Sent,
    /// A rating was given with it.
    Used,
    /// Not used before it expired.
    Expired,
}

impl InvitationState {
    pub const ALL: [InvitationState; 4] = [
        InvitationState::Unsent,
        InvitationState::Sent,
        InvitationState::Used,
        InvitationState::Expired,
    ];

    pub fn key(self) -> &'static str {
        match self {
            InvitationState::Unsent => "unsent",
            InvitationState::Sent => "sent",
            InvitationState::Used => "used",
            InvitationState::Expired => "expired",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// The state of an invitation at `now`: used wins over expired, expired over sent.
    pub fn of(
        sent_at: Option<NaiveDateTime>,
        used_at: Option<NaiveDateTime>,
        expires_at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Self {
        match (used_at, expires_at, sent_at) {
            (Some(_), _, _) => InvitationState::Used,
            (None, Some(e), _) if e <= now => InvitationState::Expired,
            (None, _, Some(_)) => InvitationState::Sent,
            (None, _, None) => InvitationState::Unsent,
        }
    }
}

/// Which invitations the console lists.
#[derive(Debug, Clone, Default)]
pub struct InvitationFilter {
    pub department_id: Option<i64>,
    pub state: Option<InvitationState>,
}

/// Columns the console's invitation list sorts by; anything else sorts by creation.
pub const INVITATION_SORTS: &[&str] = &["created", "case_ref", "department", "sent", "used", "expires"];

/// An invitation as the console lists it. There is no token here: only its hash is stored.
#[derive(Debug, Clone, Queryable)]
pub struct InvitationRow {
    pub id: i64,
    pub case_ref: String,
    pub email: Option<String>,
    pub group: String,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub used_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
    pub department_code: String,
    pub department_name: String,
}

macro_rules! filtered_invitations {
    ($filter:expr, $now:expr) => {{
        let filter: &InvitationFilter = $filter;
        let now: NaiveDateTime = $now;
        let mut q = invitations::table.inner_join(departments::table).into_boxed();
        if let Some(d) = filter.department_id {
            q = q.filter(invitations::department_id.eq(d));
        }
        let live = invitations::expires_at
            .is_null()
            .or(invitations::expires_at.assume_not_null().gt(now));
        q = match filter.state {
            None => q,
            Some(InvitationState::Used) => q.filter(invitations::used_at.is_not_null()),
            Some(InvitationState::Expired) => q
                .filter(invitations::used_at.is_null())
                .filter(invitations::expires_at.assume_not_null().le(now)),
            Some(InvitationState::Sent) => q
                .filter(invitations::used_at.is_null())
                .filter(live)
                .filter(invitations::sent_at.is_not_null()),
            Some(InvitationState::Unsent) => q
                .filter(invitations::used_at.is_null())
                .filter(live)
                .filter(invitations::sent_at.is_null()),
        };
        q
    }};
}

/// One page of invitations matching `filter` at `now`, sorted by `sort` (one of
/// [`INVITATION_SORTS`]), and how many match in all. Paging and counting happen in SQL.
pub fn list_page(
    conn: &mut AnyConnection,
    filter: &InvitationFilter,
    now: NaiveDateTime,
    sort: &str,
    descending: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<InvitationRow>, i64), DbError> {
    let total: i64 = filtered_invitations!(filter, now).count().get_result(conn)?;
    let mut q = filtered_invitations!(filter, now).select((
        invitations::id,
        invitations::case_ref,
        invitations::email,
        invitations::respondent_group,
        invitations::created_at,
        invitations::sent_at,
        invitations::used_at,
        invitations::expires_at,
        departments::code,
        departments::name,
    ));
    q = match (sort, descending) {
        ("case_ref", false) => q.order(invitations::case_ref.asc()),
        ("case_ref", true) => q.order(invitations::case_ref.desc()),
        ("department", false) => q.order(departments::code.asc()),
        ("department", true) => q.order(departments::code.desc()),
        // Never sent / used / expiring sorts last either way, the same on both backends.
        ("sent", false) => q.order((invitations::sent_at.is_null().asc(), invitations::sent_at.asc())),
        ("sent", true) => q.order((invitations::sent_at.is_null().asc(), invitations::sent_at.desc())),
        ("used", false) => q.order((invitations::used_at.is_null().asc(), invitations::used_at.asc())),
        ("used", true) => q.order((invitations::used_at.is_null().asc(), invitations::used_at.desc())),
        ("expires", false) => q.order((
            invitations::expires_at.is_null().asc(),
            invitations::expires_at.asc(),
        )),
        ("expires", true) => q.order((
            invitations::expires_at.is_null().asc(),
            invitations::expires_at.desc(),
        )),
        (_, false) => q.order(invitations::id.asc()),
        (_, true) => q.order(invitations::id.desc()),
    };
    let rows = q
        .then_order_by(invitations::id.desc())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((rows, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_is_in_exactly_one_state() {
        let t = |h: i64| {
            chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                + chrono::Duration::hours(h)
        };
        let now = t(10);
        use InvitationState::*;
        assert_eq!(InvitationState::of(None, None, Some(t(11)), now), Unsent);
        assert_eq!(InvitationState::of(None, None, None, now), Unsent);
        assert_eq!(InvitationState::of(Some(t(1)), None, Some(t(11)), now), Sent);
        assert_eq!(InvitationState::of(Some(t(1)), None, Some(t(10)), now), Expired);
        assert_eq!(InvitationState::of(None, None, Some(t(9)), now), Expired);
        assert_eq!(InvitationState::of(Some(t(1)), Some(t(2)), Some(t(9)), now), Used);
        for s in InvitationState::ALL {
            assert_eq!(InvitationState::from_key(s.key()), Some(s));
        }
        assert_eq!(InvitationState::from_key("nope"), None);
    }
}
