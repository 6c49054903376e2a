//! The National Public Service Portal (DVCQG): the message format of status
//! changes (SPEC §8).

pub mod format;
