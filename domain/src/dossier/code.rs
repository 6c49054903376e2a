//! The dossier code (mã hồ sơ) `<agency code>-<YYMMDD>-<NNNN>`, e.g.
//! `000.17.22.H56-260305-0007` (docs/RULES.md §4.1).

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::agency::AgencyCode;
use crate::error::DomainError;
use crate::ErrorCode;

const CODE: ErrorCode = ErrorCode::InvalidDossierCode;

/// A dossier code that can only be built valid: the receiving agency's code,
/// the reception date in Vietnam time as `YYMMDD` (years 2000–2099), and a
/// four-digit counter per agency per day, 0001–9999.
///
/// The parts are kept beside the text so that reading them back cannot fail.
/// Equality, hashing and order follow the text (the parts are a function of
/// it, and `text` is the first field), so codes sort by agency, then date,
/// then counter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DossierCode {
    text: String,
    agency: AgencyCode,
    date: NaiveDate,
    counter: u32,
}

impl DossierCode {
    pub const SHAPE: &'static str = "ddd.dd.dd.Ldd-YYMMDD-NNNN";
    /// The highest counter a day can reach at one agency.
    pub const MAX_COUNTER: u32 = 9999;
    /// The years a code's two-digit year can name.
    pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2099;

    /// Builds the code of the `counter`-th dossier received by `agency` on
    /// `date` (the reception date in Vietnam time, chosen by the caller).
    pub fn new(agency: &AgencyCode, date: NaiveDate, counter: u32) -> Result<Self, DomainError> {
        if !(1..=Self::MAX_COUNTER).contains(&counter) {
            return Err(DomainError::invalid(
                CODE,
                format!("a dossier counter runs from 1 to {}; got {counter}", Self::MAX_COUNTER),
            ));
        }
        if !Self::YEARS.contains(&date.year()) {
            return Err(DomainError::invalid(
                CODE,
                format!("a dossier code's date must fall in the years 2000–2099; got {date}"),
            ));
        }
        let text = format!("{agency}-{:02}{:02}{:02}-{counter:04}", date.year() % 100, date.month(), date.day());
        Ok(Self { text, agency: agency.clone(), date, counter })
    }

