//! The event loop. One task owns the [`App`]; `tokio::select!` waits on terminal events,
//! results of spawned engine work, the engine's own event stream, a 1 s tick and a render
//! timer. Everything pending is drained before a redraw, and a redraw happens at most every
//! ~33 ms and only when something changed. Changes (`Changed` events, operation results)
//! only mark the data stale; one reload follows a burst of them ([`RELOAD_DELAY`]).

use std::io::stdout;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream,
};
use crossterm::execute;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::app::{App, AppConfig, ParseCheck};
use super::backend::Backend;
use super::effect::{Effect, TemplateTarget};
use super::keymap::Keymap;
use super::msg::{DataUpdate, Msg};
use super::theme::Theme;
use super::views;

/// Redraws are at least this far apart.
pub const FRAME: Duration = Duration::from_millis(33);
/// A reload waits this long after the first change of a burst, so that the whole burst
/// (an operation's `Changed` event and its result, a script's run of admin calls) costs one.
pub const RELOAD_DELAY: Duration = FRAME;

/// How the console starts.
#[derive(Debug, Clone, Default)]
pub struct ConsoleOptions {
    /// Refuse every action that changes the gateway.
    pub readonly: bool,
    /// Theme name or path; overrides the config file's `theme`.
    pub theme: Option<String>,
    /// `config.toml` with optional `theme = "NAME"` and a `[keys]` table.
    pub config_file: Option<PathBuf>,
    /// Where user themes live (`NAME.toml`).
    pub theme_dir: Option<PathBuf>,
    /// Replaces the built-in structural template check (the coordinator wires the VTL parser).
    pub parse_check: Option<ParseCheck>,
}

/// Builds the app configuration from options, the config file and the environment.
pub fn app_config(opts: &ConsoleOptions) -> anyhow::Result<AppConfig> {
    let mut cfg = AppConfig {
        readonly: opts.readonly,
        theme_dir: opts.theme_dir.clone(),
        ..AppConfig::default()
    };
    let mut theme_name = None;
    if let Some(path) = &opts.config_file
        && path.exists()
    {
        let src =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let table: toml::Table =
            toml::from_str(&src).with_context(|| format!("parsing {}", path.display()))?;
        if let Some(keys) = table.get("keys") {
            let keys = keys
                .as_table()
                .with_context(|| format!("{}: [keys] must be a table", path.display()))?;
            cfg.keymap = Keymap::with_overrides(keys)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        }
        theme_name = table
            .get("theme")
            .and_then(|v| v.as_str())
            .map(str::to_string);
    }
    if let Some(t) = opts.theme.clone().or(theme_name) {
        cfg.theme = Theme::load(&t, opts.theme_dir.as_deref())?;
    }
    cfg.no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if let Some(check) = opts.parse_check {
        cfg.parse_check = check;
    }
    Ok(cfg)
}

/// Runs the console until the user quits.
pub async fn run(backend: impl Backend, opts: ConsoleOptions) -> anyhow::Result<()> {
    let cfg = app_config(&opts)?;
    let mut app = App::new(cfg);
    let mut terminal = ratatui::try_init().context("starting the terminal")?;
    let _ = execute!(stdout(), EnableMouseCapture, EnableBracketedPaste);
    let result = event_loop(&mut terminal, &mut app, backend, EventStream::new()).await;
    let _ = execute!(stdout(), DisableMouseCapture, DisableBracketedPaste);
    ratatui::try_restore().context("restoring the terminal")?;
    result
}

