//! The built-in traffic generator: sends requests to a stage's methods over loopback at a
//! steady rate, so an operator (and the demo) can watch dashboards move while changing canary
//! weights. Bounded by construction: one request per tick, at most `MAX_RATE` per second, and
//! at most `MAX_IN_FLIGHT` outstanding at once (ticks that find no free slot are skipped).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::model::ApiDefinition;

pub const MAX_RATE: f64 = 5000.0;
const MAX_IN_FLIGHT: usize = 256;

/// One request shape and its weight in the mix.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub method: String,
    /// The request path after the stage (placeholders filled).
    pub path: String,
    pub weight: u32,
}

/// The default mix for a definition: every GET method ten times as often as every other
/// verb (`ANY` is sent as GET), plus one unknown path (weight 1) so 4XX charts have something
/// to show. Path parameters are filled with `1`, greedy ones with `a/b`. Methods with an AWS
/// service integration are left out: generated traffic must not send messages to a queue
/// (or bill a real AWS account).
pub fn default_mix(def: &ApiDefinition) -> Vec<Target> {
    let mut mix = Vec::new();
    for r in &def.resources {
        let path = fill(&r.path);
        for (verb, m) in &r.resource_methods {
            let aws_service = m.method_integration.as_ref().is_some_and(|i| {
                i.integration_type == crate::model::IntegrationType::Aws
                    && i.uri
                        .as_deref()
                        .is_some_and(|u| !crate::engine::integrations::aws::is_lambda(u))
            });
            if aws_service {
                continue;
            }
            let (method, weight) = match verb.as_str() {
                "GET" | "ANY" => ("GET".to_string(), 10),
                "OPTIONS" | "HEAD" => continue,
                other => (other.to_string(), 1),
            };
            mix.push(Target {
                method,
                path: path.clone(),
                weight,
            });
        }
    }
    mix.push(Target {
        method: "GET".into(),
        path: "/gwtui-traffic/no-such-path".into(),
        weight: 1,
    });
    mix
}

fn fill(template: &str) -> String {
    template
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') && seg.ends_with("+}") {
                "a/b"
            } else if seg.starts_with('{') && seg.ends_with('}') {
                "1"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Running generators, one per (API, stage).
#[derive(Default)]
pub struct Traffic {
    running: std::sync::Mutex<HashMap<(String, String), Generator>>,
}

struct Generator {
    task: JoinHandle<()>,
    pub sent: Arc<AtomicU64>,
}

impl Traffic {
    /// Starts (or retunes) traffic to `stage` at `rate` requests per second; `rate <= 0` stops it.
    pub fn set(
        &self,
        listener: SocketAddr,
        api_id: &str,
        stage: &str,
        rate: f64,
        mix: Vec<Target>,
    ) -> Result<(), String> {
        if !rate.is_finite() || rate > MAX_RATE {
            return Err(format!(
                "traffic rate must be between 0 and {MAX_RATE} requests per second"
            ));
        }
        let key = (api_id.to_string(), stage.to_string());
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = running.remove(&key) {
            old.task.abort();
        }
        if rate <= 0.0 {
            return Ok(());
        }
        if mix.is_empty() {
            return Err("the stage has no methods to send traffic to".into());
        }
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("cannot build the traffic client: {e}"))?;
        let sent = Arc::new(AtomicU64::new(0));
        let base = format!("http://{listener}/restapis/{api_id}/{stage}/_user_request_");
        let task = tokio::spawn(generate(client, base, rate, mix, sent.clone()));
        running.insert(key, Generator { task, sent });
        Ok(())
    }

    /// Requests sent so far to a stage by its generator.
    pub fn sent(&self, api_id: &str, stage: &str) -> Option<u64> {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        running
            .get(&(api_id.to_string(), stage.to_string()))
            .map(|g| g.sent.load(Ordering::Relaxed))
    }

    pub fn stop_all(&self) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        for (_, g) in running.drain() {
            g.task.abort();
        }
    }
}

impl Drop for Traffic {
    fn drop(&mut self) {
        self.stop_all();
    }
}

async fn generate(
    client: reqwest::Client,
    base: String,
    rate: f64,
    mix: Vec<Target>,
    sent: Arc<AtomicU64>,
) {
    let total: u32 = mix.iter().map(|t| t.weight).sum::<u32>().max(1);
    let mut interval = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut n: u64 = 0;
    loop {
        interval.tick().await;
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            continue;
        };
        // A deterministic weighted round robin over the mix.
        let mut pick = (n.wrapping_mul(2_654_435_761) % u64::from(total)) as u32;
        n += 1;
        let target = mix
            .iter()
            .find(|t| {
                if pick < t.weight {
                    true
                } else {
                    pick -= t.weight;
                    false
                }
            })
            .unwrap_or(&mix[0]);
        let Ok(method) = reqwest::Method::from_bytes(target.method.as_bytes()) else {
            continue;
        };
        let request = client
            .request(method, format!("{base}{}", target.path))
            .header("user-agent", "gwtui-traffic");
        let sent = sent.clone();
        tokio::spawn(async move {
            let _ = request.send().await;
            sent.fetch_add(1, Ordering::Relaxed);
            drop(permit);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(fill("/pets/{petId}"), "/pets/1");
        assert_eq!(fill("/legacy/{proxy+}"), "/legacy/a/b");
        assert_eq!(fill("/"), "/");
    }
}
