//! Cluster mode: the whole cluster's live metrics on whichever node is asked (docs/CLUSTER.md,
//! "Live metrics across nodes").
//!
//! Each node keeps only its own metrics, as a single node does: nothing is published per
//! second. The node a console asks pulls the other nodes' snapshots of the same API and window
//! over their management API (`GET /gwtui/metrics`, signed with the management credentials
//! when they are set), all at once, each bounded by [`PEER_TIMEOUT`] and [`MAX_PEER_ANSWER`],
//! at most [`MAX_PEERS`] nodes, and merges them onto its own time grid. The node addresses are
//! the advertised URLs of the heartbeat rows (`cluster_nodes`), read at most once a second.
//! A node that does not answer is listed in the snapshot's [`MetricsCoverage`] with the
//! reason, never silently left out.
//!
//! Merging: counts add exactly, bucket by bucket. Latency percentiles of a bucket are the
//! nodes' percentiles weighted by their requests (`max` is the largest): an approximation,
//! since the nodes' histograms are not shipped (exact per node; across nodes, off by how
//! differently the nodes' latencies are spread).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::Gateway;
use super::metrics::{
    AggregateKey, AggregateSeries, Bucket, CLUSTER_SCOPE, MetricSeries, MetricsCoverage,
    MetricsSnapshot, NodeCoverage, Percentiles, SeriesKey, Totals, grid,
};
use super::nodes::{ClusterNode, DOWN_AFTER_MS};

/// At most this many other nodes are asked (the others are listed as not included).
pub const MAX_PEERS: usize = 32;
/// How long one node's answer may take (connecting, sending and reading).
pub const PEER_TIMEOUT: Duration = Duration::from_millis(1000);
/// The largest answer read from one node.
pub const MAX_PEER_ANSWER: usize = 16 * 1024 * 1024;
/// How long the node list read from the store is reused.
const NODE_LIST_TTL: Duration = Duration::from_secs(1);

/// Which traffic a metrics snapshot shows (`GET /gwtui/metrics?node=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsScope {
    /// This node's alone: what nodes ask each other for, and a single node's only view.
    ThisNode,
    /// Every node's, merged (`node=cluster`).
    Cluster,
    /// One node's, by id (`node=<id>`): this node's or pulled from it.
    Node(String),
}

impl MetricsScope {
    /// `None` or empty: [`ThisNode`](Self::ThisNode); `cluster`; else a node id.
    pub fn parse(text: Option<&str>) -> MetricsScope {
        match text.map(str::trim) {
            None | Some("") => MetricsScope::ThisNode,
            Some(CLUSTER_SCOPE) => MetricsScope::Cluster,
            Some(id) => MetricsScope::Node(id.to_string()),
        }
    }
}

