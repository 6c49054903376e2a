//! The applicant of a dossier and the numbers that identify one (docs/RULES.md §4.1):
//! a citizen's personal identification number (CCCD, or the old CMND), a
//! business's tax code (mã số thuế), an agency's code, or another
//! organisation's own identifier. Invalid numbers are rejected at the door.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::agency::AgencyCode;
use crate::error::DomainError;
use crate::ErrorCode;

/// A citizen's personal identification number: 12 digits (CCCD, căn cước
/// công dân) whose first three are a province code 001–099, or 9 digits (the
/// old CMND, chứng minh nhân dân), still accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonalId(String);

impl PersonalId {
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let all_digits = input.bytes().all(|b| b.is_ascii_digit());
        let valid = all_digits
            && match input.len() {
                // Province code 001–099; the fourth digit (gender and century)
                // may be anything.
                12 => !input.starts_with("000"),
                9 => true,
                _ => false,
            };
        if valid {
            Ok(Self(input.to_owned()))
        } else {
            Err(DomainError::invalid(
                ErrorCode::InvalidPersonalId,
                format!(
                    "a personal identification number is 12 digits starting with a province code 001–099 (CCCD) \
                     or 9 digits (CMND); got {input:?}"
                ),
            ))
        }
    }

    /// True for a 9-digit old ID card (CMND), false for a 12-digit CCCD.
    pub fn is_legacy_cmnd(&self) -> bool {
        self.0.len() == 9
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PersonalId {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PersonalId> for String {
    fn from(id: PersonalId) -> Self {
        id.0
    }
}

impl fmt::Display for PersonalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tax code (mã số thuế): 10 digits whose 10th is the check digit
/// `10 − (Σ dᵢ·wᵢ mod 11)` over the first nine with weights
/// 31, 29, 23, 19, 17, 13, 7, 5, 3, or, for a dependent unit, those 10 digits,
/// a dash and a 3-digit suffix 001–999 (`NNNNNNNNNN-NNN`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaxCode(String);

impl TaxCode {
    const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];

    pub fn parse(input: &str) -> Result<Self, DomainError> {
        if Self::is_valid(input) {
            Ok(Self(input.to_owned()))
        } else {
            Err(DomainError::invalid(
                ErrorCode::InvalidTaxCode,
                format!(
                    "a tax code is 10 digits with a valid check digit, or those 10 digits, a dash and a \
                     suffix 001–999 for a dependent unit; got {input:?}"
                ),
            ))
        }
    }

    fn is_valid(input: &str) -> bool {
        let (head, suffix) = match input.split_once('-') {
            Some((head, suffix)) => (head, Some(suffix)),
            None => (input, None),
        };
        let suffix_ok = suffix.is_none_or(|s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) && s != "000");
        let digits: Vec<u32> = head.bytes().filter(u8::is_ascii_digit).map(|b| u32::from(b - b'0')).collect();
        suffix_ok && head.len() == 10 && digits.len() == 10 && Self::check_digit(&digits[..9]) == Some(digits[9])
    }

    /// `10 − (Σ dᵢ·wᵢ mod 11)`, or `None` when that is 10 (the sum is a
    /// multiple of 11): no single digit can check such a number.
    fn check_digit(first_nine: &[u32]) -> Option<u32> {
        let sum: u32 = first_nine.iter().zip(Self::WEIGHTS).map(|(d, w)| d * w).sum();
        let check = 10 - sum % 11;
        (check <= 9).then_some(check)
    }

    /// True for a dependent unit's 13-digit code `NNNNNNNNNN-NNN`.
    pub fn is_dependent_unit(&self) -> bool {
        self.0.len() == 14
    }

    /// The 10-digit code of the enterprise (the whole code, or the part before
    /// a dependent unit's suffix).
    pub fn enterprise(&self) -> &str {
        self.0.get(..10).unwrap_or(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TaxCode {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TaxCode> for String {
    fn from(code: TaxCode) -> Self {
        code.0
    }
}

impl fmt::Display for TaxCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who submits a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantKind {
    Citizen,
    Business,
    Agency,
    Organisation,
}

impl ApplicantKind {
    pub const ALL: [ApplicantKind; 4] = [Self::Citizen, Self::Business, Self::Agency, Self::Organisation];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizen => "citizen",
            Self::Business => "business",
            Self::Agency => "agency",
            Self::Organisation => "organisation",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            DomainError::invalid(ErrorCode::InvalidApplicantKind, format!("unknown applicant kind {s:?}"))
        })
    }
}

/// The number that identifies an applicant; its variant follows the kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ApplicantId {
    Personal(PersonalId),
    Tax(TaxCode),
    Agency(AgencyCode),
    /// Another organisation's own identifier: 1–50 printable characters,
    /// no white space at either end.
    Other(String),
}

