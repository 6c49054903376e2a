//! Start-up: connect, migrate, load the demo, and serve.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, HttpServer};
use chrono::Utc;
use dvc_domain::agency::AgencyCode;
use dvc_persistence::{build_pool, migrate, DatabaseUrl, Pool};

use crate::auth::Keys;
use crate::config::Config;
use crate::state::AppState;
use crate::{build_app, demo};

/// Connects to the configured database and applies pending migrations.
pub fn connect_and_migrate(config: &Config) -> Result<Pool, String> {
    let url = DatabaseUrl::parse(&config.database_url)?;
    let pool = build_pool(&url, config.pool_size, Duration::from_secs(config.db_timeout_secs.max(1)))
        .map_err(|e| format!("cannot open {}: {e}", url.redacted()))?;
    let mut conn = pool.get().map_err(|e| format!("cannot connect to {}: {e}", url.redacted()))?;
    let applied = migrate::run_pending(&mut conn).map_err(|e| e.to_string())?;
    if !applied.is_empty() {
        log::info!("applied migrations: {}", applied.join(", "));
    }
    if let Some(n) = dvc_persistence::figures::rebuild_if_needed(&mut conn).map_err(|e| e.to_string())? {
        log::info!("built the daily sums of the figures from {n} dossiers");
    }
    // The monthly partitions of the history, the feed and the deliveries
    // for the year ahead (PostgreSQL).
    let now = chrono::Utc::now();
    let created = dvc_persistence::history::ensure_months(
        &mut conn,
        &dvc_persistence::history::Monthly::ALL,
        dvc_persistence::history::months_ahead(now, 12),
    )
    .map_err(|e| e.to_string())?;
    if !created.is_empty() {
        log::info!("created the monthly partitions {}", created.join(", "));
    }
    let chained = dvc_persistence::integrity::chain_unhashed(&mut conn).map_err(|e| e.to_string())?;
    if chained > 0 {
        log::info!("chained {chained} history rows written before the tamper-evident chain");
    }
    Ok(pool)
}

/// Builds the state: keys, pool (migrated), demo data when enabled.
pub fn prepare(config: Config) -> Result<AppState, String> {
    let keys = Keys::from_config(&config)?;
    // A notification channel misconfigured stops the start, not the first send.
    crate::notify::check(&config)?;
    let pool = connect_and_migrate(&config)?;
    if config.demo_enabled() {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        if let Some(loaded) = demo::load_if_empty(&mut conn, Utc::now())? {
            log::info!(
                "loaded the demo data: {} agencies, {} procedures, {} holidays in the default calendar",
                loaded.agencies,
                loaded.procedures,
                loaded.holidays
            );
            for date in &loaded.unverified {
                log::warn!("demo calendar: left out (not verified against a government notice): {date}");
            }
            if config.demo_dossiers > 0 {
                let span = crate::seed::Span::last_year(Utc::now());
                let report =
                    crate::seed::synthetic(&mut conn, config.demo_dossiers, 1, 500, config.max_document_bytes, span)?;
                log::info!("demo dossiers of the past year: {report}");
            }
        }
    }
    log_calendar_horizons(&pool);
    let connectors = crate::connectors::Connectors::from_config(&config);
    let lookup_limiter = crate::public_lookup::LookupLimiter::from_config(&config);
    let replica = read_replica(&config)?;
    let inline_reads = DatabaseUrl::parse(&config.database_url)?.is_sqlite();
    Ok(AppState {
        pool,
        keys,
        config: Arc::new(config),
        clock: crate::state::Clock::system(),
        shutdown: crate::workers::Shutdown::default(),
        connectors,
        lookup_limiter,
        caches: Arc::default(),
        replica,
        inline_reads,
    })
}

