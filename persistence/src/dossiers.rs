//! Dossiers: creation with a gap-free code per agency per day, moves with
//! their history rows, documents stored once per SHA-256, idempotency keys,
//! and the filtered list.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Text, Timestamp};
use dvc_domain::agency::AgencyCode;
use dvc_domain::auth::{Actor, Role};
use dvc_domain::calendar::Timeliness;
use dvc_domain::dossier::{
    ApplicantKind, Channel, DocumentKind, DossierCode, DossierState, Outcome, PauseRecord, Status, Step,
    SupplementItem, TimeLimit,
};
use dvc_domain::notify::{Channels, NotifyChannel};
use dvc_domain::procedure::{AdministrativeLevel, ProcedureCode};

use serde::{Deserialize, Serialize};

use crate::calendars::CalendarCache;
use crate::column::{Checked, OptionalName};
use crate::connection::{write_transaction, DbConnection};
use crate::error::StoreError;
use crate::idempotency::IdempotencyClaim;
use crate::schema::{document_contents, dossier_documents, dossier_history, dossiers};
use crate::time::{from_db, to_db};
use dvc_domain::dossier::chain::{Chained, Link};
use dvc_domain::ErrorCode;

/// The applicant as stored (validated by the domain before it gets here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicantRecord {
    pub kind: ApplicantKind,
    pub id_number: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    /// A citizen's date of birth, when given (checked against the population database).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    /// The channels the applicant chose to be told on; absent: every one
    /// they gave a contact for (docs/RULES.md §12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_by: Option<Vec<NotifyChannel>>,
}

/// The pause records a `data` column holds.
pub(crate) fn pauses_in(data: &str) -> Result<Vec<PauseRecord>, StoreError> {
    #[derive(Deserialize)]
    struct Pauses {
        pauses: Vec<PauseRecord>,
    }
    Ok(serde_json::from_str::<Pauses>(data)?.pauses)
}

/// What the `data` column holds beside the indexed columns.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DossierData {
    applicant: ApplicantRecord,
    limit: TimeLimit,
    pauses: Vec<PauseRecord>,
    supplement_requested_in_processing: bool,
    apologized: bool,
    /// The display name of whoever filed it (see `StoredDossier::owner_sub`);
    /// in `data`, since the dossier row has as many columns as diesel takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    submitter_name: Option<String>,
    /// While awaiting a supplement: what the request lists (absent in rows
    /// written before it was kept here).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    supplement_items: Vec<SupplementItem>,
}

#[derive(Debug, Clone)]
pub struct StoredDossier {
    pub code: DossierCode,
    pub external_code: Option<String>,
    pub channel: Channel,
    pub procedure_code: ProcedureCode,
    pub procedure_version: i32,
    pub sector_code: String,
    pub applicant: ApplicantRecord,
    /// Who filed it (a citizen's token subject, or the submitter the national
    /// portal named); None for desk registrations and imports.
    pub owner_sub: Option<String>,
    /// Their display name.
    pub submitter_name: Option<String>,
    pub summary: String,
    pub calendar_id: String,
    pub state: DossierState,
    pub submitted_at: DateTime<Utc>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The procedure's administrative level.
    pub level: AdministrativeLevel,
    /// When it was resolved, refused, withdrawn or stopped.
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = dossiers)]
struct DossierRow {
    #[diesel(deserialize_as = String, serialize_as = String)]
    code: DossierCode,
    external_code: Option<String>,
    #[diesel(deserialize_as = String, serialize_as = String)]
    channel: Channel,
    #[diesel(deserialize_as = String, serialize_as = String)]
    status: Status,
    #[diesel(deserialize_as = String, serialize_as = String)]
    procedure_code: ProcedureCode,
    procedure_version: i32,
    sector_code: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    receiving_agency: AgencyCode,
    #[diesel(deserialize_as = String, serialize_as = String)]
    handling_agency: AgencyCode,
    #[diesel(deserialize_as = String, serialize_as = String)]
    applicant_kind: ApplicantKind,
    applicant_id: String,
    applicant_name: String,
    owner_sub: Option<String>,
    summary: String,
    calendar_id: String,
    submitted_at: NaiveDateTime,
    received_at: Option<NaiveDateTime>,
    due_at: Option<NaiveDateTime>,
    promised_at: Option<NaiveDateTime>,
    resolved_at: Option<NaiveDateTime>,
    returned_at: Option<NaiveDateTime>,
    paused_since: Option<NaiveDateTime>,
    #[diesel(deserialize_as = OptionalName, serialize_as = OptionalName)]
    outcome: Option<Outcome>,
    #[diesel(deserialize_as = OptionalName, serialize_as = OptionalName)]
    resolved_timeliness: Option<Timeliness>,
    version: i32,
    data: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    #[diesel(deserialize_as = String, serialize_as = String)]
    level: AdministrativeLevel,
    closed_at: Option<NaiveDateTime>,
    reply_by: Option<NaiveDateTime>,
    /// What the daily sums count it with (`figures`).
    counted: String,
    last_resumed_at: Option<NaiveDateTime>,
    /// The span of its overdue turns (`figures`), stored with `counted`.
    overdue_from: Option<NaiveDateTime>,
    overdue_until: Option<NaiveDateTime>,
}

