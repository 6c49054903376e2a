//! Connections: one enum over both backends, our own r2d2 manager that
//! picks the backend from the URL scheme and reports the real connection
//! error, and the pool.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
#[cfg(feature = "postgres")]
use diesel::pg::PgConnection;
#[cfg(feature = "sqlite")]
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};

use crate::error::StoreError;

#[cfg(not(any(feature = "postgres", feature = "sqlite")))]
compile_error!("dvc-persistence needs a backend: the feature `postgres`, `sqlite`, or both");

/// A connection to either backend; a backend left out of the build (cargo
/// features `postgres` and `sqlite`) has no variant.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    #[cfg(feature = "postgres")]
    Pg(PgConnection),
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteConnection),
}

impl DbConnection {
    /// Whether this is an SQLite connection.
    pub fn is_sqlite(&self) -> bool {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// Whether this is a PostgreSQL connection.
    pub fn is_postgres(&self) -> bool {
        !self.is_sqlite()
    }
}

pub type Pool = r2d2::Pool<DbManager>;
pub type PooledConnection = r2d2::PooledConnection<DbManager>;

/// Which database a `DATABASE_URL` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    /// A file path (`sqlite://dvc.db` → `dvc.db`, `sqlite:///var/dvc.db` → `/var/dvc.db`).
    Sqlite(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if path.is_empty() || path.starts_with(":memory:") {
                Err("an SQLite DATABASE_URL names a file (sqlite://dvc.db); an in-memory database is not shared by a pool".into())
            } else {
                Ok(Self::Sqlite(path.to_owned()))
            }
        } else {
            Err(format!(
                "DATABASE_URL must start with postgres://, postgresql:// or sqlite://; got {:?}",
                url.split("://").next().unwrap_or_default()
            ))
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }

    /// The URL with any password hidden, for logs.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{path}"),
            Self::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(s), Some(at)) if at > s && url[s + 3..at].contains(':') => {
                    let user = url[s + 3..at].split(':').next().unwrap_or_default();
                    format!("{}://{user}:***@{}", &url[..s], &url[at + 1..])
                }
                _ => url.clone(),
            },
        }
    }
}

#[derive(Debug)]
pub struct DbManager {
    url: DatabaseUrl,
}

impl DbManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    pub fn connect(&self) -> Result<DbConnection, StoreError> {
        match &self.url {
            #[cfg(feature = "postgres")]
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Pg)
                .map_err(|e| StoreError::Unavailable(format!("PostgreSQL: {e}"))),
            #[cfg(not(feature = "postgres"))]
            DatabaseUrl::Postgres(_) => Err(StoreError::Unavailable(
                "this build of dvc has no PostgreSQL support (built without the cargo feature `postgres`)".into(),
            )),
            #[cfg(not(feature = "sqlite"))]
            DatabaseUrl::Sqlite(_) => Err(StoreError::Unavailable(
                "this build of dvc has no SQLite support (built without the cargo feature `sqlite`)".into(),
            )),
            #[cfg(feature = "sqlite")]
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)
                    .map_err(|e| StoreError::Unavailable(format!("SQLite {path}: {e}")))?;
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(|e| StoreError::Unavailable(format!("SQLite {path}: {e}")))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// A pooled connection, with when it was last known to work.
pub struct Pooled {
    conn: DbConnection,
    known_good: Instant,
}

impl std::ops::Deref for Pooled {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// How long after it was made, or last answered the ping, a connection is
/// handed out without asking the database first: under load a connection goes out and back
/// many times a second, and asking each time (`SELECT 1`) was a round trip
/// on every request (bench/RESULTS.md). So a connection the database closed
/// (a restart, a failover) can fail requests for at most this long.
const TRUSTED_FOR: Duration = Duration::from_secs(1);

impl r2d2::ManageConnection for DbManager {
    type Connection = Pooled;
    type Error = StoreError;

    fn connect(&self) -> Result<Pooled, StoreError> {
        Ok(Pooled { conn: DbManager::connect(self)?, known_good: Instant::now() })
    }

    /// A connection last asked more than [`TRUSTED_FOR`] ago is asked a
    /// trivial query before it is handed out: one the database closed
    /// meanwhile is replaced instead of failing a request.
    fn is_valid(&self, conn: &mut Pooled) -> Result<(), StoreError> {
        if conn.known_good.elapsed() < TRUSTED_FOR {
            return Ok(());
        }
        diesel::sql_query("SELECT 1").execute(&mut conn.conn).map_err(StoreError::from)?;
        conn.known_good = Instant::now();
        Ok(())
    }

