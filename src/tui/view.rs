//! The console's views and their places on the view stack.

/// A screen of the console. Digits `1`–`8` and `:` commands open the top-level ones;
/// `Editor`, `Diff` and `Invoke` (a test invocation's result) are drilled into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ViewKind {
    Apis,
    Resources,
    Stages,
    Deployments,
    Canary,
    Dashboard,
    Logs,
    Keys,
    /// HTTP APIs (v2): their routes (key → integration, auth, throttling) and stages.
    Http,
    Editor,
    Diff,
    Invoke,
    /// One request's trace (X-Ray ids, phases as a waterfall), from a log line.
    Trace,
    /// The live connections of a WebSocket API stage (send, disconnect).
    Connections,
    /// `:wscat`: an interactive client on a WebSocket API stage.
    Wscat,
    /// Cluster mode: the nodes sharing the definitions store, with their health (`:nodes`).
    Nodes,
}

impl ViewKind {
    pub const TOP_LEVEL: [ViewKind; 9] = [
        ViewKind::Apis,
        ViewKind::Resources,
        ViewKind::Stages,
        ViewKind::Deployments,
        ViewKind::Canary,
        ViewKind::Dashboard,
        ViewKind::Logs,
        ViewKind::Keys,
        ViewKind::Http,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ViewKind::Apis => "apis",
            ViewKind::Resources => "resources",
            ViewKind::Stages => "stages",
            ViewKind::Deployments => "deployments",
            ViewKind::Canary => "canary",
            ViewKind::Dashboard => "dash",
            ViewKind::Logs => "logs",
            ViewKind::Keys => "keys",
            ViewKind::Http => "http",
            ViewKind::Editor => "template",
            ViewKind::Diff => "diff",
            ViewKind::Invoke => "test",
            ViewKind::Trace => "trace",
            ViewKind::Connections => "connections",
            ViewKind::Wscat => "wscat",
            ViewKind::Nodes => "nodes",
        }
    }

    /// How many focusable panes the view has (`Tab` cycles them).
    pub fn panes(self) -> usize {
        match self {
            ViewKind::Resources | ViewKind::Keys | ViewKind::Http => 2,
            ViewKind::Stages | ViewKind::Editor => 3,
            ViewKind::Dashboard => 6,
            _ => 1,
        }
    }

    /// Whether `/` filters the view's list or tree.
    pub fn filterable(self) -> bool {
        !matches!(
            self,
            ViewKind::Editor | ViewKind::Dashboard | ViewKind::Canary
        )
    }
}