impl TryFrom<DossierRow> for StoredDossier {
    type Error = StoreError;
    fn try_from(r: DossierRow) -> Result<Self, StoreError> {
        let data: DossierData = serde_json::from_str(&r.data)?;
        let state = DossierState {
            status: r.status,
            receiving_agency: r.receiving_agency,
            handling_agency: r.handling_agency,
            limit: data.limit,
            received_at: r.received_at.map(from_db),
            due_at: r.due_at.map(from_db),
            promised_at: r.promised_at.map(from_db),
            resolved_at: r.resolved_at.map(from_db),
            returned_at: r.returned_at.map(from_db),
            outcome: r.outcome,
            pauses: data.pauses,
            supplement_requested_in_processing: data.supplement_requested_in_processing,
            apologized: data.apologized,
            reply_by: r.reply_by.map(from_db),
            supplement_items: data.supplement_items,
        };
        Ok(StoredDossier {
            channel: r.channel,
            code: r.code,
            external_code: r.external_code,
            procedure_code: r.procedure_code,
            procedure_version: r.procedure_version,
            sector_code: r.sector_code,
            applicant: data.applicant,
            owner_sub: r.owner_sub,
            submitter_name: data.submitter_name,
            summary: r.summary,
            calendar_id: r.calendar_id,
            state,
            submitted_at: from_db(r.submitted_at),
            version: r.version,
            created_at: from_db(r.created_at),
            updated_at: from_db(r.updated_at),
            level: r.level,
            closed_at: r.closed_at.map(from_db),
        })
    }
}

/// The columns a state writes.
fn state_columns(
    state: &DossierState,
    applicant: &ApplicantRecord,
    submitter_name: Option<&str>,
) -> Result<StateColumns, StoreError> {
    let data = DossierData {
        applicant: applicant.clone(),
        limit: state.limit,
        pauses: state.pauses.clone(),
        supplement_requested_in_processing: state.supplement_requested_in_processing,
        apologized: state.apologized,
        submitter_name: submitter_name.map(str::to_owned),
        supplement_items: state.supplement_items.clone(),
    };
    let timeliness = match (state.resolved_at, state.due_at) {
        (Some(resolved), Some(due)) => Some(dvc_domain::calendar::classify_resolved(resolved, due)),
        _ => None,
    };
    Ok(StateColumns {
        data: serde_json::to_string(&data)?,
        paused_since: state.open_pause().map(|p| to_db(p.from)),
        last_resumed_at: state.pauses.iter().filter_map(|p| p.to).max().map(to_db),
        timeliness,
        status: state.status,
    })
}

/// The columns a dossier's state is stored in besides the plain instants.
struct StateColumns {
    data: String,
    /// When the pause still running began.
    paused_since: Option<NaiveDateTime>,
    /// When the latest ended pause ended: a dossier judged as it stood
    /// before then may have had a different due instant (`figures::open_at`).
    last_resumed_at: Option<NaiveDateTime>,
    timeliness: Option<Timeliness>,
    status: Status,
}

/// A history row to write (a row of the control slip).
#[derive(Debug, Clone)]
pub struct NewHistory {
    pub action: Step,
    pub from: Option<Status>,
    pub to: Status,
    pub actor: Actor,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
    pub step_deadline: Option<DateTime<Utc>>,
}

/// A step of a dossier's history, as read back (a row of the control slip).
#[derive(Debug, Clone)]
pub struct History {
    pub seq: i32,
    pub action: Step,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub actor_id: String,
    pub actor_role: Role,
    pub actor_name: String,
    pub actor_agency: Option<AgencyCode>,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
    pub step_deadline: Option<DateTime<Utc>>,
}

