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
    "history",
    "receive",
    "refuse",
    "request_supplement",
    "hand_off",
    "withdraw",
    "stop",
    "upload_document",
    "list_payments",
    "retry",
];
const AFTER_RECEPTION: &[&str] =
    &["read_dossier", "hand_off", "request_supplement", "request_payment", "stop", "withdraw", "apologize"];
const WHILE_PROCESSING: &[&str] =
    &["read_dossier", "hand_off", "request_supplement", "request_payment", "resolve", "stop", "withdraw", "apologize"];
const AWAITING_SUPPLEMENT: &[&str] = &["read_dossier", "supplement", "withdraw", "stop"];
const AWAITING_PAYMENT: &[&str] = &["read_dossier", "record_payment", "pay_online", "list_payments", "withdraw"];
const AFTER_RESOLUTION: &[&str] = &["read_dossier", "history", "return_result"];
const AFTER_RETURN: &[&str] = &["read_dossier", "history", "rate", "read_rating"];
const CLOSED: &[&str] = &["read_dossier", "history"];

const LINKS: &[Links] = &[
    // Agencies.
    ("create_agency", &["read_agency", "update", "merge"], &[CODE]),
    ("update", &["read_agency", "merge"], &[CODE]),
    // Procedures: a draft is read, changed, published or deleted; a
    // published version is read, retired, and followed by a new draft.
    ("create_procedure", &["read_version", "update_version", "publish_version", "delete_version"], &[CODE, VERSION]),
    ("create_procedure", &["list_versions", "add_version", "read_in_force"], &[CODE]),
    ("add_version", &["read_version", "update_version", "publish_version", "delete_version"], &[CODE, VERSION]),
    ("update_version", &["read_version", "publish_version", "delete_version"], &[CODE, VERSION]),
    ("publish_version", &["read_version", "retire"], &[CODE, VERSION]),
    ("publish_version", &["read_in_force", "list_versions", "add_version"], &[CODE]),
    ("retire", &["read_version"], &[CODE, VERSION]),
    // Dossiers: the state machine.
    ("submit_dossier", AFTER_SUBMISSION, &[CODE]),
    ("push_from_portal", AFTER_SUBMISSION, &[CODE]),
    ("read_dossier", &["history", "list_payments"], &[CODE]),
    ("receive", AFTER_RECEPTION, &[CODE]),
    ("refuse", CLOSED, &[CODE]),
    ("request_supplement", AWAITING_SUPPLEMENT, &[CODE]),
    ("supplement", &["receive", "refuse", "hand_off", "request_supplement", "resolve", "read_dossier"], &[CODE]),
    ("hand_off", WHILE_PROCESSING, &[CODE]),
    ("request_payment", AWAITING_PAYMENT, &[CODE]),
    ("record_payment", WHILE_PROCESSING, &[CODE]),
    ("apologize", WHILE_PROCESSING, &[CODE]),
    ("resolve", AFTER_RESOLUTION, &[CODE]),
    ("return_result", AFTER_RETURN, &[CODE]),
    ("withdraw", CLOSED, &[CODE]),
    ("stop", CLOSED, &[CODE]),
    ("upload_document", &["download_document"], &[DOSSIER_IN_PATH, ID]),
    ("rate", &["read_rating", "read_dossier"], &[DOSSIER_OF_RATING]),
    // Payments.
    ("pay_online", &["cancel"], &[ID]),
    ("pay_online", &["list_payments", "read_dossier"], &[DOSSIER_OF_PAYMENT]),
    ("cancel", &["list_payments"], &[DOSSIER_OF_PAYMENT]),
    ("refund", &["list_payments"], &[DOSSIER_OF_PAYMENT]),
    // Feedback: refused, asked about, answered, published.
    ("file", &["read_feedback", "refuse_feedback", "request_info", "answer"], &[ID]),
    ("request_info", &["read_feedback", "give_info"], &[ID]),
    ("give_info", &["read_feedback", "answer", "refuse_feedback"], &[ID]),
    ("answer", &["read_feedback", "publish_feedback"], &[ID]),
    ("refuse_feedback", &["read_feedback"], &[ID]),
    ("publish_feedback", &["read_feedback"], &[ID]),
    // Webhooks.
    ("create_webhook", &["deliveries", "remove"], &[ID]),
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
