//! `dvc seed synthetic`: a realistic, reproducible data set loaded through
//! the same import path as `POST /api/v1/imports/dossiers` — channels,
//! agencies and procedures of the demo catalogue, early, on-time and late
//! dossiers, supplements, payments, withdrawals, stops and ratings.

use std::time::Instant;

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use dvc_domain::auth::{Actor, Role};
use dvc_persistence::procedures::{self, CatalogueQuery};
use dvc_persistence::DbConnection;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::dossiers::types::{ApplicantDto, ApplicantKindDto, ChannelDto, OutcomeDto, ReturnChannelDto};
use crate::imports::{import_batch, EventIn, ImportAction, ImportDossier, ImportedMethod, RatingImport};
use crate::ratings::Overall;
use crate::time::vietnam;

fn event(action: ImportAction, at: DateTime<FixedOffset>) -> EventIn {
    EventIn {
        action,
        at,
        actor_id: Some("seed".into()),
        actor_name: Some("Dữ liệu tổng hợp".into()),
        note: None,
        reason: None,
        outcome: None,
        to_agency: None,
        amount_vnd: None,
        reply_by: None,
        new_date: None,
        channel: None,
        method: None,
    }
}

/// A CCCD with a plausible province prefix.
fn personal_id(rng: &mut StdRng) -> String {
    format!("{:03}{:09}", rng.random_range(1..=96), rng.random_range(0..1_000_000_000u64))
}

/// One synthetic dossier submitted `day` days after `start`, for a procedure (code, agency, limit in days).
fn dossier(
    rng: &mut StdRng,
    start: DateTime<FixedOffset>,
    day: i64,
    procedure: &(String, String, u32),
) -> ImportDossier {
    let submitted = start + Duration::days(day) + Duration::minutes(rng.random_range(0..600));
    let channel = match rng.random_range(0..100) {
        0..60 => ChannelDto::Online,
        60..75 => ChannelDto::NationalPortal,
        75..95 => ChannelDto::InPerson,
        _ => ChannelDto::Postal,
    };
    let mut events = Vec::new();
    let mut at = submitted + Duration::minutes(rng.random_range(5..240));
    let roll = rng.random_range(0..100);
    if roll < 2 {
        let mut e = event(ImportAction::Refuse, at);
        e.reason = Some("Hồ sơ không thuộc thẩm quyền".into());
        events.push(e);
    } else {
        events.push(event(ImportAction::Receive, at));
        at += Duration::minutes(rng.random_range(10..600));
        let mut h = event(ImportAction::HandOff, at);
        h.to_agency = Some(procedure.1.clone());
        events.push(h);
        if rng.random_range(0..100) < 15 {
            at += Duration::hours(rng.random_range(2..48));
            let mut r = event(ImportAction::RequestSupplement, at);
            r.reason = Some("Thiếu bản sao".into());
            r.reply_by = Some(at + Duration::days(15));
            events.push(r);
            at += Duration::hours(rng.random_range(4..120));
            events.push(event(ImportAction::Supplement, at));
        }
        if rng.random_range(0..100) < 30 {
            at += Duration::hours(rng.random_range(1..24));
            let mut r = event(ImportAction::RequestPayment, at);
            r.amount_vnd = Some(50_000);
            events.push(r);
            at += Duration::hours(rng.random_range(1..72));
            let mut p = event(ImportAction::RecordPayment, at);
            p.amount_vnd = Some(50_000);
            p.method = Some(
                [
                    ImportedMethod::Online,
                    ImportedMethod::Transfer,
                    ImportedMethod::Cash,
                    ImportedMethod::Cash,
                    ImportedMethod::Online,
                ][rng.random_range(0..5)],
            );
            events.push(p);
        }
        match rng.random_range(0..100) {
            0..2 => events.push(event(ImportAction::Withdraw, at + Duration::hours(2))),
            2..3 => {
                let mut s = event(ImportAction::Stop, at + Duration::hours(3));
                s.reason = Some("Quá hạn bổ sung".into());
                events.push(s);
            }
            _ => {
                // Most dossiers settle within their limit, some after it.
                let days = i64::from(procedure.2.max(1));
                let spread = rng.random_range(0..(days * 14 / 10 + 2));
                at += Duration::days(spread) + Duration::minutes(rng.random_range(0..300));
                let mut r = event(ImportAction::Resolve, at);
                r.outcome = Some(if rng.random_range(0..100) < 95 { OutcomeDto::Granted } else { OutcomeDto::Denied });
                r.reason = Some("Đủ điều kiện".into());
                events.push(r);
                at += Duration::hours(rng.random_range(1..48));
                let mut ret = event(ImportAction::Return, at);
                ret.channel = Some(if channel == ChannelDto::Online {
                    ReturnChannelDto::Online
                } else {
                    ReturnChannelDto::InPerson
                });
                events.push(ret);
            }
        }
    }
    let returned = events.last().is_some_and(|e| e.action == ImportAction::Return);
    let rating = (returned && rng.random_range(0..100) < 30).then(|| RatingImport {
        criteria: (0..9).map(|_| if rng.random_range(0..10) < 8 { 2 } else { 1 }).collect(),
        overall: if rng.random_range(0..100) < 88 { Overall::Satisfied } else { Overall::Dissatisfied },
        at: at + Duration::days(1),
    });
    ImportDossier {
        external_code: None,
        procedure: procedure.0.clone(),
        agency: procedure.1.clone(),
        channel,
        applicant: ApplicantDto {
            kind: ApplicantKindDto::Citizen,
            id_number: personal_id(rng),
            name: "Công dân tổng hợp".into(),
            phone: None,
            email: None,
            address: None,
            date_of_birth: None,
            notify_by: None,
        },
        summary: "Hồ sơ tổng hợp".into(),
        submitted_at: submitted,
        events,
        documents: Vec::new(),
        rating,
    }
}

