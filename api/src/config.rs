//! Configuration: command-line flags that read the same environment
//! variables, with defaults that make `cargo run` work with nothing set.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};

/// The built-in development secret: fine on a laptop, refused on a
/// non-loopback address.
pub const DEV_JWT_SECRET: &str = "dvc-development-secret-do-not-use-in-production";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://dvc.db";

/// dvc — back office for a province's online public services (dịch vụ công trực tuyến).
#[derive(Debug, Parser)]
#[command(name = "dvc", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, then serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Print the table of error codes (docs/ERRORS.md).
    Errors,
    /// Mint a bearer token signed with the configured secret.
    Token(TokenArgs),
    /// Load generated data (through the import path).
    #[command(subcommand)]
    Seed(SeedCommand),
    /// Walk the tamper-evident chain of every dossier's history and report
    /// the first broken link (exit status 1 when one is found).
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum SeedCommand {
    /// A realistic, reproducible set of 2025 dossiers over the demo catalogue.
    Synthetic {
        /// How many dossiers.
        #[arg(long, default_value_t = 10_000)]
        dossiers: usize,
        /// The random seed: the same seed gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Dossiers per import batch (one transaction each).
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        /// Submissions are spread over this many days from 2 January 2025
        /// (the demo catalogue's first year); those that would fall after
        /// today are left out, and the latest are still open.
        #[arg(long, default_value_t = 360, value_parser = clap::value_parser!(u32).range(1..=3650))]
        days: u32,
        /// Batches imported side by side, each on its own connection
        /// (PostgreSQL: up to its cores; SQLite gains nothing).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=16))]
        parallel: u32,
    },
}

