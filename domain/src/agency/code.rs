//! The agency identifier (mã định danh) `ddd.dd.dd.Ldd`, e.g. `000.17.22.H56`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ErrorCode;

/// An agency code that can only be built valid: three digits, two, two, then
/// an upper-case letter and two digits, separated by dots.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgencyCode(String);

impl AgencyCode {
    pub const SHAPE: &'static str = "ddd.dd.dd.Ldd";

    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let b = input.as_bytes();
        let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
        let dot = |i: usize| b.get(i) == Some(&b'.');
        let valid = b.len() == 13
            && (0..3).all(digit)
            && dot(3)
            && (4..6).all(digit)
            && dot(6)
            && (7..9).all(digit)
            && dot(9)
            && b[10].is_ascii_uppercase()
            && (11..13).all(digit);
        if valid {
            Ok(Self(input.to_owned()))
        } else {
            Err(DomainError::invalid(
                ErrorCode::InvalidAgencyCode,
                format!("an agency code has the shape {} (e.g. 000.17.22.H56); got {input:?}", Self::SHAPE),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AgencyCode {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<AgencyCode> for String {
    fn from(code: AgencyCode) -> Self {
        code.0
    }
}

impl fmt::Display for AgencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_provinces_shape() {
        assert_eq!(AgencyCode::parse("000.17.22.H56").map(|c| c.to_string()), Ok("000.17.22.H56".to_owned()));
    }

    #[test]
    fn refuses_every_near_miss() {
        for bad in [
            "",
            "000.17.22.h56",
            "000.17.22.H5",
            "000.17.22.H567",
            "00.017.22.H56",
            "000-17-22-H56",
            "000.17.2A.H56",
            " 000.17.22.H56",
            "000.17.22.156",
            "０００.17.22.H56",
        ] {
            assert!(AgencyCode::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
