//! Every intent the console knows, with its name (used by `:` commands and `[keys]`
//! overrides), a description (hints bar and `?` help), and two flags:
//!
//! * `dangerous` — the action asks for confirmation before it runs;
//! * `mutates`   — the action changes the gateway; `--readonly` refuses it.
//!
//! Every dangerous action also mutates. The gate that applies both flags lives in one
//! place: `App::perform` (see `app.rs`).

use super::view::ViewKind;

macro_rules! actions {
    ($( $variant:ident => $name:literal, $desc:literal, dangerous = $danger:literal, mutates = $mutates:literal; )*) => {
        /// One user intent. Arguments (for `:` commands) travel beside it, never inside it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $( $variant, )*
        }

        impl Action {
            /// All actions, in declaration order (the order of the `?` help).
            pub const ALL: &'static [Action] = &[ $( Action::$variant, )* ];

            /// The stable name used by `:` commands and by `[keys]` overrides.
            pub fn name(self) -> &'static str {
                match self { $( Action::$variant => $name, )* }
            }

            /// What the action does, for the hints bar and the help screen.
            pub fn description(self) -> &'static str {
                match self { $( Action::$variant => $desc, )* }
            }

            /// Asks for confirmation first.
            pub fn dangerous(self) -> bool {
                match self { $( Action::$variant => $danger, )* }
            }

            /// Changes the gateway; refused under `--readonly`.
            pub fn mutates(self) -> bool {
                match self { $( Action::$variant => $mutates, )* }
            }
        }
    };
}

