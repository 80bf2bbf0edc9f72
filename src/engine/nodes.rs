//! Cluster mode (docs/CLUSTER.md): this node's identity, what it has applied of the shared
//! PostgreSQL store, and how it catches up when another node commits.
//!
//! Writers are serialised across the cluster by the store's advisory lock
//! ([`crate::store::Store::begin_write`]): under it, an admin operation compares the store's
//! newest change with what this node applied and reloads first when it is behind, so it
//! always computes its change from the latest state and no concurrent write is lost. The
//! listener thread reloads on another node's notice (bursts coalesce), and after every
//! (re)connect, because notices sent while it was away are not replayed.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use super::admin::{Admin, admin_error};
use super::{Gateway, GatewayEvent, Inner, OpenError};
use crate::model::AdminError;
use crate::store::postgres::Delta;
use crate::store::postgres::listen::{self, NodeRow, Notice};
use crate::store::{PgTarget, Store};

/// A node is `up` while its heartbeat is younger than this, `stale` up to [`DOWN_AFTER_MS`].
pub const STALE_AFTER_MS: i64 = 3_000;
/// Past this, a node is `down`.
pub const DOWN_AFTER_MS: i64 = 10_000;

/// One node as `GET /gwtui/cluster` and the console's Nodes panel show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterNode {
    pub node_id: String,
    pub url: String,
    pub version: String,
    pub started_ms: i64,
    pub last_seen_ms: i64,
    /// Milliseconds since its last heartbeat, when it was read.
    pub age_ms: i64,
    /// `up`, `stale` or `down`, from `age_ms`.
    pub health: String,
    /// The node that answered.
    pub this_node: bool,
}

/// `GET /gwtui/cluster`: who answered, where the definitions are, and the nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterView {
    /// The answering node's id (`None` on SQLite: no cluster).
    pub node_id: Option<String>,
    /// `sqlite <path>` or `postgres <host:port/db>`.
    pub store: String,
    /// Whether the answering node's change listener is connected.
    pub listening: bool,
    pub nodes: Vec<ClusterNode>,
}

