//! gwtui's own read-only observability endpoints:
//! - `GET /gwtui/metrics?restApiId=&stage=&window=` — [`Gateway::metrics_snapshot`] as JSON,
//!   optionally narrowed to one stage; `window` like `90s`, `5m`, `1h`, `24h` (default `5m`);
//!   in cluster mode `node=cluster` merges every node's, `node=<id>` shows one node's
//!   (without `node`: this node's alone), with a `cluster` field saying which nodes answered.
//! - `GET /gwtui/executionlog?restApiId=&stage=&limit=` — [`Gateway::execution_log`] (newest
//!   `limit` lines, default 100, at most the ring's capacity), each with its CloudWatch
//!   rendering `({requestId}) {message}`.

use std::time::Duration;

use http::StatusCode;
use serde::Serialize;

use super::{Call, Reply, ok};
use crate::engine::{EXECUTION_LOG_CAPACITY, LogLine};
use crate::engine::{MAX_WINDOW, MetricsScope};
use crate::model::AdminError;

/// `30s`, `5m`, `1h`, `24h` or plain seconds → a window of 1 s .. 24 h.
pub fn parse_window(text: &str) -> Result<Duration, AdminError> {
    let invalid = || {
        AdminError::bad_request(format!(
            "Invalid window '{text}': use a number of seconds, minutes or hours such as 30s, 5m, 1h or 24h (at most 24h)"
        ))
    };
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = digits.parse().map_err(|_| invalid())?;
    let seconds = match unit {
        "s" => n,
        "m" => n.checked_mul(60).ok_or_else(invalid)?,
        "h" => n.checked_mul(3600).ok_or_else(invalid)?,
        _ => return Err(invalid()),
    };
    let window = Duration::from_secs(seconds);
    if seconds == 0 || window > MAX_WINDOW {
        return Err(invalid());
    }
    Ok(window)
}

fn required<'a>(call: &'a Call<'_>, name: &str) -> Result<&'a str, AdminError> {
    call.query(name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AdminError::bad_request(format!("The query parameter {name} is required")))
}

pub async fn metrics(call: &Call<'_>) -> Reply {
    let api_id = required(call, "restApiId")?;
    let window = parse_window(call.query("window").unwrap_or("5m"))?;
    let stage = call.query("stage").filter(|s| !s.is_empty());
    let scope = MetricsScope::parse(call.query("node"));
    let snapshot = call
        .gw
        .cluster_metrics_snapshot(api_id, window, stage, &scope)
        .await;
    ok(StatusCode::OK, &snapshot)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Line<'a> {
    #[serde(flatten)]
    line: &'a LogLine,
    text: String,
}

pub async fn execution_log(call: &Call<'_>) -> Reply {
    let api_id = required(call, "restApiId")?;
    let stage = required(call, "stage")?;
    let limit = match call.query("limit") {
        None => 100,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=EXECUTION_LOG_CAPACITY).contains(n))
            .ok_or_else(|| {
                AdminError::bad_request(format!(
                    "Invalid limit '{v}': 1..={EXECUTION_LOG_CAPACITY}"
                ))
            })?,
    };
    let lines = call.gw.execution_log(api_id, stage, limit);
    let item: Vec<Line<'_>> = lines
        .iter()
        .map(|l| Line {
            line: l,
            text: l.to_string(),
        })
        .collect();
    ok(StatusCode::OK, &serde_json::json!({ "item": item }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        assert_eq!(parse_window("5m").ok(), Some(Duration::from_secs(300)));
        assert_eq!(parse_window("24h").ok(), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_window("90").ok(), Some(Duration::from_secs(90)));
        assert_eq!(parse_window("45s").ok(), Some(Duration::from_secs(45)));
        for bad in ["", "0", "25h", "5d", "m", "-1m", "99999999999999999999h"] {
            assert!(parse_window(bad).is_err(), "{bad}");
        }
    }
}
