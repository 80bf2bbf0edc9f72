use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::json;

use super::*;
use crate::model::{RestApi, UsagePlan, VpcLink};

fn api(id: &str) -> ApiDefinition {
    ApiDefinition::new(RestApi {
        id: id.into(),
        name: format!("api {id}"),
        ..RestApi::default()
    })
}

fn stage(name: &str, deployment_id: &str) -> Stage {
    Stage {
        stage_name: name.into(),
        deployment_id: deployment_id.into(),
        ..Stage::default()
    }
}

fn deployment(id: &str) -> Deployment {
    Deployment {
        id: id.into(),
        description: Some(format!("deployment {id}")),
        created_date: 1,
        ..Deployment::default()
    }
}

fn audit(action: &str) -> AuditRecord {
    AuditRecord::new("cli", action, "restapis/abc", json!({"k": action}))
}

fn put_api(id: &str) -> Change {
    Change::PutApi(Box::new(api(id)))
}

fn put_deployment(api_id: &str, id: &str, snapshot: &ApiDefinition) -> Change {
    Change::PutDeployment {
        api_id: api_id.into(),
        deployment: deployment(id),
        snapshot: Box::new(snapshot.clone()),
    }
}

fn put_stage(api_id: &str, name: &str, dep: &str) -> Change {
    Change::PutStage {
        api_id: api_id.into(),
        stage: Box::new(stage(name, dep)),
    }
}

