//! CreateVpcLink, GetVpcLink(s), UpdateVpcLink, DeleteVpcLink (`/vpclinks`). Each change is
//! committed with its audit row before it is applied; the data plane's link table is rebuilt
//! after it.

use super::Actor;
use crate::engine::Gateway;
use crate::model::patch::apply_vpc_link_patch;
use crate::model::vpc_link::{AVAILABLE_MESSAGE, CreateVpcLink};
use crate::model::{AdminError, PatchOperation, VpcLink, ids};
use crate::store::Change;

const NOT_FOUND: &str = "Invalid Vpc Link identifier specified";

impl Gateway {
    /// Creates a link. As AWS does, the answer shows it `PENDING` (without a status message or
    /// tags); it is `AVAILABLE` from then on, there being no load balancer to wait for.
    pub async fn create_vpc_link(
        &self,
        actor: &Actor,
        input: CreateVpcLink,
    ) -> Result<VpcLink, AdminError> {
        input.validate()?;
        let link = VpcLink {
            id: ids::new_id(6),
            name: input.name.unwrap_or_default(),
            description: input.description,
            target_arns: input.target_arns.unwrap_or_default(),
            status: "AVAILABLE".into(),
            status_message: Some(AVAILABLE_MESSAGE.into()),
            tags: input.tags,
        };
        self.commit_vpc_link(
            actor,
            "CreateVpcLink",
            Change::PutVpcLink(Box::new(link.clone())),
        )
        .await?;
        Ok(VpcLink {
            status: "PENDING".into(),
            status_message: None,
            ..link
        })
    }

    pub fn get_vpc_links(&self) -> Vec<VpcLink> {
        self.inner
            .vpc_links
            .lock_links()
            .values()
            .cloned()
            .collect()
    }

    pub fn get_vpc_link(&self, id: &str) -> Result<VpcLink, AdminError> {
        self.inner
            .vpc_links
            .lock_links()
            .get(id)
            .cloned()
            .ok_or_else(|| AdminError::not_found(NOT_FOUND))
    }

    pub async fn update_vpc_link(
        &self,
        actor: &Actor,
        id: &str,
        ops: Vec<PatchOperation>,
    ) -> Result<VpcLink, AdminError> {
        let _serial = self.inner.vpc_links.ops.lock().await;
        let mut link = self.get_vpc_link(id)?;
        apply_vpc_link_patch(&mut link, &ops)?;
        self.commit_vpc_link(
            actor,
            "UpdateVpcLink",
            Change::PutVpcLink(Box::new(link.clone())),
        )
        .await?;
        Ok(link)
    }

    pub async fn delete_vpc_link(&self, actor: &Actor, id: &str) -> Result<(), AdminError> {
        let _serial = self.inner.vpc_links.ops.lock().await;
        self.get_vpc_link(id)?;
        self.commit_vpc_link(
            actor,
            "DeleteVpcLink",
            Change::DeleteVpcLink(id.to_string()),
        )
        .await
    }

    /// The local targets of the config file's `[vpc_links.ID]` tables.
    pub fn set_vpc_link_targets(&self, targets: std::collections::HashMap<String, String>) {
        self.inner.vpc_links.set_targets(targets);
    }

    /// Commits one link change with its audit row, then applies it.
    async fn commit_vpc_link(
        &self,
        actor: &Actor,
        action: &str,
        change: Change,
    ) -> Result<(), AdminError> {
        let target = match &change {
            Change::PutVpcLink(l) => format!("vpclinks/{}", l.id),
            Change::DeleteVpcLink(id) => format!("vpclinks/{id}"),
            _ => "vpclinks".to_string(),
        };
        let stored = change.clone();
        self.admin_op(actor, action, target, None, move |txn| {
            txn.changes.push(stored);
            Ok(())
        })
        .await?;
        let links = &self.inner.vpc_links;
        match change {
            Change::PutVpcLink(l) => {
                links.lock_links().insert(l.id.clone(), *l);
            }
            Change::DeleteVpcLink(id) => {
                links.lock_links().shift_remove(&id);
            }
            _ => {}
        }
        links.rebuild();
        Ok(())
    }
}