    /// A connection whose transaction could not be rolled back, or given
    /// back by a panicking thread, is not reused.
    fn has_broken(&self, conn: &mut Pooled) -> bool {
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(&mut conn.conn)
    }
}

/// Builds the pool. On SQLite the WAL journal is switched on first, on a lone
/// connection: doing it from several pooled connections at once races for
/// the write lock.
pub fn build_pool(url: &DatabaseUrl, size: u32, timeout: Duration) -> Result<Pool, StoreError> {
    let manager = DbManager::new(url.clone());
    if url.is_sqlite() {
        let mut conn = manager.connect()?;
        conn.batch_execute("PRAGMA journal_mode = WAL;")?;
    }
    r2d2::Pool::builder()
        .max_size(size.max(1))
        .min_idle(Some(1))
        .connection_timeout(timeout)
        .test_on_check_out(true)
        .build(manager)
        .map_err(|e| StoreError::Unavailable(e.to_string()))
}

/// A pool that makes its connections when asked for them: building it never
/// waits for the database (a read replica down at start-up).
pub fn build_lazy_pool(url: &DatabaseUrl, size: u32, timeout: Duration) -> Pool {
    r2d2::Pool::builder()
        .max_size(size.max(1))
        .min_idle(Some(0))
        .connection_timeout(timeout)
        .test_on_check_out(true)
        .build_unchecked(DbManager::new(url.clone()))
}

#[derive(diesel::QueryableByName)]
struct WalPosition {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    lsn: Option<i64>,
}

/// A PostgreSQL primary's current WAL insert position, in bytes: past every
/// commit acknowledged so far, whatever `synchronous_commit` says.
pub fn wal_position(conn: &mut DbConnection) -> Result<i64, StoreError> {
    diesel::sql_query("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint AS lsn")
        .get_result::<WalPosition>(conn)?
        .lsn
        .ok_or_else(|| StoreError::Corrupt("no WAL position".into()))
}

/// The WAL position a PostgreSQL standby has replayed, in bytes; none when
/// the server is not a standby.
pub fn replayed_position(conn: &mut DbConnection) -> Result<Option<i64>, StoreError> {
    Ok(diesel::sql_query(
        "SELECT CASE WHEN pg_is_in_recovery() THEN (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint END AS lsn",
    )
    .get_result::<WalPosition>(conn)?
    .lsn)
}

/// Asks the database a trivial query; answers which backend it is.
pub fn ping(conn: &mut DbConnection) -> Result<&'static str, StoreError> {
    diesel::sql_query("SELECT 1").execute(conn)?;
    Ok(if conn.is_sqlite() { "sqlite" } else { "postgres" })
}

/// Runs `f` in a transaction that holds the write lock from its first
/// statement. On SQLite a deferred transaction that reads and then writes
/// fails with "database is locked" under contention instead of waiting; a
/// write as the first statement makes it wait for the lock (busy_timeout).
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let _queued = conn.is_sqlite().then(SqliteWriter::enter);
    conn.transaction(|conn| {
        if conn.is_sqlite() {
            diesel::sql_query("UPDATE write_lock SET n = n + 1 WHERE id = 1").execute(conn)?;
        }
        f(conn)
    })
}

/// SQLite takes one writer at a time; writers that wait for its lock in
/// `busy_timeout` sleep in growing steps and are served in no order, which
/// made for p99s of hundreds of milliseconds under load (bench/RESULTS.md).
/// So the process queues its SQLite writers on a mutex first: the same
/// throughput, a wait proportional to the queue. Nested transactions on the
/// same thread do not queue again. (One mutex for every SQLite database of
/// the process: a server has one; tests with several only wait a little.)
struct SqliteWriter {
    guard: Option<std::sync::MutexGuard<'static, ()>>,
}

static SQLITE_WRITERS: std::sync::Mutex<()> = std::sync::Mutex::new(());