#[test]
fn round_trip_of_every_change_kind() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        schema::MIGRATIONS.len() as i64
    );
    let mut a = api("abc");
    let plan = UsagePlan {
        id: "plan1".into(),
        name: "gold".into(),
        ..UsagePlan::default()
    };
    let key = ApiKey {
        id: "key1".into(),
        name: "k".into(),
        value: Some("v".repeat(40)),
        enabled: true,
        ..ApiKey::default()
    };
    let seq = store
        .commit(
            &[
                Change::PutApi(Box::new(a.clone())),
                put_deployment("abc", "d1", &a),
                put_stage("abc", "prod", "d1"),
                put_stage("abc", "dev", "d1"),
                Change::PutUsagePlan(Box::new(plan.clone())),
                Change::PutApiKey(Box::new(key.clone())),
                Change::PutApiKey(Box::new(ApiKey {
                    id: "key2".into(),
                    ..key.clone()
                })),
                Change::PutUsagePlanKey {
                    usage_plan_id: "plan1".into(),
                    key_id: "key1".into(),
                },
                Change::PutUsagePlanKey {
                    usage_plan_id: "plan1".into(),
                    key_id: "key2".into(),
                },
                Change::PutAccount(Box::new(AccountSettings {
                    throttle_rate_limit: Some(1.5),
                    ..AccountSettings::default()
                })),
                Change::PutVpcLink(Box::new(VpcLink {
                    id: "vl1".into(),
                    name: "one".into(),
                    ..VpcLink::default()
                })),
                Change::PutVpcLink(Box::new(VpcLink {
                    id: "vl2".into(),
                    name: "two".into(),
                    ..VpcLink::default()
                })),
                Change::PutUsageGrant {
                    usage_plan_id: "plan1".into(),
                    key_id: "key1".into(),
                    period_start: "2026-12-01".into(),
                    granted: 7,
                },
            ],
            &audit("Create"),
        )
        .unwrap();
    assert_eq!(seq, 1);
    let account = AccountSettings {
        cloudwatch_role_arn: Some("arn:aws:iam::123456789012:role/logs".into()),
        throttle_rate_limit: Some(2.0),
        throttle_burst_limit: Some(3),
    };
    // an update of the API keeps its deployments, whose snapshot stays frozen
    a.rest_api.description = Some("changed".into());
    store
        .commit(
            &[
                Change::PutApi(Box::new(a.clone())),
                put_stage("abc", "prod", "d2"),
                put_deployment("abc", "d2", &a),
                Change::DeleteStage {
                    api_id: "abc".into(),
                    stage_name: "dev".into(),
                },
                Change::DeleteUsagePlanKey {
                    usage_plan_id: "plan1".into(),
                    key_id: "key2".into(),
                },
                Change::DeleteApiKey("key2".into()),
                Change::PutAccount(Box::new(account.clone())),
                Change::DeleteVpcLink("vl1".into()),
                Change::PutUsageGrant {
                    usage_plan_id: "plan1".into(),
                    key_id: "key1".into(),
                    period_start: "2026-12-01".into(),
                    granted: 9,
                },
                Change::UpdateDeployment {
                    api_id: "abc".into(),
                    deployment: Deployment {
                        description: Some("renamed".into()),
                        ..deployment("d1")
                    },
                },
            ],
            &audit("Update"),
        )
        .unwrap();
    drop(store);

    let mut store = Store::open(dir.path()).unwrap();
    let state = store.load().unwrap();
    assert_eq!(state.account, account);
    let links: Vec<&str> = state.vpc_links.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(links, ["vl2"]);
    assert_eq!(
        store.usage_grants("plan1", Some("key1")).unwrap(),
        vec![("key1".to_string(), "2026-12-01".to_string(), 9)]
    );
    assert_eq!(state.apis.len(), 1);
    let stored = &state.apis[0];
    assert_eq!(stored.definition, a);
    let ids: Vec<&str> = stored
        .deployments
        .iter()
        .map(|d| d.deployment.id.as_str())
        .collect();
    assert_eq!(ids, ["d1", "d2"]);
    assert_eq!(
        stored.deployments[0].deployment,
        Deployment {
            description: Some("renamed".into()),
            ..deployment("d1")
        }
    );
    assert_eq!(stored.deployments[0].snapshot.rest_api.description, None);
    assert_eq!(stored.deployments[1].snapshot, a);
    assert_eq!(stored.stages, vec![stage("prod", "d2")]);
    assert_eq!(state.usage_plans, vec![plan]);
    assert_eq!(state.api_keys, vec![key]);
    assert_eq!(
        state.usage_plan_keys,
        vec![("plan1".to_string(), "key1".to_string())]
    );

    store
        .commit(
            &[Change::DeleteDeployment {
                api_id: "abc".into(),
                deployment_id: "d1".into(),
            }],
            &audit("DeleteDeployment"),
        )
        .unwrap();
    store
        .commit(
            &[Change::DeleteUsagePlan("plan1".into())],
            &audit("DeletePlan"),
        )
        .unwrap();
    let state = store.load().unwrap();
    assert_eq!(state.apis[0].deployments.len(), 1);
    assert!(state.usage_plans.is_empty() && state.usage_plan_keys.is_empty());
}

#[test]
fn deleting_an_api_cascades_and_deployments_are_immutable() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let a = api("abc");
    store
        .commit(
            &[
                put_api("abc"),
                put_api("other"),
                put_deployment("abc", "d1", &a),
                put_stage("abc", "prod", "d1"),
                put_stage("other", "prod", "x"),
            ],
            &audit("Create"),
        )
        .unwrap();
    let err = store
        .commit(&[put_deployment("abc", "d1", &a)], &audit("Again"))
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    // the triggers refuse edits made behind the store's back: a deployment's snapshot and
    // identity never change (its record may: UpdateDeployment's description)
    for sql in [
        "UPDATE deployments SET snapshot = '{}'",
        "UPDATE deployments SET id = 'd2'",
        "UPDATE deployments SET api_id = 'other'",
    ] {
        assert!(store.sqlite().execute(sql, []).is_err(), "{sql}");
    }
    assert!(
        store
            .sqlite()
            .execute("UPDATE deployments SET doc = doc", [])
            .is_ok()
    );
    assert!(store.sqlite().execute("DELETE FROM audit", []).is_err());

    store
        .commit(&[Change::DeleteApi("abc".into())], &audit("Delete"))
        .unwrap();
    let state = store.load().unwrap();
    assert_eq!(state.apis.len(), 1);
    assert_eq!(state.apis[0].definition.id(), "other");
    let count: i64 = store
        .sqlite()
        .query_row("SELECT count(*) FROM deployments", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 0);
    let stages: i64 = store
        .sqlite()
        .query_row(
            "SELECT count(*) FROM stages WHERE api_id = 'abc'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stages, 0);
}

