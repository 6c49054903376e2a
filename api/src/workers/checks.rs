//! Asks the national databases again about the applicants they did not
//! answer for at submission (docs/RULES.md §11), with backoff, until they
//! answer. A check being asked is leased, so processes sharing a database
//! do not ask twice at once; one that dies leaves a lease that runs out.

use std::time::Duration;

use chrono::Utc;
use dvc_domain::auth::{Actor, Role};
use dvc_domain::registry::{mask, CheckState, LookupError, Verdict};
use dvc_persistence::{dossiers, registry, Pool};
use rand::Rng;

use super::backoff;
use super::Shutdown;
use crate::connectors::check::{ask_now, lookup, Answer};
use crate::connectors::Connectors;

/// Checks claimed at once.
const BATCH: i64 = 5;

pub const PURPOSE: &str = "check the applicant of a dossier the database did not answer for at submission";

/// Who the audit log names for the background checks.
pub fn system_actor() -> Actor {
    Actor { id: "dvc:applicant-checks".into(), role: Role::Admin, agency: None, name: "dvc".into() }
}

pub struct CheckWorker {
    pub pool: Pool,
    pub connectors: Connectors,
    pub max_backoff: Duration,
    pub poll: Duration,
    pub shutdown: Shutdown,
    /// The server's clock (tests set it).
    pub clock: crate::state::Clock,
}

impl CheckWorker {
    pub fn spawn(self) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new().name("applicant-checks".into()).spawn(move || self.run())
    }

    fn run(self) {
        while !self.shutdown.is_stopped() {
            let tried = self.round().unwrap_or_else(|e| {
                log::warn!("applicant checks: {e}");
                0
            });
            if tried == 0 && !self.shutdown.sleep(self.poll) {
                break;
            }
        }
    }

    /// One round: claim due checks and ask about each; how many were tried.
    fn round(&self) -> Result<usize, String> {
        let mut conn = self.pool.get().map_err(|e| e.to_string())?;
        let now = self.clock.now().max(Utc::now());
        // Asked one after another: the lease covers the whole batch, twice.
        let lease =
            now + chrono::Duration::from_std(self.connectors.bound * (2 * BATCH as u32 + 2)).unwrap_or_default();
        let claimed = registry::claim_checks(&mut conn, now, lease, BATCH).map_err(|e| e.to_string())?;
        let actor = system_actor();
        for check in &claimed {
            if self.shutdown.is_stopped() {
                break;
            }
            let dossier = dossiers::get(&mut conn, check.dossier_code.as_str()).map_err(|e| e.to_string())?;
            let subject = dossier.applicant.id_number.clone();
            let answer = ask_now(&self.connectors, &dossier.applicant)
                .map(|(_, a)| a)
                .unwrap_or(Answer::Failed(LookupError::NotConfigured));
            let done = Utc::now();
            let registry_kind = check.registry;
            let outcome = answer.outcome().unwrap_or(dvc_domain::registry::Outcome::Unavailable);
            let log_row = lookup(&actor, registry_kind, &subject, PURPOSE, outcome, done);
            let settled = match answer {
                Answer::Judged(Verdict::Verified) => Some((CheckState::Verified, Vec::new())),
                Answer::Judged(Verdict::Mismatch(d)) => {
                    Some((CheckState::Mismatch, d.iter().map(|d| d.neutral(registry_kind)).collect()))
                }
                Answer::Failed(LookupError::NotFound) => Some((CheckState::NotFound, Vec::new())),
                Answer::Failed(e) => {
                    let wait = backoff::delay(check.attempts, self.max_backoff, rand::rng().random_range(0.5..1.5));
                    let retry_at = done + chrono::Duration::from_std(wait).unwrap_or_default();
                    // An open breaker asked nobody: nothing to log.
                    if matches!(e, LookupError::CircuitOpen | LookupError::NotConfigured) {
                        registry::retry_check(&mut conn, &check.dossier_code, &e.to_string(), retry_at, None)
                    } else {
                        registry::retry_check(&mut conn, &check.dossier_code, &e.to_string(), retry_at, Some(&log_row))
                    }
                    .map_err(|e| e.to_string())?;
                    None
                }
            };
            if let Some((state, differences)) = settled {
                log::info!(
                    "applicant {} of dossier {}: {} by the {} database",
                    mask(&subject),
                    check.dossier_code,
                    state.as_str(),
                    check.registry
                );
                registry::settle_check(&mut conn, &check.dossier_code, state, &differences, &log_row, done)
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(claimed.len())
    }
}
