//! The national databases' HTTP adapters against the simulator, as a real
//! server on loopback: the contract's answers, and what the network does to
//! them — a slow database, a 503, garbage, an answer about someone else, a
//! mismatch — each bounded in time, with the breaker and the cache.

use std::time::{Duration, Instant};

use dvc_api::connectors::resilient::{BreakerState, Endpoint, Policy};
use dvc_api::connectors::{HttpBusiness, HttpDataStore, HttpPopulation};
use dvc_domain::dossier::{PersonalId, TaxCode};
use dvc_domain::registry::{
    judge_citizen, judge_enterprise, BusinessRegistry, DataStore, EnterpriseStatus, LookupError, PopulationRegistry,
    Registry, Verdict,
};
use dvc_tests::registry_sim::{Mode, RegistrySim, BUSINESS, DATA_STORE, POPULATION};
use serde_json::json;

const ID: &str = "001099012345";

fn policy() -> Policy {
    Policy {
        timeout: Duration::from_millis(300),
        retries: 1,
        retry_base: Duration::from_millis(20),
        breaker_failures: 3,
        breaker_pause: Duration::from_millis(400),
        cache_ttl: Duration::ZERO,
    }
}

fn population(sim: &RegistrySim, policy: Policy) -> HttpPopulation {
    HttpPopulation(Endpoint::new(Registry::Population, &sim.url, Some("lgsp-token".into()), policy))
}

fn id() -> PersonalId {
    PersonalId::parse(ID).expect("valid ID")
}

dvc_tests::e2e_test!(a_citizen_is_read_and_judged_and_the_request_names_the_contract_and_the_token);
fn a_citizen_is_read_and_judged_and_the_request_names_the_contract_and_the_token() {
    let sim = RegistrySim::start();
    sim.citizen(ID, "Nguyễn Văn An", "1999-04-12", "Phường Phú Cường, Thủ Dầu Một");
    let got = population(&sim, policy()).citizen(&id()).expect("a citizen");
    assert_eq!(got.full_name, "Nguyễn Văn An");
    assert_eq!(got.date_of_birth.map(|d| d.to_string()).as_deref(), Some("1999-04-12"));
    assert_eq!(got.permanent_address.as_deref(), Some("Phường Phú Cường, Thủ Dầu Một"));
    assert_eq!(judge_citizen("nguyễn  văn an", "1999-04-12".parse().ok(), &got), Verdict::Verified);
    // A mismatch: the name without diacritics and another birthday.
    let Verdict::Mismatch(d) = judge_citizen("Nguyen Van An", "1999-04-13".parse().ok(), &got) else {
        panic!("a mismatch")
    };
    let fields: Vec<&str> = d.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(fields, ["name", "date_of_birth"]);
    assert_eq!(sim.headers(), [(Some("1".to_owned()), Some("Bearer lgsp-token".to_owned()))]);
}

dvc_tests::e2e_test!(an_unknown_person_is_a_definite_answer_not_a_failure);
fn an_unknown_person_is_a_definite_answer_not_a_failure() {
    let sim = RegistrySim::start();
    let p = population(&sim, policy());
    assert_eq!(p.citizen(&id()), Err(LookupError::NotFound));
    // Not retried (it will not change), and it does not open the breaker.
    assert_eq!(sim.asked(POPULATION), 1);
    for _ in 0..5 {
        assert_eq!(p.citizen(&id()), Err(LookupError::NotFound));
    }
    assert_eq!(p.0.breaker_state(), BreakerState::Closed);
}

dvc_tests::e2e_test!(
    a_database_answering_503_is_retried_a_bounded_number_of_times_then_the_breaker_opens_and_half_opens
);
fn a_database_answering_503_is_retried_a_bounded_number_of_times_then_the_breaker_opens_and_half_opens() {
    let sim = RegistrySim::start();
    sim.citizen(ID, "Nguyễn Văn An", "1999-04-12", "Thủ Dầu Một");
    sim.set_mode(Mode::Down);
    let p = population(&sim, policy());
    for n in 1..=3 {
        let got = p.citizen(&id());
        assert!(matches!(got, Err(LookupError::Unavailable(ref m)) if m.contains("503")), "{got:?}");
        // One try and one retry each time.
        assert_eq!(sim.asked(POPULATION), 2 * n);
    }
    assert_eq!(p.0.breaker_state(), BreakerState::Open);
    // Open: refused at once, the database not asked.
    let started = Instant::now();
    assert_eq!(p.citizen(&id()), Err(LookupError::CircuitOpen));
    assert!(started.elapsed() < Duration::from_millis(50));
    assert_eq!(sim.asked(POPULATION), 6);
    // The pause over and the database back, one trial closes it.
    sim.set_mode(Mode::Up);
    std::thread::sleep(Duration::from_millis(450));
    assert_eq!(p.citizen(&id()).expect("answered again").full_name, "Nguyễn Văn An");
    assert_eq!(p.0.breaker_state(), BreakerState::Closed);
}

