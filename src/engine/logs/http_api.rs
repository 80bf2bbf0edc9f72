//! How the HTTP API pipeline hands its finished requests to the log thread: the same
//! [`RequestLog`] as REST requests, with the access-log values the request task evaluated
//! (`others`, in the format's order).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::TrySendError;
use std::time::Duration;

use super::{AccessFormat, AccessValues, Logs, Message, RequestLog, StageLog, Summary};
use crate::engine::http_api::HttpContext;
use crate::engine::live::Variant;
use crate::engine::pipeline::InvokeResponse;

impl AccessFormat {
    /// The names of the variables the request task evaluates, in order.
    pub(crate) fn other_names(&self) -> impl Iterator<Item = &str> {
        self.others.iter().map(String::as_str)
    }
}

impl Logs {
    /// Whether a console listens (request summaries are then queued for every request).
    pub(crate) fn subscribed(&self) -> bool {
        self.subscribed.load(Ordering::Relaxed)
    }

    /// Queues one HTTP API request: its access-log values and, for a listening console, its
    /// summary line. Never blocks; a full queue drops the record and counts it.
    pub(crate) fn submit_http(
        &self,
        target: Arc<StageLog>,
        ctx: &mut HttpContext<'_>,
        response: &InvokeResponse,
        latency: Duration,
        others: Vec<Option<String>>,
    ) {
        let subscribed = self.subscribed();
        let access = target.format.as_ref().map(|f| AccessValues {
            status: response.status.as_u16(),
            response_length: response.body.len() as u64,
            latency_ms: latency.as_millis() as u64,
            method: ctx.req.method.clone(),
            resource_path: if f.uses_resource_path {
                ctx.route().map(|r| r.route_key.clone())
            } else {
                None
            },
            caller: None,
            user: None,
            others,
        });
        let record = RequestLog {
            variant: Variant::Base,
            request_id: ctx.request_id.clone(),
            extended_request_id: ctx.request_id.clone(),
            request_time: std::mem::take(&mut ctx.request_time),
            source_ip: ctx.req.source_ip.to_string(),
            epoch_millis: ctx.epoch_millis + latency.as_millis() as i64,
            access,
            execution: Vec::new(),
            summary: subscribed.then(|| Summary {
                http_method: ctx.req.method.clone(),
                path: ctx.raw_path(),
                status: response.status.as_u16(),
                latency,
                resource_path: ctx.route().map(|r| r.route_key.clone()),
                error: ctx.error.clone(),
            }),
            target,
        };
        match self.queue.try_send(Message::Request(Box::new(record))) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
