//! The end-to-end tests, in one binary: each module starts real servers (on
//! SQLite and on PostgreSQL) and speaks HTTP to them. The runner is
//! `dvc_tests::harness`.

mod agencies;
mod agency_merger;
mod attacks;
mod auth;
mod authz_matrix;
mod calendars;
mod catalogue;
mod cors;
mod demo;
mod documents_record;
mod dossier_lifecycle;
mod dossier_rules;
mod errors;
mod exports;
mod feedback;
mod fees;
mod figures;
mod forms;
mod history_chain;
mod jwks;
mod kill_drill;
mod migrations;
mod national_databases;
mod notifications;
mod openapi;
mod partitions;
mod payments;
mod problem_language;
mod public_lookup;
mod registry_contract;
mod replica;
mod representation;
mod small_untruths;
mod strict_input;
mod supplement_deadline;
mod sync;
mod typed_contract;
mod webhooks;

fn main() -> std::process::ExitCode {
    dvc_tests::harness::main()
}
