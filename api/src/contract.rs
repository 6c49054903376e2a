//! The contract every request is held to before its handler runs, read from
//! the OpenAPI document itself so that the two cannot drift:
//! - who may ever call an operation: the roles listed in its `x-roles`
//!   extension (`"x-roles": ["officer", "approver"]`; OpenAPI 3.1 would
//!   allow them as the bearer requirement's array too, but linters and
//!   generators read that array as OAuth scopes). A caller whose role is not
//!   listed gets 403 before anything of the request is validated, whatever
//!   the resource: a role that can never do the operation learns nothing
//!   about a resource by being refused;
//! - which query parameters an operation takes: any other is refused with
//!   422 naming it (`?statuz=received` does not silently list everything).
//!
//! Which roles may call what lives in [`ROLES`]; the document is built with
//! it ([`with_roles`]), and a test makes sure that every operation behind a
//! token has an entry.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage};
use dvc_domain::auth::Role;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::OpenApi as Document;

use crate::auth::Caller;
use crate::error::{ApiError, FieldError};

use Role::*;

const DESK: &[Role] = &[Officer, Approver];
const READERS: &[Role] = &[Citizen, Officer, Approver, AgencyAdmin, Admin, Viewer, Integrator];
const REPORT_READERS: &[Role] = &[Officer, Approver, AgencyAdmin, Admin, Viewer];
const WEBHOOK_KEEPERS: &[Role] = &[Admin, Integrator];
const KEEPERS: &[Role] = &[AgencyAdmin, Admin];

/// One operation behind a token: which roles may ever call it, and the right
/// a 403 names for the others.
pub struct OperationRoles {
    pub method: &'static str,
    pub path: &'static str,
    pub roles: &'static [Role],
    pub right: &'static str,
}

const fn op(method: &'static str, path: &'static str, roles: &'static [Role], right: &'static str) -> OperationRoles {
    OperationRoles { method, path, roles, right }
}

