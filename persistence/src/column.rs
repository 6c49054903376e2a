//! Domain values in text columns. A row type declares the domain's own type
//! (`Status`, `DossierCode`, `AgencyCode`, …) and reads and writes it through
//! the type's conversions from and into `String`:
//!
//! ```text
//! #[diesel(deserialize_as = String, serialize_as = String)]
//! status: Status,
//! #[diesel(deserialize_as = OptionalName, serialize_as = OptionalName)]
//! outcome: Option<Outcome>,
//! ```
//!
//! so no row holds a string that its reader must check again: a text
//! outside the domain's set fails the query as a corrupt row instead.
//! Tuple selects read the same way with [`name`].

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::sql_types::{Nullable, Text};
use dvc_domain::DomainError;

use crate::StoreError;

/// A nullable text column on its way into or out of an `Option` of a domain
/// type (diesel converts a field through a type of this crate; `Option<T>`
/// has no conversion from `Option<String>` of its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionalName(pub Option<String>);

impl OptionalName {
    /// The domain value, if any (what diesel's `deserialize_as` calls).
    pub fn try_into<T>(self) -> Result<Option<T>, DomainError>
    where
        T: TryFrom<String, Error = DomainError>,
    {
        self.0.map(T::try_from).transpose()
    }
}

impl<T: Into<String>> From<Option<T>> for OptionalName {
    fn from(v: Option<T>) -> Self {
        Self(v.map(Into::into))
    }
}

impl<DB: Backend> Queryable<Nullable<Text>, DB> for OptionalName
where
    Option<String>: FromSql<Nullable<Text>, DB>,
{
    type Row = Option<String>;
    fn build(row: Option<String>) -> deserialize::Result<Self> {
        Ok(Self(row))
    }
}

impl AsExpression<Nullable<Text>> for OptionalName {
    type Expression = <Option<String> as AsExpression<Nullable<Text>>>::Expression;
    fn as_expression(self) -> Self::Expression {
        <Option<String> as AsExpression<Nullable<Text>>>::as_expression(self.0)
    }
}

/// A text column read as the domain type `T` while the row is read (for
/// rows diesel builds by column name, `QueryableByName`, which converts a
/// field infallibly): a text outside `T`'s set fails the read there.
#[derive(Debug, Clone, PartialEq, Eq, diesel::deserialize::FromSqlRow)]
pub struct Checked<T>(pub T);

impl<T, DB> FromSql<Text, DB> for Checked<T>
where
    DB: Backend,
    String: FromSql<Text, DB>,
    T: TryFrom<String, Error = DomainError>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, DB>>::from_sql(bytes)?;
        T::try_from(text).map(Checked).map_err(|e| e.message.into())
    }
}

/// `Checked<T>` unwraps into `T` (diesel calls `Into`); one impl per domain
/// type, since `T` itself belongs to another crate.
macro_rules! unwrap_checked {
    ($($t:ty),+ $(,)?) => {$(
        impl From<Checked<$t>> for $t {
            fn from(c: Checked<$t>) -> Self {
                c.0
            }
        }
    )+};
}

unwrap_checked! {
    dvc_domain::dossier::DossierCode,
    dvc_domain::dossier::Status,
    dvc_domain::dossier::Step,
    dvc_domain::agency::AgencyCode,
    dvc_domain::notify::NotifyChannel,
    dvc_domain::notify::Event,
    dvc_domain::notify::Delivery,
}

/// A text a tuple select read, as its domain type; a text outside the set
/// is a corrupt row of `what`.
pub fn name<T>(text: String, what: &str) -> Result<T, StoreError>
where
    T: TryFrom<String, Error = DomainError>,
{
    T::try_from(text).map_err(|e| StoreError::Corrupt(format!("{what}: {}", e.message)))
}

/// An optional text a tuple select read, as its domain type.
pub fn optional_name<T>(text: Option<String>, what: &str) -> Result<Option<T>, StoreError>
where
    T: TryFrom<String, Error = DomainError>,
{
    text.map(|t| name(t, what)).transpose()
}

#[cfg(test)]
mod tests {
    use dvc_domain::dossier::Status;

    use super::{name, OptionalName};

    #[test]
    fn an_optional_name_reads_into_the_domain_type() {
        let read: Option<Status> = OptionalName(Some("received".into())).try_into().expect("a status");
        assert_eq!(read, Some(Status::Received));
        let none: Option<Status> = OptionalName(None).try_into().expect("nothing");
        assert_eq!(none, None);
        assert!(OptionalName(Some("approved".into())).try_into::<Status>().is_err());
    }

    #[test]
    fn a_name_outside_the_set_is_a_corrupt_row() {
        let err = name::<Status>("approved".into(), "dossier status").expect_err("not a status");
        assert!(matches!(err, crate::StoreError::Corrupt(_)), "{err:?}");
    }
}
