//! `child.rs` one level down: the resources a route or an integration owns (route responses,
//! integration responses), addressed by the parent's id and their own. Create checks that the
//! API is a WebSocket API, that the parent exists and that the key is not taken, and takes a
//! fresh id; Get/List read the admin snapshot; Update merges the body over the resource (only
//! the updatable fields) and checks the result; Delete removes it (and the parent's entry when
//! it was the last). Every change commits the definition (and auto-deploys) through
//! `Gateway::admin_op`; the parent's `Child::on_delete` removes them with it.

use indexmap::IndexMap;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::child::Child;
use super::{HttpApiState, fresh_id, merge_update, not_found, not_found_api};
use crate::engine::{Actor, Gateway};
use crate::model::AdminError;
use crate::model::v2::{HttpApiDefinition, Integration, IntegrationResponse, Route, RouteResponse};

/// A collection owned by each route or integration of a WebSocket API.
pub(super) trait Grandchild: Clone + Serialize + DeserializeOwned + Send + 'static {
    type Parent: Child;
    /// `RouteResponse`, `IntegrationResponse`: what AWS's NotFound message names.
    const KIND: &'static str;
    /// The path segment: `routeresponses`.
    const SEGMENT: &'static str;
    /// `Route responses`, for the refusal on an HTTP API.
    const PLURAL: &'static str;
    /// The members UpdateX may change.
    const UPDATABLE: &'static [&'static str];
    fn id(&self) -> &str;
    fn key(&self) -> &str;
    fn map(def: &HttpApiDefinition) -> &IndexMap<String, Vec<Self>>;
    fn map_mut(def: &mut HttpApiDefinition) -> &mut IndexMap<String, Vec<Self>>;
    /// The resource's own checks against the API.
    fn check(api: &HttpApiState, x: &Self) -> Result<(), AdminError>;
}

impl Grandchild for RouteResponse {
    type Parent = Route;
    const KIND: &'static str = "RouteResponse";
    const SEGMENT: &'static str = "routeresponses";
    const PLURAL: &'static str = "Route responses";
    const UPDATABLE: &'static [&'static str] = &[
        "modelSelectionExpression",
        "responseModels",
        "responseParameters",
        "routeResponseKey",
    ];
    fn id(&self) -> &str {
        &self.route_response_id
    }
    fn key(&self) -> &str {
        &self.route_response_key
    }
    fn map(def: &HttpApiDefinition) -> &IndexMap<String, Vec<Self>> {
        &def.route_responses
    }
    fn map_mut(def: &mut HttpApiDefinition) -> &mut IndexMap<String, Vec<Self>> {
        &mut def.route_responses
    }
    fn check(api: &HttpApiState, r: &Self) -> Result<(), AdminError> {
        super::websocket::check_route_response(api, r)
    }
}

impl Grandchild for IntegrationResponse {
    type Parent = Integration;
    const KIND: &'static str = "IntegrationResponse";
    const SEGMENT: &'static str = "integrationresponses";
    const PLURAL: &'static str = "Integration responses";
    const UPDATABLE: &'static [&'static str] = &[
        "contentHandlingStrategy",
        "integrationResponseKey",
        "responseParameters",
        "responseTemplates",
        "templateSelectionExpression",
    ];
    fn id(&self) -> &str {
        &self.integration_response_id
    }
    fn key(&self) -> &str {
        &self.integration_response_key
    }
    fn map(def: &HttpApiDefinition) -> &IndexMap<String, Vec<Self>> {
        &def.integration_responses
    }
    fn map_mut(def: &mut HttpApiDefinition) -> &mut IndexMap<String, Vec<Self>> {
        &mut def.integration_responses
    }
    fn check(_api: &HttpApiState, r: &Self) -> Result<(), AdminError> {
        crate::model::v2::websocket::integration_response(r)
    }
}