/// Every operation that needs a token. Scope (their own agency, their own
/// dossier) is checked by the handler; this says only which roles can ever.
pub const ROLES: &[OperationRoles] = &[
    op("POST", "/api/v1/agencies", &[Admin], "agencies:manage"),
    op("PUT", "/api/v1/agencies/{code}", &[Admin], "agencies:manage"),
    op("POST", "/api/v1/agencies/{code}/merge", &[Admin], "agencies:manage"),
    op("POST", "/api/v1/procedures", KEEPERS, "catalogue:manage"),
    op("POST", "/api/v1/procedures/{code}/versions", KEEPERS, "catalogue:manage"),
    op("PUT", "/api/v1/procedures/{code}/versions/{version}", KEEPERS, "catalogue:manage"),
    op("DELETE", "/api/v1/procedures/{code}/versions/{version}", KEEPERS, "catalogue:manage"),
    op("POST", "/api/v1/procedures/{code}/versions/{version}/publish", KEEPERS, "catalogue:manage"),
    op("POST", "/api/v1/procedures/{code}/versions/{version}/retire", KEEPERS, "catalogue:manage"),
    op("PUT", "/api/v1/calendars/{id}", &[Admin], "calendars:manage"),
    op("POST", "/api/v1/deadlines/preview", READERS, "deadlines:preview"),
    op("GET", "/api/v1/dossiers", READERS, "dossiers:read"),
    op("POST", "/api/v1/dossiers", &[Citizen, Officer, Approver], "dossiers:submit"),
    op("POST", "/api/v1/integrations/national-portal/dossiers", &[Integrator], "national_portal:push"),
    op("GET", "/api/v1/dossiers/{code}", READERS, "dossiers:read"),
    op("GET", "/api/v1/dossiers/{code}/history", READERS, "dossiers:read"),
    op("GET", "/api/v1/dossiers/{code}/notifications", READERS, "dossiers:read"),
    op("POST", "/api/v1/dossiers/{code}/receive", DESK, "dossiers:process"),
    op("POST", "/api/v1/dossiers/{code}/refuse", DESK, "dossiers:process"),
    op("POST", "/api/v1/dossiers/{code}/request-supplement", DESK, "dossiers:process"),
    op("POST", "/api/v1/dossiers/{code}/supplement", &[Citizen], "dossiers:applicant"),
    op("POST", "/api/v1/dossiers/{code}/hand-off", DESK, "dossiers:process"),
    op("POST", "/api/v1/dossiers/{code}/request-payment", DESK, "dossiers:process"),
    op("GET", "/api/v1/dossiers/{code}/payments", READERS, "dossiers:read"),
    op("POST", "/api/v1/dossiers/{code}/payments", DESK, "dossiers:process"),
    op("POST", "/api/v1/dossiers/{code}/resolve", &[Approver], "dossiers:decide"),
    op("POST", "/api/v1/dossiers/{code}/return", DESK, "dossiers:process"),
    op("POST", "/api/v1/dossiers/{code}/withdraw", &[Citizen], "dossiers:applicant"),
    op("POST", "/api/v1/dossiers/{code}/stop", &[Approver], "dossiers:decide"),
    op("POST", "/api/v1/dossiers/{code}/apologize", &[Approver], "dossiers:decide"),
    op("POST", "/api/v1/dossiers/{code}/documents", &[Citizen, Officer, Approver], "dossiers:documents"),
    op("GET", "/api/v1/dossiers/{code}/documents/{id}", READERS, "dossiers:read"),
    op("GET", "/api/v1/dossiers/{code}/forms/{form}", READERS, "dossiers:read"),
    op("GET", "/api/v1/changes", &[Admin, Viewer, Integrator], "changes:read"),
    op("GET", "/api/v1/sync/failing", &[Admin], "sync:manage"),
    op("POST", "/api/v1/dossiers/{code}/sync/retry", &[Admin], "sync:manage"),
    op("POST", "/api/v1/dossiers/{code}/payments/online", &[Citizen], "dossiers:applicant"),
    op("POST", "/api/v1/payments/{id}/cancel", &[Admin], "payments:manage"),
    op("POST", "/api/v1/payments/{id}/refund", &[Admin], "payments:manage"),
    op("POST", "/api/v1/dossiers/{code}/fee-relief", DESK, "dossiers:process"),
    op("GET", "/api/v1/payment-attempts", &[Officer, Approver, Admin], "payments:read"),
    op("POST", "/api/v1/payment-attempts/{id}/refund", &[Admin], "payments:manage"),
    op("GET", "/api/v1/webhooks", WEBHOOK_KEEPERS, "webhooks:manage"),
    op("POST", "/api/v1/webhooks", WEBHOOK_KEEPERS, "webhooks:manage"),
    op("DELETE", "/api/v1/webhooks/{id}", WEBHOOK_KEEPERS, "webhooks:manage"),
    op("GET", "/api/v1/webhooks/{id}/deliveries", WEBHOOK_KEEPERS, "webhooks:manage"),
    op("POST", "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver", WEBHOOK_KEEPERS, "webhooks:manage"),
    op("GET", "/api/v1/reports/summary", REPORT_READERS, "reports:read"),
    op("GET", "/api/v1/reports/dossiers", REPORT_READERS, "reports:read"),
    op("GET", "/api/v1/reports/index-766", REPORT_READERS, "reports:read"),
    op("GET", "/api/v1/dossiers/{code}/rating", READERS, "dossiers:read"),
    op("POST", "/api/v1/dossiers/{code}/rating", &[Citizen], "dossiers:applicant"),
    op("POST", "/api/v1/imports/dossiers", &[Admin, Integrator], "imports:run"),
    op("GET", "/api/v1/integrity/history", &[Admin], "integrity:verify"),
    op("GET", "/api/v1/integrity/lookups", &[Admin], "integrity:verify"),
    op("POST", "/api/v1/national-databases/population/lookups", DESK, "national_databases:lookup"),
    op("POST", "/api/v1/national-databases/business/lookups", DESK, "national_databases:lookup"),
    op("GET", "/api/v1/national-databases/lookups", &[Admin], "audit:read"),
    op("GET", "/api/v1/feedback", &[Citizen, Officer, Approver, Admin, Viewer], "feedback:read"),
    op("POST", "/api/v1/feedback", &[Citizen], "feedback:file"),
    op("POST", "/api/v1/feedback/{id}/refuse", DESK, "feedback:respond"),
    op("POST", "/api/v1/feedback/{id}/request-info", DESK, "feedback:respond"),
    op("POST", "/api/v1/feedback/{id}/info", &[Citizen], "feedback:file"),
    op("POST", "/api/v1/feedback/{id}/answer", DESK, "feedback:respond"),
    op("POST", "/api/v1/feedback/{id}/publish", DESK, "feedback:respond"),
];

