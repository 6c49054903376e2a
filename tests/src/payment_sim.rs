//! A stand-in for the national payment platform's QUERY endpoint: answers
//! every query with a signed success for the reference and amount asked,
//! and remembers the references it was asked about.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::loopback::Loopback;
use actix_web::{web, HttpResponse};
use dvc_domain::payment::{PlatformRequest, PlatformResult};

pub const PARTNER: &str = "DVC-DEMO";
pub const SECRET: &str = "dvc-payment-development-secret";

pub struct PaymentSim {
    pub url: String,
    queries: Arc<AtomicUsize>,
    asked: Arc<Mutex<Vec<String>>>,
    /// Stops the simulator when dropped.
    _server: Loopback,
}

/// A signed result message, as the platform sends it.
pub fn signed_result(
    reference: &str,
    amount: &str,
    error_code: &str,
    transaction: &str,
    secret: &str,
) -> PlatformResult {
    let mut r = PlatformResult {
        kind: "RESULT".into(),
        error_code: error_code.into(),
        partner: PARTNER.into(),
        reference: reference.into(),
        amount: amount.into(),
        currency: "VND".into(),
        transaction_id: transaction.into(),
        bank_code: "VCB".into(),
        time: "20260305100000".into(),
        description: "Phí, lệ phí".into(),
        checksum: String::new(),
    };
    r.checksum = r.expected_checksum(secret);
    r
}

impl PaymentSim {
    pub fn start() -> Self {
        let queries = Arc::new(AtomicUsize::new(0));
        let q = queries.clone();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let seen = asked.clone();
        let server = Loopback::start(move |cfg: &mut web::ServiceConfig| {
            let q = q.clone();
            let seen = seen.clone();
            cfg.route(
                "/query",
                web::post().to(move |body: web::Json<PlatformRequest>| {
                    let q = q.clone();
                    let seen = seen.clone();
                    async move {
                        q.fetch_add(1, Ordering::SeqCst);
                        let req = body.into_inner();
                        seen.lock().expect("asked").push(req.reference.clone());
                        HttpResponse::Ok().json(signed_result(&req.reference, &req.amount, "00", "Q-0001", SECRET))
                    }
                }),
            );
        });
        let url = server.base.clone();
        Self { url, queries, asked, _server: server }
    }

    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }

    /// The references asked about so far, in order.
    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().expect("asked").clone()
    }
}