impl From<HistoryRow> for History {
    fn from(r: HistoryRow) -> Self {
        History {
            seq: r.seq,
            action: r.action,
            from_status: r.from_status,
            to_status: r.to_status,
            actor_id: r.actor_id,
            actor_role: r.actor_role,
            actor_name: r.actor_name,
            actor_agency: r.actor_agency,
            at: from_db(r.at),
            note: r.note,
            step_deadline: r.step_deadline.map(from_db),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = dossier_history)]
pub(crate) struct HistoryRow {
    pub id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub dossier_code: DossierCode,
    pub seq: i32,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub action: Step,
    #[diesel(deserialize_as = OptionalName, serialize_as = OptionalName)]
    pub from_status: Option<Status>,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub to_status: Status,
    pub actor_id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub actor_role: Role,
    pub actor_name: String,
    #[diesel(deserialize_as = OptionalName, serialize_as = OptionalName)]
    pub actor_agency: Option<AgencyCode>,
    pub at: NaiveDateTime,
    pub note: Option<String>,
    pub step_deadline: Option<NaiveDateTime>,
    /// The link of the dossier's tamper-evident chain (see `chain`).
    pub hash: Option<String>,
}

/// An instant as the chains hash it: as stored, UTC, microseconds.
pub(crate) fn stored_instant(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

impl HistoryRow {
    /// Its content as the chain hashes it; `at` and `step_deadline` are
    /// written as stored (UTC, microseconds).
    fn with_link<T>(&self, f: impl FnOnce(Link<'_>) -> T) -> T {
        let at = stored_instant(self.at);
        let step = self.step_deadline.map(stored_instant);
        f(Link {
            dossier_code: self.dossier_code.as_str(),
            seq: self.seq,
            action: self.action.as_str(),
            from_status: self.from_status.map(Status::as_str),
            to_status: self.to_status.as_str(),
            actor_id: &self.actor_id,
            actor_role: self.actor_role.as_str(),
            actor_name: &self.actor_name,
            actor_agency: self.actor_agency.as_ref().map(AgencyCode::as_str),
            at: &at,
            note: self.note.as_deref(),
            step_deadline: step.as_deref(),
        })
    }
}

impl Chained for &HistoryRow {
    fn seq(&self) -> i32 {
        self.seq
    }
    fn stored_hash(&self) -> Option<&str> {
        self.hash.as_deref()
    }
    fn link_hash(&self, previous: Option<&str>) -> String {
        self.with_link(|l| l.hash(previous))
    }
}

/// The row of `h`, chained to the row before it (`previous` hash).
fn history_row(code: &DossierCode, seq: i32, h: &NewHistory, previous: Option<&str>) -> HistoryRow {
    let mut row = unchained_row(code, seq, h);
    row.hash = Some((&row).link_hash(previous));
    row
}

fn unchained_row(code: &DossierCode, seq: i32, h: &NewHistory) -> HistoryRow {
    HistoryRow {
        id: uuid::Uuid::now_v7().to_string(),
        dossier_code: code.clone(),
        seq,
        action: h.action,
        from_status: h.from,
        to_status: h.to,
        actor_id: h.actor.id.clone(),
        actor_role: h.actor.role,
        actor_name: h.actor.name.clone(),
        actor_agency: h.actor.agency.clone(),
        at: to_db(h.at),
        note: h.note.clone(),
        step_deadline: h.step_deadline.map(to_db),
        hash: None,
    }
}

/// Writes the rows of `steps` as the dossier's first history rows, chained.
fn insert_first_history(conn: &mut DbConnection, code: &DossierCode, steps: &[NewHistory]) -> Result<(), StoreError> {
    for row in chained_rows(code, steps) {
        diesel::insert_into(dossier_history::table).values(row).execute(conn)?;
    }
    Ok(())
}

/// The first history rows of a new dossier, each chained to the one before.
fn chained_rows(code: &DossierCode, steps: &[NewHistory]) -> Vec<HistoryRow> {
    let mut rows: Vec<HistoryRow> = Vec::with_capacity(steps.len());
    for (i, h) in steps.iter().enumerate() {
        let previous = rows.last().and_then(|r| r.hash.clone());
        rows.push(history_row(code, i32::try_from(i + 1).unwrap_or(i32::MAX), h, previous.as_deref()));
    }
    rows
}

#[derive(Debug, Clone)]
pub struct NewDocument {
    pub kind: DocumentKind,
    pub component_code: Option<String>,
    pub name: String,
    pub media_type: String,
    pub content: Vec<u8>,
    pub sha256: String,
    pub digitised: bool,
    pub reused: bool,
    pub uploaded_by: String,
    pub at: DateTime<Utc>,
    /// Where it came from when not uploaded (`data_store:<code>`).
    pub source: Option<String>,
}

/// A document of a dossier (its content is read apart).
#[derive(Debug, Clone)]
pub struct Document {
    pub id: String,
    pub dossier_code: DossierCode,
    pub kind: DocumentKind,
    pub component_code: Option<String>,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub digitised: bool,
    pub reused: bool,
    pub uploaded_at: DateTime<Utc>,
    pub uploaded_by: String,
    pub source: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dossier_documents)]
struct DocumentRow {
    id: String,
    #[diesel(deserialize_as = String)]
    dossier_code: DossierCode,
    #[diesel(deserialize_as = String)]
    kind: DocumentKind,
    component_code: Option<String>,
    name: String,
    media_type: String,
    size: i64,
    sha256: String,
    digitised: bool,
    reused: bool,
    uploaded_at: NaiveDateTime,
    uploaded_by: String,
    source: Option<String>,
}

impl From<DocumentRow> for Document {
    fn from(r: DocumentRow) -> Self {
        Document {
            id: r.id,
            dossier_code: r.dossier_code,
            kind: r.kind,
            component_code: r.component_code,
            name: r.name,
            media_type: r.media_type,
            size: r.size,
            sha256: r.sha256,
            digitised: r.digitised,
            reused: r.reused,
            uploaded_at: from_db(r.uploaded_at),
            uploaded_by: r.uploaded_by,
            source: r.source,
        }
    }
}

/// Stores the content once per SHA-256, then links it to the dossier.
fn insert_document(conn: &mut DbConnection, code: &DossierCode, d: &NewDocument) -> Result<Document, StoreError> {
    let size = i64::try_from(d.content.len()).map_err(|_| StoreError::Corrupt("document too large".into()))?;
    diesel::sql_query(
        "INSERT INTO document_contents (sha256, size, content, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind::<Text, _>(&d.sha256)
    .bind::<BigInt, _>(size)
    .bind::<Binary, _>(&d.content)
    .bind::<Timestamp, _>(to_db(d.at))
    .execute(conn)?;
    let id = uuid::Uuid::now_v7().to_string();
    diesel::insert_into(dossier_documents::table)
        .values((
            dossier_documents::id.eq(&id),
            dossier_documents::dossier_code.eq(code.as_str()),
            dossier_documents::kind.eq(d.kind.as_str()),
            dossier_documents::component_code.eq(&d.component_code),
            dossier_documents::name.eq(&d.name),
            dossier_documents::media_type.eq(&d.media_type),
            dossier_documents::size.eq(size),
            dossier_documents::sha256.eq(&d.sha256),
            dossier_documents::digitised.eq(d.digitised),
            dossier_documents::reused.eq(d.reused),
            dossier_documents::uploaded_at.eq(to_db(d.at)),
            dossier_documents::uploaded_by.eq(&d.uploaded_by),
            dossier_documents::source.eq(&d.source),
        ))
        .execute(conn)?;
    Ok(Document {
        id,
        dossier_code: code.clone(),
        kind: d.kind,
        component_code: d.component_code.clone(),
        name: d.name.clone(),
        media_type: d.media_type.clone(),
        size,
        sha256: d.sha256.clone(),
        digitised: d.digitised,
        reused: d.reused,
        uploaded_at: d.at,
        uploaded_by: d.uploaded_by.clone(),
        source: d.source.clone(),
    })
}

/// The documents of several dossiers, by dossier code (one query).
pub fn documents_of(
    conn: &mut DbConnection,
    codes: &[String],
) -> Result<std::collections::HashMap<String, Vec<Document>>, StoreError> {
    let mut out: std::collections::HashMap<String, Vec<Document>> = std::collections::HashMap::new();
    for chunk in codes.chunks(500) {
        let rows: Vec<DocumentRow> = dossier_documents::table
            .filter(dossier_documents::dossier_code.eq_any(chunk))
            .order(dossier_documents::id.asc())
            .select(DocumentRow::as_select())
            .load(conn)?;
        for r in rows {
            out.entry(r.dossier_code.to_string()).or_default().push(r.into());
        }
    }
    Ok(out)
}

/// A document of a dossier with its content.
pub fn document_content(conn: &mut DbConnection, code: &str, id: &str) -> Result<(Document, Vec<u8>), StoreError> {
    let doc: Document = dossier_documents::table
        .filter(dossier_documents::dossier_code.eq(code))
        .filter(dossier_documents::id.eq(id))
        .select(DocumentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found(format!("document {id}")))?
        .into();
    let content: Vec<u8> = document_contents::table.find(&doc.sha256).select(document_contents::content).first(conn)?;
    Ok((doc, content))
}

/// Next counter of `agency` on `day`; gap-free because it rolls back with
/// the transaction that uses it, unique because the row is locked until then.
/// The next number of an agency's day, in one statement (the row stays
/// locked until the transaction ends).
fn next_counter(conn: &mut DbConnection, agency: &AgencyCode, day: NaiveDate) -> Result<u32, StoreError> {
    #[derive(QueryableByName)]
    struct Last {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        last: i32,
    }
    let day = day.format("%Y-%m-%d").to_string();
    let row: Last = diesel::sql_query(
        "INSERT INTO dossier_counters (agency_code, day, last) VALUES ($1, $2, 1) \
         ON CONFLICT (agency_code, day) DO UPDATE SET last = dossier_counters.last + 1 RETURNING last",
    )
    .bind::<Text, _>(agency.as_str())
    .bind::<Text, _>(&day)
    .get_result(conn)?;
    u32::try_from(row.last).map_err(|_| StoreError::Corrupt("negative dossier counter".into()))
}

#[derive(Debug, Clone)]
pub struct NewDossier {
    pub external_code: Option<String>,
    pub channel: Channel,
    pub procedure_code: ProcedureCode,
    pub procedure_version: i32,
    pub sector_code: String,
    pub applicant: ApplicantRecord,
    pub owner_sub: Option<String>,
    pub submitter_name: Option<String>,
    pub summary: String,
    pub calendar_id: String,
    pub state: DossierState,
    pub submitted_at: DateTime<Utc>,
    /// The Vietnam date the code carries.
    pub code_date: NaiveDate,
    pub history: Vec<NewHistory>,
    pub documents: Vec<NewDocument>,
    pub now: DateTime<Utc>,
    pub level: AdministrativeLevel,
    /// Add it to the daily sums now (an import counts its batch at once).
    pub count: bool,
    /// Set for imported dossiers that were already closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Publish the history to the change feed and the portal (not for imports of old dossiers).
    pub publish: bool,
    /// The channels the deployment tells applicants on (none: no notification).
    pub notify: Channels,
    /// The applicant's check against a national database (docs/RULES.md §11).
    pub check: Option<crate::registry::NewCheck>,
    /// The look-ups made for it, written to the audit log with its code.
    pub lookups: Vec<crate::registry::NewLookup>,
    /// Written whole by [`create_batch`] with these payments and rating
    /// (an import): counted in the daily sums as it is written.
    pub known: Option<crate::figures::Known>,
}

pub enum Created {
    /// Made now; `body` is the answer stored for replays.
    New { dossier: StoredDossier, body: String },
    /// The same key and body came before: its first answer.
    Replayed { status: u16, body: String },
    /// A national-portal dossier with this external code exists already.
    Existing(StoredDossier),
}

/// Creates a dossier: assigns its code, writes it with its first history rows
/// and documents, and (with a key) stores the answer for replays — all in one
/// transaction. A race lost on a unique key is retried and then replays.
pub fn create(
    conn: &mut DbConnection,
    new: &NewDossier,
    claim: Option<&IdempotencyClaim>,
    render: &dyn Fn(&mut DbConnection, &StoredDossier) -> Result<String, StoreError>,
) -> Result<Created, StoreError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match write_transaction(conn, |conn| create_once(conn, new, claim, render)) {
            Err(StoreError::Conflict { code: ErrorCode::AlreadyExists, .. }) if attempt < 3 => continue,
            Ok(Created::New { dossier, body }) if claim.is_none() && body.is_empty() => {
                let body = render(conn, &dossier)?;
                return Ok(Created::New { dossier, body });
            }
            other => return other,
        }
    }
}

fn create_once(
    conn: &mut DbConnection,
    new: &NewDossier,
    claim: Option<&IdempotencyClaim>,
    render: &dyn Fn(&mut DbConnection, &StoredDossier) -> Result<String, StoreError>,
) -> Result<Created, StoreError> {
    if let Some(claim) = claim {
        if let Some((status, body)) = crate::idempotency::replay(conn, claim)? {
            return Ok(Created::Replayed { status, body });
        }
    }
    if let Some(external) = &new.external_code {
        let existing = dossiers::table
            .filter(dossiers::external_code.eq(external))
            .select(DossierRow::as_select())
            .first(conn)
            .optional()?;
        if let Some(row) = existing {
            return Ok(Created::Existing(row.try_into()?));
        }
    }
    let agency = &new.state.receiving_agency;
    let counter = next_counter(conn, agency, new.code_date)?;
    if counter > 9999 {
        return Err(StoreError::Conflict {
            code: ErrorCode::DailyLimitReached,
            message: format!("agency {agency} has received 9999 dossiers today; codes have four digits"),
        });
    }
    let typed = DossierCode::new(agency, new.code_date, counter)?;
    let code = typed.to_string();
    let row = dossier_row(&typed, new)?;
    diesel::insert_into(dossiers::table).values(row.clone()).execute(conn)?;
    insert_first_history(conn, &typed, &new.history)?;
    for d in &new.documents {
        insert_document(conn, &typed, d)?;
    }
    if let Some(check) = &new.check {
        crate::registry::insert_check(conn, &code, check, new.now)?;
    }
    crate::registry::append(conn, &new.lookups, Some(&typed))?;
    if new.count {
        crate::figures::recount(conn, std::slice::from_ref(&code))?;
    }
    let dossier: StoredDossier = row.try_into()?;
    if new.publish {
        for h in &new.history {
            crate::changes::record(conn, &dossier, h, new.now, new.notify)?;
        }
    }
    // The answer is stored with an idempotency key in this transaction;
    // without one it is rendered after the commit, outside the locks.
    let body = match claim {
        Some(_) => render(conn, &dossier)?,
        None => String::new(),
    };
    if let Some(claim) = claim {
        crate::idempotency::record(conn, claim, 201, &body, new.now)?;
    }
    Ok(Created::New { dossier, body })
}

/// Reserves `n` consecutive numbers of an agency's day; returns the first.
fn reserve_counters(conn: &mut DbConnection, agency: &str, day: NaiveDate, n: u32) -> Result<u32, StoreError> {
    use crate::schema::dossier_counters as c;
    let day = day.format("%Y-%m-%d").to_string();
    diesel::sql_query("INSERT INTO dossier_counters (agency_code, day, last) VALUES ($1, $2, 0) ON CONFLICT (agency_code, day) DO NOTHING")
        .bind::<Text, _>(agency)
        .bind::<Text, _>(&day)
        .execute(conn)?;
    let by = i32::try_from(n).map_err(|_| StoreError::Corrupt("batch too large".into()))?;
    diesel::update(c::table.find((agency, &day))).set(c::last.eq(c::last + by)).execute(conn)?;
    let last: i32 = c::table.find((agency, &day)).select(c::last).first(conn)?;
    let last = u32::try_from(last).map_err(|_| StoreError::Corrupt("negative dossier counter".into()))?;
    if last > 9999 {
        return Err(StoreError::Conflict {
            code: ErrorCode::DailyLimitReached,
            message: format!("agency {agency} would receive more than 9999 dossiers on {day}; codes have four digits"),
        });
    }
    Ok(last + 1 - n)
}

/// Creates many dossiers at once, inside the caller's transaction, with a
/// few multi-row statements instead of a dozen statements each (imports).
/// A dossier whose external code is known already (or repeats one earlier
/// in the batch) is not created again: its existing code is returned. The
/// dossiers that come with what they will have ([`NewDossier::known`]) are
/// counted in the daily sums as they are written; the others are left for
/// the caller to recount. Rows go by `COPY` on PostgreSQL. Returns each
/// dossier's code and whether it was created.
pub fn create_batch(conn: &mut DbConnection, news: &[NewDossier]) -> Result<Vec<(DossierCode, bool)>, StoreError> {
    let externals: Vec<String> = news.iter().filter_map(|n| n.external_code.clone()).collect();
    let mut known: HashMap<String, DossierCode> = HashMap::new();
    for chunk in externals.chunks(500) {
        let rows: Vec<(Option<String>, Checked<DossierCode>)> = dossiers::table
            .filter(dossiers::external_code.eq_any(chunk))
            .select((dossiers::external_code, dossiers::code))
            .load(conn)?;
        known.extend(rows.into_iter().filter_map(|(e, c)| e.map(|e| (e, c.0))));
    }
    // Numbers per agency and day, handed out in batch order.
    let mut wanted: BTreeMap<(String, NaiveDate), u32> = BTreeMap::new();
    let mut fresh = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, n) in news.iter().enumerate() {
        let repeat = n.external_code.as_ref().is_some_and(|e| known.contains_key(e) || !seen.insert(e.clone()));
        if !repeat {
            *wanted.entry((n.state.receiving_agency.to_string(), n.code_date)).or_default() += 1;
            fresh.push(i);
        }
    }
    let mut next: BTreeMap<(String, NaiveDate), u32> = BTreeMap::new();
    for ((agency, day), n) in &wanted {
        next.insert((agency.clone(), *day), reserve_counters(conn, agency, *day, *n)?);
    }
    let mut codes: Vec<Option<DossierCode>> = vec![None; news.len()];
    let mut rows = Vec::with_capacity(fresh.len());
    let mut history = Vec::new();
    let mut documents = Vec::new();
    let mut tally = crate::figures::Tally::default();
    let mut calendars = CalendarCache::default();
    for i in fresh {
        let n = &news[i];
        let agency = n.state.receiving_agency.to_string();
        let counter =
            next.get_mut(&(agency.clone(), n.code_date)).ok_or_else(|| StoreError::Corrupt("counter".into()))?;
        let code = DossierCode::new(&n.state.receiving_agency, n.code_date, *counter)?;
        *counter += 1;
        let mut row = dossier_row(&code, n)?;
        if let Some(known) = &n.known {
            let mut facts = row.facts();
            facts.overdue_turns =
                crate::figures::overdue_turns(conn, &mut calendars, &facts, &row.calendar_id, &n.state.pauses)?;
            let (from, until) = dvc_domain::figures::daily::overdue_span(&facts.overdue_turns);
            (row.overdue_from, row.overdue_until) = (from.map(to_db), until.map(to_db));
            row.counted = tally.count(row.dims(), facts, known, &n.documents)?;
        }
        rows.push(row);
        history.extend(chained_rows(&code, &n.history));
        documents.extend(n.documents.iter().map(|d| (code.clone(), d)));
        if let Some(e) = &n.external_code {
            known.insert(e.clone(), code.clone());
        }
        codes[i] = Some(code);
    }
    crate::copy_many!(conn, dossiers::table, rows)?;
    crate::copy_many!(conn, dossier_history::table, history)?;
    for (code, d) in documents {
        insert_document(conn, &code, d)?;
    }
    tally.add(conn)?;
    news.iter()
        .zip(codes)
        .map(|(n, code)| match code {
            Some(c) => Ok((c, true)),
            None => n
                .external_code
                .as_ref()
                .and_then(|e| known.get(e).cloned())
                .map(|c| (c, false))
                .ok_or_else(|| StoreError::Corrupt("a repeated external code without its dossier".into())),
        })
        .collect()
}

