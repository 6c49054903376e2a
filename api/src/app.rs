//! `build_app`: the one application that `main` serves and every test runs.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Condition, Logger};
use actix_web::{web, App, HttpResponse};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;
use crate::extract::{json_config, path_config, query_config};
use crate::middleware::request_id;
use crate::state::AppState;
use crate::{
    agencies, calendars, dossiers, feedback, forms, health, imports, integrity, national_databases, openapi, payments,
    procedures, public_lookup, ratings, reports, sync, webhooks,
};

pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let json_limit = state.config.max_json_bytes;
    let max_document_bytes = state.config.max_document_bytes;
    let cors_origins = state.config.cors_origins.clone();
    App::new()
        .app_data(state)
        .app_data(json_config(json_limit))
        .app_data(query_config())
        .app_data(path_config())
        .app_data(web::PayloadConfig::new(json_limit))
        .wrap(from_fn(crate::replica::route))
        .wrap(from_fn(crate::contract::enforce))
        // A preflight is answered here, before any role or query is checked.
        .wrap(Condition::new(!cors_origins.is_empty(), crate::cors::layer(&cors_origins)))
        .wrap(from_fn(crate::cors::preflight))
        .wrap(from_fn(request_id))
        // The path without its query: a query may carry personal data (an ID
        // number filter), which logs never print in full (docs/RULES.md §11).
        .wrap(
            Logger::new(r#"%a "%{method}xi %U" %s %b %Dms req=%{x-request-id}o"#)
                .custom_request_replace("method", |req| req.method().to_string()),
        )
        .service(health::live)
        .service(health::ready)
        .configure(agencies::configure)
        .configure(procedures::configure)
        .configure(calendars::configure)
        .configure(|cfg| dossiers::configure(cfg, max_document_bytes))
        .configure(forms::configure)
        .configure(sync::configure)
        .configure(payments::configure)
        .configure(webhooks::configure)
        .configure(reports::configure)
        .configure(ratings::configure)
        .configure(imports::configure)
        .configure(integrity::configure)
        .configure(national_databases::configure)
        .configure(feedback::configure)
        .configure(public_lookup::configure)
        .service(SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", openapi::document()))
        .route(
            "/swagger-ui",
            web::get().to(|| async {
                HttpResponse::PermanentRedirect().insert_header(("Location", "/swagger-ui/")).finish()
            }),
        )
        .default_service(web::to(unmatched))
}

/// No route took the request: 405 when the path exists with other methods,
/// else 404.
async fn unmatched(req: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    if req.resource_map().has_resource(req.path()) {
        Err(ApiError::new(
            crate::error::ErrorCode::MethodNotAllowed,
            format!("{} is not allowed on {}", req.method(), req.path()),
        ))
    } else {
        Err(ApiError::not_found("no such resource"))
    }
}
