//! FlushStageCache and FlushStageAuthorizersCache. The caches themselves belong to the cache
//! and security layers; these operations are the control-plane half: the stage is checked, an
//! audit row is written, and a `GatewayEvent::Changed` with action `FlushStageCache` /
//! `FlushStageAuthorizersCache` and target `restapis/{api}/stages/{stage}` is published, which
//! is what a cache layer subscribes to.

use super::Actor;
use crate::engine::Gateway;
use crate::model::AdminError;

/// The `action` of the change event a stage-cache flush publishes.
pub const FLUSH_STAGE_CACHE: &str = "FlushStageCache";
/// The `action` of the change event an authorizer-cache flush publishes.
pub const FLUSH_STAGE_AUTHORIZERS_CACHE: &str = "FlushStageAuthorizersCache";

impl Gateway {
    /// Flushes the stage's response cache (AWS answers 202).
    pub async fn flush_stage_cache(
        &self,
        actor: &Actor,
        api_id: &str,
        stage_name: &str,
    ) -> Result<(), AdminError> {
        self.flush(actor, FLUSH_STAGE_CACHE, api_id, stage_name)
            .await
    }

    /// Flushes the stage's cached authorizer results (AWS answers 202).
    pub async fn flush_stage_authorizers_cache(
        &self,
        actor: &Actor,
        api_id: &str,
        stage_name: &str,
    ) -> Result<(), AdminError> {
        self.flush(actor, FLUSH_STAGE_AUTHORIZERS_CACHE, api_id, stage_name)
            .await?;
        self.inner.security.flush_stage(api_id, stage_name);
        Ok(())
    }

    async fn flush(
        &self,
        actor: &Actor,
        action: &str,
        api_id: &str,
        stage_name: &str,
    ) -> Result<(), AdminError> {
        let (id, stage) = (api_id.to_string(), stage_name.to_string());
        let target = format!("restapis/{api_id}/stages/{stage_name}");
        self.admin_op(actor, action, target, Some(id.clone()), move |txn| {
            let api = txn.api(&id)?;
            if !api.stages.contains_key(&stage) {
                return Err(AdminError::not_found("Invalid Stage identifier specified"));
            }
            txn.detail = serde_json::json!({ "stageName": stage });
            Ok(())
        })
        .await
    }
}
