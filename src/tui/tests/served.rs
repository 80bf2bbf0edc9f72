//! The real engine behind the console's key scripts: an engine served on loopback (port 0)
//! with admin credentials, so that an attached console's every call is SigV4-signed; and
//! [`Rigs`], which runs one script on the fake, the in-process engine and an attached
//! console alike, each seeded with the same sample world ([`World`]).

use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use super::Harness;
use crate::auth::credentials::Credentials;
use crate::engine::{
    Actor, CreateApiKey, CreateDeployment, CreateStage, CreateUsagePlan, CreateUsagePlanKey,
    EngineConfig, Gateway,
};
use crate::loadgen::Traffic;
use crate::model::{CanarySettings, QuotaPeriod, QuotaSettings};
use crate::server::ServerOptions;
use crate::tui::app::AppConfig;
use crate::tui::backend::Backend;
use crate::tui::fake::{FakeBackend, SAMPLE_API, sample_definition};
use crate::tui::gateway::GatewayBackend;
use crate::tui::remote::RemoteBackend;

pub fn credentials() -> Credentials {
    Credentials::parse("AKIDATTACHTEST:attach-secret").expect("credentials")
}

/// The ids of the sample world (PetStore with `dev` and `prod`, prod running the first
/// deployment with a 10 % canary on the second, a usage plan, keys alice and bob), fixed in
/// the fake, given by the engine otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    pub api: String,
    /// `/pets` and `/pets/{petId}`.
    pub pets: String,
    pub pet: String,
    /// The first deployment (without `POST /pets`, prod runs it) and the second (dev and
    /// prod's canary).
    pub first: String,
    pub second: String,
    pub plan: String,
    pub alice: String,
    pub bob: String,
}

impl World {
    pub fn fake() -> World {
        World {
            api: SAMPLE_API.into(),
            pets: "pets01".into(),
            pet: "pet001".into(),
            first: "dep001".into(),
            second: "dep002".into(),
            plan: "plan01".into(),
            alice: "key001".into(),
            bob: "key002".into(),
        }
    }
}

