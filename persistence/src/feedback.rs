//! Feedback and petitions: rows and queries.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use dvc_domain::agency::AgencyCode;
use dvc_domain::dossier::DossierCode;
use dvc_domain::feedback::{FeedbackDeadlines, FeedbackStatus};
use dvc_domain::figures::{Period, Rate};

use crate::column::OptionalName;
use crate::connection::{write_transaction_as, DbConnection};
use crate::error::StoreError;
use crate::schema::feedback;
use crate::time::{from_db, to_db};

/// A feedback item or petition (phản ánh, kiến nghị) and its handling.
#[derive(Debug, Clone)]
pub struct Feedback {
    pub id: String,
    pub owner_sub: String,
    pub title: String,
    pub content: String,
    pub dossier_code: Option<DossierCode>,
    pub agency_code: AgencyCode,
    pub status: FeedbackStatus,
    pub filed_at: DateTime<Utc>,
    pub refuse_by: DateTime<Utc>,
    pub ask_info_by: DateTime<Utc>,
    pub answer_by: DateTime<Utc>,
    pub info_question: Option<String>,
    pub info_reply: Option<String>,
    pub answer: Option<String>,
    pub refusal_reason: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub responded_at: Option<DateTime<Utc>>,
    pub responded_on_time: Option<bool>,
    /// Its handling, as JSON.
    pub log: String,
    pub updated_at: DateTime<Utc>,
}

impl From<FeedbackRow> for Feedback {
    fn from(r: FeedbackRow) -> Self {
        Feedback {
            id: r.id,
            owner_sub: r.owner_sub,
            title: r.title,
            content: r.content,
            dossier_code: r.dossier_code,
            agency_code: r.agency_code,
            status: r.status,
            filed_at: from_db(r.filed_at),
            refuse_by: from_db(r.refuse_by),
            ask_info_by: from_db(r.ask_info_by),
            answer_by: from_db(r.answer_by),
            info_question: r.info_question,
            info_reply: r.info_reply,
            answer: r.answer,
            refusal_reason: r.refusal_reason,
            answered_at: r.answered_at.map(from_db),
            published_at: r.published_at.map(from_db),
            responded_at: r.responded_at.map(from_db),
            responded_on_time: r.responded_on_time,
            log: r.log,
            updated_at: from_db(r.updated_at),
        }
    }
}

