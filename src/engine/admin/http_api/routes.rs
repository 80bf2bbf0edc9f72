//! CreateRoute, GetRoute(s), UpdateRoute, DeleteRoute. A route's `target` must name an
//! integration of the API, its authorizer must exist and fit its `authorizationType`, and two
//! routes may not share a key.

use serde::Deserialize;

use super::HttpApiState;
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
    pub model_selection_expression: Option<String>,
    pub operation_name: Option<String>,
    pub request_models: indexmap::IndexMap<String, String>,
    pub route_key: String,
    pub route_response_selection_expression: Option<String>,
    pub target: Option<String>,
}

const UPDATABLE: &[&str] = &[
    "apiKeyRequired",
    "authorizationScopes",
    "authorizationType",
    "authorizerId",
    "operationName",
    "modelSelectionExpression",
    "requestModels",
    "routeResponseSelectionExpression",
    "routeKey",
    "target",
];

/// Checks a route against the API it belongs to.
fn check(api: &HttpApiState, route: &Route) -> Result<(), AdminError> {
    let websocket = api.definition.is_websocket();
    if websocket {
        crate::model::v2::websocket::route(route)?;
        for model in route.request_models.values() {
            if !api.definition.models.iter().any(|m| &m.name == model) {
                return Err(AdminError::bad_request(format!(
                    "Invalid model specified: {model} does not exist"
                )));
            }
        }
    } else {
        RouteKey::parse(&route.route_key)?;
        if route.route_response_selection_expression.is_some()
            || route.model_selection_expression.is_some()
            || !route.request_models.is_empty()
        {
            return Err(AdminError::bad_request(
                "Route responses and request models are only supported for WebSocket APIs",
            ));
        }
    }
    if api
        .definition
        .routes
        .iter()
        .any(|r| r.route_key == route.route_key && r.route_id != route.route_id)
    {
        // AWS's words (a real answer quoted in anomalyco/sst#5031).
        return Err(AdminError::conflict(format!(
            "Route with key {} already exists for this API",
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
    if !websocket {
        validate::authorization_type(&route.authorization_type)?;
    }
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
        self.create_child(actor, api_id, move |api, route_id| {
            let route = Route {
                api_gateway_managed: false,
                api_key_required: input.api_key_required,
                authorization_scopes: input.authorization_scopes,
                authorization_type: input.authorization_type.unwrap_or_else(|| "NONE".into()),
                authorizer_id: input.authorizer_id,
                operation_name: input.operation_name,
                model_selection_expression: input.model_selection_expression,
                request_models: input.request_models,
                route_response_selection_expression: input.route_response_selection_expression,
                route_id,
                route_key: input.route_key,
                target: input.target,
            };
            check(api, &route)?;
            Ok(route)
        })
        .await
    }

    pub fn get_http_route(&self, api_id: &str, route_id: &str) -> Result<Route, AdminError> {
        self.get_child(api_id, route_id)
    }

    pub fn list_http_routes(&self, api_id: &str) -> Result<Vec<Route>, AdminError> {
        self.list_children(api_id)
    }

    pub async fn update_http_route(
        &self,
        actor: &Actor,
        api_id: &str,
        route_id: &str,
        patch: serde_json::Value,
    ) -> Result<Route, AdminError> {
        self.update_child(
            actor,
            api_id,
            route_id,
            patch,
            UPDATABLE,
            |api, route: &mut Route| {
                if !matches!(route.authorization_type.as_str(), "JWT" | "CUSTOM") {
                    route.authorizer_id = None;
                }
                check(api, route)
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
        self.delete_child::<Route>(actor, api_id, route_id).await
    }
}