/// `Route responses` → `route response`, `Integration` → `integration`.
fn lower(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn parent_exists<T: Grandchild>(def: &HttpApiDefinition, parent_id: &str) -> bool {
    T::Parent::list(def).iter().any(|p| p.id() == parent_id)
}

impl Gateway {
    /// Create{Kind}: `make` builds the resource with its fresh id.
    pub(super) async fn create_grandchild<T: Grandchild>(
        &self,
        actor: &Actor,
        api_id: &str,
        parent_id: &str,
        make: impl FnOnce(String) -> T + Send + 'static,
    ) -> Result<T, AdminError> {
        let (api_id, parent_id) = (api_id.to_string(), parent_id.to_string());
        self.admin_op(
            actor,
            &format!("Create{}", T::KIND),
            format!(
                "v2/apis/{api_id}/{}/{parent_id}/{}",
                T::Parent::SEGMENT,
                T::SEGMENT
            ),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                if !api.definition.is_websocket() {
                    return Err(AdminError::bad_request(format!(
                        "{} are only supported for WebSocket APIs",
                        T::PLURAL
                    )));
                }
                if !parent_exists::<T>(&api.definition, &parent_id) {
                    return Err(not_found(T::Parent::KIND, &api_id, &parent_id));
                }
                let taken = T::map(&api.definition).get(&parent_id);
                let id = fresh_id(6, |c| taken.is_some_and(|l| l.iter().any(|t| t.id() == c)));
                let x = make(id);
                T::check(api, &x)?;
                if taken.is_some_and(|l| l.iter().any(|t| t.key() == x.key())) {
                    let kind = lower(T::KIND);
                    return Err(AdminError::conflict(format!(
                        "Unable to create {kind}. {} key {} already exists for this {}",
                        capitalised(&kind),
                        x.key(),
                        lower(T::Parent::KIND)
                    )));
                }
                T::map_mut(&mut api.definition)
                    .entry(parent_id)
                    .or_default()
                    .push(x.clone());
                txn.commit_definition(&api_id)?;
                Ok(x)
            },
        )
        .await
    }

    pub(super) fn list_grandchildren<T: Grandchild>(
        &self,
        api_id: &str,
        parent_id: &str,
    ) -> Result<Vec<T>, AdminError> {
        self.read(|a| {
            let api = a
                .http_apis
                .get(api_id)
                .ok_or_else(|| not_found_api(api_id))?;
            if !parent_exists::<T>(&api.definition, parent_id) {
                return Err(not_found(T::Parent::KIND, api_id, parent_id));
            }
            Ok(T::map(&api.definition)
                .get(parent_id)
                .cloned()
                .unwrap_or_default())
        })
    }

    pub(super) fn get_grandchild<T: Grandchild>(
        &self,
        api_id: &str,
        parent_id: &str,
        id: &str,
    ) -> Result<T, AdminError> {
        self.list_grandchildren::<T>(api_id, parent_id)?
            .into_iter()
            .find(|x| x.id() == id)
            .ok_or_else(|| not_found(T::KIND, api_id, id))
    }

    /// Update{Kind}: the body merged over the resource (only `T::UPDATABLE`), then checked.
    pub(super) async fn update_grandchild<T: Grandchild>(
        &self,
        actor: &Actor,
        api_id: &str,
        parent_id: &str,
        id: &str,
        patch: serde_json::Value,
    ) -> Result<T, AdminError> {
        let (api_id, parent_id, id) = (api_id.to_string(), parent_id.to_string(), id.to_string());
        self.admin_op(
            actor,
            &format!("Update{}", T::KIND),
            format!(
                "v2/apis/{api_id}/{}/{parent_id}/{}/{id}",
                T::Parent::SEGMENT,
                T::SEGMENT
            ),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                let existing = T::map(&api.definition)
                    .get(&parent_id)
                    .and_then(|l| l.iter().find(|x| x.id() == id))
                    .ok_or_else(|| not_found(T::KIND, &api_id, &id))?;
                let x: T = merge_update(existing, &patch, T::UPDATABLE)?;
                T::check(api, &x)?;
                if let Some(slot) = T::map_mut(&mut api.definition)
                    .get_mut(&parent_id)
                    .and_then(|l| l.iter_mut().find(|s| s.id() == id))
                {
                    *slot = x.clone();
                }
                txn.commit_definition(&api_id)?;
                Ok(x)
            },
        )
        .await
    }

    /// Delete{Kind} (the parent's entry goes with its last one).
    pub(super) async fn delete_grandchild<T: Grandchild>(
        &self,
        actor: &Actor,
        api_id: &str,
        parent_id: &str,
        id: &str,
    ) -> Result<(), AdminError> {
        let (api_id, parent_id, id) = (api_id.to_string(), parent_id.to_string(), id.to_string());
        self.admin_op(
            actor,
            &format!("Delete{}", T::KIND),
            format!(
                "v2/apis/{api_id}/{}/{parent_id}/{}/{id}",
                T::Parent::SEGMENT,
                T::SEGMENT
            ),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                let map = T::map_mut(&mut api.definition);
                let list = map
                    .get_mut(&parent_id)
                    .ok_or_else(|| not_found(T::KIND, &api_id, &id))?;
                let before = list.len();
                list.retain(|x| x.id() != id);
                if list.len() == before {
                    return Err(not_found(T::KIND, &api_id, &id));
                }
                if list.is_empty() {
                    map.shift_remove(&parent_id);
                }
                txn.commit_definition(&api_id)
            },
        )
        .await
    }
}

/// `route response` → `Route response`.
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}
