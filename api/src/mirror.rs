//! HTTP mirrors of domain enums: the same snake_case names, with an OpenAPI
//! schema (the domain crate knows nothing of utoipa).

/// `mirror_enum! { Dto => DomainEnum { A, B } }` defines `Dto` with the same
/// variants, serde snake_case, a schema, and conversions both ways;
/// `mirror_enum! { Dto => DomainEnum, "kebab-case" { A, B } }` names them in
/// another serde case.
#[macro_export]
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $dto:ident => $domain:ty { $($variant:ident),+ $(,)? }) => {
        $crate::mirror_enum! { $(#[$meta])* $dto => $domain, "snake_case" { $($variant),+ } }
    };
    ($(#[$meta:meta])* $dto:ident => $domain:ty, $case:tt { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = $case)]
        pub enum $dto { $($variant),+ }

        impl From<$dto> for $domain {
            fn from(v: $dto) -> Self {
                match v { $($dto::$variant => <$domain>::$variant),+ }
            }
        }

        impl From<$domain> for $dto {
            fn from(v: $domain) -> Self {
                match v { $(<$domain>::$variant => $dto::$variant),+ }
            }
        }
    };
}

/// A value of a closed set as the database stores it (its serde name, as the
/// domain's `as_str` writes it), read as the set's HTTP enum. A text outside
/// the set — a row written by hand — is logged as an error and read as
/// `fallback`.
pub fn stored<T: serde::de::DeserializeOwned>(text: &str, what: &str, fallback: T) -> T {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).unwrap_or_else(|_| {
        log::error!("{what} {text:?} is not one of its values");
        fallback
    })
}