impl From<Feedback> for FeedbackRow {
    fn from(f: Feedback) -> Self {
        FeedbackRow {
            id: f.id,
            owner_sub: f.owner_sub,
            title: f.title,
            content: f.content,
            dossier_code: f.dossier_code,
            agency_code: f.agency_code,
            status: f.status,
            filed_at: to_db(f.filed_at),
            refuse_by: to_db(f.refuse_by),
            ask_info_by: to_db(f.ask_info_by),
            answer_by: to_db(f.answer_by),
            info_question: f.info_question,
            info_reply: f.info_reply,
            answer: f.answer,
            refusal_reason: f.refusal_reason,
            answered_at: f.answered_at.map(to_db),
            published_at: f.published_at.map(to_db),
            responded_at: f.responded_at.map(to_db),
            responded_on_time: f.responded_on_time,
            log: f.log,
            updated_at: to_db(f.updated_at),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = feedback)]
#[diesel(treat_none_as_null = true)]
struct FeedbackRow {
    id: String,
    owner_sub: String,
    title: String,
    content: String,
    #[diesel(deserialize_as = OptionalName, serialize_as = OptionalName)]
    dossier_code: Option<DossierCode>,
    #[diesel(deserialize_as = String, serialize_as = String)]
    agency_code: AgencyCode,
    #[diesel(deserialize_as = String, serialize_as = String)]
    status: FeedbackStatus,
    filed_at: NaiveDateTime,
    refuse_by: NaiveDateTime,
    ask_info_by: NaiveDateTime,
    answer_by: NaiveDateTime,
    info_question: Option<String>,
    info_reply: Option<String>,
    answer: Option<String>,
    refusal_reason: Option<String>,
    answered_at: Option<NaiveDateTime>,
    published_at: Option<NaiveDateTime>,
    responded_at: Option<NaiveDateTime>,
    responded_on_time: Option<bool>,
    log: String,
    updated_at: NaiveDateTime,
}

impl Feedback {
    pub fn deadlines(&self) -> FeedbackDeadlines {
        FeedbackDeadlines { refuse_by: self.refuse_by, ask_info_by: self.ask_info_by, answer_by: self.answer_by }
    }
}

#[allow(clippy::too_many_arguments)]
pub fn file(
    conn: &mut DbConnection,
    owner: &str,
    title: &str,
    content: &str,
    dossier_code: Option<&DossierCode>,
    agency: &AgencyCode,
    d: &FeedbackDeadlines,
    now: DateTime<Utc>,
) -> Result<Feedback, StoreError> {
    let row = FeedbackRow {
        id: uuid::Uuid::now_v7().to_string(),
        owner_sub: owner.to_owned(),
        title: title.to_owned(),
        content: content.to_owned(),
        dossier_code: dossier_code.cloned(),
        agency_code: agency.clone(),
        status: FeedbackStatus::Open,
        filed_at: to_db(now),
        refuse_by: to_db(d.refuse_by),
        ask_info_by: to_db(d.ask_info_by),
        answer_by: to_db(d.answer_by),
        info_question: None,
        info_reply: None,
        answer: None,
        refusal_reason: None,
        answered_at: None,
        published_at: None,
        responded_at: None,
        responded_on_time: None,
        log: "[]".into(),
        updated_at: to_db(now),
    };
    let id = row.id.clone();
    diesel::insert_into(feedback::table).values(row).execute(conn)?;
    get(conn, &id)
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<Feedback, StoreError> {
    feedback::table
        .find(id)
        .select(FeedbackRow::as_select())
        .first(conn)
        .optional()?
        .map(Feedback::from)
        .ok_or_else(|| StoreError::not_found(format!("feedback {id}")))
}

/// Changes an item under its row lock; `f` may refuse with its own error.
pub fn update<E: From<StoreError>>(
    conn: &mut DbConnection,
    id: &str,
    f: impl FnOnce(&mut DbConnection, Feedback) -> Result<Feedback, E>,
) -> Result<Feedback, E> {
    write_transaction_as(conn, |conn| {
        let touched = diesel::update(feedback::table.find(id))
            .set(feedback::id.eq(feedback::id))
            .execute(conn)
            .map_err(StoreError::from)?;
        if touched == 0 {
            return Err(StoreError::not_found(format!("feedback {id}")).into());
        }
        let current = get(conn, id)?;
        let next = f(conn, current)?;
        diesel::update(feedback::table.find(id))
            .set(FeedbackRow::from(next))
            .execute(conn)
            .map_err(StoreError::from)?;
        Ok(get(conn, id)?)
    })
}

#[derive(Debug, Clone, Default)]
pub struct FeedbackFilter {
    pub owner: Option<String>,
    pub agencies: Option<Vec<String>>,
    pub published_only: bool,
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConnection, f: &FeedbackFilter) -> Result<Vec<Feedback>, StoreError> {
    let mut q = feedback::table.select(FeedbackRow::as_select()).into_boxed();
    if let Some(o) = &f.owner {
        q = q.filter(feedback::owner_sub.eq(o.clone()));
    }
    if let Some(a) = &f.agencies {
        q = q.filter(feedback::agency_code.eq_any(a.clone()));
    }
    if f.published_only {
        q = q.filter(feedback::status.eq(FeedbackStatus::Published.as_str()));
    }
    if let Some(after) = &f.after {
        q = q.filter(feedback::id.gt(after.clone()));
    }
    let rows: Vec<FeedbackRow> = q.order(feedback::id.asc()).limit(f.limit).load(conn)?;
    Ok(rows.into_iter().map(Feedback::from).collect())
}

/// The final responses (refusals and answers) given in the period by one of
/// `agencies` (all when None): the agency, and whether within its limit.
pub fn responses(
    conn: &mut DbConnection,
    p: &Period,
    agencies: Option<&[String]>,
) -> Result<Vec<(String, bool)>, StoreError> {
    let mut q = feedback::table
        .filter(feedback::responded_at.ge(to_db(p.from)))
        .filter(feedback::responded_at.lt(to_db(p.to)))
        .select((feedback::agency_code, feedback::responded_on_time))
        .into_boxed();
    if let Some(a) = agencies {
        q = q.filter(feedback::agency_code.eq_any(a.to_vec()));
    }
    let rows: Vec<(String, Option<bool>)> = q.load(conn)?;
    Ok(rows.into_iter().map(|(agency, on_time)| (agency, on_time == Some(true))).collect())
}

/// Refused or answered within the limit / refused or answered, over some responses.
pub fn on_time_rate<'a>(responses: impl Iterator<Item = &'a (String, bool)>) -> Rate {
    let (mut on_time, mut all) = (0, 0);
    for (_, ok) in responses {
        all += 1;
        on_time += u64::from(*ok);
    }
    Rate::of(on_time, all)
}
