//! The trace of one request (`x` on a log line): its X-Ray ids and its pipeline phases as a
//! waterfall, fetched through the backend (`Backend::request_trace`), shown in the `Trace` view.

use super::{App, Level};
use crate::engine::RequestTrace;
use crate::tui::effect::Effect;
use crate::tui::view::ViewKind;

#[derive(Debug, Clone, PartialEq)]
pub struct TraceUi {
    pub request_id: String,
    /// `None` while loading; `Ok(None)` when the engine keeps no trace for the request.
    pub result: Option<Result<Option<Box<RequestTrace>>, String>>,
}

/// One row of the waterfall: a phase, where it starts and how long it takes, in the
/// request's time.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterfallRow {
    pub name: String,
    pub offset_ms: f64,
    pub duration_ms: f64,
    /// The bar's first column and length within `width` columns (at least one column).
    pub bar: (usize, usize),
    /// Nested in the row above (the authorizer runs inside the method request).
    pub nested: bool,
}

impl App {
    /// `x` in Logs: the trace of the selected line's request.
    pub(super) fn open_trace(&mut self) -> Vec<Effect> {
        let rows = self.log_rows();
        let Some(last) = rows.len().checked_sub(1) else {
            self.flash(Level::Warn, "no log line selected".into());
            return Vec::new();
        };
        let sel = if self.logs.follow {
            last
        } else {
            self.cursor(ViewKind::Logs, 0).min(last)
        };
        let request_id = self.logs.lines[rows[sel]].request_id.clone();
        if request_id.is_empty() {
            self.flash(Level::Warn, "this line names no request".into());
            return Vec::new();
        }
        self.trace = Some(TraceUi {
            request_id: request_id.clone(),
            result: None,
        });
        if self.view() != ViewKind::Trace {
            self.stack.push(ViewKind::Trace);
        }
        vec![Effect::LoadTrace { request_id }]
    }

    /// A trace arrived: kept if it is for the request on screen.
    pub(super) fn on_trace(
        &mut self,
        request_id: String,
        result: Result<Option<Box<RequestTrace>>, String>,
    ) {
        if let Some(ui) = self.trace.as_mut()
            && ui.request_id == request_id
        {
            ui.result = Some(result);
        }
    }
}

/// The phases of `trace` as waterfall rows with bars scaled to `width` columns.
pub fn waterfall(trace: &RequestTrace, width: usize) -> Vec<WaterfallRow> {
    let total = trace.duration.as_secs_f64().max(f64::EPSILON);
    let width = width.max(1);
    trace
        .phases
        .iter()
        .map(|p| {
            let start = p.offset.as_secs_f64() / total;
            let len = p.duration.as_secs_f64() / total;
            let col = ((start * width as f64).round() as usize).min(width - 1);
            let cols = ((len * width as f64).round() as usize).clamp(1, width - col);
            WaterfallRow {
                name: p.phase.as_str().to_string(),
                offset_ms: p.offset.as_secs_f64() * 1000.0,
                duration_ms: p.duration.as_secs_f64() * 1000.0,
                bar: (col, cols),
                nested: p.phase == crate::engine::Phase::Authorizer,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::{Phase, PhaseSpan};

    fn span(phase: Phase, offset_us: u64, duration_us: u64) -> PhaseSpan {
        PhaseSpan {
            phase,
            offset: Duration::from_micros(offset_us),
            duration: Duration::from_micros(duration_us),
            span_id: 1,
        }
    }

    #[test]
    fn bars_are_placed_by_offset_and_scaled_by_duration() {
        let trace = RequestTrace {
            request_id: "r".into(),
            rest_api_id: "a".into(),
            stage: "s".into(),
            root: "1-5759e988-bd862e3fe1be46a994272793".into(),
            segment_id: "53995c3f42cd8ad8".into(),
            parent: None,
            sampled: true,
            http_method: "GET".into(),
            path: "/".into(),
            status: 200,
            start_unix_nanos: 0,
            duration: Duration::from_millis(10),
            phases: vec![
                span(Phase::MethodRequest, 0, 2_000),
                span(Phase::Authorizer, 500, 1_000),
                span(Phase::Integration, 2_000, 7_000),
                span(Phase::IntegrationResponse, 9_000, 1),
            ],
        };
        let rows = waterfall(&trace, 100);
        let bars: Vec<(usize, usize)> = rows.iter().map(|r| r.bar).collect();
        assert_eq!(bars, [(0, 20), (5, 10), (20, 70), (90, 1)]);
        assert!(rows[1].nested && !rows[0].nested);
        assert_eq!(rows[2].name, "Integration");
        assert!((rows[2].duration_ms - 7.0).abs() < 1e-9);
        // Tiny widths still give every phase one column inside the area.
        for r in waterfall(&trace, 1) {
            assert_eq!(r.bar, (0, 1));
        }
    }
}