use crate::openapi::is_public;

/// The operations of a document: (method, path, operation) for each.
fn operations_mut(doc: &mut Document) -> Vec<(&'static str, String, &mut utoipa::openapi::path::Operation)> {
    let mut out = Vec::new();
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            ("GET", &mut item.get),
            ("POST", &mut item.post),
            ("PUT", &mut item.put),
            ("DELETE", &mut item.delete),
            ("PATCH", &mut item.patch),
        ];
        for (method, op) in ops {
            if let Some(op) = op.as_mut() {
                out.push((method, path.clone(), op));
            }
        }
    }
    out
}

/// Writes the roles of [`ROLES`] into the `x-roles` extension of each
/// operation behind a token.
pub fn with_roles(doc: &mut Document) {
    for (method, path, op) in operations_mut(doc) {
        if is_public(op) {
            continue;
        }
        if let Some(entry) = ROLES.iter().find(|e| e.method == method && e.path == path) {
            let roles: Vec<&str> = entry.roles.iter().map(|r| r.as_str()).collect();
            op.extensions
                .get_or_insert_with(Default::default)
                .insert("x-roles".to_owned(), serde_json::Value::from(roles));
        }
    }
}

/// The request schemas whose field set is the platform's, not ours.
const OPEN_REQUEST_SCHEMAS: &[&str] = &["CallbackIn"];

/// Marks every object schema a request body uses (directly or through
/// `$ref`s) `additionalProperties: false`: the API refuses unknown fields,
/// and the document says so to client generators and fuzzers.
pub fn close_request_bodies(doc: &mut Document) {
    use utoipa::openapi::schema::{AdditionalProperties, Schema};
    use utoipa::openapi::RefOr;
    let Ok(value) = serde_json::to_value(&*doc) else { return };
    let mut pending: Vec<String> = Vec::new();
    if let Some(paths) = value.get("paths").and_then(|p| p.as_object()) {
        for item in paths.values() {
            for op in item.as_object().into_iter().flat_map(|o| o.values()) {
                if let Some(body) = op.get("requestBody") {
                    collect_refs(body, &mut pending);
                }
            }
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if OPEN_REQUEST_SCHEMAS.contains(&name.as_str()) || !seen.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = value.pointer(&format!("/components/schemas/{name}")) {
            collect_refs(schema, &mut pending);
        }
        let schema = doc.components.as_mut().and_then(|c| c.schemas.get_mut(&name));
        if let Some(RefOr::T(Schema::Object(object))) = schema {
            if !object.properties.is_empty() && object.additional_properties.is_none() {
                object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
        }
    }
}

fn collect_refs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(o) => {
            if let Some(name) =
                o.get("$ref").and_then(|r| r.as_str()).and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                out.push(name.to_owned());
            }
            o.values().for_each(|v| collect_refs(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// What the contract knows of one operation.
struct Rule {
    segments: Vec<Segment>,
    /// None for a public operation.
    roles: Option<(&'static [Role], &'static str)>,
    query: BTreeSet<String>,
}

enum Segment {
    Literal(String),
    Param,
}

struct Contract {
    by_method: HashMap<&'static str, Vec<Rule>>,
}

fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        let mut doc = crate::openapi::document();
        let mut by_method: HashMap<&'static str, Vec<Rule>> = HashMap::new();
        for (method, path, op) in operations_mut(&mut doc) {
            let segments = path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| if s.starts_with('{') { Segment::Param } else { Segment::Literal(s.to_owned()) })
                .collect();
            let roles = if is_public(op) {
                None
            } else {
                ROLES.iter().find(|e| e.method == method && e.path == path).map(|e| (e.roles, e.right))
            };
            let query = op
                .parameters
                .iter()
                .flatten()
                .filter(|p| matches!(p.parameter_in, ParameterIn::Query))
                .map(|p| p.name.clone())
                .collect();
            by_method.entry(method).or_default().push(Rule { segments, roles, query });
        }
        Contract { by_method }
    })
}

