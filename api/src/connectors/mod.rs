//! The connectors to the national databases (docs/RULES.md §11), each an
//! HTTP adapter for its trait in `dvc_domain::registry`, speaking the
//! contract written down in docs/NATIONAL-DATABASES.md (version 1) through
//! the province's integration platform (LGSP).

pub mod check;
pub mod resilient;

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::NaiveDate;
use dvc_domain::dossier::{PersonalId, TaxCode};
use dvc_domain::registry::{
    BusinessRegistry, Citizen, DataStore, Enterprise, EnterpriseStatus, LookupError, PopulationRegistry, Registry,
    StoredDocument,
};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use resilient::{Endpoint, Policy};

pub const POPULATION_PATH: &str = "/v1/citizens/lookup";
pub const BUSINESS_PATH: &str = "/v1/enterprises/lookup";
pub const DATA_STORE_PATH: &str = "/v1/documents/fetch";

#[derive(Serialize)]
struct CitizenQuery<'a> {
    id_number: &'a str,
}

#[derive(Deserialize)]
struct CitizenAnswer {
    id_number: String,
    full_name: String,
    #[serde(default)]
    date_of_birth: Option<NaiveDate>,
    #[serde(default)]
    permanent_address: Option<String>,
}

/// The population database over HTTP.
pub struct HttpPopulation(pub Endpoint);

impl PopulationRegistry for HttpPopulation {
    fn citizen(&self, id: &PersonalId) -> Result<Citizen, LookupError> {
        let a: CitizenAnswer = self.0.ask(POPULATION_PATH, id.as_str(), &CitizenQuery { id_number: id.as_str() })?;
        if a.id_number != id.as_str() {
            return Err(LookupError::Malformed("the answer is about another ID number".into()));
        }
        if a.full_name.trim().is_empty() {
            return Err(LookupError::Malformed("the answer has no name".into()));
        }
        Ok(Citizen {
            id_number: a.id_number,
            full_name: a.full_name,
            date_of_birth: a.date_of_birth,
            permanent_address: a.permanent_address,
        })
    }
}

#[derive(Serialize)]
struct EnterpriseQuery<'a> {
    code: &'a str,
}

#[derive(Deserialize)]
struct EnterpriseAnswer {
    code: String,
    name: String,
    legal_representative: String,
    status: String,
}

/// The business registration database over HTTP.
pub struct HttpBusiness(pub Endpoint);

impl BusinessRegistry for HttpBusiness {
    fn enterprise(&self, code: &TaxCode) -> Result<Enterprise, LookupError> {
        let a: EnterpriseAnswer = self.0.ask(BUSINESS_PATH, code.as_str(), &EnterpriseQuery { code: code.as_str() })?;
        if a.code != code.as_str() && a.code != code.enterprise() {
            return Err(LookupError::Malformed("the answer is about another enterprise".into()));
        }
        let status = EnterpriseStatus::parse(&a.status)
            .ok_or_else(|| LookupError::Malformed(format!("unknown enterprise status {:?}", a.status)))?;
        if a.name.trim().is_empty() {
            return Err(LookupError::Malformed("the answer has no name".into()));
        }
        Ok(Enterprise { code: a.code, name: a.name, legal_representative: a.legal_representative, status })
    }
}

#[derive(Serialize)]
struct DocumentQuery<'a> {
    code: &'a str,
    owner_id: &'a str,
}

#[derive(Deserialize)]
struct DocumentAnswer {
    code: String,
    owner_id: String,
    name: String,
    media_type: String,
    content_base64: String,
    #[serde(default)]
    issued_by: Option<String>,
}

/// The citizen's digital data store over HTTP.
pub struct HttpDataStore {
    pub endpoint: Endpoint,
    pub max_bytes: usize,
}

impl DataStore for HttpDataStore {
    fn document(&self, code: &str, owner_id: &str) -> Result<StoredDocument, LookupError> {
        let key = format!("{owner_id} {code}");
        let a: DocumentAnswer = self.endpoint.ask(DATA_STORE_PATH, &key, &DocumentQuery { code, owner_id })?;
        if a.code != code || a.owner_id != owner_id {
            return Err(LookupError::Malformed("the answer is about another document or owner".into()));
        }
        let content = STANDARD
            .decode(a.content_base64.as_bytes())
            .map_err(|_| LookupError::Malformed("the document's content is not base64".into()))?;
        if content.is_empty() || content.len() > self.max_bytes {
            return Err(LookupError::Malformed(format!(
                "the document is empty or larger than {} bytes",
                self.max_bytes
            )));
        }
        Ok(StoredDocument {
            code: a.code,
            owner_id: a.owner_id,
            name: a.name,
            media_type: a.media_type,
            content,
            issued_by: a.issued_by,
        })
    }
}

/// The configured connectors; a database without a URL is not asked.
#[derive(Clone, Default)]
pub struct Connectors {
    pub population: Option<Arc<dyn PopulationRegistry>>,
    pub business: Option<Arc<dyn BusinessRegistry>>,
    pub data_store: Option<Arc<dyn DataStore>>,
    /// The breakers, for the readiness check.
    pub endpoints: Vec<(Registry, Arc<dyn Fn() -> resilient::BreakerState + Send + Sync>)>,
    /// The longest a look-up can hold a request.
    pub bound: Duration,
}

impl Connectors {
    pub fn from_config(c: &Config) -> Self {
        let policy = Policy {
            timeout: Duration::from_millis(c.registry_timeout_ms.max(1)),
            retries: c.registry_retries,
            retry_base: Duration::from_millis(100),
            breaker_failures: c.registry_breaker_failures,
            breaker_pause: Duration::from_secs(c.registry_breaker_pause_secs),
            cache_ttl: Duration::from_secs(c.registry_cache_secs),
        };
        let mut out = Connectors { bound: policy.bound(), ..Default::default() };
        let endpoint = |registry, url: &str| Endpoint::new(registry, url, c.lgsp_token.clone(), policy.clone());
        if let Some(url) = &c.population_url {
            let a = Arc::new(HttpPopulation(endpoint(Registry::Population, url)));
            let w = a.clone();
            out.endpoints.push((Registry::Population, Arc::new(move || w.0.breaker_state())));
            out.population = Some(a);
        }
        if let Some(url) = &c.business_registry_url {
            let a = Arc::new(HttpBusiness(endpoint(Registry::Business, url)));
            let w = a.clone();
            out.endpoints.push((Registry::Business, Arc::new(move || w.0.breaker_state())));
            out.business = Some(a);
        }
        if let Some(url) = &c.data_store_url {
            // Documents are not cached: they are large, and read once per dossier.
            let no_cache = Policy { cache_ttl: Duration::ZERO, ..policy.clone() };
            let a = Arc::new(HttpDataStore {
                endpoint: Endpoint::new(Registry::DataStore, url, c.lgsp_token.clone(), no_cache),
                max_bytes: c.max_document_bytes,
            });
            let w = a.clone();
            out.endpoints.push((Registry::DataStore, Arc::new(move || w.endpoint.breaker_state())));
            out.data_store = Some(a);
        }
        out
    }
}