/// An engine served on loopback; the engine outlives server restarts.
pub struct Served {
    pub rt: tokio::runtime::Runtime,
    pub gw: Gateway,
    pub addr: SocketAddr,
    pub api: String,
    pub options: ServerOptions,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl Served {
    /// The engine with the demo's APIs.
    pub fn start() -> Served {
        Served::boot(ServerOptions::default(), |gw| {
            Box::pin(async move {
                let backend = crate::demo::start_backend().await.expect("demo backend");
                crate::demo::seed_or_refresh(&gw, backend)
                    .await
                    .expect("demo")
                    .expect("demo API")
            })
        })
    }

    /// The engine with the sample world (the fake's, built with admin operations).
    pub fn sample() -> (Served, World) {
        Served::sample_with(ServerOptions::default())
    }

    /// The sample world, served with `options` (plus the admin credentials).
    pub fn sample_with(options: ServerOptions) -> (Served, World) {
        let world = Arc::new(std::sync::Mutex::new(None));
        let slot = world.clone();
        let served = Served::boot(options, move |gw| {
            Box::pin(async move {
                let w = seed_sample(&gw).await;
                let api = w.api.clone();
                if let Ok(mut s) = slot.lock() {
                    *s = Some(w);
                }
                api
            })
        });
        let w = world.lock().ok().and_then(|mut w| w.take()).expect("world");
        (served, w)
    }

    /// An engine seeded by `seed` (which returns the API scripts work on), served with
    /// `options` plus the admin credentials.
    pub fn boot(
        options: ServerOptions,
        seed: impl FnOnce(
            Gateway,
        )
            -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>>,
    ) -> Served {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let (gw, api, addr) = rt.block_on(async {
            let gw = Gateway::open(EngineConfig::new(dir.path())).expect("engine");
            let api = seed(gw.clone()).await;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            drop(listener);
            (gw, api, addr)
        });
        let mut served = Served {
            rt,
            gw,
            addr,
            api,
            options: ServerOptions {
                admin_credentials: Some(credentials()),
                ..options
            },
            stop: None,
            server: None,
            _dir: dir,
        };
        served.serve();
        served
    }

    /// (Re)starts the server on the same address.
    pub fn serve(&mut self) {
        let (tx, rx) = oneshot::channel::<()>();
        let gw = self.gw.clone();
        let addr = self.addr;
        let listener = self.rt.block_on(async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            loop {
                match tokio::net::TcpListener::bind(addr).await {
                    Ok(l) => return l,
                    Err(e) if tokio::time::Instant::now() > deadline => panic!("bind {addr}: {e}"),
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        self.server = Some(self.rt.spawn(crate::server::serve_with(
            gw,
            listener,
            self.options.clone(),
            async move {
                let _ = rx.await;
            },
        )));
        self.stop = Some(tx);
    }

    /// Stops the server (the engine stays).
    pub fn stop_server(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = self
                .rt
                .block_on(async { tokio::time::timeout(Duration::from_secs(10), server).await });
        }
    }

    pub fn in_process(&self) -> Harness<GatewayBackend> {
        self.in_process_with(AppConfig::default())
    }

    pub fn in_process_with(&self, cfg: AppConfig) -> Harness<GatewayBackend> {
        let backend = GatewayBackend::new(self.gw.clone(), self.addr, Arc::new(Traffic::default()));
        Harness::on(cfg, backend, current_thread())
    }

    pub fn attached(&self) -> Harness<RemoteBackend> {
        self.attached_with(AppConfig::default())
    }

    pub fn attached_with(&self, cfg: AppConfig) -> Harness<RemoteBackend> {
        self.attached_at(cfg, &format!("http://{}", self.addr))
    }

    /// A console attached through `url` (the server, or a proxy in front of it).
    pub fn attached_at(&self, cfg: AppConfig, url: &str) -> Harness<RemoteBackend> {
        let rt = current_thread();
        let backend = rt
            .block_on(RemoteBackend::connect(
                url,
                Some(credentials()),
                Arc::new(Traffic::default()),
            ))
            .expect("attach");
        Harness::on(cfg, backend, rt)
    }

    pub fn stage(&self, name: &str) -> crate::model::Stage {
        self.gw.get_stage(&self.api, name).expect("stage")
    }

    /// `n` real requests (`METHOD /path` of `stage`, a JSON `body` unless empty) to the
    /// served API: each one's status and request id (`x-amzn-RequestId`).
    pub fn requests(
        &self,
        method: &str,
        stage: &str,
        path: &str,
        body: &str,
        n: usize,
    ) -> Vec<(u16, String)> {
        let url = format!(
            "http://{}/restapis/{}/{stage}/_user_request_{path}",
            self.addr, self.api
        );
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let client = reqwest::Client::new();
        self.rt.block_on(async {
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                let mut request = client.request(method.clone(), &url);
                if !body.is_empty() {
                    request = request
                        .header("content-type", "application/json")
                        .body(body.to_string());
                }
                let response = request.send().await.expect("request");
                let id = response
                    .headers()
                    .get("x-amzn-requestid")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                out.push((response.status().as_u16(), id));
            }
            out
        })
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop_server();
    }
}

pub fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Builds the fake's sample world in a real engine with admin operations: the PetStore
/// definition imported without `POST /pets` and deployed ("first"), then with it ("add
/// POST"); `dev` on the second, `prod` on the first with variables and a 10 % canary on the
/// second; the usage plan `basic` (1000 a day) with alice (enabled, on the plan) and bob
/// (disabled).
async fn seed_sample(gw: &Gateway) -> World {
    let actor = Actor::new("test");
    let full = sample_definition();
    let mut old = full.clone();
    if let Some(r) = old.resource_mut("pets01") {
        r.resource_methods.remove("POST");
    }
    let doc = crate::demo::documents::document;
    let api = gw
        .import_rest_api(&actor, &doc(&old), Default::default())
        .await
        .expect("import");
    let deploy = |description: &str| CreateDeployment {
        description: Some(description.into()),
        ..CreateDeployment::default()
    };
    let first = gw
        .create_deployment(&actor, &api.id, deploy("first"))
        .await
        .expect("first deployment");
    // The console lists deployments newest first by their creation second: the second
    // deployment must be a second younger.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while time::OffsetDateTime::now_utc().unix_timestamp() <= first.created_date
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    crate::demo::documents::overwrite(gw, &actor, &api.id, &doc(&full))
        .await
        .expect("put");
    let second = gw
        .create_deployment(&actor, &api.id, deploy("add POST"))
        .await
        .expect("second deployment");
    gw.create_stage(
        &actor,
        &api.id,
        CreateStage {
            stage_name: "dev".into(),
            deployment_id: second.id.clone(),
            ..CreateStage::default()
        },
    )
    .await
    .expect("dev");
    let mut prod = CreateStage {
        stage_name: "prod".into(),
        deployment_id: first.id.clone(),
        canary_settings: Some(CanarySettings {
            percent_traffic: 10.0,
            deployment_id: Some(second.id.clone()),
            ..CanarySettings::default()
        }),
        ..CreateStage::default()
    };
    prod.variables
        .insert("backend".into(), "petstore.example".into());
    prod.variables.insert("mode".into(), "live".into());
    gw.create_stage(&actor, &api.id, prod).await.expect("prod");
    let plan = gw
        .create_usage_plan(
            &actor,
            CreateUsagePlan {
                name: "basic".into(),
                quota: Some(QuotaSettings {
                    limit: 1000,
                    offset: 0,
                    period: QuotaPeriod::Day,
                }),
                ..CreateUsagePlan::default()
            },
        )
        .await
        .expect("plan");
    let key = |name: &str, enabled: bool| CreateApiKey {
        name: Some(name.into()),
        enabled,
        ..CreateApiKey::default()
    };
    let alice = gw
        .create_api_key(&actor, key("alice", true))
        .await
        .expect("alice");
    let bob = gw
        .create_api_key(&actor, key("bob", false))
        .await
        .expect("bob");
    gw.create_usage_plan_key(
        &actor,
        &plan.id,
        CreateUsagePlanKey {
            key_id: alice.id.clone(),
            key_type: "API_KEY".into(),
        },
    )
    .await
    .expect("plan key");
    let def = gw.get_definition(&api.id).expect("definition");
    let by_path = |path: &str| {
        def.resources
            .iter()
            .find(|r| r.path == path)
            .map(|r| r.id.clone())
            .expect("resource")
    };
    World {
        pets: by_path("/pets"),
        pet: by_path("/pets/{petId}"),
        api: api.id,
        first: first.id,
        second: second.id,
        plan: plan.id,
        alice: alice.id,
        bob: bob.id,
    }
}

/// A console on one backend with the sample world behind it (and the server, when there is
/// one, which outlives the console).
pub struct Rig<B: Backend> {
    pub h: Harness<B>,
    pub w: World,
    /// Held for the console's lifetime (dropped after it).
    _served: Option<Served>,
}

impl<B: Backend> Rig<B> {
    /// The engine and its server, for a real backend (`None` on the fake).
    pub fn served(&self) -> Option<&Served> {
        self._served.as_ref()
    }

    /// The fake backend, when this is one (its knobs: `fail_next`, seeded HTTP APIs).
    pub fn fake(&self) -> Option<&FakeBackend>
    where
        B: 'static,
    {
        (&self.h.backend as &dyn std::any::Any).downcast_ref::<FakeBackend>()
    }
}

impl<B: Backend> Deref for Rig<B> {
    type Target = Harness<B>;
    fn deref(&self) -> &Harness<B> {
        &self.h
    }
}

impl<B: Backend> DerefMut for Rig<B> {
    fn deref_mut(&mut self) -> &mut Harness<B> {
        &mut self.h
    }
}

/// How a script gets its console: the same script runs on every kind.
pub trait Rigs {
    type B: Backend;
    fn rig(cfg: AppConfig) -> Rig<Self::B>;
    /// A second, fresh console on the same backend (the same fake, or the same server).
    fn another(rig: &Rig<Self::B>) -> Harness<Self::B>;
}

pub struct Fake;
pub struct InProcess;
pub struct Attached;

impl Rigs for Fake {
    type B = FakeBackend;
    fn rig(cfg: AppConfig) -> Rig<FakeBackend> {
        Rig {
            h: Harness::with(cfg),
            w: World::fake(),
            _served: None,
        }
    }
    fn another(rig: &Rig<FakeBackend>) -> Harness<FakeBackend> {
        Harness::on(AppConfig::default(), rig.backend.clone(), current_thread())
    }
}

impl Rigs for InProcess {
    type B = GatewayBackend;
    fn rig(cfg: AppConfig) -> Rig<GatewayBackend> {
        let (s, w) = Served::sample();
        Rig {
            h: s.in_process_with(cfg),
            w,
            _served: Some(s),
        }
    }
    fn another(rig: &Rig<GatewayBackend>) -> Harness<GatewayBackend> {
        rig.served().expect("served").in_process()
    }
}

impl Rigs for Attached {
    type B = RemoteBackend;
    fn rig(cfg: AppConfig) -> Rig<RemoteBackend> {
        let (s, w) = Served::sample();
        Rig {
            h: s.attached_with(cfg),
            w,
            _served: Some(s),
        }
    }
    fn another(rig: &Rig<RemoteBackend>) -> Harness<RemoteBackend> {
        rig.served().expect("served").attached()
    }
}

pub fn rig<R: Rigs>() -> Rig<R::B> {
    R::rig(AppConfig::default())
}

pub fn readonly<R: Rigs>() -> Rig<R::B> {
    R::rig(AppConfig {
        readonly: true,
        ..AppConfig::default()
    })
}

/// `#[test]`s running each script (a function generic over [`Rigs`]) on the fake, in
/// process and attached.
macro_rules! on_every_backend {
    ($($script:ident),* $(,)?) => {
        $(
            mod $script {
                use $crate::tui::tests::served::{Attached, Fake, InProcess};

                #[test]
                fn fake() {
                    super::$script::<Fake>();
                }

                #[test]
                fn in_process() {
                    super::$script::<InProcess>();
                }

                #[test]
                fn attached() {
                    super::$script::<Attached>();
                }
            }
        )*
    };
}

pub(crate) use on_every_backend;
