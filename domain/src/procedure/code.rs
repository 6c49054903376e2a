//! The national procedure code (`1.000656`) and its local form
//! (`1.000656.000.00.00.H56`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::agency::AgencyCode;
use crate::error::DomainError;
use crate::ErrorCode;

/// A national procedure code: one digit, a dot, six digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProcedureCode(String);

impl ProcedureCode {
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let b = input.as_bytes();
        if b.len() == 8 && b[0].is_ascii_digit() && b[1] == b'.' && b[2..].iter().all(u8::is_ascii_digit) {
            Ok(Self(input.to_owned()))
        } else {
            Err(DomainError::invalid(
                ErrorCode::InvalidProcedureCode,
                format!("a procedure code is one digit, a dot and six digits (e.g. 1.000656); got {input:?}"),
            ))
        }
    }

    /// Accepts the national code or its local form with an agency code appended.
    pub fn parse_any(input: &str) -> Result<Self, DomainError> {
        match input.split_at_checked(8) {
            Some((national, rest)) if rest.starts_with('.') => {
                AgencyCode::parse(&rest[1..])?;
                Self::parse(national)
            }
            _ => Self::parse(input),
        }
    }

    pub fn local(&self, agency: &AgencyCode) -> String {
        format!("{}.{}", self.0, agency)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProcedureCode {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ProcedureCode> for String {
    fn from(code: ProcedureCode) -> Self {
        code.0
    }
}

impl fmt::Display for ProcedureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_national_and_local_forms() {
        assert_eq!(ProcedureCode::parse("1.000656").map(|c| c.to_string()), Ok("1.000656".into()));
        let local = ProcedureCode::parse_any("1.000656.000.00.00.H56");
        assert_eq!(local.map(|c| c.to_string()), Ok("1.000656".into()));
    }

    #[test]
    fn local_form_appends_the_agency() {
        let code = ProcedureCode::parse("2.002622").expect("valid");
        let agency = AgencyCode::parse("000.00.00.H56").expect("valid");
        assert_eq!(code.local(&agency), "2.002622.000.00.00.H56");
    }

    #[test]
    fn refuses_malformed_codes() {
        for bad in ["", "1.00065", "1.0006566", "1-000656", "a.000656", "1.000656.000.00.00.h56", "1.000656."] {
            assert!(ProcedureCode::parse_any(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