actions! {
    Quit => "q", "quit", dangerous = false, mutates = false;
    Back => "back", "back", dangerous = false, mutates = false;
    Help => "help", "help", dangerous = false, mutates = false;
    Messages => "messages", "message history", dangerous = false, mutates = false;
    Command => "command", "command", dangerous = false, mutates = false;
    Filter => "filter", "filter", dangerous = false, mutates = false;
    NextPane => "next-pane", "next pane", dangerous = false, mutates = false;
    PrevPane => "prev-pane", "previous pane", dangerous = false, mutates = false;
    Up => "up", "up", dangerous = false, mutates = false;
    Down => "down", "down", dangerous = false, mutates = false;
    Collapse => "collapse", "collapse", dangerous = false, mutates = false;
    Expand => "expand", "expand", dangerous = false, mutates = false;
    Top => "top", "top", dangerous = false, mutates = false;
    Bottom => "bottom", "bottom / follow", dangerous = false, mutates = false;
    PageUp => "page-up", "page up", dangerous = false, mutates = false;
    PageDown => "page-down", "page down", dangerous = false, mutates = false;
    Select => "select", "open", dangerous = false, mutates = false;
    CycleTheme => "cycle-theme", "next theme", dangerous = false, mutates = false;
    Theme => "theme", "theme NAME", dangerous = false, mutates = false;
    Refresh => "refresh", "reload", dangerous = false, mutates = false;
    ViewApis => "apis", "APIs", dangerous = false, mutates = false;
    ViewResources => "resources", "resources", dangerous = false, mutates = false;
    ViewStages => "stages", "stages", dangerous = false, mutates = false;
    ViewDeployments => "deployments", "deployments", dangerous = false, mutates = false;
    ViewCanary => "canary-view", "canary", dangerous = false, mutates = false;
    ViewDashboard => "dash", "dashboard", dangerous = false, mutates = false;
    ViewLogs => "logs", "logs", dangerous = false, mutates = false;
    ViewKeys => "keys", "usage plans & keys", dangerous = false, mutates = false;
    ViewHttp => "http", "HTTP APIs (routes, stages)", dangerous = false, mutates = false;
    ViewNodes => "nodes", "cluster nodes", dangerous = false, mutates = false;
    Import => "import", "import file", dangerous = false, mutates = true;
    Export => "export", "export to file", dangerous = false, mutates = false;
    EditIntegration => "edit-integration", "edit integration", dangerous = false, mutates = true;
    TestInvoke => "test-invoke", "test invoke", dangerous = false, mutates = false;
    EditTestRequest => "edit-request", "edit request", dangerous = false, mutates = false;
    ViewTrace => "trace", "request trace", dangerous = false, mutates = false;
    Save => "save", "save template", dangerous = false, mutates = true;
    Undo => "undo", "undo", dangerous = false, mutates = false;
    Redo => "redo", "redo", dangerous = false, mutates = false;
    Search => "search", "search", dangerous = false, mutates = false;
    SearchNext => "search-next", "next match", dangerous = false, mutates = false;
    SearchPrev => "search-prev", "previous match", dangerous = false, mutates = false;
    TestRender => "test", "render now", dangerous = false, mutates = false;
    GenerateTemplate => "generate-template", "template from model", dangerous = false, mutates = false;
    Deploy => "deploy", "deploy STAGE", dangerous = false, mutates = true;
    VarAdd => "var-add", "add variable", dangerous = false, mutates = true;
    VarEdit => "var-edit", "edit variable", dangerous = false, mutates = true;
    VarDelete => "var-delete", "delete variable", dangerous = true, mutates = true;
    MethodSettings => "method-settings", "edit method settings", dangerous = false, mutates = true;
    FlushCache => "flush", "flush cache", dangerous = true, mutates = true;
    Mark => "mark", "mark for diff", dangerous = false, mutates = false;
    Diff => "diff", "diff marked", dangerous = false, mutates = false;
    Rollback => "rollback", "rollback to ID", dangerous = true, mutates = true;
    Canary => "canary", "canary PCT", dangerous = true, mutates = true;
    CanaryInc => "canary-inc", "weight +step", dangerous = false, mutates = false;
    CanaryDec => "canary-dec", "weight -step", dangerous = false, mutates = false;
    CanaryStep => "canary-step", "step 0.1/1/10", dangerous = false, mutates = false;
    CanaryApply => "canary-apply", "apply weight", dangerous = true, mutates = true;
    CanaryOverride => "canary-override", "set override", dangerous = false, mutates = true;
    Promote => "promote", "promote canary", dangerous = true, mutates = true;
    CanaryDelete => "canary-delete", "delete canary", dangerous = true, mutates = true;
    Traffic => "traffic", "traffic RATE [STAGE]", dangerous = false, mutates = false;
    TrafficToggle => "traffic-toggle", "traffic on/off", dangerous = false, mutates = false;
    ZoomIn => "zoom-in", "zoom in", dangerous = false, mutates = false;
    ZoomOut => "zoom-out", "zoom out", dangerous = false, mutates = false;
    ZoomReset => "zoom-reset", "reset zoom", dangerous = false, mutates = false;
    Freeze => "freeze", "freeze", dangerous = false, mutates = false;
    Maximise => "maximise", "maximise", dangerous = false, mutates = false;
    CycleMethod => "cycle-method", "next method", dangerous = false, mutates = false;
    CycleStage => "cycle-stage", "next stage", dangerous = false, mutates = false;
    CycleNode => "cycle-node", "whole cluster / one node", dangerous = false, mutates = false;
    Pause => "pause", "pause", dangerous = false, mutates = false;
    SaveLogs => "save-logs", "save to file", dangerous = false, mutates = false;
    ClearLogs => "clear-logs", "clear", dangerous = false, mutates = false;
    KeyCreate => "key-create", "create key", dangerous = false, mutates = true;
    PlanCreate => "plan-create", "create plan", dangerous = false, mutates = true;
    KeyToggle => "key-toggle", "enable/disable key", dangerous = false, mutates = true;
    KeyDelete => "key-delete", "delete key", dangerous = true, mutates = true;
    ViewConnections => "connections", "WebSocket connections [STAGE]", dangerous = false, mutates = false;
    Wscat => "wscat", "WebSocket client [STAGE]", dangerous = false, mutates = false;
    ConnSend => "conn-send", "send to connection", dangerous = false, mutates = true;
    ConnDisconnect => "disconnect", "disconnect", dangerous = true, mutates = true;
    WscatSend => "wscat-send", "send a line", dangerous = false, mutates = false;
}

impl Action {
    pub fn by_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// The view a navigation action opens.
    pub fn target_view(self) -> Option<ViewKind> {
        Some(match self {
            Action::ViewApis => ViewKind::Apis,
            Action::ViewResources => ViewKind::Resources,
            Action::ViewStages => ViewKind::Stages,
            Action::ViewDeployments => ViewKind::Deployments,
            Action::ViewCanary => ViewKind::Canary,
            Action::ViewDashboard => ViewKind::Dashboard,
            Action::ViewLogs => ViewKind::Logs,
            Action::ViewKeys => ViewKind::Keys,
            Action::ViewHttp => ViewKind::Http,
            Action::ViewNodes => ViewKind::Nodes,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_dangerous_implies_mutates() {
        let mut names: Vec<_> = Action::ALL.iter().map(|a| a.name()).collect();
        names.sort_unstable();
        let len = names.len();
        names.dedup();
        assert_eq!(names.len(), len);
        for a in Action::ALL {
            assert!(!a.dangerous() || a.mutates(), "{a:?}");
            assert_eq!(Action::by_name(a.name()), Some(*a));
        }
    }
}