/// Turns a terminal event into a message.
pub fn event_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) => Some(Msg::Key(k)),
        Event::Mouse(m) => Some(Msg::Mouse(m)),
        Event::Paste(s) => Some(Msg::Paste(s)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

/// The loop itself, over any terminal backend and any stream of terminal events (the
/// real `EventStream`, or a scripted one in tests).
pub async fn event_loop<T, S>(
    terminal: &mut ratatui::Terminal<T>,
    app: &mut App,
    backend: impl Backend,
    mut events: S,
) -> anyhow::Result<()>
where
    T: ratatui::backend::Backend,
    T::Error: Send + Sync + 'static,
    S: futures_util::Stream<Item = std::io::Result<Event>> + Unpin,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut engine = backend.subscribe();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let size = terminal.size()?;
    app.update(Msg::Resize(size.width, size.height));
    app.update(Msg::Data(DataUpdate::Listener(backend.listener())));
    app.update(Msg::Data(DataUpdate::Aws(backend.aws_settings())));
    for e in app.init() {
        spawn_effect(&backend, e, &tx);
    }
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    // When the pending reload is due (set by the first change of a burst).
    let mut reload_at: Option<Instant> = None;
    loop {
        let mut wait = if dirty {
            FRAME.saturating_sub(last_draw.elapsed())
        } else {
            Duration::from_secs(3600)
        };
        if let Some(at) = reload_at {
            wait = wait.min(at.saturating_duration_since(Instant::now()));
        }
        let msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => event_msg(ev),
                Some(Err(e)) => return Err(e).context("reading terminal events"),
                None => break,
            },
            Some(m) = rx.recv() => Some(m),
            Some(d) = engine.recv() => Some(Msg::Data(d)),
            _ = tick.tick() => Some(Msg::Tick(Instant::now())),
            _ = tokio::time::sleep(wait), if dirty || reload_at.is_some() => None,
        };
        if let Some(msg) = msg {
            dirty |= handle(app, &backend, &tx, msg);
        }
        // Drain whatever else is pending before drawing.
        while let Ok(m) = rx.try_recv() {
            dirty |= handle(app, &backend, &tx, m);
        }
        while let Ok(d) = engine.try_recv() {
            dirty |= handle(app, &backend, &tx, Msg::Data(d));
        }
        if app.quit {
            break;
        }
        if app.reload_pending {
            let at = *reload_at.get_or_insert_with(|| Instant::now() + RELOAD_DELAY);
            if Instant::now() >= at {
                reload_at = None;
                for e in app.take_reload() {
                    spawn_effect(&backend, e, &tx);
                }
            }
        }
        if dirty && last_draw.elapsed() >= FRAME {
            terminal.draw(|f| views::draw(f, app))?;
            last_draw = Instant::now();
            dirty = false;
        }
    }
    Ok(())
}

fn handle(
    app: &mut App,
    backend: &impl Backend,
    tx: &mpsc::UnboundedSender<Msg>,
    msg: Msg,
) -> bool {
    let shows = app.shows(&msg);
    let had_flash = app.flash.is_some();
    for e in app.update(msg) {
        spawn_effect(backend, e, tx);
    }
    // A tick redraws only when it expired the flash line.
    shows || had_flash != app.flash.is_some()
}

fn spawn_effect(backend: &impl Backend, effect: Effect, tx: &mpsc::UnboundedSender<Msg>) {
    if effect == Effect::Quit {
        return;
    }
    let backend = backend.clone();
    let tx = tx.clone();
    tokio::spawn(async move {
        if let Some(d) = perform(&backend, effect).await {
            let _ = tx.send(Msg::Data(d));
        }
    });
}

fn op(what: impl Into<String>, r: Result<String, String>) -> Option<DataUpdate> {
    Some(DataUpdate::OpResult {
        what: what.into(),
        result: r,
    })
}

fn done<T>(r: Result<T, String>) -> Result<String, String> {
    r.map(|_| String::new())
}

