//! What a procedure version says (docs/RULES.md §3): everything that a version fixes
//! and a dossier is pinned to.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::agency::AgencyCode;
use crate::error::DomainError;
use crate::time_limit::TimeUnit;
use crate::ErrorCode;

/// The administrative level a procedure is settled at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdministrativeLevel {
    Province,
    District,
    Commune,
}

impl AdministrativeLevel {
    pub const ALL: [Self; 3] = [Self::Province, Self::District, Self::Commune];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::District => "district",
            Self::Commune => "commune",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// The online service level under Decree 42/2022 (with the old 2/3/4 numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceLevel {
    /// Thông tin trực tuyến (old level 2).
    Information,
    /// Dịch vụ công trực tuyến một phần (old level 3).
    Partial,
    /// Dịch vụ công trực tuyến toàn trình (old level 4).
    Full,
}

impl ServiceLevel {
    pub const ALL: [Self; 3] = [Self::Information, Self::Partial, Self::Full];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Information => "information",
            Self::Partial => "partial",
            Self::Full => "full",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
    /// The numbering used before Decree 42/2022.
    pub fn legacy_level(self) -> u8 {
        match self {
            Self::Information => 2,
            Self::Partial => 3,
            Self::Full => 4,
        }
    }
}

/// A channel through which a procedure's dossiers may be submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionChannel {
    InPerson,
    Online,
    Postal,
}

/// When a fee is collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeCollection {
    OnReceipt,
    OnResult,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessingTime {
    pub amount: u32,
    pub unit: TimeUnit,
    /// A shorter time for online submission, in the same unit.
    pub online_amount: Option<u32>,
    /// Settled within the day: received before the cut-off, due at closing.
    pub same_day: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sector {
    pub code: String,
    pub name: String,
}

/// A fee or charge (phí, lệ phí), in whole đồng.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    pub code: String,
    pub description: String,
    pub amount_vnd: i64,
    pub collected: FeeCollection,
}

/// A dossier component required in one case (thành phần hồ sơ theo trường hợp).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub case: String,
    pub code: String,
    pub name: String,
    pub form_template: Option<String>,
    pub originals: u32,
    pub copies: u32,
}

/// The versioned content of a procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcedureContent {
    pub name: String,
    pub sector: Sector,
    pub implementing_agencies: Vec<AgencyCode>,
    pub level: AdministrativeLevel,
    pub service_level: ServiceLevel,
    pub processing_time: ProcessingTime,
    pub fees: Vec<Fee>,
    pub components: Vec<Component>,
    pub results: Vec<String>,
    pub legal_bases: Vec<String>,
    pub channels: Vec<SubmissionChannel>,
}

/// Longest processing time a procedure may state, in any unit.
pub const MAX_PROCESSING_AMOUNT: u32 = 3650;
/// Largest single fee, in đồng (one hundred billion).
pub const MAX_FEE_VND: i64 = 100_000_000_000;

impl ProcedureContent {
    /// Checks every rule a procedure version must satisfy; returns every
    /// breach with its field path, not just the first.
    pub fn validate(&self) -> Result<(), Vec<DomainError>> {
        let mut errors = Vec::new();
        let mut need = |ok: bool, field: String, code: ErrorCode, message: &str| {
            if !ok {
                errors.push(DomainError::invalid(code, message).at(field));
            }
        };
        need(!self.name.trim().is_empty(), "name".into(), ErrorCode::Required, "the procedure needs a name");
        need(!self.sector.code.trim().is_empty(), "sector.code".into(), ErrorCode::Required, "the sector needs a code");
        need(!self.sector.name.trim().is_empty(), "sector.name".into(), ErrorCode::Required, "the sector needs a name");
        need(
            !self.implementing_agencies.is_empty(),
            "implementing_agencies".into(),
            ErrorCode::Required,
            "at least one implementing agency is needed",
        );
        need(
            unique(self.implementing_agencies.iter()),
            "implementing_agencies".into(),
            ErrorCode::Duplicate,
            "an implementing agency is listed twice",
        );
        let time = &self.processing_time;
        need(
            time.same_day || (1..=MAX_PROCESSING_AMOUNT).contains(&time.amount),
            "processing_time.amount".into(),
            ErrorCode::OutOfRange,
            "the processing time is between 1 and 3650 units (or same_day)",
        );
        if let Some(online) = time.online_amount {
            need(
                (1..=time.amount.max(1)).contains(&online),
                "processing_time.online_amount".into(),
                ErrorCode::OutOfRange,
                "the online processing time is at least 1 and at most the processing time",
            );
        }
        let mut fee_codes = HashSet::new();
        for (i, fee) in self.fees.iter().enumerate() {
            need(!fee.code.trim().is_empty(), format!("fees[{i}].code"), ErrorCode::Required, "a fee needs a code");
            need(
                fee_codes.insert(fee.code.as_str()),
                format!("fees[{i}].code"),
                ErrorCode::Duplicate,
                "fee codes are unique",
            );
            need(
                (0..=MAX_FEE_VND).contains(&fee.amount_vnd),
                format!("fees[{i}].amount_vnd"),
                ErrorCode::OutOfRange,
                "a fee is a whole number of đồng from 0 to 100,000,000,000",
            );
        }
        let mut component_keys = HashSet::new();
        for (i, c) in self.components.iter().enumerate() {
            need(
                !c.code.trim().is_empty(),
                format!("components[{i}].code"),
                ErrorCode::Required,
                "a component needs a code",
            );
            need(
                !c.name.trim().is_empty(),
                format!("components[{i}].name"),
                ErrorCode::Required,
                "a component needs a name",
            );
            need(
                component_keys.insert((c.case.as_str(), c.code.as_str())),
                format!("components[{i}].code"),
                ErrorCode::Duplicate,
                "component codes are unique within a case",
            );
            need(
                c.originals <= 100 && c.copies <= 100,
                format!("components[{i}]"),
                ErrorCode::OutOfRange,
                "at most 100 originals and 100 copies",
            );
        }
        need(
            !self.channels.is_empty(),
            "channels".into(),
            ErrorCode::Required,
            "at least one submission channel is needed",
        );
        need(unique(self.channels.iter()), "channels".into(), ErrorCode::Duplicate, "a channel is listed twice");
        need(
            self.service_level == ServiceLevel::Information || self.channels.contains(&SubmissionChannel::Online),
            "channels".into(),
            ErrorCode::OnlineChannelRequired,
            "a partial or full online service must accept online submission",
        );
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn unique<T: Eq + std::hash::Hash>(items: impl Iterator<Item = T>) -> bool {
    let mut seen = HashSet::new();
    items.into_iter().all(|i| seen.insert(i))
}
