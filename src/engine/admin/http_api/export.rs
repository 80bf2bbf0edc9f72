//! ExportApi (OpenAPI 3, JSON or YAML, with or without the API Gateway extensions) and
//! ImportApi (a new HTTP API from an OpenAPI 3 document).

use indexmap::IndexMap;

use super::{HttpApiState, fresh_id, not_found, not_found_api};
use crate::engine::functions::parse_function_uri;
use crate::engine::{Actor, Gateway};
use crate::model::AdminError;
use crate::model::v2::{Api, HttpApiDefinition, Route, RouteKey, now_iso8601, validate};
use crate::openapi::http_api;

impl Gateway {
    /// ExportApi: `specification` must be `OAS30`; `stage_name` exports what that stage
    /// serves, otherwise the current definition.
    pub fn export_http_api(
        &self,
        api_id: &str,
        specification: &str,
        output_type: &str,
        stage_name: Option<&str>,
        include_extensions: bool,
    ) -> Result<String, AdminError> {
        if specification != "OAS30" {
            return Err(AdminError::bad_request(format!(
                "Invalid specification specified: {specification}. Valid values are OAS30"
            )));
        }
        let yaml = match output_type {
            "YAML" => true,
            "JSON" => false,
            other => {
                return Err(AdminError::bad_request(format!(
                    "Invalid outputType specified: {other}. Valid values are JSON, YAML"
                )));
            }
        };
        let def = self.read(|a| {
            let api = a
                .http_apis
                .get(api_id)
                .ok_or_else(|| not_found_api(api_id))?;
            match stage_name {
                None => Ok(api.definition.clone()),
                Some(s) => {
                    let stage = api
                        .stages
                        .get(s)
                        .ok_or_else(|| not_found("Stage", api_id, s))?;
                    stage
                        .deployment_id
                        .as_deref()
                        .and_then(|d| api.deployments.get(d))
                        .map(|d| (*d.snapshot).clone())
                        .ok_or_else(|| {
                            AdminError::bad_request(format!(
                                "Stage {s} has no deployment to export"
                            ))
                        })
                }
            }
        })?;
        http_api::export(&def, stage_name, include_extensions, yaml)
            .map_err(|e| AdminError::Internal(format!("cannot write the document: {e}")))
    }

    /// ImportApi: a new HTTP API from an OpenAPI 3 document; nothing is stored on an error.
    pub async fn import_http_api(
        &self,
        actor: &Actor,
        text: &str,
        fail_on_warnings: bool,
    ) -> Result<(Api, Vec<String>), AdminError> {
        let (mut def, warnings) = parse_document(text, fail_on_warnings)?;
        let api = self
            .admin_op(actor, "ImportApi", "v2/apis".into(), None, move |txn| {
                let apis = txn.http_apis_mut();
                let id = fresh_id(10, |c| apis.contains_key(c));
                def.api = Api {
                    api_id: id.clone(),
                    api_key_selection_expression: Some("$request.header.x-api-key".into()),
                    created_date: Some(now_iso8601()),
                    protocol_type: "HTTP".into(),
                    route_selection_expression: Some("$request.method $request.path".into()),
                    ..def.api
                };
                let api = def.api.clone();
                apis.insert(
                    id.clone(),
                    HttpApiState {
                        definition: def,
                        deployments: IndexMap::new(),
                        stages: IndexMap::new(),
                    },
                );
                txn.put_http_definition(&id)?;
                Ok(api)
            })
            .await?;
        Ok((api, warnings))
    }
}

impl Gateway {
    /// ReimportApi: the document replaces the API's routes, integrations, authorizers, name,
    /// description, version and CORS; its id, tags and stages stay (auto-deploy stages are
    /// deployed). Nothing is stored on an error.
    pub async fn reimport_http_api(
        &self,
        actor: &Actor,
        api_id: &str,
        text: &str,
        fail_on_warnings: bool,
    ) -> Result<(Api, Vec<String>), AdminError> {
        let (parsed, warnings) = parse_document(text, fail_on_warnings)?;
        let api_id = api_id.to_string();
        let api = self
            .admin_op(
                actor,
                "ReimportApi",
                format!("v2/apis/{api_id}"),
                Some(api_id.clone()),
                move |txn| {
                    let state = txn.http_api_mut(&api_id)?;
                    let old = state.definition.api.clone();
                    state.definition = HttpApiDefinition {
                        api: Api {
                            name: parsed.api.name,
                            description: parsed.api.description,
                            version: parsed.api.version,
                            cors_configuration: parsed.api.cors_configuration,
                            ..old
                        },
                        ..parsed
                    };
                    let api = state.definition.api.clone();
                    txn.commit_definition(&api_id)?;
                    Ok(api)
                },
            )
            .await?;
        Ok((api, warnings))
    }
}

/// The definition an OpenAPI 3 document describes (its `api` holds the name, description,
/// version and CORS), with the import's warnings. Every route, integration and authorizer is
/// checked as its Create operation would.
fn parse_document(
    text: &str,
    fail_on_warnings: bool,
) -> Result<(HttpApiDefinition, Vec<String>), AdminError> {
    let imported = http_api::import(text)
        .map_err(|e| AdminError::bad_request(format!("Invalid OpenAPI input: {e}")))?;
    if fail_on_warnings && !imported.warnings.is_empty() {
        return Err(AdminError::bad_request(format!(
            "Warnings found during import: {}",
            imported.warnings.join("; ")
        )));
    }
    let is_function = |u: &str| parse_function_uri(u).is_some();
    let mut def = HttpApiDefinition::default();
    for mut a in imported.authorizers {
        a.authorizer_id = fresh_id(6, |c| def.authorizer(c).is_some());
        validate::authorizer(&mut a, &is_function)?;
        def.authorizers.push(a);
    }
    for (mut route, integration, security) in imported.routes {
        RouteKey::parse(&route.route_key)?;
        if let Some(mut i) = integration {
            i.integration_id = fresh_id(7, |c| def.integration(c).is_some());
            validate::integration(&mut i, &is_function)?;
            route.target = Some(format!("integrations/{}", i.integration_id));
            def.integrations.push(i);
        }
        if let Some((name, scopes)) = security {
            let a = def
                .authorizers
                .iter()
                .find(|a| a.name == name)
                .ok_or_else(|| {
                    AdminError::bad_request(format!(
                        "Invalid OpenAPI input: route {} names the unknown security scheme {name}",
                        route.route_key
                    ))
                })?;
            route.authorization_type = if a.authorizer_type == "JWT" {
                "JWT"
            } else {
                "CUSTOM"
            }
            .into();
            route.authorizer_id = Some(a.authorizer_id.clone());
            route.authorization_scopes = scopes;
        }
        route.route_id = fresh_id(7, |c| def.route(c).is_some());
        if def
            .routes
            .iter()
            .any(|r: &Route| r.route_key == route.route_key)
        {
            return Err(AdminError::bad_request(format!(
                "Invalid OpenAPI input: route {} appears twice",
                route.route_key
            )));
        }
        def.routes.push(route);
    }
    if let Some(c) = &imported.cors {
        super::apis::check_cors(c)?;
    }
    def.api = Api {
        name: imported.name,
        description: imported.description,
        version: imported.version,
        cors_configuration: imported.cors,
        ..Api::default()
    };
    Ok((def, imported.warnings))
}
