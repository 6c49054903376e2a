//! The `dvc` command line.

use std::process::ExitCode;

use chrono::Utc;
use clap::Parser;
use dvc_api::auth::Keys;
use dvc_api::config::{parse_ttl, Cli, Command, SeedCommand, TokenArgs};
use dvc_api::{openapi, server};
use dvc_domain::agency::AgencyCode;
use dvc_domain::auth::Role;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => actix_web::rt::System::new().block_on(server::run(cli.config)),
        Command::Migrate => server::connect_and_migrate(&cli.config).map(|_| println!("migrations are up to date")),
        Command::Openapi => {
            println!("{}", openapi::pretty_json());
            Ok(())
        }
        Command::Errors => {
            print!("{}", dvc_api::errors_doc::markdown());
            Ok(())
        }
        Command::Token(args) => token(&cli.config, &args).map(|t| println!("{t}")),
        Command::Seed(SeedCommand::Synthetic { dossiers, seed, batch, days, parallel }) => {
            seed_synthetic(&cli.config, dossiers, seed, batch, days, parallel)
        }
        Command::Verify => verify(&cli.config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dvc: {e}");
            ExitCode::FAILURE
        }
    }
}

fn token(config: &dvc_api::config::Config, args: &TokenArgs) -> Result<String, String> {
    let role = Role::parse(&args.role).ok_or_else(|| {
        format!("unknown role {:?}: use one of {}", args.role, Role::ALL.map(|r| r.as_str()).join(", "))
    })?;
    let agency = args.agency.as_deref().map(AgencyCode::parse).transpose().map_err(|e| e.to_string())?;
    let ttl = parse_ttl(&args.ttl)?;
    let sub = args.sub.clone().unwrap_or_else(|| role.as_str().to_owned());
    Keys::from_config(config)?.mint(role, &sub, agency.as_ref(), args.name.as_deref(), Utc::now(), ttl)
}

fn verify(config: &dvc_api::config::Config) -> Result<(), String> {
    let pool = server::connect_and_migrate(config)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let report = dvc_persistence::integrity::verify(&mut conn).map_err(|e| e.to_string())?;
    if let Some(b) = report.first_break {
        return Err(format!(
            "broken: dossier {} at history row {}: {} ({} dossiers checked)",
            b.dossier_code, b.seq, b.reason, report.dossiers
        ));
    }
    println!("intact: {} dossiers, {} history rows", report.dossiers, report.rows);
    let log = dvc_persistence::registry::verify(&mut conn).map_err(|e| e.to_string())?;
    if let Some((seq, reason)) = log.first_break {
        return Err(format!("broken: the audit log of look-ups at row {seq}: {reason} ({} rows checked)", log.rows));
    }
    println!("intact: the audit log of look-ups, {} rows", log.rows);
    Ok(())
}

fn seed_synthetic(
    config: &dvc_api::config::Config,
    dossiers: usize,
    seed: u64,
    batch: usize,
    days: u32,
    parallel: u32,
) -> Result<(), String> {
    let state = server::prepare(config.clone())?;
    let span = dvc_api::seed::Span::from_2025(days, Utc::now());
    let max_doc = config.max_document_bytes;
    let report = if parallel > 1 {
        dvc_api::seed::synthetic_parallel(&state.pool, parallel as usize, dossiers, seed, batch, max_doc, span)?
    } else {
        let mut conn = state.pool.get().map_err(|e| e.to_string())?;
        dvc_api::seed::synthetic(&mut conn, dossiers, seed, batch, max_doc, span)?
    };
    println!("{report}");
    Ok(())
}
