//! VPC links as the data plane sees them: link id → the local target the config file gives it
//! (`[vpc_links.ID] target = "127.0.0.1:8080"`). A `VPC_LINK` integration's request goes to
//! that target instead of the host of its URI (which is still sent as `Host`, as an NLB
//! receives it). Read with one `ArcSwap` load per VPC_LINK request; rebuilt when a link is
//! created or deleted or the targets are installed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;
use indexmap::IndexMap;

use crate::model::VpcLink;

#[derive(Default)]
pub(crate) struct VpcLinks {
    /// The links, by id (the control plane's copy).
    links: Mutex<IndexMap<String, VpcLink>>,
    /// Serialises the admin operations on links (held across their commit).
    pub(crate) ops: tokio::sync::Mutex<()>,
    /// Local targets from the config file, by link id.
    targets: Mutex<HashMap<String, String>>,
    /// Link id → its target (`None`: the link exists but has no local target).
    table: ArcSwap<HashMap<String, Option<Arc<str>>>>,
}

/// Why a VPC_LINK integration cannot be called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VpcLinkMiss {
    UnknownLink,
    NoTarget,
}

impl VpcLinks {
    pub(crate) fn new(links: Vec<VpcLink>) -> VpcLinks {
        let v = VpcLinks::default();
        *v.lock_links() = links.into_iter().map(|l| (l.id.clone(), l)).collect();
        v.rebuild();
        v
    }

    pub(crate) fn lock_links(&self) -> MutexGuard<'_, IndexMap<String, VpcLink>> {
        self.links.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn set_targets(&self, targets: HashMap<String, String>) {
        *self.targets.lock().unwrap_or_else(|p| p.into_inner()) = targets;
        self.rebuild();
    }

    /// Rebuilds the data plane's table from the links and targets.
    pub(crate) fn rebuild(&self) {
        let targets = self.targets.lock().unwrap_or_else(|p| p.into_inner());
        let table = self
            .lock_links()
            .keys()
            .map(|id| (id.clone(), targets.get(id).map(|t| Arc::from(t.as_str()))))
            .collect();
        self.table.store(Arc::new(table));
    }

    /// The target of a link.
    pub(crate) fn target(&self, id: &str) -> Result<Arc<str>, VpcLinkMiss> {
        match self.table.load().get(id) {
            None => Err(VpcLinkMiss::UnknownLink),
            Some(None) => Err(VpcLinkMiss::NoTarget),
            Some(Some(t)) => Ok(t.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve_only_for_existing_links() {
        let link = |id: &str| VpcLink {
            id: id.into(),
            ..VpcLink::default()
        };
        let v = VpcLinks::new(vec![link("a1"), link("b2")]);
        v.set_targets(HashMap::from([
            ("a1".to_string(), "127.0.0.1:8080".to_string()),
            ("zz".to_string(), "127.0.0.1:9".to_string()),
        ]));
        assert_eq!(v.target("a1").as_deref(), Ok("127.0.0.1:8080"));
        assert_eq!(v.target("b2"), Err(VpcLinkMiss::NoTarget));
        assert_eq!(v.target("zz"), Err(VpcLinkMiss::UnknownLink));
    }
}
