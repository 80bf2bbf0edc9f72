//! Dashboard: Count, Latency, IntegrationLatency, 4XX, 5XX and cache hits/misses for a
//! stage (or all) and a method (or all), base and canary in their theme colours, with the
//! window's numbers beside each chart.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};

use super::pane;
use crate::tui::app::{App, WINDOWS};
use crate::tui::metrics::{Bucket, Folded, MetricsSnapshot, Selection, Variant};
use crate::tui::theme::{Role, Theme};
use crate::tui::view::ViewKind;

pub const CHARTS: [&str; 6] = [
    "Count",
    "Latency",
    "IntegrationLatency",
    "4XX",
    "5XX",
    "Cache hit/miss",
];

/// WebSocket APIs' charts under CloudWatch's names.
const WEBSOCKET_CHARTS: [&str; 6] = [
    "ConnectCount · MessageCount",
    "Latency",
    "IntegrationLatency",
    "ClientError",
    "Integration/ExecutionError",
    "DataProcessed",
];

/// The title of chart `idx`: HTTP APIs chart DataProcessed where REST APIs chart the cache.
fn chart_name(idx: usize, http_api: bool, websocket: bool) -> &'static str {
    if websocket {
        WEBSOCKET_CHARTS[idx.min(5)]
    } else if http_api && idx >= 5 {
        "DataProcessed"
    } else {
        CHARTS[idx.min(5)]
    }
}

/// `5m`, `1h`, `24h`.
pub fn window_label(secs: i64) -> String {
    if secs < 3600 {
        format!("{}m", secs / 60)
    } else {
        format!("{}h", secs / 3600)
    }
}

/// The selection the dashboard's `s`/`m` keys have made.
pub fn selection(app: &App) -> Selection {
    let stage = app.dash_stage();
    let method = match app.dash.method {
        0 => None,
        i => app.metrics.methods(stage.as_deref()).get(i - 1).cloned(),
    };
    Selection {
        stage,
        method,
        event: None,
    }
}

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let sel = selection(app);
    let focus = app.focus_of(ViewKind::Dashboard);
    let maximised = app.dash.maximised.then_some(focus);
    render_dashboard(
        f,
        &app.theme,
        &app.metrics,
        &sel,
        WINDOWS[app.dash.window],
        app.dash.frozen,
        focus,
        maximised,
        area,
    );
}

/// Cluster mode: `nodes 3 of 3` (merged), `nodes 2 of 3 · node-c: no answer…` (one missing,
/// in the warning colour), or `node node-b` (one node's own view).
pub fn coverage_spans(t: &Theme, c: &crate::engine::MetricsCoverage) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    if !c.is_cluster() {
        out.push(Span::styled("  node ", t.get(Role::HeaderKey)));
        let role = if c.included() == 1 {
            Role::HeaderValue
        } else {
            Role::FlashWarn
        };
        let mut text = c.scope.clone();
        if let Some(e) = c
            .nodes
            .iter()
            .find(|n| n.node_id == c.scope)
            .and_then(|n| n.error.as_ref())
        {
            text.push_str(&format!(" · {e}"));
        }
        out.push(Span::styled(text, t.get(role)));
        return out;
    }
    out.push(Span::styled("  nodes ", t.get(Role::HeaderKey)));
    let missing: Vec<String> = c
        .nodes
        .iter()
        .filter(|n| !n.included)
        .map(|n| match &n.error {
            Some(e) => format!("{}: {e}", n.node_id),
            None => n.node_id.clone(),
        })
        .collect();
    let text = format!("{} of {}", c.included(), c.nodes.len());
    if missing.is_empty() {
        out.push(Span::styled(text, t.get(Role::HeaderValue)));
    } else {
        out.push(Span::styled(
            format!("{text} · {}", missing.join(", ")),
            t.get(Role::FlashWarn),
        ));
    }
    out
}

struct Series {
    name: &'static str,
    style: Style,
    points: Vec<(f64, f64)>,
    total: String,
}

