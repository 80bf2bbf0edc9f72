//! UpdateAccount patch operations.
//!
//! AWS lets UpdateAccount change `/cloudwatchRoleArn` (the role API Gateway assumes to write
//! CloudWatch logs; gwtui stores and reports it, since it writes its own logs). The account
//! throttle is a service quota on AWS (raised through Service Quotas, not this call); gwtui,
//! being the whole region on one machine, lets `/throttleSettings/rateLimit` and
//! `/throttleSettings/burstLimit` change it at run time too, so a load test can lift it
//! without a restart.

use super::values::{
    SET, SET_OR_REMOVE, expect_ops, invalid_path, parse_f64, parse_int, segments, value,
};
use super::{PatchOp, PatchOperation};
use crate::model::{AccountSettings, AdminError};

const ACCOUNT_PATHS: &[&str] = &[
    "/cloudwatchRoleArn",
    "/features",
    "/throttleSettings/rateLimit",
    "/throttleSettings/burstLimit",
];

const BURST_MESSAGE: &str = "Invalid throttle burst limit: must be a non-negative integer";
const RATE_MESSAGE: &str = "Invalid throttle rate limit: must be a non-negative number";

/// Applies UpdateAccount patch operations to the stored account settings; all or nothing.
pub fn apply_account_patch(
    settings: &mut AccountSettings,
    ops: &[PatchOperation],
) -> Result<(), AdminError> {
    let mut next = settings.clone();
    for op in ops {
        apply_account_op(&mut next, op)?;
    }
    *settings = next;
    Ok(())
}

fn apply_account_op(s: &mut AccountSettings, op: &PatchOperation) -> Result<(), AdminError> {
    match segments(op)?.as_slice() {
        ["cloudwatchRoleArn"] => {
            expect_ops(op, SET_OR_REMOVE)?;
            s.cloudwatch_role_arn = match op.op {
                PatchOp::Remove => None,
                _ => Some(role_arn(op)?),
            };
            Ok(())
        }
        // AWS documents `add /features UsagePlans` (developer guide, "migrate to default usage
        // plans") to turn usage plans on. They are always on here (GetAccount reports them), so
        // adding them changes nothing, and turning them off is refused rather than ignored.
        ["features"] => {
            expect_ops(op, &[PatchOp::Add, PatchOp::Remove])?;
            let v = value(op)?;
            if v != "UsagePlans" {
                return Err(AdminError::bad_request(format!(
                    "Invalid feature specified: '{v}'. Must be one of: [UsagePlans]"
                )));
            }
            if op.op == PatchOp::Remove {
                return Err(AdminError::bad_request(
                    "The UsagePlans feature cannot be disabled",
                ));
            }
            Ok(())
        }
        ["throttleSettings", "rateLimit"] => {
            expect_ops(op, SET)?;
            s.throttle_rate_limit = Some(parse_f64(op, 0.0, f64::MAX, RATE_MESSAGE)?);
            Ok(())
        }
        ["throttleSettings", "burstLimit"] => {
            expect_ops(op, SET)?;
            s.throttle_burst_limit = Some(parse_int(op, 0, i64::MAX, BURST_MESSAGE)?);
            Ok(())
        }
        _ => Err(invalid_path(op, ACCOUNT_PATHS)),
    }
}

/// An IAM role ARN: `arn:{partition}:iam::{12 digits}:role/{name}`. AWS also checks that API
/// Gateway may assume the role; there is no IAM here to ask, so only the shape is checked.
fn role_arn(op: &PatchOperation) -> Result<String, AdminError> {
    let v = value(op)?;
    let ok = v
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(":iam::"))
        .and_then(|(partition, rest)| (!partition.is_empty()).then_some(rest))
        .and_then(|rest| rest.split_once(":role/"))
        .is_some_and(|(account, name)| {
            account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty()
        });
    if ok {
        Ok(v.to_string())
    } else {
        Err(AdminError::bad_request(format!(
            "The role ARN is not well formed: {v}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(op: PatchOp, path: &str, value: Option<&str>) -> PatchOperation {
        PatchOperation {
            op,
            path: path.to_string(),
            value: value.map(str::to_string),
            from: None,
        }
    }

    #[test]
    fn sets_the_role_and_throttle_and_refuses_the_rest_without_changing_anything() {
        let mut s = AccountSettings::default();
        apply_account_patch(
            &mut s,
            &[
                op(
                    PatchOp::Replace,
                    "/cloudwatchRoleArn",
                    Some("arn:aws:iam::123456789012:role/logs"),
                ),
                op(
                    PatchOp::Replace,
                    "/throttleSettings/rateLimit",
                    Some("250.5"),
                ),
                op(
                    PatchOp::Replace,
                    "/throttleSettings/burstLimit",
                    Some("100"),
                ),
            ],
        )
        .unwrap();
        assert_eq!(
            s.cloudwatch_role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/logs")
        );
        assert_eq!(s.throttle_rate_limit, Some(250.5));
        assert_eq!(s.throttle_burst_limit, Some(100));

        let before = s.clone();
        for bad in [
            op(PatchOp::Replace, "/throttleSettings/rateLimit", Some("-1")),
            op(
                PatchOp::Replace,
                "/throttleSettings/burstLimit",
                Some("1.5"),
            ),
            op(
                PatchOp::Replace,
                "/throttleSettings/burstLimit",
                Some("NaN"),
            ),
            op(PatchOp::Replace, "/cloudwatchRoleArn", Some("not-an-arn")),
            op(PatchOp::Remove, "/features", Some("UsagePlans")),
            op(PatchOp::Add, "/features", Some("Other")),
            op(PatchOp::Replace, "/features", Some("UsagePlans")),
            op(
                PatchOp::Replace,
                "/cloudwatchRoleArn",
                Some("arn:aws:iam::12345:role/x"),
            ),
            op(PatchOp::Remove, "/throttleSettings/rateLimit", None),
            op(PatchOp::Replace, "/features", Some("UsagePlans")),
        ] {
            let ok = op(PatchOp::Replace, "/throttleSettings/rateLimit", Some("1"));
            let err = apply_account_patch(&mut s, &[ok, bad.clone()]).unwrap_err();
            assert_eq!(err.status(), 400, "{bad:?}");
            assert_eq!(s, before, "{bad:?} left a partial change");
        }

        let before = s.clone();
        apply_account_patch(&mut s, &[op(PatchOp::Add, "/features", Some("UsagePlans"))]).unwrap();
        assert_eq!(s, before, "usage plans are already on");

        apply_account_patch(&mut s, &[op(PatchOp::Remove, "/cloudwatchRoleArn", None)]).unwrap();
        assert_eq!(s.cloudwatch_role_arn, None);
    }
}