/// The read replica's pool, when `DVC_DATABASE_READ_URL` is set: PostgreSQL
/// only, made without waiting for it (a replica down at start-up leaves the
/// reads to the primary until it answers).
fn read_replica(config: &Config) -> Result<Option<Arc<crate::replica::ReadReplica>>, String> {
    let Some(read_url) = &config.database_read_url else { return Ok(None) };
    let url = DatabaseUrl::parse(read_url)?;
    if url.is_sqlite() || DatabaseUrl::parse(&config.database_url)?.is_sqlite() {
        return Err("DVC_DATABASE_READ_URL is for a PostgreSQL streaming replica of a PostgreSQL DATABASE_URL".into());
    }
    let pool = dvc_persistence::connection::build_lazy_pool(&url, config.pool_size, Duration::from_secs(1));
    let max_lag = Duration::from_millis(config.read_max_lag_ms.max(1));
    log::info!(
        "read replica: {} (reads go there while it is at most {} ms behind)",
        url.redacted(),
        max_lag.as_millis()
    );
    Ok(Some(Arc::new(crate::replica::ReadReplica::new(pool, url, max_lag))))
}

/// Says at start-up how far each calendar is maintained and what it does not
/// know yet; the same warnings as `/health/ready`.
fn log_calendar_horizons(pool: &dvc_persistence::connection::Pool) {
    let calendars = pool
        .get()
        .map_err(|e| e.to_string())
        .and_then(|mut conn| dvc_persistence::calendars::all(&mut conn).map_err(|e| e.to_string()));
    let calendars = match calendars {
        Ok(calendars) => calendars,
        Err(e) => return log::warn!("calendars: not read at start-up: {e}"),
    };
    for c in &calendars {
        for name in c.calendar.unannounced() {
            log::info!("calendar {}: not announced yet, not in the calendar: {name}", c.id);
        }
    }
    for warning in crate::calendars::horizon::warnings(&calendars, Utc::now()) {
        log::warn!("{}", warning.message);
    }
}

/// The server on already-bound listeners; it runs when awaited (call from
/// within an actix system).
pub fn start(state: AppState, listeners: Vec<TcpListener>) -> std::io::Result<actix_web::dev::Server> {
    start_workers(&state)?;
    let workers = state.config.workers;
    let state = web::Data::new(state);
    let mut server = HttpServer::new(move || build_app(state.clone())).shutdown_timeout(10);
    if let Some(n) = workers {
        server = server.workers(n.max(1));
    }
    for l in listeners {
        server = server.listen(l)?;
    }
    Ok(server.run())
}