impl Gateway {
    /// The metrics of an API over `window` (optionally one stage's) as `scope` asks: this
    /// node's, one node's, or the cluster's merged. Without a cluster (SQLite store) it is
    /// always this node's, with no coverage.
    pub async fn cluster_metrics_snapshot(
        &self,
        api_id: &str,
        window: Duration,
        stage: Option<&str>,
        scope: &MetricsScope,
    ) -> MetricsSnapshot {
        let mut local = self.metrics_snapshot(api_id, window);
        if let Some(stage) = stage {
            keep_stage(&mut local, stage);
        }
        let Some(me) = self.node_id().map(str::to_string) else {
            return local;
        };
        if *scope == MetricsScope::ThisNode {
            return local;
        }
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        let mut list: Vec<ClusterNode> = self
            .known_nodes()
            .await
            .into_iter()
            .filter(|n| n.health != "down" || n.age_ms < window_ms.saturating_add(DOWN_AFTER_MS))
            .collect();
        if !list.iter().any(|n| n.node_id == me) {
            list.push(ClusterNode {
                node_id: me.clone(),
                health: "up".into(),
                this_node: true,
                ..ClusterNode::default()
            });
        }
        list.sort_by(|a, b| a.node_id.cmp(&b.node_id));
        let wanted = |n: &ClusterNode| match scope {
            MetricsScope::Node(id) => n.node_id == *id,
            _ => true,
        };
        let mut coverage: Vec<NodeCoverage> = list
            .iter()
            .map(|n| NodeCoverage {
                node_id: n.node_id.clone(),
                this_node: n.node_id == me,
                health: n.health.clone(),
                included: false,
                error: None,
            })
            .collect();
        let mut pulls = Vec::new();
        let mut peers = 0usize;
        for (i, n) in list.iter().enumerate() {
            if n.node_id == me || !wanted(n) {
                continue;
            }
            if n.health == "down" {
                coverage[i].error = Some(format!("down (no heartbeat for {} s)", n.age_ms / 1000));
                continue;
            }
            if n.url.is_empty() {
                coverage[i].error = Some("no management URL advertised yet".into());
                continue;
            }
            peers += 1;
            if peers > MAX_PEERS {
                coverage[i].error = Some(format!("over the limit of {MAX_PEERS} nodes asked"));
                continue;
            }
            let url = n.url.clone();
            pulls.push(async move { (i, self.pull_metrics(&url, api_id, window, stage).await) });
        }
        let answers = futures_util::future::join_all(pulls).await;
        let mut merged = match scope {
            MetricsScope::Node(id) if *id != me => {
                let mut empty = local;
                empty.series.clear();
                empty.aggregates.clear();
                empty
            }
            _ => {
                if let Some(c) = coverage.iter_mut().find(|c| c.this_node) {
                    c.included = true;
                }
                local
            }
        };
        for (i, answer) in answers {
            match answer.and_then(|snap| merge(&mut merged, snap, window)) {
                Ok(()) => coverage[i].included = true,
                Err(e) => coverage[i].error = Some(e),
            }
        }
        if let MetricsScope::Node(id) = scope
            && !coverage.iter().any(|c| c.node_id == *id)
        {
            coverage.push(NodeCoverage {
                node_id: id.clone(),
                this_node: false,
                health: "unknown".into(),
                included: false,
                error: Some("no such node in the cluster".into()),
            });
        }
        merged.cluster = Some(MetricsCoverage {
            scope: match scope {
                MetricsScope::Node(id) => id.clone(),
                _ => CLUSTER_SCOPE.to_string(),
            },
            nodes: coverage,
        });
        merged
    }

    /// The node list, read from the store at most once a second (on a blocking thread); the
    /// last list read when the store cannot be read now.
    async fn known_nodes(&self) -> Vec<ClusterNode> {
        let Some(nodes) = &self.inner.nodes else {
            return Vec::new();
        };
        let cached = nodes
            .known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some((at, list)) = &cached
            && at.elapsed() < NODE_LIST_TTL
        {
            return list.clone();
        }
        let gw = self.clone();
        match tokio::task::spawn_blocking(move || gw.cluster_nodes()).await {
            Ok(Ok(list)) => {
                *nodes.known.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((Instant::now(), list.clone()));
                list
            }
            _ => cached.map(|(_, list)| list).unwrap_or_default(),
        }
    }

    /// One node's own snapshot (`GET {url}/gwtui/metrics`), bounded in time and size.
    async fn pull_metrics(
        &self,
        url: &str,
        api_id: &str,
        window: Duration,
        stage: Option<&str>,
    ) -> Result<MetricsSnapshot, String> {
        let base = reqwest::Url::parse(url).map_err(|_| format!("bad URL {url}"))?;
        let host = base.host_str().ok_or_else(|| format!("bad URL {url}"))?;
        let authority = match base.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        let path = "/gwtui/metrics";
        let mut query = format!("restApiId={}&window={}s", encode(api_id), window.as_secs());
        if let Some(stage) = stage {
            query.push_str("&stage=");
            query.push_str(&encode(stage));
        }
        let mut headers = http::HeaderMap::new();
        let credentials = self.inner.nodes.as_ref().and_then(|n| {
            n.peer_credentials
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
        });
        if let Some(credentials) = &credentials {
            let outbound = crate::auth::sign::Outbound {
                method: "GET",
                authority: &authority,
                path,
                query: Some(&query),
                body: b"",
            };
            let scope = crate::auth::sign::Scope {
                region: "us-east-1",
                service: "apigateway",
            };
            crate::auth::sign::sign(
                &outbound,
                &mut headers,
                credentials,
                &scope,
                time::OffsetDateTime::now_utc(),
            )
            .map_err(|e| e.to_string())?;
        }
        let target = format!("{}://{authority}{path}?{query}", base.scheme());
        let exchange = async {
            let mut response = self
                .inner
                .http
                .get(&target)
                .headers(headers)
                .send()
                .await
                .map_err(|e| format!("unreachable: {}", e.without_url()))?;
            let status = response.status();
            if response
                .content_length()
                .is_some_and(|n| n > MAX_PEER_ANSWER as u64)
            {
                return Err(format!("answer over {MAX_PEER_ANSWER} bytes"));
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| format!("answer cut: {}", e.without_url()))?
            {
                if body.len() + chunk.len() > MAX_PEER_ANSWER {
                    return Err(format!("answer over {MAX_PEER_ANSWER} bytes"));
                }
                body.extend_from_slice(&chunk);
            }
            if !status.is_success() {
                let text = String::from_utf8_lossy(&body);
                return Err(format!(
                    "answered {}: {}",
                    status.as_u16(),
                    text.chars().take(200).collect::<String>()
                ));
            }
            serde_json::from_slice::<MetricsSnapshot>(&body)
                .map_err(|_| "answered something that is not a metrics snapshot".to_string())
        };
        tokio::time::timeout(PEER_TIMEOUT, exchange)
            .await
            .map_err(|_| format!("no answer within {} ms", PEER_TIMEOUT.as_millis()))?
    }
}

