//! Dossier statuses with the national portal's numeric codes (TrangThaiHoSo),
//! and submission channels (docs/RULES.md §4.1, §4.2).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Submitted,
    Received,
    Refused,
    Processing,
    AwaitingSupplement,
    AwaitingPayment,
    Withdrawn,
    Stopped,
    Resolved,
    Returned,
}

impl Status {
    pub const ALL: [Status; 10] = [
        Self::Submitted,
        Self::Received,
        Self::Refused,
        Self::Processing,
        Self::AwaitingSupplement,
        Self::AwaitingPayment,
        Self::Withdrawn,
        Self::Stopped,
        Self::Resolved,
        Self::Returned,
    ];

    /// The national portal's TrangThaiHoSo code, 1–10.
    pub fn national_code(self) -> u8 {
        match self {
            Self::Submitted => 1,
            Self::Received => 2,
            Self::Refused => 3,
            Self::Processing => 4,
            Self::AwaitingSupplement => 5,
            Self::AwaitingPayment => 6,
            Self::Withdrawn => 7,
            Self::Stopped => 8,
            Self::Resolved => 9,
            Self::Returned => 10,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Received => "received",
            Self::Refused => "refused",
            Self::Processing => "processing",
            Self::AwaitingSupplement => "awaiting_supplement",
            Self::AwaitingPayment => "awaiting_payment",
            Self::Withdrawn => "withdrawn",
            Self::Stopped => "stopped",
            Self::Resolved => "resolved",
            Self::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// No move leaves a final status.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Refused | Self::Withdrawn | Self::Stopped | Self::Returned)
    }

    /// Whether reaching it closes the dossier for the figures: decided, or
    /// ended without a decision (refused, withdrawn, stopped). `returned`
    /// comes after `resolved`, which closed it already.
    pub fn closes(self) -> bool {
        matches!(self, Self::Resolved | Self::Refused | Self::Withdrawn | Self::Stopped)
    }
}

/// How a dossier came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    InPerson,
    Online,
    Postal,
    NationalPortal,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Self::InPerson, Self::Online, Self::Postal, Self::NationalPortal];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InPerson => "in_person",
            Self::Online => "online",
            Self::Postal => "postal",
            Self::NationalPortal => "national_portal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Online for the province's online rate (docs/RULES.md §7).
    pub fn is_online(self) -> bool {
        matches!(self, Self::Online | Self::NationalPortal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_codes_are_one_to_ten_in_table_order() {
        let codes: Vec<u8> = Status::ALL.iter().map(|s| s.national_code()).collect();
        assert_eq!(codes, (1..=10).collect::<Vec<u8>>());
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
    }
}
