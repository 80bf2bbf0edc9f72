//! The console: a k9s-style terminal UI over the gateway.
//!
//! Elm-style: [`App::update`](app::App::update) takes a [`Msg`] and returns [`Effect`]s;
//! views draw the state; the [`runner`] owns the terminal, turns events into messages and
//! performs effects through a [`Backend`].

pub mod action;
pub mod app;
pub mod backend;
pub mod diff;
pub mod effect;
/// The in-memory second gateway the console's tests and benches drive: not in the release
/// binary (`cargo bench --features console-fake --bench console`).
#[cfg(any(test, feature = "console-fake"))]
pub mod fake;
#[cfg(any(test, feature = "console-fake"))]
mod fake_http;
pub mod filter;
pub mod gateway;
mod gateway_http;
mod gateway_ws;
pub mod keymap;
pub mod metrics;
pub mod msg;
pub mod remote;
pub mod runner;
pub mod sample;
pub mod theme;
pub mod tree;
pub mod validate;
pub mod view;
pub mod views;
pub mod widgets;
pub mod wscat;

#[cfg(test)]
mod tests;

pub use action::Action;
pub use app::App;
pub use backend::Backend;
pub use effect::{Effect, TemplateTarget};
pub use metrics::{Bucket, MetricSeries, MetricsSnapshot, Percentiles, SeriesKey, Variant};
pub use msg::{ApiSummary, DataUpdate, KeyUsage, LogLine, Msg, UsageData};
pub use runner::{ConsoleOptions, run};
pub use sample::SampleRequest;