#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// citizen, officer, approver, agency_admin, admin, integrator or viewer.
    #[arg(long)]
    pub role: String,
    /// Agency code (required for officer, approver and agency_admin).
    #[arg(long)]
    pub agency: Option<String>,
    /// Subject (user id); for a citizen, their personal identification number.
    #[arg(long)]
    pub sub: Option<String>,
    /// Display name for the audit trail.
    #[arg(long)]
    pub name: Option<String>,
    /// Lifetime: e.g. 30m, 1h, 7d.
    #[arg(long, default_value = "1h")]
    pub ttl: String,
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database: postgres://user@host/db or sqlite://path.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// A PostgreSQL streaming replica of DATABASE_URL: lists, reports, the change feed and
    /// dossier reads go there while it is close enough (a caller's own writes are read from the primary).
    #[arg(long, env = "DVC_DATABASE_READ_URL", global = true)]
    pub database_read_url: Option<String>,
    /// Reads leave the replica for the primary when it is further behind than this.
    #[arg(long, env = "DVC_READ_MAX_LAG_MS", default_value_t = 2000, global = true)]
    pub read_max_lag_ms: u64,
    /// Address to serve on.
    #[arg(long, env = "DVC_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: String,
    /// HTTP worker threads (default: the number of cores).
    #[arg(long, env = "DVC_WORKERS", global = true)]
    pub workers: Option<usize>,
    /// Database connections in the pool.
    #[arg(long, env = "DVC_POOL_SIZE", default_value_t = 8, global = true)]
    pub pool_size: u32,
    /// Seconds to wait for a database connection before answering 503.
    #[arg(long, env = "DVC_DB_TIMEOUT_SECS", default_value_t = 5, global = true)]
    pub db_timeout_secs: u64,
    /// HS256 secret for bearer tokens (default: a built-in development secret).
    #[arg(long, env = "DVC_JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,
    /// RS256 public key (PEM text or a path to a PEM file); when set, tokens are verified with it instead.
    #[arg(long, env = "DVC_JWT_PUBLIC_KEY", global = true)]
    pub jwt_public_key: Option<String>,
    /// An identity provider's JSON Web Key Set (https, or http on loopback); when set, tokens
    /// are verified with the provider's key named by their `kid` (RS256 or ES256) instead.
    #[arg(long, env = "DVC_JWT_JWKS_URL", global = true)]
    pub jwt_jwks_url: Option<String>,
    /// Seconds between two scheduled fetches of the JWKS (an unknown `kid` fetches it sooner).
    #[arg(long, env = "DVC_JWT_JWKS_REFRESH_SECS", default_value_t = 3600, global = true)]
    pub jwt_jwks_refresh_secs: u64,
    /// The JWKS is fetched at most once in this many seconds, whatever the tokens ask (at least 1).
    #[arg(long, env = "DVC_JWT_JWKS_MIN_INTERVAL_SECS", default_value_t = 30, global = true)]
    pub jwt_jwks_min_interval_secs: u64,
    /// The longest wait for the JWKS, in milliseconds.
    #[arg(long, env = "DVC_JWT_JWKS_TIMEOUT_MS", default_value_t = 3000, global = true)]
    pub jwt_jwks_timeout_ms: u64,
    /// Expected token issuer (`iss`).
    #[arg(long, env = "DVC_JWT_ISSUER", default_value = "dvc", global = true)]
    pub jwt_issuer: String,
    /// Expected token audience (`aud`).
    #[arg(long, env = "DVC_JWT_AUDIENCE", default_value = "dvc-api", global = true)]
    pub jwt_audience: String,
    /// Load the demo catalogue into an empty database (default: on for the default SQLite database, off otherwise).
    #[arg(long, env = "DVC_DEMO", value_parser = BoolishValueParser::new(), global = true)]
    pub demo: Option<bool>,
    /// With the demo catalogue, this many synthetic dossiers of the past year, loaded through the import path (0: none).
    #[arg(long, env = "DVC_DEMO_DOSSIERS", default_value_t = 2500, global = true)]
    pub demo_dossiers: usize,
    /// The national portal's endpoint for status changes; unset: changes wait in the outbox.
    #[arg(long, env = "DVC_NATIONAL_PORTAL_URL", global = true)]
    pub national_portal_url: Option<String>,
    /// Bearer credential sent to the national portal.
    #[arg(long, env = "DVC_NATIONAL_PORTAL_TOKEN", hide_env_values = true, global = true)]
    pub national_portal_token: Option<String>,
    /// Changes sent per delivery round.
    #[arg(long, env = "DVC_SYNC_BATCH", default_value_t = 50, global = true)]
    pub sync_batch: i64,
    /// Longest wait between two delivery attempts of one change, in seconds.
    #[arg(long, env = "DVC_SYNC_MAX_BACKOFF_SECS", default_value_t = 300, global = true)]
    pub sync_max_backoff_secs: u64,
    /// How long a change being sent is reserved for the process sending it, in seconds
    /// (after a crash, another process sends it again once this runs out).
    #[arg(long, env = "DVC_SYNC_LEASE_SECS", default_value_t = 60, global = true)]
    pub sync_lease_secs: u64,
    /// Pause between delivery rounds when there is nothing to send, in milliseconds.
    #[arg(long, env = "DVC_SYNC_POLL_MS", default_value_t = 500, global = true)]
    pub sync_poll_ms: u64,
    /// Our partner code at the national payment platform (MaDoiTac).
    #[arg(long, env = "DVC_PAYMENT_PARTNER_CODE", default_value = "DVC-DEMO", global = true)]
    pub payment_partner_code: String,
    /// Shared secret that signs payment-platform messages (default: a development secret).
    #[arg(
        long,
        env = "DVC_PAYMENT_SECRET",
        default_value = "dvc-payment-development-secret",
        hide_env_values = true,
        global = true
    )]
    pub payment_secret: String,
    /// The payment platform: where applicants are redirected, and where QUERY messages go (`<url>/query`).
    #[arg(long, env = "DVC_PAYMENT_PLATFORM_URL", global = true)]
    pub payment_platform_url: Option<String>,
    /// Query the platform about every payment attempt still pending after this many seconds.
    #[arg(long, env = "DVC_PAYMENT_QUERY_AFTER_SECS", default_value_t = 900, global = true)]
    pub payment_query_after_secs: u64,
    /// The population database's endpoint on the province's integration platform (LGSP);
    /// unset: applicants are not checked against it.
    #[arg(long, env = "DVC_POPULATION_URL", global = true)]
    pub population_url: Option<String>,
    /// The business registration database's endpoint on the LGSP; unset: businesses are not checked.
    #[arg(long, env = "DVC_BUSINESS_REGISTRY_URL", global = true)]
    pub business_registry_url: Option<String>,
    /// The citizen's digital data store's endpoint on the LGSP; unset: documents cannot be reused from it.
    #[arg(long, env = "DVC_DATA_STORE_URL", global = true)]
    pub data_store_url: Option<String>,
    /// Bearer credential sent to the LGSP with every national-database look-up.
    #[arg(long, env = "DVC_LGSP_TOKEN", hide_env_values = true, global = true)]
    pub lgsp_token: Option<String>,
    /// The longest wait for one answer of a national database, in milliseconds.
    #[arg(long, env = "DVC_REGISTRY_TIMEOUT_MS", default_value_t = 2000, global = true)]
    pub registry_timeout_ms: u64,
    /// Attempts after the first when a national database does not answer (within one request).
    #[arg(long, env = "DVC_REGISTRY_RETRIES", default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=5), global = true)]
    pub registry_retries: u32,
    /// Failed requests in a row after which a national database is not asked for a pause.
    #[arg(long, env = "DVC_REGISTRY_BREAKER_FAILURES", default_value_t = 5, global = true)]
    pub registry_breaker_failures: u32,
    /// That pause, in seconds; then one request decides whether it answers again.
    #[arg(long, env = "DVC_REGISTRY_BREAKER_PAUSE_SECS", default_value_t = 30, global = true)]
    pub registry_breaker_pause_secs: u64,
    /// How long a national database's answer is reused for the same question, in seconds (0: never).
    #[arg(long, env = "DVC_REGISTRY_CACHE_SECS", default_value_t = 300, global = true)]
    pub registry_cache_secs: u64,
    /// Public dossier look-ups (POST /api/v1/public/dossier-lookups) a client address may make
    /// per minute, once its burst is spent (429 with Retry-After above).
    #[arg(long, env = "DVC_LOOKUP_PER_MINUTE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub lookup_per_minute: u32,
    /// Public dossier look-ups a client address may make at once.
    #[arg(long, env = "DVC_LOOKUP_BURST", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub lookup_burst: u32,
    /// Count look-ups by the last address of X-Forwarded-For (the one your reverse proxy appends)
    /// instead of the connection's peer address; only behind a proxy that sets it.
    #[arg(long, env = "DVC_TRUST_FORWARDED_FOR", value_parser = BoolishValueParser::new(), global = true)]
    pub trust_forwarded_for: Option<bool>,
    /// The public look-up page printed forms point to: their QR code holds
    /// `{DVC_PUBLIC_LOOKUP_URL}?code=<dossier code>`.
    #[arg(long, env = "DVC_PUBLIC_LOOKUP_URL", default_value = "http://127.0.0.1:8080/tra-cuu", global = true)]
    pub public_lookup_url: String,
    /// The SMTP server that sends email notifications (`smtp://host:port` in plain text, only
    /// on loopback; `smtps://host:port` for TLS from the start; `smtp://host:port?tls=required`
    /// for STARTTLS; `user:password@` in the URL to log in); unset: no email.
    #[arg(long, env = "DVC_SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,
    /// The sender of email notifications (`Bộ phận một cửa <motcua@example.gov.vn>`); required with DVC_SMTP_URL.
    #[arg(long, env = "DVC_SMTP_FROM", global = true)]
    pub smtp_from: Option<String>,
    /// The SMS gateway's endpoint (POST JSON); unset: no SMS.
    #[arg(long, env = "DVC_SMS_GATEWAY_URL", global = true)]
    pub sms_gateway_url: Option<String>,
    /// The Zalo notification service (ZNS) gateway's endpoint (POST JSON); unset: no Zalo.
    #[arg(long, env = "DVC_ZALO_GATEWAY_URL", global = true)]
    pub zalo_gateway_url: Option<String>,
    /// Bearer credential sent to the SMS and Zalo gateways.
    #[arg(long, env = "DVC_NOTIFY_GATEWAY_TOKEN", hide_env_values = true, global = true)]
    pub notify_gateway_token: Option<String>,
    /// The longest wait for one gateway or SMTP answer, in milliseconds.
    #[arg(long, env = "DVC_NOTIFY_TIMEOUT_MS", default_value_t = 10_000, global = true)]
    pub notify_timeout_ms: u64,
    /// Longest wait between two delivery attempts of one notification, in seconds.
    #[arg(long, env = "DVC_NOTIFY_MAX_BACKOFF_SECS", default_value_t = 600, global = true)]
    pub notify_max_backoff_secs: u64,
    /// Pause between notification rounds when there is nothing to send, in milliseconds.
    #[arg(long, env = "DVC_NOTIFY_POLL_MS", default_value_t = 500, global = true)]
    pub notify_poll_ms: u64,
    /// Warn a dossier's handling agency (its `notify_email`) when the dossier is due within
    /// this many hours and still being handled; 0: no warnings.
    #[arg(long, env = "DVC_LATE_WARNING_HOURS", default_value_t = 24, global = true)]
    pub late_warning_hours: u32,
    /// How often the dossiers about to run late are looked for, in seconds.
    #[arg(long, env = "DVC_LATE_WARNING_SCAN_SECS", default_value_t = 60, global = true)]
    pub late_warning_scan_secs: u64,
    /// The web origins whose pages may call the API from a browser (CORS), comma-separated,
    /// each exactly as a browser sends it: `https://dvc.binhduong.gov.vn` (scheme, host, a port
    /// other than the scheme's own; no path). None: no CORS headers at all.
    #[arg(long, env = "DVC_CORS_ORIGINS", value_delimiter = ',', value_parser = parse_origin, global = true)]
    pub cors_origins: Vec<String>,
    /// Largest document, in bytes (413 above).
    #[arg(long, env = "DVC_MAX_DOCUMENT_BYTES", default_value_t = 10 << 20, global = true)]
    pub max_document_bytes: usize,
    /// Largest JSON request body, in bytes.
    #[arg(long, env = "DVC_MAX_JSON_BYTES", default_value_t = 1 << 20, global = true)]
    pub max_json_bytes: usize,
}

