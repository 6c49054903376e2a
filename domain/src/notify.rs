//! Notifications to applicants (docs/RULES.md §12): which events are told,
//! on which channels, and their text, rendered from the templates under
//! `domain/templates/notifications/` (`<event>.<channel>.txt`: for email the
//! first line is the subject, the rest after one blank line the body).
//!
//! Pure: the text is rendered when the change is written, so what was sent
//! is what was decided in the change's transaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::VIETNAM;
use crate::dossier::{Step, SupplementItem};

/// Where a notification's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Waiting to be sent, or to be tried again.
    Pending,
    Sent,
    /// Refused for good by the gateway, or out of attempts.
    Failed,
}

impl Delivery {
    pub const ALL: [Delivery; 3] = [Self::Pending, Self::Sent, Self::Failed];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// What a notification tells the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The dossier was received; with its due instant.
    Received,
    /// A supplement is requested: what is missing, and the reply deadline.
    SupplementRequested,
    /// Fees are due: the amount and how to pay.
    PaymentRequested,
    /// The result is ready: where to collect it.
    ResultReady,
    /// An apology with the new promised date.
    Apology,
    /// The dossier was refused (or its request denied), with the reason.
    Refused,
    /// To the handling agency, not the applicant: the dossier is due soon
    /// and still open. By email only.
    RunningLate,
}

impl Event {
    /// The events told to the applicant, on every channel.
    pub const ALL: [Event; 6] = [
        Self::Received,
        Self::SupplementRequested,
        Self::PaymentRequested,
        Self::ResultReady,
        Self::Apology,
        Self::Refused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::SupplementRequested => "supplement_requested",
            Self::PaymentRequested => "payment_requested",
            Self::ResultReady => "result_ready",
            Self::Apology => "apology",
            Self::Refused => "refused",
            Self::RunningLate => "running_late",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().chain([Self::RunningLate]).find(|e| e.as_str() == s)
    }

    /// The event a history step tells the applicant, if any: from the
    /// step and, for `resolve`, its outcome.
    pub fn of_action(step: Step, denied: bool) -> Option<Event> {
        match step {
            Step::Receive => Some(Self::Received),
            Step::RequestSupplement => Some(Self::SupplementRequested),
            Step::RequestPayment => Some(Self::PaymentRequested),
            Step::Resolve if denied => Some(Self::Refused),
            Step::Resolve => Some(Self::ResultReady),
            Step::Apologize => Some(Self::Apology),
            Step::Refuse => Some(Self::Refused),
            _ => None,
        }
    }
}

/// A way to reach the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyChannel {
    Email,
    Sms,
    Zalo,
}

impl NotifyChannel {
    pub const ALL: [NotifyChannel; 3] = [Self::Email, Self::Sms, Self::Zalo];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Zalo => "zalo",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The channels this deployment can deliver on (each configured gateway).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Channels {
    pub email: bool,
    pub sms: bool,
    pub zalo: bool,
}

impl Channels {
    pub fn has(self, c: NotifyChannel) -> bool {
        match c {
            NotifyChannel::Email => self.email,
            NotifyChannel::Sms => self.sms,
            NotifyChannel::Zalo => self.zalo,
        }
    }

    pub fn any(self) -> bool {
        self.email || self.sms || self.zalo
    }
}

/// The channels an applicant is told on when they chose none: email when
/// they gave an email, SMS and Zalo when they gave a phone.
pub fn default_choice(phone: bool, email: bool) -> Vec<NotifyChannel> {
    let mut out = Vec::new();
    if email {
        out.push(NotifyChannel::Email);
    }
    if phone {
        out.push(NotifyChannel::Sms);
        out.push(NotifyChannel::Zalo);
    }
    out
}

/// The recipients of one event: each channel chosen (or by default), that
/// the deployment delivers on and the applicant gave the contact for.
pub fn recipients(
    chosen: Option<&[NotifyChannel]>,
    phone: Option<&str>,
    email: Option<&str>,
    configured: Channels,
) -> Vec<(NotifyChannel, String)> {
    let phone = phone.map(str::trim).filter(|p| !p.is_empty());
    let email = email.map(str::trim).filter(|e| !e.is_empty());
    let chosen = chosen.map_or_else(|| default_choice(phone.is_some(), email.is_some()), <[_]>::to_vec);
    let mut out: Vec<(NotifyChannel, String)> = Vec::new();
    for c in NotifyChannel::ALL {
        if !chosen.contains(&c) || !configured.has(c) {
            continue;
        }
        let to = match c {
            NotifyChannel::Email => email,
            NotifyChannel::Sms | NotifyChannel::Zalo => phone,
        };
        if let Some(to) = to {
            out.push((c, to.to_owned()));
        }
    }
    out
}

/// What a message says, in the words of the change that made it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    pub code: String,
    pub applicant_name: String,
    pub summary: String,
    /// The receiving agency's name (where the result is collected).
    pub agency_name: String,
    pub due_at: Option<DateTime<Utc>>,
    pub reply_by: Option<DateTime<Utc>>,
    pub items: Vec<SupplementItem>,
    pub amount_vnd: Option<i64>,
    pub new_date: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub body: String,
}

