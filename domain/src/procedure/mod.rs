//! The procedure catalogue (danh mục TTHC): docs/RULES.md §3.

mod code;
mod content;
mod validity;

pub use code::ProcedureCode;
pub use content::{
    AdministrativeLevel, Component, Fee, FeeCollection, ProcedureContent, ProcessingTime, Sector, ServiceLevel,
    SubmissionChannel, MAX_FEE_VND, MAX_PROCESSING_AMOUNT,
};
pub use validity::Validity;

use serde::{Deserialize, Serialize};

use crate::agency::AgencyCode;
use crate::error::DomainError;
use crate::text;
use crate::ErrorCode;

/// A version is a draft until published; a published version is immutable
/// but for its retirement date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    Draft,
    Published,
}

impl VersionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Draft, Self::Published].into_iter().find(|v| v.as_str() == s)
    }
}

/// One version of a procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureVersion {
    pub code: ProcedureCode,
    /// The agency that publishes the procedure and keeps it.
    pub agency: AgencyCode,
    pub version: i32,
    pub status: VersionStatus,
    pub validity: Option<Validity>,
    pub content: ProcedureContent,
}

impl ProcedureVersion {
    /// Refuses any change to a version that is no longer a draft.
    pub fn ensure_draft(&self) -> Result<(), DomainError> {
        match self.status {
            VersionStatus::Draft => Ok(()),
            VersionStatus::Published => Err(DomainError::conflict(
                ErrorCode::VersionImmutable,
                format!(
                    "version {} of {} is published and cannot change; draft a new version",
                    self.version, self.code
                ),
            )),
        }
    }

    /// The text a catalogue search matches against: code, name and sector,
    /// folded (no diacritics, lower case).
    pub fn search_text(&self) -> String {
        text::fold(&format!(
            "{} {} {} {}",
            self.code, self.content.name, self.content.sector.code, self.content.sector.name
        ))
    }
}