/// Draws the dashboard from a snapshot alone (the bench calls this directly).
#[allow(clippy::too_many_arguments)]
pub fn render_dashboard(
    f: &mut Frame,
    t: &Theme,
    snap: &MetricsSnapshot,
    sel: &Selection,
    window: i64,
    frozen: bool,
    focus: usize,
    maximised: Option<usize>,
    area: Rect,
) {
    let [bar, grid] = Layout::vertical([Constraint::Length(1), Constraint::Min(4)]).areas(area);
    let method = sel
        .method
        .as_ref()
        .map(|(p, m)| format!("{m} {p}"))
        .unwrap_or_else(|| "all methods".into());
    let mut info = vec![
        Span::styled(" stage ", t.get(Role::HeaderKey)),
        Span::styled(
            sel.stage.clone().unwrap_or_else(|| "all".into()),
            t.get(Role::HeaderValue),
        ),
        Span::styled("  method ", t.get(Role::HeaderKey)),
        Span::styled(method, t.get(Role::HeaderValue)),
        Span::styled("  window ", t.get(Role::HeaderKey)),
        Span::styled(window_label(window), t.get(Role::HeaderValue)),
        Span::styled("  ■ base", t.get(Role::ChartBase)),
        Span::styled(" ■ canary", t.get(Role::ChartCanary)),
    ];
    if let Some(coverage) = &snap.cluster {
        info.extend(coverage_spans(t, coverage));
    }
    if frozen {
        info.push(Span::styled("  ❄ frozen", t.get(Role::FlashWarn)));
    }
    f.render_widget(Paragraph::new(Line::from(info)), bar);

    let cells: Vec<(usize, Rect)> = match maximised {
        Some(i) => vec![(i.min(5), grid)],
        None => {
            let (cols, rows) = if grid.width >= 150 { (3, 2) } else { (2, 3) };
            let row_areas =
                Layout::vertical(vec![Constraint::Ratio(1, rows); rows as usize]).split(grid);
            let mut out = Vec::new();
            for (r, ra) in row_areas.iter().enumerate() {
                let col_areas =
                    Layout::horizontal(vec![Constraint::Ratio(1, cols); cols as usize]).split(*ra);
                for (c, ca) in col_areas.iter().enumerate() {
                    out.push((r * cols as usize + c, *ca));
                }
            }
            out
        }
    };
    // Fold once per variant at the widest chart's resolution (braille: 2 dots per cell).
    let columns = cells
        .iter()
        .map(|(_, r)| usize::from(r.width.saturating_sub(18)) * 2)
        .max()
        .unwrap_or(60)
        .max(2);
    let base = snap.fold(sel, Variant::Base, window, columns);
    let canary = snap.fold(sel, Variant::Canary, window, columns);
    let has_canary = canary.totals.count > 0;
    // WebSocket APIs: connects and messages as their own series (ConnectCount, MessageCount).
    let events = snap.websocket.then(|| {
        let of = |event: &str| {
            let sel = Selection {
                event: Some(event.to_string()),
                ..sel.clone()
            };
            snap.fold(&sel, Variant::Base, window, columns)
        };
        (of("CONNECT"), of("MESSAGE"))
    });
    for (idx, rect) in cells {
        chart(
            f,
            t,
            idx,
            &base,
            &canary,
            has_canary,
            snap.http_api,
            events.as_ref(),
            window,
            idx == focus,
            rect,
        );
    }
}

