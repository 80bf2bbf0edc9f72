//! Canary promotion and removal (model.md §10) as the console calls them: the same
//! UpdateStage patch operations AWS documents, applied as one admin operation.

use super::Actor;
use crate::engine::Gateway;
use crate::model::{AdminError, PatchOperation, Stage};

impl Gateway {
    /// Promotes the stage's canary: its deployment and variable overrides become the stage's
    /// and its traffic drops to 0 %; the canary settings stay in place (as on AWS). Without a
    /// canary: "Promotion not available. Canary does not exist.".
    pub async fn promote_canary(
        &self,
        actor: &Actor,
        api_id: &str,
        stage_name: &str,
    ) -> Result<Stage, AdminError> {
        // AWS's three operations; the copies go first so that a stage without a canary fails
        // instead of the percentTraffic replace creating one.
        let ops = vec![
            PatchOperation::copy("/canarySettings/stageVariableOverrides", "/variables"),
            PatchOperation::copy("/canarySettings/deploymentId", "/deploymentId"),
            PatchOperation::replace("/canarySettings/percentTraffic", "0.0"),
        ];
        self.update_stage(actor, api_id, stage_name, ops).await
    }

    /// Removes the stage's canary (`remove /canarySettings`); production is untouched.
    pub async fn delete_canary(
        &self,
        actor: &Actor,
        api_id: &str,
        stage_name: &str,
    ) -> Result<Stage, AdminError> {
        self.update_stage(
            actor,
            api_id,
            stage_name,
            vec![PatchOperation::remove("/canarySettings")],
        )
        .await
    }
}
