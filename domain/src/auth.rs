//! Who is acting: roles and rights (docs/RULES.md §1).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::agency::AgencyCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Citizen,
    Officer,
    Approver,
    AgencyAdmin,
    Admin,
    Integrator,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 7] =
        [Self::Citizen, Self::Officer, Self::Approver, Self::AgencyAdmin, Self::Admin, Self::Integrator, Self::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizen => "citizen",
            Self::Officer => "officer",
            Self::Approver => "approver",
            Self::AgencyAdmin => "agency_admin",
            Self::Admin => "admin",
            Self::Integrator => "integrator",
            Self::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Staff roles act for an agency and carry its code in their token.
    pub fn is_staff(self) -> bool {
        matches!(self, Self::Officer | Self::Approver | Self::AgencyAdmin)
    }

    /// Whether this role holds `right` at all (scope, such as "of their own
    /// agency", is checked separately by the rule that needs it).
    pub fn has(self, right: Right) -> bool {
        match right {
            Right::ManageAgencies | Right::ManageCalendars => self == Self::Admin,
            Right::ManageCatalogue => matches!(self, Self::Admin | Self::AgencyAdmin),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A named right, as a 403 problem document names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Right {
    /// Create and change agencies, mark mergers (admin).
    ManageAgencies,
    /// Draft, publish and retire procedures (agency admin of the publishing agency, admin).
    ManageCatalogue,
    /// Change working calendars (admin).
    ManageCalendars,
}

impl Right {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ManageAgencies => "agencies:manage",
            Self::ManageCatalogue => "catalogue:manage",
            Self::ManageCalendars => "calendars:manage",
        }
    }
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: String,
    pub role: Role,
    pub agency: Option<AgencyCode>,
    pub name: String,
}

impl Actor {
    /// May this actor manage the catalogue entries published by `agency`?
    /// Admins manage every agency's; an agency admin only their own agency's.
    pub fn may_manage_catalogue_of(&self, agency: &AgencyCode) -> bool {
        match self.role {
            Role::Admin => true,
            Role::AgencyAdmin => self.agency.as_ref() == Some(agency),
            _ => false,
        }
    }
}
