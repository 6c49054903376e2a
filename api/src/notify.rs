//! Delivery of notifications to applicants (docs/RULES.md §12): one
//! [`Notifier`] per configured channel: email over SMTP, and one HTTP
//! gateway shape for SMS and Zalo ZNS.

use std::time::Duration;

use dvc_domain::notify::NotifyChannel;
use dvc_persistence::notifications::Notification;
use lettre::message::header::ContentType;
use lettre::{Message, SmtpTransport, Transport};

use crate::config::Config;

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Try again later (the other side is down, busy, or did not answer).
    Retry(String),
    /// Never to be sent (refused for good: a bad address, say).
    Failed(String),
}

/// Sends a notification on one channel.
pub trait Notifier: Send {
    fn channel(&self) -> NotifyChannel;
    fn send(&self, n: &Notification) -> Delivery;
}

/// Email over SMTP (lettre's blocking transport; one connection per message).
pub struct EmailNotifier {
    transport: SmtpTransport,
    from: lettre::message::Mailbox,
}

impl EmailNotifier {
    /// `url`: `smtp://host:port` (plain text), `smtp://host:port?tls=required`
    /// (STARTTLS), `smtps://host:port` (TLS), with `user:password@` to log in.
    pub fn new(url: &str, from: &str, timeout: Duration) -> Result<Self, String> {
        let from = from.parse().map_err(|e| format!("DVC_SMTP_FROM {from:?} is not an address: {e}"))?;
        let builder = SmtpTransport::from_url(url).map_err(|e| format!("DVC_SMTP_URL is not an SMTP URL: {e}"))?;
        let plain = url.starts_with("smtp://") && !url.contains("tls=");
        if plain && !is_loopback_url(url) {
            log::warn!("DVC_SMTP_URL sends email in plain text to a host that is not on loopback; add ?tls=required or use smtps://");
        }
        Ok(Self { transport: builder.timeout(Some(timeout)).build(), from })
    }
}

fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host_port = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host = host_port.split(['/', '?']).next().unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

impl Notifier for EmailNotifier {
    fn channel(&self) -> NotifyChannel {
        NotifyChannel::Email
    }

    fn send(&self, n: &Notification) -> Delivery {
        let to = match n.recipient.parse() {
            Ok(to) => to,
            Err(e) => return Delivery::Failed(format!("not an email address: {e}")),
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(n.subject.as_str())
            // The key in the Message-ID lets a mail system drop a repeat.
            .message_id(Some(format!("<{}.{}@dvc>", n.idempotency_key, n.dossier_code)))
            .header(ContentType::TEXT_PLAIN)
            .body(n.body.clone());
        let message = match message {
            Ok(m) => m,
            Err(e) => return Delivery::Failed(format!("cannot build the message: {e}")),
        };
        match self.transport.send(&message) {
            Ok(_) => Delivery::Sent,
            Err(e) if e.is_permanent() => Delivery::Failed(format!("the SMTP server refused: {e}")),
            Err(e) => Delivery::Retry(format!("SMTP: {e}")),
        }
    }
}

/// An SMS or Zalo ZNS gateway: `POST <url>` with JSON
/// `{to, text, event, dossier_code, idempotency_key}` and the header
/// `Idempotency-Key`. 2xx: sent; 429 or 5xx or no answer: again later;
/// any other answer: failed for good.
pub struct GatewayNotifier {
    channel: NotifyChannel,
    url: String,
    token: Option<String>,
    client: reqwest::blocking::Client,
}

impl GatewayNotifier {
    pub fn new(channel: NotifyChannel, url: &str, token: Option<String>, timeout: Duration) -> Result<Self, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("{} gateway URL {url:?}: {e}", channel.as_str()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("{} gateway URL {url:?}: http or https", channel.as_str()));
        }
        let client = reqwest::blocking::Client::builder().timeout(timeout).build().map_err(|e| e.to_string())?;
        Ok(Self { channel, url: url.to_owned(), token, client })
    }
}

impl Notifier for GatewayNotifier {
    fn channel(&self) -> NotifyChannel {
        self.channel
    }

    fn send(&self, n: &Notification) -> Delivery {
        let body = serde_json::json!({
            "to": n.recipient,
            "text": n.body,
            "event": n.event,
            "dossier_code": n.dossier_code,
            "idempotency_key": n.idempotency_key,
        });
        let mut req = self.client.post(&self.url).json(&body).header("Idempotency-Key", n.idempotency_key.as_str());
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        match req.send() {
            Ok(res) if res.status().is_success() => Delivery::Sent,
            Ok(res) if res.status().as_u16() == 429 || res.status().is_server_error() => {
                Delivery::Retry(format!("the gateway answered {}", res.status()))
            }
            Ok(res) => {
                let status = res.status();
                let text: String = res.text().unwrap_or_default().chars().take(200).collect();
                Delivery::Failed(format!("the gateway refused ({status}): {text}"))
            }
            Err(e) => Delivery::Retry(format!("the gateway did not answer: {e}")),
        }
    }
}

