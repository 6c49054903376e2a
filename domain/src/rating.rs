//! The applicant's satisfaction rating (docs/RULES.md §6).

use serde::{Deserialize, Serialize};

/// The overall answer of the satisfaction form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overall {
    VerySatisfied,
    Satisfied,
    Dissatisfied,
}

impl Overall {
    pub const ALL: [Overall; 3] = [Self::VerySatisfied, Self::Satisfied, Self::Dissatisfied];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerySatisfied => "very_satisfied",
            Self::Satisfied => "satisfied",
            Self::Dissatisfied => "dissatisfied",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Counted as satisfied in the figures: very satisfied or satisfied.
    pub fn is_satisfied(self) -> bool {
        matches!(self, Self::VerySatisfied | Self::Satisfied)
    }
}

#[cfg(test)]
mod tests {
    use super::Overall;

    #[test]
    fn satisfied_is_the_two_better_answers() {
        assert!(Overall::VerySatisfied.is_satisfied());
        assert!(Overall::Satisfied.is_satisfied());
        assert!(!Overall::Dissatisfied.is_satisfied());
    }

    #[test]
    fn names_round_trip() {
        for o in Overall::ALL {
            assert_eq!(Overall::parse(o.as_str()), Some(o));
        }
        assert_eq!(Overall::parse("neutral"), None);
    }
}