#[test]
fn a_failing_batch_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.commit(&[put_api("abc")], &audit("Create")).unwrap();
    let before = store.load().unwrap();
    let failures: Vec<Vec<Change>> = vec![
        // a stage of an API that does not exist
        vec![put_api("new"), put_stage("missing", "prod", "d1")],
        // deleting what is not there
        vec![
            put_stage("abc", "prod", "d1"),
            Change::DeleteStage {
                api_id: "abc".into(),
                stage_name: "nope".into(),
            },
        ],
        vec![put_api("x"), Change::DeleteApi("nope".into())],
        // linking to a key that does not exist
        vec![
            Change::PutUsagePlan(Box::new(UsagePlan {
                id: "p".into(),
                ..UsagePlan::default()
            })),
            Change::PutUsagePlanKey {
                usage_plan_id: "p".into(),
                key_id: "nokey".into(),
            },
        ],
    ];
    for changes in failures {
        let err = store.commit(&changes, &audit("Fails")).unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert_eq!(store.load().unwrap(), before);
        assert_eq!(
            store.audit(10, None).unwrap().len(),
            1,
            "no audit row for a failed batch"
        );
    }
}

#[test]
fn audit_is_newest_first_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    for i in 0..5 {
        let seq = store.commit(&[], &audit(&format!("A{i}"))).unwrap();
        assert_eq!(seq, i + 1);
    }
    let page = store.audit(2, None).unwrap();
    let seqs: Vec<i64> = page.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [5, 4]);
    assert_eq!(page[0].action, "A4");
    assert_eq!(page[0].actor, "cli");
    assert_eq!(page[0].target, "restapis/abc");
    assert_eq!(page[0].detail, json!({"k": "A4"}));
    let next = store.audit(10, Some(4)).unwrap();
    let seqs: Vec<i64> = next.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [3, 2, 1]);
}

#[test]
fn the_reader_sees_the_last_commit_and_does_not_wait_for_one_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.add_usage("p", "k1", "2026-01-01", 3).unwrap();
    store.commit(&[], &audit("A0")).unwrap();
    let reader = std::sync::Arc::new(std::sync::Mutex::new(store.reader().unwrap()));
    // Inside the hook the writer holds its write lock with the transaction not yet
    // committed: the reader must answer at once, from the last commit.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (r, out) = (reader.clone(), seen.clone());
    store.set_commit_hook(Some(std::sync::Arc::new(move || {
        let started = std::time::Instant::now();
        let reader = r.lock().unwrap();
        let actions: Vec<String> = reader
            .audit(10, None)
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect();
        let used = reader.usage("p", None, "2026-01-01", "2026-01-01").unwrap();
        out.lock().unwrap().push((actions, used, started.elapsed()));
    })));
    store.commit(&[put_api("abc")], &audit("A1")).unwrap();
    let seen = seen.lock().unwrap();
    let (actions, used, took) = &seen[0];
    assert_eq!(actions, &["A0"]);
    assert_eq!(used, &[("k1".to_string(), "2026-01-01".to_string(), 3)]);
    assert!(
        *took < std::time::Duration::from_secs(1),
        "the reader waited {took:?} (busy timeout)"
    );
    let actions: Vec<String> = reader
        .lock()
        .unwrap()
        .audit(10, None)
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, ["A1", "A0"], "then it sees the new commit");
    let err = reader
        .lock()
        .unwrap()
        .sqlite()
        .execute("DELETE FROM audit", [])
        .map(|_| ())
        .map_err(|e| e.to_string());
    assert!(
        err.as_ref().is_err_and(|e| e.contains("readonly")),
        "the reader cannot write: {err:?}"
    );
}

