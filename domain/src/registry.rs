//! The national databases dvc reads (docs/RULES.md §11): the population
//! database (an applicant's identity and permanent address), the business
//! registration database (an enterprise's name, legal representative and
//! status) and the citizen's digital data store (documents and results the
//! state already issued, reusable as dossier components).
//!
//! Each is a trait: what is asked, what comes back, what can fail. The HTTP
//! adapters live in `api`; here are the questions, the answers, how an
//! applicant is judged against an answer, and the audit log's chain.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::dossier::chain;
use crate::dossier::{PersonalId, TaxCode};

/// Which national database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registry {
    /// Cơ sở dữ liệu quốc gia về dân cư.
    Population,
    /// Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp.
    Business,
    /// Kho quản lý dữ liệu điện tử của tổ chức, cá nhân.
    DataStore,
}

impl Registry {
    pub const ALL: [Registry; 3] = [Self::Population, Self::Business, Self::DataStore];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Population => "population",
            Self::Business => "business",
            Self::DataStore => "data_store",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// As a sentence names it: "the {registry} database".
impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Population => "population",
            Self::Business => "business registration",
            Self::DataStore => "digital data store",
        })
    }
}

/// Why a look-up gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The database answered that it holds no such record: a definite answer.
    #[error("the database holds no such record")]
    NotFound,
    /// No answer in time, a connection refused, a 5xx: worth trying later.
    #[error("the database did not answer: {0}")]
    Unavailable(String),
    /// An answer that is not what the contract says: worth trying later too,
    /// but a sign that the two ends disagree.
    #[error("the database answered something that is not a record: {0}")]
    Malformed(String),
    /// Too many failures in a row: the database is not asked for a while.
    #[error("the database failed repeatedly and is not asked until its pause ends")]
    CircuitOpen,
    /// The connector is not configured.
    #[error("no connection to this database is configured")]
    NotConfigured,
}

impl LookupError {
    /// True when asking again later may give an answer.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Malformed(_) | Self::CircuitOpen)
    }

    /// The outcome written to the audit log.
    pub fn outcome(&self) -> Outcome {
        match self {
            Self::NotFound => Outcome::NotFound,
            Self::Unavailable(_) | Self::CircuitOpen | Self::NotConfigured => Outcome::Unavailable,
            Self::Malformed(_) => Outcome::Malformed,
        }
    }
}

/// A citizen as the population database knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citizen {
    pub id_number: String,
    pub full_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub permanent_address: Option<String>,
}

/// An enterprise's standing in the business registration database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnterpriseStatus {
    Active,
    Suspended,
    Dissolved,
}

impl EnterpriseStatus {
    pub const ALL: [EnterpriseStatus; 3] = [Self::Active, Self::Suspended, Self::Dissolved];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Dissolved => "dissolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// An enterprise as the business registration database knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enterprise {
    pub code: String,
    pub name: String,
    pub legal_representative: String,
    pub status: EnterpriseStatus,
}

/// A document or result held in the citizen's digital data store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub code: String,
    /// The identifier of the person or business who owns it.
    pub owner_id: String,
    pub name: String,
    pub media_type: String,
    pub content: Vec<u8>,
    pub issued_by: Option<String>,
}

/// The population database (CSDLQG về dân cư).
pub trait PopulationRegistry: Send + Sync {
    /// The citizen with this personal identification number.
    fn citizen(&self, id: &PersonalId) -> Result<Citizen, LookupError>;
}

/// The business registration database (CSDLQG về đăng ký doanh nghiệp).
pub trait BusinessRegistry: Send + Sync {
    /// The enterprise with this tax or enterprise code.
    fn enterprise(&self, code: &TaxCode) -> Result<Enterprise, LookupError>;
}

/// The citizen's digital data store (kho quản lý dữ liệu điện tử).
pub trait DataStore: Send + Sync {
    /// The document with this code, owned by `owner_id`.
    fn document(&self, code: &str, owner_id: &str) -> Result<StoredDocument, LookupError>;
}

/// One thing the applicant said that the database says otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// The applicant's field: `name`, `date_of_birth` or `status`.
    pub field: String,
    pub message: String,
}

/// How an applicant compares with what the database holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Verified,
    Mismatch(Vec<Difference>),
}

