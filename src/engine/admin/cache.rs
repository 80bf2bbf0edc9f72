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
            .await?;
        let live = self
            .inner
            .routes
            .load()
            .stage(api_id, stage_name)
            .ok()
            .cloned();
        if let Some(live) = live
            && let Err(e) = live.traffic.flush_caches().await
        {
            return Err(AdminError::Internal(format!(
                "The stage cache was flushed on this node but not in the cluster's shared cache ({e}); retry the flush"
            )));
        }
        Ok(())
    }

    /// Entry count and bytes of a stage's response cache (`None` without a cache cluster);
    /// the canary's own cache when `canary` is set and it has one.
    pub fn stage_cache_stats(
        &self,
        api_id: &str,
        stage_name: &str,
        canary: bool,
    ) -> Option<crate::engine::cache::CacheStats> {
        let routes = self.inner.routes.load();
        let live = routes.stage(api_id, stage_name).ok()?;
        let variant = if canary {
            live.traffic.canary.as_ref()?
        } else {
            &live.traffic.base
        };
        variant.cache.as_ref().map(|c| c.stats())
    }

    /// Entry count and weighed bytes of the Lambda authorizer result cache (all stages), with
    /// its byte bound.
    pub fn authorizer_cache_stats(&self) -> crate::engine::security::AuthorizerCacheStats {
        self.inner.security.authorizer_cache_stats()
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
        if let Some(cluster) = self.cluster()
            && let Err(e) =
                crate::engine::security::shared_cache::flush(cluster, api_id, stage_name).await
        {
            return Err(AdminError::Internal(format!(
                "The authorizer cache was flushed on this node but not in the cluster's shared cache ({e}); retry the flush"
            )));
        }
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