impl DossierRow {
    /// The keys the figures group it by.
    fn dims(&self) -> crate::figures::Dims {
        crate::figures::Dims {
            receiving_agency: self.receiving_agency.to_string(),
            procedure_code: self.procedure_code.to_string(),
            sector_code: self.sector_code.clone(),
            channel: self.channel.as_str().to_owned(),
            level: self.level.as_str().to_owned(),
        }
    }

    /// The facts the figures read from the row itself, as stored (what it
    /// has elsewhere left unset).
    fn facts(&self) -> dvc_domain::figures::DossierFacts {
        dvc_domain::figures::DossierFacts {
            status: self.status,
            channel: self.channel,
            received_at: self.received_at.map(from_db),
            resolved_at: self.resolved_at.map(from_db),
            closed_at: self.closed_at.map(from_db),
            due_at: self.due_at.map(from_db),
            resolved_timeliness: self.resolved_timeliness,
            paid: false,
            paid_cashless: false,
            paid_online: false,
            exempt: false,
            digitised: false,
            reused: false,
            in_sync: true,
            rating: None,
            overdue_turns: Vec::new(),
        }
    }
}

/// The row of a new dossier with its code.
fn dossier_row(code: &DossierCode, new: &NewDossier) -> Result<DossierRow, StoreError> {
    let StateColumns { data, paused_since, last_resumed_at, timeliness, status } =
        state_columns(&new.state, &new.applicant, new.submitter_name.as_deref())?;
    let now = to_db(new.now);
    let s = &new.state;
    let row = DossierRow {
        code: code.clone(),
        external_code: new.external_code.clone(),
        channel: new.channel,
        status,
        procedure_code: new.procedure_code.clone(),
        procedure_version: new.procedure_version,
        sector_code: new.sector_code.clone(),
        receiving_agency: s.receiving_agency.clone(),
        handling_agency: s.handling_agency.clone(),
        applicant_kind: new.applicant.kind,
        applicant_id: new.applicant.id_number.clone(),
        applicant_name: new.applicant.name.clone(),
        owner_sub: new.owner_sub.clone(),
        summary: new.summary.clone(),
        calendar_id: new.calendar_id.clone(),
        submitted_at: to_db(new.submitted_at),
        received_at: s.received_at.map(to_db),
        due_at: s.due_at.map(to_db),
        promised_at: s.promised_at.map(to_db),
        resolved_at: s.resolved_at.map(to_db),
        returned_at: s.returned_at.map(to_db),
        paused_since,
        outcome: s.outcome,
        resolved_timeliness: timeliness,
        version: 1,
        data,
        created_at: now,
        updated_at: now,
        level: new.level,
        closed_at: new.closed_at.map(to_db),
        reply_by: s.reply_by.map(to_db),
        counted: String::new(),
        last_resumed_at,
        overdue_from: None,
        overdue_until: None,
    };
    Ok(row)
}

