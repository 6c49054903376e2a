//! Recovers lost callbacks: asks the platform (`QUERY`) about every
//! payment attempt still pending after `DVC_PAYMENT_QUERY_AFTER_SECS` (each
//! `INIT` is one, with its own reference), and applies its signed answer as
//! if it were the callback.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use dvc_domain::payment::{PlatformRequest, PlatformResult};
use dvc_persistence::{payments, Pool};

use crate::config::Config;
use crate::workers::Shutdown;

pub struct Reconciler {
    pub pool: Pool,
    pub config: Arc<Config>,
    pub platform_url: String,
    pub every: Duration,
    pub shutdown: Shutdown,
}

impl Reconciler {
    pub fn spawn(self) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new().name("payment-query".into()).spawn(move || self.run())
    }

    fn run(self) {
        let Ok(client) = reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build() else {
            log::error!("payment reconciliation cannot start its HTTP client");
            return;
        };
        while self.shutdown.sleep(self.every) {
            if let Err(e) = self.round(&client) {
                log::warn!("payment reconciliation: {e}");
            }
        }
    }

    fn round(&self, client: &reqwest::blocking::Client) -> Result<(), String> {
        let mut conn = self.pool.get().map_err(|e| e.to_string())?;
        let now = Utc::now();
        let after = chrono::Duration::seconds(i64::try_from(self.config.payment_query_after_secs).unwrap_or(900));
        let stale = payments::stale_attempts(&mut conn, now - after, now - after, 100).map_err(|e| e.to_string())?;
        let url = format!("{}/query", self.platform_url.trim_end_matches('/'));
        for p in stale {
            payments::mark_queried(&mut conn, &p.id, now).map_err(|e| e.to_string())?;
            let description = format!("Hồ sơ {}", p.dossier_code);
            let query = PlatformRequest::signed(
                "QUERY",
                super::account(&self.config),
                &p.reference,
                p.amount_vnd,
                now,
                &description,
                "",
            );
            let answer: PlatformResult =
                match client.post(&url).json(&query).send().and_then(|r| r.error_for_status()).and_then(|r| r.json()) {
                    Ok(a) => a,
                    Err(e) => {
                        log::warn!("QUERY {} failed: {e}", p.reference);
                        continue;
                    }
                };
            if answer.reference != p.reference {
                log::warn!("QUERY {} answered about {}", p.reference, answer.reference);
                continue;
            }
            if answer.error_code == "PENDING" {
                continue;
            }
            match super::process_result(&mut conn, &self.config, &answer, Utc::now()) {
                Ok(_) => log::info!("payment {} settled by QUERY", p.reference),
                Err(e) => log::warn!("QUERY answer for {} refused: {e}", p.reference),
            }
        }
        Ok(())
    }
}
