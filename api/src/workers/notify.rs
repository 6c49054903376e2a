//! Delivers the notification outbox (docs/RULES.md §12): claims due rows
//! with a lease, sends each through its channel's [`Notifier`], marks it
//! sent, failed for good, or due again after a backoff. A process that dies
//! mid-send leaves a lease that runs out; the row is then sent again with
//! the same idempotency key, which the gateways use to drop the repeat.

use std::time::Duration;

use chrono::Utc;
use dvc_domain::notify::NotifyChannel;
use dvc_persistence::{notifications, Pool};
use rand::Rng;

use super::{backoff, Shutdown};
use crate::notify::{Delivery, Notifier};

pub struct NotifyWorker {
    pub pool: Pool,
    /// The notifiers are built from it on the worker's thread.
    pub config: std::sync::Arc<crate::config::Config>,
    pub max_backoff: Duration,
    pub poll: Duration,
    /// How long a row being sent is reserved for this process.
    pub lease: Duration,
    pub shutdown: Shutdown,
    /// The server's clock (tests set it).
    pub clock: crate::state::Clock,
}

/// The last look for dossiers about to run late, on the worker's thread.
struct LateScan {
    horizon: Option<chrono::Duration>,
    every: Duration,
    last: Option<std::time::Instant>,
}

impl NotifyWorker {
    pub fn spawn(self) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new().name("notifications".into()).spawn(move || self.run())
    }

    fn run(self) {
        let notifiers = match crate::notify::from_config(&self.config) {
            Ok(n) => n,
            Err(e) => return log::error!("notifications cannot start: {e}"),
        };
        let channels: Vec<&str> = notifiers.iter().map(|n| n.channel().as_str()).collect();
        log::info!("notifications go out by {}", channels.join(", "));
        // Warnings go by email: only with an SMTP server.
        let by_email = notifiers.iter().any(|n| n.channel() == NotifyChannel::Email);
        let hours = i64::from(self.config.late_warning_hours);
        let mut late = LateScan {
            horizon: (by_email && hours > 0).then(|| chrono::Duration::hours(hours)),
            every: Duration::from_secs(self.config.late_warning_scan_secs),
            last: None,
        };
        while !self.shutdown.is_stopped() {
            if let Err(e) = self.warn_running_late(&mut late) {
                log::warn!("warnings of dossiers about to run late: {e}");
            }
            let tried = self.round(&notifiers).unwrap_or_else(|e| {
                log::warn!("notifications: {e}");
                0
            });
            if tried == 0 && !self.shutdown.sleep(self.poll) {
                break;
            }
        }
    }

    /// Writes the warnings of dossiers about to run late, at most once per
    /// scan interval; they are then delivered as any notification.
    fn warn_running_late(&self, late: &mut LateScan) -> Result<(), String> {
        let Some(horizon) = late.horizon else { return Ok(()) };
        if late.last.is_some_and(|t| t.elapsed() < late.every) {
            return Ok(());
        }
        late.last = Some(std::time::Instant::now());
        let mut conn = self.pool.get().map_err(|e| e.to_string())?;
        let written = notifications::warn_running_late(&mut conn, self.now(), horizon).map_err(|e| e.to_string())?;
        if written > 0 {
            log::info!("{written} dossier(s) about to run late: their agencies are warned");
        }
        Ok(())
    }

    fn now(&self) -> chrono::DateTime<Utc> {
        self.clock.now().max(Utc::now())
    }

    /// One round: claim due notifications and send each; how many were tried.
    fn round(&self, notifiers: &[Box<dyn Notifier>]) -> Result<usize, String> {
        let mut conn = self.pool.get().map_err(|e| e.to_string())?;
        let now = self.now();
        let lease = now + chrono::Duration::from_std(self.lease).unwrap_or_default();
        let channels: Vec<NotifyChannel> = notifiers.iter().map(|n| n.channel()).collect();
        let claimed = notifications::claim(&mut conn, &channels, now, lease, 20).map_err(|e| e.to_string())?;
        for n in &claimed {
            if self.shutdown.is_stopped() {
                break;
            }
            let Some(notifier) = notifiers.iter().find(|x| x.channel() == n.channel) else {
                continue;
            };
            let outcome = notifier.send(n);
            let done = self.now();
            match outcome {
                Delivery::Sent => notifications::mark_sent(&mut conn, &n.idempotency_key, done),
                Delivery::Failed(e) => {
                    log::warn!("notification {} of dossier {} failed for good: {e}", n.idempotency_key, n.dossier_code);
                    notifications::mark_failed(&mut conn, &n.idempotency_key, &e, None)
                }
                Delivery::Retry(e) => {
                    let wait = backoff::delay(n.attempts, self.max_backoff, rand::rng().random_range(0.5..1.5));
                    let retry_at = done + chrono::Duration::from_std(wait).unwrap_or_default();
                    notifications::mark_failed(&mut conn, &n.idempotency_key, &e, Some(retry_at))
                }
            }
            .map_err(|e| e.to_string())?;
        }
        Ok(claimed.len())
    }
}