fn keep_stage(snap: &mut MetricsSnapshot, stage: &str) {
    snap.series.retain(|s| s.key.stage == stage);
    snap.aggregates.retain(|s| s.key.stage == stage);
}

fn encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// Adds `other`'s buckets into `into`'s series and aggregates, on `into`'s time grid (a
/// bucket of `other` outside it, e.g. a second `into` has not closed yet, is left out).
pub(crate) fn merge(
    into: &mut MetricsSnapshot,
    other: MetricsSnapshot,
    window: Duration,
) -> Result<(), String> {
    let (step, start, n) = grid(into.end_epoch_second, window);
    if other.step_seconds != step {
        return Err(format!(
            "answered {} s buckets where {step} s were asked",
            other.step_seconds
        ));
    }
    let slot = |t: i64| -> Option<usize> {
        let off = t.checked_sub(start)?;
        (off >= 0 && off % step == 0)
            .then_some((off / step) as usize)
            .filter(|&j| j < n)
    };
    let mut series: BTreeMap<SeriesKey, MetricSeries> = std::mem::take(&mut into.series)
        .into_iter()
        .map(|s| (s.key.clone(), s))
        .collect();
    for s in other.series {
        let mine = series.entry(s.key.clone()).or_insert_with(|| MetricSeries {
            key: s.key.clone(),
            start_epoch_second: start,
            totals: Totals::default(),
            buckets: vec![Bucket::default(); n],
        });
        add_buckets(
            &mut mine.buckets,
            &s.buckets,
            s.start_epoch_second,
            step,
            &slot,
        );
        mine.totals = totals(&mine.buckets);
    }
    into.series = series.into_values().collect();
    let mut aggregates: BTreeMap<AggregateKey, AggregateSeries> =
        std::mem::take(&mut into.aggregates)
            .into_iter()
            .map(|s| (s.key.clone(), s))
            .collect();
    for s in other.aggregates {
        let mine = aggregates
            .entry(s.key.clone())
            .or_insert_with(|| AggregateSeries {
                key: s.key.clone(),
                start_epoch_second: start,
                totals: Totals::default(),
                buckets: vec![Bucket::default(); n],
            });
        add_buckets(
            &mut mine.buckets,
            &s.buckets,
            s.start_epoch_second,
            step,
            &slot,
        );
        mine.totals = totals(&mine.buckets);
    }
    into.aggregates = aggregates.into_values().collect();
    Ok(())
}

fn add_buckets(
    mine: &mut [Bucket],
    theirs: &[Bucket],
    their_start: i64,
    step: i64,
    slot: &impl Fn(i64) -> Option<usize>,
) {
    for (i, b) in theirs.iter().enumerate() {
        let t = their_start.saturating_add((i as i64).saturating_mul(step));
        if let Some(j) = slot(t)
            && let Some(m) = mine.get_mut(j)
        {
            add_bucket(m, b);
        }
    }
}

fn totals(buckets: &[Bucket]) -> Totals {
    let mut t = Totals::default();
    for b in buckets {
        t.add(b);
    }
    t
}

/// Counts add; percentiles are weighted by each side's requests, `max` is the larger.
fn add_bucket(a: &mut Bucket, b: &Bucket) {
    let (wa, wb) = (a.count, b.count);
    a.latency_ms = weigh(a.latency_ms, wa, b.latency_ms, wb);
    a.integration_latency_ms = weigh(a.integration_latency_ms, wa, b.integration_latency_ms, wb);
    a.count += b.count;
    a.error_4xx += b.error_4xx;
    a.error_5xx += b.error_5xx;
    a.cache_hit += b.cache_hit;
    a.cache_miss += b.cache_miss;
    a.data_processed += b.data_processed;
}

