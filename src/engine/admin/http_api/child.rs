//! What the operations on routes, integrations and authorizers share: each is a child of an
//! HTTP API's working definition, addressed by id. Create checks the API's limit and takes a
//! fresh id; Get/List read the admin snapshot; Update merges the body over the child
//! (`merge_update`, only the updatable fields), checks the result against the API and stores
//! it; Delete removes it unless something still uses it. Every change commits the
//! definition (and auto-deploys) through `Gateway::admin_op`.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{HttpApiState, fresh_id, merge_update, not_found, not_found_api};
use crate::engine::{Actor, Gateway};
use crate::model::AdminError;
use crate::model::v2::{Authorizer, HttpApiDefinition, Integration, Route};

/// A child collection of an HTTP API definition.
pub(super) trait Child: Clone + Serialize + DeserializeOwned + Send + 'static {
    /// `Route`, `Integration`, `Authorizer`: what AWS's NotFound message names.
    const KIND: &'static str;
    /// The path segment and plural: `routes`.
    const SEGMENT: &'static str;
    /// How many an API may have.
    const LIMIT: usize;
    /// The length of a fresh id.
    const ID_LEN: usize;
    fn id(&self) -> &str;
    fn list(def: &HttpApiDefinition) -> &Vec<Self>;
    fn list_mut(def: &mut HttpApiDefinition) -> &mut Vec<Self>;
    /// A route that still needs child `id` (so Delete is refused), with what it does with
    /// it (`targets`, `uses`).
    fn used_by<'d>(_def: &'d HttpApiDefinition, _id: &str) -> Option<(&'d Route, &'static str)> {
        None
    }
    /// What goes with child `id` when it is deleted (its route or integration responses).
    fn on_delete(_def: &mut HttpApiDefinition, _id: &str) {}
}

impl Child for Route {
    const KIND: &'static str = "Route";
    const SEGMENT: &'static str = "routes";
    const LIMIT: usize = 300;
    const ID_LEN: usize = 7;
    fn id(&self) -> &str {
        &self.route_id
    }
    fn list(def: &HttpApiDefinition) -> &Vec<Self> {
        &def.routes
    }
    fn list_mut(def: &mut HttpApiDefinition) -> &mut Vec<Self> {
        &mut def.routes
    }
    fn on_delete(def: &mut HttpApiDefinition, id: &str) {
        def.route_responses.shift_remove(id);
    }
}

impl Child for Integration {
    const KIND: &'static str = "Integration";
    const SEGMENT: &'static str = "integrations";
    const LIMIT: usize = 300;
    const ID_LEN: usize = 7;
    fn id(&self) -> &str {
        &self.integration_id
    }
    fn list(def: &HttpApiDefinition) -> &Vec<Self> {
        &def.integrations
    }
    fn list_mut(def: &mut HttpApiDefinition) -> &mut Vec<Self> {
        &mut def.integrations
    }
    fn used_by<'d>(def: &'d HttpApiDefinition, id: &str) -> Option<(&'d Route, &'static str)> {
        let r = def.routes.iter().find(|r| r.integration_id() == Some(id))?;
        Some((r, "targets"))
    }
    fn on_delete(def: &mut HttpApiDefinition, id: &str) {
        def.integration_responses.shift_remove(id);
    }
}

impl Child for Authorizer {
    const KIND: &'static str = "Authorizer";
    const SEGMENT: &'static str = "authorizers";
    const LIMIT: usize = 10;
    const ID_LEN: usize = 6;
    fn id(&self) -> &str {
        &self.authorizer_id
    }
    fn list(def: &HttpApiDefinition) -> &Vec<Self> {
        &def.authorizers
    }
    fn list_mut(def: &mut HttpApiDefinition) -> &mut Vec<Self> {
        &mut def.authorizers
    }
    fn used_by<'d>(def: &'d HttpApiDefinition, id: &str) -> Option<(&'d Route, &'static str)> {
        let r = def
            .routes
            .iter()
            .find(|r| r.authorizer_id.as_deref() == Some(id))?;
        Some((r, "uses"))
    }
}