pub fn find(conn: &mut DbConnection, code: &str) -> Result<Option<StoredDossier>, StoreError> {
    dossiers::table
        .find(code)
        .select(DossierRow::as_select())
        .first(conn)
        .optional()?
        .map(TryInto::try_into)
        .transpose()
}

/// The dossiers of these codes (those that exist), in code order.
pub fn find_many(conn: &mut DbConnection, codes: &[String]) -> Result<Vec<StoredDossier>, StoreError> {
    let mut out = Vec::with_capacity(codes.len());
    for chunk in codes.chunks(500) {
        let rows: Vec<DossierRow> = dossiers::table
            .filter(dossiers::code.eq_any(chunk))
            .order(dossiers::code.asc())
            .select(DossierRow::as_select())
            .load(conn)?;
        for row in rows {
            out.push(row.try_into()?);
        }
    }
    Ok(out)
}

/// Codes of the dossiers on calendar `calendar_id` that are paused now, or
/// were resumed at or after `since` (after any pause when None): those
/// whose due instant as it stood, while they waited, the calendar moved.
pub fn paused_on(
    conn: &mut DbConnection,
    calendar_id: &str,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<String>, StoreError> {
    let q = dossiers::table
        .filter(dossiers::calendar_id.eq(calendar_id))
        .order(dossiers::code.asc())
        .select(dossiers::code)
        .into_boxed();
    let q = match since {
        Some(t) => q.filter(crate::figures::paused_at_or_since(to_db(t))),
        None => q.filter(dossiers::paused_since.is_not_null().or(dossiers::last_resumed_at.is_not_null())),
    };
    Ok(q.load(conn)?)
}

pub fn get(conn: &mut DbConnection, code: &str) -> Result<StoredDossier, StoreError> {
    find(conn, code)?.ok_or_else(|| StoreError::not_found(format!("dossier {code}")))
}

/// Codes of the dossiers counted on calendar `calendar_id` that are still
/// open (received, not yet resolved or otherwise closed) and due at or after
/// `from`, oldest code first.
pub fn open_due_from(
    conn: &mut DbConnection,
    calendar_id: &str,
    from: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    Ok(dossiers::table
        .filter(dossiers::calendar_id.eq(calendar_id))
        .filter(dossiers::closed_at.is_null())
        .filter(dossiers::due_at.ge(to_db(from)))
        .order(dossiers::code.asc())
        .select(dossiers::code)
        .load(conn)?)
}

pub fn history(conn: &mut DbConnection, code: &str) -> Result<Vec<History>, StoreError> {
    let rows: Vec<HistoryRow> = dossier_history::table
        .filter(dossier_history::dossier_code.eq(code))
        .order(dossier_history::seq.asc())
        .select(HistoryRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(History::from).collect())
}

/// A change decided by the caller from the current dossier.
pub struct Change {
    pub state: DossierState,
    pub history: NewHistory,
    pub documents: Vec<NewDocument>,
    /// A payment obligation or settlement that goes with the move.
    pub payment: Option<crate::payments::PaymentOp>,
    /// The channels the deployment tells applicants on (none: no notification).
    pub notify: Channels,
}

/// Takes the dossier's write lock for the rest of the transaction (the
/// same lock [`update`] takes first), without changing it.
pub fn lock(conn: &mut DbConnection, code: &str) -> Result<(), StoreError> {
    let touched =
        diesel::update(dossiers::table.find(code)).set(dossiers::version.eq(dossiers::version)).execute(conn)?;
    if touched == 0 {
        return Err(StoreError::not_found(format!("dossier {code}")));
    }
    Ok(())
}

/// Applies a change under the dossier's lock: the row is locked (a no-op
/// update) before it is read, so two concurrent changes are serialised and
/// the second decides on the first's result. `decide` may refuse with its own
/// error, which rolls everything back and is returned as is.
pub fn update<E: From<StoreError>>(
    conn: &mut DbConnection,
    code: &str,
    now: DateTime<Utc>,
    decide: impl FnOnce(&mut DbConnection, &StoredDossier) -> Result<Change, E>,
) -> Result<StoredDossier, E> {
    crate::connection::write_transaction_as(conn, |conn| {
        lock(conn, code)?;
        let current = get(conn, code)?;
        let change = decide(conn, &current)?;
        write_change(conn, code, &current, &change, now).map_err(E::from)
    })
}

/// Writes a decided change: the dossier's columns, the history row, the
/// documents, the payment operation, and last the outbox row.
fn write_change(
    conn: &mut DbConnection,
    code: &str,
    current: &StoredDossier,
    change: &Change,
    now: DateTime<Utc>,
) -> Result<StoredDossier, StoreError> {
    {
        let StateColumns { data, paused_since, last_resumed_at, timeliness, status } =
            state_columns(&change.state, &current.applicant, current.submitter_name.as_deref())?;
        let s = &change.state;
        diesel::update(dossiers::table.find(code))
            .set((
                dossiers::status.eq(status.as_str()),
                dossiers::handling_agency.eq(s.handling_agency.as_str()),
                dossiers::received_at.eq(s.received_at.map(to_db)),
                dossiers::due_at.eq(s.due_at.map(to_db)),
                dossiers::promised_at.eq(s.promised_at.map(to_db)),
                dossiers::resolved_at.eq(s.resolved_at.map(to_db)),
                dossiers::returned_at.eq(s.returned_at.map(to_db)),
                dossiers::paused_since.eq(paused_since),
                dossiers::last_resumed_at.eq(last_resumed_at),
                dossiers::outcome.eq(s.outcome.map(|o| o.as_str())),
                dossiers::resolved_timeliness.eq(timeliness.map(Timeliness::as_str)),
                dossiers::version.eq(current.version + 1),
                dossiers::closed_at.eq(match current.closed_at {
                    Some(t) => Some(to_db(t)),
                    None if s.status.closes() => Some(to_db(now)),
                    None => None,
                }),
                dossiers::data.eq(data),
                dossiers::updated_at.eq(to_db(now)),
                dossiers::reply_by.eq(s.reply_by.map(to_db)),
            ))
            .execute(conn)?;
        append_history(conn, &current.code, &change.history)?;
        for d in &change.documents {
            insert_document(conn, &current.code, d)?;
        }
        if let Some(op) = &change.payment {
            crate::payments::apply_op(conn, code, op, &change.history.actor.id, now)?;
        }
        crate::figures::recount(conn, &[code.to_owned()])?;
        let updated = get(conn, code)?;
        crate::changes::record(conn, &updated, &change.history, now, change.notify)?;
        Ok(updated)
    }
}

/// Writes `step` as the dossier's next history row, chained to the last.
fn append_history(conn: &mut DbConnection, code: &DossierCode, step: &NewHistory) -> Result<(), StoreError> {
    let last: Option<(i32, Option<String>)> = dossier_history::table
        .filter(dossier_history::dossier_code.eq(code.as_str()))
        .order(dossier_history::seq.desc())
        .select((dossier_history::seq, dossier_history::hash))
        .first(conn)
        .optional()?;
    let (seq, previous) = last.map_or((1, None), |(seq, hash)| (seq + 1, hash));
    let row = history_row(code, seq, step, previous.as_deref());
    diesel::insert_into(dossier_history::table).values(row).execute(conn)?;
    Ok(())
}

/// Adds a document without a move (an upload): bumps the version, and
/// records `step` in the history and the change feed like any change.
pub fn add_document(
    conn: &mut DbConnection,
    code: &DossierCode,
    doc: &NewDocument,
    step: &NewHistory,
) -> Result<Document, StoreError> {
    write_transaction(conn, |conn| {
        let touched = diesel::update(dossiers::table.find(code.as_str()))
            .set((dossiers::version.eq(dossiers::version + 1), dossiers::updated_at.eq(to_db(doc.at))))
            .execute(conn)?;
        if touched == 0 {
            return Err(StoreError::not_found(format!("dossier {code}")));
        }
        let row = insert_document(conn, code, doc)?;
        append_history(conn, code, step)?;
        crate::figures::recount(conn, &[code.to_string()])?;
        let updated = get(conn, code.as_str())?;
        // An upload tells the applicant nothing.
        crate::changes::record(conn, &updated, step, doc.at, Channels::default())?;
        Ok(row)
    })
}

/// Filters of the dossier list; every one optional.
#[derive(Debug, Clone, Default)]
pub struct DossierFilter {
    pub status: Option<Status>,
    /// Receiving or handling agency in this set (an agency with its sub-units).
    pub agencies: Option<Vec<String>>,
    /// The caller's own scope, applied on top (staff: their agency's subtree).
    pub scope: Option<Vec<String>>,
    /// A citizen sees only dossiers they submitted or that name them.
    pub citizen: Option<String>,
    pub procedure: Option<String>,
    pub sector: Option<String>,
    pub channel: Option<Channel>,
    pub applicant_id: Option<String>,
    pub received_from: Option<DateTime<Utc>>,
    pub received_to: Option<DateTime<Utc>>,
    pub resolved_from: Option<DateTime<Utc>>,
    pub resolved_to: Option<DateTime<Utc>>,
    pub timeliness: Option<Timeliness>,
    /// Awaiting a supplement whose reply deadline has passed (true) or not (false), at `now`.
    pub supplement_overdue: Option<bool>,
    pub now: Option<DateTime<Utc>>,
    /// Page after this (submitted_at, code), newest first.
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: i64,
}

const OPEN_AFTER_RECEPTION: [&str; 4] = ["received", "processing", "awaiting_supplement", "awaiting_payment"];

/// Each given dossier's due instant as it stood at `t` (docs/RULES.md §4.3: moved
/// by the pause time that had passed by `t`, never by later waiting), by
/// its own calendar; dossiers not received are left out.
pub fn dues_as_of(
    conn: &mut DbConnection,
    codes: &[String],
    t: DateTime<Utc>,
) -> Result<HashMap<String, DateTime<Utc>>, StoreError> {
    let mut calendars = CalendarCache::default();
    let mut out = HashMap::new();
    for chunk in codes.chunks(500) {
        let rows: Vec<DossierRow> =
            dossiers::table.filter(dossiers::code.eq_any(chunk)).select(DossierRow::as_select()).load(conn)?;
        for row in rows {
            let d = StoredDossier::try_from(row)?;
            if let Some(due) = d.state.due_as_of(t, calendars.get(conn, &d.calendar_id)?) {
                out.insert(d.code.to_string(), due);
            }
        }
    }
    Ok(out)
}

/// A page of dossiers, newest first. Filtered by `within_deadline` or
/// `overdue`, a dossier is judged at `now` exactly as its own `timeliness`
/// says (a paused one by the office time its pause has held so far), so
/// the database narrows the candidates and each is judged here.
pub fn list(conn: &mut DbConnection, f: &DossierFilter) -> Result<Vec<StoredDossier>, StoreError> {
    let now = f.now.unwrap_or_else(Utc::now);
    let judged = f.timeliness.filter(|t| matches!(t, Timeliness::WithinDeadline | Timeliness::Overdue));
    // One page of candidates after a cursor.
    let page = |after: Option<&(DateTime<Utc>, String)>| {
        let mut q = dossiers::table.select(DossierRow::as_select()).into_boxed();
        if let Some(s) = f.status {
            q = q.filter(dossiers::status.eq(s.as_str()));
        }
        if let Some(set) = &f.agencies {
            q = q.filter(
                dossiers::receiving_agency.eq_any(set.clone()).or(dossiers::handling_agency.eq_any(set.clone())),
            );
        }
        if let Some(set) = &f.scope {
            q = q.filter(
                dossiers::receiving_agency.eq_any(set.clone()).or(dossiers::handling_agency.eq_any(set.clone())),
            );
        }
        if let Some(sub) = &f.citizen {
            q = q.filter(dossiers::owner_sub.eq(sub.clone()).or(dossiers::applicant_id.eq(sub.clone())));
        }
        if let Some(p) = &f.procedure {
            q = q.filter(dossiers::procedure_code.eq(p.clone()));
        }
        if let Some(s) = &f.sector {
            q = q.filter(dossiers::sector_code.eq(s.clone()));
        }
        if let Some(c) = f.channel {
            q = q.filter(dossiers::channel.eq(c.as_str()));
        }
        if let Some(a) = &f.applicant_id {
            q = q.filter(dossiers::applicant_id.eq(a.clone()));
        }
        if let Some(t) = f.received_from {
            q = q.filter(dossiers::received_at.ge(to_db(t)));
        }
        if let Some(t) = f.received_to {
            q = q.filter(dossiers::received_at.lt(to_db(t)));
        }
        if let Some(t) = f.resolved_from {
            q = q.filter(dossiers::resolved_at.ge(to_db(t)));
        }
        if let Some(t) = f.resolved_to {
            q = q.filter(dossiers::resolved_at.lt(to_db(t)));
        }
        if let Some(t) = f.timeliness {
            let now = to_db(now);
            q = match t {
                Timeliness::Early | Timeliness::OnTime | Timeliness::Late => {
                    q.filter(dossiers::resolved_timeliness.eq(t.as_str()))
                }
                // Open after reception and past its due instant; a paused
                // dossier's due instant moves while it waits: judged in `list`.
                Timeliness::Overdue => q
                    .filter(dossiers::status.eq_any(OPEN_AFTER_RECEPTION))
                    .filter(dossiers::paused_since.is_not_null().or(dossiers::due_at.lt(now))),
                Timeliness::WithinDeadline => q
                    .filter(dossiers::status.eq_any(OPEN_AFTER_RECEPTION))
                    .filter(dossiers::paused_since.is_not_null().or(dossiers::due_at.ge(now))),
            };
        }
        if let Some(overdue) = f.supplement_overdue {
            let now = to_db(now);
            let awaiting = dossiers::status.eq(Status::AwaitingSupplement.as_str());
            q = if overdue {
                q.filter(awaiting.and(dossiers::reply_by.lt(now)))
            } else {
                q.filter(awaiting.and(dossiers::reply_by.is_null().or(dossiers::reply_by.ge(now))))
            };
        }
        if let Some((at, code)) = after {
            let at = to_db(*at);
            q = q.filter(
                dossiers::submitted_at.lt(at).or(dossiers::submitted_at.eq(at).and(dossiers::code.lt(code.clone()))),
            );
        }
        q.order((dossiers::submitted_at.desc(), dossiers::code.desc())).limit(f.limit)
    };
    let mut calendars = CalendarCache::default();
    let mut out = Vec::new();
    let mut after = f.after.clone();
    loop {
        let rows = page(after.as_ref()).load::<DossierRow>(conn)?;
        let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) == f.limit;
        for row in rows {
            after = Some((from_db(row.submitted_at), row.code.to_string()));
            let d = StoredDossier::try_from(row)?;
            if let Some(t) = judged {
                if d.state.timeliness(now, calendars.get(conn, &d.calendar_id)?) != Some(t) {
                    continue;
                }
            }
            out.push(d);
            if i64::try_from(out.len()).unwrap_or(i64::MAX) == f.limit {
                return Ok(out);
            }
        }
        if judged.is_none() || !more {
            return Ok(out);
        }
    }
}
