//! CreateApi (with quick create: `target` + `routeKey`), GetApi(s), UpdateApi, DeleteApi,
//! DeleteCorsConfiguration.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Deserialize;

use super::{HttpApiState, fresh_id, merge_update, not_found_api};
use crate::engine::functions::parse_function_uri;
use crate::engine::{Actor, Gateway};
use crate::model::AdminError;
use crate::model::v2::{
    Api, Cors, DEFAULT, HttpApiDefinition, Integration, Route, RouteKey, RouteSettings, Stage,
    now_iso8601, validate,
};
use crate::store::{Change, V2Change};

/// CreateApi's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateApi {
    pub name: String,
    pub protocol_type: String,
    pub cors_configuration: Option<Cors>,
    pub credentials_arn: Option<String>,
    pub description: Option<String>,
    pub disable_execute_api_endpoint: bool,
    pub disable_schema_validation: Option<bool>,
    pub route_key: Option<String>,
    pub route_selection_expression: Option<String>,
    pub api_key_selection_expression: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub target: Option<String>,
    pub version: Option<String>,
}

const UPDATABLE: &[&str] = &[
    "name",
    "description",
    "corsConfiguration",
    "disableExecuteApiEndpoint",
    "version",
    "routeSelectionExpression",
    "apiKeySelectionExpression",
];

pub(crate) fn check_cors(c: &Cors) -> Result<(), AdminError> {
    if let Some(age) = c.max_age
        && !(-1..=86400).contains(&age)
    {
        return Err(AdminError::bad_request(format!(
            "Invalid maxAge specified: {age}. Must be between -1 and 86400"
        )));
    }
    if c.allow_credentials == Some(true) && c.allow_origins.iter().any(|o| o == "*") {
        return Err(AdminError::bad_request(
            "allow-credentials is not supported when allow-origins is '*'",
        ));
    }
    Ok(())
}

/// The integration quick create makes for `target`: a Lambda function (AWS_PROXY, 2.0) or a
/// URL (HTTP_PROXY, ANY).
fn quick_integration(target: &str) -> Result<Integration, AdminError> {
    let mut i = Integration {
        api_gateway_managed: true,
        integration_id: crate::model::ids::new_id(7),
        ..Integration::default()
    };
    if target.starts_with("http://") || target.starts_with("https://") {
        i.integration_type = "HTTP_PROXY".into();
        i.integration_method = Some("ANY".into());
        i.payload_format_version = Some("1.0".into());
    } else {
        i.integration_type = "AWS_PROXY".into();
        i.payload_format_version = Some("2.0".into());
    }
    i.integration_uri = Some(target.to_string());
    validate::integration(&mut i, &|u| parse_function_uri(u).is_some())?;
    Ok(i)
}

impl Gateway {
    pub async fn create_http_api(
        &self,
        actor: &Actor,
        input: CreateApi,
    ) -> Result<Api, AdminError> {
        let websocket = input.protocol_type == "WEBSOCKET";
        match input.protocol_type.as_str() {
            "HTTP" => {}
            "WEBSOCKET" => {
                crate::model::v2::websocket::route_selection_expression(
                    input
                        .route_selection_expression
                        .as_deref()
                        .unwrap_or_default(),
                )?;
                if let Some(e) = &input.api_key_selection_expression
                    && ![
                        "$request.header.x-api-key",
                        "$context.authorizer.usageIdentifierKey",
                    ]
                    .contains(&e.as_str())
                {
                    return Err(AdminError::bad_request(format!(
                        "Invalid API key selection expression specified: {e}. Valid values are $request.header.x-api-key, $context.authorizer.usageIdentifierKey"
                    )));
                }
                if input.cors_configuration.is_some() || input.target.is_some() {
                    return Err(AdminError::bad_request(
                        "CorsConfiguration, Target and RouteKey are only supported for HTTP APIs",
                    ));
                }
            }
            other => {
                return Err(AdminError::bad_request(format!(
                    "Invalid protocol type specified: '{other}'. Valid values are HTTP, WEBSOCKET"
                )));
            }
        }
        if input.name.is_empty() || input.name.len() > 128 {
            return Err(AdminError::bad_request(
                "Name is required and must be between 1 and 128 characters",
            ));
        }
        if let Some(c) = &input.cors_configuration {
            check_cors(c)?;
        }
        if input.route_key.is_some() && input.target.is_none() {
            return Err(AdminError::bad_request(
                "RouteKey can only be specified together with Target (quick create)",
            ));
        }
        let quick = match &input.target {
            Some(target) => {
                let key = input.route_key.clone().unwrap_or_else(|| DEFAULT.into());
                RouteKey::parse(&key)?;
                Some((key, quick_integration(target)?))
            }
            None => None,
        };
        self.admin_op(actor, "CreateApi", "v2/apis".into(), None, move |txn| {
            let apis = txn.http_apis_mut();
            let id = fresh_id(10, |c| apis.contains_key(c));
            let api = Api {
                api_id: id.clone(),
                api_key_selection_expression: Some(
                    input
                        .api_key_selection_expression
                        .unwrap_or_else(|| "$request.header.x-api-key".into()),
                ),
                cors_configuration: input.cors_configuration,
                created_date: Some(now_iso8601()),
                description: input.description,
                disable_execute_api_endpoint: input.disable_execute_api_endpoint,
                name: input.name,
                protocol_type: if websocket { "WEBSOCKET" } else { "HTTP" }.into(),
                route_selection_expression: Some(
                    input
                        .route_selection_expression
                        .unwrap_or_else(|| "$request.method $request.path".into()),
                ),
                tags: input.tags,
                version: input.version,
                api_endpoint: None,
            };
            let mut definition = HttpApiDefinition {
                api: api.clone(),
                ..HttpApiDefinition::default()
            };
            let mut stages = IndexMap::new();
            if let Some((key, integration)) = quick {
                definition.routes.push(Route {
                    api_gateway_managed: true,
                    authorization_type: "NONE".into(),
                    route_id: crate::model::ids::new_id(7),
                    route_key: key,
                    target: Some(format!("integrations/{}", integration.integration_id)),
                    ..Route::default()
                });
                definition.integrations.push(integration);
                let now = now_iso8601();
                stages.insert(
                    DEFAULT.to_string(),
                    Stage {
                        api_gateway_managed: true,
                        auto_deploy: true,
                        created_date: Some(now.clone()),
                        last_updated_date: Some(now),
                        default_route_settings: RouteSettings {
                            detailed_metrics_enabled: Some(false),
                            ..RouteSettings::default()
                        },
                        stage_name: DEFAULT.into(),
                        ..Stage::default()
                    },
                );
            }
            apis.insert(
                id.clone(),
                HttpApiState {
                    definition,
                    deployments: IndexMap::new(),
                    stages: stages.clone(),
                },
            );
            txn.put_http_definition(&id)?;
            for stage in stages.into_values() {
                txn.changes.push(Change::V2(V2Change::PutStage {
                    api_id: id.clone(),
                    stage: Box::new(stage),
                }));
            }
            txn.auto_deploy(&id)?;
            Ok(api)
        })
        .await
    }