impl Gateway {
    /// Create{Kind}: `make` builds the child with its fresh id and checks it against the API.
    pub(super) async fn create_child<T: Child>(
        &self,
        actor: &Actor,
        api_id: &str,
        make: impl FnOnce(&HttpApiState, String) -> Result<T, AdminError> + Send + 'static,
    ) -> Result<T, AdminError> {
        let api_id = api_id.to_string();
        self.admin_op(
            actor,
            &format!("Create{}", T::KIND),
            format!("v2/apis/{api_id}/{}", T::SEGMENT),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                let list = T::list(&api.definition);
                if list.len() >= T::LIMIT {
                    return Err(AdminError::LimitExceeded(format!(
                        "An HTTP API allows at most {} {}",
                        T::LIMIT,
                        T::SEGMENT
                    )));
                }
                let id = fresh_id(T::ID_LEN, |c| list.iter().any(|x| x.id() == c));
                let child = make(api, id)?;
                T::list_mut(&mut api.definition).push(child.clone());
                txn.commit_definition(&api_id)?;
                Ok(child)
            },
        )
        .await
    }

    pub(super) fn get_child<T: Child>(&self, api_id: &str, id: &str) -> Result<T, AdminError> {
        self.read(|a| {
            let api = a
                .http_apis
                .get(api_id)
                .ok_or_else(|| not_found_api(api_id))?;
            T::list(&api.definition)
                .iter()
                .find(|x| x.id() == id)
                .cloned()
                .ok_or_else(|| not_found(T::KIND, api_id, id))
        })
    }

    pub(super) fn list_children<T: Child>(&self, api_id: &str) -> Result<Vec<T>, AdminError> {
        self.read(|a| {
            let api = a
                .http_apis
                .get(api_id)
                .ok_or_else(|| not_found_api(api_id))?;
            Ok(T::list(&api.definition).clone())
        })
    }

    /// Update{Kind}: the body merged over the child (only `updatable` fields), then `check`
    /// (which may complete the child) against the API.
    pub(super) async fn update_child<T: Child>(
        &self,
        actor: &Actor,
        api_id: &str,
        id: &str,
        patch: serde_json::Value,
        updatable: &'static [&'static str],
        check: impl FnOnce(&HttpApiState, &mut T) -> Result<(), AdminError> + Send + 'static,
    ) -> Result<T, AdminError> {
        let (api_id, id) = (api_id.to_string(), id.to_string());
        self.admin_op(
            actor,
            &format!("Update{}", T::KIND),
            format!("v2/apis/{api_id}/{}/{id}", T::SEGMENT),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                let index = T::list(&api.definition)
                    .iter()
                    .position(|x| x.id() == id)
                    .ok_or_else(|| not_found(T::KIND, &api_id, &id))?;
                let mut child: T =
                    merge_update(&T::list(&api.definition)[index], &patch, updatable)?;
                check(api, &mut child)?;
                T::list_mut(&mut api.definition)[index] = child.clone();
                txn.commit_definition(&api_id)?;
                Ok(child)
            },
        )
        .await
    }

    /// Delete{Kind}; refused with a ConflictException while a route needs it.
    pub(super) async fn delete_child<T: Child>(
        &self,
        actor: &Actor,
        api_id: &str,
        id: &str,
    ) -> Result<(), AdminError> {
        let (api_id, id) = (api_id.to_string(), id.to_string());
        self.admin_op(
            actor,
            &format!("Delete{}", T::KIND),
            format!("v2/apis/{api_id}/{}/{id}", T::SEGMENT),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                if !T::list(&api.definition).iter().any(|x| x.id() == id) {
                    return Err(not_found(T::KIND, &api_id, &id));
                }
                if let Some((r, verb)) = T::used_by(&api.definition, &id) {
                    return Err(AdminError::conflict(format!(
                        "Cannot delete {} {id}: route {} ({}) {verb} it",
                        T::KIND.to_ascii_lowercase(),
                        r.route_id,
                        r.route_key
                    )));
                }
                T::list_mut(&mut api.definition).retain(|x| x.id() != id);
                T::on_delete(&mut api.definition, &id);
                txn.commit_definition(&api_id)
            },
        )
        .await
    }
}