impl ApplicantId {
    /// The longest identifier another organisation may have.
    pub const MAX_OTHER_CHARS: usize = 50;

    /// Parses `input`, as it is, as the identifier of an applicant of `kind`.
    pub fn parse(kind: ApplicantKind, input: &str) -> Result<Self, DomainError> {
        match kind {
            ApplicantKind::Citizen => PersonalId::parse(input).map(Self::Personal),
            ApplicantKind::Business => TaxCode::parse(input).map(Self::Tax),
            ApplicantKind::Agency => AgencyCode::parse(input).map(Self::Agency),
            ApplicantKind::Organisation => {
                let chars = input.chars().count();
                let valid = (1..=Self::MAX_OTHER_CHARS).contains(&chars)
                    && !input.chars().any(char::is_control)
                    && input.trim() == input;
                if valid {
                    Ok(Self::Other(input.to_owned()))
                } else {
                    Err(DomainError::invalid(
                        ErrorCode::InvalidIdNumber,
                        format!(
                            "an organisation's identifier is 1–{} printable characters without white space at \
                             either end; got {input:?}",
                            Self::MAX_OTHER_CHARS
                        ),
                    ))
                }
            }
        }
    }

    /// The kind of applicant this identifier belongs to.
    pub fn kind(&self) -> ApplicantKind {
        match self {
            Self::Personal(_) => ApplicantKind::Citizen,
            Self::Tax(_) => ApplicantKind::Business,
            Self::Agency(_) => ApplicantKind::Agency,
            Self::Other(_) => ApplicantKind::Organisation,
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Personal(id) => id.as_str(),
            Self::Tax(code) => code.as_str(),
            Self::Agency(code) => code.as_str(),
            Self::Other(id) => id,
        }
    }
}

