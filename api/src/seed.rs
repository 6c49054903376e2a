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
    /// `days` days from 2 January 2025, as `dvc seed synthetic` loads them
    /// (360: the year 2025).
    pub fn from_2025(days: u32, now: DateTime<Utc>) -> Self {
        Self { first_day: chrono::NaiveDate::from_ymd_opt(2025, 1, 2).unwrap_or_default(), days, now }
    }

    /// The year up to `now`: the demo's history.
    pub fn last_year(now: DateTime<Utc>) -> Self {
        let today = now.with_timezone(&vietnam()).date_naive();
        Self { first_day: today - Duration::days(365), days: 365, now }
    }
}

/// Loads `count` synthetic dossiers over `span` in batches of `batch` on
/// one connection; says how many and how fast.
pub fn synthetic(
    conn: &mut DbConnection,
    count: usize,
    seed: u64,
    batch: usize,
    max_doc: usize,
    span: Span,
) -> Result<String, String> {
    let plan = Plan::new(conn, count, seed, batch, span)?;
    let started = Instant::now();
    let done = plan.run(conn, &Queue::default(), (0, 1), max_doc)?;
    plan.finish(conn, done, started)
}

/// [`synthetic`] on `workers` connections of the pool at once, each with a
/// stretch of the days: the same dossiers, imported side by side (PostgreSQL
/// spreads the work over its cores; SQLite has one writer and gains
/// nothing). The day two stretches share may then number its codes in a
/// different order from one run to the next; the figures are the same.
pub fn synthetic_parallel(
    pool: &dvc_persistence::Pool,
    workers: usize,
    count: usize,
    seed: u64,
    batch: usize,
    max_doc: usize,
    span: Span,
) -> Result<String, String> {
    let size = usize::try_from(pool.max_size()).unwrap_or(usize::MAX);
    if workers > size {
        return Err(format!(
            "--parallel {workers} needs as many database connections: set DVC_POOL_SIZE to at least {workers} (it is {size})"
        ));
    }
    let plan = Plan::new(&mut *pool.get().map_err(|e| e.to_string())?, count, seed, batch, span)?;
    let started = Instant::now();
    let queue = Queue::default();
    let done = std::thread::scope(|s| {
        let workers = workers.max(1);
        let (plan, queue) = (&plan, &queue);
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    let mut conn = pool.get().map_err(|e| e.to_string())?;
                    plan.run(&mut conn, queue, (w, workers), max_doc)
                })
            })
            .collect();
        let mut done = Done::default();
        let mut failure = None;
        for h in handles {
            match h.join() {
                Ok(Ok(d)) => done = done.plus(d),
                Ok(Err(e)) => failure = failure.or(Some(e)),
                Err(_) => failure = failure.or(Some("an import worker panicked".to_owned())),
            }
        }
        failure.map_or(Ok(done), Err)
    })?;
    plan.finish(&mut *pool.get().map_err(|e| e.to_string())?, done, started)
}

/// The batches still to import, and whether one failed (which stops them
/// all).
#[derive(Default)]
struct Queue {
    failed: std::sync::atomic::AtomicBool,
    /// Imported so far; how many and when at the last report.
    progress: std::sync::Mutex<(usize, usize, Option<Instant>)>,
}

impl Queue {
    /// Counts a batch in; a large load says on standard error how fast each
    /// tenth of it went, so that a rate that falls as the tables grow shows.
    fn count_in(&self, plan: &Plan, imported: usize) {
        let tenth = plan.count / 10;
        if plan.count < 100_000 || tenth == 0 {
            return;
        }
        let Ok(mut p) = self.progress.lock() else { return };
        let (before, reported, since) = *p;
        let now = before + imported;
        let since = since.unwrap_or(plan.started);
        if now / tenth > before / tenth {
            #[allow(clippy::cast_precision_loss)]
            let rate = (now - reported) as f64 / since.elapsed().as_secs_f64().max(0.001);
            eprintln!("{now} dossiers imported; the last stretch at {rate:.0} dossiers/s");
            *p = (now, now, Some(Instant::now()));
        } else {
            *p = (now, reported, Some(since));
        }
    }
}

/// How many dossiers were imported, and how many their history rejected.
#[derive(Default, Clone, Copy)]
struct Done {
    imported: usize,
    rejected: usize,
}