fn weigh(a: Percentiles, wa: u64, b: Percentiles, wb: u64) -> Percentiles {
    let total = (wa + wb) as f64;
    let mix = |x: f64, y: f64| {
        if total == 0.0 {
            x.max(y)
        } else {
            (x * wa as f64 + y * wb as f64) / total
        }
    };
    Percentiles {
        p50: mix(a.p50, b.p50),
        p90: mix(a.p90, b.p90),
        p99: mix(a.p99, b.p99),
        max: a.max.max(b.max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Variant;

    fn bucket(count: u64, p50: f64) -> Bucket {
        Bucket {
            count,
            error_4xx: count / 2,
            latency_ms: Percentiles {
                p50,
                p90: p50,
                p99: p50,
                max: p50 * 2.0,
            },
            ..Bucket::default()
        }
    }

    fn snap(end: i64, method: &str, buckets: Vec<Bucket>) -> MetricsSnapshot {
        let start = end - buckets.len() as i64 + 1;
        let key = SeriesKey {
            stage: "prod".into(),
            variant: Variant::Base,
            resource_path: "/".into(),
            http_method: method.into(),
        };
        MetricsSnapshot {
            rest_api_id: "a1".into(),
            end_epoch_second: end,
            step_seconds: 1,
            series: vec![MetricSeries {
                key,
                start_epoch_second: start,
                totals: totals(&buckets),
                buckets: buckets.clone(),
            }],
            aggregates: vec![AggregateSeries {
                key: AggregateKey {
                    stage: "prod".into(),
                    variant: None,
                },
                start_epoch_second: start,
                totals: totals(&buckets),
                buckets,
            }],
            cluster: None,
        }
    }

    #[test]
    fn counts_add_on_the_asking_nodes_grid_and_percentiles_are_weighted() {
        let window = Duration::from_secs(3);
        let mut mine = snap(
            100,
            "GET",
            vec![bucket(2, 10.0), bucket(0, 0.0), bucket(6, 10.0)],
        );
        // The other node is one second ahead: its newest second (101) is left out.
        let theirs = snap(
            101,
            "GET",
            vec![bucket(4, 0.0), bucket(2, 40.0), bucket(9, 1.0)],
        );
        merge(&mut mine, theirs, window).expect("same step");
        let s = &mine.series[0];
        assert_eq!(
            s.buckets.iter().map(|b| b.count).collect::<Vec<_>>(),
            [2, 4, 8]
        );
        assert_eq!(s.totals.count, 14);
        assert_eq!(s.totals.error_4xx, 1 + 2 + 3 + 1);
        // Second 100: 6 requests at 10 ms and 2 at 40 ms.
        assert_eq!(s.buckets[2].latency_ms.p50, 17.5);
        assert_eq!(s.buckets[2].latency_ms.max, 80.0);
        assert_eq!(mine.aggregates[0].totals.count, 14);
    }

    #[test]
    fn a_series_only_another_node_has_is_added_and_a_different_step_is_refused() {
        let window = Duration::from_secs(2);
        let mut mine = snap(50, "GET", vec![bucket(1, 1.0), bucket(1, 1.0)]);
        merge(
            &mut mine,
            snap(50, "POST", vec![bucket(0, 0.0), bucket(3, 2.0)]),
            window,
        )
        .expect("merge");
        assert_eq!(mine.series.len(), 2);
        assert_eq!(mine.series[1].key.http_method, "POST");
        assert_eq!(mine.series[1].totals.count, 3);
        let mut minutes = snap(50, "GET", vec![bucket(1, 1.0)]);
        minutes.step_seconds = 60;
        assert!(merge(&mut mine, minutes, window).is_err());
    }

    #[test]
    fn scopes_parse() {
        assert_eq!(MetricsScope::parse(None), MetricsScope::ThisNode);
        assert_eq!(MetricsScope::parse(Some("")), MetricsScope::ThisNode);
        assert_eq!(MetricsScope::parse(Some("cluster")), MetricsScope::Cluster);
        assert_eq!(
            MetricsScope::parse(Some("node-b")),
            MetricsScope::Node("node-b".into())
        );
    }
}
