//! Canary: the weight as a gauge (with a pending value while `+`/`-` choose one), the
//! overrides, and base vs canary side by side over the dashboard's window.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Gauge, Paragraph, Row, Sparkline, Table};

use super::{empty, pane};
use crate::tui::app::{App, CANARY_STEPS, WINDOWS};
use crate::tui::metrics::{Selection, Variant};
use crate::tui::theme::Role;

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let Some(stage) = app.current_stage() else {
        let block = pane(t, " canary ", true);
        let inner = block.inner(area);
        f.render_widget(block, area);
        empty(f, t, inner, "No stage selected. 3 lists the stages.");
        return;
    };
    let [gauge_area, compare, bottom] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(10),
        Constraint::Min(3),
    ])
    .areas(area);
    let current = stage.canary_settings.as_ref().map(|c| c.percent_traffic);
    let shown = app.canary.pending.or(current).unwrap_or(0.0);
    let step = CANARY_STEPS[app.canary.step % CANARY_STEPS.len()];
    let mut title = format!(" canary of {} · step {step} ", stage.stage_name);
    if let Some(p) = app.canary.pending {
        title.push_str(&format!("· pending {p:.1}% (Enter applies) "));
    }
    if current.is_none() {
        title.push_str("· no canary yet ");
    }
    let gauge = Gauge::default()
        .block(pane(t, title, true))
        .gauge_style(t.get(Role::ChartGauge))
        .ratio((shown / 100.0).clamp(0.0, 1.0))
        .label(format!("{shown:.1}% canary / {:.1}% base", 100.0 - shown));
    f.render_widget(gauge, gauge_area);

    let sel = Selection {
        stage: Some(stage.stage_name.clone()),
        method: None,
        event: None,
    };
    let window = WINDOWS[app.dash.window];
    let width = usize::from(compare.width / 2).max(2);
    let base = app.metrics.fold(&sel, Variant::Base, window, width);
    let canary = app.metrics.fold(&sel, Variant::Canary, window, width);
    let [table_area, sparks] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(compare);
    let row = |name: &str, b: String, c: String| {
        Row::new(vec![
            Cell::from(name.to_string()),
            Cell::from(b),
            Cell::from(c),
        ])
    };
    let rows = vec![
        row(
            "requests",
            base.totals.count.to_string(),
            canary.totals.count.to_string(),
        ),
        row(
            "error rate",
            format!("{:.2}%", base.totals.error_rate()),
            format!("{:.2}%", canary.totals.error_rate()),
        ),
        row(
            "4XX",
            base.totals.error_4xx.to_string(),
            canary.totals.error_4xx.to_string(),
        ),
        row(
            "5XX",
            base.totals.error_5xx.to_string(),
            canary.totals.error_5xx.to_string(),
        ),
        row(
            "p50",
            format!("{:.0} ms", base.totals.latency_ms.p50),
            format!("{:.0} ms", canary.totals.latency_ms.p50),
        ),
        row(
            "p99",
            format!("{:.0} ms", base.totals.latency_ms.p99),
            format!("{:.0} ms", canary.totals.latency_ms.p99),
        ),
    ];
    let table = Table::new(
        rows,
        [
            Constraint::Length(11),
            Constraint::Percentage(45),
            Constraint::Percentage(45),
        ],
    )
    .header(Row::new(vec![
        Cell::from(""),
        Cell::from(Span::styled("BASE", t.get(Role::ChartBase))),
        Cell::from(Span::styled("CANARY", t.get(Role::ChartCanary))),
    ]))
    .block(pane(
        t,
        format!(" last {} ", super::dashboard::window_label(window)),
        false,
    ));
    f.render_widget(table, table_area);
    let [sb, sc] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(sparks);
    let to_counts =
        |fo: &crate::tui::metrics::Folded| fo.columns.iter().map(|b| b.count).collect::<Vec<u64>>();
    let bd = to_counts(&base);
    let cd = to_counts(&canary);
    f.render_widget(
        Sparkline::default()
            .data(&bd)
            .style(t.get(Role::ChartBase))
            .block(pane(t, " base requests ", false)),
        sb,
    );
    f.render_widget(
        Sparkline::default()
            .data(&cd)
            .style(t.get(Role::ChartCanary))
            .block(pane(t, " canary requests ", false)),
        sc,
    );

    let mut lines = vec![Line::from(vec![
        Span::styled("base deployment   ", t.get(Role::HeaderKey)),
        Span::raw(stage.deployment_id.clone()),
    ])];
    if let Some(c) = &stage.canary_settings {
        lines.push(Line::from(vec![
            Span::styled("canary deployment ", t.get(Role::HeaderKey)),
            Span::raw(c.deployment_id.clone().unwrap_or_else(|| "-".into())),
            Span::styled("  use stage cache ", t.get(Role::HeaderKey)),
            Span::raw(c.use_stage_cache.to_string()),
        ]));
        for (k, v) in &c.stage_variable_overrides {
            lines.push(Line::from(vec![
                Span::styled(format!("override {k} = "), t.get(Role::HeaderKey)),
                Span::raw(v.clone()),
            ]));
        }
        if c.stage_variable_overrides.is_empty() {
            lines.push(Line::from(Span::styled(
                "no stage-variable overrides (o sets one)",
                t.get(Role::Dim),
            )));
        }
    }
    f.render_widget(
        Paragraph::new(lines).block(pane(t, " settings ", false)),
        bottom,
    );
}