/// Where and how many synthetic dossiers to load.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    /// The first submission's day (07:30, Vietnam time).
    pub first_day: chrono::NaiveDate,
    /// Submissions are spread evenly over this many days.
    pub days: u32,
    /// Events after this instant are left out: dossiers submitted lately are
    /// still open (received, handed off, awaiting a supplement or a payment).
    pub now: DateTime<Utc>,
}

impl Span {
    /// The year 2025, as `dvc seed synthetic` loads it.
    pub fn year_2025(now: DateTime<Utc>) -> Self {
        Self { first_day: chrono::NaiveDate::from_ymd_opt(2025, 1, 2).unwrap_or_default(), days: 360, now }
    }

    /// The year up to `now`: the demo's history.
    pub fn last_year(now: DateTime<Utc>) -> Self {
        let today = now.with_timezone(&vietnam()).date_naive();
        Self { first_day: today - Duration::days(365), days: 365, now }
    }
}

/// Loads `count` synthetic dossiers over `span` in batches; says how many
/// and how fast.
pub fn synthetic(
    conn: &mut DbConnection,
    count: usize,
    seed: u64,
    batch: usize,
    max_doc: usize,
    span: Span,
) -> Result<String, String> {
    let found = procedures::search(
        conn,
        &CatalogueQuery {
            at: span.first_day,
            words: vec![],
            sector: None,
            agency: None,
            level: None,
            service_level: None,
            after: None,
            limit: 1000,
        },
    )
    .map_err(|e| e.to_string())?;
    let procedures: Vec<(String, String, u32)> = found
        .iter()
        .filter(|v| !v.version.content.processing_time.same_day)
        .filter_map(|v| {
            let c = &v.version.content;
            c.implementing_agencies
                .first()
                .map(|a| (v.version.code.to_string(), a.to_string(), c.processing_time.amount))
        })
        .collect();
    if procedures.is_empty() {
        return Err(format!("no procedure in force on {}: load the demo catalogue first (DVC_DEMO=1)", span.first_day));
    }
    let importer = Actor { id: "seed".into(), role: Role::Admin, agency: None, name: "dvc seed".into() };
    let mut rng = StdRng::seed_from_u64(seed);
    let start = vietnam()
        .from_local_datetime(&span.first_day.and_hms_opt(7, 30, 0).unwrap_or_default())
        .single()
        .ok_or("start instant")?;
    let cutoff = span.now.with_timezone(&vietnam());
    let started = Instant::now();
    let (mut imported, mut rejected) = (0usize, 0usize);
    // Submitted in day order, as an older system's history would be exported.
    let mut left = count;
    while left > 0 {
        let n = left.min(batch.max(1));
        let first = count - left;
        let dossiers: Vec<ImportDossier> = (first..first + n)
            .filter_map(|i| {
                let p = &procedures[rng.random_range(0..procedures.len())];
                let day = i64::try_from(i * span.days as usize / count.max(1)).unwrap_or(0);
                let mut d = dossier(&mut rng, start, day, p);
                d.events.retain(|e| e.at <= cutoff);
                if d.rating.as_ref().is_some_and(|r| r.at > cutoff) {
                    d.rating = None;
                }
                (d.submitted_at <= cutoff).then_some(d)
            })
            .collect();
        let out = import_batch(conn, &dossiers, &importer, max_doc, span.now).map_err(|e| e.to_string())?;
        imported += out.imported.len();
        rejected += out.rejected.len();
        left -= n;
    }
    dvc_persistence::figures::analyze(conn).map_err(|e| e.to_string())?;
    let secs = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let rate = imported as f64 / secs.max(0.001);
    Ok(format!(
        "imported {imported} dossiers ({rejected} rejected by their own history) in {secs:.1} s: {rate:.0} dossiers/s"
    ))
}