/// Starts the background workers the configuration asks for.
fn start_workers(state: &AppState) -> std::io::Result<()> {
    let c = &state.config;
    if let Some(replica) = &state.replica {
        let primary = DatabaseUrl::parse(&c.database_url).map_err(std::io::Error::other)?;
        replica.clone().spawn_monitor(primary, state.shutdown.clone()).map(|t| state.shutdown.track(t))?;
    }
    if let Some(jwks) = state.keys.jwks() {
        // Fetches the identity provider's keys now and then on its schedule; a
        // provider that does not answer yet does not stop the server (its
        // tokens get 401 until the keys arrive).
        jwks.clone().spawn(state.shutdown.clone()).map(|t| state.shutdown.track(t))?;
    }
    if let Some(url) = &c.national_portal_url {
        crate::workers::portal::PortalWorker {
            pool: state.pool.clone(),
            url: url.clone(),
            token: c.national_portal_token.clone(),
            batch: c.sync_batch.clamp(1, 1000),
            max_backoff: Duration::from_secs(c.sync_max_backoff_secs.max(1)),
            poll: Duration::from_millis(c.sync_poll_ms.max(10)),
            lease: Duration::from_secs(c.sync_lease_secs.max(1)),
            shutdown: state.shutdown.clone(),
        }
        .spawn()
        .map(|t| state.shutdown.track(t))?;
    } else {
        log::info!("DVC_NATIONAL_PORTAL_URL is not set: changes wait in the outbox (GET /api/v1/changes)");
    }
    crate::workers::webhooks::WebhookWorker {
        pool: state.pool.clone(),
        max_backoff: Duration::from_secs(c.sync_max_backoff_secs.max(1)),
        poll: Duration::from_millis(c.sync_poll_ms.max(10)),
        shutdown: state.shutdown.clone(),
    }
    .spawn()
    .map(|t| state.shutdown.track(t))?;
    if c.population_url.is_some() || c.business_registry_url.is_some() {
        crate::workers::checks::CheckWorker {
            pool: state.pool.clone(),
            connectors: state.connectors.clone(),
            max_backoff: Duration::from_secs(c.sync_max_backoff_secs.max(1)),
            poll: Duration::from_millis(c.sync_poll_ms.max(10)),
            shutdown: state.shutdown.clone(),
            clock: state.clock.clone(),
        }
        .spawn()
        .map(|t| state.shutdown.track(t))?;
    }
    if c.notify_channels().any() {
        crate::workers::notify::NotifyWorker {
            pool: state.pool.clone(),
            config: state.config.clone(),
            max_backoff: Duration::from_secs(c.notify_max_backoff_secs.max(1)),
            poll: Duration::from_millis(c.notify_poll_ms.max(10)),
            lease: Duration::from_millis(c.notify_timeout_ms.max(100)) * 3,
            shutdown: state.shutdown.clone(),
            clock: state.clock.clone(),
        }
        .spawn()
        .map(|t| state.shutdown.track(t))?;
    }
    if let Some(url) = &c.payment_platform_url {
        crate::payments::reconcile::Reconciler {
            pool: state.pool.clone(),
            config: state.config.clone(),
            platform_url: url.clone(),
            every: Duration::from_secs(c.payment_query_after_secs.clamp(1, 300)),
            shutdown: state.shutdown.clone(),
        }
        .spawn()
        .map(|t| state.shutdown.track(t))?;
    }
    Ok(())
}

/// `dvc serve`: refuses an unsafe address, prepares, prints the banner, serves.
pub async fn run(config: Config) -> Result<(), String> {
    let started = Instant::now();
    let addrs = config.listen_addrs()?;
    let url = DatabaseUrl::parse(&config.database_url)?;
    let state = prepare(config)?;
    let listeners = addrs
        .iter()
        .map(|a| TcpListener::bind(a).map_err(|e| format!("cannot listen on {a}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let shown = listeners.first().and_then(|l| l.local_addr().ok()).map(|a| a.to_string()).unwrap_or_default();
    println!(
        "dvc is serving on http://{shown} (database {}), ready in {} ms",
        url.redacted(),
        started.elapsed().as_millis()
    );
    println!("  Swagger UI:   http://{shown}/swagger-ui/");
    println!("  OpenAPI:      http://{shown}/api-docs/openapi.json");
    if state.config.uses_dev_secret() {
        print_demo_tokens(&state);
    } else if state.keys.jwks().is_some() {
        println!("  Tokens:       from the identity provider (its keys at DVC_JWT_JWKS_URL)");
    } else if state.config.jwt_public_key.is_some() {
        println!("  Tokens:       signed with the private key matching DVC_JWT_PUBLIC_KEY");
    } else {
        println!("  Tokens:       dvc token --role admin   (signed with DVC_JWT_SECRET)");
    }
    start(state, listeners).map_err(|e| e.to_string())?.await.map_err(|e| e.to_string())
}

fn print_demo_tokens(state: &AppState) {
    println!("  The built-in development secret is in use. Demo tokens (valid 7 days; paste one into Swagger UI's Authorize):");
    for (role, sub, agency, name) in demo::USERS {
        let agency = agency.and_then(|a| AgencyCode::parse(a).ok());
        match state.keys.mint(*role, sub, agency.as_ref(), Some(name), Utc::now(), chrono::Duration::days(7)) {
            Ok(token) => println!("    {:<13} {token}", role.as_str()),
            Err(e) => println!("    {:<13} (cannot mint: {e})", role.as_str()),
        }
    }
    println!("  More: cargo run --release -- token --role officer --agency 000.00.05.H56 --ttl 8h");
}