impl Config {
    pub fn demo_enabled(&self) -> bool {
        self.demo.unwrap_or(self.database_url == DEFAULT_DATABASE_URL)
    }

    /// The channels notifications go out on: each one configured.
    pub fn notify_channels(&self) -> dvc_domain::notify::Channels {
        dvc_domain::notify::Channels {
            email: self.smtp_url.is_some(),
            sms: self.sms_gateway_url.is_some(),
            zalo: self.zalo_gateway_url.is_some(),
        }
    }

    pub fn uses_dev_secret(&self) -> bool {
        self.jwt_secret.is_none() && self.jwt_public_key.is_none() && self.jwt_jwks_url.is_none()
    }

    /// The serving address; refuses a non-loopback one with the development secret.
    pub fn listen_addrs(&self) -> Result<Vec<SocketAddr>, String> {
        let addrs: Vec<SocketAddr> = self
            .bind
            .to_socket_addrs()
            .map_err(|e| format!("DVC_BIND {:?} is not an address: {e}", self.bind))?
            .collect();
        if addrs.is_empty() {
            return Err(format!("DVC_BIND {:?} resolves to no address", self.bind));
        }
        if self.uses_dev_secret() {
            if let Some(open) = addrs.iter().find(|a| !is_loopback(a.ip())) {
                return Err(format!(
                    "refusing to serve on {open} with the built-in development secret: set DVC_JWT_SECRET, DVC_JWT_PUBLIC_KEY or DVC_JWT_JWKS_URL, or bind to 127.0.0.1"
                ));
            }
        }
        Ok(addrs)
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// Checks one allowed origin of `DVC_CORS_ORIGINS`: `http` or `https`, a
/// host, a port only when it is not the scheme's own, nothing else — the form
/// in which browsers send `Origin`, which is compared byte for byte.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let text = text.trim();
    let hint = "an origin is a scheme, a host and maybe a port, as in https://dvc.binhduong.gov.vn";
    if text == "*" {
        return Err(format!(
            "\"*\" is not accepted: any web page could then read the API through its visitors' browsers \
             (and spend their addresses' public look-up allowance); list the front-ends' origins, {hint}"
        ));
    }
    let (scheme, rest) = text.split_once("://").ok_or_else(|| format!("{text:?} has no scheme: {hint}"))?;
    let default_port = match scheme {
        "https" => 443,
        "http" => 80,
        _ => return Err(format!("{text:?}: the scheme must be http or https (in lower case): {hint}")),
    };
    if rest.is_empty() {
        return Err(format!("{text:?} has no host: {hint}"));
    }
    if let Some(at) = rest.find(['/', '?', '#', '@']) {
        let what = match rest.as_bytes()[at] {
            b'@' => "a user name",
            b'/' if at + 1 == rest.len() => "a trailing /",
            _ => "a path, a query or a fragment",
        };
        return Err(format!("{text:?} has {what}, which an origin never has: {hint}"));
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (rest, None),
    };
    let ipv6 = host.len() > 2 && host.starts_with('[') && host.ends_with(']');
    let plain = host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    let ipv6_ok = ipv6 && host[1..host.len() - 1].parse::<std::net::Ipv6Addr>().is_ok();
    if !(plain || ipv6_ok) {
        let lower = host.to_ascii_lowercase();
        return Err(if lower != host {
            format!("{text:?}: browsers send the host in lower case ({lower}): {hint}")
        } else {
            format!("{text:?}: {host:?} is not a host name (letters, digits, - and . in lower case; punycode for others): {hint}")
        });
    }
    if let Some(port) = port {
        let n: u16 = port
            .parse()
            .ok()
            .filter(|n| *n > 0 && !port.starts_with('0'))
            .ok_or_else(|| format!("{text:?}: {port:?} is not a port (1–65535): {hint}"))?;
        if n == default_port {
            return Err(format!(
                "{text:?}: browsers leave out the default port {n} of {scheme}: write {scheme}://{host}"
            ));
        }
    }
    Ok(text.to_owned())
}

/// Parses a lifetime such as `90s`, `30m`, `1h` or `7d`.
pub fn parse_ttl(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().map_err(|_| format!("a lifetime is a number and a unit (s, m, h, d); got {text:?}"))?;
    let seconds = match unit {
        "s" | "" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("unknown lifetime unit {unit:?}: use s, m, h or d")),
    };
    if seconds <= 0 || seconds > 366 * 86_400 {
        return Err("a lifetime is between 1 second and 366 days".into());
    }
    Ok(chrono::Duration::seconds(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(bind: &str, secret: Option<&str>) -> Config {
        let mut args = vec!["dvc".to_owned(), "--bind".into(), bind.into()];
        if let Some(s) = secret {
            args.extend(["--jwt-secret".into(), s.into()]);
        }
        Cli::try_parse_from(args).expect("parses").config
    }

    #[test]
    fn refuses_a_public_address_with_the_development_secret() {
        assert!(config("0.0.0.0:8080", None).listen_addrs().is_err());
        assert!(config("127.0.0.1:8080", None).listen_addrs().is_ok());
        assert!(config("0.0.0.0:8080", Some("a-real-secret")).listen_addrs().is_ok());
    }

    #[test]
    fn takes_origins_as_browsers_send_them() {
        for good in [
            "https://dvc.binhduong.gov.vn",
            "http://127.0.0.1:5173",
            "http://localhost:8080",
            "https://[::1]:8443",
            "https://xn--dchvcng-m2a.vn",
        ] {
            assert_eq!(parse_origin(good).as_deref(), Ok(good), "{good}");
        }
        assert_eq!(parse_origin(" https://a.vn ").as_deref(), Ok("https://a.vn"));
        let refused = |text: &str, says: &str| {
            let error = parse_origin(text).expect_err(text);
            assert!(error.contains(says), "{text}: {error}");
        };
        refused("*", "not accepted");
        refused("", "no scheme");
        refused("dvc.binhduong.gov.vn", "no scheme");
        refused("ftp://a.vn", "http or https");
        refused("HTTPS://a.vn", "http or https");
        refused("https://", "no host");
        refused("https://a.vn/", "trailing /");
        refused("https://a.vn/tra-cuu", "a path");
        refused("https://user@a.vn", "user name");
        refused("https://DVC.vn", "lower case (dvc.vn)");
        refused("https://a_b.vn", "not a host name");
        refused("https://a.vn:443", "default port 443");
        refused("http://a.vn:80", "default port 80");
        refused("http://a.vn:0", "not a port");
        refused("http://a.vn:99999", "not a port");
        refused("http://a.vn:", "not a port");
        refused("null", "no scheme");
    }

    #[test]
    fn reads_a_comma_separated_list_of_origins() {
        let config = Cli::try_parse_from(["dvc", "--cors-origins", "https://a.vn,http://127.0.0.1:3000"])
            .expect("parses")
            .config;
        assert_eq!(config.cors_origins, ["https://a.vn", "http://127.0.0.1:3000"]);
        assert!(Cli::try_parse_from(["dvc"]).expect("parses").config.cors_origins.is_empty());
        let error = Cli::try_parse_from(["dvc", "--cors-origins", "https://a.vn,https://b.vn/"]).expect_err("refused");
        assert!(error.to_string().contains("trailing /"), "{error}");
    }

    #[test]
    fn parses_lifetimes() {
        assert_eq!(parse_ttl("1h"), Ok(chrono::Duration::hours(1)));
        assert_eq!(parse_ttl("30m"), Ok(chrono::Duration::minutes(30)));
        assert!(parse_ttl("1y").is_err());
        assert!(parse_ttl("0s").is_err());
    }
}