    pub fn get_http_api(&self, id: &str) -> Result<Api, AdminError> {
        self.read(|a| {
            a.http_apis
                .get(id)
                .map(|s| s.definition.api.clone())
                .ok_or_else(|| not_found_api(id))
        })
    }

    pub fn list_http_apis(&self) -> Result<Vec<Api>, AdminError> {
        self.read(|a| {
            Ok(a.http_apis
                .values()
                .map(|s| s.definition.api.clone())
                .collect())
        })
    }

    /// UpdateApi: the body's fields replace the API's.
    pub async fn update_http_api(
        &self,
        actor: &Actor,
        id: &str,
        patch: serde_json::Value,
    ) -> Result<Api, AdminError> {
        let id = id.to_string();
        self.admin_op(
            actor,
            "UpdateApi",
            format!("v2/apis/{id}"),
            Some(id.clone()),
            move |txn| {
                let state = txn.http_api_mut(&id)?;
                let api: Api = merge_update(&state.definition.api, &patch, UPDATABLE)?;
                if let Some(c) = &api.cors_configuration {
                    check_cors(c)?;
                }
                if api.name.is_empty() {
                    return Err(AdminError::bad_request("Name must not be empty"));
                }
                if api.protocol_type == "WEBSOCKET" {
                    crate::model::v2::websocket::route_selection_expression(
                        api.route_selection_expression
                            .as_deref()
                            .unwrap_or_default(),
                    )?;
                    if api.cors_configuration.is_some() {
                        return Err(AdminError::bad_request(
                            "CorsConfiguration is only supported for HTTP APIs",
                        ));
                    }
                }
                state.definition.api = api.clone();
                txn.commit_definition(&id)?;
                Ok(api)
            },
        )
        .await
    }

    pub async fn delete_http_cors(&self, actor: &Actor, id: &str) -> Result<(), AdminError> {
        let id = id.to_string();
        self.admin_op(
            actor,
            "DeleteCorsConfiguration",
            format!("v2/apis/{id}/cors"),
            Some(id.clone()),
            move |txn| {
                txn.http_api_mut(&id)?.definition.api.cors_configuration = None;
                txn.commit_definition(&id)
            },
        )
        .await
    }

    /// DeleteApi, with its stages and deployments. Refused while a custom domain maps to it.
    pub async fn delete_http_api(&self, actor: &Actor, id: &str) -> Result<(), AdminError> {
        let id = id.to_string();
        self.admin_op(actor, "DeleteApi", format!("v2/apis/{id}"), Some(id.clone()), move |txn| {
            if txn.http_apis_mut().shift_remove(&id).is_none() {
                return Err(not_found_api(&id));
            }
            if let Some(domain) = txn
                .admin()
                .domains
                .values()
                .find(|d| d.mappings.iter().any(|m| m.rest_api_id == id))
            {
                return Err(AdminError::conflict(format!(
                    "Cannot delete API {id}: the custom domain {} still has an API mapping to it",
                    domain.domain.domain_name
                )));
            }
            txn.changes.push(Change::V2(V2Change::DeleteApi(id.clone())));
            Ok(())
        })
        .await
    }
}
