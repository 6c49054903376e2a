//! A real PostgreSQL streaming replica of the test server, made for a test:
//! `pg_basebackup -R` of the server at `TEST_DATABASE_URL` into a temporary
//! folder, started as a second cluster on a free port, stopped and removed
//! when dropped. The server must accept replication connections from
//! 127.0.0.1 (`host replication all 127.0.0.1/32 trust` in `pg_hba.conf`;
//! `.ci/run` adds it); [`probe`] says whether it does.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel::{Connection, RunQueryDsl};

use crate::db::admin_url;

/// The replica: its data folder and port.
pub struct Replica {
    dir: PathBuf,
    pub port: u16,
    bin: PathBuf,
}

/// The primary's host and port, from `TEST_DATABASE_URL`.
fn primary() -> (String, String) {
    let url = admin_url();
    let rest = url.strip_prefix("postgres://").unwrap_or(&url);
    let host_port = rest.split(['/', '?']).next().unwrap_or("").rsplit('@').next().unwrap_or("127.0.0.1:5432");
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, "5432"));
    (host.to_owned(), port.to_owned())
}

/// The folder of PostgreSQL's server programs (pg_basebackup, pg_ctl).
fn bin_dir() -> Result<PathBuf, String> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|e| format!("no PostgreSQL server programs under {}: {e}", root.display()))?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_basebackup").exists())
        .collect();
    versions.sort();
    versions.pop().ok_or_else(|| format!("no pg_basebackup under {}", root.display()))
}

/// Whether the server takes replication connections from here (asked with
/// `IDENTIFY_SYSTEM` on a replication connection).
pub fn probe() -> Result<(), String> {
    let (host, port) = primary();
    let out = Command::new("psql")
        .args([&format!("host={host} port={port} user=postgres replication=true dbname=postgres"), "-Atc"])
        .arg("IDENTIFY_SYSTEM")
        .output()
        .map_err(|e| format!("psql: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "the server at {host}:{port} refuses replication connections ({}); add `host replication all 127.0.0.1/32 trust` to its pg_hba.conf",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A port nothing listens on now.
fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Whether this process runs as root (PostgreSQL refuses to).
fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Running as root, PostgreSQL's programs run as the `postgres` user.
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut c: Command, what: &str) -> Result<Output, String> {
    let out = c.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{what} failed: {} {}",
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Replica {
    /// Makes the replica from a base backup and starts it; waits until it
    /// takes connections.
    pub fn start() -> Result<Self, String> {
        probe()?;
        let bin = bin_dir()?;
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("dvc-replica-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if is_root() {
            let mut chown = Command::new("chown");
            chown.arg("postgres:postgres").arg(&dir);
            run(chown, "chown")?;
        }
        let replica = Self { dir, port, bin };
        let (host, primary_port) = primary();
        let mut backup = as_server_user(&replica.bin.join("pg_basebackup"));
        backup.args(["-h", &host, "-p", &primary_port, "-U", "postgres", "-D"]).arg(&replica.dir).args([
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        ]);
        run(backup, "pg_basebackup")?;
        // PostgreSQL starts only on a data folder its owner alone may enter.
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&replica.dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| format!("{}: {e}", replica.dir.display()))?;
        }
        // Debian keeps the configuration outside the data folder: the
        // replica gets its own, with the primary's limits a standby needs.
        let limits = primary_limits()?;
        let conf = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{dir}'\nhot_standby = on\n\
             shared_buffers = 32MB\nfsync = off\n{limits}",
            dir = replica.dir.display()
        );
        write_as_server(&replica.dir.join("postgresql.conf"), &conf)?;
        write_as_server(&replica.dir.join("pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n")?;
        replica.start_again()?;
        Ok(replica)
    }

    /// The replica's URL for a database.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}?sslmode=disable", self.port)
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        let mut c = as_server_user(&self.bin.join("pg_ctl"));
        c.arg("-D").arg(&self.dir).args(args);
        run(c, &format!("pg_ctl {}", args.join(" "))).map(drop)
    }

    /// Stops it at once (connections cut, as a crash or a network loss would).
    pub fn stop(&self) -> Result<(), String> {
        self.pg_ctl(&["stop", "-m", "immediate", "-w"])
    }

    /// Starts it (again) and waits until it takes connections.
    pub fn start_again(&self) -> Result<(), String> {
        let log = self.dir.join("replica.log");
        self.pg_ctl(&["start", "-w", "-t", "60", "-l", &log.to_string_lossy()]).map_err(|e| {
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = said.lines().rev().take(8).collect();
            format!("{e}; the replica's log ends: {}", tail.into_iter().rev().collect::<Vec<_>>().join(" | "))
        })
    }

    /// Runs a statement on the replica (as the superuser, on `postgres`).
    pub fn execute(&self, sql: &str) -> Result<(), String> {
        let mut conn = diesel::pg::PgConnection::establish(&self.url("postgres")).map_err(|e| e.to_string())?;
        diesel::sql_query(sql).execute(&mut conn).map(drop).map_err(|e| e.to_string())
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The settings a hot standby must hold at least as high as its primary.
fn primary_limits() -> Result<String, String> {
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        setting: String,
    }
    let mut conn = diesel::pg::PgConnection::establish(&admin_url()).map_err(|e| e.to_string())?;
    let rows: Vec<Setting> = diesel::sql_query(
        "SELECT name, setting FROM pg_settings WHERE name IN ('max_connections', 'max_worker_processes', \
         'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction')",
    )
    .load(&mut conn)
    .map_err(|e| e.to_string())?;
    Ok(rows.iter().map(|s| format!("{} = {}\n", s.name, s.setting)).collect())
}

/// Writes a file the server user owns.
fn write_as_server(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    if is_root() {
        let mut c = Command::new("chown");
        c.arg("postgres:postgres").arg(path);
        run(c, "chown")?;
    }
    Ok(())
}