#[test]
fn usage_counters_accumulate_per_day() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.add_usage("p", "k1", "2026-01-01", 3).unwrap();
    store.add_usage("p", "k1", "2026-01-01", 2).unwrap();
    store.add_usage("p", "k1", "2026-01-02", 1).unwrap();
    store.add_usage("p", "k2", "2026-01-02", 7).unwrap();
    store.add_usage("other", "k1", "2026-01-02", 9).unwrap();
    store.add_usage("p", "k1", "2026-02-01", 4).unwrap();
    let all = store.usage("p", None, "2026-01-01", "2026-01-31").unwrap();
    assert_eq!(
        all,
        vec![
            ("k1".to_string(), "2026-01-01".to_string(), 5),
            ("k1".to_string(), "2026-01-02".to_string(), 1),
            ("k2".to_string(), "2026-01-02".to_string(), 7),
        ]
    );
    let one = store
        .usage("p", Some("k2"), "2026-01-01", "2026-12-31")
        .unwrap();
    assert_eq!(one, vec![("k2".to_string(), "2026-01-02".to_string(), 7)]);
}

#[test]
fn a_second_open_is_locked_until_the_first_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    match &err {
        StoreError::Locked { path, pid } => {
            assert_eq!(path, dir.path());
            assert_eq!(*pid, Some(std::process::id()));
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    let text = err.to_string();
    assert_eq!(
        text,
        format!(
            "data directory {} is in use by another gwtui process (pid {}); stop it or use --data-dir",
            dir.path().display(),
            std::process::id()
        )
    );
    // the failed opener left the lock file and the database alone
    let lock_text = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
    assert_eq!(lock_text.trim(), std::process::id().to_string());
    drop(store);
    Store::open(dir.path()).unwrap();
}

#[test]
fn an_unreadable_row_is_corrupt_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .sqlite()
        .execute(
            "INSERT INTO rest_apis (id, doc) VALUES ('bad', '{\"restApi\": 5}')",
            [],
        )
        .unwrap();
    match store.load().unwrap_err() {
        StoreError::Corrupt { what, .. } => assert_eq!(what, "restapis/bad"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .sqlite()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    drop(store);
    match Store::open(dir.path()).unwrap_err() {
        StoreError::Corrupt { what, reason } => {
            assert_eq!(what, "schema");
            assert!(reason.contains("99"), "{reason}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

const CRASH_DIR_ENV: &str = "GWTUI_STORE_CRASH_DIR";

/// The child side of `acknowledged_changes_survive_sigkill`: commits stages in a loop and
/// prints `ACK <seq> <stage>` after each commit returned. Does nothing unless the env var is set.
#[test]
fn crash_helper() {
    let Ok(dir) = std::env::var(CRASH_DIR_ENV) else {
        return;
    };
    let mut store = Store::open(Path::new(&dir)).unwrap();
    store
        .commit(&[put_api("abc")], &audit("CreateRestApi"))
        .unwrap();
    for i in 0.. {
        let name = format!("s{i}");
        let seq = store
            .commit(&[put_stage("abc", &name, "d1")], &audit("CreateStage"))
            .unwrap();
        println!("ACK {seq} {name}");
    }
}

#[test]
fn acknowledged_changes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "store::tests::crash_helper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CRASH_DIR_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut acked: Vec<(i64, String)> = Vec::new();
    let parse = |line: &str, acked: &mut Vec<(i64, String)>| {
        let mut parts = line.split_whitespace();
        if parts.next() == Some("ACK")
            && let (Some(seq), Some(name)) = (parts.next(), parts.next())
        {
            acked.push((seq.parse().unwrap(), name.to_string()));
        }
    };
    while acked.len() < 40 {
        match lines.next() {
            Some(line) => parse(&line.unwrap(), &mut acked),
            None => panic!("the helper stopped early after {} acks", acked.len()),
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    // lines printed before the kill were acknowledged too
    for line in lines.map_while(Result::ok) {
        parse(&line, &mut acked);
    }
    child.wait().unwrap();

    let store = Store::open(dir.path()).unwrap();
    let state = store.load().unwrap();
    let names: std::collections::HashSet<&str> = state.apis[0]
        .stages
        .iter()
        .map(|s| s.stage_name.as_str())
        .collect();
    let audit = store.audit(usize::MAX, None).unwrap();
    let seqs: std::collections::HashSet<i64> = audit.iter().map(|r| r.seq).collect();
    for (seq, name) in &acked {
        assert!(
            names.contains(name.as_str()),
            "acknowledged stage {name} lost"
        );
        assert!(seqs.contains(seq), "acknowledged audit row {seq} lost");
    }
}

#[test]
fn durability_pragmas_are_set() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let get = |pragma: &str| -> String {
        store
            .sqlite()
            .query_row(&format!("PRAGMA {pragma}"), [], |r| {
                r.get::<_, rusqlite::types::Value>(0)
            })
            .map(|v| format!("{v:?}"))
            .unwrap()
    };
    assert_eq!(get("journal_mode"), "Text(\"wal\")");
    assert_eq!(get("synchronous"), "Integer(2)");
    assert_eq!(get("foreign_keys"), "Integer(1)");
    assert_eq!(get("busy_timeout"), "Integer(5000)");
}

#[test]
fn registered_functions_survive_a_reopen_and_replacing_keeps_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let put = |name: &str, doc: &str| Change::PutFunction {
        name: name.into(),
        doc: doc.into(),
    };
    store
        .commit(
            &[put("a", r#"{"runtime":"python3"}"#), put("b", "{}")],
            &audit("RegisterFunction"),
        )
        .unwrap();
    store
        .commit(
            &[put("a", r#"{"runtime":"node"}"#), put("c", "{}")],
            &audit("RegisterFunction"),
        )
        .unwrap();
    store
        .commit(
            &[Change::DeleteFunction("b".into())],
            &audit("DeleteFunction"),
        )
        .unwrap();
    // A function without a row (from the config file) deletes nothing.
    store
        .commit(
            &[Change::DeleteFunction("zz".into())],
            &audit("DeleteFunction"),
        )
        .unwrap();
    drop(store);
    let state = Store::open(dir.path()).unwrap().load().unwrap();
    assert_eq!(
        state.functions,
        vec![
            ("a".to_string(), r#"{"runtime":"node"}"#.to_string()),
            ("c".to_string(), "{}".to_string()),
        ]
    );
}

#[test]
fn client_certificates_round_trip_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let stored = StoredClientCertificate {
        certificate: crate::model::ClientCertificate {
            client_certificate_id: "cc1".into(),
            pem_encoded_certificate: "PEM".into(),
            ..Default::default()
        },
        private_key: "KEY".into(),
    };
    store
        .commit(
            &[Change::PutClientCertificate(Box::new(stored.clone()))],
            &audit("GenerateClientCertificate"),
        )
        .unwrap();
    drop(store);
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.load().unwrap().client_certificates, vec![stored]);
    store
        .commit(
            &[Change::DeleteClientCertificate("cc1".into())],
            &audit("DeleteClientCertificate"),
        )
        .unwrap();
    assert!(store.load().unwrap().client_certificates.is_empty());
    assert!(
        store
            .commit(
                &[Change::DeleteClientCertificate("cc1".into())],
                &audit("DeleteClientCertificate"),
            )
            .is_err()
    );
}
