//! What a dossier owes (docs/RULES.md §5): the fee lines of its pinned procedure
//! version that no payment covers yet, less any exemption or reduction
//! recorded with its legal reason.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::procedure::{Fee, FeeCollection, MAX_FEE_VND};
use crate::ErrorCode;

/// Exempt from the fees, or a reduction of them (miễn, giảm phí, lệ phí).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReliefKind {
    Exempt,
    Reduced,
}

impl ReliefKind {
    pub const ALL: [Self; 2] = [Self::Exempt, Self::Reduced];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exempt => "exempt",
            Self::Reduced => "reduced",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An exemption or reduction, checked against the fees it relieves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeRelief {
    pub kind: ReliefKind,
    /// The reduction in đồng; for an exemption, the whole fees.
    pub amount_vnd: i64,
    /// The legal reason (the article and document that grants it).
    pub legal_basis: String,
}

impl FeeRelief {
    /// An exemption takes off all `fees_vnd`; a reduction needs an amount
    /// from 1 đồng up to less than the fees (all of them is an exemption).
    /// The checks of [`FeeRelief::new`] that need not the fees: the legal
    /// reason, and an amount given for a reduction only, in range.
    pub fn check(kind: ReliefKind, amount_vnd: Option<i64>, legal_basis: &str) -> Result<(), DomainError> {
        // Fees above any amount a reduction may state: never exceeded.
        Self::new(kind, amount_vnd, legal_basis, MAX_FEE_VND + 1).map(drop)
    }

    pub fn new(
        kind: ReliefKind,
        amount_vnd: Option<i64>,
        legal_basis: &str,
        fees_vnd: i64,
    ) -> Result<Self, DomainError> {
        let legal_basis = legal_basis.trim();
        if legal_basis.is_empty() {
            return Err(DomainError::invalid(ErrorCode::Required, "the legal reason is required").at("legal_basis"));
        }
        if legal_basis.chars().count() > 2000 {
            return Err(DomainError::invalid(ErrorCode::Length, "the legal reason is at most 2000 characters")
                .at("legal_basis"));
        }
        let amount_vnd = match (kind, amount_vnd) {
            (ReliefKind::Exempt, None) => fees_vnd,
            (ReliefKind::Exempt, Some(_)) => {
                return Err(DomainError::invalid(
                    ErrorCode::NotAllowed,
                    "an exemption takes no amount: it is the whole fees",
                )
                .at("amount_vnd"))
            }
            (ReliefKind::Reduced, None) => {
                return Err(DomainError::invalid(ErrorCode::Required, "a reduction states its amount").at("amount_vnd"))
            }
            (ReliefKind::Reduced, Some(a)) if a <= 0 || a > MAX_FEE_VND => {
                return Err(DomainError::invalid(
                    ErrorCode::OutOfRange,
                    "a whole number of đồng from 1 to 100,000,000,000",
                )
                .at("amount_vnd"))
            }
            (ReliefKind::Reduced, Some(a)) if a >= fees_vnd => {
                return Err(DomainError::invalid(
                    ErrorCode::ExceedsFees,
                    format!("the fees are {fees_vnd} VND: a reduction is less (all of them is an exemption)"),
                )
                .at("amount_vnd"))
            }
            (ReliefKind::Reduced, Some(a)) => a,
        };
        Ok(Self { kind, amount_vnd, legal_basis: legal_basis.to_owned() })
    }

    /// The history note: what was relieved and why.
    pub fn note(&self) -> String {
        match self.kind {
            ReliefKind::Exempt => format!("exempt from fees: {}", self.legal_basis),
            ReliefKind::Reduced => format!("fees reduced by {} VND: {}", self.amount_vnd, self.legal_basis),
        }
    }
}

/// One fee line of the procedure version that a payment covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeLine {
    pub code: String,
    pub description: String,
    pub amount_vnd: i64,
    pub collected: FeeCollection,
}

impl From<&Fee> for FeeLine {
    fn from(f: &Fee) -> Self {
        Self {
            code: f.code.clone(),
            description: f.description.clone(),
            amount_vnd: f.amount_vnd,
            collected: f.collected,
        }
    }
}

/// What a dossier owes now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obligation {
    /// The fee lines owed (none covered by a pending or paid payment yet).
    pub lines: Vec<FeeLine>,
    /// Their sum.
    pub gross_vnd: i64,
    /// The part of the relief taken off them.
    pub relief_vnd: i64,
    /// What is to pay: `gross_vnd − relief_vnd`.
    pub amount_vnd: i64,
}