fn points(f: &Folded, window: i64, value: impl Fn(&Bucket) -> f64) -> Vec<(f64, f64)> {
    let step = f.step.max(1) as f64;
    f.columns
        .iter()
        .enumerate()
        .map(|(i, b)| (i as f64 * step - window as f64, value(b)))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn chart(
    f: &mut Frame,
    t: &Theme,
    idx: usize,
    base: &Folded,
    canary: &Folded,
    has_canary: bool,
    http_api: bool,
    events: Option<&(Folded, Folded)>,
    window: i64,
    focused: bool,
    area: Rect,
) {
    let per_sec = |step: i64| move |b: &Bucket| b.count as f64 / step.max(1) as f64;
    let rate = |n: u64| format!("{:.1}/s", n as f64 / window.max(1) as f64);
    let mut series: Vec<Series> = match (idx, events) {
        (0, Some((connect, message))) => vec![
            Series {
                name: "Conn",
                style: t.get(Role::ChartBase),
                points: points(connect, window, per_sec(connect.step)),
                total: format!("{} {}", connect.totals.count, rate(connect.totals.count)),
            },
            Series {
                name: "Msg",
                style: t.get(Role::ChartCanary),
                points: points(message, window, per_sec(message.step)),
                total: format!("{} {}", message.totals.count, rate(message.totals.count)),
            },
        ],
        (idx, _) => match idx {
            0 => vec![
                Series {
                    name: "base",
                    style: t.get(Role::ChartBase),
                    points: points(base, window, per_sec(base.step)),
                    total: format!("{} {}", base.totals.count, rate(base.totals.count)),
                },
                Series {
                    name: "canary",
                    style: t.get(Role::ChartCanary),
                    points: points(canary, window, per_sec(canary.step)),
                    total: format!("{} {}", canary.totals.count, rate(canary.totals.count)),
                },
            ],
            1 | 2 => {
                let pick = move |b: &Bucket| {
                    if idx == 1 {
                        b.latency_ms
                    } else {
                        b.integration_latency_ms
                    }
                };
                let bt = if idx == 1 {
                    base.totals.latency_ms
                } else {
                    base.totals.integration_latency_ms
                };
                let ct = if idx == 1 {
                    canary.totals.latency_ms
                } else {
                    canary.totals.integration_latency_ms
                };
                vec![
                    Series {
                        name: "p50",
                        style: t.get(Role::ChartP50),
                        points: points(base, window, move |b| pick(b).p50),
                        total: format!("{:.0}ms", bt.p50),
                    },
                    Series {
                        name: "p90",
                        style: t.get(Role::ChartP90),
                        points: points(base, window, move |b| pick(b).p90),
                        total: format!("{:.0}ms", bt.p90),
                    },
                    Series {
                        name: "p99",
                        style: t.get(Role::ChartP99),
                        points: points(base, window, move |b| pick(b).p99),
                        total: format!("{:.0}ms", bt.p99),
                    },
                    Series {
                        name: "c p99",
                        style: t.get(Role::ChartCanary),
                        points: points(canary, window, move |b| pick(b).p99),
                        total: format!("{:.0}ms", ct.p99),
                    },
                ]
            }
            3 | 4 => {
                let pick = move |b: &Bucket| {
                    if idx == 3 {
                        b.error_4xx as f64
                    } else {
                        b.error_5xx as f64
                    }
                };
                let tb = if idx == 3 {
                    base.totals.error_4xx
                } else {
                    base.totals.error_5xx
                };
                let tc = if idx == 3 {
                    canary.totals.error_4xx
                } else {
                    canary.totals.error_5xx
                };
                vec![
                    Series {
                        name: "base",
                        style: t.get(Role::ChartBase),
                        points: points(base, window, pick),
                        total: tb.to_string(),
                    },
                    Series {
                        name: "canary",
                        style: t.get(Role::ChartCanary),
                        points: points(canary, window, pick),
                        total: tc.to_string(),
                    },
                ]
            }
            // HTTP APIs have no cache; AWS reports DataProcessed for them.
            _ if http_api => vec![Series {
                name: "bytes",
                style: t.get(Role::ChartBase),
                points: points(base, window, |b| b.data_processed as f64),
                total: base.totals.data_processed.to_string(),
            }],
            _ => vec![
                Series {
                    name: "hit",
                    style: t.get(Role::ChartBase),
                    points: points(base, window, |b| b.cache_hit as f64),
                    total: base.totals.cache_hit.to_string(),
                },
                Series {
                    name: "miss",
                    style: t.get(Role::ChartError),
                    points: points(base, window, |b| b.cache_miss as f64),
                    total: base.totals.cache_miss.to_string(),
                },
                Series {
                    name: "c hit",
                    style: t.get(Role::ChartCanary),
                    points: points(canary, window, |b| b.cache_hit as f64),
                    total: canary.totals.cache_hit.to_string(),
                },
            ],
        },
    };
    if !has_canary {
        series.retain(|s| !s.name.starts_with('c'));
    }
    // Numbers go beside the chart when there is room, else into its title.
    let numbers_w = if area.width >= 42 { 16 } else { 0 };
    let title = if numbers_w == 0 {
        let totals: Vec<String> = series
            .iter()
            .map(|s| format!("{} {}", s.name, s.total))
            .collect();
        format!(
            " {} · {} ",
            chart_name(idx, http_api, events.is_some()),
            totals.join(" · ")
        )
    } else {
        format!(" {} ", chart_name(idx, http_api, events.is_some()))
    };
    let block = pane(t, title, focused);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [plot, nums] =
        Layout::horizontal([Constraint::Min(4), Constraint::Length(numbers_w)]).areas(inner);
    let max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max)
        .max(1.0)
        * 1.1;
    let datasets: Vec<Dataset> = series
        .iter()
        .map(|s| {
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(s.style)
                .data(&s.points)
        })
        .collect();
    let axis = t.get(Role::ChartAxis);
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .style(axis)
                .bounds([-(window as f64), 0.0])
                .labels([
                    Line::from(format!("-{}", window_label(window))),
                    Line::from("now"),
                ]),
        )
        .y_axis(
            Axis::default()
                .style(axis)
                .bounds([0.0, max])
                .labels([Line::from("0"), Line::from(format!("{max:.0}"))]),
        );
    f.render_widget(chart, plot);
    if numbers_w > 0 {
        let lines: Vec<Line> = series
            .iter()
            .map(|s| {
                Line::from(vec![
                    Span::styled(format!("{:<6}", s.name), s.style),
                    Span::raw(s.total.clone()),
                ])
            })
            .collect();
        f.render_widget(Paragraph::new(lines), nums);
    }
}