/// Performs one effect with the backend and says what came of it.
pub async fn perform(b: &impl Backend, effect: Effect) -> Option<DataUpdate> {
    match effect {
        Effect::Quit => None,
        Effect::LoadApis => Some(match b.list_apis().await {
            Ok(a) => DataUpdate::Apis(a),
            Err(e) => return op("loading APIs", Err(e)),
        }),
        Effect::LoadHttpApis => Some(match b.list_http_apis().await {
            Ok(a) => DataUpdate::HttpApis(a),
            Err(e) => return op("loading HTTP APIs", Err(e)),
        }),
        Effect::LoadStages { rest_api_id } => match b.stages(rest_api_id.clone()).await {
            Ok((stages, deployments)) => Some(DataUpdate::Stages {
                rest_api_id,
                stages,
                deployments,
            }),
            Err(e) => op("loading stages", Err(e)),
        },
        Effect::LoadDeploymentDefinition {
            rest_api_id,
            deployment_id,
        } => {
            match b
                .deployment_definition(rest_api_id.clone(), deployment_id.clone())
                .await
            {
                Ok(definition) => Some(DataUpdate::DeploymentDefinition {
                    rest_api_id,
                    deployment_id,
                    definition: Box::new(definition),
                }),
                Err(e) => op(format!("loading deployment {deployment_id}"), Err(e)),
            }
        }
        Effect::LoadMetrics {
            rest_api_id,
            window_seconds,
            scope,
        } => match b.metrics(rest_api_id, window_seconds, scope).await {
            Ok(m) => Some(DataUpdate::Metrics(m)),
            Err(e) => op("loading metrics", Err(e)),
        },
        // A failed poll is not worth a flash every second: the columns keep their last values.
        Effect::LoadPulse { rest_api_id } => b
            .metrics(
                rest_api_id,
                crate::tui::app::PULSE_WINDOW,
                crate::engine::MetricsScope::Cluster,
            )
            .await
            .ok()
            .map(DataUpdate::Pulse),
        Effect::LoadUsage => match b.usage().await {
            Ok(u) => Some(DataUpdate::Usage(u)),
            Err(e) => op("loading usage plans", Err(e)),
        },
        Effect::LoadNodes => match b.cluster().await {
            Ok(view) => Some(DataUpdate::Nodes(view)),
            Err(e) => op("loading the cluster's nodes", Err(e)),
        },
        Effect::Deploy {
            rest_api_id,
            stage_name,
            description,
        } => {
            let r = b
                .deploy(rest_api_id, stage_name.clone(), description)
                .await
                .map(|id| format!("deployment {id}"));
            op(format!("deploy {stage_name}"), r)
        }
        Effect::PatchStage {
            rest_api_id,
            stage_name,
            ops,
        } => op(
            format!("update stage {stage_name}"),
            done(b.patch_stage(rest_api_id, stage_name.clone(), ops).await),
        ),
        Effect::Rollback {
            rest_api_id,
            stage_name,
            deployment_id,
        } => op(
            format!("rollback {stage_name} to {deployment_id}"),
            done(
                b.rollback(rest_api_id, stage_name.clone(), deployment_id.clone())
                    .await,
            ),
        ),
        Effect::FlushCache {
            rest_api_id,
            stage_name,
        } => op(
            format!("flush cache of {stage_name}"),
            done(b.flush_cache(rest_api_id, stage_name.clone()).await),
        ),
        Effect::PromoteCanary {
            rest_api_id,
            stage_name,
        } => op(
            format!("promote canary of {stage_name}"),
            done(b.promote_canary(rest_api_id, stage_name.clone()).await),
        ),
        Effect::DeleteCanary {
            rest_api_id,
            stage_name,
        } => op(
            format!("delete canary of {stage_name}"),
            done(b.delete_canary(rest_api_id, stage_name.clone()).await),
        ),
        Effect::CreateCanary {
            rest_api_id,
            stage_name,
            percent_traffic,
        } => {
            let r = b
                .create_canary(rest_api_id, stage_name.clone(), percent_traffic)
                .await
                .map(|id| format!("deployment {id}"));
            op(format!("canary {percent_traffic:.1}% on {stage_name}"), r)
        }
        Effect::SaveTemplate {
            rest_api_id,
            resource_id,
            http_method,
            target,
            template,
        } => {
            let label = match &target {
                TemplateTarget::HttpMappings { .. } => format!("save {}", target.label()),
                _ => format!("save {} template", target.label()),
            };
            op(
                label,
                done(
                    b.save_template(rest_api_id, resource_id, http_method, target, template)
                        .await,
                ),
            )
        }
        Effect::UpdateIntegration {
            rest_api_id,
            resource_id,
            http_method,
            ops,
        } => op(
            format!("update {http_method} integration"),
            done(
                b.update_integration(rest_api_id, resource_id, http_method.clone(), ops)
                    .await,
            ),
        ),
        Effect::RenderTemplate {
            rest_api_id,
            resource_id,
            http_method,
            target,
            template,
            sample,
            seq,
        } => Some(DataUpdate::TestRender {
            seq,
            result: b
                .render_template(
                    rest_api_id,
                    resource_id,
                    http_method,
                    target,
                    template,
                    sample,
                )
                .await,
        }),
        Effect::GenerateTemplate {
            rest_api_id,
            resource_id,
            http_method,
            target,
            model_name,
        } => Some(DataUpdate::TemplateGenerated(Box::new(
            crate::tui::msg::GeneratedTemplate {
                result: b
                    .model_template(rest_api_id.clone(), model_name.clone())
                    .await,
                rest_api_id,
                resource_id,
                http_method,
                target,
                model_name,
            },
        ))),
        Effect::LoadTrace { request_id } => Some(DataUpdate::Trace {
            result: b
                .request_trace(request_id.clone())
                .await
                .map(|t| t.map(Box::new)),
            request_id,
        }),
        Effect::TestInvoke {
            rest_api_id,
            resource_id,
            http_method,
            sample,
        } => Some(DataUpdate::TestInvoked {
            result: b
                .test_invoke(
                    rest_api_id.clone(),
                    resource_id.clone(),
                    http_method.clone(),
                    sample,
                )
                .await,
            rest_api_id,
            resource_id,
            http_method,
        }),
        Effect::TestInvokeHttp {
            api_id,
            stage,
            route_key,
            method,
            path,
            sample,
        } => Some(DataUpdate::TestInvoked {
            result: b
                .test_invoke_http(api_id.clone(), stage, method.clone(), path, sample)
                .await,
            rest_api_id: api_id,
            resource_id: route_key,
            http_method: method,
        }),
        Effect::RenderAfter { delay, seq } => {
            tokio::time::sleep(delay).await;
            Some(DataUpdate::RenderDue(seq))
        }
        Effect::Import { path } => op(
            format!("import {path}"),
            b.import(path.clone()).await.map(|id| format!("API {id}")),
        ),
        Effect::Export { rest_api_id, path } => op(
            format!("export to {path}"),
            done(b.export(rest_api_id, path.clone()).await),
        ),
        Effect::SetTraffic {
            rest_api_id,
            stage_name,
            rate,
        } => op(
            format!("traffic {rate}/s to {stage_name}"),
            done(b.set_traffic(rest_api_id, stage_name.clone(), rate).await),
        ),
        Effect::CreateApiKey { name } => op(
            format!("create key {name}"),
            b.create_api_key(name.clone()).await,
        ),
        Effect::CreateUsagePlan { name } => op(
            format!("create plan {name}"),
            b.create_usage_plan(name.clone()).await,
        ),
        Effect::UpdateApiKey { api_key_id, ops } => op(
            format!("update key {api_key_id}"),
            done(b.update_api_key(api_key_id.clone(), ops).await),
        ),
        Effect::DeleteApiKey { api_key_id } => op(
            format!("delete key {api_key_id}"),
            done(b.delete_api_key(api_key_id.clone()).await),
        ),
        Effect::LoadConnections { api_id, stage } => Some(DataUpdate::Connections {
            result: b.websocket_connections(api_id.clone(), stage.clone()).await,
            api_id,
            stage,
        }),
        Effect::PostToConnection {
            api_id,
            stage,
            connection_id,
            data,
        } => op(
            format!("send to {connection_id}"),
            done(
                b.post_to_connection(api_id, stage, connection_id.clone(), data)
                    .await,
            ),
        ),
        Effect::DeleteConnection {
            api_id,
            stage,
            connection_id,
        } => op(
            format!("disconnect {connection_id}"),
            done(
                b.delete_connection(api_id, stage, connection_id.clone())
                    .await,
            ),
        ),
        Effect::WscatOpen { api_id, stage } => {
            Some(DataUpdate::WscatOpened(b.wscat_open(api_id, stage).await))
        }
        Effect::WscatSend { session, text } => match session.send(text) {
            Ok(()) => None,
            Err(e) => op("wscat send", Err(e)),
        },
        Effect::WscatRecv { session } => {
            let (frames, closed) = session.next_frames().await;
            Some(DataUpdate::WscatFrames {
                session: session.id,
                frames,
                closed,
            })
        }
        Effect::WscatClose { session } => {
            session.close();
            None
        }
        Effect::WriteFile { path, contents } => {
            let r = tokio::fs::write(&path, contents)
                .await
                .map_err(|e| e.to_string());
            op(format!("save {path}"), done(r))
        }
    }
}