/// Checks the notification settings without building anything that needs
/// a thread of its own (the blocking HTTP client cannot be made, nor
/// dropped, inside the server's async runtime).
pub fn check(c: &Config) -> Result<(), String> {
    let timeout = Duration::from_millis(c.notify_timeout_ms.max(100));
    match (&c.smtp_url, &c.smtp_from) {
        (Some(url), Some(from)) => drop(EmailNotifier::new(url, from, timeout)?),
        (Some(_), None) => return Err("DVC_SMTP_URL is set without DVC_SMTP_FROM (the sender)".into()),
        (None, Some(_)) => return Err("DVC_SMTP_FROM is set without DVC_SMTP_URL".into()),
        (None, None) => {}
    }
    for (name, url) in [("DVC_SMS_GATEWAY_URL", &c.sms_gateway_url), ("DVC_ZALO_GATEWAY_URL", &c.zalo_gateway_url)] {
        if let Some(url) = url {
            let parsed = reqwest::Url::parse(url).map_err(|e| format!("{name} {url:?}: {e}"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(format!("{name} {url:?}: http or https"));
            }
        }
    }
    Ok(())
}

/// The notifiers the configuration asks for; call it on the worker's own
/// thread (see [`check`]).
pub fn from_config(c: &Config) -> Result<Vec<Box<dyn Notifier>>, String> {
    let timeout = Duration::from_millis(c.notify_timeout_ms.max(100));
    let mut out: Vec<Box<dyn Notifier>> = Vec::new();
    match (&c.smtp_url, &c.smtp_from) {
        (Some(url), Some(from)) => out.push(Box::new(EmailNotifier::new(url, from, timeout)?)),
        (Some(_), None) => return Err("DVC_SMTP_URL is set without DVC_SMTP_FROM (the sender)".into()),
        (None, Some(_)) => return Err("DVC_SMTP_FROM is set without DVC_SMTP_URL".into()),
        (None, None) => {}
    }
    if let Some(url) = &c.sms_gateway_url {
        out.push(Box::new(GatewayNotifier::new(NotifyChannel::Sms, url, c.notify_gateway_token.clone(), timeout)?));
    }
    if let Some(url) = &c.zalo_gateway_url {
        out.push(Box::new(GatewayNotifier::new(NotifyChannel::Zalo, url, c.notify_gateway_token.clone(), timeout)?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{check, is_loopback_url};
    use crate::config::Cli;
    use clap::Parser;

    fn checked(args: &[&str]) -> Result<(), String> {
        let mut all = vec!["dvc"];
        all.extend_from_slice(args);
        check(&Cli::try_parse_from(all).map_err(|e| e.to_string())?.config)
    }

    #[test]
    fn refuses_half_or_wrong_settings_at_start_up() {
        assert!(checked(&[]).is_ok());
        assert!(checked(&["--smtp-url", "smtp://127.0.0.1:2525", "--smtp-from", "Một cửa <a@example.vn>"]).is_ok());
        assert!(checked(&["--smtp-url", "smtp://127.0.0.1:2525"]).expect_err("refused").contains("DVC_SMTP_FROM"));
        assert!(checked(&["--smtp-from", "a@example.vn"]).expect_err("refused").contains("DVC_SMTP_URL"));
        assert!(checked(&["--smtp-url", "smtp://127.0.0.1:2525", "--smtp-from", "not an address"]).is_err());
        assert!(checked(&["--smtp-url", "ftp://x", "--smtp-from", "a@example.vn"]).is_err());
        assert!(checked(&["--sms-gateway-url", "ftp://gateway"]).expect_err("refused").contains("DVC_SMS_GATEWAY_URL"));
        assert!(checked(&["--zalo-gateway-url", "not a url"]).expect_err("refused").contains("DVC_ZALO_GATEWAY_URL"));
    }

    #[test]
    fn tells_loopback_smtp_urls() {
        assert!(is_loopback_url("smtp://127.0.0.1:2525"));
        assert!(is_loopback_url("smtp://u:p@localhost:25"));
        assert!(!is_loopback_url("smtp://mail.example.vn:25"));
    }
}
