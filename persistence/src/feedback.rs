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
use crate::time::to_db;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = feedback)]
#[diesel(treat_none_as_null = true)]
pub struct FeedbackRow {
    pub id: String,
    pub owner_sub: String,
    pub title: String,
    pub content: String,
    #[diesel(deserialize_as = OptionalName, serialize_as = OptionalName)]
    pub dossier_code: Option<DossierCode>,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub agency_code: AgencyCode,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub status: FeedbackStatus,
    pub filed_at: NaiveDateTime,
    pub refuse_by: NaiveDateTime,
    pub ask_info_by: NaiveDateTime,
    pub answer_by: NaiveDateTime,
    pub info_question: Option<String>,
    pub info_reply: Option<String>,
    pub answer: Option<String>,
    pub refusal_reason: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub responded_at: Option<NaiveDateTime>,
    pub responded_on_time: Option<bool>,
    pub log: String,
    pub updated_at: NaiveDateTime,
}

impl FeedbackRow {
    pub fn deadlines(&self) -> FeedbackDeadlines {
        FeedbackDeadlines {
            refuse_by: self.refuse_by.and_utc(),
            ask_info_by: self.ask_info_by.and_utc(),
            answer_by: self.answer_by.and_utc(),
        }
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
) -> Result<FeedbackRow, StoreError> {
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

pub fn get(conn: &mut DbConnection, id: &str) -> Result<FeedbackRow, StoreError> {
    feedback::table
        .find(id)
        .select(FeedbackRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found(format!("feedback {id}")))
}

/// Changes an item under its row lock; `f` may refuse with its own error.
pub fn update<E: From<StoreError>>(
    conn: &mut DbConnection,
    id: &str,
    f: impl FnOnce(&mut DbConnection, FeedbackRow) -> Result<FeedbackRow, E>,
) -> Result<FeedbackRow, E> {
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
        diesel::update(feedback::table.find(id)).set(next).execute(conn).map_err(StoreError::from)?;
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

pub fn list(conn: &mut DbConnection, f: &FeedbackFilter) -> Result<Vec<FeedbackRow>, StoreError> {
    let mut q = feedback::table.select(FeedbackRow::as_select()).into_boxed();
    if let Some(o) = &f.owner {
        q = q.filter(feedback::owner_sub.eq(o.clone()));
    }
    if let Some(a) = &f.agencies {
        q = q.filter(feedback::agency_code.eq_any(a.clone()));
    }
    if f.published_only {
        q = q.filter(feedback::status.eq("published"));
    }
    if let Some(after) = &f.after {
        q = q.filter(feedback::id.gt(after.clone()));
    }
    Ok(q.order(feedback::id.asc()).limit(f.limit).load(conn)?)
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
