//! Throttling, API keys and usage plans on WebSocket APIs.
//!
//! What AWS documents, and what gwtui does with it:
//! - "Protect your WebSocket APIs in API Gateway" (docs.aws.amazon.com/apigateway/latest/
//!   developerguide/websocket-api-protect.html): token buckets, "a token counts for a
//!   request"; account-level throttling per Region, and route-level throttling set on a stage
//!   (`defaultRouteSettings`, `routeSettings` by route key: `throttlingRateLimit`,
//!   `throttlingBurstLimit`) that overrides it for a route. gwtui: each `$connect` and each
//!   message takes a token from its route's bucket (the route's settings, else the stage's
//!   defaults) and from the account's; an upgrade over the limit is refused 429
//!   `{"message":"Too Many Requests"}` (`LimitExceededException`), a message over the limit
//!   is not routed and the client gets `{"message": "Too Many Requests", "connectionId": …,
//!   "requestId": …}` on the socket (unverified: AWS does not document the frame; this is its
//!   HTTP answer in the shape of its other WebSocket error frames). `$disconnect` is never
//!   throttled.
//! - "WebSocket selection expressions" (…/apigateway-websocket-api-selection-expressions.html),
//!   API key selection expressions: evaluated when a route requires an API key;
//!   `$request.header.x-api-key` or `$context.authorizer.usageIdentifierKey` (the Lambda
//!   authorizer's `usageIdentifierKey`). A key is only ever presented on the upgrade, so it
//!   is selected and checked on `$connect`, the one route that takes `apiKeyRequired`.
//! - Usage plans take WebSocket API stages (CDK's `aws_apigatewayv2.UsagePlan` "for WebSocket
//!   APIs"), but AWS does not say whether messages count against the plan. gwtui counts, as
//!   REST counts requests: the `$connect` that presented the key and every later message of
//!   that connection take a token from the plan's key bucket and one request from its quota
//!   (unverified). Over the quota: 429 `{"message":"Limit Exceeded"}` on the upgrade, the
//!   same words in an error frame for a message (REST's QUOTA_EXCEEDED wording; unverified
//!   for WebSocket APIs).

use crate::engine::Gateway;
use crate::engine::cluster::quota as shared_quota;
use crate::engine::throttle::lease::{refund_all, take_all_shared};
use crate::engine::throttle::{TokenBucket, take_all};

/// Why an event was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A token bucket (plan key, route, account) is empty.
    Throttled,
    /// The key's usage-plan quota is used up.
    QuotaExceeded,
}

impl Refused {
    /// The `message` of the refusal (HTTP body or error frame).
    pub fn message(self) -> &'static str {
        match self {
            Refused::Throttled => "Too Many Requests",
            Refused::QuotaExceeded => "Limit Exceeded",
        }
    }
}

/// Takes one token from the plan's key bucket (when the connection has a key in a plan of
/// this stage), the route's bucket and the account's, then one request from the plan's
/// quota. A refusal gives back whatever it took.
pub(crate) async fn admit(
    gw: &Gateway,
    api_id: &str,
    stage: &str,
    route_bucket: Option<&TokenBucket>,
    api_key: Option<&str>,
) -> Result<(), Refused> {
    let traffic = &gw.inner.traffic;
    let routes = gw.inner.routes.load();
    let plan = api_key
        .and_then(|k| routes.api_keys.get(k))
        .filter(|k| k.enabled)
        .and_then(|k| k.plans.iter().find(|p| p.stage(api_id, stage).is_some()));
    let mut buckets: [&TokenBucket; 3] = [&traffic.account; 3];
    let mut n = 0;
    for b in [plan.and_then(|p| p.key_bucket.as_deref()), route_bucket]
        .into_iter()
        .flatten()
    {
        buckets[n] = b;
        n += 1;
    }
    buckets[n] = &traffic.account;
    let buckets = &buckets[..=n];
    let Some(cluster) = &traffic.cluster else {
        if !take_all(buckets, traffic.clock.now()) {
            return Err(Refused::Throttled);
        }
        if let Some(plan) = plan
            && !plan.counter.try_acquire(traffic.clock.utc())
        {
            for b in buckets {
                b.refund();
            }
            return Err(Refused::QuotaExceeded);
        }
        return Ok(());
    };
    let Some(leased) = take_all_shared(cluster, buckets, traffic.clock.now()).await else {
        return Err(Refused::Throttled);
    };
    if let Some(plan) = plan
        && !shared_quota::acquire(cluster, &plan.counter, traffic.clock.utc()).await
    {
        refund_all(buckets, leased);
        return Err(Refused::QuotaExceeded);
    }
    Ok(())
}
