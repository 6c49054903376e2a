//! Agencies (cơ quan, đơn vị): SPEC §2.

mod code;

pub use code::AgencyCode;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

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
            .ok_or_else(|| DomainError::invalid("invalid_agency_level", format!("unknown agency level {s:?}")))
    }
}

/// An agency as the catalogue knows it. A merged agency is never deleted: it
/// is inactive and points to its successor, and its dossiers stay readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub code: AgencyCode,
    pub name: String,
    pub level: AgencyLevel,
    pub parent: Option<AgencyCode>,
    pub active: bool,
    pub successor: Option<AgencyCode>,
}

impl Agency {
    /// Marks this agency merged into `successor`: it becomes inactive.
    pub fn merge_into(&mut self, successor: AgencyCode) -> Result<(), DomainError> {
        if successor == self.code {
            return Err(DomainError::invalid("merge_into_self", "an agency cannot be merged into itself"));
        }
        if let Some(existing) = &self.successor {
            return Err(DomainError::conflict(
                "agency_already_merged",
                format!("agency {} was already merged into {existing}", self.code),
            ));
        }
        self.active = false;
        self.successor = Some(successor);
        Ok(())
    }
}
