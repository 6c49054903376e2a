//! Fees and payments (docs/RULES.md §5): statuses, methods, and the signed messages
//! of the national payment platform.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::calendar::VIETNAM;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Paid,
    Failed,
    Cancelled,
    Refunded,
}

impl PaymentStatus {
    pub const ALL: [Self; 5] = [Self::Pending, Self::Paid, Self::Failed, Self::Cancelled, Self::Refunded];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// The moves a payment may make: pending → paid / failed / cancelled, paid → refunded.
    pub fn may_become(self, next: PaymentStatus) -> bool {
        matches!(
            (self, next),
            (Self::Pending, Self::Paid | Self::Failed | Self::Cancelled) | (Self::Paid, Self::Refunded)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Through the payment platform.
    Online,
    Transfer,
    Cash,
    /// Requested, not yet chosen by the applicant.
    Unspecified,
}

impl PaymentMethod {
    pub const ALL: [Self; 4] = [Self::Online, Self::Transfer, Self::Cash, Self::Unspecified];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Transfer => "transfer",
            Self::Cash => "cash",
            Self::Unspecified => "unspecified",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// Anything but cash is cashless (không dùng tiền mặt).
    pub fn is_cashless(self) -> bool {
        matches!(self, Self::Online | Self::Transfer)
    }
}

/// One try at the payment platform: every `INIT` has its own reference
/// (MaThamChieu), kept forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    Pending,
    Paid,
    Failed,
}

impl AttemptStatus {
    pub const ALL: [Self; 3] = [Self::Pending, Self::Paid, Self::Failed];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What a verified result message for an attempt does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    /// The money came: the attempt is paid. It settles its obligation if
    /// that is still pending; otherwise it is owed back (refund due).
    Paid,
    /// The attempt failed; its obligation stays as it is.
    Failed,
    /// The same message again: nothing changes.
    Repeat,
    /// A failure after a success: refused (and logged).
    Refused,
    /// A second successful transaction for a paid reference (the bank
    /// debited twice): kept on record and owed back, never dropped.
    SecondDebit,
}

/// The rule for a verified result on an attempt in `status`. A success
/// after a failure for the same reference is accepted: platforms send
/// that order.
pub fn attempt_result(status: AttemptStatus, succeeded: bool, same_transaction: bool) -> AttemptResult {
    match (status, succeeded) {
        (AttemptStatus::Pending | AttemptStatus::Failed, true) => AttemptResult::Paid,
        (AttemptStatus::Pending, false) => AttemptResult::Failed,
        (AttemptStatus::Failed, false) => AttemptResult::Repeat,
        (AttemptStatus::Paid, true) if same_transaction => AttemptResult::Repeat,
        (AttemptStatus::Paid, true) => AttemptResult::SecondDebit,
        (AttemptStatus::Paid, false) => AttemptResult::Refused,
    }
}

/// SHA-256 hex digest over the fields joined by `|`, with the shared secret last.
pub fn checksum(fields: &[&str], secret: &str) -> String {
    let mut h = Sha256::new();
    for f in fields {
        h.update(f.as_bytes());
        h.update(b"|");
    }
    h.update(secret.as_bytes());
    format!("{:x}", h.finalize())
}

/// `yyyyMMddHHmmss` in Vietnam time.
pub fn platform_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&VIETNAM).format("%Y%m%d%H%M%S").to_string()
}

/// The initiation (or query) message the system sends to the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformRequest {
    #[serde(rename = "LoaiBanTin")]
    pub kind: String,
    #[serde(rename = "MaDoiTac")]
    pub partner: String,
    #[serde(rename = "MaThamChieu")]
    pub reference: String,
    #[serde(rename = "SoTien")]
    pub amount: String,
    #[serde(rename = "MaTienTe")]
    pub currency: String,
    #[serde(rename = "ThoiGianGD")]
    pub time: String,
    #[serde(rename = "ThongTinGiaoDich")]
    pub description: String,
    #[serde(rename = "ThongTinBienLai")]
    pub receipt: String,
    #[serde(rename = "MaXacThuc")]
    pub checksum: String,
}

/// Our account at the payment platform: partner code and shared secret.
#[derive(Debug, Clone, Copy)]
pub struct PlatformAccount<'a> {
    pub partner: &'a str,
    pub secret: &'a str,
}

impl PlatformRequest {
    /// `kind` is `INIT` or `QUERY`.
    pub fn signed(
        kind: &str,
        account: PlatformAccount,
        reference: &str,
        amount_vnd: i64,
        at: DateTime<Utc>,
        description: &str,
        receipt: &str,
    ) -> Self {
        let PlatformAccount { partner, secret } = account;
        let amount = amount_vnd.to_string();
        let time = platform_time(at);
        let checksum = checksum(&[kind, partner, reference, &amount, "VND", &time, description, receipt], secret);
        Self {
            kind: kind.to_owned(),
            partner: partner.to_owned(),
            reference: reference.to_owned(),
            amount,
            currency: "VND".into(),
            time,
            description: description.to_owned(),
            receipt: receipt.to_owned(),
            checksum,
        }
    }
}

