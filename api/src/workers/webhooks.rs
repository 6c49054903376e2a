//! Delivers changes to webhook subscribers: signed (HMAC-SHA256 of the body
//! in `X-DVC-Signature: sha256=<hex>`), at least once, retried with backoff.

use std::time::Duration;

use chrono::Utc;
use dvc_persistence::{agencies, webhooks, Pool};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

use super::{backoff, Shutdown};

pub struct WebhookWorker {
    pub pool: Pool,
    pub max_backoff: Duration,
    pub poll: Duration,
    pub shutdown: Shutdown,
}

/// `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    format!("sha256={}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

const LEASE: Duration = Duration::from_secs(60);

impl WebhookWorker {
    pub fn spawn(self) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new().name("webhooks".into()).spawn(move || self.run())
    }

    fn run(self) {
        let Ok(client) = reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build() else {
            log::error!("webhook delivery cannot start its HTTP client");
            return;
        };
        while !self.shutdown.is_stopped() {
            let sent = self.round(&client).unwrap_or_else(|e| {
                log::warn!("webhooks: {e}");
                0
            });
            if sent == 0 && !self.shutdown.sleep(self.poll) {
                break;
            }
        }
    }

    fn round(&self, client: &reqwest::blocking::Client) -> Result<usize, String> {
        let mut conn = self.pool.get().map_err(|e| e.to_string())?;
        let now = Utc::now();
        // What committed before this round takes its place, once for every subscription.
        if let Err(e) = dvc_persistence::changes::sequence(&mut conn) {
            log::warn!("webhooks: changes not placed this round: {e}");
        }
        for hook in webhooks::list(&mut conn, None).map_err(|e| e.to_string())? {
            if hook.filter_error.is_some() {
                continue;
            }
            let filter = match hook.filter.clone() {
                Ok(f) => f,
                Err(e) => {
                    log::error!("webhook {}: deliveries stopped: {e}", hook.id);
                    webhooks::stop_for_filter(&mut conn, &hook.id, &e).map_err(|e| e.to_string())?;
                    continue;
                }
            };
            // One subscription's trouble holds up neither the others nor the deliveries.
            let fanned = (|| {
                let mut set = Vec::new();
                for code in &filter.agencies {
                    // A filter naming a merged agency follows the merger: it
                    // covers the agency that took over (which covers the merged one).
                    let code = agencies::current(&mut conn, code)?;
                    set.extend(agencies::with_descendants(&mut conn, &code)?);
                }
                webhooks::fan_out(&mut conn, &hook, &filter.statuses, &set, now, 500)
            })();
            if let Err(e) = fanned {
                log::warn!("webhook {}: changes not looked at this round: {e}", hook.id);
            }
        }
        let lease = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
        let due = webhooks::claim(&mut conn, now, lease, 100).map_err(|e| e.to_string())?;
        for d in &due {
            let hook = match webhooks::get(&mut conn, &d.webhook_id) {
                Ok(h) => h,
                Err(_) => continue,
            };
            let change = webhooks::change(&mut conn, d.seq).map_err(|e| e.to_string())?;
            let body = serde_json::to_vec(&serde_json::json!({
                "delivery_id": d.id,
                "seq": change.seq,
                "dossier_code": change.dossier_code,
                "action": change.action,
                "status": change.status,
                "event": serde_json::from_str::<serde_json::Value>(&change.payload).unwrap_or_default(),
            }))
            .map_err(|e| e.to_string())?;
            let res = client
                .post(&hook.url)
                .header("content-type", "application/json")
                .header("X-DVC-Signature", signature(&hook.secret, &body))
                .header("X-DVC-Delivery", d.id.as_str())
                .header("X-DVC-Seq", d.seq.to_string())
                .body(body)
                .send();
            let done = Utc::now();
            let wait = backoff::delay(d.attempts, self.max_backoff, rand::rng().random_range(0.5..1.5));
            let retry_at = done + chrono::Duration::from_std(wait).unwrap_or_default();
            let outcome = match res {
                Ok(r) if r.status().is_success() => {
                    webhooks::mark(&mut conn, &d.id, Some(i32::from(r.status().as_u16())), None, Some(done), done)
                }
                Ok(r) => webhooks::mark(
                    &mut conn,
                    &d.id,
                    Some(i32::from(r.status().as_u16())),
                    Some(&format!("answered {}", r.status())),
                    None,
                    retry_at,
                ),
                Err(e) => webhooks::mark(&mut conn, &d.id, None, Some(&format!("no answer: {e}")), None, retry_at),
            };
            outcome.map_err(|e| e.to_string())?;
        }
        Ok(due.len())
    }
}

#[cfg(test)]
mod tests {
    use super::signature;

    #[test]
    fn signs_with_hmac_sha256_in_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
