//! Who submits a dossier for whom (docs/RULES.md §1: a citizen submits their own
//! dossiers). The person who files is recorded apart from the applicant: a
//! citizen files for themself, or as a representative with an authorisation
//! (giấy ủy quyền) attached. Staff registering at the desk and the national
//! portal's pushes are not bound by this rule.

use crate::error::DomainError;
use crate::ErrorCode;

/// The component code an authorisation document is filed under.
pub const AUTHORISATION_COMPONENT: &str = "giay_uy_quyen";

/// How a citizen's submission relates them to its applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filing {
    /// The citizen is the applicant (the applicant's number is the token's subject).
    Own,
    /// The citizen acts for the applicant, with an authorisation attached.
    Representative,
}

impl Filing {
    /// Checks a citizen's submission: `subject` is the token's subject (the
    /// citizen's identification number), `applicant_id` the applicant's
    /// number, `authorised` whether an authorisation document comes with it.
    pub fn of_citizen(subject: &str, applicant_id: &str, authorised: bool) -> Result<Self, DomainError> {
        match (subject == applicant_id, authorised) {
            (true, false) => Ok(Self::Own),
            (false, true) => Ok(Self::Representative),
            (false, false) => Err(DomainError::invalid(
                ErrorCode::ApplicantNotSubmitter,
                format!(
                    "you ({subject}) may file only for yourself; to file for applicant {applicant_id}, act as their \
                     representative and attach the authorisation (giấy ủy quyền) in `representative`"
                ),
            )
            .at("applicant.id_number")),
            (true, true) => Err(DomainError::invalid(
                ErrorCode::RepresentativeOfSelf,
                "you are the applicant: a representative files for someone else; leave out `representative`",
            )
            .at("representative")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: &str = "001099012345";
    const SOMEONE: &str = "079088001234";

    #[test]
    fn a_citizen_files_for_themself_without_an_authorisation() {
        assert_eq!(Filing::of_citizen(ME, ME, false), Ok(Filing::Own));
    }

    #[test]
    fn a_citizen_files_for_another_only_with_an_authorisation() {
        assert_eq!(Filing::of_citizen(ME, SOMEONE, true), Ok(Filing::Representative));
        let refused = Filing::of_citizen(ME, SOMEONE, false).expect_err("refused");
        assert_eq!(refused.code, "applicant_not_submitter");
        assert_eq!(refused.field.as_deref(), Some("applicant.id_number"));
        // A business's tax code is never a person's subject: filing for it needs an authorisation too.
        assert_eq!(Filing::of_citizen(ME, "0100109106", false).expect_err("refused").code, "applicant_not_submitter");
    }

    #[test]
    fn a_citizen_is_not_their_own_representative() {
        assert_eq!(Filing::of_citizen(ME, ME, true).expect_err("refused").code, "representative_of_self");
    }
}

/// What a document is to its dossier: a component of the procedure, a
/// result, or a representative's authorisation (giấy ủy quyền).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Component,
    Result,
    Authorisation,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 3] = [Self::Component, Self::Result, Self::Authorisation];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Component => "component",
            Self::Result => "result",
            Self::Authorisation => "authorisation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}
