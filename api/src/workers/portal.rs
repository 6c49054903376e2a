//! Delivers every change to the national portal, in order per dossier,
//! retrying with backoff until the portal acknowledges (2xx). A change is
//! leased while it is being sent, so processes sharing one database never
//! send it twice at the same time; a process that dies mid-send leaves a
//! lease that expires, and the change is sent again (the portal drops the
//! repeat by `MaThayDoi`).

use std::time::Duration;

use chrono::Utc;
use dvc_persistence::{changes, Pool};
use rand::Rng;

use super::backoff;
use super::Shutdown;
use crate::national_portal::format;

pub struct PortalWorker {
    pub pool: Pool,
    pub url: String,
    pub token: Option<String>,
    pub batch: i64,
    pub max_backoff: Duration,
    pub poll: Duration,
    pub lease: Duration,
    pub shutdown: Shutdown,
}

impl PortalWorker {
    pub fn spawn(self) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new().name("portal-sync".into()).spawn(move || self.run())
    }

    fn run(self) {
        let client = match reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build() {
            Ok(c) => c,
            Err(e) => {
                log::error!("national-portal sync cannot start its HTTP client: {e}");
                return;
            }
        };
        log::info!("national-portal sync delivers to {}", self.url);
        while !self.shutdown.is_stopped() {
            let sent = match self.round(&client) {
                Ok(n) => n,
                Err(e) => {
                    log::warn!("national-portal sync: {e}");
                    0
                }
            };
            if sent == 0 && !self.shutdown.sleep(self.poll) {
                break;
            }
        }
    }

    /// One round: claim due changes, send each; returns how many were tried.
    fn round(&self, client: &reqwest::blocking::Client) -> Result<usize, String> {
        let mut conn = self.pool.get().map_err(|e| e.to_string())?;
        let now = Utc::now();
        let lease = now + chrono::Duration::from_std(self.lease).unwrap_or_default();
        let claimed = changes::claim(&mut conn, now, lease, self.batch).map_err(|e| e.to_string())?;
        for change in &claimed {
            if self.shutdown.is_stopped() {
                break;
            }
            let event: serde_json::Value = serde_json::from_str(&change.payload).unwrap_or_default();
            let message = format::message(change.seq, &event);
            let mut req = client.post(&self.url).json(&message).header("X-DVC-Change", change.seq.to_string());
            if let Some(t) = &self.token {
                req = req.bearer_auth(t);
            }
            let outcome = match req.send() {
                Ok(res) if res.status().is_success() => Ok(()),
                Ok(res) => Err(format!("the portal answered {}", res.status())),
                Err(e) => Err(format!("the portal did not answer: {e}")),
            };
            let done = Utc::now();
            match outcome {
                Ok(()) => changes::mark_delivered(&mut conn, change.seq, done),
                Err(error) => {
                    let wait = backoff::delay(change.attempts, self.max_backoff, rand::rng().random_range(0.5..1.5));
                    let retry_at = done + chrono::Duration::from_std(wait).unwrap_or_default();
                    changes::mark_failed(&mut conn, change.seq, &error, retry_at)
                }
            }
            .map_err(|e| e.to_string())?;
        }
        Ok(claimed.len())
    }
}