thread_local! {
    static WRITE_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

impl SqliteWriter {
    fn enter() -> Self {
        let depth = WRITE_DEPTH.with(|d| {
            let n = d.get();
            d.set(n + 1);
            n
        });
        // A writer that panicked poisoned nothing we hold: the data is ().
        let guard = (depth == 0).then(|| SQLITE_WRITERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        Self { guard }
    }
}

impl Drop for SqliteWriter {
    fn drop(&mut self) {
        self.guard.take();
        WRITE_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// [`write_transaction`] for closures with their own error type (an API
/// error, say): their error rolls the transaction back and comes out as is.
pub fn write_transaction_as<T, E: From<StoreError>>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    let mut refusal: Option<E> = None;
    let result = write_transaction(conn, |conn| match f(conn) {
        Ok(v) => Ok(v),
        Err(e) => {
            refusal = Some(e);
            Err(StoreError::Corrupt("rolled back by the caller".into()))
        }
    });
    match (result, refusal) {
        (_, Some(e)) => Err(e),
        (Ok(v), None) => Ok(v),
        (Err(e), None) => Err(e.into()),
    }
}

/// A multi-row insert on the concrete connection: diesel's MultiConnection
/// has no batch inserts, each backend has.
#[macro_export]
macro_rules! insert_many {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            #[cfg(feature = "postgres")]
            $crate::DbConnection::Pg(c) => diesel::insert_into($table).values($rows).execute(c),
            #[cfg(feature = "sqlite")]
            $crate::DbConnection::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c),
        }
    };
}

/// Many rows of one table at once: PostgreSQL's `COPY … FROM STDIN` in its
/// binary format (one statement, no parameter limit, several times faster
/// than a multi-row insert); on SQLite, multi-row inserts of 500.
#[macro_export]
macro_rules! copy_many {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            #[cfg(feature = "postgres")]
            $crate::DbConnection::Pg(c) => diesel::copy_from($table).from_insertable($rows).execute(c),
            #[cfg(feature = "sqlite")]
            $crate::DbConnection::Sqlite(c) => $rows
                .chunks(500)
                .try_fold(0, |n, chunk| diesel::insert_into($table).values(chunk.to_vec()).execute(c).map(|m| n + m)),
        }
    };
}

/// What failed in [`read_snapshot`]: the transaction, or the work in it.
enum SnapshotError<E> {
    Db(diesel::result::Error),
    Work(E),
}

impl<E> From<diesel::result::Error> for SnapshotError<E> {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

/// Runs a long read made of many queries (an export, read a page at a time)
/// in one transaction, so that every page sees the same state of the
/// database. On PostgreSQL it is read-only and repeatable-read, and each
/// query is planned for its own parameters: after five runs PostgreSQL
/// would otherwise keep a generic plan of a prepared keyset page (`code >
/// $after … ORDER BY code LIMIT $n`) that ignores the limit and sorts the
/// whole range each time (90 ms a page instead of 2 on 100,000 dossiers).
/// On SQLite (WAL) readers do not block the writer.
pub fn read_snapshot<T, E: From<StoreError>>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    let pg = conn.is_postgres();
    conn.transaction::<T, SnapshotError<E>, _>(|c| {
        if pg {
            c.batch_execute(
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET LOCAL plan_cache_mode = force_custom_plan",
            )?;
        }
        work(c).map_err(SnapshotError::Work)
    })
    .map_err(|e| match e {
        SnapshotError::Db(d) => E::from(StoreError::from(d)),
        SnapshotError::Work(w) => w,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_scheme() {
        assert_eq!(DatabaseUrl::parse("sqlite://dvc.db"), Ok(DatabaseUrl::Sqlite("dvc.db".into())));
        assert_eq!(DatabaseUrl::parse("sqlite:///var/lib/dvc.db"), Ok(DatabaseUrl::Sqlite("/var/lib/dvc.db".into())));
        assert!(matches!(DatabaseUrl::parse("postgres://u@h/db"), Ok(DatabaseUrl::Postgres(_))));
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("dvc.db").is_err());
        assert!(DatabaseUrl::parse("sqlite::memory:").is_err());
    }

    #[test]
    fn redacts_the_password() {
        let url = DatabaseUrl::parse("postgres://dvc:secret@db:5432/dvc").expect("url");
        assert_eq!(url.redacted(), "postgres://dvc:***@db:5432/dvc");
        let no_password = DatabaseUrl::parse("postgres://postgres@127.0.0.1/test").expect("url");
        assert_eq!(no_password.redacted(), "postgres://postgres@127.0.0.1/test");
    }
}