/// What a dossier under these fees owes: the lines not in `covered` (of
/// the stage `collected`, when given), less what remains of the relief
/// after `relief_used` went to earlier payments.
pub fn owed(
    fees: &[Fee],
    collected: Option<FeeCollection>,
    covered: &[String],
    relief: Option<&FeeRelief>,
    relief_used: i64,
) -> Obligation {
    let lines: Vec<FeeLine> = fees
        .iter()
        .filter(|f| collected.is_none_or(|c| f.collected == c))
        .filter(|f| !covered.contains(&f.code))
        .map(FeeLine::from)
        .collect();
    let gross_vnd: i64 = lines.iter().map(|l| l.amount_vnd).sum();
    let relief_vnd = match relief {
        None => 0,
        Some(r) if r.kind == ReliefKind::Exempt => gross_vnd,
        Some(r) => (r.amount_vnd - relief_used).clamp(0, gross_vnd),
    };
    Obligation { lines, gross_vnd, relief_vnd, amount_vnd: gross_vnd - relief_vnd }
}

/// The sum of a version's fees.
pub fn total(fees: &[Fee]) -> i64 {
    fees.iter().map(|f| f.amount_vnd).sum()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fee(code: &str, amount_vnd: i64, collected: FeeCollection) -> Fee {
        Fee { code: code.into(), description: format!("fee {code}"), amount_vnd, collected }
    }

    fn fees() -> Vec<Fee> {
        vec![fee("LP", 50_000, FeeCollection::OnReceipt), fee("PHI", 30_000, FeeCollection::OnResult)]
    }

    #[test]
    fn a_dossier_owes_every_line_no_payment_covers() {
        let o = owed(&fees(), None, &[], None, 0);
        assert_eq!(o.lines.iter().map(|l| l.code.as_str()).collect::<Vec<_>>(), vec!["LP", "PHI"]);
        assert_eq!((o.gross_vnd, o.relief_vnd, o.amount_vnd), (80_000, 0, 80_000));
        let rest = owed(&fees(), None, &["LP".to_owned()], None, 0);
        assert_eq!(rest.amount_vnd, 30_000);
        assert_eq!(rest.lines.len(), 1);
    }

    #[test]
    fn the_stage_picks_the_lines_collected_then() {
        let o = owed(&fees(), Some(FeeCollection::OnResult), &[], None, 0);
        assert_eq!(o.lines.iter().map(|l| l.code.as_str()).collect::<Vec<_>>(), vec!["PHI"]);
        assert_eq!(o.amount_vnd, 30_000);
    }

    #[test]
    fn an_exemption_owes_nothing() {
        let r = FeeRelief::new(ReliefKind::Exempt, None, "Điều 5 Thông tư 85/2019", 80_000).unwrap();
        let o = owed(&fees(), None, &[], Some(&r), 0);
        assert_eq!((o.gross_vnd, o.relief_vnd, o.amount_vnd), (80_000, 80_000, 0));
    }

    #[test]
    fn a_reduction_is_taken_once_across_payments() {
        let r = FeeRelief::new(ReliefKind::Reduced, Some(40_000), "NQ 12/2025", 80_000).unwrap();
        let first = owed(&fees(), Some(FeeCollection::OnReceipt), &[], Some(&r), 0);
        assert_eq!((first.relief_vnd, first.amount_vnd), (40_000, 10_000));
        let second = owed(&fees(), None, &["LP".to_owned()], Some(&r), 40_000);
        assert_eq!((second.relief_vnd, second.amount_vnd), (0, 30_000));
        let r = FeeRelief::new(ReliefKind::Reduced, Some(60_000), "NQ 12/2025", 80_000).unwrap();
        let first = owed(&fees(), Some(FeeCollection::OnReceipt), &[], Some(&r), 0);
        let second = owed(&fees(), None, &["LP".to_owned()], Some(&r), first.relief_vnd);
        assert_eq!((first.amount_vnd, second.relief_vnd, second.amount_vnd), (0, 10_000, 20_000));
    }

    #[test]
    fn a_relief_needs_its_legal_reason_and_a_sensible_amount() {
        assert_eq!(FeeRelief::new(ReliefKind::Exempt, None, "  ", 80_000).unwrap_err().code, "required");
        assert_eq!(FeeRelief::new(ReliefKind::Reduced, None, "x", 80_000).unwrap_err().code, "required");
        assert_eq!(FeeRelief::new(ReliefKind::Reduced, Some(0), "x", 80_000).unwrap_err().code, "out_of_range");
        assert_eq!(FeeRelief::new(ReliefKind::Reduced, Some(80_000), "x", 80_000).unwrap_err().code, "exceeds_fees");
        assert_eq!(FeeRelief::new(ReliefKind::Exempt, Some(1), "x", 80_000).unwrap_err().code, "not_allowed");
        let r = FeeRelief::new(ReliefKind::Exempt, None, " Điều 5 ", 80_000).unwrap();
        assert_eq!((r.amount_vnd, r.legal_basis.as_str()), (80_000, "Điều 5"));
    }
}