/// The health a heartbeat's age gives.
pub fn health(age_ms: i64) -> &'static str {
    if age_ms < STALE_AFTER_MS {
        "up"
    } else if age_ms < DOWN_AFTER_MS {
        "stale"
    } else {
        "down"
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A new node id: `node-` and 8 hex digits.
pub fn generate_node_id() -> String {
    format!("node-{:08x}", rand::random::<u32>())
}

pub(crate) struct Nodes {
    pub(crate) node_id: String,
    target: PgTarget,
    /// The newest audit sequence number whose state this node has installed.
    applied: AtomicI64,
    /// The heartbeat row (its URL is set once the server has bound).
    me: Arc<Mutex<NodeRow>>,
    /// Functions that came from the store at the last load (a reload removes those gone).
    stored_functions: Mutex<HashSet<String>>,
    /// Whether the listener is connected.
    listening: AtomicBool,
    /// The last catch-up failed (the store was unreachable): the listener tries again at its
    /// next heartbeat, as no notice may come to trigger it.
    behind: AtomicBool,
    /// The management credentials every node requires, to sign the metrics pulls
    /// (`cluster_metrics`); set by the server.
    pub(crate) peer_credentials: Mutex<Option<crate::auth::credentials::Credentials>>,
    /// The node list as last read, and when (the metrics pulls read it at most once a second).
    pub(crate) known: Mutex<Option<(std::time::Instant, Vec<ClusterNode>)>>,
}

impl Nodes {
    pub(crate) fn new(
        node_id: String,
        target: PgTarget,
        applied: i64,
        functions: &[(String, String)],
    ) -> Nodes {
        let me = NodeRow {
            node_id: node_id.clone(),
            url: String::new(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            started_ms: now_ms(),
            seen_ms: 0,
        };
        Nodes {
            node_id,
            target,
            applied: AtomicI64::new(applied),
            me: Arc::new(Mutex::new(me)),
            stored_functions: Mutex::new(functions.iter().map(|(n, _)| n.clone()).collect()),
            listening: AtomicBool::new(false),
            behind: AtomicBool::new(false),
            peer_credentials: Mutex::new(None),
            known: Mutex::new(None),
        }
    }

    pub(crate) fn applied(&self) -> i64 {
        self.applied.load(Ordering::Acquire)
    }

    pub(crate) fn set_applied(&self, seq: i64) {
        self.applied.fetch_max(seq, Ordering::AcqRel);
    }
}

impl Gateway {
    /// This node's id in cluster mode (`None` with the SQLite store).
    pub fn node_id(&self) -> Option<&str> {
        self.inner.nodes.as_ref().map(|c| c.node_id.as_str())
    }

    /// Where the definitions are: `sqlite <path>` or `postgres <host:port/db>`.
    pub fn store_description(&self) -> String {
        self.inner
            .config
            .store
            .describe(&self.inner.config.data_dir)
    }

    /// Sets the management URL this node advertises in `cluster_nodes` (once bound).
    pub fn set_advertised_url(&self, url: &str) {
        if let Some(cluster) = &self.inner.nodes {
            cluster.me.lock().unwrap_or_else(|p| p.into_inner()).url = url.to_string();
        }
    }

    /// The management credentials the nodes require (`[server] admin_credentials`), with which
    /// this node signs its pulls of the other nodes' metrics.
    pub fn set_peer_credentials(&self, credentials: Option<crate::auth::credentials::Credentials>) {
        if let Some(cluster) = &self.inner.nodes {
            *cluster
                .peer_credentials
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = credentials;
        }
    }

    /// The cluster's nodes with their health (empty with the SQLite store). A small read on a
    /// connection of its own: call it from a blocking thread.
    pub fn cluster_nodes(&self) -> Result<Vec<ClusterNode>, AdminError> {
        let Some(cluster) = &self.inner.nodes else {
            return Ok(Vec::new());
        };
        let rows = self.lock_reader().nodes().map_err(admin_error)?;
        let now = now_ms();
        Ok(rows
            .into_iter()
            .map(|r| {
                let age_ms = (now - r.seen_ms).max(0);
                ClusterNode {
                    this_node: r.node_id == cluster.node_id,
                    node_id: r.node_id,
                    url: r.url,
                    version: r.version,
                    started_ms: r.started_ms,
                    last_seen_ms: r.seen_ms,
                    age_ms,
                    health: health(age_ms).to_string(),
                }
            })
            .collect())
    }

    /// [`ClusterView`] of this node (a PostgreSQL read: blocking threads only).
    pub fn cluster_view(&self) -> Result<ClusterView, AdminError> {
        Ok(ClusterView {
            node_id: self.node_id().map(str::to_string),
            store: self.store_description(),
            listening: self.cluster_listening(),
            nodes: self.cluster_nodes()?,
        })
    }

    /// Whether this node's change listener is connected to PostgreSQL (always `true` on
    /// SQLite).
    pub fn cluster_listening(&self) -> bool {
        self.inner
            .nodes
            .as_ref()
            .is_none_or(|c| c.listening.load(Ordering::Acquire))
    }

    /// Catches up with the store: incrementally from this node's position when the store's
    /// change records allow it, else by reloading everything and installing it as
    /// [`Gateway::open`] does: the compiled APIs, functions, VPC links, the account throttle and the route map (unchanged
    /// stages keep their buckets and caches). Call it with the writers' lock held (`store` is
    /// its guard), on a blocking thread.
    pub(crate) fn reload_locked(&self, store: &Store) -> Result<(), AdminError> {
        if let Some(cluster) = &self.inner.nodes
            && let Some(delta) = store.delta_since(cluster.applied()).map_err(admin_error)?
        {
            return self.apply_delta_locked(store, delta);
        }
        self.full_reload_locked(store)
    }

    /// Installs what changed after this node's position: only the APIs the store's change
    /// records name, and the account-level tables when one of them changed
    /// (`store::postgres::delta`).
    fn apply_delta_locked(&self, store: &Store, delta: Delta) -> Result<(), AdminError> {
        let head = delta.head;
        if !delta.is_empty() {
            let mut delta = delta;
            let account = delta.account.as_mut().map(|state| {
                (
                    std::mem::take(&mut state.functions),
                    std::mem::take(&mut state.vpc_links),
                )
            });
            let admin = self.snapshot().apply_delta(delta).map_err(unloadable)?;
            self.install_reloaded(store, admin, account);
        }
        self.caught_up(head);
        Ok(())
    }

    /// Reloads everything (boot's path): when this node's position is ahead of the store, too
    /// old, or not covered by the store's change records (`store::postgres::delta`).
    fn full_reload_locked(&self, store: &Store) -> Result<(), AdminError> {
        let (mut state, head) = store.load_with_head().map_err(admin_error)?;
        let functions = std::mem::take(&mut state.functions);
        let vpc_links = std::mem::take(&mut state.vpc_links);
        let admin = Admin::from_state_reusing(state, Some(&self.snapshot())).map_err(unloadable)?;
        self.install_reloaded(store, admin, Some((functions, vpc_links)));
        self.caught_up(head);
        Ok(())
    }

    /// Installs a reloaded snapshot: the account-level tables when they were reloaded
    /// (functions, VPC links, the account throttle), then the route map and the snapshot.
    fn install_reloaded(&self, store: &Store, admin: Admin, account: Option<AccountTables>) {
        if let Some((functions, vpc_links)) = account {
            self.install_functions(&functions);
            *self.inner.vpc_links.lock_links() =
                vpc_links.into_iter().map(|l| (l.id.clone(), l)).collect();
            self.inner.vpc_links.rebuild();
            self.apply_account_throttle(&admin.account);
        }
        let routes = admin.build_routes(&self.inner.traffic, &self.inner.routes.load(), store);
        self.inner.routes.store(Arc::new(routes));
        self.inner.admin.store(Arc::new(admin));
    }

    /// Records the store position this node now holds and tells the consoles.
    fn caught_up(&self, head: i64) {
        if let Some(cluster) = &self.inner.nodes {
            cluster.set_applied(head);
        }
        self.publish(GatewayEvent::Changed {
            api_id: None,
            action: "ClusterSync".to_string(),
            target: "cluster".to_string(),
        });
    }

    /// Registers the stored functions whose configuration changed and removes those another
    /// node deleted (functions from the config file have no row and are left alone).
    fn install_functions(&self, functions: &[(String, String)]) {
        let Some(cluster) = &self.inner.nodes else {
            return;
        };
        let current: std::collections::HashMap<_, _> =
            self.inner.functions.list().into_iter().collect();
        let mut names = HashSet::new();
        for (name, doc) in functions {
            names.insert(name.clone());
            let Ok(config) = serde_json::from_str::<super::FunctionConfig>(doc) else {
                eprintln!("gwtui: stored function {name} no longer reads; kept as it was");
                continue;
            };
            if current.get(name) != Some(&config)
                && let Err(e) = self.inner.functions.register(name, config)
            {
                eprintln!("gwtui: stored function {name} cannot be registered: {e}");
            }
        }
        let mut stored = cluster
            .stored_functions
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for gone in stored.difference(&names) {
            self.inner.functions.remove(gone);
        }
        *stored = names;
    }
}

/// The account-level tables a reload installs: functions (`(name, JSON configuration)`) and
/// VPC links.
type AccountTables = (Vec<(String, String)>, Vec<crate::model::VpcLink>);

/// A stored state that no longer loads (a store error keeps its own mapping).
fn unloadable(e: OpenError) -> AdminError {
    match e {
        OpenError::Store(e) => admin_error(e),
        e => AdminError::Internal(format!("the stored state no longer loads: {e}")),
    }
}

/// Starts the listener thread of a cluster node; it ends when the gateway is dropped.
pub(crate) fn start_listener(inner: &Arc<Inner>) -> std::io::Result<()> {
    let Some(cluster) = &inner.nodes else {
        return Ok(());
    };
    let weak: Weak<Inner> = Arc::downgrade(inner);
    let runtime = tokio::runtime::Handle::try_current().ok();
    let me = cluster.me.clone();
    listen::spawn(cluster.target.clone(), me, move |notice| {
        let Some(inner) = weak.upgrade() else {
            return false;
        };
        let gw = Gateway { inner };
        let Some(cluster) = &gw.inner.nodes else {
            return false;
        };
        let _entered = runtime.as_ref().map(|h| h.enter());
        match notice {
            Notice::Connected => {
                cluster.listening.store(true, Ordering::Release);
                gw.catch_up(None);
            }
            Notice::Changed { seq } => {
                if seq > cluster.applied() {
                    gw.catch_up(Some(seq));
                }
            }
            Notice::Disconnected(reason) => {
                if cluster.listening.swap(false, Ordering::AcqRel) {
                    eprintln!("gwtui: cluster listener disconnected: {reason}; retrying");
                }
            }
            Notice::Idle => {
                if cluster.behind.load(Ordering::Acquire) {
                    gw.catch_up(None);
                }
            }
        }
        true
    })
}

impl Gateway {
    /// Reloads unless a write in the meantime already brought this node to `seq`.
    fn catch_up(&self, seq: Option<i64>) {
        let store = self.lock_store();
        if let (Some(seq), Some(cluster)) = (seq, &self.inner.nodes)
            && cluster.applied() >= seq
        {
            return;
        }
        let result = self.reload_locked(&store);
        if let Some(cluster) = &self.inner.nodes {
            cluster.behind.store(result.is_err(), Ordering::Release);
        }
        if let Err(e) = result {
            eprintln!("gwtui: cluster reload failed: {e}; retrying at the next heartbeat");
        }
    }
}
