//! dvc-api: the HTTP API (actix-web), authentication, the OpenAPI document
//! and Swagger UI, and the `dvc` command line.

pub mod agencies;
pub mod app;
pub mod auth;
pub mod calendars;
pub mod config;
pub mod connectors;
pub mod contract;
pub mod cors;
pub mod demo;
pub mod dossiers;
pub mod error;
pub mod export;
pub mod extract;
pub mod feedback;
pub mod forms;
pub mod health;
pub mod idempotency;
pub mod imports;
pub mod integrity;
pub mod invalid;
pub mod jwks;
pub mod middleware;
pub mod mirror;
pub mod national_databases;
pub mod national_portal;
pub mod notify;
pub mod openapi;
pub mod pagination;
pub mod payments;
pub mod procedures;
pub mod public_lookup;
pub mod ratings;
pub mod reports;
pub mod routes;
pub mod seed;
pub mod server;
pub mod state;
pub mod sync;
pub mod time;
pub mod webhooks;
pub mod workers;
pub mod workflows;

pub use app::build_app;
pub use state::AppState;
