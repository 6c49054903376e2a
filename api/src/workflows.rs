//! The API's workflows as OpenAPI links: from an operation's success
//! response to the operations a client may call next with what it returned
//! (submit a dossier → receive it → hand it on → resolve → return the
//! result; create a procedure → publish its draft; …). Swagger UI shows
//! them, and a fuzzer follows them to test whole workflows, not single
//! calls. Kept in one table so that the graph can be read in one place.

use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::{OpenApi as Document, RefOr};
use utoipa::Modify;

/// A link parameter: its name, and where its value comes from (an OpenAPI
/// runtime expression).
type Param = (&'static str, &'static str);

/// The links from one operation: its id, the operations they lead to, and
/// the parameters each of those is given.
type Links = (&'static str, &'static [&'static str], &'static [Param]);

const CODE: Param = ("code", "$response.body#/code");
const ID: Param = ("id", "$response.body#/id");
const VERSION: Param = ("version", "$response.body#/version");
const DOSSIER_OF_PAYMENT: Param = ("code", "$response.body#/dossier_code");
const DOSSIER_OF_RATING: Param = ("code", "$response.body#/dossier_code");
const DOSSIER_IN_PATH: Param = ("code", "$request.path.code");

/// The moves a dossier may make next, from each action (docs/RULES.md §4.2); the
/// server still decides, by its status and the caller's role.
const AFTER_SUBMISSION: &[&str] = &[
    "read_dossier",
    "list_dossier_history",
    "receive_dossier",
    "refuse_dossier",
    "request_supplement",
    "hand_off_dossier",
    "withdraw_dossier",
    "stop_dossier",
    "upload_document",
    "list_payments",
    "retry_dossier_sync",
];
const AFTER_RECEPTION: &[&str] = &[
    "read_dossier",
    "hand_off_dossier",
    "request_supplement",
    "request_payment",
    "stop_dossier",
    "withdraw_dossier",
    "apologize_for_delay",
];
const WHILE_PROCESSING: &[&str] = &[
    "read_dossier",
    "hand_off_dossier",
    "request_supplement",
    "request_payment",
    "resolve_dossier",
    "stop_dossier",
    "withdraw_dossier",
    "apologize_for_delay",
];
const AWAITING_SUPPLEMENT: &[&str] = &["read_dossier", "supplement_dossier", "withdraw_dossier", "stop_dossier"];
const AWAITING_PAYMENT: &[&str] =
    &["read_dossier", "record_payment", "start_online_payment", "list_payments", "withdraw_dossier"];
const AFTER_RESOLUTION: &[&str] = &["read_dossier", "list_dossier_history", "return_result"];
const AFTER_RETURN: &[&str] = &["read_dossier", "list_dossier_history", "rate_dossier", "read_rating"];
const CLOSED: &[&str] = &["read_dossier", "list_dossier_history"];

const LINKS: &[Links] = &[
    // Agencies.
    ("create_agency", &["read_agency", "update_agency", "merge_agency"], &[CODE]),
    ("update_agency", &["read_agency", "merge_agency"], &[CODE]),
    // Procedures: a draft is read, changed, published or deleted; a
    // published version is read, retired, and followed by a new draft.
    (
        "create_procedure",
        &[
            "read_procedure_version",
            "update_procedure_version",
            "publish_procedure_version",
            "delete_procedure_version",
        ],
        &[CODE, VERSION],
    ),
    ("create_procedure", &["list_procedure_versions", "create_procedure_version", "read_procedure"], &[CODE]),
    (
        "create_procedure_version",
        &[
            "read_procedure_version",
            "update_procedure_version",
            "publish_procedure_version",
            "delete_procedure_version",
        ],
        &[CODE, VERSION],
    ),
    (
        "update_procedure_version",
        &["read_procedure_version", "publish_procedure_version", "delete_procedure_version"],
        &[CODE, VERSION],
    ),
    ("publish_procedure_version", &["read_procedure_version", "retire_procedure_version"], &[CODE, VERSION]),
    ("publish_procedure_version", &["read_procedure", "list_procedure_versions", "create_procedure_version"], &[CODE]),
    ("retire_procedure_version", &["read_procedure_version"], &[CODE, VERSION]),
    // Dossiers: the state machine.
    ("submit_dossier", AFTER_SUBMISSION, &[CODE]),
    ("push_portal_dossier", AFTER_SUBMISSION, &[CODE]),
    ("read_dossier", &["list_dossier_history", "list_payments"], &[CODE]),
    ("receive_dossier", AFTER_RECEPTION, &[CODE]),
    ("refuse_dossier", CLOSED, &[CODE]),
    ("request_supplement", AWAITING_SUPPLEMENT, &[CODE]),
    (
        "supplement_dossier",
        &[
            "receive_dossier",
            "refuse_dossier",
            "hand_off_dossier",
            "request_supplement",
            "resolve_dossier",
            "read_dossier",
        ],
        &[CODE],
    ),
    ("hand_off_dossier", WHILE_PROCESSING, &[CODE]),
    ("request_payment", AWAITING_PAYMENT, &[CODE]),
    ("record_payment", WHILE_PROCESSING, &[CODE]),
    ("apologize_for_delay", WHILE_PROCESSING, &[CODE]),
    ("resolve_dossier", AFTER_RESOLUTION, &[CODE]),
    ("return_result", AFTER_RETURN, &[CODE]),
    ("withdraw_dossier", CLOSED, &[CODE]),
    ("stop_dossier", CLOSED, &[CODE]),
    ("upload_document", &["download_document"], &[DOSSIER_IN_PATH, ID]),
    ("rate_dossier", &["read_rating", "read_dossier"], &[DOSSIER_OF_RATING]),
    // Payments.
    ("start_online_payment", &["cancel_payment"], &[ID]),
    ("start_online_payment", &["list_payments", "read_dossier"], &[DOSSIER_OF_PAYMENT]),
    ("cancel_payment", &["list_payments"], &[DOSSIER_OF_PAYMENT]),
    ("refund_payment", &["list_payments"], &[DOSSIER_OF_PAYMENT]),
    // Feedback: refused, asked about, answered, published.
    ("file_feedback", &["read_feedback", "refuse_feedback", "request_feedback_info", "answer_feedback"], &[ID]),
    ("request_feedback_info", &["read_feedback", "give_feedback_info"], &[ID]),
    ("give_feedback_info", &["read_feedback", "answer_feedback", "refuse_feedback"], &[ID]),
    ("answer_feedback", &["read_feedback", "publish_feedback"], &[ID]),
    ("refuse_feedback", &["read_feedback"], &[ID]),
    ("publish_feedback", &["read_feedback"], &[ID]),
    // Webhooks.
    ("create_webhook", &["list_webhook_deliveries", "delete_webhook"], &[ID]),
];

/// Adds [`LINKS`] to the success responses of their operations.
pub struct Workflows;

impl Modify for Workflows {
    fn modify(&self, doc: &mut Document) {
        for item in doc.paths.paths.values_mut() {
            let ops = [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch];
            for op in ops.into_iter().flatten() {
                let Some(id) = op.operation_id.clone() else { continue };
                for (status, response) in op.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else { continue };
                    if !status.starts_with('2') {
                        continue;
                    }
                    for (_, targets, params) in LINKS.iter().filter(|(from, _, _)| *from == id) {
                        for target in *targets {
                            let mut link = params
                                .iter()
                                .fold(LinkBuilder::new(), |b, (name, value)| b.parameter(*name, *value))
                                .build();
                            // utoipa 5.5 writes `Link::operation_id` as "operation_id"
                            // where OpenAPI says "operationId" (Spectral's oas3-schema
                            // rule caught it): write the field through the link's
                            // flattened extensions instead.
                            link.extensions = Some(Extensions::from_iter([("operationId", *target)]));
                            response.links.insert((*target).to_owned(), RefOr::T(link));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::LINKS;

    #[test]
    fn a_link_names_its_operation_as_openapi_spells_it() {
        let doc: serde_json::Value =
            serde_json::from_str(&crate::openapi::pretty_json()).expect("the document is JSON");
        let link =
            &doc["paths"]["/api/v1/dossiers/{code}/resolve"]["post"]["responses"]["200"]["links"]["return_result"];
        assert_eq!(
            link,
            &serde_json::json!({"operationId": "return_result", "parameters": {"code": "$response.body#/code"}})
        );
    }

    /// Every link starts at a documented operation and passes each path
    /// parameter of its target, and only those.
    #[test]
    fn links_join_documented_operations_with_their_path_parameters() {
        let doc = crate::openapi::document();
        let mut ops = HashMap::new();
        for item in doc.paths.paths.values() {
            for op in [&item.get, &item.post, &item.put, &item.delete, &item.patch].into_iter().flatten() {
                let path_params: Vec<String> = op
                    .parameters
                    .iter()
                    .flatten()
                    .filter(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Path)
                    .map(|p| p.name.clone())
                    .collect();
                ops.insert(op.operation_id.clone().unwrap_or_default(), path_params);
            }
        }
        for (from, targets, params) in LINKS {
            assert!(ops.contains_key(*from), "no operation {from}");
            for target in *targets {
                let mut wanted = ops.get(*target).unwrap_or_else(|| panic!("no operation {target}")).clone();
                let mut given: Vec<String> = params.iter().map(|(n, _)| (*n).to_owned()).collect();
                wanted.sort();
                given.sort();
                assert_eq!(given, wanted, "{from} → {target}");
            }
        }
    }
}