impl Contract {
    /// The operation a request is for: among the paths that match, the one
    /// with the most literal segments (`/feedback/published` before `/feedback/{id}`).
    fn find(&self, method: &Method, path: &str) -> Option<&Rule> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.by_method
            .get(method.as_str())?
            .iter()
            .filter(|rule| {
                rule.segments.len() == parts.len()
                    && rule.segments.iter().zip(&parts).all(|(s, p)| match s {
                        Segment::Literal(l) => l == p,
                        Segment::Param => true,
                    })
            })
            .max_by_key(|rule| rule.segments.iter().filter(|s| matches!(s, Segment::Literal(_))).count())
    }
}

/// The query parameters of `query` that `known` does not name (each once),
/// and the instants that could not be written back, as field errors
/// (`query.statuz`).
fn unknown_parameters(query: &str, known: &BTreeSet<String>) -> Vec<FieldError> {
    let mut seen = BTreeSet::new();
    let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default();
    let mut errors: Vec<FieldError> = pairs
        .iter()
        .filter(|(name, _)| !known.contains(name) && seen.insert(name.clone()))
        .map(|(name, _)| FieldError {
            message: format!("this operation takes no query parameter {name:?}"),
            field: format!("query.{name}"),
            code: "unknown_parameter".into(),
        })
        .collect();
    errors.extend(pairs.iter().filter(|(_, value)| crate::time::unwritable_text(value)).map(|(name, _)| FieldError {
        field: format!("query.{name}"),
        code: "out_of_range".into(),
        message: crate::extract::OUT_OF_RANGE.into(),
    }));
    errors
}

/// The middleware: 401 / 403 by role, then 422 for unknown query parameters,
/// before the handler (and its validation) runs.
pub async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if let Some(rule) = contract().find(req.method(), req.path()) {
        if let Some((roles, right)) = rule.roles {
            let caller = Caller::from_request(req.request(), &mut Payload::None).await;
            if let Ok(c) = &caller {
                // The handler's `Caller` takes it from here: the token is verified once.
                req.extensions_mut().insert(c.clone());
            }
            let refusal = match caller {
                Err(e) => Some(e),
                Ok(Caller(actor)) if !roles.contains(&actor.role) => Some(ApiError::forbidden(
                    right,
                    format!(
                        "the {} role may not {} {}; it is for: {}",
                        actor.role,
                        req.method(),
                        req.path(),
                        roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )),
                Ok(_) => None,
            };
            if let Some(error) = refusal {
                return Ok(req.error_response(error).map_into_boxed_body());
            }
        }
        let unknown = unknown_parameters(req.query_string(), &rule.query);
        if !unknown.is_empty() {
            return Ok(req.error_response(ApiError::validation(unknown)).map_into_boxed_body());
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_behind_a_token_names_its_roles() {
        let mut doc = crate::openapi::document();
        let missing: Vec<String> = operations_mut(&mut doc)
            .into_iter()
            .filter(|(method, path, op)| {
                !is_public(op) && !ROLES.iter().any(|e| e.method == *method && e.path == path.as_str())
            })
            .map(|(method, path, _)| format!("{method} {path}"))
            .collect();
        assert!(missing.is_empty(), "operations without roles in contract::ROLES: {missing:?}");
    }

    #[test]
    fn every_roles_entry_names_an_operation_of_the_document() {
        let mut doc = crate::openapi::document();
        let ops: Vec<(&str, String)> = operations_mut(&mut doc).into_iter().map(|(m, p, _)| (m, p)).collect();
        for e in ROLES {
            assert!(
                ops.iter().any(|(m, p)| *m == e.method && p == e.path),
                "{} {} is not in the document",
                e.method,
                e.path
            );
        }
    }

    #[test]
    fn a_literal_segment_wins_over_a_parameter() {
        let rule = contract().find(&Method::GET, "/api/v1/feedback/published").map(|r| r.roles.is_none());
        assert_eq!(rule, Some(true));
    }

    #[test]
    fn unknown_query_parameters_are_named_once_each() {
        let known: BTreeSet<String> = ["status".to_owned()].into();
        let errors = unknown_parameters("statuz=received&status=received&statuz=x&limit=2", &known);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["query.statuz", "query.limit"]);
    }
}
