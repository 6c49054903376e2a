//! Reads from a PostgreSQL streaming replica (`DVC_DATABASE_READ_URL`).
//!
//! Lists, reports, the change feed and dossier reads go to the replica while
//! it is close enough to the primary; everything else, and any read the
//! replica cannot serve, goes to the primary. A monitor compares the two
//! every quarter of a second: it reads the primary's WAL position, then the
//! position the replica has replayed, and keeps the instants at which each
//! primary position was read. The replica is *fresh as of* the last instant
//! whose position it has replayed; it is used while that instant is less
//! than `DVC_READ_MAX_LAG_MS` old, and never when it does not answer or is
//! no longer a standby. Each change of state is logged.
//!
//! A caller reads its own writes: a write request (any method but GET, HEAD
//! and OPTIONS, answered without a 4xx) records when it was answered, under
//! the caller's `Authorization` header; that caller's reads go to the
//! primary until the replica is fresh as of a later instant — so the
//! replica has replayed a position the primary had reached after the write
//! had committed.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, Error};
use dvc_persistence::connection::{replayed_position, wal_position, DbManager};
use dvc_persistence::{DatabaseUrl, DbConnection, Pool, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// How often the monitor compares the replica with the primary.
const CHECK_EVERY: Duration = Duration::from_millis(250);

/// Callers' last writes are remembered at least this long after them, and
/// longer than the allowed lag (the replica is past them by then, or not used).
const REMEMBER_WRITES: Duration = Duration::from_secs(120);

/// The replica, its state, and the callers' recent writes.
pub struct ReadReplica {
    pub pool: Pool,
    /// Where the monitor connects, with connections of its own (a busy
    /// request pool never delays its judgement).
    url: DatabaseUrl,
    pub max_lag: Duration,
    state: Mutex<State>,
    writes: Mutex<HashMap<u64, Instant>>,
}

#[derive(Debug, Clone, Default)]
struct State {
    /// The primary's position read at this instant has been replayed.
    fresh_as_of: Option<Instant>,
    /// Why the replica is not used, when it does not answer or is not a standby.
    down: Option<String>,
    /// Whether the last judgement used it (to log changes only).
    used: bool,
}

/// Where the read replica stands (`/health/ready`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplicaReport {
    /// `in_use`, `behind` (more than the allowed lag), or `down`.
    #[schema(example = "in_use")]
    pub state: &'static str,
    /// How far behind the primary it is known to be, in milliseconds (none
    /// before its first answer).
    pub lag_ms: Option<u64>,
    /// The allowed lag (`DVC_READ_MAX_LAG_MS`).
    pub max_lag_ms: u64,
    /// Why it is down.
    pub reason: Option<String>,
}

tokio::task_local! {
    /// Set around every request's handler when a replica is configured:
    /// when the caller last wrote, if lately.
    static CALLER_WROTE: Option<Instant>;
}

impl ReadReplica {
    pub fn new(pool: Pool, url: DatabaseUrl, max_lag: Duration) -> Self {
        Self { pool, url, max_lag, state: Mutex::default(), writes: Mutex::default() }
    }

