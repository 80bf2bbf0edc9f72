//! `/v2/apis/{apiId}/routes|integrations|authorizers|stages|deployments[/{id}]`: Create and
//! List on the collection, Get, Update and Delete on one item. The collections share this
//! shape; [`Child`] names the engine's operations for each.

use std::future::Future;

use http::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{body_value, page};
use crate::engine::v2::{
    CreateAuthorizer, CreateDeployment, CreateIntegration, CreateRoute, CreateStage,
};
use crate::engine::{Actor, Gateway};
use crate::model::AdminError;
use crate::model::v2::{Authorizer, Deployment, Integration, Route, Stage};
use crate::server::mgmt::{Call, Reply, empty, ok, unknown};

/// One child collection of an HTTP API, by the engine's operations on it.
pub(super) trait Child: Serialize + Sized {
    /// The Create operation's body.
    type Create: DeserializeOwned;
    fn create(
        gw: &Gateway,
        actor: &Actor,
        api: &str,
        input: Self::Create,
    ) -> impl Future<Output = Result<Self, AdminError>> + Send;
    fn list(gw: &Gateway, api: &str) -> Result<Vec<Self>, AdminError>;
    fn get(gw: &Gateway, api: &str, id: &str) -> Result<Self, AdminError>;
    fn update(
        gw: &Gateway,
        actor: &Actor,
        api: &str,
        id: &str,
        patch: serde_json::Value,
    ) -> impl Future<Output = Result<Self, AdminError>> + Send;
    fn delete(
        gw: &Gateway,
        actor: &Actor,
        api: &str,
        id: &str,
    ) -> impl Future<Output = Result<(), AdminError>> + Send;
}

macro_rules! child {
    ($t:ty, $create_input:ty, $create:ident, $list:ident, $get:ident, $update:ident, $delete:ident) => {
        impl Child for $t {
            type Create = $create_input;
            fn create(
                gw: &Gateway,
                actor: &Actor,
                api: &str,
                input: $create_input,
            ) -> impl Future<Output = Result<Self, AdminError>> + Send {
                gw.$create(actor, api, input)
            }
            fn list(gw: &Gateway, api: &str) -> Result<Vec<Self>, AdminError> {
                gw.$list(api)
            }
            fn get(gw: &Gateway, api: &str, id: &str) -> Result<Self, AdminError> {
                gw.$get(api, id)
            }
            fn update(
                gw: &Gateway,
                actor: &Actor,
                api: &str,
                id: &str,
                patch: serde_json::Value,
            ) -> impl Future<Output = Result<Self, AdminError>> + Send {
                gw.$update(actor, api, id, patch)
            }
            fn delete(
                gw: &Gateway,
                actor: &Actor,
                api: &str,
                id: &str,
            ) -> impl Future<Output = Result<(), AdminError>> + Send {
                gw.$delete(actor, api, id)
            }
        }
    };
}

child!(
    Route,
    CreateRoute,
    create_http_route,
    list_http_routes,
    get_http_route,
    update_http_route,
    delete_http_route
);
child!(
    Integration,
    CreateIntegration,
    create_http_integration,
    list_http_integrations,
    get_http_integration,
    update_http_integration,
    delete_http_integration
);
child!(
    Authorizer,
    CreateAuthorizer,
    create_http_authorizer,
    list_http_authorizers,
    get_http_authorizer,
    update_http_authorizer,
    delete_http_authorizer
);

child!(
    Stage,
    CreateStage,
    create_http_stage,
    list_http_stages,
    get_http_stage,
    update_http_stage,
    delete_http_stage
);
child!(
    Deployment,
    CreateDeployment,
    create_http_deployment,
    list_http_deployments,
    get_http_deployment,
    update_http_deployment,
    delete_http_deployment
);

/// `POST` (Create, 201) and `GET` (List, paginated) on `/v2/apis/{api}/{children}`.
pub(super) async fn collection<T: Child>(call: &Call<'_>, api: &str) -> Reply {
    let (gw, actor) = (call.gw, &call.actor);
    match call.parts.method {
        Method::POST => {
            let input: T::Create = call.json()?;
            ok(
                StatusCode::CREATED,
                &T::create(gw, actor, api, input).await?,
            )
        }
        Method::GET => page(call, T::list(gw, api)?),
        _ => Err(unknown(call)),
    }
}

/// `GET`, `PATCH` (Update) and `DELETE` (204) on `/v2/apis/{api}/{children}/{id}`.
pub(super) async fn item<T: Child>(call: &Call<'_>, api: &str, id: &str) -> Reply {
    let (gw, actor) = (call.gw, &call.actor);
    match call.parts.method {
        Method::GET => ok(StatusCode::OK, &T::get(gw, api, id)?),
        Method::PATCH => ok(
            StatusCode::OK,
            &T::update(gw, actor, api, id, body_value(call)?).await?,
        ),
        Method::DELETE => {
            T::delete(gw, actor, api, id).await?;
            empty(StatusCode::NO_CONTENT)
        }
        _ => Err(unknown(call)),
    }
}
