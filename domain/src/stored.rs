//! Closed sets as the text they are stored under: each converts from the
//! `String` a column holds (a name outside the set is an error, so a row
//! written by hand cannot pass for a value) and into it (its `as_str`). The
//! database layer reads and writes the domain's types through these, not
//! strings of its own. Codes (`DossierCode`, `AgencyCode`, `ProcedureCode`)
//! have their conversions beside them.

use crate::{DomainError, ErrorCode};

/// What `parse` answers, with or without the reason.
trait Parsed<T> {
    fn value(self) -> Option<T>;
}

impl<T> Parsed<T> for Option<T> {
    fn value(self) -> Option<T> {
        self
    }
}

impl<T, E> Parsed<T> for Result<T, E> {
    fn value(self) -> Option<T> {
        self.ok()
    }
}

fn unknown(what: &str, name: &str) -> DomainError {
    DomainError::invalid(ErrorCode::InvalidValue, format!("{name:?} is not a {what}"))
}

macro_rules! stored_by_name {
    ($($t:ty => $what:literal),+ $(,)?) => {$(
        impl TryFrom<String> for $t {
            type Error = DomainError;
            fn try_from(name: String) -> Result<Self, DomainError> {
                Parsed::value(<$t>::parse(&name)).ok_or_else(|| unknown($what, &name))
            }
        }

        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.as_str().to_owned()
            }
        }
    )+};
}

stored_by_name! {
    crate::dossier::Status => "dossier status",
    crate::dossier::Channel => "channel",
    crate::dossier::Outcome => "decision",
    crate::dossier::ApplicantKind => "kind of applicant",
    crate::dossier::DocumentKind => "kind of document",
    crate::dossier::Step => "history step",
    crate::calendar::Timeliness => "timeliness",
    crate::auth::Role => "role",
    crate::agency::AgencyLevel => "agency level",
    crate::procedure::AdministrativeLevel => "administrative level",
    crate::procedure::ServiceLevel => "service level",
    crate::procedure::VersionStatus => "version status",
    crate::payment::PaymentMethod => "payment method",
    crate::payment::PaymentStatus => "payment status",
    crate::payment::AttemptStatus => "attempt status",
    crate::notify::NotifyChannel => "notification channel",
    crate::notify::Event => "notification event",
    crate::notify::Delivery => "delivery status",
    crate::feedback::FeedbackStatus => "feedback status",
    crate::registry::CheckState => "check state",
    crate::registry::Registry => "national database",
    crate::registry::Outcome => "look-up outcome",
    crate::rating::Overall => "overall rating",
}

#[cfg(test)]
mod tests {
    use crate::dossier::Status;

    #[test]
    fn a_status_goes_to_its_name_and_back() {
        for s in Status::ALL {
            let name = String::from(s);
            assert_eq!(name, s.as_str());
            assert_eq!(Status::try_from(name), Ok(s));
        }
    }

    #[test]
    fn a_name_outside_the_set_is_refused() {
        let err = Status::try_from("approved".to_owned()).expect_err("not a status");
        assert_eq!(err.code, crate::ErrorCode::InvalidValue);
        assert!(err.message.contains("approved"), "{}", err.message);
    }
}
