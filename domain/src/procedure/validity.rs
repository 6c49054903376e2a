//! Version validity `[effective_from, effective_to)` and the rules of
//! publishing and retiring.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ErrorCode;

/// A half-open validity period; an open end means "until retired".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validity {
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

impl Validity {
    pub fn new(from: NaiveDate, to: Option<NaiveDate>) -> Result<Self, DomainError> {
        match to {
            Some(to) if to <= from => Err(DomainError::invalid(
                ErrorCode::EmptyValidity,
                format!("effective_to ({to}) must be after effective_from ({from})"),
            )
            .at("effective_to")),
            _ => Ok(Self { from, to }),
        }
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && self.to.is_none_or(|to| date < to)
    }

    pub fn overlaps(&self, other: &Validity) -> bool {
        let starts_before_other_ends = other.to.is_none_or(|to| self.from < to);
        let other_starts_before_self_ends = self.to.is_none_or(|to| other.from < to);
        starts_before_other_ends && other_starts_before_self_ends
    }

    /// Publishing `self` beside the already published validities: they must
    /// not overlap (docs/RULES.md §3).
    pub fn check_publishable(&self, published: &[(i32, Validity)]) -> Result<(), DomainError> {
        match published.iter().find(|(_, v)| v.overlaps(self)) {
            Some((version, v)) => Err(DomainError::conflict(
                ErrorCode::ValidityOverlap,
                format!(
                    "version {version} is in force from {} to {}, which overlaps; retire it first",
                    v.from,
                    v.to.map_or("(open)".to_owned(), |t| t.to_string())
                ),
            )),
            None => Ok(()),
        }
    }

    /// Retiring sets (or brings forward) `effective_to`; it never extends a
    /// validity nor empties it.
    pub fn retire(&self, to: NaiveDate) -> Result<Validity, DomainError> {
        if to <= self.from {
            return Err(DomainError::invalid(
                ErrorCode::EmptyValidity,
                format!("a version in force from {} can be retired from the day after at the earliest", self.from),
            )
            .at("effective_to"));
        }
        if let Some(current) = self.to {
            if to > current {
                return Err(DomainError::conflict(
                    ErrorCode::ValidityExtension,
                    format!("this version is already retired from {current}; a retirement cannot be postponed"),
                ));
            }
        }
        Ok(Validity { from: self.from, to: Some(to) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn v(from: &str, to: Option<&str>) -> Validity {
        Validity::new(d(from), to.map(d)).expect("valid")
    }

    #[test]
    fn half_open_ends_do_not_overlap() {
        assert!(!v("2025-01-01", Some("2025-07-01")).overlaps(&v("2025-07-01", None)));
        assert!(v("2025-01-01", Some("2025-07-02")).overlaps(&v("2025-07-01", None)));
    }

    #[test]
    fn open_validities_overlap_everything_after_them() {
        assert!(v("2025-01-01", None).overlaps(&v("2030-01-01", Some("2030-02-01"))));
        assert!(!v("2025-01-01", None).overlaps(&v("2024-01-01", Some("2025-01-01"))));
    }

    #[test]
    fn publishing_over_an_open_version_is_a_conflict() {
        let err = v("2026-01-01", None).check_publishable(&[(1, v("2025-01-01", None))]).expect_err("overlap");
        assert_eq!(err.code, "validity_overlap");
    }

    #[test]
    fn contains_is_half_open() {
        let x = v("2025-01-01", Some("2025-02-01"));
        assert!(x.contains(d("2025-01-01")));
        assert!(x.contains(d("2025-01-31")));
        assert!(!x.contains(d("2025-02-01")));
        assert!(!x.contains(d("2024-12-31")));
    }

    #[test]
    fn retire_never_extends_nor_empties() {
        let x = v("2025-01-01", Some("2025-06-01"));
        assert_eq!(x.retire(d("2025-03-01")).map(|r| r.to), Ok(Some(d("2025-03-01"))));
        assert_eq!(x.retire(d("2025-07-01")).map_err(|e| e.code.as_str()), Err("validity_extension"));
        assert_eq!(x.retire(d("2025-01-01")).map_err(|e| e.code.as_str()), Err("empty_validity"));
    }

    #[test]
    fn an_empty_validity_is_refused() {
        assert!(Validity::new(d("2025-01-02"), Some(d("2025-01-02"))).is_err());
    }
}
