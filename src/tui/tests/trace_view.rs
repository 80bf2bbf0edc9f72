//! `x` on a log line in Logs: the request's trace through the backend, shown as X-Ray ids and
//! a waterfall of its phases; Esc back to Logs. On the fake, in process and attached: on a
//! real engine a real request on a traced stage is traced too.

use std::time::Duration;

use super::screen;
use super::served::{Rigs, on_every_backend, rig};
use crate::engine::{Phase, PhaseSpan, RequestTrace};
use crate::model::PatchOperation;
use crate::tui::backend::Backend;
use crate::tui::effect::Effect;
use crate::tui::msg::{DataUpdate, LogLine, Msg};
use crate::tui::view::ViewKind;

fn line(request_id: &str, message: &str) -> LogLine {
    LogLine {
        epoch_millis: 1,
        level: "INFO".into(),
        rest_api_id: "abc".into(),
        stage: "prod".into(),
        request_id: request_id.into(),
        message: message.into(),
    }
}

fn trace(request_id: &str) -> RequestTrace {
    let span = |phase, offset_us, duration_us| PhaseSpan {
        phase,
        offset: Duration::from_micros(offset_us),
        duration: Duration::from_micros(duration_us),
        span_id: 0xaa,
    };
    RequestTrace {
        request_id: request_id.into(),
        rest_api_id: "abc".into(),
        stage: "prod".into(),
        root: "1-5759e988-bd862e3fe1be46a994272793".into(),
        segment_id: "53995c3f42cd8ad8".into(),
        parent: None,
        sampled: true,
        http_method: "GET".into(),
        path: "/pets".into(),
        status: 200,
        start_unix_nanos: 0,
        duration: Duration::from_millis(4),
        phases: vec![
            span(Phase::MethodRequest, 0, 1_000),
            span(Phase::Authorizer, 200, 600),
            span(Phase::Integration, 1_000, 2_500),
            span(Phase::IntegrationResponse, 3_500, 500),
        ],
    }
}

fn x_on_a_log_line_shows_its_requests_phases_as_a_waterfall<R: Rigs>() {
    let mut h = rig::<R>();
    h.press("7");
    assert_eq!(h.app.view(), ViewKind::Logs);
    // Nothing to trace yet.
    assert!(h.press("x").is_empty());
    assert_eq!(h.app.view(), ViewKind::Logs);

    h.app.update(Msg::Data(DataUpdate::Logs(vec![
        line("req-1", "first"),
        line("req-2", "second"),
    ])));
    // Following: the newest line's request; scrolled up: the selected one.
    assert_eq!(
        h.press("x"),
        [Effect::LoadTrace {
            request_id: "req-2".into()
        }]
    );
    assert_eq!(h.app.view(), ViewKind::Trace);
    assert!(screen(&h.render(100, 30)).contains("Loading"));
    h.press("esc");
    assert_eq!(h.app.view(), ViewKind::Logs);
    h.press("k");
    assert_eq!(
        h.press("x"),
        [Effect::LoadTrace {
            request_id: "req-1".into()
        }]
    );
    // A late answer for another request is ignored.
    h.app.update(Msg::Data(DataUpdate::Trace {
        request_id: "req-2".into(),
        result: Ok(Some(Box::new(trace("req-2")))),
    }));
    assert!(screen(&h.render(100, 30)).contains("Loading"));
    h.app.update(Msg::Data(DataUpdate::Trace {
        request_id: "req-1".into(),
        result: Ok(Some(Box::new(trace("req-1")))),
    }));
    let text = screen(&h.render(100, 30));
    for want in [
        "trace req-1",
        "GET /pets → 200 in 4.00 ms (abc/prod)",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "Method request",
        "  Authorizer",
        "Integration",
        "Integration response",
        "2.500",
        "█",
    ] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }

    // No engine keeps a trace of a request it never saw: the view says why.
    let effects = h.press("esc x");
    h.settle(effects);
    assert!(
        screen(&h.render(100, 30)).contains("No trace kept for this request"),
        "{}",
        screen(&h.render(100, 30))
    );
    let Some(s) = h.served() else {
        return;
    };
    // A real request on dev, traced (UpdateStage tracingEnabled): its line, `x`, its phases.
    let op = PatchOperation::replace("/tracingEnabled", "true");
    let api = h.w.api.clone();
    let traced = h.block_on(h.backend.patch_stage(api.clone(), "dev".into(), vec![op]));
    assert!(traced.is_ok(), "{traced:?}");
    let sent = s.requests("POST", "dev", "/pets", r#"{"name":"Rex"}"#, 1);
    let (status, id) = sent[0].clone();
    assert_eq!(status, 200);
    let mut real = line(&id, "POST /pets 200");
    real.rest_api_id = api.clone();
    real.stage = "dev".into();
    h.press("esc");
    h.app.update(Msg::Data(DataUpdate::Logs(vec![real])));
    let effects = h.press("G x");
    assert_eq!(
        effects,
        [Effect::LoadTrace {
            request_id: id.clone()
        }]
    );
    h.settle(effects);
    // The engine keeps a finished trace from its X-Ray thread: poll (no event says "kept").
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while screen(&h.render(100, 30)).contains("No trace kept")
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
        h.settle(vec![Effect::LoadTrace {
            request_id: id.clone(),
        }]);
    }
    let text = screen(&h.render(100, 30));
    for want in [
        format!("trace {id}"),
        "POST /pets → 200 in ".to_string(),
        format!("({api}/dev)"),
        "Method request".to_string(),
        "Integration".to_string(),
        "█".to_string(),
    ] {
        assert!(text.contains(&want), "{want} missing:\n{text}");
    }
}

on_every_backend!(x_on_a_log_line_shows_its_requests_phases_as_a_waterfall);