impl Done {
    fn plus(self, o: Self) -> Self {
        Self { imported: self.imported + o.imported, rejected: self.rejected + o.rejected }
    }
}

/// What every batch is drawn from.
struct Plan {
    count: usize,
    seed: u64,
    batch: usize,
    span: Span,
    procedures: Vec<(String, String, u32)>,
    importer: Actor,
    start: DateTime<FixedOffset>,
    cutoff: DateTime<FixedOffset>,
    started: Instant,
}

impl Plan {
    fn new(conn: &mut DbConnection, count: usize, seed: u64, batch: usize, span: Span) -> Result<Self, String> {
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
            return Err(format!(
                "no procedure in force on {}: load the demo catalogue first (DVC_DEMO=1)",
                span.first_day
            ));
        }
        let start = vietnam()
            .from_local_datetime(&span.first_day.and_hms_opt(7, 30, 0).unwrap_or_default())
            .single()
            .ok_or("start instant")?;
        // Every month of the span has its history partition before the
        // workers start (PostgreSQL).
        let months = (span.now - start.to_utc()).num_days() / 28 + 1;
        let months = dvc_persistence::history::months_ahead(start.to_utc(), u32::try_from(months).unwrap_or(0));
        dvc_persistence::history::ensure_months(
            conn,
            &[dvc_persistence::history::Monthly::History],
            months.into_iter().filter(|t| *t <= span.now).chain(std::iter::once(span.now)),
        )
        .map_err(|e| e.to_string())?;
        Ok(Self {
            count,
            seed,
            batch: batch.max(1),
            span,
            procedures,
            importer: Actor { id: "seed".into(), role: Role::Admin, agency: None, name: "dvc seed".into() },
            start,
            cutoff: span.now.with_timezone(&vietnam()),
            started: Instant::now(),
        })
    }

    /// Batch `b`: its dossiers, drawn from a generator of its own (so that
    /// any worker draws the same), submitted in day order as an older
    /// system's history would be exported.
    fn dossiers(&self, b: usize) -> Vec<ImportDossier> {
        let mut rng = StdRng::seed_from_u64(self.seed ^ (b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let first = b * self.batch;
        (first..(first + self.batch).min(self.count))
            .filter_map(|i| {
                let p = &self.procedures[rng.random_range(0..self.procedures.len())];
                let day = i64::try_from(i * self.span.days as usize / self.count.max(1)).unwrap_or(0);
                let mut d = dossier(&mut rng, self.start, day, p);
                d.events.retain(|e| e.at <= self.cutoff);
                if d.rating.as_ref().is_some_and(|r| r.at > self.cutoff) {
                    d.rating = None;
                }
                (d.submitted_at <= self.cutoff).then_some(d)
            })
            .collect()
    }

    /// Imports worker `w` of `workers`'s share of the batches, in order,
    /// until it is done or a batch fails. Each worker has a stretch of days
    /// of its own: batches of the same days would wait for each other (an
    /// agency's day counter and the day's sums are held to the commit).
    fn run(
        &self,
        conn: &mut DbConnection,
        queue: &Queue,
        (w, workers): (usize, usize),
        max_doc: usize,
    ) -> Result<Done, String> {
        use std::sync::atomic::Ordering;
        let batches = self.count.div_ceil(self.batch);
        let share = batches.div_ceil(workers.max(1));
        let mut done = Done::default();
        for b in (w * share)..((w + 1) * share).min(batches) {
            if queue.failed.load(Ordering::Relaxed) {
                return Ok(done);
            }
            let out = import_batch(conn, &self.dossiers(b), &self.importer, max_doc, self.span.now).map_err(|e| {
                queue.failed.store(true, Ordering::Relaxed);
                e.to_string()
            })?;
            queue.count_in(self, out.imported.len());
            done = done.plus(Done { imported: out.imported.len(), rejected: out.rejected.len() });
        }
        Ok(done)
    }

    fn finish(&self, conn: &mut DbConnection, done: Done, started: Instant) -> Result<String, String> {
        dvc_persistence::figures::analyze(conn).map_err(|e| e.to_string())?;
        let secs = started.elapsed().as_secs_f64();
        #[allow(clippy::cast_precision_loss)]
        let rate = done.imported as f64 / secs.max(0.001);
        Ok(format!(
            "imported {} dossiers ({} rejected by their own history) in {secs:.1} s: {rate:.0} dossiers/s",
            done.imported, done.rejected
        ))
    }
}
