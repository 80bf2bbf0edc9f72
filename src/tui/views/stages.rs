//! Stages: the list, the selected stage's settings (deployment, cache, throttling,
//! canary), its variables and its method settings.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::{empty, hit, offset_for, pane};
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::tui::view::ViewKind;

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let focus = app.focus_of(ViewKind::Stages);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(25), Constraint::Percentage(75)]).areas(area);
    // stage list
    let rows = app.stage_rows();
    let block = pane(t, format!(" stages [{}] ", rows.len()), focus == 0);
    if rows.is_empty() {
        let inner = block.inner(left);
        f.render_widget(block, left);
        empty(f, t, inner, "No stages. :deploy NAME creates one.");
    } else {
        let sel = app.cursor(ViewKind::Stages, 0).min(rows.len() - 1);
        let offset = offset_for(sel, usize::from(left.height.saturating_sub(2)), rows.len());
        let items: Vec<Row> = rows
            .iter()
            .map(|&i| {
                let s = &app.stages[i];
                let canary = if s.canary_settings.is_some() {
                    " ◐"
                } else {
                    ""
                };
                Row::new(vec![format!("{}{canary}", s.stage_name)])
            })
            .collect();
        let table = Table::new(items, [Constraint::Min(5)])
            .row_highlight_style(t.get(Role::TableSelected))
            .block(block);
        let mut state = TableState::default()
            .with_offset(offset)
            .with_selected(Some(sel));
        f.render_stateful_widget(table, left, &mut state);
        hit(app, left, 0, 1, offset, false);
    }
    let [detail, vars, settings] = Layout::vertical([
        Constraint::Length(9),
        Constraint::Percentage(50),
        Constraint::Percentage(50),
    ])
    .areas(right);
    let Some(stage) = app.current_stage() else {
        f.render_widget(pane(t, " stage ", false), detail);
        return;
    };
    let key = t.get(Role::HeaderKey);
    let val = t.get(Role::Body);
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<14}"), key),
            Span::styled(v, val),
        ])
    };
    let all = stage.method_setting("*/*");
    let deployment = app.deployments.iter().find(|d| d.id == stage.deployment_id);
    let mut lines = vec![
        kv(
            "deployment",
            format!(
                "{} {}",
                stage.deployment_id,
                deployment
                    .and_then(|d| d.description.clone())
                    .unwrap_or_default()
            ),
        ),
        kv("description", stage.description.clone().unwrap_or_default()),
        kv(
            "cache",
            if stage.cache_cluster_enabled {
                format!(
                    "enabled {} GB, {:?}, ttl {} s",
                    stage
                        .cache_cluster_size
                        .clone()
                        .unwrap_or_else(|| "0.5".into()),
                    stage.cache_cluster_status,
                    all.cache_ttl_in_seconds
                )
            } else {
                "disabled".into()
            },
        ),
        kv(
            "throttling",
            format!(
                "rate {} rps, burst {}",
                all.throttling_rate_limit, all.throttling_burst_limit
            ),
        ),
    ];
    lines.push(match &stage.canary_settings {
        Some(c) => kv(
            "canary",
            format!(
                "{:.1}% → {}",
                c.percent_traffic,
                c.deployment_id.clone().unwrap_or_else(|| "-".into())
            ),
        ),
        None => kv("canary", "none".into()),
    });
    lines.push(kv("tracing", stage.tracing_enabled.to_string()));
    lines.push(kv("domains", stage_domains(app, &stage.stage_name)));
    f.render_widget(
        Paragraph::new(lines).block(pane(t, format!(" stage {} ", stage.stage_name), false)),
        detail,
    );

    // variables
    let vrows = app.variable_rows();
    let vblock = pane(t, format!(" variables [{}] ", vrows.len()), focus == 1);
    if vrows.is_empty() {
        let inner = vblock.inner(vars);
        f.render_widget(vblock, vars);
        empty(f, t, inner, "No variables. a adds one (NAME=VALUE).");
    } else {
        let sel = app.cursor(ViewKind::Stages, 1).min(vrows.len() - 1);
        let offset = offset_for(sel, usize::from(vars.height.saturating_sub(3)), vrows.len());
        let trs: Vec<Row> = vrows
            .iter()
            .map(|(k, v)| Row::new(vec![Cell::from(k.clone()), Cell::from(v.clone())]))
            .collect();
        let table = Table::new(
            trs,
            [Constraint::Percentage(35), Constraint::Percentage(65)],
        )
        .header(Row::new(["NAME", "VALUE"]).style(t.get(Role::TableHeader)))
        .row_highlight_style(if focus == 1 {
            t.get(Role::TableSelected)
        } else {
            t.get(Role::Body)
        })
        .block(vblock);
        let mut state = TableState::default()
            .with_offset(offset)
            .with_selected(Some(sel));
        f.render_stateful_widget(table, vars, &mut state);
        hit(app, vars, 1, 2, offset, false);
    }

    // method settings
    let mrows = app.method_setting_rows();
    let mblock = pane(
        t,
        format!(" method settings [{}] ", mrows.len()),
        focus == 2,
    );
    if mrows.is_empty() {
        let inner = mblock.inner(settings);
        f.render_widget(mblock, settings);
        empty(
            f,
            t,
            inner,
            "AWS defaults apply. m edits a setting (PATH VERB SETTING VALUE).",
        );
        return;
    }
    let sel = app.cursor(ViewKind::Stages, 2).min(mrows.len() - 1);
    let offset = offset_for(
        sel,
        usize::from(settings.height.saturating_sub(3)),
        mrows.len(),
    );
    let trs: Vec<Row> = mrows
        .iter()
        .map(|k| {
            let s = stage.method_setting(k);
            Row::new(vec![
                k.clone(),
                format!("{}/{}", s.throttling_rate_limit, s.throttling_burst_limit),
                if s.caching_enabled {
                    format!("{} s", s.cache_ttl_in_seconds)
                } else {
                    "off".into()
                },
                s.logging_level.clone().unwrap_or_else(|| "OFF".into()),
                s.metrics_enabled.to_string(),
            ])
        })
        .collect();
    let table = Table::new(
        trs,
        [
            Constraint::Percentage(40),
            Constraint::Length(14),
            Constraint::Length(8),
            Constraint::Length(6),
            Constraint::Min(6),
        ],
    )
    .header(
        Row::new(["METHOD", "RATE/BURST", "CACHE", "LOG", "METRICS"])
            .style(t.get(Role::TableHeader)),
    )
    .row_highlight_style(if focus == 2 {
        t.get(Role::TableSelected)
    } else {
        t.get(Role::Body)
    })
    .block(mblock);
    let mut state = TableState::default()
        .with_offset(offset)
        .with_selected(Some(sel));
    f.render_stateful_widget(table, settings, &mut state);
    hit(app, settings, 2, 2, offset, false);
}

/// The custom domain URLs that reach a stage: `api.example.com/v1` for a mapping to it,
/// `api.example.com/v2/{stage}` for a stage-less one; `none` without any.
fn stage_domains(app: &App, stage: &str) -> String {
    let Some(api) = app.current_api() else {
        return "none".into();
    };
    let urls: Vec<String> = api
        .domains
        .iter()
        .filter_map(|(domain, m)| {
            let base = if m.base_path == crate::model::domain::NO_BASE_PATH {
                String::new()
            } else {
                format!("/{}", m.base_path)
            };
            match m.stage.as_deref() {
                Some(s) if s == stage => Some(format!("{domain}{base}")),
                Some(_) => None,
                None => Some(format!("{domain}{base}/{stage}")),
            }
        })
        .collect();
    if urls.is_empty() {
        "none".into()
    } else {
        urls.join(", ")
    }
}