impl Difference {
    /// The same difference without what the database holds: what is stored
    /// on a dossier, which its applicant reads (docs/RULES.md §11).
    pub fn neutral(&self, registry: Registry) -> Difference {
        Difference {
            field: self.field.clone(),
            message: format!("the {} does not match the {registry} database's record", self.field.replace('_', " ")),
        }
    }
}

/// Names compared as a person writes them: Unicode-normalised, case and runs
/// of white space ignored, diacritics kept (they are part of a legal name).
pub fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.nfc().flat_map(char::to_lowercase).collect::<String>();
    let words = |s: &str| norm(s).split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    words(a) == words(b)
}

fn name_difference(given: &str, held: &str, whose: &str) -> Option<Difference> {
    if same_name(given, held) {
        return None;
    }
    let hint = if crate::text::fold(given) == crate::text::fold(held) {
        " (they differ only in diacritics: write the name as on the identity card)"
    } else {
        ""
    };
    Some(Difference {
        field: "name".into(),
        message: format!("the {whose} gives the name {held:?}, not {given:?}{hint}"),
    })
}

/// Judges a citizen applicant (name, and the date of birth when given)
/// against the population database's record.
pub fn judge_citizen(name: &str, date_of_birth: Option<NaiveDate>, held: &Citizen) -> Verdict {
    let mut differences: Vec<Difference> =
        name_difference(name, &held.full_name, "population database").into_iter().collect();
    if let (Some(given), Some(known)) = (date_of_birth, held.date_of_birth) {
        if given != known {
            differences.push(Difference {
                field: "date_of_birth".into(),
                message: format!("the population database gives another date of birth than {given}"),
            });
        }
    }
    verdict(differences)
}

/// Judges a business applicant against the business registration database:
/// the name must match and the enterprise must be active.
pub fn judge_enterprise(name: &str, held: &Enterprise) -> Verdict {
    let mut differences: Vec<Difference> =
        name_difference(name, &held.name, "business registration database").into_iter().collect();
    if held.status != EnterpriseStatus::Active {
        differences.push(Difference {
            field: "status".into(),
            message: format!("the enterprise is {} in the business registration database", held.status.as_str()),
        });
    }
    verdict(differences)
}

fn verdict(differences: Vec<Difference>) -> Verdict {
    if differences.is_empty() {
        Verdict::Verified
    } else {
        Verdict::Mismatch(differences)
    }
}

/// An identifier as logs may print it: all but the last three characters
/// masked (`*********789`), so that a log line never carries a whole ID.
pub fn mask(id: &str) -> String {
    let n = id.chars().count();
    let keep = n.min(3);
    let mut out: String = "*".repeat(n - keep);
    out.extend(id.chars().skip(n - keep));
    out
}

/// Where an applicant's check stands (docs/RULES.md §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    /// The database confirmed the applicant.
    Verified,
    /// The database disagreed, and staff accepted the dossier with a reason.
    Overridden,
    /// The database did not answer at submission: asked again in the background.
    Pending,
    /// A later answer disagreed with the applicant: staff must look.
    Mismatch,
    /// The database holds no such person or enterprise.
    NotFound,
}

impl CheckState {
    pub const ALL: [CheckState; 5] = [Self::Verified, Self::Overridden, Self::Pending, Self::Mismatch, Self::NotFound];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Overridden => "overridden",
            Self::Pending => "pending",
            Self::Mismatch => "mismatch",
            Self::NotFound => "not_found",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What a look-up gave, as the audit log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Found,
    Verified,
    Mismatch,
    NotFound,
    Unavailable,
    Malformed,
}