impl fmt::Display for ApplicantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The applicant of a dossier, checked field by field by [`Applicant::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applicant {
    pub kind: ApplicantKind,
    pub id: ApplicantId,
    pub name: String,
    /// Normalised: digits only, with the leading 0 (`0912345678`).
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

impl Applicant {
    pub const MAX_NAME_CHARS: usize = 300;
    pub const MAX_EMAIL_CHARS: usize = 254;
    pub const MAX_ADDRESS_CHARS: usize = 500;

    /// Checks every field and returns every problem, each at its field
    /// (`id_number`, `name`, `phone`, `email`, `address`). All text is
    /// trimmed; an optional field that is blank after trimming is absent.
    pub fn new(
        kind: ApplicantKind,
        id_number: &str,
        name: &str,
        phone: Option<&str>,
        email: Option<&str>,
        address: Option<&str>,
    ) -> Result<Applicant, Vec<DomainError>> {
        let mut errors = Vec::new();
        let id = keep(&mut errors, "id_number", ApplicantId::parse(kind, id_number.trim()));
        let name = keep(&mut errors, "name", check_name(name));
        let phone = keep(&mut errors, "phone", present(phone).map(normalise_phone).transpose());
        let email = keep(&mut errors, "email", present(email).map(check_email).transpose());
        let address = keep(&mut errors, "address", present(address).map(check_address).transpose());
        match (id, name, phone, email, address) {
            (Some(id), Some(name), Some(phone), Some(email), Some(address)) => {
                Ok(Applicant { kind, id, name, phone, email, address })
            }
            _ => Err(errors),
        }
    }

    /// The identifier as text.
    pub fn id_number(&self) -> &str {
        self.id.as_str()
    }
}

/// The value when `checked` is good; otherwise records the error at `field`.
fn keep<T>(errors: &mut Vec<DomainError>, field: &'static str, checked: Result<T, DomainError>) -> Option<T> {
    checked.map_err(|e| errors.push(e.at(field))).ok()
}

/// The trimmed value, or `None` when it is absent or blank.
fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn check_name(name: &str) -> Result<String, DomainError> {
    let name = name.trim();
    if name.is_empty() {
        Err(DomainError::invalid(ErrorCode::Required, "the applicant's name is required"))
    } else if name.chars().count() > Applicant::MAX_NAME_CHARS {
        Err(DomainError::invalid(
            ErrorCode::Length,
            format!("the applicant's name is at most {} characters", Applicant::MAX_NAME_CHARS),
        ))
    } else {
        Ok(name.to_owned())
    }
}

/// A Vietnamese phone number: digits, optionally after `+84` or `0`, with
/// spaces, dots and dashes ignored; 9–11 digits once written with the
/// leading 0, which is how it is returned (`+84 912.345.678` → `0912345678`).
pub fn normalise_phone(phone: &str) -> Result<String, DomainError> {
    let compact: String = phone.chars().filter(|c| !matches!(c, ' ' | '.' | '-')).collect();
    let national = compact.strip_prefix("+84").or_else(|| compact.strip_prefix('0')).unwrap_or(&compact);
    let valid = national.bytes().all(|b| b.is_ascii_digit())
        && !national.starts_with('0')
        && (8..=10).contains(&national.len());
    if valid {
        Ok(format!("0{national}"))
    } else {
        Err(DomainError::invalid(
            ErrorCode::InvalidPhone,
            format!("a phone number is 9–11 digits starting with 0, or +84 followed by the rest; got {phone:?}"),
        ))
    }
}

/// A simple check: one `@`, a non-empty local part, a domain of at least two
/// non-empty labels, no white space, at most 254 characters.
fn check_email(email: &str) -> Result<String, DomainError> {
    let well_formed = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && domain.split('.').all(|l| !l.is_empty())
        }
        None => false,
    };
    let valid = well_formed
        && email.chars().count() <= Applicant::MAX_EMAIL_CHARS
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email.to_owned())
    } else {
        Err(DomainError::invalid(ErrorCode::InvalidEmail, format!("{email:?} is not an email address")))
    }
}

fn check_address(address: &str) -> Result<String, DomainError> {
    if address.chars().count() > Applicant::MAX_ADDRESS_CHARS {
        Err(DomainError::invalid(
            ErrorCode::Length,
            format!("the address is at most {} characters", Applicant::MAX_ADDRESS_CHARS),
        ))
    } else {
        Ok(address.to_owned())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The rules' formula (docs/RULES.md §4.1), written again here so the test does not trust the
    /// code under test: appends the check digit to nine digits, or `None`
    /// when `10 − (sum mod 11)` is 10.
    fn with_check_digit(first_nine: &str) -> Option<String> {
        let weights = [31, 29, 23, 19, 17, 13, 7, 5, 3];
        let sum: u32 = first_nine.chars().zip(weights).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
        let check = 10 - sum % 11;
        (check < 10).then(|| format!("{first_nine}{check}"))
    }

    fn citizen(id: &str) -> Result<Applicant, Vec<DomainError>> {
        Applicant::new(ApplicantKind::Citizen, id, "Nguyễn Văn A", None, None, None)
    }

    fn phone_of(phone: &str) -> Result<Option<String>, Vec<DomainError>> {
        Applicant::new(ApplicantKind::Citizen, "001203012345", "Nguyễn Văn A", Some(phone), None, None).map(|a| a.phone)
    }

    fn email_ok(email: &str) -> bool {
        Applicant::new(ApplicantKind::Citizen, "001203012345", "Nguyễn Văn A", None, Some(email), None).is_ok()
    }

    fn codes(errors: &[DomainError]) -> Vec<(&str, &str)> {
        errors.iter().map(|e| (e.field.as_deref().unwrap_or(""), e.code.as_str())).collect()
    }

    // Personal identification numbers.

    #[test]
    fn a_cccd_of_twelve_digits_is_accepted() {
        let id = PersonalId::parse("001203012345").unwrap();
        assert_eq!((id.as_str(), id.is_legacy_cmnd()), ("001203012345", false));
    }

    #[test]
    fn a_cmnd_of_nine_digits_is_accepted_as_legacy() {
        assert!(PersonalId::parse("012345678").unwrap().is_legacy_cmnd());
    }

    #[test]
    fn a_cccd_province_code_from_001_to_099_with_any_fourth_digit_is_accepted() {
        for ok in ["001003012345", "096912345678", "099512345678", "079099999999"] {
            assert!(PersonalId::parse(ok).is_ok(), "{ok:?} was refused");
        }
    }

    #[test]
    fn a_cccd_with_province_code_000_is_refused() {
        assert_eq!(PersonalId::parse("000203012345").unwrap_err().code, "invalid_personal_id");
    }

    #[test]
    fn a_personal_id_of_another_length_or_with_non_digits_is_refused() {
        for bad in ["", "00120301234", "0012030123456", "0123456789", "00120301234a", "001 203012345", "００1203012345"]
        {
            assert!(PersonalId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    // Tax codes.

    #[test]
    fn viettels_published_tax_code_passes_the_check_digit() {
        assert_eq!(with_check_digit("010010910").as_deref(), Some("0100109106"));
        assert_eq!(TaxCode::parse("0100109106").unwrap().as_str(), "0100109106");
    }

    #[test]
    fn tax_codes_with_the_formulas_check_digit_are_accepted() {
        for first_nine in ["030123456", "031234567", "123456789", "456789012", "000000001"] {
            let code = with_check_digit(first_nine).unwrap();
            assert!(TaxCode::parse(&code).is_ok(), "{code:?} was refused");
        }
    }

    #[test]
    fn a_tax_code_with_a_wrong_check_digit_is_refused() {
        for wrong in 0..10 {
            let code = format!("010010910{wrong}");
            assert_eq!(TaxCode::parse(&code).is_ok(), wrong == 6, "{code:?}");
        }
    }

    #[test]
    fn a_tax_code_whose_sum_is_a_multiple_of_eleven_has_no_valid_check_digit() {
        // The weighted sum of "000000000" is 0, and that of "100001000" is 31 + 13 = 44.
        assert_eq!(with_check_digit("000000000"), None);
        for last in 0..10 {
            assert!(TaxCode::parse(&format!("000000000{last}")).is_err(), "000000000{last} was accepted");
        }
        assert_eq!(with_check_digit("100001000"), None);
        for last in 0..10 {
            assert!(TaxCode::parse(&format!("100001000{last}")).is_err(), "100001000{last} was accepted");
        }
    }

    #[test]
    fn a_tax_code_whose_sum_leaves_one_has_check_digit_nine() {
        // 4·31 + 5·29 + 6·23 + 7·19 + 8·17 + 9·13 + 0·7 + 1·5 + 2·3 = 804 = 73·11 + 1.
        assert_eq!(with_check_digit("456789012").as_deref(), Some("4567890129"));
        assert!(TaxCode::parse("4567890129").is_ok());
    }

    #[test]
    fn a_tax_code_whose_sum_leaves_ten_has_check_digit_zero() {
        // 1·7 + 1·3 = 10 → 10 − 10 = 0.
        assert_eq!(with_check_digit("000000101").as_deref(), Some("0000001010"));
        assert!(TaxCode::parse("0000001010").is_ok());
    }

    #[test]
    fn a_dependent_units_thirteen_digit_code_is_accepted() {
        let code = TaxCode::parse("0100109106-001").unwrap();
        assert_eq!((code.is_dependent_unit(), code.enterprise()), (true, "0100109106"));
        assert!(TaxCode::parse("0100109106-999").is_ok());
    }

    #[test]
    fn a_ten_digit_code_is_not_a_dependent_unit() {
        let code = TaxCode::parse("0100109106").unwrap();
        assert_eq!((code.is_dependent_unit(), code.enterprise()), (false, "0100109106"));
    }

    #[test]
    fn a_dependent_unit_suffix_000_is_refused() {
        assert_eq!(TaxCode::parse("0100109106-000").unwrap_err().code, "invalid_tax_code");
    }

    #[test]
    fn a_dependent_unit_with_a_wrong_check_digit_is_refused() {
        assert!(TaxCode::parse("0100109107-001").is_err());
    }

    #[test]
    fn a_thirteen_digit_code_without_the_dash_is_refused() {
        assert!(TaxCode::parse("0100109106001").is_err());
    }

    #[test]
    fn malformed_tax_codes_are_refused() {
        for bad in [
            "",
            "010010910",
            "01001091066",
            "0100109106-",
            "0100109106-01",
            "0100109106-0001",
            "0100109106-00a",
            "0100109106-001-001",
            "-0100109106",
            "01001-09106",
            "010010910a",
            " 0100109106",
            "0100109106 ",
            "０100109106",
        ] {
            assert!(TaxCode::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn identity_numbers_serialise_as_strings_and_are_checked_on_the_way_in() {
        let code = TaxCode::parse("0100109106-001").unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"0100109106-001\"");
        assert!(serde_json::from_str::<TaxCode>("\"0100109107\"").is_err());
        assert!(serde_json::from_str::<PersonalId>("\"000203012345\"").is_err());
        assert_eq!(serde_json::from_str::<PersonalId>("\"012345678\"").unwrap().as_str(), "012345678");
    }

    // Kinds and identifiers.

    #[test]
    fn applicant_kinds_round_trip_by_name_and_in_json() {
        for kind in ApplicantKind::ALL {
            assert_eq!(ApplicantKind::parse(kind.as_str()), Ok(kind));
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(ApplicantKind::parse("person").unwrap_err().code, "invalid_applicant_kind");
    }

    #[test]
    fn the_identifier_follows_the_kind() {
        for (kind, number) in [
            (ApplicantKind::Citizen, "001203012345"),
            (ApplicantKind::Business, "0100109106"),
            (ApplicantKind::Agency, "000.17.22.H56"),
            (ApplicantKind::Organisation, "HTX-0042"),
        ] {
            let id = ApplicantId::parse(kind, number).unwrap();
            assert_eq!((id.kind(), id.as_str()), (kind, number));
        }
    }

    #[test]
    fn a_number_of_another_kind_is_refused_with_that_kinds_code() {
        let cases = [
            (ApplicantKind::Citizen, "0100109106", "invalid_personal_id"),
            (ApplicantKind::Business, "001203012345", "invalid_tax_code"),
            (ApplicantKind::Agency, "0100109106", "invalid_agency_code"),
        ];
        for (kind, number, code) in cases {
            assert_eq!(ApplicantId::parse(kind, number).unwrap_err().code, code, "{kind:?} {number}");
        }
    }

    #[test]
    fn an_organisation_identifier_of_one_to_fifty_printable_characters_is_accepted() {
        for ok in ["X", "Hội Nông dân 12", &"a".repeat(50)] {
            assert!(ApplicantId::parse(ApplicantKind::Organisation, ok).is_ok(), "{ok:?} was refused");
        }
    }

    #[test]
    fn an_organisation_identifier_that_is_empty_too_long_padded_or_unprintable_is_refused() {
        for bad in ["", &"a".repeat(51), " HTX", "HTX ", "HTX\u{0}1", "HTX\n1"] {
            let err = ApplicantId::parse(ApplicantKind::Organisation, bad).unwrap_err();
            assert_eq!(err.code, "invalid_id_number", "{bad:?}");
        }
    }

    // The applicant.

    #[test]
    fn a_complete_applicant_is_built_trimmed_and_normalised() {
        let applicant = Applicant::new(
            ApplicantKind::Business,
            " 0100109106 ",
            "  Tập đoàn Viettel ",
            Some(" +84 912.345.678 "),
            Some(" lienhe@viettel.com.vn "),
            Some(" Lô D26, Cầu Giấy, Hà Nội "),
        )
        .unwrap();
        assert_eq!(
            applicant,
            Applicant {
                kind: ApplicantKind::Business,
                id: ApplicantId::Tax(TaxCode::parse("0100109106").unwrap()),
                name: "Tập đoàn Viettel".into(),
                phone: Some("0912345678".into()),
                email: Some("lienhe@viettel.com.vn".into()),
                address: Some("Lô D26, Cầu Giấy, Hà Nội".into()),
            }
        );
    }

    #[test]
    fn id_number_gives_the_identifier_as_text() {
        assert_eq!(citizen("001203012345").unwrap().id_number(), "001203012345");
    }

    #[test]
    fn an_invalid_id_number_is_reported_at_id_number() {
        assert_eq!(codes(&citizen("12345").unwrap_err()), [("id_number", "invalid_personal_id")]);
    }

    #[test]
    fn an_agency_applicant_needs_an_agency_code() {
        let err = Applicant::new(ApplicantKind::Agency, "H56", "UBND xã", None, None, None).unwrap_err();
        assert_eq!(codes(&err), [("id_number", "invalid_agency_code")]);
    }

    #[test]
    fn a_blank_name_is_required() {
        let err = Applicant::new(ApplicantKind::Citizen, "001203012345", " \t ", None, None, None).unwrap_err();
        assert_eq!(codes(&err), [("name", "required")]);
    }

    #[test]
    fn a_name_of_300_characters_is_accepted_and_301_is_refused() {
        let ok = "\u{1EB0}".repeat(300);
        assert!(Applicant::new(ApplicantKind::Citizen, "001203012345", &ok, None, None, None).is_ok());
        let long = "\u{1EB0}".repeat(301);
        let err = Applicant::new(ApplicantKind::Citizen, "001203012345", &long, None, None, None).unwrap_err();
        assert_eq!(codes(&err), [("name", "length")]);
    }

    #[test]
    fn a_phone_is_normalised_to_digits_with_a_leading_zero() {
        for (input, stored) in [
            ("0912345678", "0912345678"),
            ("+84912345678", "0912345678"),
            ("+84 912 345 678", "0912345678"),
            ("0912.345.678", "0912345678"),
            ("091-234-5678", "0912345678"),
            ("912345678", "0912345678"),
            ("024 3825 1234", "02438251234"),
            ("+84 24 3825 1234", "02438251234"),
            ("023456789", "023456789"),
        ] {
            assert_eq!(phone_of(input), Ok(Some(stored.to_owned())), "{input:?}");
        }
    }

    #[test]
    fn a_normalised_phone_normalises_to_itself() {
        let once = phone_of("+84 912 345 678").unwrap().unwrap();
        assert_eq!(phone_of(&once), Ok(Some(once.clone())));
    }

    #[test]
    fn a_phone_with_too_few_or_too_many_digits_or_other_characters_is_refused() {
        for bad in [
            "09123456",
            "091234567890",
            "84912345678",
            "+840912345678",
            "00912345678",
            "+85912345678",
            "(091) 2345678",
            "0912a45678",
            "+84",
            "0",
            "０912345678",
        ] {
            let err = phone_of(bad).unwrap_err();
            assert_eq!(codes(&err), [("phone", "invalid_phone")], "{bad:?}");
        }
    }

    #[test]
    fn a_blank_optional_field_is_absent() {
        let applicant =
            Applicant::new(ApplicantKind::Citizen, "001203012345", "A", Some("  "), Some(""), Some(" ")).unwrap();
        assert_eq!((applicant.phone, applicant.email, applicant.address), (None, None, None));
    }

    #[test]
    fn a_simple_email_is_accepted() {
        for ok in ["a@b.vn", "nguyen.van.a+dvc@so-tu-phap.hanoi.gov.vn", " a@b.vn "] {
            assert!(email_ok(ok), "{ok:?} was refused");
        }
    }

    #[test]
    fn an_email_without_one_at_a_local_part_or_a_dotted_domain_is_refused() {
        for bad in
            ["ab.vn", "a@@b.vn", "a@b@c.vn", "@b.vn", "a@bvn", "a@.vn", "a@b.", "a@b..vn", "a b@c.vn", "a@b\u{0}.vn"]
        {
            let err = Applicant::new(ApplicantKind::Citizen, "001203012345", "A", None, Some(bad), None).unwrap_err();
            assert_eq!(codes(&err), [("email", "invalid_email")], "{bad:?}");
        }
    }

    #[test]
    fn an_email_longer_than_254_characters_is_refused() {
        let at_limit = format!("{}@b.vn", "a".repeat(249));
        assert_eq!(at_limit.chars().count(), 254);
        assert!(email_ok(&at_limit));
        assert!(!email_ok(&format!("{}@b.vn", "a".repeat(250))));
    }

    #[test]
    fn an_address_of_500_characters_is_accepted_and_501_is_refused() {
        let ok = "đ".repeat(500);
        assert!(Applicant::new(ApplicantKind::Citizen, "001203012345", "A", None, None, Some(&ok)).is_ok());
        let long = "đ".repeat(501);
        let err = Applicant::new(ApplicantKind::Citizen, "001203012345", "A", None, None, Some(&long)).unwrap_err();
        assert_eq!(codes(&err), [("address", "length")]);
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let err = Applicant::new(
            ApplicantKind::Business,
            "0100109107",
            "   ",
            Some("12"),
            Some("not-an-email"),
            Some(&"x".repeat(501)),
        )
        .unwrap_err();
        assert_eq!(
            codes(&err),
            [
                ("id_number", "invalid_tax_code"),
                ("name", "required"),
                ("phone", "invalid_phone"),
                ("email", "invalid_email"),
                ("address", "length"),
            ]
        );
    }
}
