//! UpdateVpcLink patch operations: `/name` and `/description`.

use super::PatchOperation;
use super::values::{SET, expect_ops, invalid_path, segments, set_optional, value};
use crate::model::AdminError;
use crate::model::vpc_link::VpcLink;

const VPC_LINK_PATHS: &[&str] = &["/name", "/description"];

/// Applies UpdateVpcLink's operations; all or nothing.
pub fn apply_vpc_link_patch(link: &mut VpcLink, ops: &[PatchOperation]) -> Result<(), AdminError> {
    let mut next = link.clone();
    for op in ops {
        match segments(op)?.as_slice() {
            ["name"] => {
                expect_ops(op, SET)?;
                let name = value(op)?;
                if name.trim().is_empty() {
                    return Err(AdminError::bad_request("Name cannot be empty"));
                }
                next.name = name.to_string();
            }
            ["description"] => set_optional(op, &mut next.description)?,
            _ => return Err(invalid_path(op, VPC_LINK_PATHS)),
        }
    }
    *link = next;
    Ok(())
}
