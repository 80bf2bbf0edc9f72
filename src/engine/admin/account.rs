//! GetAccount and UpdateAccount: the account throttle the engine enforces (configured in
//! `[server] account_rate_limit` / `account_burst_limit`, AWS's 10,000/5,000 by default, and
//! overridable at run time) and the stored CloudWatch role.

use crate::engine::throttle::Limits;
use crate::engine::{Actor, Gateway};
use crate::model::patch::apply_account_patch;
use crate::model::{Account, AccountSettings, AdminError, PatchOperation, ThrottleSettings};
use crate::store::Change;

impl Gateway {
    /// GetAccount: the account throttle in force and the stored CloudWatch role; usage plans
    /// are always on, API keys are version 4.
    pub fn account(&self) -> Account {
        let limits = self.inner.traffic.account.limits();
        let cloudwatch_role_arn = self
            .read(|a| Ok(a.account.cloudwatch_role_arn.clone()))
            .unwrap_or_default();
        Account {
            cloudwatch_role_arn,
            throttle_settings: ThrottleSettings {
                burst_limit: Some(limits.burst as i64),
                rate_limit: Some(limits.rate),
            },
            features: vec!["UsagePlans".to_string()],
            api_key_version: "4".to_string(),
        }
    }

    /// UpdateAccount: `/cloudwatchRoleArn` (stored) and the account throttle
    /// (`/throttleSettings/rateLimit`, `/throttleSettings/burstLimit`), stored and applied to
    /// the live bucket at once.
    pub async fn update_account(
        &self,
        actor: &Actor,
        ops: Vec<PatchOperation>,
    ) -> Result<Account, AdminError> {
        self.admin_op(
            actor,
            "UpdateAccount",
            "account".to_string(),
            None,
            move |txn| {
                let mut settings = txn.admin().account.clone();
                apply_account_patch(&mut settings, &ops)?;
                txn.changes
                    .push(Change::PutAccount(Box::new(settings.clone())));
                txn.detail = serde_json::json!({ "patchOperations": ops });
                txn.set_account(settings);
                Ok(())
            },
        )
        .await?;
        Ok(self.account())
    }

    /// Sets the account bucket's limits: the stored overrides, else the configured ones.
    pub(crate) fn apply_account_throttle(&self, settings: &AccountSettings) {
        let config = &self.inner.config;
        let limits = Limits::new(
            settings
                .throttle_rate_limit
                .unwrap_or(config.account_rate_limit),
            settings
                .throttle_burst_limit
                .unwrap_or(config.account_burst_limit),
        );
        let traffic = &self.inner.traffic;
        traffic.account.set_limits(limits, traffic.clock.now());
    }
}
