//! Agencies (cơ quan, đơn vị): docs/RULES.md §2.

mod code;

pub use code::AgencyCode;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ErrorCode;

/// The administrative level of an agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyLevel {
    Province,
    Department,
    District,
    Commune,
}

impl AgencyLevel {
    pub const ALL: [AgencyLevel; 4] = [Self::Province, Self::Department, Self::District, Self::Commune];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::Department => "department",
            Self::District => "district",
            Self::Commune => "commune",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| DomainError::invalid(ErrorCode::InvalidAgencyLevel, format!("unknown agency level {s:?}")))
    }
}

/// An agency as the catalogue knows it. A merged agency is never deleted: it
/// is inactive and points to its successor, and its dossiers stay readable.
///
/// From its merge date a merged agency takes no new dossier; in the
/// hierarchy it stands under its successor (not its former parent), so the
/// successor's staff handle its open dossiers and its figures roll up there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub code: AgencyCode,
    pub name: String,
    pub level: AgencyLevel,
    pub parent: Option<AgencyCode>,
    pub active: bool,
    pub successor: Option<AgencyCode>,
    /// The merge date: from this instant it takes no new dossier.
    pub merged_at: Option<DateTime<Utc>>,
    /// Where the agency is told of its dossiers about to run late
    /// (docs/RULES.md §12); none: it is not told.
    pub notify_email: Option<String>,
}

impl Agency {
    /// Where the agency stands in the hierarchy: under its successor once
    /// merged, else under its parent.
    pub fn effective_parent(&self) -> Option<&AgencyCode> {
        self.successor.as_ref().or(self.parent.as_ref())
    }

    /// Refuses a dossier (or a hand-off) that would reach a merged agency at
    /// `at`, from its merge date on, naming the agency that took over.
    pub fn check_takes_dossiers(&self, at: DateTime<Utc>) -> Result<(), DomainError> {
        match (&self.successor, self.merged_at) {
            (Some(successor), merged) if merged.is_none_or(|m| at >= m) => Err(DomainError::invalid(
                ErrorCode::AgencyMerged,
                format!("agency {} was merged into {successor}", self.code),
            )),
            _ => Ok(()),
        }
    }

    /// Marks this agency merged into `successor` at `at`: it becomes inactive.
    pub fn merge_into(&mut self, successor: AgencyCode, at: DateTime<Utc>) -> Result<(), DomainError> {
        if successor == self.code {
            return Err(DomainError::invalid(ErrorCode::MergeIntoSelf, "an agency cannot be merged into itself"));
        }
        if let Some(existing) = &self.successor {
            return Err(DomainError::conflict(
                ErrorCode::AgencyAlreadyMerged,
                format!("agency {} was already merged into {existing}", self.code),
            ));
        }
        self.active = false;
        self.successor = Some(successor);
        self.merged_at = Some(at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agency(code: &str, parent: Option<&str>) -> Agency {
        Agency {
            code: AgencyCode::parse(code).expect("code"),
            name: "Phòng".into(),
            level: AgencyLevel::District,
            parent: parent.map(|p| AgencyCode::parse(p).expect("parent")),
            active: true,
            successor: None,
            merged_at: None,
            notify_email: None,
        }
    }

    #[test]
    fn a_merged_agency_stands_under_its_successor_and_takes_no_dossier() {
        let mut a = agency("000.21.00.H56", Some("000.00.00.H56"));
        assert_eq!(a.effective_parent().map(AgencyCode::as_str), Some("000.00.00.H56"));
        let at = DateTime::parse_from_rfc3339("2025-07-01T00:00:00+07:00").expect("instant").to_utc();
        assert!(a.check_takes_dossiers(at).is_ok());
        a.merge_into(AgencyCode::parse("000.22.00.H56").expect("code"), at).expect("merged");
        assert!(!a.active);
        assert_eq!(a.merged_at, Some(at));
        assert_eq!(a.effective_parent().map(AgencyCode::as_str), Some("000.22.00.H56"));
        // Before its merge date it still receives.
        assert!(a.check_takes_dossiers(at - chrono::Duration::seconds(1)).is_ok());
        let refused = a.check_takes_dossiers(at).expect_err("refused");
        assert_eq!(refused.code, "agency_merged");
        assert!(refused.message.contains("000.22.00.H56"), "{}", refused.message);
    }

    #[test]
    fn an_agency_is_merged_once_and_never_into_itself() {
        let at = Utc::now();
        let mut a = agency("000.21.00.H56", None);
        let own = a.code.clone();
        assert_eq!(a.merge_into(own, at).expect_err("self").code, "merge_into_self");
        a.merge_into(AgencyCode::parse("000.22.00.H56").expect("code"), at).expect("merged");
        let again = a.merge_into(AgencyCode::parse("000.23.00.H56").expect("code"), at).expect_err("twice");
        assert_eq!(again.code, "agency_already_merged");
    }
}