    fn remember_writes(&self) -> Duration {
        REMEMBER_WRITES.max(self.max_lag + Duration::from_secs(10))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether reads may go to the replica in this state: it answers, is a
    /// standby, and has replayed what the primary had within the allowed lag.
    fn in_use(&self, s: &State) -> bool {
        s.down.is_none() && s.fresh_as_of.is_some_and(|f| f.elapsed() <= self.max_lag)
    }

    /// Whether the request being served may read from the replica: inside a
    /// request only, while the replica is fresh enough, and fresher than the
    /// caller's last write.
    pub fn serves_this_request(&self) -> bool {
        let Ok(wrote) = CALLER_WROTE.try_with(|w| *w) else { return false };
        let s = self.state();
        self.in_use(&s) && wrote.is_none_or(|w| s.fresh_as_of.is_some_and(|fresh| fresh > w))
    }

    /// A read on the replica failed for want of a connection: the primary
    /// serves until the monitor finds the replica again.
    pub fn failed(&self, why: &str) {
        let mut s = self.state();
        if s.down.is_none() {
            log::warn!("read replica: not used, reads go to the primary: {why}");
        }
        s.down = Some(why.to_owned());
        s.used = false;
    }

    pub fn report(&self) -> ReplicaReport {
        let s = self.state();
        let lag = s.fresh_as_of.map(|f| f.elapsed());
        let state = if s.down.is_some() {
            "down"
        } else if self.in_use(&s) {
            "in_use"
        } else {
            "behind"
        };
        ReplicaReport {
            state,
            lag_ms: lag.map(|l| u64::try_from(l.as_millis()).unwrap_or(u64::MAX)),
            max_lag_ms: u64::try_from(self.max_lag.as_millis()).unwrap_or(u64::MAX),
            reason: s.down.clone(),
        }
    }

    fn wrote(&self, caller: u64, at: Instant) {
        self.writes.lock().unwrap_or_else(PoisonError::into_inner).insert(caller, at);
    }

    fn last_write(&self, caller: u64) -> Option<Instant> {
        let w = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        w.get(&caller).copied().filter(|t| t.elapsed() < self.remember_writes())
    }

    /// Forgets the writes the replica no longer needs to be judged against.
    fn forget_old_writes(&self) {
        let keep = self.remember_writes();
        self.writes.lock().unwrap_or_else(PoisonError::into_inner).retain(|_, t| t.elapsed() < keep);
    }

    /// One comparison: the primary's position now, then the replica's.
    fn check(&self, monitor: &mut Monitor, samples: &mut VecDeque<(Instant, i64)>) {
        let at = Instant::now();
        match monitor.primary.run(wal_position) {
            Ok(lsn) => samples.push_back((at, lsn)),
            // Without the primary's position the replica's freshness cannot
            // grow; it ages until the primary answers again.
            Err(e) => log::debug!("read replica: the primary's position not read: {e}"),
        }
        let keep = self.max_lag + Duration::from_secs(5);
        while samples.len() > 1 && samples.front().is_some_and(|(t, _)| t.elapsed() > keep) {
            samples.pop_front();
        }
        let replayed = monitor.replica.run(replayed_position);
        let mut s = self.state();
        match replayed {
            Ok(Some(lsn)) => {
                let fresh = samples.iter().rev().find(|(_, p)| *p <= lsn).map(|(t, _)| *t);
                if fresh.is_some() {
                    s.fresh_as_of = fresh;
                }
                s.down = None;
            }
            Ok(None) => s.down = Some("it is not a standby (promoted?): it no longer follows the primary".into()),
            Err(e) => s.down = Some(format!("it does not answer: {e}")),
        }
        let used = self.in_use(&s);
        if used != s.used {
            s.used = used;
            if used {
                log::info!("read replica: in use");
            } else if let Some(why) = &s.down {
                log::warn!("read replica: not used, reads go to the primary: {why}");
            } else {
                let lag =
                    s.fresh_as_of.map_or_else(|| "unknown".to_owned(), |f| format!("{} ms", f.elapsed().as_millis()));
                log::warn!(
                    "read replica: not used, reads go to the primary: behind by {lag} (more than {} ms)",
                    self.max_lag.as_millis()
                );
            }
        }
    }

    /// Compares the replica with the primary until the server stops.
    pub fn spawn_monitor(
        self: Arc<Self>,
        primary: DatabaseUrl,
        shutdown: crate::workers::Shutdown,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        let mut monitor = Monitor { primary: Link::new(primary), replica: Link::new(self.url.clone()) };
        std::thread::Builder::new().name("read-replica".into()).spawn(move || {
            let mut samples = VecDeque::new();
            let mut ticks: u32 = 0;
            while !shutdown.is_stopped() {
                self.check(&mut monitor, &mut samples);
                ticks = ticks.wrapping_add(1);
                if ticks.is_multiple_of(40) {
                    self.forget_old_writes();
                }
                shutdown.sleep(CHECK_EVERY);
            }
        })
    }
}

/// The monitor's own connections to the primary and the replica.
struct Monitor {
    primary: Link,
    replica: Link,
}

/// A connection made when needed and dropped after a failure (made again at
/// the next use).
struct Link {
    manager: DbManager,
    conn: Option<DbConnection>,
}

impl Link {
    fn new(url: DatabaseUrl) -> Self {
        Self { manager: DbManager::new(url), conn: None }
    }

    fn run<T>(&mut self, f: impl FnOnce(&mut DbConnection) -> Result<T, StoreError>) -> Result<T, String> {
        let conn = match &mut self.conn {
            Some(c) => c,
            None => self.conn.insert(self.manager.connect().map_err(|e| e.to_string())?),
        };
        f(conn).map_err(|e| {
            self.conn = None;
            e.to_string()
        })
    }
}

/// The caller, as far as reading its own writes goes: its credentials.
fn caller_of(req: &ServiceRequest) -> Option<u64> {
    let value = req.headers().get(AUTHORIZATION)?;
    let mut h = DefaultHasher::new();
    value.as_bytes().hash(&mut h);
    Some(h.finish())
}

/// The middleware: tells the handlers' reads when the caller last wrote,
/// and records a write when it has been answered.
pub async fn route(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let replica = req.app_data::<web::Data<AppState>>().and_then(|s| s.replica.clone());
    let Some(replica) = replica else { return next.call(req).await };
    let caller = caller_of(&req);
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let wrote = caller.and_then(|c| replica.last_write(c));
    let res = CALLER_WROTE.scope(wrote, next.call(req)).await?;
    if let (true, Some(caller)) = (writes, caller) {
        if !res.status().is_client_error() {
            replica.wrote(caller, Instant::now());
        }
    }
    Ok(res)
}
