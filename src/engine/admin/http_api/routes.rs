//! CreateRoute, GetRoute(s), UpdateRoute, DeleteRoute. A route's `target` must name an
//! integration of the API, its authorizer must exist and fit its `authorizationType`, and two
//! routes may not share a key.

use serde::Deserialize;

use super::{HttpApiState, fresh_id, merge_update, not_found, not_found_api};
use crate::engine::{Actor, Gateway};
use crate::model::AdminError;
use crate::model::v2::{Route, RouteKey, validate};

/// CreateRoute's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateRoute {
    pub api_key_required: bool,
    pub authorization_scopes: Vec<String>,
    pub authorization_type: Option<String>,
    pub authorizer_id: Option<String>,
    pub operation_name: Option<String>,
    pub route_key: String,
    pub target: Option<String>,
}

const UPDATABLE: &[&str] = &[
    "apiKeyRequired",
    "authorizationScopes",
    "authorizationType",
    "authorizerId",
    "operationName",
    "routeKey",
    "target",
];

/// Checks a route against the API it belongs to.
fn check(api: &HttpApiState, route: &Route) -> Result<(), AdminError> {
    RouteKey::parse(&route.route_key)?;
    if api
        .definition
        .routes
        .iter()
        .any(|r| r.route_key == route.route_key && r.route_id != route.route_id)
    {
        return Err(AdminError::conflict(format!(
            "Unable to create route. Route key {} already exists for this API",
            route.route_key
        )));
    }
    if let Some(target) = &route.target {
        let id = route.integration_id().ok_or_else(|| {
            AdminError::bad_request(format!(
                "Invalid target specified: '{target}'. A target is integrations/{{integrationId}}"
            ))
        })?;
        if api.definition.integration(id).is_none() {
            return Err(AdminError::bad_request(format!(
                "Invalid integration identifier specified: {id} does not exist"
            )));
        }
    }
    validate::authorization_type(&route.authorization_type)?;
    if route.authorization_scopes.len() > 10 {
        return Err(AdminError::bad_request(
            "A route allows at most 10 authorization scopes",
        ));
    }
    match route.authorization_type.as_str() {
        "JWT" | "CUSTOM" => {
            let id = route.authorizer_id.as_deref().ok_or_else(|| {
                AdminError::bad_request(format!(
                    "AuthorizerId is required for authorization type {}",
                    route.authorization_type
                ))
            })?;
            let a = api.definition.authorizer(id).ok_or_else(|| {
                AdminError::bad_request(format!("Invalid authorizer identifier specified: {id}"))
            })?;
            let expected = if route.authorization_type == "JWT" {
                "JWT"
            } else {
                "REQUEST"
            };
            if a.authorizer_type != expected {
                return Err(AdminError::bad_request(format!(
                    "Authorization type {} requires a {expected} authorizer; {id} is {}",
                    route.authorization_type, a.authorizer_type
                )));
            }
        }
        _ => {
            if route.authorizer_id.is_some() {
                return Err(AdminError::bad_request(format!(
                    "AuthorizerId is not allowed with authorization type {}",
                    route.authorization_type
                )));
            }
        }
    }
    if !route.authorization_scopes.is_empty() && route.authorization_type != "JWT" {
        return Err(AdminError::bad_request(
            "AuthorizationScopes are only supported with JWT authorization",
        ));
    }
    Ok(())
}

impl Gateway {
    pub async fn create_http_route(
        &self,
        actor: &Actor,
        api_id: &str,
        input: CreateRoute,
    ) -> Result<Route, AdminError> {
        let api_id = api_id.to_string();
        self.admin_op(
            actor,
            "CreateRoute",
            format!("v2/apis/{api_id}/routes"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                if api.definition.routes.len() >= 300 {
                    return Err(AdminError::LimitExceeded(
                        "An HTTP API allows at most 300 routes".into(),
                    ));
                }
                let route = Route {
                    api_gateway_managed: false,
                    api_key_required: input.api_key_required,
                    authorization_scopes: input.authorization_scopes,
                    authorization_type: input.authorization_type.unwrap_or_else(|| "NONE".into()),
                    authorizer_id: input.authorizer_id,
                    operation_name: input.operation_name,
                    route_id: fresh_id(7, |c| api.definition.route(c).is_some()),
                    route_key: input.route_key,
                    target: input.target,
                };
                check(api, &route)?;
                api.definition.routes.push(route.clone());
                txn.commit_definition(&api_id)?;
                Ok(route)
            },
        )
        .await
    }

    pub fn get_http_route(&self, api_id: &str, route_id: &str) -> Result<Route, AdminError> {
        self.read(|a| {
            a.http_apis
                .get(api_id)
                .ok_or_else(|| not_found_api(api_id))?
                .definition
                .route(route_id)
                .cloned()
                .ok_or_else(|| not_found("Route", api_id, route_id))
        })
    }

    pub fn list_http_routes(&self, api_id: &str) -> Result<Vec<Route>, AdminError> {
        self.read(|a| {
            Ok(a.http_apis
                .get(api_id)
                .ok_or_else(|| not_found_api(api_id))?
                .definition
                .routes
                .clone())
        })
    }

    pub async fn update_http_route(
        &self,
        actor: &Actor,
        api_id: &str,
        route_id: &str,
        patch: serde_json::Value,
    ) -> Result<Route, AdminError> {
        let (api_id, route_id) = (api_id.to_string(), route_id.to_string());
        self.admin_op(
            actor,
            "UpdateRoute",
            format!("v2/apis/{api_id}/routes/{route_id}"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                let index = api
                    .definition
                    .routes
                    .iter()
                    .position(|r| r.route_id == route_id)
                    .ok_or_else(|| not_found("Route", &api_id, &route_id))?;
                let mut route: Route =
                    merge_update(&api.definition.routes[index], &patch, UPDATABLE)?;
                if !matches!(route.authorization_type.as_str(), "JWT" | "CUSTOM") {
                    route.authorizer_id = None;
                }
                check(api, &route)?;
                api.definition.routes[index] = route.clone();
                txn.commit_definition(&api_id)?;
                Ok(route)
            },
        )
        .await
    }

    pub async fn delete_http_route(
        &self,
        actor: &Actor,
        api_id: &str,
        route_id: &str,
    ) -> Result<(), AdminError> {
        let (api_id, route_id) = (api_id.to_string(), route_id.to_string());
        self.admin_op(
            actor,
            "DeleteRoute",
            format!("v2/apis/{api_id}/routes/{route_id}"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                let before = api.definition.routes.len();
                api.definition.routes.retain(|r| r.route_id != route_id);
                if api.definition.routes.len() == before {
                    return Err(not_found("Route", &api_id, &route_id));
                }
                txn.commit_definition(&api_id)
            },
        )
        .await
    }
}