/// The platform's result message (a callback, or the answer to a QUERY).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformResult {
    #[serde(rename = "LoaiBanTin")]
    pub kind: String,
    #[serde(rename = "MaLoi")]
    pub error_code: String,
    #[serde(rename = "MaDoiTac")]
    pub partner: String,
    #[serde(rename = "MaThamChieu")]
    pub reference: String,
    #[serde(rename = "SoTien")]
    pub amount: String,
    #[serde(rename = "MaTienTe")]
    pub currency: String,
    #[serde(rename = "MaGiaoDich")]
    pub transaction_id: String,
    #[serde(rename = "MaNganHang")]
    pub bank_code: String,
    #[serde(rename = "ThoiGianGD")]
    pub time: String,
    #[serde(rename = "ThongTinGiaoDich")]
    pub description: String,
    #[serde(rename = "MaXacThuc")]
    pub checksum: String,
}

impl PlatformResult {
    fn fields(&self) -> [&str; 10] {
        [
            &self.kind,
            &self.error_code,
            &self.partner,
            &self.reference,
            &self.amount,
            &self.currency,
            &self.transaction_id,
            &self.bank_code,
            &self.time,
            &self.description,
        ]
    }

    pub fn expected_checksum(&self, secret: &str) -> String {
        checksum(&self.fields(), secret)
    }

    /// The signature holds (compared in constant time).
    pub fn verify(&self, secret: &str) -> bool {
        let expected = self.expected_checksum(secret);
        let given = self.checksum.to_ascii_lowercase();
        expected.len() == given.len() && expected.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }

    /// `MaLoi` `00` means success.
    pub fn succeeded(&self) -> bool {
        self.error_code == "00"
    }

    /// The amount in đồng, when it is a plain whole number.
    pub fn amount_vnd(&self) -> Option<i64> {
        if self.amount.is_empty() || !self.amount.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.amount.parse().ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn result(secret: &str) -> PlatformResult {
        let mut r = PlatformResult {
            kind: "RESULT".into(),
            error_code: "00".into(),
            partner: "DVC".into(),
            reference: "PAY-1".into(),
            amount: "50000".into(),
            currency: "VND".into(),
            transaction_id: "T1".into(),
            bank_code: "VCB".into(),
            time: "20260305090000".into(),
            description: "Lệ phí".into(),
            checksum: String::new(),
        };
        r.checksum = r.expected_checksum(secret);
        r
    }

    #[test]
    fn the_checksum_is_sha256_over_the_fields_joined_by_bars_with_the_secret_last() {
        let expected = format!("{:x}", Sha256::digest(b"a|b|s3cret"));
        assert_eq!(checksum(&["a", "b"], "s3cret"), expected);
    }

    #[test]
    fn a_signed_result_verifies_and_a_tampered_one_does_not() {
        let r = result("k");
        assert!(r.verify("k"));
        assert!(!r.verify("other"));
        let mut tampered = r.clone();
        tampered.amount = "5000".into();
        assert!(!tampered.verify("k"));
    }

    #[test]
    fn amounts_are_plain_whole_numbers() {
        let mut r = result("k");
        assert_eq!(r.amount_vnd(), Some(50000));
        r.amount = "5e4".into();
        assert_eq!(r.amount_vnd(), None);
        r.amount = "-1".into();
        assert_eq!(r.amount_vnd(), None);
    }

    #[test]
    fn platform_time_is_vietnam_time() {
        let t = DateTime::parse_from_rfc3339("2026-03-05T02:00:00Z").unwrap().to_utc();
        assert_eq!(platform_time(t), "20260305090000");
    }

    #[test]
    fn payments_move_only_forward() {
        use PaymentStatus::*;
        assert!(Pending.may_become(Paid));
        assert!(Paid.may_become(Refunded));
        assert!(!Paid.may_become(Pending));
        assert!(!Refunded.may_become(Paid));
        assert!(!Cancelled.may_become(Paid));
    }

    #[test]
    fn a_success_after_a_failure_is_taken_and_a_failure_after_a_success_is_not() {
        use AttemptStatus::*;
        assert_eq!(attempt_result(Pending, true, false), AttemptResult::Paid);
        assert_eq!(attempt_result(Failed, true, false), AttemptResult::Paid);
        assert_eq!(attempt_result(Pending, false, false), AttemptResult::Failed);
        assert_eq!(attempt_result(Failed, false, false), AttemptResult::Repeat);
        assert_eq!(attempt_result(Paid, true, true), AttemptResult::Repeat);
        assert_eq!(attempt_result(Paid, true, false), AttemptResult::SecondDebit);
        assert_eq!(attempt_result(Paid, false, false), AttemptResult::Refused);
    }

    #[test]
    fn cash_is_not_cashless() {
        assert!(PaymentMethod::Online.is_cashless());
        assert!(PaymentMethod::Transfer.is_cashless());
        assert!(!PaymentMethod::Cash.is_cashless());
    }
}
