//! A fresh database per test: an SQLite file in the temporary folder, or a
//! PostgreSQL database created from a migrated template and dropped (WITH
//! FORCE) when the test ends.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::{Connection, QueryableByName, RunQueryDsl};
use dvc_persistence::{migrate, DatabaseUrl, DbConnection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// TLS is of no use on the loopback, and OpenSSL's exit handlers do not mix
/// with connections still open in other threads of a test process.
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";

pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

/// The admin URL with another database name (its query string kept).
fn url_for(database: &str) -> String {
    let admin = admin_url();
    let (path, query) = admin.split_once('?').map_or((admin.as_str(), None), |(p, q)| (p, Some(q)));
    let (base, _) = path.rsplit_once('/').unwrap_or((path, ""));
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

pub struct TestDb {
    backend: Backend,
    url: String,
    name: String,
    /// Dropped with this handle (false for a second server's handle).
    owned: bool,
}

impl TestDb {
    pub fn create(backend: Backend) -> Self {
        let id = uuid::Uuid::now_v7().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let path: PathBuf = std::env::temp_dir().join(format!("dvc-test-{id}.db"));
                let path = path.to_string_lossy().into_owned();
                Self { backend, url: format!("sqlite://{path}"), name: path, owned: true }
            }
            Backend::Postgres => {
                let mut template = ensure_template();
                let name = format!("dvc_test_{id}");
                let mut admin =
                    PgConnection::establish(&admin_url()).expect("connect to the PostgreSQL admin database");
                let mut tries = 0;
                loop {
                    match diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}")).execute(&mut admin) {
                        Ok(_) => break,
                        // Another test may be copying the template at this instant.
                        Err(e) if tries < 50 && e.to_string().contains("being accessed by other users") => {
                            tries += 1;
                            std::thread::sleep(Duration::from_millis(100));
                        }
                        // A test process of another migration set (another checkout
                        // on the same server) replaced it: make it again.
                        Err(e) if tries < 50 && e.to_string().contains("does not exist") => {
                            tries += 1;
                            template = ensure_template();
                        }
                        Err(e) => panic!("cannot create test database {name}: {e}"),
                    }
                }
                Self { backend, url: url_for(&name), name, owned: true }
            }
        }
    }

    /// A handle on an existing database that does not drop it.
    pub fn borrow(backend: Backend, url: &str) -> Self {
        Self { backend, url: url.to_owned(), name: String::new(), owned: false }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A direct connection, for assertions on what the database holds.
    pub fn connect(&self) -> DbConnection {
        let url = DatabaseUrl::parse(&self.url).expect("url");
        dvc_persistence::connection::DbManager::new(url).connect().expect("connect")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        match self.backend {
            Backend::Sqlite => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.name));
                }
            }
            Backend::Postgres => {
                if let Ok(mut admin) = PgConnection::establish(&admin_url()) {
                    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
                        .execute(&mut admin);
                }
            }
        }
    }
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    datname: String,
}

/// How many migrated templates (one per set of migrations) the server keeps.
const KEPT_TEMPLATES: usize = 8;

/// The migrated template for this set of migrations, made once (under an
/// advisory lock, since several test processes may race for it).
fn ensure_template() -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/postgres");
    let mut entries: Vec<_> = walk(PathBuf::from(dir));
    entries.sort();
    for path in entries {
        path.hash(&mut hasher);
        std::fs::read(&path).unwrap_or_default().hash(&mut hasher);
    }
    let template = format!("dvc_template_{:016x}", hasher.finish());
    let mut admin = PgConnection::establish(&admin_url()).expect("connect to the PostgreSQL admin database");
    diesel::sql_query("SELECT pg_advisory_lock(727274)").execute(&mut admin).expect("advisory lock");
    // Newest first: other checkouts of the project (another branch's
    // migrations) may be testing on this server at the same time, so only
    // templates beyond the newest few are dropped, never one just made.
    let existing: Vec<Name> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'dvc_template_%' ORDER BY oid DESC")
            .load(&mut admin)
            .expect("list templates");
    if !existing.iter().any(|n| n.datname == template) {
        for old in existing.iter().skip(KEPT_TEMPLATES - 1) {
            let _ =
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", old.datname)).execute(&mut admin);
        }
        diesel::sql_query(format!("CREATE DATABASE {template}")).execute(&mut admin).expect("create template");
        let url = DatabaseUrl::parse(&url_for(&template)).expect("url");
        let mut conn = dvc_persistence::connection::DbManager::new(url).connect().expect("connect to template");
        migrate::run_pending(&mut conn).expect("migrate template");
    }
    diesel::sql_query("SELECT pg_advisory_unlock(727274)").execute(&mut admin).expect("advisory unlock");
    template
}

fn walk(dir: PathBuf) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
