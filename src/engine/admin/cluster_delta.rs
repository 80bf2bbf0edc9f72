//! A cluster node's incremental catch-up (docs/CLUSTER.md): the state after applying a
//! [`Delta`] read from the store, where only the APIs the delta names are rebuilt (their
//! unchanged deployments keep their compiled form) and the account-level maps are replaced
//! when the delta carries them.

use crate::store::StoreState;
use crate::store::postgres::Delta;

use super::{Admin, http_api};
use crate::engine::OpenError;

impl Admin {
    /// This state with `delta` applied: the named APIs replaced (in place: an API keeps its
    /// position; a new one is appended, in creation order) or removed when deleted, and the
    /// account-level maps replaced when `account` is present (its functions and VPC links are
    /// left to the caller, which installs them outside the admin state).
    pub(crate) fn with_delta(
        &self,
        apis: Vec<(String, Option<crate::store::StoredApi>)>,
        http_apis: Vec<(String, Option<crate::store::StoredHttpApi>)>,
        account: Option<StoreState>,
    ) -> Result<Admin, OpenError> {
        let mut next = self.clone();
        let mut present = Vec::new();
        for (id, api) in apis {
            match api {
                Some(api) => present.push(api),
                None => {
                    next.apis.shift_remove(&id);
                }
            }
        }
        let mut present_http = Vec::new();
        for (id, api) in http_apis {
            match api {
                Some(api) => present_http.push(api),
                None => {
                    next.http_apis.shift_remove(&id);
                }
            }
        }
        let rebuilt = Admin::from_state_reusing(
            StoreState {
                apis: present,
                ..StoreState::default()
            },
            Some(self),
        )?;
        for (id, api) in rebuilt.apis {
            next.apis.insert(id, api);
        }
        for (id, api) in http_api::from_stored(present_http)? {
            next.http_apis.insert(id, api);
        }
        if let Some(account) = account {
            let whole = Admin::from_state(account)?;
            next.usage_plans = whole.usage_plans;
            next.api_keys = whole.api_keys;
            next.usage_plan_keys = whole.usage_plan_keys;
            next.domains = whole.domains;
            next.account = whole.account;
            next.client_certificates = whole.client_certificates;
        }
        Ok(next)
    }

    /// [`Admin::with_delta`] for a whole [`Delta`].
    pub(crate) fn apply_delta(&self, delta: Delta) -> Result<Admin, OpenError> {
        self.with_delta(delta.apis, delta.http_apis, delta.account)
    }
}