    /// Parses a code strictly: a valid agency code, a real calendar date and a
    /// counter 0001–9999, with nothing before or after.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        Self::parts(input)
            .map(|(agency, date, counter)| Self { text: input.to_owned(), agency, date, counter })
            .ok_or_else(|| {
                DomainError::invalid(
                    CODE,
                    format!(
                        "a dossier code has the shape {} with a real date and a counter from 0001 \
                         (e.g. 000.17.22.H56-260305-0007); got {input:?}",
                        Self::SHAPE
                    ),
                )
            })
    }

    fn parts(input: &str) -> Option<(AgencyCode, NaiveDate, u32)> {
        // `get` rather than indexing: a multi-byte character across a boundary
        // yields `None` instead of a panic.
        let agency = AgencyCode::parse(input.get(0..13)?).ok()?;
        if input.len() != 25 || input.get(13..14)? != "-" || input.get(20..21)? != "-" {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<u32> {
            let digits = input.get(range)?;
            if digits.bytes().all(|b| b.is_ascii_digit()) {
                digits.parse().ok()
            } else {
                None
            }
        };
        let date =
            NaiveDate::from_ymd_opt(2000 + i32::try_from(number(14..16)?).ok()?, number(16..18)?, number(18..20)?)?;
        let counter = number(21..25)?;
        (counter >= 1).then_some((agency, date, counter))
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The receiving agency.
    pub fn agency(&self) -> AgencyCode {
        self.agency.clone()
    }

    /// The reception date, in Vietnam time.
    pub fn date(&self) -> NaiveDate {
        self.date
    }

    /// The dossier's rank among those the agency received that day, from 1.
    pub fn counter(&self) -> u32 {
        self.counter
    }
}

impl TryFrom<String> for DossierCode {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DossierCode> for String {
    fn from(code: DossierCode) -> Self {
        code.text
    }
}

impl fmt::Display for DossierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn agency() -> AgencyCode {
        AgencyCode::parse("000.17.22.H56").unwrap()
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_spec_example_round_trips() {
        let code = DossierCode::parse("000.17.22.H56-260305-0007").unwrap();
        assert_eq!(code.to_string(), "000.17.22.H56-260305-0007");
        assert_eq!(code.as_str(), "000.17.22.H56-260305-0007");
    }

    #[test]
    fn the_parts_are_read_back() {
        let code = DossierCode::parse("000.17.22.H56-260305-0007").unwrap();
        assert_eq!((code.agency(), code.date(), code.counter()), (agency(), ymd(2026, 3, 5), 7));
    }

    #[test]
    fn new_builds_the_same_code_as_parse() {
        let built = DossierCode::new(&agency(), ymd(2026, 3, 5), 7).unwrap();
        assert_eq!(built, DossierCode::parse("000.17.22.H56-260305-0007").unwrap());
    }

    #[test]
    fn new_pads_the_date_and_counter() {
        let built = DossierCode::new(&agency(), ymd(2001, 1, 9), 9999).unwrap();
        assert_eq!(built.as_str(), "000.17.22.H56-010109-9999");
    }

    #[test]
    fn new_refuses_a_counter_outside_one_to_9999() {
        for counter in [0, 10_000] {
            let err = DossierCode::new(&agency(), ymd(2026, 3, 5), counter).unwrap_err();
            assert_eq!(err.code, "invalid_dossier_code", "counter {counter}");
        }
    }

    #[test]
    fn new_refuses_a_date_outside_2000_to_2099() {
        for date in [ymd(1999, 12, 31), ymd(2100, 1, 1)] {
            assert!(DossierCode::new(&agency(), date, 1).is_err(), "{date} was accepted");
        }
    }

    #[test]
    fn a_leap_day_is_accepted() {
        assert_eq!(DossierCode::parse("000.17.22.H56-240229-0001").unwrap().date(), ymd(2024, 2, 29));
    }

    #[test]
    fn a_bad_agency_is_refused() {
        assert!(DossierCode::parse("000.17.2.H56-260305-0007").is_err());
        assert!(DossierCode::parse("000.17.22.H5X-260305-0007").is_err());
    }

    #[test]
    fn a_date_that_does_not_exist_is_refused() {
        for bad in ["000.17.22.H56-260230-0007", "000.17.22.H56-250229-0007", "000.17.22.H56-261301-0007"] {
            assert!(DossierCode::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn counter_0000_is_refused() {
        assert_eq!(DossierCode::parse("000.17.22.H56-260305-0000").unwrap_err().code, "invalid_dossier_code");
    }

    #[test]
    fn a_five_digit_counter_is_refused() {
        assert!(DossierCode::parse("000.17.22.H56-260305-00007").is_err());
    }

    #[test]
    fn missing_parts_are_refused() {
        for bad in [
            "",
            "000.17.22.H56",
            "000.17.22.H56-260305",
            "000.17.22.H56--0007",
            "260305-0007",
            "000.17.22.H56-0007",
            "000.17.22.H56-26035-0007",
            "000.17.22.H56-260305-007",
        ] {
            assert!(DossierCode::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn trailing_or_leading_junk_is_refused() {
        for bad in ["000.17.22.H56-260305-0007 ", " 000.17.22.H56-260305-0007", "000.17.22.H56-260305-0007x"] {
            assert!(DossierCode::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_lowercase_letter_is_refused() {
        assert!(DossierCode::parse("000.17.22.h56-260305-0007").is_err());
    }

    #[test]
    fn wrong_separators_or_signs_are_refused() {
        for bad in ["000.17.22.H56_260305-0007", "000.17.22.H56-260305_0007", "000.17.22.H56-260305-+007"] {
            assert!(DossierCode::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn non_ascii_input_is_refused_without_panicking() {
        for bad in ["000.17.22.H5é-260305-0007", "000.17.22.H56-2603é-0007", "000.17.22.H56-260305-00０7"] {
            assert!(DossierCode::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn codes_sort_by_agency_then_date_then_counter() {
        let mut codes: Vec<DossierCode> = [
            "000.17.22.H56-260305-0010",
            "000.17.22.H56-251231-9999",
            "000.17.22.H56-260305-0002",
            "000.01.22.H56-261231-0001",
        ]
        .into_iter()
        .map(|s| DossierCode::parse(s).unwrap())
        .collect();
        codes.sort();
        let sorted: Vec<&str> = codes.iter().map(DossierCode::as_str).collect();
        assert_eq!(
            sorted,
            [
                "000.01.22.H56-261231-0001",
                "000.17.22.H56-251231-9999",
                "000.17.22.H56-260305-0002",
                "000.17.22.H56-260305-0010"
            ]
        );
    }

    #[test]
    fn serde_uses_the_text_and_checks_it() {
        let code = DossierCode::parse("000.17.22.H56-260305-0007").unwrap();
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, "\"000.17.22.H56-260305-0007\"");
        assert_eq!(serde_json::from_str::<DossierCode>(&json).unwrap(), code);
        assert!(serde_json::from_str::<DossierCode>("\"000.17.22.H56-260305-0000\"").is_err());
    }
}