dvc_tests::e2e_test!(a_slow_database_holds_nobody_past_the_bound);
fn a_slow_database_holds_nobody_past_the_bound() {
    let sim = RegistrySim::start();
    sim.citizen(ID, "Nguyễn Văn An", "1999-04-12", "Thủ Dầu Một");
    sim.set_mode(Mode::Slow(Duration::from_secs(10)));
    let policy = policy();
    let bound = policy.bound();
    let p = population(&sim, policy);
    let started = Instant::now();
    let got = p.citizen(&id());
    let took = started.elapsed();
    assert!(matches!(got, Err(LookupError::Unavailable(ref m)) if m.contains("no answer within")), "{got:?}");
    // The bound, with room for a loaded machine; far from the 10 s answer.
    assert!(took < bound + Duration::from_millis(1500), "took {took:?}, bound {bound:?}");
    assert!(took >= Duration::from_millis(600), "both attempts waited their timeout: {took:?}");
    assert_eq!(sim.asked(POPULATION), 2);
}

dvc_tests::e2e_test!(garbage_and_answers_about_someone_else_are_malformed);
fn garbage_and_answers_about_someone_else_are_malformed() {
    let sim = RegistrySim::start();
    sim.set_mode(Mode::Garbage);
    let p = population(&sim, Policy { retries: 0, ..policy() });
    assert!(matches!(p.citizen(&id()), Err(LookupError::Malformed(_))));
    sim.set_mode(Mode::Up);
    sim.citizen_answer(ID, json!({"id_number": "079088001234", "full_name": "Trần Thị Bình"}));
    let got = p.citizen(&id());
    assert!(matches!(got, Err(LookupError::Malformed(ref m)) if m.contains("another ID")), "{got:?}");
    sim.citizen_answer(ID, json!({"id_number": ID}));
    assert!(matches!(p.citizen(&id()), Err(LookupError::Malformed(_))));
    sim.citizen_answer(ID, json!([1, 2, 3]));
    assert!(matches!(p.citizen(&id()), Err(LookupError::Malformed(_))));
}

dvc_tests::e2e_test!(a_repeated_look_up_is_answered_from_the_cache_while_fresh);
fn a_repeated_look_up_is_answered_from_the_cache_while_fresh() {
    let sim = RegistrySim::start();
    sim.citizen(ID, "Nguyễn Văn An", "1999-04-12", "Thủ Dầu Một");
    let p = population(&sim, Policy { cache_ttl: Duration::from_millis(300), ..policy() });
    for _ in 0..3 {
        p.citizen(&id()).expect("a citizen");
    }
    assert_eq!(sim.asked(POPULATION), 1);
    std::thread::sleep(Duration::from_millis(350));
    p.citizen(&id()).expect("a citizen");
    assert_eq!(sim.asked(POPULATION), 2);
}

dvc_tests::e2e_test!(an_enterprise_is_read_with_its_status_and_an_unknown_status_is_malformed);
fn an_enterprise_is_read_with_its_status_and_an_unknown_status_is_malformed() {
    let sim = RegistrySim::start();
    sim.enterprise("0312345673", "Công ty TNHH An Phát", "Nguyễn Văn An", "suspended");
    let b = HttpBusiness(Endpoint::new(Registry::Business, &sim.url, None, policy()));
    let code = TaxCode::parse("0312345673").expect("tax code");
    let e = b.enterprise(&code).expect("an enterprise");
    assert_eq!(e.status, EnterpriseStatus::Suspended);
    assert_eq!(e.legal_representative, "Nguyễn Văn An");
    let Verdict::Mismatch(d) = judge_enterprise("Công ty TNHH An Phát", &e) else { panic!("suspended") };
    assert_eq!(d[0].field, "status");
    sim.enterprise("0312345673", "Công ty TNHH An Phát", "Nguyễn Văn An", "bankrupt-ish");
    assert!(matches!(b.enterprise(&code), Err(LookupError::Malformed(_))));
    assert_eq!(b.enterprise(&TaxCode::parse("0100109106").expect("code")), Err(LookupError::NotFound));
    assert_eq!(sim.asked(BUSINESS), 3);
}

dvc_tests::e2e_test!(a_stored_document_comes_back_with_its_bytes_only_for_its_owner);
fn a_stored_document_comes_back_with_its_bytes_only_for_its_owner() {
    let sim = RegistrySim::start();
    sim.document("KQ-2026-000123", ID, "giay-khai-sinh.pdf", "application/pdf", b"%PDF-1.4 birth certificate");
    let store = HttpDataStore { endpoint: Endpoint::new(Registry::DataStore, &sim.url, None, policy()), max_bytes: 64 };
    let d = store.document("KQ-2026-000123", ID).expect("a document");
    assert_eq!(d.content, b"%PDF-1.4 birth certificate");
    assert_eq!(d.media_type, "application/pdf");
    assert_eq!(store.document("KQ-2026-000123", "079088001234"), Err(LookupError::NotFound));
    // Larger than a document may be: refused, not stored.
    let small = HttpDataStore { endpoint: Endpoint::new(Registry::DataStore, &sim.url, None, policy()), max_bytes: 8 };
    assert!(matches!(small.document("KQ-2026-000123", ID), Err(LookupError::Malformed(_))));
    sim.set_mode(Mode::Down);
    assert!(matches!(store.document("KQ-2026-000123", ID), Err(LookupError::Unavailable(_))));
    assert_eq!(sim.asked(DATA_STORE), 5);
}