impl Outcome {
    pub const ALL: [Outcome; 6] =
        [Self::Found, Self::Verified, Self::Mismatch, Self::NotFound, Self::Unavailable, Self::Malformed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Found => "found",
            Self::Verified => "verified",
            Self::Mismatch => "mismatch",
            Self::NotFound => "not_found",
            Self::Unavailable => "unavailable",
            Self::Malformed => "malformed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// One row of the look-up audit log, as it is hashed: who asked which
/// database about whom, when, for which dossier and why, and what came back.
#[derive(Debug, Clone, Copy)]
pub struct AuditLink<'a> {
    pub seq: i64,
    /// The instant, as stored (UTC, microseconds).
    pub at: &'a str,
    pub actor_id: &'a str,
    pub actor_role: &'a str,
    pub actor_agency: Option<&'a str>,
    pub registry: &'a str,
    pub subject: &'a str,
    pub dossier_code: Option<&'a str>,
    pub purpose: &'a str,
    pub outcome: &'a str,
}

impl AuditLink<'_> {
    /// The row's hash, chained to `previous` (None for the first row).
    pub fn hash(&self, previous: Option<&str>) -> String {
        let seq = self.seq.to_string();
        chain::digest([
            previous,
            Some(seq.as_str()),
            Some(self.at),
            Some(self.actor_id),
            Some(self.actor_role),
            self.actor_agency,
            Some(self.registry),
            Some(self.subject),
            self.dossier_code,
            Some(self.purpose),
            Some(self.outcome),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn citizen(name: &str, dob: Option<(i32, u32, u32)>) -> Citizen {
        Citizen {
            id_number: "079203001234".into(),
            full_name: name.into(),
            date_of_birth: dob.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
            permanent_address: None,
        }
    }

    #[test]
    fn names_match_across_case_spacing_and_unicode_forms() {
        assert!(same_name("nguyễn  văn AN", "Nguyễn Văn An"));
        // Decomposed (NFD) and composed (NFC) spellings are the same name.
        let decomposed: String = "Nguyễn Văn An".nfd().collect();
        assert!(same_name(&decomposed, "Nguyễn Văn An"));
        assert!(!same_name("Nguyen Van An", "Nguyễn Văn An"));
        assert!(!same_name("Nguyễn Văn Anh", "Nguyễn Văn An"));
    }

    #[test]
    fn a_citizen_is_verified_when_name_and_birth_date_agree() {
        let held = citizen("Nguyễn Văn An", Some((1990, 5, 17)));
        assert_eq!(judge_citizen("NGUYỄN VĂN AN", NaiveDate::from_ymd_opt(1990, 5, 17), &held), Verdict::Verified);
        // No date given: the name alone decides.
        assert_eq!(judge_citizen("Nguyễn Văn An", None, &held), Verdict::Verified);
    }

    #[test]
    fn a_citizen_mismatch_names_every_difference() {
        let held = citizen("Nguyễn Văn An", Some((1990, 5, 17)));
        let Verdict::Mismatch(d) = judge_citizen("Nguyen Van An", NaiveDate::from_ymd_opt(1991, 5, 17), &held) else {
            panic!("expected a mismatch");
        };
        assert_eq!(d.iter().map(|d| d.field.as_str()).collect::<Vec<_>>(), ["name", "date_of_birth"]);
        assert!(d[0].message.contains("diacritics"), "{}", d[0].message);
    }

    #[test]
    fn an_enterprise_must_be_active_and_named_as_registered() {
        let mut held = Enterprise {
            code: "0100109106".into(),
            name: "Công ty TNHH An Phát".into(),
            legal_representative: "Trần Thị Bình".into(),
            status: EnterpriseStatus::Active,
        };
        assert_eq!(judge_enterprise("CÔNG TY TNHH AN PHÁT", &held), Verdict::Verified);
        held.status = EnterpriseStatus::Dissolved;
        let Verdict::Mismatch(d) = judge_enterprise("Công ty TNHH An Phát", &held) else { panic!("mismatch") };
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].field, "status");
    }

    #[test]
    fn masks_all_but_the_last_three_characters() {
        assert_eq!(mask("079203001234"), "*********234");
        assert_eq!(mask("12"), "12");
        assert_eq!(mask(""), "");
    }

    #[test]
    fn only_answers_that_may_change_are_transient() {
        assert!(LookupError::Unavailable("timeout".into()).is_transient());
        assert!(LookupError::Malformed("not json".into()).is_transient());
        assert!(LookupError::CircuitOpen.is_transient());
        assert!(!LookupError::NotFound.is_transient());
        assert!(!LookupError::NotConfigured.is_transient());
    }

    #[test]
    fn an_audit_row_hash_covers_every_field_and_the_previous_hash() {
        let row = AuditLink {
            seq: 1,
            at: "2026-12-02 06:00:00",
            actor_id: "officer",
            actor_role: "officer",
            actor_agency: Some("000.00.05.H56"),
            registry: "population",
            subject: "079203001234",
            dossier_code: None,
            purpose: "pre-fill a desk registration",
            outcome: "found",
        };
        let h = row.hash(None);
        assert_ne!(h, row.hash(Some("00")));
        assert_ne!(h, AuditLink { subject: "079203001235", ..row }.hash(None));
        assert_ne!(h, AuditLink { dossier_code: Some(""), ..row }.hash(None));
        assert_eq!(h, row.hash(None));
    }
}
