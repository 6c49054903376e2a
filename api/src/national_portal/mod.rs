//! The National Public Service Portal (DVCQG): the message format of status
//! changes (docs/RULES.md §8).

pub mod format;