macro_rules! templates {
    ($($event:literal),*) => {
        &[$(
            (concat!($event, ".email.txt"), include_str!(concat!("../templates/notifications/", $event, ".email.txt"))),
            (concat!($event, ".sms.txt"), include_str!(concat!("../templates/notifications/", $event, ".sms.txt"))),
            (concat!($event, ".zalo.txt"), include_str!(concat!("../templates/notifications/", $event, ".zalo.txt"))),
        )*]
    };
}

const TEMPLATES: &[(&str, &str)] =
    templates!("received", "supplement_requested", "payment_requested", "result_ready", "apology", "refused");

/// The warnings to an agency's staff: by email only.
const STAFF_TEMPLATES: &[(&str, &str)] =
    &[("running_late.email.txt", include_str!("../templates/notifications/running_late.email.txt"))];

/// An instant as Vietnam reads it: `dd/mm/yyyy HH:MM`.
pub fn vn_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&VIETNAM).format("%d/%m/%Y %H:%M").to_string()
}

/// An amount of đồng with dots between thousands: `1.250.000`.
pub fn vnd(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    if amount < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Renders one event's message for one channel. SMS and Zalo carry no
/// subject (theirs is the event's name).
pub fn render(event: Event, channel: NotifyChannel, facts: &Facts) -> Result<Message, String> {
    let mut env = minijinja::Environment::new();
    env.set_trim_blocks(true);
    for (name, source) in TEMPLATES.iter().chain(STAFF_TEMPLATES) {
        env.add_template(name, source).map_err(|e| e.to_string())?;
    }
    env.add_filter("vn_time", |s: String| -> String {
        DateTime::parse_from_rfc3339(&s).map_or(s, |t| vn_time(t.to_utc()))
    });
    env.add_filter("vnd", |n: i64| -> String { vnd(n) });
    let name = format!("{}.{}.txt", event.as_str(), channel.as_str());
    let text = env.get_template(&name).and_then(|t| t.render(facts)).map_err(|e| format!("template {name}: {e}"))?;
    let text = text.trim().to_owned();
    Ok(match channel {
        NotifyChannel::Email => {
            let (subject, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
            Message { subject: subject.trim().to_owned(), body: body.trim().to_owned() }
        }
        NotifyChannel::Sms | NotifyChannel::Zalo => Message { subject: event.as_str().to_owned(), body: text },
    })
}

/// A recipient as shown back: `a***@example.vn`, `091****678`.
pub fn mask_recipient(to: &str) -> String {
    if let Some((local, domain)) = to.split_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    let chars: Vec<char> = to.chars().collect();
    let n = chars.len();
    if n <= 6 {
        return "*".repeat(n);
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[n - 3..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(n - 6))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn facts() -> Facts {
        Facts {
            code: "000.00.01.H56-261205-0001".into(),
            applicant_name: "Nguyễn Văn An".into(),
            summary: "Cấp giấy phép xây dựng".into(),
            agency_name: "UBND phường Bến Nghé".into(),
            // 09:30 UTC = 16:30 in Vietnam.
            due_at: Some(Utc.with_ymd_and_hms(2026, 12, 10, 9, 30, 0).single().expect("instant")),
            reply_by: Some(Utc.with_ymd_and_hms(2026, 12, 15, 17, 5, 0).single().expect("instant")),
            items: vec![SupplementItem { component_code: "TP01".into(), problem: "thiếu bản sao CCCD".into() }],
            amount_vnd: Some(1_250_000),
            new_date: Some(Utc.with_ymd_and_hms(2026, 12, 20, 1, 0, 0).single().expect("instant")),
            reason: Some("chờ ý kiến của Sở Xây dựng".into()),
        }
    }

    #[test]
    fn the_running_late_warning_is_an_email_to_the_agency() {
        let f = facts();
        let m = render(Event::RunningLate, NotifyChannel::Email, &f).unwrap_or_else(|e| panic!("{e}"));
        assert!(m.subject.contains("sắp quá hạn") && m.subject.contains(&f.code), "{}", m.subject);
        assert!(m.body.contains("Kính gửi UBND phường Bến Nghé"), "{}", m.body);
        assert!(m.body.contains("10/12/2026 16:30"), "{}", m.body);
        assert!(render(Event::RunningLate, NotifyChannel::Sms, &f).is_err(), "no SMS template for staff");
    }

    #[test]
    fn every_event_renders_on_every_channel_in_vietnamese() {
        let f = facts();
        for event in Event::ALL {
            let expected: &[&str] = match event {
                Event::Received => &["đã được tiếp nhận", "10/12/2026 16:30"],
                Event::SupplementRequested => &["bổ sung", "TP01", "thiếu bản sao CCCD", "16/12/2026 00:05"],
                Event::PaymentRequested => &["1.250.000 đồng", "thanh toán"],
                Event::ResultReady => &["đã có kết quả", "UBND phường Bến Nghé"],
                Event::Apology => &["xin lỗi", "20/12/2026 08:00", "chờ ý kiến của Sở Xây dựng"],
                Event::Refused => &["từ chối", "chờ ý kiến của Sở Xây dựng"],
                Event::RunningLate => unreachable!("not an applicant's event"),
            };
            for channel in NotifyChannel::ALL {
                let m = render(event, channel, &f).unwrap_or_else(|e| panic!("{e}"));
                let text = format!("{}\n{}", m.subject, m.body);
                assert!(text.contains(&f.code), "{event:?}/{channel:?} without the code: {text}");
                for e in expected {
                    assert!(
                        text.to_lowercase().contains(&e.to_lowercase()),
                        "{event:?}/{channel:?} lacks {e:?}: {text}"
                    );
                }
                assert!(!text.contains("{{") && !text.contains("{%"), "{text}");
                if channel == NotifyChannel::Email {
                    assert!(m.subject.contains("Hồ sơ") || m.subject.contains("hồ sơ"), "{}", m.subject);
                    assert!(m.body.contains("Nguyễn Văn An"), "{}", m.body);
                } else {
                    assert!(
                        m.body.chars().count() <= 480,
                        "{event:?}/{channel:?} too long: {}",
                        m.body.chars().count()
                    );
                }
            }
        }
    }

    #[test]
    fn actions_map_to_events() {
        assert_eq!(Event::of_action(Step::Receive, false), Some(Event::Received));
        assert_eq!(Event::of_action(Step::Resolve, false), Some(Event::ResultReady));
        assert_eq!(Event::of_action(Step::Resolve, true), Some(Event::Refused));
        assert_eq!(Event::of_action(Step::HandOff, false), None);
        assert_eq!(Event::of_action(Step::Apologize, false), Some(Event::Apology));
    }

    #[test]
    fn recipients_follow_the_choice_the_contacts_and_the_gateways() {
        let all = Channels { email: true, sms: true, zalo: true };
        let r = recipients(None, Some("0912345678"), Some("an@example.vn"), all);
        assert_eq!(r.len(), 3);
        let r = recipients(None, Some("0912345678"), None, Channels { email: true, sms: true, zalo: false });
        assert_eq!(r, vec![(NotifyChannel::Sms, "0912345678".to_owned())]);
        let r = recipients(Some(&[NotifyChannel::Email]), Some("0912345678"), Some("an@example.vn"), all);
        assert_eq!(r, vec![(NotifyChannel::Email, "an@example.vn".to_owned())]);
        assert!(recipients(Some(&[]), Some("0912345678"), Some("an@example.vn"), all).is_empty());
        assert!(recipients(None, Some(" "), None, all).is_empty());
    }

    #[test]
    fn masks_recipients() {
        assert_eq!(mask_recipient("an@example.vn"), "a***@example.vn");
        assert_eq!(mask_recipient("0912345678"), "091****678");
        assert_eq!(vnd(1_250_000), "1.250.000");
        assert_eq!(vnd(500), "500");
    }
}
